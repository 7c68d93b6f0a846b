"""A stream's websocket, in both forms: the part of the drivers that differs between tasks and
threads.

The driver is written once, async (``streams/_async.py``); ``tools/unasync.py`` writes its sync
twin and maps each async name below to its sync counterpart (``AsyncSocket`` ->
``ThreadSocket``, ...). They differ in websockets' client (asyncio / sync), how a receive is
timed out, and the lock the sync one needs because ``close()`` may come from another thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from atlex.streams._core import StreamCore
from atlex.streams._drive import connect_kwargs

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection as AsyncConnection
    from websockets.sync.client import ClientConnection

__all__ = [
    "AfterHook",
    "AsyncAfterHook",
    "AsyncCloseHook",
    "AsyncSocket",
    "CloseHook",
    "ThreadSocket",
]

AfterHook = Callable[[Any], Any]
"""Runs on each message before it is returned (signature verification)."""
CloseHook = Callable[[], None]
"""Runs once when the stream is closed (closes a resolver the stream owns)."""
AsyncAfterHook = Callable[[Any], Awaitable[Any]]
"""Runs on each message before it is returned (signature verification)."""
AsyncCloseHook = Callable[[], Awaitable[None]]
"""Runs once when the stream is closed (closes a resolver the stream owns)."""


class AsyncSocket:
    """The stream's one connection at a time, for tasks; once closed it stays closed."""

    def __init__(self, core: StreamCore) -> None:
        self._core = core
        self._ws: AsyncConnection | None = None
        self._closed = asyncio.Event()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def recv(self) -> str | bytes:
        """The next frame, connecting first when there is no connection."""
        ws = self._ws or await self._connect()
        return await asyncio.wait_for(ws.recv(), self._core.options.idle_timeout)

    async def _connect(self) -> AsyncConnection:
        from websockets.asyncio.client import connect

        ws = await connect(self._core.url(), **connect_kwargs(self._core.options))
        if self._closed.is_set():
            await ws.close()
            raise StopAsyncIteration
        self._ws = ws
        self._core.connected()
        return ws

    async def drop(self) -> None:
        """Close the connection (the next :meth:`recv` opens a new one)."""
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()

    async def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the stream is closed meanwhile."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._closed.wait(), seconds)

    async def close(self) -> None:
        self._closed.set()
        await self.drop()


class ThreadSocket:
    """The stream's one connection at a time, for threads; ``close()`` may come from any
    thread; once closed it stays closed."""

    def __init__(self, core: StreamCore) -> None:
        self._core = core
        self._ws: ClientConnection | None = None
        self._closed = threading.Event()
        self._lock = threading.Lock()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def recv(self) -> str | bytes:
        """The next frame, connecting first when there is no connection."""
        ws = self._ws or self._connect()
        return ws.recv(timeout=self._core.options.idle_timeout)

    def _connect(self) -> ClientConnection:
        from websockets.sync.client import connect

        opened = cast(
            "ClientConnection", connect(self._core.url(), **connect_kwargs(self._core.options))
        )
        # entering marks the connection as managed here (websockets 17 warns otherwise);
        # it is closed by drop()
        ws = opened.__enter__()
        with self._lock:
            if self._closed.is_set():
                ws.close()
                raise StopIteration
            self._ws = ws
        self._core.connected()
        return ws

    def drop(self) -> None:
        """Close the connection (the next :meth:`recv` opens a new one)."""
        with self._lock:
            ws, self._ws = self._ws, None
        if ws is not None:
            ws.close()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the stream is closed meanwhile."""
        self._closed.wait(seconds)

    def close(self) -> None:
        self._closed.set()
        self.drop()
