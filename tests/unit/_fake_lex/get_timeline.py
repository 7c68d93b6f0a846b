"""test.feed.getTimeline: a query with defaults, arrays, booleans and an open-union output."""

import typing as _t

import msgspec as _m

from atlex import _rt
from atlex.errors import XrpcResponseError

_str = str
_int = int
_bool = bool
_list = list

NSID = "test.feed.getTimeline"


class Params(_rt.LexObject, kw_only=True):
    algorithm: _str | _m.UnsetType = _m.UNSET
    limit: _int = 50
    cursor: _str | _m.UnsetType = _m.UNSET
    tags: _list[_str] | _m.UnsetType = _m.UNSET
    include_pins: _bool | _m.UnsetType = _m.UNSET


class Images(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.embed.images"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.embed.images"
    count: _int


class External(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.embed.external"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.embed.external"
    uri: _str


class FeedItem(_rt.LexObject, kw_only=True):
    uri: _str
    like_count: _int = 0
    # an open union: unknown members come back as dicts
    embed: Images | External | _m.UnsetType = _m.UNSET


class Output(_rt.LexObject, kw_only=True):
    cursor: _str | _m.UnsetType = _m.UNSET
    feed: _list[FeedItem]


class BlockedActorError(XrpcResponseError):
    pass


ERRORS: dict[_str, type[XrpcResponseError]] = {"BlockedActor": BlockedActorError}
