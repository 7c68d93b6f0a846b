"""The keyword settings a generated subscription stub accepts (``**settings``), typed for
checkers: ``client.com.atproto.sync.subscribe_repos(cursor=0, verify=True, max_queue=8)``.

The :class:`StreamOptions` fields are repeated here (a ``TypedDict`` cannot be derived from a
dataclass); a unit test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from atlex.identity import AsyncIdentityResolver, IdentityResolver
    from atlex.streams._core import StreamOptions
    from atlex.streams.errors import VerificationError

__all__ = ["AsyncRepoStreamSettings", "RepoStreamSettings", "StreamSettings", "setting_names"]


class StreamSettings(TypedDict, total=False):
    """Settings of any subscription stub; every one is optional."""

    service: str
    """Where to connect instead of the client's service (a relay, another PDS): ``https://``
    becomes ``wss://``."""
    options: StreamOptions
    """A whole :class:`StreamOptions`; the fields below override single ones."""
    reconnect: bool
    max_retries: int | None
    backoff_initial: float
    backoff_max: float
    max_frame_size: int
    max_queue: int
    open_timeout: float
    ping_interval: float | None
    ping_timeout: float | None
    idle_timeout: float | None


class RepoStreamSettings(StreamSettings, total=False):
    """``subscribeRepos`` on ``Client``: verification too (see
    :func:`atlex.streams.subscribe_repos`)."""

    verify: bool
    resolver: IdentityResolver
    on_invalid: Callable[[VerificationError], None]


class AsyncRepoStreamSettings(StreamSettings, total=False):
    """``subscribeRepos`` on ``AsyncClient`` (the resolver is an async one)."""

    verify: bool
    resolver: AsyncIdentityResolver
    on_invalid: Callable[[VerificationError], None]


def setting_names() -> frozenset[str]:
    """Every settings keyword: a generated stub's lexicon parameters must not take these."""
    return frozenset(RepoStreamSettings.__annotations__) | {"self", "settings"}
