"""Event-stream frames (sans-I/O): one binary websocket message is a DAG-CBOR header
``{"op": 1, "t": "#commit"}`` followed by a DAG-CBOR body; ``op: -1`` is an error frame whose
body is ``{"error", "message"}``.

:class:`MessageDecoder` turns a frame into the subscription's typed message (the class the
lexicon declares for ``t``), keeps an unknown ``t`` as its JSON-form body with a ``$type``
(open union), and raises an error frame as the error class the lexicon declares for it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, cast

import msgspec

from atlex._tolerant import SchemaMismatchError, convert_tolerant
from atlex.errors import XrpcResponseError
from atlex.repo import dagcbor
from atlex.streams.errors import FrameError

__all__ = ["MessageDecoder", "message_types"]

ERROR_STATUS = 400
"""What a declared error frame's ``status`` says: the stream's counterpart of an XRPC 400."""


def message_types(union: Any) -> dict[str, type[Any]]:
    """``{"#commit": Commit, ...}`` from a generated ``Message`` union (classes tagged
    ``nsid#name``)."""
    found: dict[str, type[Any]] = {}
    members = typing.get_args(union) if isinstance(union, types.UnionType) else (union,)
    for member in members:
        config = getattr(member, "__struct_config__", None)
        tag = getattr(config, "tag", None)
        if isinstance(tag, str) and "#" in tag:
            found["#" + tag.partition("#")[2]] = member
    return found


class MessageDecoder:
    """Frames of one subscription (``nsid``) -> typed messages."""

    def __init__(
        self,
        nsid: str,
        messages: Mapping[str, type[Any]],
        errors: Mapping[str, type[XrpcResponseError]],
    ) -> None:
        self.nsid = nsid
        self.messages = dict(messages)
        self.errors = dict(errors)
        # classes that also read the frame itself (RepoCommit takes its CAR slice from it)
        self._hooks: dict[str, Any] = {
            kind: hook
            for kind, cls in self.messages.items()
            if (hook := getattr(cls, "after_frame", None)) is not None
        }
        # the encoded header of each known message type -> what decoding its body needs
        self._headers: dict[bytes, tuple[str, type[Any], int, Any]] = {
            head: (kind, cls, len(head), self._hooks.get(kind))
            for kind, cls in self.messages.items()
            if 0 < len(kind.encode()) < 24
            for head in [dagcbor.encode({"t": kind, "op": 1})]
        }

    def decode(self, frame: object) -> Any:
        """The typed message in ``frame``; raises the declared error of an error frame, or
        :class:`FrameError` for anything that is not a valid frame."""
        if not isinstance(frame, bytes):
            raise FrameError("expected a binary frame, got a text message", nsid=self.nsid)
        # A message header is {"t": kind, "op": 1}, 8 + len(kind) bytes in the canonical
        # encoding, frame[3] being the head of `kind` (0x60 + its length): known headers are
        # recognised by their bytes instead of being decoded. Anything else takes the long way.
        known = self._headers.get(frame[: frame[3] - 0x58]) if len(frame) > 3 else None
        if known is None:
            return self._decode_slowly(frame)
        kind, cls, used, hook = known
        try:
            body = dagcbor.decode_from(frame, used)
        except dagcbor.DagCborError as exc:
            raise FrameError(f"frame is not DAG-CBOR header + body: {exc}", nsid=self.nsid) from exc
        if type(body) is dict:  # the usual case, in line (this runs for every event)
            try:
                message = msgspec.convert(body, cls)
            except (msgspec.ValidationError, UnicodeEncodeError):
                return self._typed(kind, cls, body, frame, used)
            if hook is not None:
                hook(message, frame, used)
            return message
        return self._typed(kind, cls, body, frame, used)

    def _decode_slowly(self, frame: bytes) -> Any:
        try:
            header, used = dagcbor.decode_prefix(frame)
            body = dagcbor.decode_from(frame, used)
        except dagcbor.DagCborError as exc:
            raise FrameError(f"frame is not DAG-CBOR header + body: {exc}", nsid=self.nsid) from exc
        if not isinstance(header, dict):
            raise FrameError("frame header and body must be maps", nsid=self.nsid)
        header = cast("dict[str, Any]", header)
        op: object = header.get("op")
        if op == -1:
            if not isinstance(body, dict):
                raise FrameError("frame header and body must be maps", nsid=self.nsid)
            raise self._error(cast("dict[str, Any]", body))
        if op != 1:
            raise FrameError(f"unknown frame op {op!r}", nsid=self.nsid)
        kind: object = header.get("t")
        if not isinstance(kind, str):
            raise FrameError("message frame without a string 't'", nsid=self.nsid)
        cls = self.messages.get(kind)
        if cls is None:  # open union: a message type the local lexicon does not know
            if not isinstance(body, dict):
                raise FrameError("frame header and body must be maps", nsid=self.nsid)
            body = cast("dict[str, Any]", body)
            body["$type"] = self.nsid + kind if kind.startswith("#") else kind
            return body
        return self._typed(kind, cls, body, frame, used)

    def _typed(self, kind: str, cls: type[Any], body: Any, frame: bytes, used: int) -> Any:
        if type(body) is not dict:
            raise FrameError("frame header and body must be maps", nsid=self.nsid)
        try:
            message = msgspec.convert(body, cls)
        except (msgspec.ValidationError, UnicodeEncodeError):
            try:  # not the common shape: the tolerant rules (open unions), and a located error
                message = convert_tolerant(body, cls)
            except SchemaMismatchError as exc:
                raise FrameError(
                    f"{kind} body does not match the lexicon: {exc}", nsid=self.nsid
                ) from exc
        hook = self._hooks.get(kind)
        if hook is not None:
            hook(message, frame, used)
        return message

    def _error(self, body: dict[str, Any]) -> XrpcResponseError:
        error = body.get("error")
        message = body.get("message")
        code = error if isinstance(error, str) else "UnknownError"
        text = message if isinstance(message, str) else None
        cls = self.errors.get(code, XrpcResponseError)
        return cls(code, text, status=ERROR_STATUS, body=body, nsid=self.nsid)
