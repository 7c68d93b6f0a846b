"""Opt-in link cards from a page's Open Graph tags (``og:title``, ``og:description``,
``og:image``, falling back to ``<title>`` and ``<meta name="description">``), what the Bluesky
app fetches when a link is pasted. Nothing here runs unless called: ``post`` never fetches
pages on its own."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from atlex.actions._media import External

if TYPE_CHECKING:
    import httpx

__all__ = ["OpenGraph", "fetch_external", "fetch_external_async", "parse_open_graph"]

MAX_PAGE_BYTES = 2_000_000  # enough for any <head>; a larger page is read only this far


@dataclass(frozen=True, slots=True)
class OpenGraph:
    title: str
    description: str
    image: str | None


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta":
            key = (found.get("property") or found.get("name") or "").lower()
            if key and "content" in found:
                self.meta.setdefault(key, found["content"].strip())
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def parse_open_graph(html: str, base_url: str) -> OpenGraph:
    """The card fields of an HTML page (relative image URLs resolved against ``base_url``)."""
    parser = _Meta()
    parser.feed(html)
    meta = parser.meta
    title = meta.get("og:title") or meta.get("twitter:title") or parser.title.strip()
    description = (
        meta.get("og:description") or meta.get("twitter:description") or meta.get("description", "")
    )
    image = meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image")
    return OpenGraph(title, description, urljoin(base_url, image) if image else None)


def _graph_of(page: httpx.Response) -> OpenGraph:
    page.raise_for_status()
    html = page.content[:MAX_PAGE_BYTES].decode(page.encoding or "utf-8", "replace")
    return parse_open_graph(html, str(page.url))


def _card(url: str, graph: OpenGraph, thumb: bytes | None) -> External:
    return External(uri=url, title=graph.title, description=graph.description, thumb=thumb)


def _usable_thumb(data: bytes) -> bytes | None:
    from atlex.actions._imageinfo import UnknownImageError, image_info

    try:
        image_info(data)
    except UnknownImageError:
        return None  # e.g. an SVG: the card goes without a picture
    return data


def fetch_external(url: str, *, http: httpx.Client | None = None, thumb: bool = True) -> External:
    """A link card for ``url`` from its Open Graph tags (and its ``og:image`` as the thumb
    when ``thumb``), ready for ``client.post(..., external=...)``."""
    import httpx

    own = http is None
    client = httpx.Client(follow_redirects=True, timeout=10) if http is None else http
    try:
        graph = _graph_of(client.get(url))
        image = None
        if thumb and graph.image:
            got = client.get(graph.image)
            image = _usable_thumb(got.content) if got.is_success else None
        return _card(url, graph, image)
    finally:
        if own:
            client.close()


async def fetch_external_async(
    url: str, *, http: httpx.AsyncClient | None = None, thumb: bool = True
) -> External:
    """:func:`fetch_external` with an ``httpx.AsyncClient``."""
    import httpx

    own = http is None
    client = httpx.AsyncClient(follow_redirects=True, timeout=10) if http is None else http
    try:
        graph = _graph_of(await client.get(url))
        image = None
        if thumb and graph.image:
            got = await client.get(graph.image)
            image = _usable_thumb(got.content) if got.is_success else None
        return _card(url, graph, image)
    finally:
        if own:
            await client.aclose()
