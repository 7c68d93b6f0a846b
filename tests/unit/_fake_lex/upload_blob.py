"""test.repo.uploadBlob: binary input (*/*), JSON output."""

from atlex import _rt
from atlex.errors import XrpcResponseError

NSID = "test.repo.uploadBlob"


class Output(_rt.LexObject, kw_only=True):
    blob: _rt.Blob


ERRORS: dict[str, type[XrpcResponseError]] = {}
