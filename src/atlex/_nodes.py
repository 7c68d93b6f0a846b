"""The namespace tree: what a client and its generated namespaces share.

``client.app.bsky.feed`` is a chain of nodes; each creates its children on first access (the
generated namespace modules are imported then, not with the client) and hands every call to the
client at the root (``_invoke``), which owns the settings and the I/O.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar

from atlex._headers import CallOptions
from atlex._method import Method, Subscription

__all__ = ["AsyncNamespace", "AsyncNode", "Node", "SyncNamespace", "SyncNode"]


class Node:
    """Lazily created child namespaces, cached per instance."""

    _children: dict[str, Any]

    def _owner(self) -> Any:
        raise NotImplementedError

    def _child(self, module: str, classname: str) -> Any:
        key = f"{module}:{classname}"
        child = self._children.get(key)
        if child is None:
            child = getattr(importlib.import_module(module), classname)(self._owner())
            self._children[key] = child
        return child


class SyncNode(Node):
    _asynchronous: ClassVar[bool] = False  # whether calls are awaited (bodies may be async)

    def _invoke(
        self,
        method: Method,
        params: Mapping[str, Any] | None,
        input: object,
        options: CallOptions | None,
        loose: bool = False,
    ) -> Any:
        raise NotImplementedError

    def _call(
        self,
        method: Method,
        params: dict[str, Any] | None,
        input: Any,
        options: CallOptions | None,
    ) -> Any:
        """Run one generated method (what every sync stub calls)."""
        return self._invoke(method, params, input, options)


class AsyncNode(Node):
    _asynchronous: ClassVar[bool] = True

    async def _invoke(
        self,
        method: Method,
        params: Mapping[str, Any] | None,
        input: object,
        options: CallOptions | None,
        loose: bool = False,
    ) -> Any:
        raise NotImplementedError

    async def _call(
        self,
        method: Method,
        params: dict[str, Any] | None,
        input: Any,
        options: CallOptions | None,
    ) -> Any:
        """Run one generated method (what every async stub awaits)."""
        return await self._invoke(method, params, input, options)


class SyncNamespace(SyncNode):
    """Base of generated sync namespaces (``client.app.bsky.feed``)."""

    def __init__(self, client: SyncNode) -> None:
        self._client: SyncNode = client
        self._children = {}

    def _owner(self) -> Any:
        return self._client

    def _invoke(
        self,
        method: Method,
        params: Mapping[str, Any] | None,
        input: object,
        options: CallOptions | None,
        loose: bool = False,
    ) -> Any:
        return self._client._invoke(method, params, input, options, loose)

    def _subscribe(
        self, sub: Subscription, params: dict[str, Any], settings: Mapping[str, Any]
    ) -> Any:
        """Open one generated subscription (what every sync subscription stub calls)."""
        from atlex.streams._open import open_stream

        return open_stream(self._client, sub, params, settings, asynchronous=False)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


class AsyncNamespace(AsyncNode):
    """Base of generated async namespaces."""

    def __init__(self, client: AsyncNode) -> None:
        self._client: AsyncNode = client
        self._children = {}

    def _owner(self) -> Any:
        return self._client

    async def _invoke(
        self,
        method: Method,
        params: Mapping[str, Any] | None,
        input: object,
        options: CallOptions | None,
        loose: bool = False,
    ) -> Any:
        return await self._client._invoke(method, params, input, options, loose)

    def _subscribe(
        self, sub: Subscription, params: dict[str, Any], settings: Mapping[str, Any]
    ) -> Any:
        """Open one generated subscription: an async iterator, not awaited (``async for``)."""
        from atlex.streams._open import open_stream

        return open_stream(self._client, sub, params, settings, asynchronous=True)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"
