"""The error hierarchy, status mapping and WWW-Authenticate parsing (no I/O)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from atlex.errors import (
    RETRYABLE_STATUSES,
    LexAuthFactorError,
    LexError,
    LexValidationError,
    XrpcAuthenticationError,
    XrpcError,
    XrpcFetchError,
    XrpcInternalError,
    XrpcInvalidResponseError,
    XrpcResponseError,
    XrpcResponseValidationError,
    parse_www_authenticate,
    status_error_code,
)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "InvalidRequest"),
        (401, "AuthenticationRequired"),
        (403, "Forbidden"),
        (404, "XRPCNotSupported"),
        (406, "NotAcceptable"),
        (413, "PayloadTooLarge"),
        (415, "UnsupportedMediaType"),
        (429, "RateLimitExceeded"),
        (500, "InternalServerError"),
        (501, "MethodNotImplemented"),
        (502, "UpstreamFailure"),
        (503, "NotEnoughResources"),
        (504, "UpstreamTimeout"),
        (507, "UpstreamFailure"),
        (418, "InvalidRequest"),
    ],
)
def test_status_error_codes(status: int, code: str) -> None:
    assert status_error_code(status) == code


def test_hierarchy() -> None:
    assert issubclass(XrpcAuthenticationError, XrpcResponseError)
    assert issubclass(XrpcResponseValidationError, XrpcInvalidResponseError)
    assert issubclass(XrpcFetchError, XrpcInternalError)
    for cls in (XrpcResponseError, XrpcInvalidResponseError, XrpcInternalError):
        assert issubclass(cls, XrpcError)
        assert issubclass(cls, LexError)
    assert issubclass(LexValidationError, ValueError)


@pytest.mark.parametrize(
    "status", [400, 401, 403, 404, 408, 425, 429, 500, 501, 502, 503, 504, 522, 524]
)
def test_should_retry(status: int) -> None:
    expected = status in {408, 425, 429, 500, 502, 503, 504, 522, 524}
    assert (status in RETRYABLE_STATUSES) is expected
    assert XrpcResponseError("X", status=status).should_retry() is expected
    assert XrpcInvalidResponseError("m", status=status).should_retry() is expected
    assert XrpcAuthenticationError("X", status=status).should_retry() is False


def test_internal_and_fetch_errors() -> None:
    internal = XrpcInternalError()
    assert (internal.error, internal.message) == (
        "InternalServerError",
        "Unable to fulfill XRPC request",
    )
    assert not internal.should_retry()
    cause = OSError("network down")
    fetch = XrpcFetchError(cause, nsid="a.b.c")
    assert fetch.should_retry()
    assert fetch.__cause__ is cause
    assert str(fetch) == (
        "InternalServerError: could not send the request or read the answer (network down) (a.b.c)"
    )


def test_fetch_error_is_a_sentence_naming_where() -> None:
    import httpx

    request = httpx.Request("GET", "http://127.0.0.1:9/xrpc/a.b.c?actor=alice.test")
    refused = httpx.ConnectError("[Errno 111] Connection refused", request=request)
    fetch = XrpcFetchError(refused, nsid="a.b.c")
    assert fetch.message == (
        "could not connect to the server at http://127.0.0.1:9 ([Errno 111] Connection refused)"
    )
    assert "Unexpected" not in str(fetch) and "actor=" not in str(fetch)  # never the full URL
    slow = XrpcFetchError(httpx.ReadTimeout("timed out", request=request))
    assert slow.message.startswith("the server did not answer in time at http://127.0.0.1:9")
    assert XrpcFetchError(httpx.ConnectError("x")).message == (
        "could not connect to the server (x)"  # no request attached: nothing about where
    )


def test_messages_and_json() -> None:
    err = XrpcResponseError(
        "InvalidSwap", "swap failed", status=400, nsid="com.atproto.repo.putRecord"
    )
    assert str(err) == "InvalidSwap: swap failed (HTTP 400 from com.atproto.repo.putRecord)"
    assert err.to_json() == {"error": "InvalidSwap", "message": "swap failed"}
    assert XrpcResponseError("Nope", status=400).message == "Nope Lexicon RPC error"


def test_auth_factor_error_wraps_the_failure() -> None:
    failure = XrpcResponseError("AuthFactorTokenRequired", "check your email", status=401)
    err = LexAuthFactorError(failure)
    assert (err.error, err.message) == ("AuthFactorTokenRequired", "check your email")
    assert err.__cause__ is failure and err.failure is failure
    silent = LexAuthFactorError(XrpcResponseError("AuthFactorTokenRequired", "", status=401))
    assert silent.message == "Auth factor token required"


def test_www_authenticate_property_is_case_insensitive_and_lenient() -> None:
    headers = {
        "WWW-Authenticate": 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"'
    }
    err = XrpcAuthenticationError("X", status=401, headers=headers)
    assert err.www_authenticate == {
        "DPoP": {
            "error": "use_dpop_nonce",
            "error_description": "Resource server requires nonce in DPoP proof",
        }
    }
    assert XrpcAuthenticationError("X", status=401).www_authenticate == {}
    malformed = XrpcAuthenticationError("X", status=401, headers={"www-authenticate": "a=b"})
    assert malformed.www_authenticate == {}


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("", {}),
        ("Basic", {"Basic": {}}),
        ('Bearer realm="access token"', {"Bearer": {"realm": "access token"}}),
        ("Bearer realm=simple", {"Bearer": {"realm": "simple"}}),
        ("Negotiate abc123", {"Negotiate": "abc123"}),
        (
            'Bearer realm="a, b", DPoP algs="ES256"',
            {"Bearer": {"realm": "a, b"}, "DPoP": {"algs": "ES256"}},
        ),
        ('Bearer realm="say \\"hi\\""', {"Bearer": {"realm": 'say "hi"'}}),
        ("Basic, Basic", None),
        ("realm=x", None),
        ('Bearer realm="unterminated', None),
    ],
)
def test_parse_www_authenticate(header: str, parsed: object) -> None:
    assert parse_www_authenticate(header) == parsed


def test_errors_module_does_not_import_httpx() -> None:
    code = "import sys, atlex.errors; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_errors_survive_pickling() -> None:
    import pickle

    err = XrpcAuthenticationError(
        "AuthenticationRequired",
        "no",
        status=401,
        headers={"www-authenticate": "Bearer"},
        nsid="a.b",
    )
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is XrpcAuthenticationError
    assert (copy.error, copy.message, copy.status, copy.nsid) == err_fields(err)
    assert copy.www_authenticate == {"Bearer": {}}
    assert str(copy) == str(err)
    fetch = pickle.loads(pickle.dumps(XrpcFetchError(OSError("down"))))
    assert fetch.should_retry() and "down" in fetch.message


def err_fields(err: XrpcResponseError) -> tuple[str, str, int, str | None]:
    return (err.error, err.message, err.status, err.nsid)
