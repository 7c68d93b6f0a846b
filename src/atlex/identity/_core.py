"""Identity resolution written once, as generators that yield effects (sans-I/O).

A flow yields :class:`Fetch` (an HTTP GET), :class:`LookupTxt` (a DNS TXT query) or
:class:`Revalidate` (run another flow in the background) and receives the answer; the sync and
async resolvers (``_sync``, ``_async``) perform the effects (defined in ``_effects``, re-exported
here). Cache policy, the spec's rules and every error decision live here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from atlex.errors import (
    DidDeactivatedError,
    DidDocumentError,
    DidNotFoundError,
    HandleAmbiguousError,
    HandleNotFoundError,
    IdentityError,
    IdentityUnreachableError,
    InvalidKeyError,
    MissingPdsError,
    MissingSigningKeyError,
)
from atlex.identity._cache import CacheEntry, IdentityCache
from atlex.identity._document import DidDocument
from atlex.identity._effects import (
    MAX_ANSWER_BYTES,
    Effect,
    Fetch,
    FetchFailed,
    Flow,
    LookupTxt,
    Reply,
    Revalidate,
    TxtAnswer,
    TxtFailed,
)
from atlex.identity._keys import PublicKey
from atlex.identity._names import (
    INVALID_HANDLE,
    did_document_url,
    did_from_txt,
    did_from_well_known,
    normalize_did,
    normalize_handle,
    well_known_url,
)
from atlex.identity._options import ResolverOptions

__all__ = [
    "MAX_ANSWER_BYTES",
    "Effect",
    "Fetch",
    "FetchFailed",
    "Flow",
    "Identity",
    "IdentityCore",
    "LookupTxt",
    "Reply",
    "Revalidate",
    "TxtAnswer",
    "TxtFailed",
]

T = TypeVar("T")


# --- the verified identity --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identity:
    """A DID with its verified handle, PDS and signing key."""

    did: str
    handle: str
    """The handle, when the DID document claims it and it resolves back to the DID; otherwise
    ``"handle.invalid"``."""
    pds: str
    """The PDS endpoint (``#atproto_pds``), without a trailing slash."""
    signing_key: PublicKey
    """The ``#atproto`` key that signs the account's repository commits."""
    document: DidDocument = field(repr=False)

    @property
    def handle_is_valid(self) -> bool:
        return self.handle != INVALID_HANDLE

    def to_json(self) -> dict[str, str]:
        return {
            "did": self.did,
            "handle": self.handle,
            "pds": self.pds,
            "signingKey": self.signing_key.did_key,
        }


# --- the core -------------------------------------------------------------------------------

_MISS_ERRORS: dict[str, type[IdentityError]] = {
    cls.code: cls
    for cls in (
        HandleNotFoundError,
        HandleAmbiguousError,
        DidNotFoundError,
        DidDeactivatedError,
        DidDocumentError,
    )
}


class IdentityCore:
    """Options, cache and clock shared by a resolver's flows."""

    def __init__(
        self, options: ResolverOptions, cache: IdentityCache, clock: Callable[[], float]
    ) -> None:
        self.options = options
        self.cache = cache
        self.clock = clock
        self._revalidating: set[str] = set()
        self._lock = threading.Lock()

    # -- public flows ---------------------------------------------------------------------

    def resolve_handle(self, handle: str, *, fresh: bool = False) -> Flow[str]:
        """handle -> DID (not verified: see :meth:`resolve`)."""
        normal = normalize_handle(handle)
        return self._cached(
            f"handle:{normal}",
            lambda: self._load_handle(normal),
            lambda entry: _entry_did(normal, entry),
            fresh=fresh,
        )

    def resolve_did(self, did: str, *, fresh: bool = False) -> Flow[DidDocument]:
        """DID -> its document."""
        normalize_did(did)
        return self._cached(
            f"did:{did}",
            lambda: self._load_did(did),
            lambda e: _entry_document(did, e),
            fresh=fresh,
        )

    def resolve(self, identifier: str, *, fresh: bool = False) -> Flow[Identity]:
        """A handle or DID -> the verified identity."""
        if identifier.startswith("did:"):
            document = yield from self.resolve_did(identifier, fresh=fresh)
            handle = INVALID_HANDLE
            claimed = document.handle
            if claimed is not None and (yield from self._points_to(claimed, identifier, fresh)):
                handle = claimed
        else:
            asked = normalize_handle(identifier)
            did = yield from self.resolve_handle(asked, fresh=fresh)
            document = yield from self.resolve_did(did, fresh=fresh)
            handle = asked if document.handle == asked else INVALID_HANDLE
        return _identity(document, handle)

    def resolve_signing_key(self, did: str, *, fresh: bool = False) -> Flow[PublicKey]:
        document = yield from self.resolve_did(did, fresh=fresh)
        return _signing_key(document)

    def lookup_did_txt(self, name: str) -> Flow[str | None]:
        """The DID of the ``did=`` TXT records at ``name`` (e.g. ``_lexicon.<authority>``);
        None when there is none. Not cached."""
        try:
            answer: TxtAnswer = yield LookupTxt(name)
        except TxtFailed as exc:
            raise IdentityUnreachableError(name, f"DNS {name}: no answer ({exc})") from None
        if answer.status == "no-dnspython":
            raise IdentityError(name, "DNS TXT lookups need dnspython: install atlex[dns]")
        return did_from_txt(name, name, answer.texts)

    def purge(self, identifier: str) -> None:
        """Forget what is cached about a DID or handle (and the handle/DID it was linked to)."""
        if identifier.startswith("did:"):
            keys = [f"did:{identifier}"]
            entry = self.cache.get(keys[0])
            if entry is not None and entry.value is not None:
                try:
                    claimed = DidDocument.parse(identifier, entry.value).handle
                except IdentityError:
                    claimed = None
                if claimed is not None:
                    keys.append(f"handle:{claimed}")
        else:
            normal = identifier.removeprefix("@").lower()
            keys = [f"handle:{normal}"]
            entry = self.cache.get(keys[0])
            if entry is not None and entry.value is not None:
                keys.append(f"did:{entry.value}")
        for key in keys:
            self.cache.delete(key)

    # -- caching --------------------------------------------------------------------------

    def _cached(
        self,
        key: str,
        load: Callable[[], Flow[CacheEntry]],
        decode: Callable[[CacheEntry], T],
        *,
        fresh: bool,
    ) -> Flow[T]:
        entry = None if fresh else self.cache.get(key)
        if entry is not None:
            age = self.clock() - entry.stored_at
            ttl = self.options.miss_ttl if entry.is_miss else self.options.ttl
            if 0 <= age < ttl:
                return decode(entry)
            if not entry.is_miss and age < ttl + self.options.stale_while_revalidate:
                if self._claim(key):
                    yield Revalidate(key, lambda: self._refresh(key, load, release=True))
                return decode(entry)
        entry = yield from self._refresh(key, load)
        return decode(entry)

    def _claim(self, key: str) -> bool:
        with self._lock:
            if key in self._revalidating:
                return False
            self._revalidating.add(key)
            return True

    def _refresh(
        self, key: str, load: Callable[[], Flow[CacheEntry]], *, release: bool = False
    ) -> Flow[CacheEntry]:
        try:
            try:
                entry = yield from load()
            except IdentityUnreachableError:
                raise  # transient: keep what is cached
            except IdentityError as exc:
                if exc.code in _MISS_ERRORS:
                    self.cache.set(key, CacheEntry(None, self.clock(), exc.code, exc.reason))
                raise
            self.cache.set(key, entry)
            return entry
        finally:
            if release:
                with self._lock:
                    self._revalidating.discard(key)

    # -- loaders --------------------------------------------------------------------------

    def _load_handle(self, handle: str) -> Flow[CacheEntry]:
        notes: list[str] = []
        unreachable = False
        definite = False  # some method answered authoritatively (not found, or a wrong answer)
        for method in self.options.handle_methods:
            if method == "dns":
                name = f"_atproto.{handle}"
                try:
                    answer: TxtAnswer = yield LookupTxt(name)
                except TxtFailed as exc:
                    unreachable = True
                    notes.append(f"DNS {name}: no answer ({exc})")
                    continue
                if answer.status == "no-dnspython":
                    notes.append("DNS TXT was not tried: install atlex[dns] (dnspython)")
                    continue
                definite = True
                did = did_from_txt(handle, name, answer.texts)
                if did is not None:
                    return CacheEntry(did, self.clock())
                detail = {"nxdomain": "no such name (NXDOMAIN)", "nodata": "no TXT record"}
                notes.append(f"DNS {name}: {detail.get(answer.status, 'no did= TXT record')}")
            else:
                url = well_known_url(handle)
                try:
                    reply: Reply = yield Fetch(url, "text/plain")
                except FetchFailed as exc:
                    unreachable = unreachable or exc.timeout
                    notes.append(f"HTTPS {url}: {exc.reason}")
                    continue
                definite = True
                if 200 <= reply.status < 300:
                    did = None if reply.too_large else did_from_well_known(reply.body)
                    if did is not None:
                        return CacheEntry(did, self.clock())
                    what = reply.content_type or "no content type"
                    notes.append(f"HTTPS {url}: the answer ({what}) is not a DID")
                else:
                    unreachable = unreachable or reply.status >= 500
                    notes.append(f"HTTPS {url}: HTTP {reply.status}")
        reason = "; ".join(notes)
        if unreachable and not definite:
            raise IdentityUnreachableError(handle, reason)
        raise HandleNotFoundError(handle, reason)

    def _load_did(self, did: str) -> Flow[CacheEntry]:
        url = did_document_url(
            did, self.options.plc_url, allow_insecure_loopback=self.options.allow_insecure_loopback
        )
        try:
            reply: Reply = yield Fetch(url, "application/did+ld+json, application/json")
        except FetchFailed as exc:
            raise IdentityUnreachableError(did, f"{url}: {exc.reason}") from None
        said = _server_message(reply)
        # a PLC tombstone: 410 from plc.directory, 404 "DID not available" from older servers
        if reply.status == 410 or (reply.status == 404 and "not available" in said):
            raise DidDeactivatedError(
                did, f"{url} answered HTTP {reply.status}{said}: the DID is deactivated"
            )
        if reply.status in (400, 404):
            raise DidNotFoundError(did, f"{url} answered HTTP {reply.status}{said}")
        if reply.status >= 500 or reply.status in (408, 429):
            raise IdentityUnreachableError(did, f"{url} answered HTTP {reply.status}")
        if not 200 <= reply.status < 300:
            raise DidNotFoundError(did, f"{url} answered HTTP {reply.status}")
        if reply.too_large:
            raise DidDocumentError(did, f"{url}: the document is over {MAX_ANSWER_BYTES} bytes")
        document = DidDocument.parse(did, reply.body)  # raises DidDocumentError
        return CacheEntry(document.to_json().decode(), self.clock())

    def _points_to(self, handle: str, did: str, fresh: bool) -> Flow[bool]:
        """Whether ``handle`` resolves to ``did`` (a handle that does not resolve: False)."""
        try:
            found = yield from self.resolve_handle(handle, fresh=fresh)
        except IdentityUnreachableError:
            raise
        except IdentityError:
            return False
        return found == did


def _server_message(reply: Reply) -> str:
    """`` ("<message>")`` from a JSON error body, else empty."""
    if not reply.content_type.startswith("application/json") or reply.too_large:
        return ""
    try:
        body: object = json.loads(reply.body)
    except ValueError:
        return ""
    message = cast("dict[str, object]", body).get("message") if isinstance(body, dict) else None
    return f" ({message[:200]!r})" if isinstance(message, str) and message else ""


def _entry_did(handle: str, entry: CacheEntry) -> str:
    if entry.value is None:
        raise _miss_error(entry, handle)
    return entry.value


def _entry_document(did: str, entry: CacheEntry) -> DidDocument:
    if entry.value is None:
        raise _miss_error(entry, did)
    return DidDocument.parse(did, entry.value)


def _miss_error(entry: CacheEntry, identifier: str) -> IdentityError:
    cls = _MISS_ERRORS.get(entry.error or "", HandleNotFoundError)
    return cls(identifier, f"{entry.reason} (cached)")


def _signing_key(document: DidDocument) -> PublicKey:
    try:
        key = document.signing_key
    except InvalidKeyError as exc:
        raise MissingSigningKeyError(
            document.id, f"its #atproto key is unusable: {exc.reason}"
        ) from None
    if key is None:
        raise MissingSigningKeyError(document.id, "the DID document names no #atproto key")
    return key


def _identity(document: DidDocument, handle: str) -> Identity:
    pds = document.pds_endpoint
    if pds is None:
        raise MissingPdsError(
            document.id, "the DID document names no #atproto_pds service with an http(s) URL"
        )
    return Identity(document.id, handle, pds, _signing_key(document), document)
