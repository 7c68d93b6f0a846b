"""Sans-I/O: the session's own ``com.atproto.server`` calls and how their answers are read.

Requests are plain descriptions (:class:`HttpCall`) a driver turns into httpx requests; answers
become :class:`SessionData`, a plain mapping, or an :class:`~atlex.errors.XrpcError` failure.
Independent of the generated bindings on purpose: the session must work without them.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import httpx
import msgspec

from atlex.errors import (
    XrpcAuthenticationError,
    XrpcError,
    XrpcInvalidResponseError,
    XrpcResponseError,
    status_error_code,
)
from atlex.session._data import SessionData, SessionDataError
from atlex.session._routing import origin_url

__all__ = [
    "CREATE_ACCOUNT",
    "CREATE_SESSION",
    "DELETE_SESSION",
    "DELETE_SESSION_ERRORS",
    "GET_SESSION",
    "REFRESH_SESSION",
    "REFRESH_SESSION_ERRORS",
    "HttpCall",
    "error_code_of",
    "failure_from_response",
    "is_declared",
    "json_object",
    "may_carry_error_code",
    "session_from_response",
]

CREATE_SESSION = "com.atproto.server.createSession"
CREATE_ACCOUNT = "com.atproto.server.createAccount"
REFRESH_SESSION = "com.atproto.server.refreshSession"
GET_SESSION = "com.atproto.server.getSession"
DELETE_SESSION = "com.atproto.server.deleteSession"

# The ``errors`` each lexicon declares: a declared refresh/delete error means the session is gone.
REFRESH_SESSION_ERRORS = frozenset({"AccountTakedown", "InvalidToken", "ExpiredToken"})
DELETE_SESSION_ERRORS = frozenset({"InvalidToken", "ExpiredToken"})

_PEEK_LIMIT = 10 * 1024  # upstream reads an error body for its code only up to 10 KiB


@dataclass(slots=True, repr=False)
class HttpCall:
    """One HTTP request to make. ``repr`` leaves out headers and body (they carry secrets)."""

    method: Literal["GET", "POST"]
    url: str
    headers: list[tuple[str, str]] = field(default_factory=lambda: [])
    content: bytes | Iterable[bytes] | AsyncIterable[bytes] | None = None
    timeout: float | None = None
    stream: bool = False

    def __repr__(self) -> str:
        return f"HttpCall({self.method} {self.url})"


def _xrpc_url(service: str, nsid: str) -> str:
    return origin_url(service, f"/xrpc/{nsid}")


def _json_call(
    service: str, nsid: str, body: Mapping[str, Any], headers: Iterable[tuple[str, str]] = ()
) -> HttpCall:
    return HttpCall(
        "POST",
        _xrpc_url(service, nsid),
        [*headers, ("content-type", "application/json")],
        msgspec.json.encode(body),
    )


def create_session_call(
    service: str,
    identifier: str,
    password: str,
    *,
    allow_takendown: bool | None,
    auth_factor_token: str | None,
) -> HttpCall:
    body: dict[str, Any] = {"identifier": identifier, "password": password}
    if allow_takendown is not None:
        body["allowTakendown"] = allow_takendown
    if auth_factor_token is not None:
        body["authFactorToken"] = auth_factor_token
    return _json_call(service, CREATE_SESSION, body)


def create_account_call(
    service: str, body: Mapping[str, Any], headers: Iterable[tuple[str, str]]
) -> HttpCall:
    return _json_call(service, CREATE_ACCOUNT, body, headers)


def bearer_call(method: Literal["GET", "POST"], service: str, nsid: str, token: str) -> HttpCall:
    """refreshSession / deleteSession (refresh token) and getSession (access token)."""
    return HttpCall(method, _xrpc_url(service, nsid), [("authorization", f"Bearer {token}")])


# -- reading answers -------------------------------------------------------------------------


def _mime(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _xrpc_error_body(body: Any) -> tuple[str, str | None] | None:
    """``(error, message)`` when ``body`` is an XRPC error object ``{error, message?}``."""
    if not isinstance(body, dict):
        return None
    fields = cast("dict[str, Any]", body)
    error = fields.get("error")
    message = fields.get("message")
    if not isinstance(error, str) or not error:
        return None
    if message is not None and not isinstance(message, str):
        return None
    return error, message


def may_carry_error_code(response: httpx.Response) -> bool:
    """Whether upstream would peek into this body for its ``error`` code (judged by headers):
    JSON, and no larger than 10 KiB by its ``Content-Length``."""
    if _mime(response) != "application/json":
        return False
    length = response.headers.get("content-length", "").strip()
    return not (length.isdigit() and int(length) > _PEEK_LIMIT)


def error_code_of(response: httpx.Response) -> str | None:
    """The XRPC ``error`` code of a read error response, if it may carry one."""
    if not may_carry_error_code(response):
        return None
    try:
        parsed = _xrpc_error_body(msgspec.json.decode(response.content))
    except (msgspec.DecodeError, httpx.ResponseNotRead):
        return None
    return parsed[0] if parsed else None


def failure_from_response(response: httpx.Response, nsid: str) -> XrpcError:
    """The failure an error status (>= 400) or an unexpected status stands for."""
    status = response.status_code
    headers = dict(response.headers)
    body: Any = None
    if response.content:
        try:
            body = msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            body = response.content
    if status < 400:
        return XrpcInvalidResponseError(
            f"Unexpected status code {status}", status=status, headers=headers, body=body, nsid=nsid
        )
    parsed = _xrpc_error_body(body)
    error, message = parsed if parsed else (status_error_code(status), None)
    kind = XrpcAuthenticationError if status == 401 else XrpcResponseError
    return kind(error, message, status=status, headers=headers, body=body, nsid=nsid)


def is_declared(failure: XrpcError, declared: frozenset[str]) -> bool:
    """Upstream ``matchesSchemaErrors()``: an error response whose code the lexicon declares."""
    return isinstance(failure, XrpcResponseError) and failure.error in declared


def json_object(response: httpx.Response, nsid: str) -> dict[str, Any]:
    """The JSON object a successful call returned; :class:`XrpcInvalidResponseError` otherwise."""

    def invalid(message: str) -> XrpcInvalidResponseError:
        return XrpcInvalidResponseError(
            message, status=response.status_code, headers=dict(response.headers), nsid=nsid
        )

    if _mime(response) != "application/json":
        got = response.headers.get("content-type") or "no content type"
        raise invalid(f'Expected "application/json" response (got {got})')
    try:
        body: Any = msgspec.json.decode(response.content)
    except msgspec.DecodeError as exc:
        raise invalid(f"Unable to parse response payload: {exc}") from None
    if not isinstance(body, dict):
        raise invalid(f"Expected a JSON object, got {type(body).__name__}")
    return body  # pyright: ignore[reportUnknownVariableType]


def session_from_response(response: httpx.Response, nsid: str, service: str) -> SessionData:
    """``{...body, service}`` for createSession / createAccount / refreshSession answers."""
    body = json_object(response, nsid)
    try:
        return SessionData.from_dict({**body, "service": service}, where=f"{nsid} response")
    except SessionDataError as exc:
        raise XrpcInvalidResponseError(
            str(exc), status=response.status_code, headers=dict(response.headers), nsid=nsid
        ) from None
