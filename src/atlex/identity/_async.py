"""The async resolver: performs the core's effects with httpx and dnspython's async resolver."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import anyio
import httpx

from atlex.identity._cache import IdentityCache, MemoryCache
from atlex.identity._cache import now as wall_clock
from atlex.identity._core import (
    MAX_ANSWER_BYTES,
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
from atlex.identity._keys import PublicKey
from atlex.identity._options import ResolverOptions
from atlex.identity._sync import describe_http_error

__all__ = ["AsyncIdentityResolver"]

T = TypeVar("T")
log = logging.getLogger("atlex.identity")


class AsyncIdentityResolver:
    """Resolves handles and DIDs (async twin of :class:`IdentityResolver`).

    Stale entries are revalidated in a background task under asyncio; under trio (no task group
    to borrow) the stale entry is refreshed before answering instead.
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
        self._tasks: set[asyncio.Task[None]] = set()

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
        for task in list(self._tasks):
            task.cancel()
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
                    with anyio.fail_after(self.options.timeout + 1):
                        answer = await self._dns.lookup(effect.name)
                else:
                    await self._revalidate(effect)
            except TimeoutError:
                failure = TxtFailed(f"no answer within {self.options.timeout}s")
            except (FetchFailed, TxtFailed) as exc:
                failure = exc

    async def _revalidate(self, effect: Revalidate) -> None:
        async def run() -> None:
            try:
                await self._run(effect.flow())
            except Exception as exc:  # the stale entry stays; the next lookup tries again
                log.debug("revalidating %s failed: %s", effect.key, exc)

        try:
            asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): refresh inline
            await run()
            return
        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fetch(self, effect: Fetch) -> Reply:
        timeout = self.options.timeout
        try:
            with anyio.fail_after(timeout):
                async with self._http.stream(
                    "GET",
                    effect.url,
                    headers={"Accept": effect.accept},
                    timeout=timeout,
                    follow_redirects=True,
                ) as response:
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > MAX_ANSWER_BYTES:
                            break
                    return Reply(
                        response.status_code,
                        response.headers.get("content-type", ""),
                        bytes(body[:MAX_ANSWER_BYTES]),
                        too_large=len(body) > MAX_ANSWER_BYTES,
                    )
        except (TimeoutError, httpx.TimeoutException):
            raise FetchFailed(f"no answer within {timeout}s", timeout=True) from None
        except httpx.HTTPError as exc:
            raise FetchFailed(describe_http_error(exc)) from None
