"""Concurrent callers after expiry share exactly one refresh (tasks and threads).

The fake PDS holds every expired-token answer until all callers have received theirs, so all of
them see the expiry before any refresh starts: the worst case for the shared refresh.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
import pytest
from _session_server import ENTRYWAY, PASSWORD, FakeAtproto

from atlex._agent import XrpcRequest
from atlex.session import AsyncPasswordSession, PasswordSession, SessionData

TASKS = 50
THREADS = 16


@pytest.mark.anyio
async def test_fifty_tasks_after_expiry_cause_one_refresh() -> None:
    server = FakeAtproto()
    server.add("alice")
    updated: list[SessionData] = []

    async def on_updated(data: SessionData) -> None:
        await anyio.sleep(0)
        updated.append(data)

    session = await AsyncPasswordSession.login(
        service=ENTRYWAY,
        identifier="alice.test",
        password=PASSWORD,
        on_updated=on_updated,
        http_client=httpx.AsyncClient(transport=server.async_transport()),
    )
    updated.clear()
    arrived = 0
    all_arrived = anyio.Event()

    async def hold_until_all_expired() -> None:
        nonlocal arrived
        arrived += 1
        if arrived == TASKS:
            all_arrived.set()
        await all_arrived.wait()

    server.before_expired_answer_async = hold_until_all_expired
    server.expire_access_tokens()
    statuses: list[int] = []

    async def call(i: int) -> None:
        response = await session.send(XrpcRequest("GET", f"/xrpc/app.example.echo?message={i}"))
        assert response.json()["message"] == str(i)
        statuses.append(response.status_code)

    with anyio.fail_after(30):  # a deadlock fails instead of hanging the suite
        async with anyio.create_task_group() as tg:
            for i in range(TASKS):
                tg.start_soon(call, i)

    assert arrived == TASKS
    assert statuses == [200] * TASKS
    assert server.calls["com.atproto.server.refreshSession"] == 1
    assert server.calls["app.example.echo"] == 2 * TASKS  # each retried exactly once
    assert updated == [session.session]


def test_sixteen_threads_after_expiry_cause_one_refresh() -> None:
    server = FakeAtproto()
    server.add("alice")
    updated: list[SessionData] = []
    session = PasswordSession.login(
        service=ENTRYWAY,
        identifier="alice.test",
        password=PASSWORD,
        on_updated=updated.append,
        http_client=httpx.Client(transport=server.sync_transport()),
    )
    updated.clear()
    barrier = threading.Barrier(THREADS, timeout=30)
    server.before_expired_answer = barrier.wait
    server.expire_access_tokens()

    def call(i: int) -> int:
        response = session.send(XrpcRequest("GET", f"/xrpc/app.example.echo?message={i}"))
        assert response.json()["message"] == str(i)
        return response.status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(call, range(THREADS)))

    assert statuses == [200] * THREADS
    assert server.calls["com.atproto.server.refreshSession"] == 1
    assert server.calls["app.example.echo"] == 2 * THREADS
    assert updated == [session.session]


def test_threads_arriving_during_a_refresh_wait_and_use_the_new_token() -> None:
    server = FakeAtproto()
    server.add("alice")
    session = PasswordSession.login(
        service=ENTRYWAY,
        identifier="alice.test",
        password=PASSWORD,
        http_client=httpx.Client(transport=server.sync_transport()),
    )
    in_hook = threading.Event()
    release = threading.Event()

    def slow_hook(data: SessionData) -> None:
        in_hook.set()
        assert release.wait(30)

    session._hooks["on_updated"] = slow_hook  # pyright: ignore[reportPrivateUsage]
    with ThreadPoolExecutor(4) as pool:
        refreshing = pool.submit(session.refresh)
        assert in_hook.wait(30)
        late = [
            pool.submit(session.send, XrpcRequest("GET", "/xrpc/app.example.echo"))
            for _ in range(3)
        ]
        release.set()
        fresh = refreshing.result(30)
        assert [f.result(30).status_code for f in late] == [200] * 3
    echo_tokens = {s.authorization for s in server.seen if s.nsid == "app.example.echo"}
    assert echo_tokens == {f"Bearer {fresh.access_jwt}"}  # none went out with the old token


@pytest.mark.anyio
async def test_a_cancelled_caller_does_not_abandon_its_refresh() -> None:
    server = FakeAtproto()
    server.add("alice")
    in_hook = anyio.Event()
    release = anyio.Event()
    updated: list[SessionData] = []

    async def on_updated(data: SessionData) -> None:
        in_hook.set()
        await release.wait()
        updated.append(data)

    session = await AsyncPasswordSession.login(
        service=ENTRYWAY,
        identifier="alice.test",
        password=PASSWORD,
        http_client=httpx.AsyncClient(transport=server.async_transport()),
    )
    session._hooks["on_updated"] = on_updated  # pyright: ignore[reportPrivateUsage]
    server.expire_access_tokens()
    outcome: list[str] = []

    async def caller(scope: anyio.CancelScope) -> None:
        with scope:
            await session.send(XrpcRequest("GET", "/xrpc/app.example.echo"))
            outcome.append("finished")
        outcome.append("cancelled" if scope.cancelled_caught else "not cancelled")

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            scope = anyio.CancelScope()
            tg.start_soon(caller, scope)
            await in_hook.wait()  # the caller's refresh is inside its hook now
            scope.cancel()
            release.set()
        # the refresh completed although its caller was cancelled, and the session goes on
        assert updated == [session.session]
        assert server.calls["com.atproto.server.refreshSession"] == 1
        response = await session.send(XrpcRequest("GET", "/xrpc/app.example.echo"))
    assert response.status_code == 200
    assert outcome in (["cancelled"], ["finished", "not cancelled"])
