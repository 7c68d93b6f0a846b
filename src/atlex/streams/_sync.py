"""The blocking driver of an event stream: ``websockets``' sync client around :class:`StreamCore`.

Iterate it (``for message in stream``); ``close()`` (from any thread) or the ``with`` block
ends it. A lost connection is reopened after the core's backoff, resuming from the last cursor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from atlex.errors import XrpcResponseError
from atlex.streams._core import SKIP, StreamCore
from atlex.streams._drive import connect_kwargs, connection_failure, frame_too_large

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

__all__ = ["Stream"]

M = TypeVar("M")


class Stream(Generic[M]):
    """A blocking iterator of a subscription's typed messages. Also a context manager."""

    def __init__(
        self,
        core: StreamCore,
        *,
        after: Callable[[Any], Any] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.core = core
        self._after = after
        self._on_close = on_close
        self._ws: ClientConnection | None = None
        self._closed = threading.Event()
        self._lock = threading.Lock()

    @property
    def cursor(self) -> int | None:
        """The last sequence number delivered; pass it as ``cursor=`` to resume later."""
        return self.core.cursor

    def __iter__(self) -> Iterator[M]:
        return self

    def __next__(self) -> M:
        while True:
            if self._closed.is_set():
                raise StopIteration
            try:
                ws = self._ws or self._connect()
                frame = ws.recv(timeout=self.core.options.idle_timeout)
            except Exception as exc:
                if self._closed.is_set():
                    raise StopIteration from None
                self._drop()
                too_big = frame_too_large(exc, self.core)
                if too_big is not None:
                    raise too_big from exc
                self._wait(self.core.retry_delay(connection_failure(exc)))
                continue
            try:
                message = self.core.feed(frame)  # pyright: ignore[reportArgumentType]
            except XrpcResponseError as exc:  # an error frame: reconnect if that is the remedy
                self._drop()
                self._wait(self.core.retry_delay(exc))  # raises unless retryable
                continue
            if self._after is not None:
                message = self._after(message)
                if message is SKIP:  # left out (reported to the verification callback)
                    continue
            return message

    def _connect(self) -> ClientConnection:
        from websockets.sync.client import connect

        opened = cast(
            "ClientConnection", connect(self.core.url(), **connect_kwargs(self.core.options))
        )
        # entering marks the connection as managed here (websockets 17 warns otherwise);
        # it is closed by _drop()
        ws = opened.__enter__()
        with self._lock:
            if self._closed.is_set():
                ws.close()
                raise StopIteration
            self._ws = ws
        self.core.connected()
        return ws

    def _drop(self) -> None:
        with self._lock:
            ws, self._ws = self._ws, None
        if ws is not None:
            ws.close()

    def _wait(self, seconds: float) -> None:
        self._closed.wait(seconds)

    def close(self) -> None:
        """End the stream: the connection closes and iteration stops (safe from any thread)."""
        self._closed.set()
        self._drop()
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()

    def __enter__(self) -> Stream[M]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
