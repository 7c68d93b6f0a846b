"""Bad input to ``post`` fails with a clear error before any request: an image over the blob
limit, an unknown image format, more than 4 images, text over 300 graphemes, ..."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from atlex import AsyncClient, Client, LexValidationError
from atlex._model import RULES
from atlex.actions import External, Image, Video
from atlex.lex.app.bsky.embed import images as images_lex
from atlex.richtext import RichText

pytestmark = pytest.mark.anyio


def png(width: int = 2, height: int = 3, padding: int = 0) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    ihdr = (
        struct.pack(">I", 13) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    )
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"\x00" * padding


IMAGE_LIMIT = RULES[images_lex.Image]["image"]["max_size"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent, but {request.url} was")


CASES: list[tuple[dict[str, Any], str]] = [
    ({"text": "a" * 301}, "301 graphemes"),
    (
        {"text": "👨‍👩‍👧‍👧" * 121},
        "at most 300 graphemes and 3000 bytes",
    ),  # 121 graphemes, 3025 bytes
    ({"text": RichText("é" * 301)}, "301 graphemes"),
    ({"images": [Image(png(), alt=str(i)) for i in range(5)]}, "5 images, a post holds at most 4"),
    (
        {"images": [Image(b"BM not an image", alt="x")]},
        r"images\[0\]: not a PNG, JPEG, WebP or GIF",
    ),
    ({"images": [Image(png(), alt="x"), Image(b"%PDF-1.7", alt="y")]}, r"images\[1\]"),
    (
        {"images": [Image(png(padding=IMAGE_LIMIT), alt="big")]},
        f"over the {IMAGE_LIMIT}-byte limit",
    ),
    ({"images": [Image(png(), alt=None)]}, "alt text is required"),  # type: ignore[arg-type]
    ({"images": [Image(png(), alt="x", aspect_ratio=(0, 3))]}, "aspect_ratio"),
    (
        {"images": [Image(png(), alt="x")], "external": External("https://a.example", "t")},
        "one kind of media",
    ),
    ({"video": Video(b"not an mp4 at all")}, "not an MP4"),
    ({"external": External("not a uri", "title")}, "is not a URI"),
    ({"external": External("https://a.example", "t", thumb=b"GIF87")}, "external.thumb"),
    ({"langs": ["en", "fr", "de", "es"]}, "langs: 4 given, at most 3"),
    ({"langs": ["not a language!"]}, "BCP-47"),
    ({"tags": ["x" * 65]}, "1 to 64 graphemes"),
    ({"created_at": "yesterday"}, "created_at: invalid datetime"),
]


@pytest.mark.parametrize(("kwargs", "message"), CASES)
async def test_bad_post_input_fails_before_anything_is_sent(
    kwargs: dict[str, Any], message: str
) -> None:
    text = kwargs.pop("text", "hello @alice.test example.com")  # mentions would need requests
    client = Client("https://pds.test", transport=httpx.MockTransport(_refuse))
    with pytest.raises((LexValidationError, ValueError), match=message):
        client.post(text, **kwargs)
    aclient = AsyncClient("https://pds.test", transport=httpx.MockTransport(_refuse))
    with pytest.raises((LexValidationError, ValueError), match=message):
        await aclient.post(text, **kwargs)


def test_wrong_types_name_the_argument(tmp_path: Path) -> None:
    client = Client("https://pds.test", transport=httpx.MockTransport(_refuse))
    with pytest.raises(TypeError, match=r"images\[0\]"):
        client.post("x", images=[b"raw bytes"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="text"):
        client.post(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reply_to"):
        client.post("x", reply_to=42)
    with pytest.raises(LexValidationError, match="reply_to"):
        client.post("x", reply_to="https://bsky.app/profile/alice/post/1")
    with pytest.raises(FileNotFoundError):
        client.post("x", images=[Image(tmp_path / "missing.png", alt="x")])
