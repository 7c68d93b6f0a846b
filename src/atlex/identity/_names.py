"""Checks and URLs for handles and DIDs (pure functions; the handle and DID specs)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

from atlex.errors import HandleAmbiguousError, InvalidIdentifierError
from atlex.syntax import check_format, is_valid_did

__all__ = [
    "INVALID_HANDLE",
    "did_document_url",
    "did_from_txt",
    "did_from_well_known",
    "normalize_did",
    "normalize_handle",
    "well_known_url",
]

INVALID_HANDLE = "handle.invalid"
"""What atproto shows for an account whose handle is not bidirectionally verified."""

# TLDs the handle spec rules out for resolution (syntax-valid, never resolved)
_UNRESOLVABLE_TLDS = frozenset(
    {"alt", "arpa", "example", "internal", "invalid", "local", "localhost", "onion"}
)
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SUPPORTED_DID_METHODS = ("plc", "web")
_PLC_ID = re.compile(r"did:plc:[a-z2-7]{24}")


def normalize_handle(handle: str) -> str:
    """The handle lower-cased (a UI's leading ``@`` dropped), checked to be resolvable."""
    if not isinstance(handle, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"a handle is a str, got {type(handle).__name__}")
    normal = handle.removeprefix("@").lower()
    problem = check_format("handle", normal)
    if problem is not None:
        raise InvalidIdentifierError(handle, problem)
    tld = normal.rpartition(".")[2]
    if tld in _UNRESOLVABLE_TLDS:
        raise InvalidIdentifierError(handle, f"handles under .{tld} can not be resolved")
    return normal


def normalize_did(did: str) -> str:
    """The DID, checked: valid syntax and a method atproto resolves (``plc`` or ``web``)."""
    if not isinstance(did, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"a DID is a str, got {type(did).__name__}")
    problem = check_format("did", did)
    if problem is not None:
        raise InvalidIdentifierError(did, problem)
    method = did.split(":")[1]
    if method not in SUPPORTED_DID_METHODS:
        raise InvalidIdentifierError(
            did, f"did:{method} is not an atproto DID method (did:plc and did:web are)"
        )
    if method == "plc" and _PLC_ID.fullmatch(did) is None:
        raise InvalidIdentifierError(
            did, "a did:plc is 'did:plc:' + 24 base32 characters (a-z, 2-7)"
        )
    return did


def _web_origin(host: str, identifier: str, *, allow_insecure_loopback: bool) -> str:
    """``https://host``; ``http://`` only for a loopback host when the dev option allows it."""
    try:
        parts = urlsplit(f"//{host}")
        hostname, port = parts.hostname or "", parts.port
    except ValueError:
        raise InvalidIdentifierError(identifier, f"{host!r} is not a host name") from None
    if hostname in _LOOPBACK_HOSTS:
        if not allow_insecure_loopback:
            raise InvalidIdentifierError(
                identifier,
                f"{hostname} is a loopback host; resolving it needs "
                "ResolverOptions(allow_insecure_loopback=True) (testing only)",
            )
        return f"http://{host}"
    if port is not None:
        raise InvalidIdentifierError(identifier, "a port is only allowed for a loopback host")
    return f"https://{host}"


def did_document_url(did: str, plc_url: str, *, allow_insecure_loopback: bool = False) -> str:
    """Where the document of a (checked) DID is served."""
    if did.startswith("did:plc:"):
        return f"{plc_url.rstrip('/')}/{quote(did, safe=':')}"
    rest = did.removeprefix("did:web:")
    if ":" in rest:
        raise InvalidIdentifierError(did, "did:web with a path is not supported by atproto")
    host = unquote(rest).lower()
    if not host or any(c in host for c in "/?#@ "):
        raise InvalidIdentifierError(did, "did:web must name a host")
    origin = _web_origin(host, did, allow_insecure_loopback=allow_insecure_loopback)
    return f"{origin}/.well-known/did.json"


def well_known_url(handle: str) -> str:
    return f"https://{handle}/.well-known/atproto-did"


def did_from_txt(handle: str, name: str, texts: Iterable[str]) -> str | None:
    """The DID of the ``did=`` TXT records at ``name``; None when there is none.

    Other TXT values are ignored (the spec); several different DIDs make the handle ambiguous.
    """
    dids = sorted({text[4:].strip() for text in texts if text.startswith("did=")})
    valid = [did for did in dids if is_valid_did(did)]
    if len(valid) > 1:
        raise HandleAmbiguousError(
            handle, f"DNS TXT {name} names {len(valid)} different DIDs: {', '.join(valid)}"
        )
    return valid[0] if valid else None


def did_from_well_known(body: bytes) -> str | None:
    """The DID in a ``/.well-known/atproto-did`` answer (surrounding whitespace allowed)."""
    try:
        text = body.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    return text if is_valid_did(text) else None
