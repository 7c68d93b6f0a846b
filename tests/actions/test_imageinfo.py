"""Image type and size from file headers: PNG, JPEG (with EXIF orientation), WebP (VP8, VP8L,
VP8X) and GIF, and clear errors for anything else."""

from __future__ import annotations

import struct
import zlib

import pytest

from atlex.actions import ImageInfo, UnknownImageError, image_info


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00;"


def exif(orientation: int, *, big_endian: bool) -> bytes:
    o = ">" if big_endian else "<"
    tiff = (b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(o + "I", 8)
    tiff += struct.pack(o + "H", 1) + struct.pack(o + "HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff += struct.pack(o + "I", 0)
    body = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def jpeg(width: int, height: int, *, marker: int = 0xC0, before: bytes = b"") -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return (
        b"\xff\xd8"
        + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
        + before
        + b"\xff\xc4\x00\x04\x00\x00"  # a DHT segment first: not a frame header
        + bytes([0xFF, marker]) + struct.pack(">H", len(sof) + 2) + sof
        + b"\xff\xda\x00\x02\xff\xd9"
    )  # fmt: skip


def riff(chunk: bytes, body: bytes) -> bytes:
    payload = b"WEBP" + chunk + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def webp_lossy(width: int, height: int) -> bytes:
    return riff(
        b"VP8 ", b"\x00\x00\x00\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\x00" * 4
    )


def webp_lossless(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    return riff(b"VP8L", b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 4)


def webp_extended(width: int, height: int) -> bytes:
    body = (
        b"\x10\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    )
    return riff(b"VP8X", body)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png(12, 7), ImageInfo("image/png", 12, 7)),
        (png(4000, 1), ImageInfo("image/png", 4000, 1)),
        (gif(5, 9), ImageInfo("image/gif", 5, 9)),
        (jpeg(640, 480), ImageInfo("image/jpeg", 640, 480)),
        (jpeg(640, 480, marker=0xC2), ImageInfo("image/jpeg", 640, 480)),  # progressive
        (jpeg(640, 480, before=b"\xff\xff"), ImageInfo("image/jpeg", 640, 480)),  # fill bytes
        (jpeg(640, 480, before=exif(1, big_endian=False)), ImageInfo("image/jpeg", 640, 480)),
        (jpeg(640, 480, before=exif(3, big_endian=True)), ImageInfo("image/jpeg", 640, 480)),
        (jpeg(640, 480, before=exif(6, big_endian=False)), ImageInfo("image/jpeg", 480, 640)),
        (jpeg(640, 480, before=exif(8, big_endian=True)), ImageInfo("image/jpeg", 480, 640)),
        (webp_lossy(300, 200), ImageInfo("image/webp", 300, 200)),
        (webp_lossless(16383, 2), ImageInfo("image/webp", 16383, 2)),
        (webp_extended(70000, 3), ImageInfo("image/webp", 70000, 3)),
    ],
)
def test_image_info(data: bytes, expected: ImageInfo) -> None:
    assert image_info(data) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "unrecognised"),
        (b"BM\x00\x00", "unrecognised"),  # BMP
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "unrecognised"),
        (png(12, 7)[:20], "truncated PNG"),
        (png(0, 7), "no size"),
        (b"GIF89a\x01", "truncated GIF"),
        (b"\xff\xd8\xff\xda\x00\x02", "without a readable frame header"),
        (b"\xff\xd8\x00\x00\x00\x00", "no marker"),
        (riff(b"VP8 ", b"\x00" * 10), "WebP without"),
    ],
)
def test_unknown_or_broken_images(data: bytes, message: str) -> None:
    with pytest.raises(UnknownImageError, match=message):
        image_info(data)
    assert issubclass(UnknownImageError, ValueError)
