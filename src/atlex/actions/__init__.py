"""Everyday actions: what ``Client.post`` / ``like`` / ``follow`` ... take beyond plain values.

* :class:`Image`, :class:`Video`, :class:`External` — media for ``client.post(...)``.
* :func:`image_info` — type and displayed size of a PNG, JPEG, WebP or GIF from its header.
* :func:`fetch_external` / :func:`fetch_external_async` — an opt-in link card from a page's
  Open Graph tags.
"""

from atlex.actions._imageinfo import ImageInfo, UnknownImageError, image_info
from atlex.actions._media import External, Image, Video
from atlex.actions._opengraph import (
    OpenGraph,
    fetch_external,
    fetch_external_async,
    parse_open_graph,
)

__all__ = [
    "External",
    "Image",
    "ImageInfo",
    "OpenGraph",
    "UnknownImageError",
    "Video",
    "fetch_external",
    "fetch_external_async",
    "image_info",
    "parse_open_graph",
]
