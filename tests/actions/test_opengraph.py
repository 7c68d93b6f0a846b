"""The opt-in link card helper: Open Graph tags, fallbacks, relative image URLs, a thumb only
when it is an image atlex can read."""

from __future__ import annotations

import struct
import zlib

import httpx
import pytest

from atlex.actions import (
    External,
    OpenGraph,
    fetch_external,
    fetch_external_async,
    parse_open_graph,
)


def png() -> bytes:
    header = struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0)
    ihdr = (
        struct.pack(">I", 13) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    )
    return b"\x89PNG\r\n\x1a\n" + ihdr


PAGE = """<!doctype html><html><head><title>Fallback title</title>
<meta property="og:title" content="Caf&eacute; &amp; more">
<meta property="og:description" content=" The best coffee ">
<meta property="og:image" content="/img/card.png">
</head><body><meta property="og:title" content="ignored: the first wins"></body></html>"""


def site(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/post":
        return httpx.Response(200, html=PAGE)
    if request.url.path == "/img/card.png":
        return httpx.Response(200, content=png())
    if request.url.path == "/plain":
        return httpx.Response(
            200, html="<title> Just a title </title><meta name=description content=About>"
        )
    return httpx.Response(404)


def test_parse_open_graph_with_fallbacks() -> None:
    assert parse_open_graph(PAGE, "https://cafe.example/post") == OpenGraph(
        "Café & more", "The best coffee", "https://cafe.example/img/card.png"
    )
    assert parse_open_graph("<title> T </title>", "https://x.example/") == OpenGraph("T", "", None)


def test_fetch_external_builds_a_card_with_its_thumb() -> None:
    with httpx.Client(transport=httpx.MockTransport(site)) as http:
        card = fetch_external("https://cafe.example/post", http=http)
        assert card == External(
            "https://cafe.example/post", "Café & more", "The best coffee", png()
        )
        bare = fetch_external("https://cafe.example/plain", http=http)
        assert bare == External("https://cafe.example/plain", "Just a title", "About", None)
        no_thumb = fetch_external("https://cafe.example/post", http=http, thumb=False)
        assert no_thumb.thumb is None
        with pytest.raises(httpx.HTTPStatusError):
            fetch_external("https://cafe.example/missing", http=http)


@pytest.mark.anyio
async def test_fetch_external_async() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(site)) as http:
        card = await fetch_external_async("https://cafe.example/post", http=http)
    assert card.title == "Café & more" and card.thumb == png()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
