"""Image type and pixel size from the first bytes of a PNG, JPEG, WebP or GIF file (no image
library needed). JPEG sizes follow the EXIF orientation: a phone photo stored sideways reports
the size it is displayed at, which is what a post's ``aspectRatio`` describes."""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["ImageInfo", "UnknownImageError", "image_info"]


class UnknownImageError(ValueError):
    """The bytes are not a PNG, JPEG, WebP or GIF image whose size can be read."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    mime_type: str
    width: int
    height: int


def image_info(data: bytes) -> ImageInfo:
    """The MIME type and displayed size of an image, or :class:`UnknownImageError`."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return _gif(data)
    raise UnknownImageError("not a PNG, JPEG, WebP or GIF image (unrecognised file header)")


def _checked(mime: str, width: int, height: int) -> ImageInfo:
    if width <= 0 or height <= 0:
        raise UnknownImageError(f"{mime} header gives no size ({width}x{height})")
    return ImageInfo(mime, width, height)


def _png(data: bytes) -> ImageInfo:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise UnknownImageError("truncated PNG: no IHDR chunk")
    width, height = struct.unpack(">II", data[16:24])
    return _checked("image/png", width, height)


def _gif(data: bytes) -> ImageInfo:
    if len(data) < 10:
        raise UnknownImageError("truncated GIF header")
    width, height = struct.unpack("<HH", data[6:10])
    return _checked("image/gif", width, height)


def _webp(data: bytes) -> ImageInfo:
    chunk, body = data[12:16], data[20:]
    if chunk == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", body[6:10])
        return _checked("image/webp", width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        return _checked("image/webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X" and len(body) >= 10:
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        return _checked("image/webp", width, height)
    raise UnknownImageError("WebP without a readable VP8/VP8L/VP8X header")


# start-of-frame markers (not DHT C4, JPG C8, DAC CC), which carry the frame size
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})  # TEM, RSTn, SOI, EOI: no length field


def _jpeg(data: bytes) -> ImageInfo:
    pos, rotated = 2, False
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise UnknownImageError(f"corrupt JPEG: no marker at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos + 4 : pos + 2 + length]
        if marker == 0xE1 and segment.startswith(b"Exif\x00\x00"):
            rotated = _exif_orientation(segment[6:]) in (5, 6, 7, 8)
        elif marker in _SOF:
            if len(segment) < 5:
                break
            height, width = struct.unpack(">HH", segment[1:5])
            if rotated:
                width, height = height, width
            return _checked("image/jpeg", width, height)
        elif marker == 0xDA:  # image data starts: no frame header was found before it
            break
        pos += 2 + length
    raise UnknownImageError("JPEG without a readable frame header (SOF)")


def _exif_orientation(tiff: bytes) -> int:
    """The EXIF Orientation tag (1 when absent or unreadable)."""
    if tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return 1
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
        for i in range(count):
            entry = ifd + 2 + 12 * i
            tag, kind = struct.unpack(order + "HH", tiff[entry : entry + 4])
            if tag == 0x0112 and kind == 3:  # Orientation, SHORT
                (value,) = struct.unpack(order + "H", tiff[entry + 8 : entry + 10])
                return int(value)
    except struct.error:
        return 1
    return 1
