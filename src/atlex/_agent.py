"""The seam between a client and authentication (upstream ``@atproto/lex-client`` agent.ts).

A client builds an :class:`XrpcRequest` (sans-I/O, path relative to the service) and hands it
to an agent. The agent owns the origin and the ``Authorization`` header, sends the request with
its own httpx client and returns the response. ``PasswordSession`` is an agent; so is the plain
unauthenticated one a client makes from a URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import msgspec

if TYPE_CHECKING:  # httpx loads on the first request, not with the client
    import httpx

__all__ = ["Agent", "AnswerNote", "AsyncAgent", "XrpcRequest", "explained", "note_of"]


class XrpcRequest(msgspec.Struct):
    """One XRPC request, before an agent gives it an origin and credentials."""

    method: Literal["GET", "POST"]
    path: str
    """``/xrpc/<nsid>`` plus the encoded query string, relative to the agent's service."""
    headers: list[tuple[str, str]] = msgspec.field(default_factory=lambda: [])
    """Kept out of the repr: a caller may have put credentials in them."""
    content: bytes | Iterable[bytes] | AsyncIterable[bytes] | None = None
    replayable: bool = True
    """False when ``content`` is a one-shot stream: an agent must then never resend it."""
    timeout: float | None = None
    """Seconds for the whole request; None keeps the agent's default."""
    stream: bool = False
    """Return a response whose body is not read yet (the caller closes it)."""

    def __repr__(self) -> str:
        # headers and content stay out: a caller may have put credentials in them
        return (
            f"XrpcRequest(method={self.method!r}, path={self.path!r}, "
            f"replayable={self.replayable!r}, timeout={self.timeout!r}, stream={self.stream!r})"
        )


@runtime_checkable
class Agent(Protocol):
    """Sends requests for a synchronous client."""

    @property
    def did(self) -> str | None:
        """The authenticated account, if any."""
        ...

    def send(self, request: XrpcRequest) -> httpx.Response: ...


@runtime_checkable
class AsyncAgent(Protocol):
    """Sends requests for an asynchronous client."""

    @property
    def did(self) -> str | None:
        """The authenticated account, if any."""
        ...

    async def send(self, request: XrpcRequest) -> httpx.Response: ...


# -- an agent's word on a failed answer it hands back as it is ----------------------------------

_NOTE_KEY = "atlex.agent_note"
"""``httpx.Response.extensions`` key of the :class:`AnswerNote` an agent attached."""


class AnswerNote(msgspec.Struct, frozen=True):
    """Why an agent returns a failed answer unchanged (e.g. its token refresh failed).

    The client's error for that answer gets ``note`` as an exception note and ``cause`` as its
    ``__cause__``, so the caller can tell what the agent tried. (A Struct, not a dataclass:
    ``dataclasses`` would be imported with every client for this one class.)
    """

    note: str
    cause: BaseException | None = None


def explained(response: httpx.Response, note: AnswerNote) -> httpx.Response:
    """Attach ``note`` to ``response`` (read back with :func:`note_of`); returns ``response``."""
    response.extensions[_NOTE_KEY] = note
    return response


def note_of(response: httpx.Response) -> AnswerNote | None:
    """The :class:`AnswerNote` an agent attached to ``response``, if any."""
    note = response.extensions.get(_NOTE_KEY)
    return note if isinstance(note, AnswerNote) else None
