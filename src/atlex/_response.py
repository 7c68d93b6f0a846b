"""Reading an answer: the output, or the error it stands for (upstream response.ts
XrpcResponse.fromFetchResponse and errors.ts)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, cast

import msgspec

from atlex._agent import AnswerNote
from atlex._body import matches_encoding
from atlex._method import Method
from atlex.errors import (
    XrpcAuthenticationError,
    XrpcInvalidResponseError,
    XrpcProxyError,
    XrpcResponseError,
    XrpcResponseValidationError,
    status_error_code,
)

__all__ = ["Received", "load_module", "read_response"]


class Received(msgspec.Struct, frozen=True):
    """A complete HTTP answer, as the driver read it."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    note: AnswerNote | None = None
    """What the agent said about a failed answer it handed back (``atlex._agent.note_of``)."""

    def __repr__(self) -> str:
        return f"Received(status={self.status}, <{len(self.body)} bytes>)"


def load_module(method: Method) -> Any:
    """The generated type module of ``method`` (imported on first use)."""
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


# what the reference PDS answers when it cannot resolve the atproto-proxy service
_PROXY_FAILURES = frozenset(
    {"could not resolve proxy did", "could not resolve proxy did service url"}
)


def _error_class(
    method: Method, code: str, status: int, message: str | None
) -> type[XrpcResponseError]:
    if method.module:
        declared = cast(
            dict[str, type[XrpcResponseError]], getattr(load_module(method), "ERRORS", {})
        )
        cls = declared.get(code)
        if cls is not None:
            return cls
    if status == 400 and code == "InvalidRequest" and message in _PROXY_FAILURES:
        return XrpcProxyError
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
    cls = _error_class(method, code, received.status, message)
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
        error = _response_error(method, received, mime)
        if received.note is not None:  # e.g. the session's token refresh failed
            error.__cause__ = received.note.cause
            error.add_note(received.note.note)
        raise error

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
        return decoder_for(load_module(method).Output).decode(body)
    except msgspec.ValidationError as exc:
        raise invalid(f"Invalid response payload: {exc}", XrpcResponseValidationError) from exc
    except msgspec.DecodeError as exc:
        raise invalid(f"Unable to parse response payload: {exc}") from exc


def _parse_json(method: Method, body: bytes, invalid: Any) -> Any:
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise invalid(f"Unable to parse response payload: {exc}") from exc
