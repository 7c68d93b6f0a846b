"""test.repo.createRecord: a procedure with a JSON object input and declared errors."""

import typing as _t

import msgspec as _m

from atlex import _rt
from atlex.errors import XrpcResponseError

_str = str
_bool = bool

NSID = "test.repo.createRecord"


class Input(_rt.LexObject, kw_only=True):
    repo: _str
    collection: _str
    record: dict[_str, _t.Any]
    rkey: _str | _m.UnsetType = _m.UNSET
    validate_: _bool | _m.UnsetType = _m.field(default=_m.UNSET, name="validate")
    swap_commit: _str | _m.UnsetType = _m.UNSET


class Output(_rt.LexObject, kw_only=True):
    uri: _str
    cid: _str


class Post(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.feed.post"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.feed.post"
    text: _str
    created_at: _str


class InvalidSwapError(XrpcResponseError):
    pass


class AuthFactorTokenRequiredError(XrpcResponseError):
    pass


ERRORS: dict[_str, type[XrpcResponseError]] = {
    "InvalidSwap": InvalidSwapError,
    "AuthFactorTokenRequired": AuthFactorTokenRequiredError,
}
