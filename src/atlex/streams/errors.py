"""Errors of event streams (``atlex.streams``).

::

    XrpcError
    ├── XrpcResponseError ── <generated>      an error frame the subscription declares
    │                                          (subscribe_repos.FutureCursorError, ...)
    └── StreamError                           the stream itself failed
        ├── FrameError                        a frame that is not a valid event-stream frame
        │   └── FrameTooLargeError            a frame over ``max_frame_size``
        ├── StreamConnectionError             could not (re)connect, or gave up reconnecting
        └── VerificationError                 a commit failed ``verify=True`` (names repo, seq)
            ├── CommitSignatureError          not signed by the account's signing key
            └── CommitProofError              the blocks do not prove the ops (sync 1.1)

Error frames the lexicon does not declare are raised as plain ``XrpcResponseError``.
"""

from __future__ import annotations

from typing import Any

from atlex.errors import XrpcError

__all__ = [
    "CommitProofError",
    "CommitSignatureError",
    "FrameError",
    "FrameTooLargeError",
    "StreamConnectionError",
    "StreamError",
    "VerificationError",
]


class StreamError(XrpcError):
    """An event stream failed (``nsid`` names the subscription)."""


class FrameError(StreamError):
    """A frame that is not a valid event-stream frame; the message says what is wrong."""

    def __init__(self, message: str, *, nsid: str | None = None) -> None:
        super().__init__("InvalidFrame", message, nsid=nsid)


class FrameTooLargeError(FrameError):
    """A frame larger than the stream's ``max_frame_size``. Not retried: the same frame would
    come again. Raise the limit (``max_frame_size=``) to read it."""

    def __init__(self, limit: int, *, cursor: int | None, nsid: str | None = None) -> None:
        self.limit = limit
        self.cursor = cursor
        after = f" after seq {cursor}" if cursor is not None else ""
        super().__init__(f"a frame{after} is larger than max_frame_size={limit} bytes", nsid=nsid)


class StreamConnectionError(StreamError):
    """The stream could not connect, or lost its connection and reconnecting is off or gave up.
    ``cursor`` is the last sequence number delivered: pass it as ``cursor=`` to resume."""

    def __init__(self, message: str, *, cursor: int | None, nsid: str | None = None) -> None:
        self.cursor = cursor
        super().__init__("ConnectionFailed", message, nsid=nsid)


class VerificationError(StreamError):
    """A commit that failed verification; ``repo`` and ``seq`` name it, ``event`` is the
    event itself (the typed message)."""

    event: Any = None

    def __init__(self, error: str, message: str, *, repo: str, seq: int) -> None:
        self.repo = repo
        self.seq = seq
        super().__init__(error, f"{message} (repo {repo}, seq {seq})")


class CommitSignatureError(VerificationError):
    """The commit is not signed by the account's current signing key."""

    def __init__(self, message: str, *, repo: str, seq: int) -> None:
        super().__init__("BadCommitSignature", message, repo=repo, seq=seq)


class CommitProofError(VerificationError):
    """The commit's blocks do not prove its ops (the sync 1.1 inductive proof failed)."""

    def __init__(self, message: str, *, repo: str, seq: int) -> None:
        super().__init__("BadCommitProof", message, repo=repo, seq=seq)
