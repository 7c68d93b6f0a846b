"""PasswordSession / AsyncPasswordSession against the real reference PDS (issue 5 acceptance).

Expiry is exercised two ways (real-network.md §6): a PDS whose access tokens live 3 s
(``short_token_pds``), and an expired access token forged with the PDS's JWT secret.
2FA and foreign-PDS routing are in tests/unit (the reference PDS has no email 2FA).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest
from _session_tokens import with_expired_access
from refnet import LonePds, ReferenceNetwork
from refnet_xrpc import XrpcCallError, call, poll

from atlex._agent import XrpcRequest, note_of
from atlex.errors import XrpcAuthenticationError, XrpcError, XrpcFetchError, XrpcResponseError
from atlex.session import (
    AsyncPasswordSession,
    LoggedOutError,
    PasswordSession,
    SessionData,
)

pytestmark = pytest.mark.network

GET_SESSION = XrpcRequest("GET", "/xrpc/com.atproto.server.getSession")
TS_KEYS_AFTER_LOGIN = {
    "accessJwt",
    "refreshJwt",
    "handle",
    "did",
    "email",
    "emailConfirmed",
    "active",
    "service",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- transports: loopback only, a switch to take the server away, a request counter ----------


class Recording(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sends to 127.0.0.1 (the PDS advertises http://localhost:PORT in DID documents), counts
    requests per NSID, and can make some methods unreachable (``down``)."""

    def __init__(self) -> None:
        self.sync = httpx.HTTPTransport()
        self.async_ = httpx.AsyncHTTPTransport()
        self.calls: Counter[str] = Counter()
        self.hosts: list[str] = []
        self.down: set[str] = set()
        """NSIDs whose requests fail as if the server were unreachable."""
        self._lock = threading.Lock()

    def _prepare(self, request: httpx.Request) -> None:
        nsid = request.url.path.removeprefix("/xrpc/")
        with self._lock:
            self.calls[nsid] += 1
            self.hosts.append(request.url.netloc.decode())
        if nsid in self.down:
            raise httpx.ConnectError(
                "connection refused (test switched the server off)", request=request
            )
        if request.url.host == "localhost":
            request.url = request.url.copy_with(host="127.0.0.1")

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._prepare(request)
        return self.sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._prepare(request)
        return await self.async_.handle_async_request(request)


@pytest.fixture
def wire() -> Iterator[Recording]:
    transport = Recording()
    yield transport
    transport.sync.close()


def sync_http(wire: Recording) -> httpx.Client:
    return httpx.Client(transport=wire, timeout=30)


def async_http(wire: Recording) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=wire, timeout=30)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def run(value: Any) -> Any:
    """Await coroutines (async session), pass plain values through (sync session)."""
    return await value if hasattr(value, "__await__") else value


class Recorder:
    def __init__(self) -> None:
        self.updated: list[SessionData] = []
        self.update_failures: list[XrpcError] = []
        self.deleted: list[SessionData] = []
        self.delete_failures: list[XrpcError] = []

    def on_updated(self, data: SessionData) -> None:
        self.updated.append(data)

    def on_update_failure(self, data: SessionData, failure: XrpcError) -> None:
        self.update_failures.append(failure)

    def on_deleted(self, data: SessionData) -> None:
        self.deleted.append(data)

    def on_delete_failure(self, data: SessionData, failure: XrpcError) -> None:
        self.delete_failures.append(failure)

    def hooks(self) -> dict[str, Any]:
        return {
            "on_updated": self.on_updated,
            "on_update_failure": self.on_update_failure,
            "on_deleted": self.on_deleted,
            "on_delete_failure": self.on_delete_failure,
        }


def session_cls(mode: str) -> Any:
    """The session class for ``mode`` (typed loosely: the tests drive both through ``run``)."""
    return PasswordSession if mode == "sync" else AsyncPasswordSession


def http_for(mode: str, wire: Recording) -> Any:
    return sync_http(wire) if mode == "sync" else async_http(wire)


def wait_until_expired(pds: LonePds, token: str) -> None:
    """Poll the PDS until it calls ``token`` expired (the 3 s lifetime has run out)."""

    def status() -> str:
        try:
            call(pds.info.pds, "com.atproto.server.getSession", token=token)
        except XrpcCallError as exc:
            return str(exc.body)
        return "valid"

    poll(status, lambda s: "ExpiredToken" in s, timeout=30, what="the access token to expire")


# -- login ------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("by", ["handle", "email"])
async def test_login_by_handle_and_by_email(
    network: ReferenceNetwork, wire: Recording, mode: str, by: str
) -> None:
    account = network.create_account("login")
    recorder = Recorder()
    session = await run(
        session_cls(mode).login(
            service=network.info.pds,
            identifier=account.handle if by == "handle" else account.email,
            password=account.password,
            http_client=http_for(mode, wire),
            **recorder.hooks(),
        )
    )
    assert (session.did, session.handle) == (account.did, account.handle)
    assert recorder.updated == [session.session]
    # the JSON the TypeScript package would persist after this login, key for key
    assert set(json.loads(session.session.to_json())) == TS_KEYS_AFTER_LOGIN
    response = await run(session.send(GET_SESSION))
    assert response.status_code == 200 and response.json()["did"] == account.did
    await run(session.logout())


@pytest.mark.anyio
async def test_wrong_password(network: ReferenceNetwork, wire: Recording, mode: str) -> None:
    account = network.create_account("wrongpw")
    recorder = Recorder()
    with pytest.raises(XrpcResponseError) as info:
        await run(
            session_cls(mode).login(
                service=network.info.pds,
                identifier=account.handle,
                password="not-the-password",
                http_client=http_for(mode, wire),
                **recorder.hooks(),
            )
        )
    assert isinstance(info.value, XrpcAuthenticationError)
    assert (info.value.error, info.value.status) == ("AuthenticationRequired", 401)
    assert info.value.message == "Invalid identifier or password"
    assert "not-the-password" not in str(info.value) and recorder.updated == []


def test_login_url_form(network: ReferenceNetwork, wire: Recording) -> None:
    account = network.create_account("urlform")
    host = network.info.pds.removeprefix("http://")
    with PasswordSession.login(
        f"http://{account.handle}:{account.password}@{host}", http_client=sync_http(wire)
    ) as s:
        assert s.did == account.did
        assert s.session.service == network.info.pds
        assert s.send(GET_SESSION).json()["handle"] == account.handle
    assert s.destroyed


@pytest.mark.anyio
async def test_create_account_returns_a_working_session(
    network: ReferenceNetwork, wire: Recording, mode: str
) -> None:
    recorder = Recorder()
    handle = f"made{int(time.time() * 1000) % 10**9}{mode}.test"
    session = await run(
        session_cls(mode).create_account(
            service=network.info.pds,
            handle=handle,
            email=f"{handle.split('.')[0]}@mail.test",
            password="a-good-password",
            http_client=http_for(mode, wire),
            **recorder.hooks(),
        )
    )
    assert session.handle == handle and recorder.updated == [session.session]
    doc = session.session.did_doc
    assert doc is not None  # createAccount always returns the DID document ...
    response = await run(session.send(GET_SESSION))
    assert response.status_code == 200 and response.json()["handle"] == handle
    # ... so requests went to the PDS it names (its public URL, http://localhost:PORT)
    assert wire.hosts[-1] == network.info.pds_public_url.removeprefix("http://")
    await run(session.logout())
    assert len(recorder.deleted) == 1


# -- refresh ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_call_after_real_expiry_refreshes_transparently(
    short_token_pds: LonePds, wire: Recording, mode: str
) -> None:
    account = short_token_pds.create_account("expiry")
    recorder = Recorder()
    session = await run(
        session_cls(mode).login(
            service=short_token_pds.info.pds,
            identifier=account.handle,
            password=account.password,
            http_client=http_for(mode, wire),
            **recorder.hooks(),
        )
    )
    first = session.session
    wait_until_expired(short_token_pds, first.access_jwt)
    response = await run(session.send(GET_SESSION))
    assert response.status_code == 200 and response.json()["did"] == account.did
    assert wire.calls["com.atproto.server.refreshSession"] == 1
    assert wire.calls["com.atproto.server.getSession"] == 3  # expired, backfill, retry
    assert len(recorder.updated) == 2 and session.session.access_jwt != first.access_jwt
    assert session.session.email == account.email  # backfilled fields kept
    await run(session.logout())


@pytest.mark.anyio
async def test_fifty_tasks_after_expiry_share_one_refresh(
    short_token_pds: LonePds, wire: Recording
) -> None:
    account = short_token_pds.create_account("tasks")
    recorder = Recorder()
    session = await AsyncPasswordSession.login(
        service=short_token_pds.info.pds,
        identifier=account.handle,
        password=account.password,
        http_client=async_http(wire),
        **recorder.hooks(),
    )
    wait_until_expired(short_token_pds, session.session.access_jwt)
    statuses: list[int] = []

    async def one() -> None:
        statuses.append((await session.send(GET_SESSION)).status_code)

    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(one)
    assert statuses == [200] * 50
    assert wire.calls["com.atproto.server.refreshSession"] == 1
    assert len(recorder.updated) == 2  # login, then the one refresh
    await session.logout()


def test_sixteen_threads_after_expiry_share_one_refresh(
    short_token_pds: LonePds, wire: Recording
) -> None:
    account = short_token_pds.create_account("threads")
    recorder = Recorder()
    session = PasswordSession.login(
        service=short_token_pds.info.pds,
        identifier=account.handle,
        password=account.password,
        http_client=sync_http(wire),
        **recorder.hooks(),
    )
    wait_until_expired(short_token_pds, session.session.access_jwt)
    start = threading.Barrier(16)

    def one(_: int) -> int:
        start.wait(30)
        return session.send(GET_SESSION).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(one, range(16)))
    assert statuses == [200] * 16
    assert wire.calls["com.atproto.server.refreshSession"] == 1
    assert len(recorder.updated) == 2
    session.logout()


@pytest.mark.anyio
async def test_forged_expired_token_refreshes(
    network: ReferenceNetwork, wire: Recording, mode: str
) -> None:
    account = network.create_account("forged")
    login = PasswordSession.login(
        service=network.info.pds, identifier=account.handle, password=account.password
    )
    recorder = Recorder()
    session = session_cls(mode)(
        with_expired_access(login.session, network),
        http_client=http_for(mode, wire),
        **recorder.hooks(),
    )
    response = await run(session.send(GET_SESSION))
    assert response.status_code == 200 and len(recorder.updated) == 1
    assert wire.calls["com.atproto.server.refreshSession"] == 1
    await run(session.logout())
    login.close()


@pytest.mark.anyio
async def test_revoked_refresh_token_ends_the_session(
    network: ReferenceNetwork, wire: Recording, mode: str
) -> None:
    account = network.create_account("revoked")
    data = PasswordSession.login(
        service=network.info.pds, identifier=account.handle, password=account.password
    ).session
    # the session is deleted elsewhere (another device logs it out)
    call(
        network.info.pds, "com.atproto.server.deleteSession", token=data.refresh_jwt, procedure=True
    )
    recorder = Recorder()
    session = session_cls(mode)(
        with_expired_access(data, network), http_client=http_for(mode, wire), **recorder.hooks()
    )
    response = await run(session.send(GET_SESSION))
    # this call gets its own failure back; the session is over
    assert response.status_code == 400 and response.json()["error"] == "ExpiredToken"
    assert len(recorder.deleted) == 1 and recorder.update_failures == [] and session.destroyed
    with pytest.raises(LoggedOutError) as info:
        await run(session.send(GET_SESSION))
    cause = info.value.__cause__
    assert isinstance(cause, XrpcResponseError)
    assert (cause.error, cause.message) == ("ExpiredToken", "Token has been revoked")
    assert len(recorder.deleted) == 1


@pytest.mark.anyio
async def test_unreachable_during_refresh_keeps_the_session(
    network: ReferenceNetwork, wire: Recording, mode: str
) -> None:
    account = network.create_account("flaky")
    login = PasswordSession.login(
        service=network.info.pds, identifier=account.handle, password=account.password
    )
    recorder = Recorder()
    stale = with_expired_access(login.session, network)
    session = session_cls(mode)(stale, http_client=http_for(mode, wire), **recorder.hooks())
    wire.down = {"com.atproto.server.refreshSession"}
    response = await run(session.send(GET_SESSION))
    assert response.status_code == 400 and response.json()["error"] == "ExpiredToken"
    (failure,) = recorder.update_failures
    assert isinstance(failure, XrpcFetchError)
    note = note_of(response)  # what a client's error for this answer carries
    assert note is not None and note.cause is failure
    assert recorder.deleted == [] and not session.destroyed and session.session is stale

    wire.down = set()  # the server is back
    response = await run(session.send(GET_SESSION))
    assert response.status_code == 200 and response.json()["did"] == account.did
    assert len(recorder.updated) == 1 and session.session.access_jwt != stale.access_jwt
    await run(session.logout())
    login.close()


# -- resume, logout, delete -------------------------------------------------------------------


@pytest.mark.anyio
async def test_resume_of_saved_and_typescript_shaped_data(
    network: ReferenceNetwork, wire: Recording, mode: str
) -> None:
    account = network.create_account("resume")
    # exactly what the TypeScript package writes: {...createSession output, service}
    created = call(
        network.info.pds,
        "com.atproto.server.createSession",
        body={"identifier": account.handle, "password": account.password},
    )
    ts_json = json.dumps({**created, "service": network.info.pds})
    recorder = Recorder()
    session = await run(
        session_cls(mode).resume(
            SessionData.from_json(ts_json), http_client=http_for(mode, wire), **recorder.hooks()
        )
    )
    assert len(recorder.updated) == 1 and session.did == account.did
    assert (await run(session.send(GET_SESSION))).json()["did"] == account.did
    # and what we save resumes too, and still has the TypeScript keys
    saved = session.session.to_json()
    assert set(json.loads(ts_json)) <= set(json.loads(saved))
    again = await run(
        session_cls(mode).resume(
            SessionData.from_json(saved), http_client=http_for(mode, wire), **recorder.hooks()
        )
    )
    assert (await run(again.send(GET_SESSION))).status_code == 200
    # data whose session was deleted elsewhere cannot be resumed: a definitive failure
    other = call(
        network.info.pds,
        "com.atproto.server.createSession",
        body={"identifier": account.handle, "password": account.password},
    )
    call(
        network.info.pds,
        "com.atproto.server.deleteSession",
        token=other["refreshJwt"],
        procedure=True,
    )
    dead = SessionData.from_json(json.dumps({**other, "service": network.info.pds}))
    with pytest.raises(XrpcResponseError) as info:
        await run(
            session_cls(mode).resume(dead, http_client=http_for(mode, wire), **recorder.hooks())
        )
    assert (info.value.error, info.value.message) == ("ExpiredToken", "Token has been revoked")
    assert len(recorder.deleted) == 1
    await run(again.logout())


@pytest.mark.anyio
async def test_logout_is_idempotent_and_delete_of_stale_data_succeeds(
    network: ReferenceNetwork, wire: Recording, mode: str
) -> None:
    account = network.create_account("logout")
    recorder = Recorder()
    session = await run(
        session_cls(mode).login(
            service=network.info.pds,
            identifier=account.handle,
            password=account.password,
            http_client=http_for(mode, wire),
            **recorder.hooks(),
        )
    )
    data = session.session
    await run(session.logout())
    await run(session.logout())
    assert wire.calls["com.atproto.server.deleteSession"] == 1
    assert len(recorder.deleted) == 1 and session.destroyed
    with pytest.raises(LoggedOutError, match="Logged out"):
        await run(session.send(GET_SESSION))
    # the refresh token is revoked on the server: refreshing it fails as the reference says
    with pytest.raises(XrpcCallError, match="Token has been revoked"):
        call(
            network.info.pds,
            "com.atproto.server.refreshSession",
            token=data.refresh_jwt,
            procedure=True,
        )
    for _ in range(2):
        await run(
            session_cls(mode).delete(
                data, http_client=http_for(mode, wire), on_deleted=recorder.on_deleted
            )
        )
    assert len(recorder.deleted) == 3 and recorder.delete_failures == []


def test_no_token_or_password_in_debug_logs(
    network: ReferenceNetwork, wire: Recording, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log every request at this level
    account = network.create_account("logs")
    session = PasswordSession.login(
        service=network.info.pds,
        identifier=account.handle,
        password=account.password,
        http_client=sync_http(wire),
    )
    tokens = [session.session.access_jwt, session.session.refresh_jwt]
    stale = with_expired_access(session.session, network)
    session = PasswordSession(stale, http_client=sync_http(wire))
    assert session.send(GET_SESSION).status_code == 200  # forged token, refresh, retry
    tokens += [stale.access_jwt, session.session.access_jwt, session.session.refresh_jwt]
    session.logout()
    assert "HTTP Request" in caplog.text  # the transport did log
    for secret in [*tokens, account.password]:
        assert secret not in caplog.text
