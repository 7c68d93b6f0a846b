"""The session's sans-I/O pieces: reading error codes, failures, its own requests."""

from __future__ import annotations

import json

import httpx
import pytest

from atlex.errors import XrpcAuthenticationError, XrpcInvalidResponseError, XrpcResponseError
from atlex.session import _wire

EXPIRED = b'{"error":"ExpiredToken","message":"Token has expired"}'


def _response(status: int, body: bytes, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers)


@pytest.mark.parametrize(
    ("headers", "body", "code"),
    [
        ({"content-type": "application/json"}, EXPIRED, "ExpiredToken"),
        ({"content-type": " Application/JSON ; charset=utf-8"}, EXPIRED, "ExpiredToken"),
        ({"content-type": "text/plain"}, EXPIRED, None),  # only JSON is looked at
        ({}, EXPIRED, None),
        ({"content-type": "application/json", "content-length": "20000"}, EXPIRED, None),
        ({"content-type": "application/json"}, b"{not json", None),
        ({"content-type": "application/json"}, b'{"error": 5}', None),
        ({"content-type": "application/json"}, b'{"error": ""}', None),
        ({"content-type": "application/json"}, b'{"error": "ExpiredToken", "message": 1}', None),
        ({"content-type": "application/json"}, b'["ExpiredToken"]', None),
    ],
)
def test_error_code_is_peeked_like_upstream(
    headers: dict[str, str], body: bytes, code: str | None
) -> None:
    response = httpx.Response(400, content=body, headers=headers)
    assert _wire.error_code_of(response) == code


def test_failure_from_an_xrpc_error_body() -> None:
    response = _response(400, EXPIRED, **{"content-type": "application/json"})
    failure = _wire.failure_from_response(response, _wire.REFRESH_SESSION)
    assert type(failure) is XrpcResponseError
    assert (failure.error, failure.message, failure.status) == (
        "ExpiredToken",
        "Token has expired",
        400,
    )
    assert _wire.is_declared(failure, _wire.REFRESH_SESSION_ERRORS)
    assert not _wire.is_declared(failure, frozenset({"InvalidToken"}))


def test_failure_without_an_xrpc_body_takes_its_code_from_the_status() -> None:
    failure = _wire.failure_from_response(_response(401, b"nope"), _wire.REFRESH_SESSION)
    assert (
        isinstance(failure, XrpcAuthenticationError) and failure.error == "AuthenticationRequired"
    )
    assert not _wire.is_declared(failure, _wire.REFRESH_SESSION_ERRORS)  # transient for a refresh
    failure = _wire.failure_from_response(_response(503, b""), _wire.DELETE_SESSION)
    assert isinstance(failure, XrpcResponseError) and failure.error == "NotEnoughResources"
    redirect = _wire.failure_from_response(_response(302, b""), _wire.GET_SESSION)
    assert isinstance(redirect, XrpcInvalidResponseError)
    assert redirect.message == "Unexpected status code 302"


def test_session_from_a_response_adds_service_and_names_bad_keys() -> None:
    body = {
        "accessJwt": "a",
        "refreshJwt": "r",
        "handle": "h.test",
        "did": "did:plc:h",
        "service": "x",
    }
    response = httpx.Response(200, json=body)
    data = _wire.session_from_response(response, _wire.CREATE_SESSION, "https://entry.test")
    assert data.service == "https://entry.test"  # never taken from the server
    with pytest.raises(XrpcInvalidResponseError, match="missing required key 'refreshJwt'"):
        _wire.session_from_response(
            httpx.Response(200, json={"accessJwt": "secret-a", "handle": "h", "did": "d"}),
            _wire.REFRESH_SESSION,
            "https://entry.test",
        )
    with pytest.raises(XrpcInvalidResponseError, match='Expected "application/json"'):
        _wire.session_from_response(
            httpx.Response(200, text="hi"), _wire.CREATE_SESSION, "https://e.test"
        )


def test_own_requests() -> None:
    call = _wire.create_session_call(
        "https://entry.test/some/path",
        "alice",
        "pw-secret",
        allow_takendown=None,
        auth_factor_token="123",
    )
    assert (call.method, call.url) == (
        "POST",
        "https://entry.test/xrpc/com.atproto.server.createSession",
    )
    assert isinstance(call.content, bytes)
    assert json.loads(call.content) == {
        "identifier": "alice",
        "password": "pw-secret",
        "authFactorToken": "123",
    }
    assert "pw-secret" not in repr(call)
    bearer = _wire.bearer_call("POST", "http://entry.test", _wire.DELETE_SESSION, "ref-secret")
    assert bearer.headers == [("authorization", "Bearer ref-secret")] and bearer.content is None
    assert "ref-secret" not in repr(bearer)
