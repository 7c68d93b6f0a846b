"""The seam between a client and authentication (upstream ``@atproto/lex-client`` agent.ts).

A client builds an :class:`XrpcRequest` (sans-I/O, path relative to the service) and hands it
to an agent. The agent owns the origin and the ``Authorization`` header, sends the request with
its own httpx client and returns the response. ``PasswordSession`` is an agent; so is the plain
unauthenticated one a client makes from a URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import httpx

__all__ = ["Agent", "AsyncAgent", "XrpcRequest"]


@dataclass(slots=True)
class XrpcRequest:
    """One XRPC request, before an agent gives it an origin and credentials."""

    method: Literal["GET", "POST"]
    path: str
    """``/xrpc/<nsid>`` plus the encoded query string, relative to the agent's service."""
    headers: list[tuple[str, str]] = field(default_factory=lambda: [], repr=False)
    """Kept out of the repr: a caller may have put credentials in them."""
    content: bytes | Iterable[bytes] | AsyncIterable[bytes] | None = field(default=None, repr=False)
    replayable: bool = True
    """False when ``content`` is a one-shot stream: an agent must then never resend it."""
    timeout: float | None = None
    """Seconds for the whole request; None keeps the agent's default."""
    stream: bool = False
    """Return a response whose body is not read yet (the caller closes it)."""


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
