"""The identity resolver: performs the core's effects with httpx and dnspython.

Written once: ``identity/_async.py`` (``AsyncIdentityResolver``, dnspython's async resolver)
is the source, ``identity/_sync.py`` (``IdentityResolver``, blocking) its generated twin
(``make unasync``; a test fails on drift). The I/O that differs is in ``identity/_io``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import httpx

from atlex.identity._cache import IdentityCache, MemoryCache
from atlex.identity._cache import now as wall_clock
from atlex.identity._core import (
    Fetch,
    FetchFailed,
    Flow,
    Identity,
    IdentityCore,
    LookupTxt,
    Reply,
    Revalidate,
    TxtFailed,
)
from atlex.identity._dns import AsyncTxtResolver
from atlex.identity._document import DidDocument
from atlex.identity._io import AsyncBackground, async_fetch
from atlex.identity._keys import PublicKey
from atlex.identity._options import ResolverOptions

__all__ = ["AsyncIdentityResolver"]

T = TypeVar("T")
log = logging.getLogger("atlex.identity")


class AsyncIdentityResolver:
    """Resolves handles and DIDs. Close it, or use it as a context manager, when done.

    ``http`` may be your own httpx client (it is then not closed here); ``cache`` defaults to
    a :class:`MemoryCache`. Stale entries are revalidated in the background: on a thread
    (``IdentityResolver``) or a task under asyncio (``AsyncIdentityResolver``; under trio, with
    no task group to borrow, the stale entry is refreshed before answering instead).
    """

    def __init__(
        self,
        options: ResolverOptions | None = None,
        *,
        cache: IdentityCache | None = None,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = wall_clock,
    ) -> None:
        self.options = options or ResolverOptions()
        self.cache: IdentityCache = cache if cache is not None else MemoryCache()
        self._core = IdentityCore(self.options, self.cache, clock)
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=self.options.timeout)
        self._dns = AsyncTxtResolver(self.options)
        self._tasks = AsyncBackground()

    async def resolve(self, identifier: str, *, fresh: bool = False) -> Identity:
        """A handle or DID -> the verified identity (``fresh``: bypass the cache)."""
        return await self._run(self._core.resolve(identifier, fresh=fresh))

    async def resolve_handle(self, handle: str, *, fresh: bool = False) -> str:
        """A handle -> the DID it names (not verified against the DID document)."""
        return await self._run(self._core.resolve_handle(handle, fresh=fresh))

    async def resolve_did(self, did: str, *, fresh: bool = False) -> DidDocument:
        """A ``did:plc`` / ``did:web`` -> its document."""
        return await self._run(self._core.resolve_did(did, fresh=fresh))

    async def resolve_signing_key(self, did: str, *, fresh: bool = False) -> PublicKey:
        """The ``#atproto`` signing key of a DID."""
        return await self._run(self._core.resolve_signing_key(did, fresh=fresh))

    async def lookup_did_txt(self, name: str) -> str | None:
        """The DID of the ``did=`` TXT records at a DNS name (``_lexicon.<authority>``, ...);
        None when there is none. HandleAmbiguousError when they name several DIDs."""
        return await self._run(self._core.lookup_did_txt(name))

    def purge(self, identifier: str) -> None:
        """Forget the cached resolutions of a DID or handle (e.g. after a key rotation)."""
        self._core.purge(identifier)

    async def aclose(self) -> None:
        self._tasks.cancel()
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncIdentityResolver:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the driver -----------------------------------------------------------------------

    async def _run(self, flow: Flow[T]) -> T:
        answer: Any = None
        failure: BaseException | None = None
        while True:
            try:
                effect = flow.send(answer) if failure is None else flow.throw(failure)
            except StopIteration as stop:
                return stop.value  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            answer, failure = None, None
            try:
                if isinstance(effect, Fetch):
                    answer = await self._fetch(effect)
                elif isinstance(effect, LookupTxt):
                    answer = await self._dns.lookup(effect.name)
                else:
                    await self._revalidate(effect)
            except (FetchFailed, TxtFailed) as exc:
                failure = exc

    async def _revalidate(self, effect: Revalidate) -> None:
        async def run() -> None:
            try:
                await self._run(effect.flow())
            except Exception as exc:  # the stale entry stays; the next lookup tries again
                log.debug("revalidating %s failed: %s", effect.key, exc)

        await self._tasks.start(run, f"atlex-identity {effect.key}")

    async def _fetch(self, effect: Fetch) -> Reply:
        return await async_fetch(self._http, effect, self.options.timeout)
