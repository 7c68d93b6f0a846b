"""The vocabulary between the identity core and its drivers: the effects a flow yields
(:class:`Fetch`, :class:`LookupTxt`, :class:`Revalidate`) and the answers or failures it gets
back. :mod:`atlex.identity._core` decides; ``_async`` / ``_sync`` (through ``_io``) perform."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

__all__ = [
    "MAX_ANSWER_BYTES",
    "Effect",
    "Fetch",
    "FetchFailed",
    "Flow",
    "LookupTxt",
    "Reply",
    "Revalidate",
    "TxtAnswer",
    "TxtFailed",
]

T = TypeVar("T")
MAX_ANSWER_BYTES = 256 * 1024
"""Larger answers (a DID document is ~1 KiB) are refused rather than read."""


# --- effects and their answers ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fetch:
    """GET ``url``; answer a :class:`Reply`, or throw :class:`FetchFailed` in."""

    url: str
    accept: str


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    too_large: bool = False


class FetchFailed(Exception):
    """The request got no answer (connection, TLS, timeout); ``timeout`` tells which."""

    def __init__(self, reason: str, *, timeout: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timeout = timeout


@dataclass(frozen=True, slots=True)
class LookupTxt:
    """The TXT strings at ``name``; answer a :class:`TxtAnswer`, or throw :class:`TxtFailed`."""

    name: str


@dataclass(frozen=True, slots=True)
class TxtAnswer:
    texts: tuple[str, ...]
    status: Literal["ok", "nxdomain", "nodata", "no-dnspython"]


class TxtFailed(Exception):
    """No DNS server answered (timeout, refused, SERVFAIL)."""


@dataclass(frozen=True, slots=True)
class Revalidate:
    """Start ``flow`` in the background (its outcome is ignored); answer None."""

    key: str
    flow: Callable[[], Flow[Any]]


Effect = Fetch | LookupTxt | Revalidate
Flow = Generator[Effect, Any, T]
