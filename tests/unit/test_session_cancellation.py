"""The async session's refresh and logout survive cancellation at every point (issue 18).

Served over real sockets by ``FakeAtproto``, whose refresh tokens rotate strictly: a refresh
abandoned after the server answered leaves the session with a revoked token, so the next one
would end the session (``on_deleted``) and every later call would fail. Each test cancels the
caller at one point of a refresh or a logout (see ``_cancellation``) and checks that the work
went on: one request reached the server, each hook ran once to its end, the new state was kept,
and the next call needs no refresh.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import anyio
import httpx
import pytest
from _cancellation import (
    BACKENDS_AND_KINDS,
    Hooks,
    TaskPoint,
    ThreadPoint,
    cancel_at,
    hold_requests,
)
from _real_server import serve_fake_atproto
from _session_server import PASSWORD, FakeAtproto

from atlex._agent import XrpcRequest
from atlex.errors import XrpcFetchError, XrpcResponseError
from atlex.session import AsyncPasswordSession, LoggedOutError

REFRESH = "com.atproto.server.refreshSession"
DELETE = "com.atproto.server.deleteSession"
ECHO = "app.example.echo"
TASKS = 50

pytestmark = pytest.mark.anyio

_TLS = ssl.create_default_context()
"""Shared by the sessions' clients: loading the CA bundle for each one is slow (and unused)."""


@pytest.fixture
def fake() -> Iterator[FakeAtproto]:
    with serve_fake_atproto() as served:
        served.add("alice")
        yield served


@pytest.fixture
async def hooks() -> Hooks:
    return Hooks()


@pytest.fixture
async def session(fake: FakeAtproto, hooks: Hooks) -> AsyncIterator[AsyncPasswordSession]:
    session = await AsyncPasswordSession.login(
        service=fake.entryway,
        identifier="alice.test",
        password=PASSWORD,
        http_client=httpx.AsyncClient(verify=_TLS),
        **hooks.kwargs(),
    )
    session._owns_http = True  # pyright: ignore[reportPrivateUsage]  # closed like its own
    hooks.runs.clear()  # the login's on_updated
    yield session
    await session.aclose()


def echo(message: str = "x") -> XrpcRequest:
    return XrpcRequest("GET", f"/xrpc/{ECHO}?message={message}")


def hold_answers(fake: FakeAtproto, nsid: str) -> ThreadPoint:
    """Hold the server's answers to ``nsid`` after the server acted on them (token rotated)."""
    point = ThreadPoint()

    def hold(request: httpx.Request, response: httpx.Response) -> None:
        if request.url.path == f"/xrpc/{nsid}":
            point.hold()

    fake.hold_answer = hold
    return point


def place(
    where: str, nsid: str, fake: FakeAtproto, hooks: Hooks, session: AsyncPasswordSession
) -> TaskPoint | ThreadPoint:
    """The point ``where`` of the operation whose request is ``nsid``."""
    if where == "before the request":
        point = TaskPoint()
        hold_requests(session._http, nsid, point)  # pyright: ignore[reportPrivateUsage]
        return point
    if where == "in flight":
        return hold_answers(fake, nsid)
    return hooks.hold(where)


# -- refresh ------------------------------------------------------------------------------------

REFRESH_POINTS = ["before the request", "in flight", "on_updated"]
"""Points of a refresh that succeeds."""


@pytest.mark.parametrize(("anyio_backend", "kind"), BACKENDS_AND_KINDS)
@pytest.mark.parametrize("where", REFRESH_POINTS)
@pytest.mark.parametrize("trigger", ["expired call", "refresh()"])
async def test_a_refresh_survives_its_cancelled_caller(
    fake: FakeAtproto,
    hooks: Hooks,
    session: AsyncPasswordSession,
    kind: str,
    where: str,
    trigger: str,
) -> None:
    before = session.session
    point = place(where, REFRESH, fake, hooks, session)
    operation: Callable[[], Awaitable[object]]
    if trigger == "expired call":
        fake.expire_access_tokens()
        operation = lambda: session.send(echo())  # noqa: E731
    else:
        operation = session.refresh
    await cancel_at(kind, operation, point)

    response = await session.send(echo("next"))  # waits for the refresh to end
    assert response.status_code == 200 and response.json()["message"] == "next"
    assert fake.calls[REFRESH] == 1  # exactly one reached the server; the next call needed none
    assert hooks.runs == [("on_updated", session.session)] and hooks.interrupted == []
    fresh = session.session
    assert fresh.access_jwt != before.access_jwt and fresh.refresh_jwt in fake.refresh
    assert before.refresh_jwt not in fake.refresh  # strict rotation: the old one is dead


@pytest.mark.parametrize(("anyio_backend", "kind"), BACKENDS_AND_KINDS)
async def test_a_failed_refresh_runs_on_update_failure_once_and_keeps_the_session(
    fake: FakeAtproto, hooks: Hooks, session: AsyncPasswordSession, kind: str
) -> None:
    kept = session.session
    fake.expire_access_tokens()
    fake.refresh_status = 503
    point = hooks.hold("on_update_failure")
    await cancel_at(kind, lambda: session.send(echo()), point)

    fake.refresh_status = None
    response = await session.send(echo("next"))  # the old tokens were kept: refresh, retry
    assert response.status_code == 200 and response.json()["message"] == "next"
    assert hooks.names() == ["on_update_failure", "on_updated"] and hooks.interrupted == []
    assert hooks.runs[0][1] == kept and fake.calls[REFRESH] == 2


@pytest.mark.parametrize(("anyio_backend", "kind"), BACKENDS_AND_KINDS)
async def test_a_refresh_the_server_refuses_runs_on_deleted_once(
    fake: FakeAtproto, hooks: Hooks, session: AsyncPasswordSession, kind: str
) -> None:
    data = session.session
    fake.expire_access_tokens()
    fake.revoke_refresh_tokens()
    point = hooks.hold("on_deleted")
    await cancel_at(kind, lambda: session.send(echo()), point)

    with pytest.raises(LoggedOutError):  # waits for the refresh to end
        await session.send(echo("next"))
    assert hooks.runs == [("on_deleted", data)] and hooks.interrupted == []
    assert session.destroyed and fake.calls[REFRESH] == 1
    with pytest.raises(XrpcResponseError, match="Token has been revoked"):
        await session.refresh()  # the failure that ended it, as upstream
    assert fake.calls[REFRESH] == 1


# -- logout -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("anyio_backend", "kind"), BACKENDS_AND_KINDS)
@pytest.mark.parametrize("where", ["before the request", "in flight", "on_deleted"])
@pytest.mark.parametrize("how", ["logout()", "async with"])
async def test_a_logout_survives_its_cancelled_caller(
    fake: FakeAtproto,
    hooks: Hooks,
    session: AsyncPasswordSession,
    kind: str,
    where: str,
    how: str,
) -> None:
    data = session.session
    point = place(where, DELETE, fake, hooks, session)

    async def leave() -> None:
        async with session:
            pass

    operation = session.logout if how == "logout()" else leave
    # leaving `async with` closes the session's client once the logout ended, so it waits
    await cancel_at(kind, operation, point, prompt=how == "logout()")

    await session.logout()  # waits for the first one to end; nothing left to do
    assert fake.calls[DELETE] == 1 and session.destroyed
    assert hooks.runs == [("on_deleted", data)] and hooks.interrupted == []
    assert data.refresh_jwt not in fake.refresh  # the server ended it
    with pytest.raises(LoggedOutError):
        await session.send(echo())
    if how == "async with":
        await session.aclose()  # waits for the close the cancelled `async with` left running
        assert session._http.is_closed  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize(("anyio_backend", "kind"), BACKENDS_AND_KINDS)
async def test_a_failed_logout_runs_on_delete_failure_once_and_keeps_the_session(
    fake: FakeAtproto, hooks: Hooks, session: AsyncPasswordSession, kind: str
) -> None:
    data = session.session
    fake.entryway_down = True
    point = hooks.hold("on_delete_failure")

    async def logout() -> None:
        with contextlib.suppress(XrpcFetchError):  # trio: the shielded logout ends first
            await session.logout()

    await cancel_at(kind, logout, point)

    fake.entryway_down = False
    response = await session.send(echo("still"))  # waits for the logout to end
    assert response.status_code == 200 and response.json()["message"] == "still"
    assert hooks.runs == [("on_delete_failure", data)] and hooks.interrupted == []
    assert not session.destroyed and session.session == data
    await session.logout()
    assert hooks.names() == ["on_delete_failure", "on_deleted"]


# -- many callers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("anyio_backend", "kind"), BACKENDS_AND_KINDS)
@pytest.mark.parametrize("where", REFRESH_POINTS)
async def test_fifty_callers_share_the_refresh_whose_starter_is_cancelled(
    fake: FakeAtproto,
    hooks: Hooks,
    session: AsyncPasswordSession,
    kind: str,
    where: str,
) -> None:
    """Caller 0 gets its expired answer first and starts the refresh; the other 49 get theirs
    once it has begun, join it, and wait while caller 0 is cancelled."""
    arrivals = _Countdown(TASKS)
    others_go = threading.Event()

    def hold_expired(request: httpx.Request, response: httpx.Response) -> None:
        if request.url.path == f"/xrpc/{ECHO}" and response.status_code != 200:
            arrivals.count()
            if request.url.params["message"] == "0":
                assert arrivals.done.wait(30)  # every caller used the expired token
            else:
                assert others_go.wait(30)

    point = place(where, REFRESH, fake, hooks, session)
    hold_refresh = fake.hold_answer
    fake.hold_answer = hold_expired
    if hold_refresh is not None:  # "in flight": hold both
        fake.hold_answer = lambda request, response: (
            hold_expired(request, response),
            hold_refresh(request, response),
        )
    fake.expire_access_tokens()
    statuses: dict[int, int] = {}

    async def call(i: int) -> None:
        response = await session.send(echo(str(i)))
        assert response.json()["message"] == str(i)
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
                tg.start_soon(call, i)
            await cancel_at(kind, lambda: call(0), point, before_release=let_the_others_join)
    finally:
        others_go.set()
        point.release()

    assert statuses == dict.fromkeys(range(1, TASKS), 200)
    assert fake.calls[REFRESH] == 1 and fake.calls[ECHO] == TASKS + TASKS - 1
    assert hooks.runs == [("on_updated", session.session)] and hooks.interrupted == []
    assert (await session.send(echo())).status_code == 200 and fake.calls[REFRESH] == 1


class _Countdown:
    """Counts calls from several threads; ``done`` is set at the ``n``-th."""

    def __init__(self, n: int) -> None:
        self._left = n
        self._lock = threading.Lock()
        self.done = threading.Event()

    def count(self) -> None:
        with self._lock:
            self._left -= 1
            if self._left == 0:
                self.done.set()


# -- login ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("anyio_backend", "kind"), BACKENDS_AND_KINDS)
async def test_the_login_hook_runs_to_its_end_when_the_login_is_cancelled(
    fake: FakeAtproto, hooks: Hooks, kind: str
) -> None:
    """The server holds the new session: on_updated, once begun, gets to save it."""
    point = hooks.hold("on_updated")
    client = httpx.AsyncClient(verify=_TLS)

    async def login() -> None:
        await AsyncPasswordSession.login(
            service=fake.entryway,
            identifier="alice.test",
            password=PASSWORD,
            http_client=client,
            **hooks.kwargs(),
        )

    await cancel_at(kind, login, point)
    with anyio.fail_after(30):
        while not hooks.runs:  # a cancelled asyncio caller does not wait for the hook
            await anyio.sleep(0.001)
    ((name, saved),) = hooks.runs
    assert name == "on_updated" and hooks.interrupted == []
    assert saved.refresh_jwt in fake.refresh  # what it saved resumes
    resumed = await AsyncPasswordSession.resume(saved, http_client=client)
    assert (await resumed.send(echo("back"))).json()["message"] == "back"
    await client.aclose()
