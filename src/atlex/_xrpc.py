"""The sans-I/O XRPC core: builds requests and reads responses (upstream lex-client xrpc.ts,
response.ts, util.ts). ``Client`` and ``AsyncClient`` only move bytes; every rule lives here.

A call is a generator (:func:`call_flow`) that yields what it needs done, an
:class:`~atlex._agent.XrpcRequest` to send or a delay (float seconds) to sleep, and receives a
:class:`Received` answer or the exception the send raised. The sync and async drivers run the
same generator, so retries and error handling exist once.
"""

from __future__ import annotations

import functools
import importlib
import re
import urllib.parse
from collections.abc import AsyncIterable, AsyncIterator, Generator, Iterable, Iterator, Mapping
from http import HTTPStatus
from typing import IO, Any, TypeAlias, cast

import msgspec
from msgspec import UNSET, UnsetType

from atlex._agent import XrpcRequest
from atlex._method import Method
from atlex._retry import NO_RETRY, RetryPolicy, retry_delay
from atlex.errors import (
    LexValidationError,
    XrpcAuthenticationError,
    XrpcError,
    XrpcFetchError,
    XrpcInternalError,
    XrpcInvalidResponseError,
    XrpcResponseError,
    XrpcResponseValidationError,
    status_error_code,
)

__all__ = [
    "BinaryBody",
    "BinaryInput",
    "CallOptions",
    "CallSettings",
    "Received",
    "build_headers",
    "build_request",
    "call_flow",
    "check_labeler",
    "check_service",
    "generic_method",
    "query_string",
    "raise_for_stream",
    "read_response",
    "stream_request",
]

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


class CallOptions(msgspec.Struct, frozen=True, kw_only=True):
    """Per-call options. ``UNSET`` inherits the client's setting; ``None`` removes it.

    * ``headers``: extra request headers (they win over the client's).
    * ``proxy``: the ``atproto-proxy`` service, e.g. ``did:web:api.bsky.app#bsky_appview``.
    * ``labelers``: labeler DIDs for ``atproto-accept-labelers``.
    * ``timeout``: seconds for the whole request.
    """

    headers: Mapping[str, str] | None = None
    proxy: str | UnsetType | None = UNSET
    labelers: Iterable[str] | UnsetType | None = UNSET
    timeout: float | UnsetType | None = UNSET

    def __post_init__(self) -> None:
        if isinstance(self.proxy, str):
            check_service(self.proxy)
        if self.labelers is not None and not isinstance(self.labelers, UnsetType):
            labelers = tuple(self.labelers)
            for did in labelers:
                check_labeler(did)
            msgspec.structs.force_setattr(self, "labelers", labelers)  # iterables are read once


class CallSettings(msgspec.Struct, frozen=True, kw_only=True):
    """A client's defaults for every call (fixed at construction except ``labelers``)."""

    headers: tuple[tuple[str, str], ...] = ()
    proxy: str | None = None
    labelers: tuple[str, ...] = ()
    app_labelers: tuple[str, ...] = ()
    timeout: float | None = None
    retry: RetryPolicy = NO_RETRY


_SERVICE = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]#[^#\s]{2,}$")


def is_service(value: str) -> bool:
    """``did:...#fragment`` with a fragment of at least two characters (upstream isService)."""
    return _SERVICE.match(value) is not None


def check_service(value: str) -> str:
    if not is_service(value):
        raise ValueError(
            f"invalid proxy service {value!r}: expected '<did>#<service id>', "
            "e.g. 'did:web:api.bsky.app#bsky_appview'"
        )
    return value


def check_labeler(value: str) -> str:
    if not isinstance(value, str) or not value.startswith("did:") or any(c in value for c in ",; "):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ValueError(f"invalid labeler {value!r}: expected a DID such as 'did:plc:...'")
    return value


# --- headers (util.ts buildXrpcRequestHeaders, client.ts buildXrpcOptions) ---


def _merge(base: Iterable[tuple[str, str]], overrides: Iterable[tuple[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in (*base, *overrides):
        merged[name.lower()] = value
    return merged


def build_headers(
    method: Method, settings: CallSettings, options: CallOptions | None
) -> list[tuple[str, str]]:
    """The request headers for one call: client headers, then per-call headers, then the
    ``atproto-proxy`` / ``atproto-accept-labelers`` / ``accept`` rules."""
    call_headers = tuple((options.headers or {}).items()) if options else ()
    headers = _merge(settings.headers, call_headers)
    if "content-type" in headers:
        raise ValueError(
            f"unexpected content-type header ({headers['content-type']}): the body decides it"
        )

    # proxy: an explicit option wins, then a valid atproto-proxy header on this call, then the
    # client's default; None removes the header.
    proxy: str | UnsetType | None = options.proxy if options else UNSET
    if isinstance(proxy, UnsetType):
        from_call = dict((k.lower(), v) for k, v in call_headers).get("atproto-proxy")
        proxy = from_call if from_call is not None and is_service(from_call) else settings.proxy
    if proxy is None:
        headers.pop("atproto-proxy", None)
    else:
        headers["atproto-proxy"] = proxy

    # labelers: app labelers (with ;redact), then labelers, then those already in the header
    # unless labelers is None.
    labelers: Iterable[str] | UnsetType | None = options.labelers if options else UNSET
    if isinstance(labelers, UnsetType):
        labelers = settings.labelers
    combined: dict[str, None] = dict.fromkeys(f"{did};redact" for did in settings.app_labelers)
    if labelers is not None:
        combined.update(dict.fromkeys(labelers))
        existing = headers.get("atproto-accept-labelers", "")
        combined.update(dict.fromkeys(p.strip() for p in existing.split(",") if p.strip()))
    if combined:
        headers["atproto-accept-labelers"] = ", ".join(combined)
    else:
        headers.pop("atproto-accept-labelers", None)

    if method.output_encoding:
        headers["accept"] = method.output_encoding
    return list(headers.items())


# --- query string (lexicon-mapping §2.13) ---


def _scalar(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    raise LexValidationError(
        f"parameter {name!r} must be a string, integer or boolean, got {type(value).__name__}",
        path=name,
    )


def query_string(pairs: Iterable[tuple[str, Any]]) -> str:
    """Form-encode wire params: lists as repeated keys, booleans as true/false, UNSET/None out."""
    items: list[tuple[str, str]] = []
    for name, value in pairs:
        if value is None or isinstance(value, UnsetType):
            continue
        if isinstance(value, list | tuple):
            items.extend((name, _scalar(name, v)) for v in cast(Iterable[Any], value))
        else:
            items.append((name, _scalar(name, value)))
    return urllib.parse.urlencode(items)


@functools.cache
def _param_fields(params_type: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, f.encode_name) for f in msgspec.structs.fields(params_type))


_AT_PATH = re.compile(r" - at `\$\.?([^`]*)`$")


def _validated_params(method: Method, params: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """Parse the wire-named params into the generated ``Params`` (which applies the lexicon
    defaults and type-checks), then list them by wire name."""
    given = {k: v for k, v in (params or {}).items() if not isinstance(v, UnsetType)}
    if not method.params:
        return list(given.items())
    params_type = cast(type[msgspec.Struct], _module(method).Params)
    try:
        parsed = msgspec.convert(given, params_type)
    except msgspec.ValidationError as exc:
        detail = str(exc)
        match = _AT_PATH.search(detail)
        name = match.group(1) if match else None
        reason = detail[: match.start()] if match else detail
        where = f"parameter {name!r}" if name else "parameters"
        problem = LexValidationError(f"invalid {where} for {method.nsid}: {reason}", path=name)
        raise XrpcInternalError(problem.message, nsid=method.nsid) from problem
    return [(wire, getattr(parsed, attr)) for attr, wire in _param_fields(params_type)]


# --- bodies ---

_json_encoder = msgspec.json.Encoder()


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
    """Explicit type (must fit the lexicon) > concrete lexicon encoding > octet-stream."""
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
    try:
        return _json_encoder.encode(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot encode the input of {nsid} as JSON: {exc}") from exc


def _body(
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


def build_request(
    method: Method,
    params: Mapping[str, Any] | None,
    input: object,
    options: CallOptions | None,
    settings: CallSettings,
    *,
    asynchronous: bool = False,
) -> XrpcRequest:
    """The request for one call; invalid params or input fail here, before any I/O."""
    query = query_string(_validated_params(method, params))
    path = f"/xrpc/{method.nsid}" + (f"?{query}" if query else "")
    headers = build_headers(method, settings, options)
    if method.kind == "query":
        if input is not None:
            raise TypeError(f"{method.nsid} is a query: it takes no input")
        content, content_type, replayable = None, None, True
    else:
        content, content_type, replayable = _body(method, input, asynchronous)
    if content_type is not None:
        headers.append(("content-type", content_type))
    timeout = options.timeout if options is not None else UNSET
    return XrpcRequest(
        method="GET" if method.kind == "query" else "POST",
        path=path,
        headers=headers,
        content=content,
        replayable=replayable,
        timeout=settings.timeout if isinstance(timeout, UnsetType) else timeout,
    )


# --- responses (response.ts XrpcResponse.fromFetchResponse) ---


class Received(msgspec.Struct, frozen=True):
    """A complete HTTP answer, as the driver read it."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def __repr__(self) -> str:
        return f"Received(status={self.status}, <{len(self.body)} bytes>)"


def _module(method: Method) -> Any:
    return importlib.import_module(method.module)


def _mime(headers: Mapping[str, str]) -> str | None:
    value = headers.get("content-type")
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def _is_json(mime: str | None) -> bool:
    return mime is not None and (mime == "application/json" or mime.endswith("+json"))


def _error_class(method: Method, code: str, status: int) -> type[XrpcResponseError]:
    if method.module:
        declared = cast(dict[str, type[XrpcResponseError]], getattr(_module(method), "ERRORS", {}))
        cls = declared.get(code)
        if cls is not None:
            return cls
    return XrpcAuthenticationError if status == 401 else XrpcResponseError


def _response_error(method: Method, received: Received, mime: str | None) -> XrpcResponseError:
    body: Any = received.body or None
    if received.body and _is_json(mime):
        try:
            body = msgspec.json.decode(received.body)
        except msgspec.DecodeError:
            body = received.body
    code: str | None = None
    message: str | None = None
    if isinstance(body, dict):
        error = cast(dict[str, Any], body).get("error")
        text = cast(dict[str, Any], body).get("message")
        if isinstance(error, str) and error and (text is None or isinstance(text, str)):
            code, message = error, text
    if code is None:
        code = status_error_code(received.status)
        try:
            phrase = HTTPStatus(received.status).phrase
        except ValueError:
            phrase = "Error"
        message = f"HTTP {received.status} {phrase} without an XRPC error body"
    cls = _error_class(method, code, received.status)
    return cls(
        code, message, status=received.status, headers=received.headers, body=body, nsid=method.nsid
    )


def read_response(method: Method, received: Received, *, loose: bool = False) -> Any:
    """The call's result from its answer, or the error it stands for.

    ``loose`` (generic calls by NSID) returns whatever came back: JSON as plain data, other
    payloads as bytes, an empty body as None.
    """
    status, headers, body = received.status, received.headers, received.body
    mime = _mime(headers)
    if status >= 400:
        raise _response_error(method, received, mime)

    def invalid(
        message: str, cls: type[XrpcInvalidResponseError] = XrpcInvalidResponseError
    ) -> Any:
        return cls(message, status=status, headers=headers, body=body, nsid=method.nsid)

    if not 200 <= status < 300:
        raise invalid(f"Unexpected status code {status}")
    if mime is None and body:
        mime = "application/octet-stream"
    if loose:
        if mime is None:
            return None
        return _parse_json(method, body, invalid) if _is_json(mime) else body
    if method.output is None:
        return None
    declared = method.output_encoding or ("application/json" if method.output == "json" else "*/*")
    if mime is None or not matches_encoding(declared, mime):
        raise invalid(f'Expected "{declared}" response (got {mime or "no payload"})')
    if method.output == "binary":
        return body
    if not method.output_schema:
        return _parse_json(method, body, invalid)
    from atlex._tolerant import decoder_for  # deferred: pulls in the generated graph lazily

    try:
        return decoder_for(_module(method).Output).decode(body)
    except msgspec.ValidationError as exc:
        raise invalid(f"Invalid response payload: {exc}", XrpcResponseValidationError) from exc
    except msgspec.DecodeError as exc:
        raise invalid(f"Unable to parse response payload: {exc}") from exc


def _parse_json(method: Method, body: bytes, invalid: Any) -> Any:
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise invalid(f"Unable to parse response payload: {exc}") from exc


# --- one call, with retries ---

Step: TypeAlias = XrpcRequest | float
Reply: TypeAlias = Received | BaseException | None


def as_failure(method: Method, exc: BaseException) -> XrpcError:
    """What an agent's exception means for the call: XRPC errors pass, others are fetch errors."""
    if isinstance(exc, XrpcError):
        return exc
    return XrpcFetchError(exc, nsid=method.nsid)


def call_flow(
    method: Method, request: XrpcRequest, retry: RetryPolicy, *, loose: bool = False
) -> Generator[Step, Reply, Any]:
    """Send ``request`` until it succeeds, fails for good or runs out of retries.

    Yields the request to send (expects a :class:`Received` or the exception raised), or a
    float number of seconds to sleep (expects None). Returns the decoded output.
    """
    attempt = 0
    while True:
        attempt += 1
        reply = yield request
        try:
            if reply is None:
                raise XrpcInternalError("the driver sent no answer", nsid=method.nsid)
            if isinstance(reply, BaseException):
                raise as_failure(method, reply) from reply
            return read_response(method, reply, loose=loose)
        except XrpcError as failure:
            delay = retry_delay(retry, failure, attempt, replayable=request.replayable)
            if delay is None:
                raise
        yield delay


def stream_request(
    nsid: str,
    params: Mapping[str, Any] | None,
    options: CallOptions | None,
    settings: CallSettings,
) -> tuple[Method, XrpcRequest]:
    """A query whose answer the caller reads incrementally (``getRepo`` CARs, big blobs)."""
    method = generic_method(nsid, procedure=False, input=None)
    request = build_request(method, params, None, options, settings)
    request.stream = True
    return method, request


def raise_for_stream(method: Method, received: Received) -> None:
    """Raise what a non-2xx answer to a streamed query means (``received`` has its body)."""
    if not 200 <= received.status < 300:
        read_response(method, received, loose=True)


def generic_method(nsid: str, *, procedure: bool, input: object) -> Method:
    """A descriptor for a method outside the generated set: JSON in/out as plain data."""
    if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z0-9-]+)+", nsid):
        raise ValueError(f"invalid NSID {nsid!r}")
    body: Any = None
    encoding: str | None = None
    if input is not None:
        if isinstance(input, BinaryBody | bytes | bytearray | memoryview) or hasattr(input, "read"):
            body, encoding = "binary", "*/*"
        else:
            body, encoding = "json", "application/json"
    return Method(
        nsid=nsid,
        kind="procedure" if procedure else "query",
        module="",
        input=body,
        input_encoding=encoding,
    )
