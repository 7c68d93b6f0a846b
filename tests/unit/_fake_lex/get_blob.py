"""test.sync.getBlob: a query with a binary (*/*) output."""

from atlex import _rt
from atlex.errors import XrpcResponseError

NSID = "test.sync.getBlob"


class Params(_rt.LexObject, kw_only=True):
    did: str
    cid: str


ERRORS: dict[str, type[XrpcResponseError]] = {}
