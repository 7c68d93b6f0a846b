"""The sans-I/O XRPC core (upstream lex-client xrpc.ts). ``Client`` and ``AsyncClient`` only
move bytes; every rule lives here and in the modules it composes: :mod:`atlex._headers`
(options and headers), :mod:`atlex._body` (procedure inputs), :mod:`atlex._response` (outputs
and errors), :mod:`atlex._retry` (when to resend). This module encodes the query string and runs
one call.

A call is a generator (:func:`call_flow`) that yields what it needs done, an
:class:`~atlex._agent.XrpcRequest` to send or a delay (float seconds) to sleep, and receives a
:class:`Received` answer or the exception the send raised. The sync and async drivers run the
same generator, so retries and error handling exist once.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Generator, Iterable, Mapping
from typing import Any, TypeAlias, cast

import msgspec
from msgspec import UNSET, UnsetType

from atlex._agent import XrpcRequest
from atlex._body import BinaryBody, BinaryInput, encode_body
from atlex._headers import (
    CallOptions,
    CallSettings,
    build_headers,
    check_labeler,
    check_service,
    is_service,
)
from atlex._method import Method
from atlex._response import Received, load_module, read_response
from atlex._retry import RetryPolicy, retry_delay
from atlex.errors import LexValidationError, XrpcError, XrpcFetchError, XrpcInternalError

__all__ = [
    "BinaryBody",
    "BinaryInput",
    "CallOptions",
    "CallSettings",
    "Received",
    "Reply",
    "Step",
    "as_failure",
    "build_headers",
    "build_request",
    "call_flow",
    "check_labeler",
    "check_service",
    "generic_method",
    "is_service",
    "query_string",
    "raise_for_stream",
    "read_response",
    "stream_request",
]

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


def _validated_params(
    method: Method, params: Mapping[str, Any] | None, validate: bool = False
) -> list[tuple[str, Any]]:
    """Parse the wire-named params into the generated ``Params`` (which applies the lexicon
    defaults and type-checks), then list them by wire name. ``validate`` also checks the
    lexicon constraints (formats, ranges)."""
    given = {k: v for k, v in (params or {}).items() if not isinstance(v, UnsetType)}
    if not method.params:
        return list(given.items())
    params_type = cast(type[msgspec.Struct], load_module(method).Params)
    try:
        parsed = msgspec.convert(given, params_type)
    except msgspec.ValidationError as exc:
        detail = str(exc)
        match = _AT_PATH.search(detail)
        name = match.group(1) if match else None
        reason = detail[: match.start()] if match else detail
        where = f"parameter {name!r}" if name else "parameters"
        # the caller's mistake, said as one: a validation error (a ValueError) naming the
        # parameter, not an XRPC failure that reads like the server's
        raise LexValidationError(
            f"invalid {where} for {method.nsid}: {reason}", path=name
        ) from None
    if validate:
        from atlex._checks import check_params  # deferred, like the validators it runs

        check_params(method, parsed)
    return [(wire, getattr(parsed, attr)) for attr, wire in _param_fields(params_type)]


def build_request(
    method: Method,
    params: Mapping[str, Any] | None,
    input: object,
    options: CallOptions | None,
    settings: CallSettings,
    *,
    asynchronous: bool = False,
    validate: bool = False,
) -> XrpcRequest:
    """The request for one call; invalid params or input fail here, before any I/O.

    ``validate`` (the client's ``validate_request``) also checks params and a JSON input against
    their lexicon, and every generated record inside the input, raising
    :class:`~atlex.errors.LexValidationError` with the JSON path.
    """
    query = query_string(_validated_params(method, params, validate))
    path = f"/xrpc/{method.nsid}" + (f"?{query}" if query else "")
    headers = build_headers(method, settings, options)
    if method.kind == "query":
        if input is not None:
            raise TypeError(f"{method.nsid} is a query: it takes no input")
        content, content_type, replayable = None, None, True
    else:
        if validate:
            from atlex._checks import check_input  # deferred, like the validators it runs

            check_input(method, input)
        content, content_type, replayable = encode_body(method, input, asynchronous)
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


# --- one call, with retries ---

Step: TypeAlias = XrpcRequest | float
Reply: TypeAlias = Received | BaseException | None


def as_failure(method: Method, exc: BaseException) -> XrpcError:
    """What an agent's exception means for the call: XRPC errors pass, others are fetch errors."""
    if isinstance(exc, XrpcError):
        return exc
    return XrpcFetchError(exc, nsid=method.nsid)


def call_flow(
    method: Method,
    request: XrpcRequest,
    retry: RetryPolicy,
    *,
    loose: bool = False,
    validate_response: bool = False,
) -> Generator[Step, Reply, Any]:
    """Send ``request`` until it succeeds, fails for good or runs out of retries.

    Yields the request to send (expects a :class:`Received` or the exception raised), or a
    float number of seconds to sleep (expects None). Returns the decoded output, checked
    against its lexicon's constraints when ``validate_response`` (else
    :class:`~atlex.errors.XrpcResponseValidationError`).
    """
    attempt = 0
    while True:
        attempt += 1
        reply = yield request
        try:
            if reply is None:
                raise XrpcInternalError("the driver sent no answer", nsid=method.nsid)
            if isinstance(reply, XrpcError):
                raise reply  # an agent's own XRPC error passes as it is, its cause untouched
            if isinstance(reply, BaseException):
                raise as_failure(method, reply) from reply
            output = read_response(method, reply, loose=loose)
            if validate_response:
                from atlex._checks import check_output  # deferred, like the validators it runs

                check_output(method, output, reply)
            return output
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
