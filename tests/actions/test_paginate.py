"""atlex.paginate: cursors passed along, stops on a missing, empty or repeated cursor, starts
from a given cursor, async twin, and refuses a method that takes no cursor."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

import atlex


@dataclass
class Page:
    items: list[int]
    cursor: str | None = None


@dataclass
class Server:
    pages: dict[str | None, Page]
    calls: list[dict[str, object]] = field(default_factory=list)

    def query(self, *, actor: str, limit: int = 2, cursor: str | None = None) -> Page:
        self.calls.append({"actor": actor, "limit": limit, "cursor": cursor})
        return self.pages[cursor]

    async def aquery(self, *, actor: str, limit: int = 2, cursor: str | None = None) -> Page:
        return self.query(actor=actor, limit=limit, cursor=cursor)


def server(last_cursor: str | None) -> Server:
    return Server(
        {None: Page([1, 2], "a"), "a": Page([3, 4], "b"), "b": Page([5], last_cursor), "": Page([])}
    )


@pytest.mark.parametrize("last", [None, ""])
def test_pages_follow_the_cursor_until_there_is_none(last: str | None) -> None:
    s = server(last)
    pages = atlex.paginate(s.query, actor="alice", limit=2)
    assert s.calls == []  # lazy
    assert [p.items for p in pages] == [[1, 2], [3, 4], [5]]
    assert s.calls == [
        {"actor": "alice", "limit": 2, "cursor": None},
        {"actor": "alice", "limit": 2, "cursor": "a"},
        {"actor": "alice", "limit": 2, "cursor": "b"},
    ]
    assert list(atlex.paginate(s.query, actor="alice").items(lambda p: p.items)) == [1, 2, 3, 4, 5]


def test_a_repeated_cursor_stops_the_walk() -> None:
    s = Server({None: Page([1], "a"), "a": Page([2], "b"), "b": Page([3], "a")})
    assert list(atlex.paginate(s.query, actor="x").items(lambda p: p.items)) == [1, 2, 3]


def test_a_given_cursor_is_where_paging_starts() -> None:
    s = server(None)
    assert [p.items for p in atlex.paginate(s.query, actor="x", cursor="a")] == [[3, 4], [5]]


@pytest.mark.anyio
async def test_async_pages_and_items() -> None:
    s = server(None)
    pages = atlex.paginate(s.aquery, actor="x")
    assert isinstance(pages, atlex._paginate.AsyncPages)
    assert [p.items async for p in pages] == [[1, 2], [3, 4], [5]]
    assert [i async for i in atlex.paginate(s.aquery, actor="x").items(lambda p: p.items)] == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_a_method_without_a_cursor_is_refused() -> None:
    def not_paginated(*, actor: str) -> Page:
        return Page([])

    with pytest.raises(TypeError, match="takes no cursor"):
        atlex.paginate(not_paginated, actor="x")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
