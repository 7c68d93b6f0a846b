"""The async session's refresh and logout survive cancellation, on the reference PDS (issue 18).

The session's transport goes to the PDS on 127.0.0.1, counts what reaches it, and can hold a
method's request before it leaves or its answer after the PDS acted on it (the refresh token is
rotated then). Each test cancels the caller there, or inside a hook, by each kind of
cancellation (see tests/unit/_cancellation.py), and checks that exactly one request reached the
PDS, each hook ran once to its end, the new state was kept and the next call needs no refresh.
The reference PDS forgives the reuse of a rotated refresh token for a while, so the strict
rotation case is in tests/unit/test_session_cancellation.py.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest
from _session_tokens import with_expired_access
from refnet import ReferenceNetwork
from refnet_xrpc import Account, XrpcCallError, call

from atlex._agent import XrpcRequest
from atlex.session import AsyncPasswordSession, LoggedOutError, PasswordSession

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))  # the shared harness
from _cancellation import (
    ASYNCIO_KINDS,
    Hooks,
    TaskPoint,
    cancel_at,
)

pytestmark = [pytest.mark.network, pytest.mark.anyio]

KINDS = [*ASYNCIO_KINDS, "anyio scope"]
POINTS = ["before the request", "in flight", "hook"]
REFRESH = "com.atproto.server.refreshSession"
DELETE = "com.atproto.server.deleteSession"
GET_SESSION = "com.atproto.server.getSession"
CALLER = "x-test-caller"
TASKS = 50


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # trio runs the same harness in tests/unit


class GatedWire(httpx.AsyncBaseTransport):
    """To the PDS on 127.0.0.1 (its DID documents say localhost): counts the requests that
    reach it per NSID, holds ``before[nsid]`` before sending and ``after[nsid]`` once answered."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.reached: Counter[str] = Counter()
        self.before: dict[str, TaskPoint] = {}
        self.after: dict[str, TaskPoint] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        nsid = request.url.path.removeprefix("/xrpc/")
        if request.url.host == "localhost":
            request.url = request.url.copy_with(host="127.0.0.1")
        if nsid in self.before:
            await self.before[nsid].hold()
        self.reached[nsid] += 1
        response = await self.inner.handle_async_request(request)
        if nsid in self.after:
            await self.after[nsid].hold()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def account(network: ReferenceNetwork) -> Account:
    return network.create_account("cancel")


@pytest.fixture
async def wire() -> AsyncIterator[GatedWire]:
    transport = GatedWire()
    yield transport
    await transport.aclose()


@pytest.fixture
async def hooks() -> Hooks:
    return Hooks()


async def expired_session(
    network: ReferenceNetwork, account: Account, wire: GatedWire, hooks: Hooks
) -> AsyncPasswordSession:
    """A fresh session of ``account`` whose access token has expired (forged)."""
    login = PasswordSession.login(
        service=network.info.pds, identifier=account.handle, password=account.password
    )
    data = login.session
    login.close()  # (no logout: the session goes on)
    return AsyncPasswordSession(
        with_expired_access(data, network),
        http_client=httpx.AsyncClient(transport=wire, timeout=30),
        **hooks.kwargs(),
    )


def place(where: str, nsid: str, hook: str, wire: GatedWire, hooks: Hooks) -> TaskPoint:
    if where == "before the request":
        wire.before[nsid] = TaskPoint()
        return wire.before[nsid]
    if where == "in flight":
        wire.after[nsid] = TaskPoint()
        return wire.after[nsid]
    return hooks.hold(hook)


def get_session(caller: int | None = None) -> XrpcRequest:
    headers = [] if caller is None else [(CALLER, str(caller))]
    return XrpcRequest("GET", f"/xrpc/{GET_SESSION}", headers=headers)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", POINTS)
async def test_a_refresh_survives_its_cancelled_caller(
    network: ReferenceNetwork,
    account: Account,
    wire: GatedWire,
    hooks: Hooks,
    kind: str,
    where: str,
) -> None:
    session = await expired_session(network, account, wire, hooks)
    stale = session.session
    point = place(where, REFRESH, "on_updated", wire, hooks)
    await cancel_at(kind, lambda: session.send(get_session()), point)

    response = await session.send(get_session())  # waits for the refresh to end
    assert response.status_code == 200 and response.json()["did"] == account.did
    assert wire.reached[REFRESH] == 1  # one refresh reached the PDS; the next call needed none
    assert hooks.runs == [("on_updated", session.session)] and hooks.interrupted == []
    assert session.session.access_jwt != stale.access_jwt
    await session.logout()  # with the kept refresh token
    assert hooks.names() == ["on_updated", "on_deleted"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", POINTS)
async def test_a_logout_survives_its_cancelled_caller(
    network: ReferenceNetwork,
    account: Account,
    wire: GatedWire,
    hooks: Hooks,
    kind: str,
    where: str,
) -> None:
    session = await expired_session(network, account, wire, hooks)
    data = session.session
    point = place(where, DELETE, "on_deleted", wire, hooks)
    await cancel_at(kind, session.logout, point)

    await session.logout()  # waits for the first one to end; nothing left to do
    assert wire.reached[DELETE] == 1 and session.destroyed
    assert hooks.runs == [("on_deleted", data)] and hooks.interrupted == []
    with pytest.raises(LoggedOutError):
        await session.send(get_session())
    with pytest.raises(XrpcCallError, match="Token has been revoked"):  # the PDS ended it
        call(network.info.pds, REFRESH, token=data.refresh_jwt, procedure=True)
    await session.aclose()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", POINTS)
async def test_fifty_callers_share_the_refresh_whose_starter_is_cancelled(
    network: ReferenceNetwork,
    account: Account,
    wire: GatedWire,
    hooks: Hooks,
    kind: str,
    where: str,
) -> None:
    """Caller 0 gets its expired answer first and starts the refresh; the other 49 get theirs
    once it has begun, join it, and wait while caller 0 is cancelled."""
    session = await expired_session(network, account, wire, hooks)
    point = place(where, REFRESH, "on_updated", wire, hooks)
    all_sent, others_go = anyio.Event(), anyio.Event()
    sent = 0
    forward = wire.handle_async_request

    async def hold_expired_answers(request: httpx.Request) -> httpx.Response:
        nonlocal sent
        caller = request.headers.get(CALLER)
        if caller is None or request.url.path != f"/xrpc/{GET_SESSION}":
            return await forward(request)
        response = await forward(request)
        if response.status_code == 200:  # the retry
            return response
        sent += 1
        if sent == TASKS:
            all_sent.set()
        await (all_sent if caller == "0" else others_go).wait()
        return response

    wire.handle_async_request = hold_expired_answers  # type: ignore[method-assign]
    statuses: dict[int, int] = {}

    async def call_as(i: int) -> None:
        response = await session.send(get_session(i))
        assert response.json()["did"] == account.did
        statuses[i] = response.status_code

    async def let_the_others_join() -> None:
        others_go.set()
        refresh = session._core.tail  # pyright: ignore[reportPrivateUsage]
        assert refresh.signal is not None and not refresh.done
        while refresh.signal.statistics().tasks_waiting < TASKS - 1:
            await anyio.sleep(0.001)  # they are on their way back with their expired answers

    try:
        async with anyio.create_task_group() as tg:
            for i in range(1, TASKS):
                tg.start_soon(call_as, i)
            await cancel_at(kind, lambda: call_as(0), point, before_release=let_the_others_join)
    finally:
        others_go.set()
        point.release()

    assert statuses == dict.fromkeys(range(1, TASKS), 200)
    assert wire.reached[REFRESH] == 1
    assert hooks.runs == [("on_updated", session.session)] and hooks.interrupted == []
    response = await session.send(get_session())
    assert response.status_code == 200 and wire.reached[REFRESH] == 1
    await session.logout()
    assert hooks.names() == ["on_updated", "on_deleted"]
