"""The sans-I/O core of an event stream: the URL to connect to, the cursor, what a frame
means, and when (and how long to wait before) reconnecting. The sync and async drivers
(``_sync.py``, ``_async.py``) only move bytes and sleep; every decision is made here once.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from atlex.errors import XrpcResponseError
from atlex.streams._frame import MessageDecoder
from atlex.streams.errors import StreamConnectionError

__all__ = ["SKIP", "StreamCore", "StreamOptions", "websocket_url"]

SKIP: Any = object()
"""What a stream's ``after`` hook returns for an event to leave out."""

RETRYABLE_ERRORS = frozenset({"ConsumerTooSlow"})
"""Error frames after which a reconnect from the last cursor is the remedy."""


@dataclass(frozen=True)
class StreamOptions:
    """How a stream connects, buffers and recovers. Defaults suit a long-running consumer."""

    reconnect: bool = True
    """Reconnect after a lost connection, resuming from the last cursor seen."""
    max_retries: int | None = None
    """Consecutive failed attempts before giving up (None: never give up)."""
    backoff_initial: float = 0.5
    """Seconds before the first reconnect; doubles with each failed attempt..."""
    backoff_max: float = 30.0
    """...up to this cap. Each wait is drawn between half and all of it (jitter)."""
    max_frame_size: int = 5 * 1024 * 1024
    """Largest frame accepted, in bytes (a commit's CAR slice is at most 2 MB by the lexicon).
    A larger one raises FrameTooLargeError."""
    max_queue: int = 32
    """Frames read ahead of the consumer. When full, the stream stops reading the socket; the
    server then buffers, and when its own limit is hit it drops the connection (ConsumerTooSlow),
    after which the stream reconnects from the last cursor. Memory stays bounded by
    ``max_queue * max_frame_size`` plus the socket buffers."""
    open_timeout: float = 10.0
    """Seconds for the TCP + TLS + websocket handshake."""
    ping_interval: float | None = 20.0
    """Seconds between keep-alive pings (None: no pings)."""
    ping_timeout: float | None = 20.0
    """Seconds to wait for the pong before treating the connection as dead."""
    idle_timeout: float | None = 120.0
    """Seconds without any frame before the connection is treated as dead and reopened
    (None: wait forever). A quiet PDS may legitimately send nothing for a while."""


def websocket_url(service: str, nsid: str, params: Mapping[str, Any]) -> str:
    """``https://host`` -> ``wss://host/xrpc/<nsid>?<params>`` (``http`` -> ``ws``)."""
    parts = urlsplit(service)
    scheme = {"https": "wss", "http": "ws", "wss": "wss", "ws": "ws"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValueError(f"expected an http(s):// or ws(s):// service URL, got {service!r}")
    path = parts.path.rstrip("/") + f"/xrpc/{nsid}"
    query = urlencode(
        [
            (k, str(v).lower() if isinstance(v, bool) else v)
            for k, v in params.items()
            if v is not None
        ]
    )
    return urlunsplit((scheme, parts.netloc, path, query, ""))


class StreamCore:
    """State of one logical subscription across connections."""

    def __init__(
        self,
        service: str,
        decoder: MessageDecoder,
        params: Mapping[str, Any] | None = None,
        *,
        cursor: int | None = None,
        options: StreamOptions | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.service = service
        self.decoder = decoder
        self.params = {k: v for k, v in (params or {}).items() if k != "cursor"}
        self.cursor = cursor
        """The last sequence number delivered (what a reconnect resumes after)."""
        self.options = options or StreamOptions()
        self.failures = 0
        self.connections = 0
        self._rng = rng or random.Random()
        websocket_url(service, decoder.nsid, {})  # a bad service URL fails at once

    @property
    def nsid(self) -> str:
        return self.decoder.nsid

    def url(self) -> str:
        """Where to connect now (with ``cursor`` when one is known)."""
        return websocket_url(self.service, self.nsid, {**self.params, "cursor": self.cursor})

    def connected(self) -> None:
        self.connections += 1
        self.failures = 0

    def feed(self, frame: bytes) -> Any:
        """The message in ``frame``; advances the cursor past it."""
        message: Any = self.decoder.decode(frame)
        kind: object = message.__class__  # compared below: `message` is not narrowed
        seq: object = message.get("seq") if kind is dict else getattr(message, "seq", None)
        if type(seq) is int:  # not a bool
            self.cursor = seq
        return message

    def retry_delay(self, failure: BaseException) -> float:
        """Seconds to wait before reconnecting after ``failure``; raises (``failure`` itself for
        an error frame, else :class:`StreamConnectionError`) when the stream must stop."""
        if isinstance(failure, XrpcResponseError) and failure.error not in RETRYABLE_ERRORS:
            raise failure
        options = self.options
        if not options.reconnect or (
            options.max_retries is not None and self.failures >= options.max_retries
        ):
            tries = f" after {self.failures + 1} attempts" if options.reconnect else ""
            raise StreamConnectionError(
                f"connection to {self.service} lost{tries}: {failure}",
                cursor=self.cursor,
                nsid=self.nsid,
            ) from failure
        ceiling = min(options.backoff_max, options.backoff_initial * 2**self.failures)
        self.failures += 1
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)
