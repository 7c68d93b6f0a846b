"""Sync twins are generated from their async sources (tools/unasync.py): no drift, and the
transform is token-level (strings and comments other than forward references untouched)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import unasync  # noqa: E402


def test_sync_twins_match_their_async_sources() -> None:
    for source, target in unasync.PAIRS.items():
        have = (ROOT / target).read_text(encoding="utf-8")
        assert have == unasync.sync_twin(source, target), f"{target}: run `make unasync`"


def test_transform_drops_async_and_renames_tokens_only() -> None:
    source = (
        "async def f(c: AsyncClient) -> None:\n"
        "    # await the AsyncClient\n"
        '    x = "AsyncClient"\n'
        '    y = "await aclose AsyncClient"\n'
        "    async with c.stream() as r:\n"
        "        async for b in r.aiter_bytes():\n"
        "            await c.aclose()\n"
        "    aclose_later = 1\n"
    )
    assert unasync.transform(source) == (
        "def f(c: Client) -> None:\n"
        "    # await the AsyncClient\n"
        '    x = "Client"\n'
        '    y = "await aclose AsyncClient"\n'
        "    with c.stream() as r:\n"
        "        for b in r.iter_bytes():\n"
        "            c.close()\n"
        "    aclose_later = 1\n"
    )
