"""The drivers of an event stream around :class:`StreamCore`: ``AsyncStream`` over websockets'
asyncio client and, generated from it, the blocking ``Stream`` over its sync client (the same
decisions, made in the same core).

``async for message in stream`` / ``for message in stream``; ``aclose()`` / ``close()`` (the
sync one from any thread), or the ``async with`` / ``with`` block, ends it. A lost connection
is reopened after the core's backoff, resuming from the last cursor.

Written once: ``streams/_async.py`` is the source, ``streams/_sync.py`` its generated twin
(``make unasync``; a test fails on drift). The websocket, which differs, is ``streams/_io``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Generic, TypeVar

from atlex.errors import XrpcResponseError
from atlex.streams._core import SKIP, StreamCore
from atlex.streams._drive import connection_failure, frame_too_large
from atlex.streams._io import AsyncAfterHook, AsyncCloseHook, AsyncSocket

__all__ = ["AsyncStream"]

M = TypeVar("M")


class AsyncStream(Generic[M]):
    """An iterator of a subscription's typed messages (``AsyncStream``: an async iterator).
    Also a context manager."""

    def __init__(
        self,
        core: StreamCore,
        *,
        after: AsyncAfterHook | None = None,
        on_close: AsyncCloseHook | None = None,
    ) -> None:
        self.core = core
        self._after = after
        self._on_close = on_close
        self._socket = AsyncSocket(core)

    @property
    def cursor(self) -> int | None:
        """The last sequence number delivered; pass it as ``cursor=`` to resume later."""
        return self.core.cursor

    def __aiter__(self) -> AsyncStream[M]:
        return self

    async def __anext__(self) -> M:
        socket = self._socket
        while True:
            if socket.closed:
                raise StopAsyncIteration
            try:
                frame = await socket.recv()
            except Exception as exc:
                if socket.closed:
                    raise StopAsyncIteration from None
                await socket.drop()
                too_big = frame_too_large(exc, self.core)
                if too_big is not None:
                    raise too_big from exc
                await socket.wait(self.core.retry_delay(connection_failure(exc)))
                continue
            try:
                message = self.core.feed(frame)  # pyright: ignore[reportArgumentType]
            except XrpcResponseError as exc:  # an error frame: reconnect if that is the remedy
                await socket.drop()
                await socket.wait(self.core.retry_delay(exc))  # raises unless retryable
                continue
            if self._after is not None:
                message = await self._after(message)
                if message is SKIP:  # left out (reported to the verification callback)
                    continue
            return message

    async def aclose(self) -> None:
        """End the stream: the connection closes and iteration stops."""
        await self._socket.close()
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
