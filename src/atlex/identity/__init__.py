"""Identity: handles, DIDs, DID documents and keys — one resolver for everything that needs them.

::

    from atlex.identity import IdentityResolver

    with IdentityResolver() as resolver:
        who = resolver.resolve("alice.bsky.social")    # or a did:plc / did:web
        who.did, who.handle, who.pds, who.signing_key  # handle is "handle.invalid" if unverified

* handle -> DID: DNS TXT ``_atproto.<handle>`` (dnspython, the ``atlex[dns]`` extra), then HTTPS
  ``https://<handle>/.well-known/atproto-did``; a DNS answer wins (the handle spec);
* DID -> :class:`DidDocument`: ``did:plc`` from the PLC directory, ``did:web`` (host only);
* :class:`Identity`: the bidirectional check (the document must claim the handle and the handle
  must resolve to the DID), the PDS endpoint and the signing key;
* :class:`PublicKey`: ``did:key`` / Multikey (P-256, secp256k1), ``verify()`` enforcing low-S;
* a cache (:class:`MemoryCache` by default, any :class:`IdentityCache`) with TTLs for hits and
  misses and stale-while-revalidate; ``resolver.purge(did)`` forgets an identity.

Errors are :class:`atlex.errors.IdentityError` subclasses naming the identifier and the reason.
:class:`AsyncIdentityResolver` is the async twin; both run the same sans-I/O core.
"""

from __future__ import annotations

from atlex.identity._async import AsyncIdentityResolver
from atlex.identity._cache import CacheEntry, IdentityCache, MemoryCache, NullCache
from atlex.identity._core import Identity
from atlex.identity._document import DidDocument, Service, VerificationMethod
from atlex.identity._keys import Curve, PublicKey, parse_did_key, parse_multikey
from atlex.identity._names import INVALID_HANDLE, normalize_did, normalize_handle
from atlex.identity._options import DEFAULT_PLC_URL, ResolverOptions
from atlex.identity._sync import IdentityResolver

__all__ = [
    "DEFAULT_PLC_URL",
    "INVALID_HANDLE",
    "AsyncIdentityResolver",
    "CacheEntry",
    "Curve",
    "DidDocument",
    "Identity",
    "IdentityCache",
    "IdentityResolver",
    "MemoryCache",
    "NullCache",
    "PublicKey",
    "ResolverOptions",
    "Service",
    "VerificationMethod",
    "normalize_did",
    "normalize_handle",
    "parse_did_key",
    "parse_multikey",
]
