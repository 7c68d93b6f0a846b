"""Embed types shaped like generated bindings; refers back to ``_lexshapes`` lazily (a cycle)."""

import typing as _t

import msgspec as _m

from atlex import _rt

_PKG = __name__.rpartition(".")[0]  # works whether tests/unit is on sys.path or not
if _t.TYPE_CHECKING:
    import _lexshapes as _feed
else:
    _feed = _rt.lazy_module(f"{_PKG}._lexshapes" if _PKG else "_lexshapes")

# One alias per line: pyright reads a plain `X = list` as a type alias, not a tuple unpack.
_list = list
_dict = dict
_str = str
_int = int


class AspectRatio(_rt.LexObject, kw_only=True):
    width: _int
    height: _int


class ImagesImage(_rt.LexObject, kw_only=True):
    image: _rt.Blob
    alt: _str
    aspect_ratio: AspectRatio | _m.UnsetType = _m.UNSET


class Images(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.embed.images"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.embed.images"
    images: _list[ImagesImage]


class ViewImage(_rt.LexObject, kw_only=True):
    thumb: _str
    fullsize: _str
    alt: _str


class ImagesView(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.embed.images#view"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.embed.images#view"
    images: _list[ViewImage]


class External(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.embed.external"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.embed.external"
    uri: _str
    title: _str
    thumb: _rt.Blob | _m.UnsetType = _m.UNSET


class ExternalView(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.embed.external#view"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.embed.external#view"
    uri: _str
    title: _str


class StrongRef(_rt.LexObject, kw_only=True):
    uri: _str
    cid: _str


class Record(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.embed.record"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.embed.record"
    record: StrongRef


class ViewRecord(
    _rt.LexObject, kw_only=True, tag_field="$type", tag="test.embed.record#viewRecord"
):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.embed.record#viewRecord"
    uri: _str
    author: "_feed.ProfileViewBasic"
    value: _dict[_str, _t.Any]
    if _t.TYPE_CHECKING:
        embeds: "_list[ImagesView | ExternalView | RecordView | _rt.UnknownMember] | _m.UnsetType" = _m.UNSET
    else:
        embeds: "_list[ImagesView | ExternalView | RecordView] | _m.UnsetType" = _m.UNSET


class ViewNotFound(
    _rt.LexObject, kw_only=True, tag_field="$type", tag="test.embed.record#viewNotFound"
):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.embed.record#viewNotFound"
    uri: _str
    not_found: _t.Literal[True]


class RecordView(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.embed.record#view"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.embed.record#view"
    if _t.TYPE_CHECKING:
        record: "ViewRecord | ViewNotFound | _feed.PostView | _rt.UnknownMember"
    else:
        record: "ViewRecord | ViewNotFound | _feed.PostView"
