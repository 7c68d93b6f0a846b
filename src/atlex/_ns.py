"""The runtime surface generated namespace modules use (``from atlex import _ns``).

What :mod:`atlex._rt` is to generated types, this is to generated namespaces: a stable facade, so
the runtime can move things around without regenerating. Import-light on purpose: a namespace
module loads the namespace bases only; the generated ``client`` module reaches the client
classes through here too, loaded on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from atlex._body import BinaryBody, BinaryInput
from atlex._headers import CallOptions
from atlex._method import Method
from atlex._nodes import AsyncNamespace, SyncNamespace

if TYPE_CHECKING:
    from atlex._client import AsyncClient as AsyncClient
    from atlex._client import Client as Client

__all__ = [
    "AsyncClient",
    "AsyncNamespace",
    "BinaryBody",
    "BinaryInput",
    "CallOptions",
    "Client",
    "Method",
    "SyncNamespace",
]

_CLIENTS = frozenset({"Client", "AsyncClient"})


def __getattr__(name: str) -> Any:
    if name in _CLIENTS:  # only the generated client module asks for these
        return getattr(importlib.import_module("atlex._client"), name)
    raise AttributeError(f"module 'atlex._ns' has no attribute {name!r}")
