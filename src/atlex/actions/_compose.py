"""``post``: text or rich text, a reply, a quote, images / a video / a link card, languages,
self-labels and tags, as one ``app.bsky.feed.post`` record (the record ``agent.post`` of
``@atproto/api`` writes, with the composing the Bluesky app does around it).

Everything that can be checked locally is checked before the first request: text over 300
graphemes (or 3000 bytes), more than 4 images, an image over the blob limit or of an unknown
format, bad languages or tags. Then the reads (mention handles, the reply's thread root, the
quoted post's CID), then the uploads, then the record.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from typing import Any

from atlex._flow import Batch, Flow
from atlex._records import Plan, upload_blob_plan
from atlex.actions._graph import create_flow
from atlex.actions._media import (
    External,
    Image,
    Video,
    load_external_thumb,
    load_images,
    load_video,
)
from atlex.actions._targets import check_post_target, post_ref_flow, reply_root_of
from atlex.errors import LexValidationError
from atlex.lex.app.bsky.embed import defs as _embed_defs
from atlex.lex.app.bsky.embed import external as _external
from atlex.lex.app.bsky.embed import images as _images
from atlex.lex.app.bsky.embed import record as _record
from atlex.lex.app.bsky.embed import record_with_media as _rwm
from atlex.lex.app.bsky.embed import video as _video
from atlex.lex.app.bsky.feed import post as _post
from atlex.lex.com.atproto.label import defs as _label_defs
from atlex.lex.com.atproto.repo import create_record
from atlex.richtext import RichText

__all__ = ["post_flow"]

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_LANGS = 3
MAX_TAGS = 8


def _text(text: str | RichText) -> RichText:
    if isinstance(text, RichText):
        rt = text
    elif isinstance(text, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        rt = RichText(text)
    else:
        raise TypeError(f"text: expected a str or a RichText, got {type(text).__name__}")
    if rt.grapheme_length > MAX_GRAPHEMES or rt.byte_length > MAX_BYTES:
        raise LexValidationError(
            f"text: {rt.grapheme_length} graphemes ({rt.byte_length} bytes); a post holds at "
            f"most {MAX_GRAPHEMES} graphemes and {MAX_BYTES} bytes",
            path="text",
        )
    return rt


def _strings(values: Sequence[str] | None, name: str, limit: int) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise TypeError(f"{name}: expected a list of strings, got a str")
    found = list(values)
    if len(found) > limit:
        raise LexValidationError(f"{name}: {len(found)} given, at most {limit}", path=name)
    return found


def _check_langs(langs: list[str] | None) -> None:
    from atlex.syntax import is_valid_language

    for i, lang in enumerate(langs or ()):
        if not is_valid_language(lang):
            raise LexValidationError(
                f"langs[{i}]: {lang!r} is not a BCP-47 language tag", path="langs"
            )


def _check_tags(tags: list[str] | None) -> None:
    from atlex.datamodel import grapheme_len, utf8_len

    for i, tag in enumerate(tags or ()):
        if not tag or utf8_len(tag) > 640 or grapheme_len(tag) > 64:
            raise LexValidationError(
                f"tags[{i}]: {tag!r}: a tag has 1 to 64 graphemes (640 bytes)", path="tags"
            )


def _created_at(value: str | _dt.datetime | None) -> str:
    from atlex._datetime import format_datetime, now, parse_datetime

    if value is None:
        return now()
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise LexValidationError("created_at: a datetime needs a timezone", path="created_at")
        return format_datetime(value)
    try:
        parse_datetime(value)
    except ValueError as exc:
        raise LexValidationError(f"created_at: {exc}", path="created_at") from exc
    return value


def _upload(data: bytes, mime_type: str) -> Plan[Any]:
    return upload_blob_plan(data, mime_type)


def _ratio(size: tuple[int, int] | None) -> _embed_defs.AspectRatio | Any:
    from msgspec import UNSET

    return UNSET if size is None else _embed_defs.AspectRatio(width=size[0], height=size[1])


def post_flow(
    text: str | RichText,
    *,
    reply_to: object | None,
    quote: object | None,
    images: Sequence[Image] | None,
    video: Video | None,
    external: External | None,
    langs: Sequence[str] | None,
    labels: Sequence[str] | None,
    tags: Sequence[str] | None,
    created_at: str | _dt.datetime | None,
    did: Callable[[], str],
) -> Flow[create_record.Output]:
    from msgspec import UNSET

    # --- local checks: nothing has been sent yet ---
    rt = _text(text)
    media_kinds = [
        name for name, v in (("images", images), ("video", video), ("external", external)) if v
    ]
    if len(media_kinds) > 1:
        raise LexValidationError(
            f"{' and '.join(media_kinds)}: a post carries one kind of media", path=media_kinds[0]
        )
    loaded_images = load_images(images) if images else []
    loaded_video = load_video(video) if video is not None else None
    thumb = load_external_thumb(external) if external is not None else None
    lang_list = _strings(langs, "langs", MAX_LANGS)
    _check_langs(lang_list)
    label_list = _strings(labels, "labels", 10)
    tag_list = _strings(tags, "tags", MAX_TAGS)
    _check_tags(tag_list)
    stamp = _created_at(created_at)
    for target, what in ((reply_to, "reply_to"), (quote, "quote")):
        if target is not None:
            check_post_target(target, what=what)
    did()  # not signed in: say so before any request

    # --- reads ---
    facets = rt.facets
    if isinstance(text, str):  # plain text: find facets as the Bluesky app does
        from atlex.richtext._detect import detect_facets
        from atlex.richtext._mentions import resolve_mentions_flow

        facets = yield from resolve_mentions_flow(detect_facets(rt.text))
    reply: _post.ReplyRef | Any = UNSET
    if reply_to is not None:
        parent, parent_record = yield from post_ref_flow(reply_to, what="reply_to")
        if parent_record is None:  # a view without its record: read it for the thread root
            _, parent_record = yield from post_ref_flow(parent.uri, what="reply_to")
        root = reply_root_of(parent_record) or parent
        reply = _post.ReplyRef(root=root, parent=parent)
    quoted: _record.Main | None = None
    if quote is not None:
        ref, _ = yield from post_ref_flow(quote, what="quote")
        quoted = _record.Main(record=ref)

    # --- uploads ---
    media: Any = None
    if loaded_images:
        blobs = yield Batch(tuple(_upload(i.data, i.info.mime_type) for i in loaded_images))
        _raise_first(blobs)
        media = _images.Main(
            images=[
                _images.Image(image=blob, alt=i.alt, aspect_ratio=_ratio(i.aspect_ratio))
                for i, blob in zip(loaded_images, blobs, strict=True)
            ]
        )
    elif loaded_video is not None:
        blob = yield _upload(loaded_video.data, "video/mp4")
        media = _video.Main(
            video=blob,
            alt=UNSET if loaded_video.alt is None else loaded_video.alt,
            aspect_ratio=_ratio(loaded_video.aspect_ratio),
        )
    elif external is not None:
        thumb_blob = UNSET
        if thumb is not None:
            thumb_blob = yield _upload(thumb[0], thumb[1].mime_type)
        media = _external.Main(
            external=_external.External(
                uri=external.uri,
                title=external.title,
                description=external.description,
                thumb=thumb_blob,
            )
        )
    embed: Any = UNSET
    if quoted is not None and media is not None:
        embed = _rwm.Main(record=quoted, media=media)
    elif quoted is not None:
        embed = quoted
    elif media is not None:
        embed = media

    record = _post.Record(
        text=rt.text,
        facets=facets or UNSET,
        reply=reply,
        embed=embed,
        langs=UNSET if lang_list is None else lang_list,
        labels=(
            _label_defs.SelfLabels(values=[_label_defs.SelfLabel(val=v) for v in label_list])
            if label_list
            else UNSET
        ),
        tags=tag_list or UNSET,
        created_at=stamp,
    )
    return (yield from create_flow(record, did))


def _raise_first(results: list[Any]) -> None:
    for result in results:
        if isinstance(result, Exception):
            raise result
