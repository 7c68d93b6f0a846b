"""The asyncio driver of an event stream: ``websockets``' asyncio client around
:class:`StreamCore` (the same decisions as the blocking driver, made in the same core).

``async for message in stream``; ``await stream.aclose()`` or ``async with`` ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from atlex.errors import XrpcResponseError
from atlex.streams._core import SKIP, StreamCore
from atlex.streams._drive import connect_kwargs, connection_failure, frame_too_large

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

__all__ = ["AsyncStream"]

M = TypeVar("M")


class AsyncStream(Generic[M]):
    """An async iterator of a subscription's typed messages. Also an async context manager."""

    def __init__(
        self,
        core: StreamCore,
        *,
        after: Callable[[Any], Awaitable[Any]] | None = None,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.core = core
        self._after = after
        self._on_close = on_close
        self._ws: ClientConnection | None = None
        self._closed = asyncio.Event()

    @property
    def cursor(self) -> int | None:
        """The last sequence number delivered; pass it as ``cursor=`` to resume later."""
        return self.core.cursor

    def __aiter__(self) -> AsyncStream[M]:
        return self

    async def __anext__(self) -> M:
        while True:
            if self._closed.is_set():
                raise StopAsyncIteration
            try:
                ws = self._ws or await self._connect()
                frame = await asyncio.wait_for(ws.recv(), self.core.options.idle_timeout)
            except Exception as exc:
                if self._closed.is_set():
                    raise StopAsyncIteration from None
                await self._drop()
                too_big = frame_too_large(exc, self.core)
                if too_big is not None:
                    raise too_big from exc
                await self._wait(self.core.retry_delay(connection_failure(exc)))
                continue
            try:
                message = self.core.feed(frame)  # pyright: ignore[reportArgumentType]
            except XrpcResponseError as exc:  # an error frame: reconnect if that is the remedy
                await self._drop()
                await self._wait(self.core.retry_delay(exc))  # raises unless retryable
                continue
            if self._after is not None:
                message = await self._after(message)
                if message is SKIP:  # left out (reported to the verification callback)
                    continue
            return message

    async def _connect(self) -> ClientConnection:
        from websockets.asyncio.client import connect

        ws = await connect(self.core.url(), **connect_kwargs(self.core.options))
        if self._closed.is_set():
            await ws.close()
            raise StopAsyncIteration
        self._ws = ws
        self.core.connected()
        return ws

    async def _drop(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._closed.wait(), seconds)

    async def aclose(self) -> None:
        """End the stream: the connection closes and iteration stops."""
        self._closed.set()
        await self._drop()
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            await on_close()

    async def __aenter__(self) -> AsyncStream[M]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
