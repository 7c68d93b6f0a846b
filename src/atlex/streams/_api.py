"""Opening streams: any generated subscription module, and the two the protocol defines."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias

from atlex._model import UnknownMember
from atlex.streams._async import AsyncStream
from atlex.streams._core import StreamCore, StreamOptions
from atlex.streams._frame import MessageDecoder, message_types
from atlex.streams._sync import Stream
from atlex.streams.errors import VerificationError

if TYPE_CHECKING:
    from atlex.identity import AsyncIdentityResolver, IdentityResolver
    from atlex.lex.com.atproto.label import subscribe_labels as _labels
    from atlex.lex.com.atproto.sync import subscribe_repos as _repos
    from atlex.streams._commit import RepoCommit

    RepoMessage: TypeAlias = (
        RepoCommit | _repos.Sync | _repos.Identity | _repos.Account | _repos.Info | UnknownMember
    )
    LabelMessage: TypeAlias = _labels.Labels | _labels.Info | UnknownMember
else:
    RepoMessage = Any
    LabelMessage = Any

__all__ = [
    "LabelMessage",
    "RepoMessage",
    "async_subscribe",
    "async_subscribe_labels",
    "async_subscribe_repos",
    "subscribe",
    "subscribe_labels",
    "subscribe_repos",
]


def _core(
    service: str,
    module: ModuleType,
    params: Mapping[str, Any] | None,
    cursor: int | None,
    options: StreamOptions | None,
    overrides: Mapping[str, type[Any]] | None = None,
    **option_kwargs: Any,
) -> StreamCore:
    messages = message_types(getattr(module, "Message", None))  # none declared: all kept as data
    messages.update(overrides or {})
    decoder = MessageDecoder(module.NSID, messages, getattr(module, "ERRORS", {}))
    opts = replace(options or StreamOptions(), **option_kwargs)
    return StreamCore(service, decoder, params, cursor=cursor, options=opts)


def subscribe(
    service: str,
    module: ModuleType,
    params: Mapping[str, Any] | None = None,
    *,
    cursor: int | None = None,
    options: StreamOptions | None = None,
    **option_kwargs: Any,
) -> Stream[Any]:
    """A blocking stream of the subscription a generated module defines (its ``NSID``,
    ``Message`` union and ``ERRORS``) on ``service`` (``https://...`` becomes ``wss://``)."""
    return Stream(_core(service, module, params, cursor, options, **option_kwargs))


def async_subscribe(
    service: str,
    module: ModuleType,
    params: Mapping[str, Any] | None = None,
    *,
    cursor: int | None = None,
    options: StreamOptions | None = None,
    **option_kwargs: Any,
) -> AsyncStream[Any]:
    """The asyncio twin of :func:`subscribe`."""
    return AsyncStream(_core(service, module, params, cursor, options, **option_kwargs))


def _repos_core(
    service: str, cursor: int | None, options: StreamOptions | None, option_kwargs: dict[str, Any]
) -> StreamCore:
    from atlex.lex.com.atproto.sync import subscribe_repos
    from atlex.streams._commit import RepoCommit

    return _core(
        service, subscribe_repos, None, cursor, options, {"#commit": RepoCommit}, **option_kwargs
    )


def subscribe_repos(
    service: str,
    *,
    cursor: int | None = None,
    verify: bool = False,
    resolver: IdentityResolver | None = None,
    on_invalid: Callable[[VerificationError], None] | None = None,
    options: StreamOptions | None = None,
    **option_kwargs: Any,
) -> Stream[RepoMessage]:
    """``com.atproto.sync.subscribeRepos`` on a PDS or relay: commits (as :class:`RepoCommit`,
    whose ops decode their records typed by collection), syncs, identity and account events,
    and ``Info`` messages (e.g. ``OutdatedCursor``).

    ``verify=True`` checks each commit's signature (keys from ``resolver``, a default
    :class:`atlex.identity.IdentityResolver` if none is given) and its inductive proof; a bad
    one raises :class:`CommitSignatureError` / :class:`CommitProofError`, or goes to
    ``on_invalid`` and is left out of the stream. ``option_kwargs`` set :class:`StreamOptions`
    fields (``reconnect=False``, ``max_queue=8``, ...)."""
    core = _repos_core(service, cursor, options, option_kwargs)
    if not verify:
        return Stream(core)
    from atlex.identity import IdentityResolver
    from atlex.streams._verify import Verifier

    owned = resolver is None
    checker = Verifier(resolver or IdentityResolver(), on_invalid)
    return Stream(core, after=checker, on_close=checker.resolver.close if owned else None)


def async_subscribe_repos(
    service: str,
    *,
    cursor: int | None = None,
    verify: bool = False,
    resolver: AsyncIdentityResolver | None = None,
    on_invalid: Callable[[VerificationError], None] | None = None,
    options: StreamOptions | None = None,
    **option_kwargs: Any,
) -> AsyncStream[RepoMessage]:
    """The asyncio twin of :func:`subscribe_repos` (``resolver`` is an
    :class:`atlex.identity.AsyncIdentityResolver`)."""
    core = _repos_core(service, cursor, options, option_kwargs)
    if not verify:
        return AsyncStream(core)
    from atlex.identity import AsyncIdentityResolver
    from atlex.streams._verify import AsyncVerifier

    owned = resolver is None
    checker = AsyncVerifier(resolver or AsyncIdentityResolver(), on_invalid)
    return AsyncStream(core, after=checker, on_close=checker.resolver.aclose if owned else None)


def subscribe_labels(
    service: str,
    *,
    cursor: int | None = None,
    options: StreamOptions | None = None,
    **option_kwargs: Any,
) -> Stream[LabelMessage]:
    """``com.atproto.label.subscribeLabels`` on a labeler (e.g. Ozone)."""
    from atlex.lex.com.atproto.label import subscribe_labels as module

    return Stream(_core(service, module, None, cursor, options, **option_kwargs))


def async_subscribe_labels(
    service: str,
    *,
    cursor: int | None = None,
    options: StreamOptions | None = None,
    **option_kwargs: Any,
) -> AsyncStream[LabelMessage]:
    """The asyncio twin of :func:`subscribe_labels`."""
    from atlex.lex.com.atproto.label import subscribe_labels as module

    return AsyncStream(_core(service, module, None, cursor, options, **option_kwargs))
