"""Opt-in retries: retryable failures only, server-requested waits, never a one-shot body."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate

import httpx
import pytest
from _fake_lex.harness import Harness, json_response, run

from atlex import _client_async, _client_state, _client_sync
from atlex._retry import RetryPolicy, delay_from_headers, retry_delay
from atlex.errors import XrpcFetchError, XrpcInternalError, XrpcResponseError

pytestmark = pytest.mark.anyio

OK: dict[str, list[object]] = {"feed": []}
BLOB = {"blob": {"$type": "blob", "ref": {"$link": "b"}, "mimeType": "x/y", "size": 1}}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the clients asked to sleep, instead of sleeping."""
    seen: list[float] = []

    async def fake_async_sleep(seconds: float) -> None:
        seen.append(seconds)

    monkeypatch.setattr(_client_sync, "_sleep", seen.append)
    monkeypatch.setattr(_client_async, "_async_sleep", fake_async_sleep)
    return seen


@pytest.fixture(params=["sync", "async"])
def net(request: pytest.FixtureRequest) -> Harness:
    return Harness(request.param)


def status(code: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return json_response({"error": "Busy"}, code, headers)


async def timeline(net: Harness, **client: object) -> object:
    return await run(net.client(**client).test.feed.get_timeline())


async def test_no_retries_by_default(net: Harness, waits: list[float]) -> None:
    net.reply(status(503), json_response(OK))
    with pytest.raises(XrpcResponseError):
        await timeline(net)
    assert len(net.requests) == 1
    assert waits == []


async def test_retryable_statuses_back_off_exponentially(net: Harness, waits: list[float]) -> None:
    net.reply(status(503), status(500), json_response(OK))
    out = await timeline(net, max_retries=2)
    assert out is not None
    assert len(net.requests) == 3
    assert waits == [0.5, 1.0]


async def test_gives_up_after_max_retries(net: Harness, waits: list[float]) -> None:
    net.reply(status(429), status(429), status(429))
    with pytest.raises(XrpcResponseError) as info:
        await timeline(net, max_retries=2)
    assert info.value.status == 429
    assert len(net.requests) == 3
    assert waits == [0.5, 1.0]


async def test_retry_after_seconds_is_honoured(net: Harness, waits: list[float]) -> None:
    net.reply(status(429, {"Retry-After": "7"}), json_response(OK))
    await timeline(net, max_retries=1)
    assert waits == [7.0]


async def test_ratelimit_reset_is_capped_at_the_max_delay(net: Harness, waits: list[float]) -> None:
    reset = str(int(time.time()) + 3600)
    net.reply(status(429, {"RateLimit-Reset": reset}), json_response(OK))
    await timeline(net, max_retries=1)
    assert waits == [30.0]


@pytest.mark.parametrize("code", [400, 401, 404, 501])
async def test_non_retryable_statuses_are_not_retried(
    net: Harness, waits: list[float], code: int
) -> None:
    net.reply(status(code), json_response(OK))
    with pytest.raises(XrpcResponseError):
        await timeline(net, max_retries=3)
    assert len(net.requests) == 1
    assert waits == []


async def test_transport_errors_are_retried(net: Harness, waits: list[float]) -> None:
    net.reply(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), json_response(OK))
    await timeline(net, max_retries=2)
    assert len(net.requests) == 3
    assert waits == [0.5, 1.0]


async def test_transport_error_after_last_retry(net: Harness, waits: list[float]) -> None:
    net.reply(httpx.ConnectError("refused"), httpx.ConnectError("refused again"))
    with pytest.raises(XrpcFetchError, match="refused again"):
        await timeline(net, max_retries=1)
    assert waits == [0.5]


async def test_replayable_body_is_resent_identically(net: Harness, waits: list[float]) -> None:
    net.reply(status(503), json_response(BLOB))
    await run(net.client(max_retries=1).test.repo.upload_blob(b"payload"))
    assert net.bodies == [b"payload", b"payload"]


async def test_streamed_body_is_never_replayed(net: Harness, waits: list[float]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"one-shot"

    net.reply(status(503), json_response(BLOB))
    with pytest.raises(XrpcResponseError):
        await run(net.client(max_retries=3).test.repo.upload_blob(chunks()))
    assert len(net.requests) == 1
    assert waits == []


def test_retry_delay_rules() -> None:
    policy = RetryPolicy(max_retries=5, min_delay=1.0, factor=3.0, max_delay=20.0)
    busy = XrpcResponseError("X", status=503)
    assert [retry_delay(policy, busy, n, replayable=True) for n in (1, 2, 3, 4)] == [
        1.0,
        3.0,
        9.0,
        20.0,
    ]
    assert retry_delay(policy, busy, 6, replayable=True) is None
    assert retry_delay(policy, busy, 1, replayable=False) is None
    assert retry_delay(policy, XrpcInternalError("x"), 1, replayable=True) is None
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)


def test_delay_from_headers() -> None:
    now = 1_700_000_000.0
    assert delay_from_headers({"retry-after": " 12 "}, lambda: now) == 12.0
    date = formatdate(now + 90, usegmt=True)
    assert delay_from_headers({"Retry-After": date}, lambda: now) == 90.0
    assert delay_from_headers({"retry-after": formatdate(now - 5)}, lambda: now) is None
    assert delay_from_headers({"retry-after": "soon"}, lambda: now) is None
    assert delay_from_headers({"ratelimit-reset": str(int(now) + 4)}, lambda: now) == 4.0
    assert delay_from_headers({"ratelimit-reset": "x"}, lambda: now) is None
    assert delay_from_headers({}, lambda: now) is None


async def test_async_sleep_runs_under_anyio() -> None:
    await _client_state.async_sleep(0)
