"""Event streams (the firehose): typed messages from ``subscribeRepos``, ``subscribeLabels`` and
any other lexicon ``subscription``, over websockets, with reconnect and resume.

    from atlex.streams import subscribe_repos, RepoCommit

    with subscribe_repos("https://pds.example") as stream:
        for event in stream:
            if isinstance(event, RepoCommit):
                for op in event.ops_in("app.bsky.feed.post"):
                    print(op.action, op.uri, op.record)   # post.Record, decoded on first read

Blocking streams (``Stream``) iterate with ``for`` and close with ``close()`` or ``with``;
``AsyncStream`` is the asyncio twin. Both are thin drivers over one sans-I/O core.

Clients have the same streams as generated calls, on their own service:
``client.com.atproto.sync.subscribe_repos(cursor=0, verify=True)`` (a ``Stream`` on ``Client``,
an ``AsyncStream`` on ``AsyncClient``), and likewise every generated lexicon ``subscription``.
"""

from __future__ import annotations

from atlex.streams._api import (
    LabelMessage,
    RepoMessage,
    async_subscribe,
    async_subscribe_labels,
    async_subscribe_repos,
    subscribe,
    subscribe_labels,
    subscribe_repos,
)
from atlex.streams._async import AsyncStream
from atlex.streams._commit import CommitOp, RepoCommit
from atlex.streams._core import StreamOptions
from atlex.streams._sync import Stream
from atlex.streams.errors import (
    CommitProofError,
    CommitSignatureError,
    FrameError,
    FrameTooLargeError,
    StreamConnectionError,
    StreamError,
    VerificationError,
)

__all__ = [
    "AsyncStream",
    "CommitOp",
    "CommitProofError",
    "CommitSignatureError",
    "FrameError",
    "FrameTooLargeError",
    "LabelMessage",
    "RepoCommit",
    "RepoMessage",
    "Stream",
    "StreamConnectionError",
    "StreamError",
    "StreamOptions",
    "VerificationError",
    "async_subscribe",
    "async_subscribe_labels",
    "async_subscribe_repos",
    "subscribe",
    "subscribe_labels",
    "subscribe_repos",
]
