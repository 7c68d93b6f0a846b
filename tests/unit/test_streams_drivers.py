"""The blocking and asyncio stream drivers against a scripted websocket server on 127.0.0.1:
reconnect resuming from the cursor, giving up, idle timeout, oversized frames, error frames,
a refused upgrade, and close() from another thread. Both drivers run every scenario."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from _stream_frames import error_frame, identity_frame
from _stream_server import Script, scripted_server

from atlex.errors import XrpcResponseError
from atlex.lex.com.atproto.sync import subscribe_repos as repos_lex
from atlex.streams import (
    FrameTooLargeError,
    StreamConnectionError,
    async_subscribe_repos,
    subscribe_repos,
)

FAST = {"backoff_initial": 0.01, "backoff_max": 0.05}


def _seqs(url: str, count: int, mode: str, **options: Any) -> list[int]:
    """The seqs of the first ``count`` messages read by the ``mode`` driver."""
    if mode == "sync":
        out: list[int] = []
        with subscribe_repos(url, **{**FAST, **options}) as stream:
            for message in stream:
                out.append(message.seq)
                if len(out) == count:
                    break
        return out

    async def run() -> list[int]:
        got: list[int] = []
        async with async_subscribe_repos(url, **{**FAST, **options}) as stream:
            async for message in stream:
                got.append(message.seq)
                if len(got) == count:
                    break
        return got

    return asyncio.run(run())


MODES = ["sync", "async"]


@pytest.mark.parametrize("mode", MODES)
def test_a_dropped_connection_resumes_from_the_last_cursor(mode: str) -> None:
    script = Script(
        [
            [("send", identity_frame(1)), ("send", identity_frame(2)), ("close", 1011)],
            [("send", identity_frame(3)), ("close", 1000)],
            [("send", identity_frame(4))],
        ]
    )
    with scripted_server(script) as url:
        assert _seqs(url, 4, mode) == [1, 2, 3, 4]
    assert script.paths == [
        "/xrpc/com.atproto.sync.subscribeRepos",
        "/xrpc/com.atproto.sync.subscribeRepos?cursor=2",
        "/xrpc/com.atproto.sync.subscribeRepos?cursor=3",
    ]


@pytest.mark.parametrize("mode", MODES)
def test_without_reconnect_a_drop_raises_with_the_cursor(mode: str) -> None:
    script = Script([[("send", identity_frame(8)), ("close", 1011)]])
    with scripted_server(script) as url, pytest.raises(StreamConnectionError) as caught:
        _seqs(url, 5, mode, reconnect=False)
    assert caught.value.cursor == 8


@pytest.mark.parametrize("mode", MODES)
def test_an_idle_connection_is_reopened(mode: str) -> None:
    script = Script([[("send", identity_frame(1)), ("sleep", 5)], [("send", identity_frame(2))]])
    with scripted_server(script) as url:
        assert _seqs(url, 2, mode, idle_timeout=0.3) == [1, 2]
    assert script.paths[1].endswith("?cursor=1")


@pytest.mark.parametrize("mode", MODES)
def test_an_oversized_frame_raises_frame_too_large(mode: str) -> None:
    big = identity_frame(2, handle="h" * 3000 + ".test")
    script = Script([[("send", identity_frame(1)), ("send", big)]])
    with scripted_server(script) as url, pytest.raises(FrameTooLargeError) as caught:
        _seqs(url, 2, mode, max_frame_size=1000)
    assert (caught.value.limit, caught.value.cursor) == (1000, 1)
    assert len(script.paths) == 1  # not retried: the same frame would come again


@pytest.mark.parametrize("mode", MODES)
def test_declared_error_frames_are_raised(mode: str) -> None:
    script = Script([[("send", error_frame("FutureCursor", "no such seq yet"))]])
    with scripted_server(script) as url, pytest.raises(repos_lex.FutureCursorError):
        _seqs(url, 1, mode)


@pytest.mark.parametrize("mode", MODES)
def test_consumer_too_slow_reconnects_from_the_cursor(mode: str) -> None:
    script = Script(
        [
            [("send", identity_frame(5)), ("send", error_frame("ConsumerTooSlow"))],
            [("send", identity_frame(6))],
        ]
    )
    with scripted_server(script) as url:
        assert _seqs(url, 2, mode) == [5, 6]
    assert script.paths[1].endswith("?cursor=5")


@pytest.mark.parametrize("mode", MODES)
def test_a_refused_upgrade_raises_the_xrpc_error(mode: str) -> None:
    body = '{"error": "InvalidRequest", "message": "bad cursor"}'
    script = Script([], refuse=(400, body))
    with scripted_server(script) as url, pytest.raises(XrpcResponseError) as caught:
        _seqs(url, 1, mode)
    assert (caught.value.status, caught.value.error, caught.value.message) == (
        400,
        "InvalidRequest",
        "bad cursor",
    )
    assert len(script.paths) == 1


def test_an_unreachable_service_gives_up_after_max_retries() -> None:
    with pytest.raises(StreamConnectionError, match="after 3 attempts"):
        _seqs("http://127.0.0.1:9", 1, "sync", max_retries=2)


def test_close_from_another_thread_ends_a_blocked_iteration() -> None:
    script = Script([[("send", identity_frame(1)), ("sleep", 30)]])
    with scripted_server(script) as url:
        stream = subscribe_repos(url, **FAST)
        got: list[int] = []

        def consume() -> None:
            got.extend(message.seq for message in stream)

        worker = threading.Thread(target=consume)
        worker.start()
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.01)
        stream.close()
        worker.join(5)
        assert not worker.is_alive()
        assert got == [1]
        assert stream.cursor == 1


def test_async_aclose_ends_a_pending_iteration() -> None:
    script = Script([[("send", identity_frame(1)), ("sleep", 30)]])

    async def run(url: str) -> list[int]:
        stream = async_subscribe_repos(url, **FAST)
        got: list[int] = []

        async def consume() -> None:
            async for message in stream:
                got.append(message.seq)

        task = asyncio.create_task(consume())
        while not got:
            await asyncio.sleep(0.01)
        await stream.aclose()
        await asyncio.wait_for(task, 5)
        return got

    with scripted_server(script) as url:
        assert asyncio.run(run(url)) == [1]
