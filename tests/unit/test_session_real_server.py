"""2FA login and DID-document routing of the sessions over real sockets.

The reference PDS has no email 2FA and names itself in its DID documents, so these run against
``FakeAtproto`` served by ``_real_server`` on two 127.0.0.1 ports: an entryway (login service)
and a PDS that only the DID document names. The sessions use their own default httpx clients:
nothing is injected, so addresses, connections and bodies all go through the network stack.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from _real_server import FakeServerCrash, serve_fake_atproto
from _session_server import PASSWORD, TWO_FACTOR_TOKEN, FakeAtproto

from atlex import AsyncClient, Client
from atlex.errors import LexAuthFactorError, XrpcFetchError, XrpcResponseError
from atlex.session import AsyncPasswordSession, PasswordSession, SessionData

CREATE = "com.atproto.server.createSession"
REFRESH = "com.atproto.server.refreshSession"
GET = "com.atproto.server.getSession"
DELETE = "com.atproto.server.deleteSession"
ECHO = "app.example.echo"


@pytest.fixture
def fake() -> Iterator[FakeAtproto]:
    with serve_fake_atproto() as served:
        served.add("alice")
        served.add("carol", two_factor=True)
        yield served


def _host(url: str) -> str:
    return httpx.URL(url).netloc.decode()


def _route(fake: FakeAtproto) -> list[tuple[str, str]]:
    """(nsid, which server received it) for every request, in order."""
    names = {_host(fake.entryway): "entryway", _host(fake.pds): "pds"}
    return [(seen.nsid, names.get(seen.host, seen.host)) for seen in fake.seen]


# -- the helper itself --------------------------------------------------------------------------


def test_two_live_servers_that_leave_nothing_behind() -> None:
    threads_before = set(threading.enumerate())
    with serve_fake_atproto() as fake:
        fake.add("alice")
        assert fake.entryway.startswith("http://127.0.0.1:")
        assert fake.pds.startswith("http://127.0.0.1:") and fake.pds != fake.entryway
        # a raw round trip: the fake's exact error body, status and content type come back
        answer = httpx.post(
            f"{fake.entryway}/xrpc/{CREATE}", json={"identifier": "alice.test", "password": "x"}
        )
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == {
            "error": "AuthenticationRequired",
            "message": "Invalid identifier or password",
        }
        answer = httpx.post(
            f"{fake.entryway}/xrpc/{CREATE}",
            json={"identifier": "alice.test", "password": PASSWORD},
        )
        assert answer.json()["didDoc"]["service"][0]["serviceEndpoint"] == fake.pds
        ports = [httpx.URL(url).port for url in (fake.entryway, fake.pds)]
        started = {thread.name for thread in set(threading.enumerate()) - threads_before}
        assert {"fake-entryway", "fake-pds"} <= started  # (plus any handler still finishing)
    assert set(threading.enumerate()) == threads_before
    for port in ports:
        assert port is not None
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_an_unreachable_entryway_hangs_up_and_login_fails_as_a_fetch_error(
    fake: FakeAtproto,
) -> None:
    fake.entryway_down = True
    with pytest.raises(XrpcFetchError):
        PasswordSession.login(service=fake.entryway, identifier="alice.test", password=PASSWORD)
    assert _route(fake) == [(CREATE, "entryway")]


def test_a_crash_in_the_fake_answers_500_and_fails_the_block() -> None:
    with (
        pytest.raises(FakeServerCrash, match="the fake entryway raised") as info,
        serve_fake_atproto() as fake,
    ):
        answer = httpx.post(f"{fake.entryway}/xrpc/{CREATE}", content=b"not json")
        assert answer.status_code == 500
        assert answer.json()["error"] == "InternalServerError"
    assert isinstance(info.value.__cause__, json.JSONDecodeError)


# -- 2FA ----------------------------------------------------------------------------------------


def test_two_factor_login_sync(fake: FakeAtproto) -> None:
    with pytest.raises(LexAuthFactorError) as info:
        PasswordSession.login(service=fake.entryway, identifier="carol.test", password=PASSWORD)
    assert info.value.error == "AuthFactorTokenRequired"
    assert isinstance(info.value.__cause__, XrpcResponseError)
    assert info.value.__cause__.status == 401

    with PasswordSession.login(
        service=fake.entryway,
        identifier="carol.test",
        password=PASSWORD,
        auth_factor_token=TWO_FACTOR_TOKEN,
    ) as session:
        assert session.did == "did:plc:carol"
        assert Client(session).call(ECHO, {"message": "2fa"})["message"] == "2fa"
    assert _route(fake) == [
        (CREATE, "entryway"),
        (CREATE, "entryway"),
        (ECHO, "pds"),
        (DELETE, "entryway"),
    ]


@pytest.mark.anyio
async def test_two_factor_login_async(fake: FakeAtproto) -> None:
    with pytest.raises(LexAuthFactorError) as info:
        await AsyncPasswordSession.login(
            service=fake.entryway, identifier="carol.test", password=PASSWORD
        )
    assert info.value.error == "AuthFactorTokenRequired"

    async with await AsyncPasswordSession.login(
        service=fake.entryway,
        identifier="carol.test",
        password=PASSWORD,
        auth_factor_token=TWO_FACTOR_TOKEN,
    ) as session:
        assert session.did == "did:plc:carol"
        assert (await AsyncClient(session).call(ECHO, {"message": "2fa"}))["message"] == "2fa"
    assert _route(fake) == [
        (CREATE, "entryway"),
        (CREATE, "entryway"),
        (ECHO, "pds"),
        (DELETE, "entryway"),
    ]


# -- routing, refresh and logout ------------------------------------------------------------------


def _check_routed_session(fake: FakeAtproto, data: SessionData) -> None:
    assert data.service == fake.entryway  # the login service is what the session keeps
    assert data.did_doc is not None
    assert data.did_doc["service"][0]["serviceEndpoint"] == fake.pds


def test_calls_go_to_the_did_document_pds_and_session_calls_to_the_entryway_sync(
    fake: FakeAtproto,
) -> None:
    session = PasswordSession.login(
        service=fake.entryway, identifier="alice.test", password=PASSWORD
    )
    try:
        _check_routed_session(fake, session.session)
        client = Client(session)
        answer = client.call(ECHO, {"message": "routed"})
        assert answer == {"did": "did:plc:alice", "message": "routed", "host": _host(fake.pds)}
        session.refresh()
        assert client.call(ECHO, input={"message": "posted"})["message"] == "posted"
        session.logout()
    finally:
        session.close()
    assert _route(fake) == [
        (CREATE, "entryway"),
        (ECHO, "pds"),
        (REFRESH, "entryway"),
        (GET, "entryway"),  # refreshSession lacked the DID document: fetched again
        (ECHO, "pds"),
        (DELETE, "entryway"),
    ]


@pytest.mark.anyio
async def test_calls_go_to_the_did_document_pds_and_session_calls_to_the_entryway_async(
    fake: FakeAtproto,
) -> None:
    session = await AsyncPasswordSession.login(
        service=fake.entryway, identifier="alice.test", password=PASSWORD
    )
    try:
        _check_routed_session(fake, session.session)
        client = AsyncClient(session)
        answer = await client.call(ECHO, {"message": "routed"})
        assert answer == {"did": "did:plc:alice", "message": "routed", "host": _host(fake.pds)}
        await session.refresh()
        assert (await client.call(ECHO, input={"message": "posted"}))["message"] == "posted"
        await session.logout()
    finally:
        await session.aclose()
    assert _route(fake) == [
        (CREATE, "entryway"),
        (ECHO, "pds"),
        (REFRESH, "entryway"),
        (GET, "entryway"),
        (ECHO, "pds"),
        (DELETE, "entryway"),
    ]


def _check_refreshed_once_and_retried(fake: FakeAtproto, before: str, after: str) -> None:
    assert before != after
    assert fake.calls[REFRESH] == 1
    assert _route(fake) == [
        (CREATE, "entryway"),
        (ECHO, "pds"),  # answered 400 ExpiredToken
        (REFRESH, "entryway"),
        (GET, "entryway"),
        (ECHO, "pds"),  # the retry, with the new token
    ]
    echoes = [seen.authorization for seen in fake.seen if seen.nsid == ECHO]
    assert echoes == [f"Bearer {before}", f"Bearer {after}"]


def test_an_expired_access_token_is_refreshed_once_and_the_call_retried_sync(
    fake: FakeAtproto,
) -> None:
    updated: list[SessionData] = []
    with PasswordSession.login(
        service=fake.entryway,
        identifier="alice.test",
        password=PASSWORD,
        on_updated=updated.append,
    ) as session:
        before = session.session.access_jwt
        fake.expire_access_tokens()
        assert Client(session).call(ECHO, {"message": "again"})["message"] == "again"
        after = session.session.access_jwt
        _check_refreshed_once_and_retried(fake, before, after)
        assert [data.access_jwt for data in updated] == [before, after]


@pytest.mark.anyio
async def test_an_expired_access_token_is_refreshed_once_and_the_call_retried_async(
    fake: FakeAtproto,
) -> None:
    updated: list[SessionData] = []

    async def on_updated(data: SessionData) -> None:
        updated.append(data)

    async with await AsyncPasswordSession.login(
        service=fake.entryway,
        identifier="alice.test",
        password=PASSWORD,
        on_updated=on_updated,
    ) as session:
        before = session.session.access_jwt
        fake.expire_access_tokens()
        answer = await AsyncClient(session).call(ECHO, {"message": "again"})
        assert answer["message"] == "again"
        after = session.session.access_jwt
        _check_refreshed_once_and_retried(fake, before, after)
        assert [data.access_jwt for data in updated] == [before, after]
