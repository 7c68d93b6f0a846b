"""What the sync and async drivers share: websockets options and how its failures map onto
the stream's errors."""

from __future__ import annotations

from typing import Any

from atlex.errors import XrpcResponseError, status_error_code
from atlex.streams._core import StreamCore, StreamOptions
from atlex.streams.errors import FrameTooLargeError

__all__ = ["connect_kwargs", "connection_failure", "frame_too_large"]

_MESSAGE_TOO_BIG = 1009


def connect_kwargs(options: StreamOptions) -> dict[str, Any]:
    return {
        "open_timeout": options.open_timeout,
        "ping_interval": options.ping_interval,
        "ping_timeout": options.ping_timeout,
        "max_size": options.max_frame_size,
        "max_queue": options.max_queue,
        "compression": None,  # frames are CBOR + CAR: deflate costs CPU for little
        "close_timeout": 2,
    }


def frame_too_large(failure: BaseException, core: StreamCore) -> FrameTooLargeError | None:
    """The stream's error when websockets closed the connection over an oversized frame."""
    from websockets.exceptions import ConnectionClosed

    sent = failure.sent if isinstance(failure, ConnectionClosed) else None
    if sent is not None and sent.code == _MESSAGE_TOO_BIG:
        return FrameTooLargeError(core.options.max_frame_size, cursor=core.cursor, nsid=core.nsid)
    return None


def connection_failure(failure: BaseException) -> BaseException:
    """An HTTP refusal of the upgrade becomes the XRPC error it carries (4xx ones are final;
    408 and 429 and 5xx are retried); anything else is passed on as a transient failure."""
    from websockets.exceptions import InvalidStatus

    if isinstance(failure, InvalidStatus):
        response = failure.response
        status = response.status_code
        if 400 <= status < 500 and status not in (408, 429):
            body: Any = None
            error, message = status_error_code(status), None
            try:
                import json

                body = json.loads(response.body or b"")
                error = str(body.get("error") or error)
                message = body.get("message")
            except (ValueError, AttributeError):
                pass
            return XrpcResponseError(error, message, status=status, body=body)
    return failure
