"""``atlex.paginate``: every page of a cursor-paginated query, sync or async, typed.

    for page in atlex.paginate(client.app.bsky.feed.get_author_feed, actor=did, limit=100):
        for item in page.feed: ...
    for item in atlex.paginate(client.app.bsky.graph.get_follows, actor=did).items(
        lambda page: page.follows
    ): ...                                                   # item: ProfileView
    async for page in atlex.paginate(async_client.app.bsky.feed.get_timeline, limit=50): ...

The method's own keyword arguments are checked by the type checker (``ParamSpec``); ``cursor=``
given there is where paging starts (resume a walk). Paging stops when the server gives no
cursor, an empty one, or one it gave before (a looping server would otherwise be paged forever).

A generic helper rather than a ``.iter()`` on every generated method: it works on any
generated or hand-written method that takes ``cursor`` and returns ``.cursor``, needs no
generator change, and costs nothing at import.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, Generic, ParamSpec, TypeVar, overload

__all__ = ["AsyncPages", "Pages", "paginate"]

P = ParamSpec("P")
Out = TypeVar("Out")
Item = TypeVar("Item")


class _Cursor:
    """Which cursor comes next (None: stop). Shared by the sync and async pages."""

    def __init__(self, start: object) -> None:
        self.next: str | None = start if isinstance(start, str) and start else None
        self._seen: set[str] = set()
        self.done = False

    def feed(self, page: object) -> None:
        cursor = getattr(page, "cursor", None)
        if not isinstance(cursor, str) or not cursor or cursor in self._seen:
            self.done = True
        else:
            self._seen.add(cursor)
            self.next = cursor


def _check(method: Callable[..., Any]) -> None:
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return
    if "cursor" not in params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        name = getattr(method, "__qualname__", repr(method))
        raise TypeError(f"{name} takes no cursor: it is not a paginated query")


class Pages(Generic[Out]):
    """The pages of a sync query (iterate it), or its items with :meth:`items`."""

    def __init__(self, method: Callable[..., Out], kwargs: dict[str, Any]) -> None:
        self._method = method
        self._kwargs = kwargs

    def __iter__(self) -> Iterator[Out]:
        cursor = _Cursor(self._kwargs.get("cursor"))
        while not cursor.done:
            kwargs = {**self._kwargs, "cursor": cursor.next} if cursor.next else self._kwargs
            page = self._method(**kwargs)
            cursor.feed(page)
            yield page

    def items(self, select: Callable[[Out], Iterable[Item]]) -> Iterator[Item]:
        """Every item of every page: ``select`` picks a page's list (``lambda p: p.feed``)."""
        for page in self:
            yield from select(page)


class AsyncPages(Generic[Out]):
    """The pages of an async query (``async for`` it), or its items with :meth:`items`."""

    def __init__(self, method: Callable[..., Awaitable[Out]], kwargs: dict[str, Any]) -> None:
        self._method = method
        self._kwargs = kwargs

    async def __aiter__(self) -> AsyncIterator[Out]:
        cursor = _Cursor(self._kwargs.get("cursor"))
        while not cursor.done:
            kwargs = {**self._kwargs, "cursor": cursor.next} if cursor.next else self._kwargs
            page = await self._method(**kwargs)
            cursor.feed(page)
            yield page

    async def items(self, select: Callable[[Out], Iterable[Item]]) -> AsyncIterator[Item]:
        """Every item of every page (``async for``)."""
        async for page in self:
            for item in select(page):
                yield item


@overload
def paginate(
    method: Callable[P, Awaitable[Out]], /, *args: P.args, **kwargs: P.kwargs
) -> AsyncPages[Out]: ...
@overload
def paginate(method: Callable[P, Out], /, *args: P.args, **kwargs: P.kwargs) -> Pages[Out]: ...
def paginate(method: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> Any:
    """The pages of the cursor-paginated query ``method`` called with ``kwargs`` (lazy:
    nothing is sent until iteration). An async method gives :class:`AsyncPages`."""
    if args:
        raise TypeError(
            "paginate passes keyword arguments only (the generated methods take no others)"
        )
    _check(method)
    if inspect.iscoroutinefunction(method):
        return AsyncPages(method, dict(kwargs))
    return Pages(method, dict(kwargs))
