"""DID documents as typed structs, and what atproto reads from them (the DID spec).

* the handle: the first ``at://`` entry of ``alsoKnownAs`` (lower-cased);
* the PDS: the service ``#atproto_pds`` (relative, or absolute with the document's DID) of type
  ``AtprotoPersonalDataServer`` whose endpoint is an http(s) URL;
* the signing key: the verification method ``#atproto`` whose key is a Multikey (or one of the
  legacy ``EcdsaSecp256…VerificationKey2019`` suites).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import msgspec

from atlex.errors import DidDocumentError, InvalidKeyError
from atlex.identity._keys import LEGACY_SUITES, PublicKey, parse_legacy_multibase, parse_multikey
from atlex.syntax import is_valid_handle

__all__ = [
    "DidDocument",
    "Service",
    "VerificationMethod",
    "extract_pds_endpoint",
    "find_service_entry",
]

PDS_FRAGMENT = "atproto_pds"
PDS_TYPE = "AtprotoPersonalDataServer"
SIGNING_KEY_FRAGMENT = "atproto"


class VerificationMethod(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    id: str
    type: str
    controller: str | None = None
    public_key_multibase: str | None = None


class Service(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    id: str
    type: str | list[str]
    service_endpoint: str | dict[str, Any] | list[Any]


class DidDocument(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """The parts of a DID document atproto uses (unknown fields are ignored)."""

    id: str
    also_known_as: tuple[str, ...] = ()
    verification_method: tuple[VerificationMethod | str, ...] = ()
    service: tuple[Service, ...] = ()

    @classmethod
    def parse(cls, did: str, data: bytes | str | Mapping[str, Any]) -> DidDocument:
        """The document of ``did`` from JSON (or decoded JSON); DidDocumentError when it is not
        a DID document or is the document of another DID."""
        try:
            if isinstance(data, bytes | str):
                document = msgspec.json.decode(data, type=cls)
            else:
                document = msgspec.convert(data, type=cls)
        except msgspec.ValidationError as exc:
            raise DidDocumentError(did, f"not a valid DID document: {exc}") from None
        except msgspec.DecodeError:
            raise DidDocumentError(did, "the DID document is not JSON") from None
        if document.id != did:
            raise DidDocumentError(did, f"the document served is for {document.id!r}")
        return document

    def to_json(self) -> bytes:
        return msgspec.json.encode(self)

    # -- what atproto reads ---------------------------------------------------------------

    @property
    def handle(self) -> str | None:
        """The handle the document claims (first ``at://`` alias, lower-cased), if valid."""
        for alias in self.also_known_as:
            if alias.startswith("at://"):
                handle = alias[len("at://") :].lower()
                return handle if is_valid_handle(handle) else None
        return None

    @property
    def pds_endpoint(self) -> str | None:
        """The PDS URL (``#atproto_pds`` of type ``AtprotoPersonalDataServer``), without a
        trailing slash; None when the document names none or a malformed one."""
        service = self.get_service(PDS_FRAGMENT)
        if service is None:
            return None
        types = [service.type] if isinstance(service.type, str) else service.type
        endpoint = service.service_endpoint
        if PDS_TYPE not in types or not isinstance(endpoint, str) or not _is_http_url(endpoint):
            return None
        return endpoint.rstrip("/")

    @property
    def signing_key(self) -> PublicKey | None:
        """The ``#atproto`` key; None when absent. InvalidKeyError when it is malformed."""
        method = self.get_verification_method(SIGNING_KEY_FRAGMENT)
        if method is None or method.public_key_multibase is None:
            return None
        where = f"{self.id}#{SIGNING_KEY_FRAGMENT}"
        legacy = LEGACY_SUITES.get(method.type)
        if legacy is not None:
            return parse_legacy_multibase(method.public_key_multibase, legacy, identifier=where)
        if method.type != "Multikey":
            raise InvalidKeyError(where, f"unsupported verification method type {method.type!r}")
        return parse_multikey(method.public_key_multibase, identifier=where)

    def get_service(self, fragment: str) -> Service | None:
        """The service with id ``#<fragment>`` or ``<did>#<fragment>``."""
        for service in self.service:
            if service.id in (f"#{fragment}", f"{self.id}#{fragment}"):
                return service
        return None

    def get_verification_method(self, fragment: str) -> VerificationMethod | None:
        for method in self.verification_method:
            if isinstance(method, VerificationMethod) and method.id in (
                f"#{fragment}",
                f"{self.id}#{fragment}",
            ):
                return method
        return None


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def find_service_entry(
    did_doc: Mapping[str, Any] | None, id_suffix: str
) -> Mapping[str, object] | None:
    """The first ``service`` entry of an undecoded document whose ``id`` ends in ``id_suffix``.

    The lenient rule ``@atproto/lex-password-session`` routes by (relative or absolute id, type
    not checked, no second match looked for); it reads session data, which may hold any JSON.
    """
    services: Any = did_doc.get("service") if isinstance(did_doc, Mapping) else None
    if not isinstance(services, list):
        return None
    for entry in cast("list[object]", services):
        if isinstance(entry, Mapping):
            service = cast("Mapping[str, object]", entry)
            service_id = service.get("id")
            if isinstance(service_id, str) and service_id.endswith(id_suffix):
                return service
    return None
    for entry in services:  # pyright: ignore[reportUnknownVariableType]
        if isinstance(entry, Mapping):
            service_id: object = entry.get("id")  # pyright: ignore[reportUnknownMemberType]
            if isinstance(service_id, str) and service_id.endswith(id_suffix):
                return entry  # pyright: ignore[reportUnknownVariableType]
    return None


def extract_pds_endpoint(did_doc: Mapping[str, Any] | None) -> str | None:
    """The PDS a password session routes to: ``@atproto/lex-password-session``'s rule.

    The *first* service whose ``id`` ends in ``#atproto_pds`` (relative or absolute id, ``type``
    not checked); its endpoint must be an absolute URL, otherwise None (requests then go to the
    login service). No second matching entry is looked for. Stricter than
    :attr:`DidDocument.pds_endpoint`, on purpose: it is the upstream session's behaviour.
    """
    entry = find_service_entry(did_doc, f"#{PDS_FRAGMENT}")
    endpoint = entry.get("serviceEndpoint") if entry is not None else None
    return endpoint if isinstance(endpoint, str) and _is_absolute_url(endpoint) else None


def _is_absolute_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme) and bool(parts.netloc)
