"""Procedure bodies: JSON inputs, raw (binary) inputs and their content type (upstream
xrpc.ts xrpcProcedureInput / buildEncoding)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import IO, Any, TypeAlias, cast

import msgspec
from msgspec import UnsetType

from atlex._method import Method

__all__ = ["BinaryBody", "BinaryInput", "encode_body", "matches_encoding", "resolve_content_type"]

BinaryInput: TypeAlias = (
    bytes | bytearray | memoryview | IO[bytes] | Iterable[bytes] | AsyncIterable[bytes]
)
"""A raw request body: bytes, a binary file opened for reading, or an (async) iterator of chunks."""

_CHUNK = 64 * 1024


class BinaryBody(msgspec.Struct, frozen=True):
    """A raw body for a method whose input is not JSON (``uploadBlob``, ``uploadVideo``, CAR).

    ``content_type`` is the MIME type to send; when None it is derived from the lexicon encoding
    (``*/*`` -> ``application/octet-stream``).
    """

    data: BinaryInput
    content_type: str | None = None


def matches_encoding(declared: str, mime: str) -> bool:
    """Whether ``mime`` fits a lexicon encoding, honouring ``*/*`` and ``type/*``."""
    declared = declared.lower()
    mime = mime.split(";", 1)[0].strip().lower()
    if declared == "*/*":
        return bool(mime)
    if declared.endswith("/*"):
        return mime.startswith(declared[:-1])
    return mime == declared


def resolve_content_type(nsid: str, declared: str, explicit: str | None) -> str:
    """Explicit type (must fit the lexicon) > concrete lexicon encoding > octet-stream.

    Upstream throws TypeError for a bad or missing type; a wrong *value* is a ValueError in
    Python, so that is what we raise (same message, before any I/O).
    """
    if explicit:
        if not matches_encoding(declared, explicit):
            raise ValueError(
                f'cannot send a body with content-type "{explicit}" to {nsid} '
                f'(it accepts "{declared}")'
            )
        return explicit
    if declared == "*/*":
        return "application/octet-stream"
    if declared.startswith("text/"):
        return "text/plain; charset=utf-8" if "*" in declared else f"{declared}; charset=utf-8"
    if "*" not in declared:
        return declared
    raise ValueError(f"{nsid} accepts {declared}: pass content_type to say which type you send")


def _file_chunks(file: IO[bytes]) -> Iterator[bytes]:
    while chunk := file.read(_CHUNK):
        yield chunk


async def _async_chunks(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def _binary_content(
    nsid: str, data: object, asynchronous: bool
) -> tuple[bytes | Iterable[bytes] | AsyncIterable[bytes], bool]:
    """The httpx content for a raw body and whether it can be sent twice."""
    if isinstance(data, bytes | bytearray):
        return bytes(data), True
    if isinstance(data, memoryview):
        return cast("memoryview[int]", data).tobytes(), True
    if isinstance(data, str):
        return data.encode("utf-8"), True
    if isinstance(data, AsyncIterable):
        if not asynchronous:
            raise TypeError(f"{nsid}: an async iterable body needs AsyncClient")
        return cast(AsyncIterable[bytes], data), False
    chunks: Iterable[bytes]
    if hasattr(data, "read"):
        chunks = _file_chunks(cast(IO[bytes], data))
    elif isinstance(data, Iterable):
        chunks = cast(Iterable[bytes], data)
    else:
        raise TypeError(
            f"{nsid}: cannot send a {type(data).__name__} body "
            "(expected bytes, a binary file or an iterator of bytes)"
        )
    return (_async_chunks(chunks) if asynchronous else chunks), False


def _json_content(nsid: str, value: object) -> bytes:
    if isinstance(value, Mapping):
        value = {
            k: v for k, v in cast(Mapping[str, Any], value).items() if not isinstance(v, UnsetType)
        }
    from atlex._wire import encode_json  # $type by position, kept members written back

    try:
        return encode_json(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot encode the input of {nsid} as JSON: {exc}") from exc


def encode_body(
    method: Method, input: object, asynchronous: bool
) -> tuple[bytes | Iterable[bytes] | AsyncIterable[bytes] | None, str | None, bool]:
    """(content, content type, replayable) for a procedure's input."""
    nsid = method.nsid
    if method.input is None:
        if input is not None:
            raise TypeError(f"{nsid} expects no input")
        return None, None, True
    if input is None:
        raise TypeError(f"{nsid} expects an input body but none was given")
    if method.input == "json":
        if isinstance(input, BinaryBody | bytes | bytearray | memoryview):
            raise TypeError(f"{nsid} expects a JSON object input, not raw bytes")
        return _json_content(nsid, input), "application/json", True
    body = input if isinstance(input, BinaryBody) else BinaryBody(cast(BinaryInput, input))
    content_type = resolve_content_type(nsid, method.input_encoding or "*/*", body.content_type)
    content, replayable = _binary_content(nsid, body.data, asynchronous)
    return content, content_type, replayable
