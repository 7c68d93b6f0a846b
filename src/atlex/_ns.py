"""The runtime surface generated namespace modules use (``from atlex import _ns``).

What :mod:`atlex._rt` is to generated types, this is to generated namespaces: a stable facade, so
the runtime can move things around without regenerating. Import-light on purpose: a namespace
module loads the namespace bases only; the generated ``client`` module reaches the client
classes through here too, loaded on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Unpack

from atlex._body import BinaryBody, BinaryInput
from atlex._headers import CallOptions
from atlex._method import Method, Subscription
from atlex._nodes import AsyncNamespace, SyncNamespace

if TYPE_CHECKING:
    from atlex._client import AsyncClient as AsyncClient
    from atlex._client import Client as Client
    from atlex._stream_settings import AsyncRepoStreamSettings as AsyncRepoStreamSettings
    from atlex._stream_settings import RepoStreamSettings as RepoStreamSettings
    from atlex._stream_settings import StreamSettings as StreamSettings
    from atlex.streams import AsyncStream as AsyncStream
    from atlex.streams import RepoMessage as RepoMessage
    from atlex.streams import Stream as Stream

__all__ = [
    "AsyncClient",
    "AsyncNamespace",
    "AsyncRepoStreamSettings",
    "AsyncStream",
    "BinaryBody",
    "BinaryInput",
    "CallOptions",
    "Client",
    "Method",
    "RepoMessage",
    "RepoStreamSettings",
    "Stream",
    "StreamSettings",
    "Subscription",
    "SyncNamespace",
    "Unpack",
]

_LAZY = {
    "Client": "atlex._client",  # only the generated client module asks for these two
    "AsyncClient": "atlex._client",
    # named in subscription stubs' (quoted) annotations only: loaded if something evaluates them
    "Stream": "atlex.streams",
    "AsyncStream": "atlex.streams",
    "RepoMessage": "atlex.streams",
    "StreamSettings": "atlex._stream_settings",
    "RepoStreamSettings": "atlex._stream_settings",
    "AsyncRepoStreamSettings": "atlex._stream_settings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'atlex._ns' has no attribute {name!r}")
