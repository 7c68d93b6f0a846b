"""Media for posts: what the caller gives (:class:`Image`, :class:`Video`, :class:`External`)
and the checks made before anything is uploaded. Size limits and accepted types are read from
the lexicons' own rules (``app.bsky.embed.*``), so they follow the lexicon set in use."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any, TypeAlias

from atlex._model import RULES
from atlex.actions._imageinfo import ImageInfo, UnknownImageError, image_info
from atlex.errors import LexValidationError
from atlex.lex.app.bsky.embed import external as _external
from atlex.lex.app.bsky.embed import images as _images
from atlex.lex.app.bsky.embed import video as _video

__all__ = [
    "External",
    "Image",
    "LoadedImage",
    "LoadedVideo",
    "MediaData",
    "Video",
    "load_external_thumb",
    "load_images",
    "load_video",
]

MediaData: TypeAlias = "bytes | bytearray | memoryview | os.PathLike[str] | IO[bytes]"
"""Raw bytes, a path to a file, or a binary file open for reading."""


@dataclass(frozen=True, slots=True)
class Image:
    """An image to attach: ``alt`` (the description screen readers speak) is required;
    ``aspect_ratio`` (width, height) overrides the size read from the file."""

    data: MediaData
    alt: str
    aspect_ratio: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Video:
    """An MP4 video to attach (``aspect_ratio`` as (width, height) lets apps lay it out
    before it loads)."""

    data: MediaData
    alt: str | None = None
    aspect_ratio: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class External:
    """A link card; ``thumb`` is an image (bytes, path or file) shown beside it.
    :func:`atlex.actions.fetch_external` fills one from a page's Open Graph tags."""

    uri: str
    title: str
    description: str = ""
    thumb: MediaData | None = None


@dataclass(frozen=True, slots=True)
class LoadedImage:
    data: bytes
    info: ImageInfo
    alt: str
    aspect_ratio: tuple[int, int]


@dataclass(frozen=True, slots=True)
class LoadedVideo:
    data: bytes
    alt: str | None
    aspect_ratio: tuple[int, int] | None


def _rule(cls: type[Any], field: str, name: str) -> Any:
    return RULES.get(cls, {}).get(field, {}).get(name)


def read_data(data: object, where: str) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)  # pyright: ignore[reportUnknownArgumentType]
    if isinstance(data, os.PathLike):
        with open(data, "rb") as file:  # pyright: ignore[reportUnknownArgumentType]
            return file.read()
    read = getattr(data, "read", None)
    if callable(read):
        chunk = read()
        if isinstance(chunk, bytes):
            return chunk
    raise TypeError(
        f"{where}: expected bytes, a path (pathlib.Path) or a binary file, got {type(data).__name__}"
    )


def _aspect(value: object, where: str) -> tuple[int, int]:
    if (
        isinstance(value, tuple)
        and len(value) == 2  # pyright: ignore[reportUnknownArgumentType]
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)  # pyright: ignore[reportUnknownVariableType]
    ):
        return (int(value[0]), int(value[1]))  # pyright: ignore[reportUnknownArgumentType]
    raise LexValidationError(
        f"{where}.aspect_ratio: expected (width, height) in pixels, got {value!r}", path=where
    )


def _too_big(where: str, size: int, limit: int) -> LexValidationError:
    return LexValidationError(
        f"{where}: {size} bytes is over the {limit}-byte limit for this blob", path=where
    )


def _image(data: bytes, where: str, max_size: int | None) -> ImageInfo:
    try:
        info = image_info(data)
    except UnknownImageError as exc:
        raise LexValidationError(f"{where}: {exc}", path=where) from exc
    if max_size is not None and len(data) > max_size:
        raise _too_big(where, len(data), max_size)
    return info


def load_images(images: Sequence[Image]) -> list[LoadedImage]:
    if isinstance(images, Image):
        images = [images]
    limit = _rule(_images.Main, "images", "max_items") or 4
    if len(images) > limit:
        raise LexValidationError(
            f"images: {len(images)} images, a post holds at most {limit}", path="images"
        )
    max_size = _rule(_images.Image, "image", "max_size")
    loaded: list[LoadedImage] = []
    for i, image in enumerate(images):
        where = f"images[{i}]"
        if not isinstance(image, Image):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(
                f"{where}: expected atlex.actions.Image(data, alt=...), got {type(image).__name__}"
            )
        if not isinstance(image.alt, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise LexValidationError(f"{where}.alt: alt text is required (a str)", path=where)
        data = read_data(image.data, where)
        info = _image(data, where, max_size)
        ratio = (
            (info.width, info.height)
            if image.aspect_ratio is None
            else _aspect(image.aspect_ratio, where)
        )
        loaded.append(LoadedImage(data, info, image.alt, ratio))
    return loaded


def load_video(video: Video) -> LoadedVideo:
    if not isinstance(video, Video):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(
            f"video: expected atlex.actions.Video(data, ...), got {type(video).__name__}"
        )
    data = read_data(video.data, "video")
    if data[4:8] != b"ftyp":
        raise LexValidationError("video: not an MP4 file (no ftyp box)", path="video")
    max_size = _rule(_video.Main, "video", "max_size")
    if max_size is not None and len(data) > max_size:
        raise _too_big("video", len(data), max_size)
    ratio = None if video.aspect_ratio is None else _aspect(video.aspect_ratio, "video")
    return LoadedVideo(data, video.alt, ratio)


def load_external_thumb(external: External) -> tuple[bytes, ImageInfo] | None:
    from atlex.syntax import is_valid_uri

    if not isinstance(external, External):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"external: expected atlex.actions.External, got {type(external).__name__}")
    if not is_valid_uri(external.uri):
        raise LexValidationError(f"external.uri: {external.uri!r} is not a URI", path="external")
    if external.thumb is None:
        return None
    data = read_data(external.thumb, "external.thumb")
    return data, _image(data, "external.thumb", _rule(_external.External, "thumb", "max_size"))
