"""Methods whose module only declares errors: test.server.deleteSession (no input, no output),
test.video.uploadVideo (video/mp4 input), test.image.upload (image/* input),
test.server.describe (JSON output without a schema)."""

from atlex.errors import XrpcResponseError

ERRORS: dict[str, type[XrpcResponseError]] = {}
