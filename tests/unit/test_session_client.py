"""The sessions as agents of Client / AsyncClient: what a caller of the client sees."""

from __future__ import annotations

import httpx
import pytest
from _session_server import ENTRYWAY, PASSWORD, FakeAtproto

from atlex._agent import Agent, AsyncAgent
from atlex._client import AsyncClient, Client
from atlex.errors import XrpcError, XrpcResponseError
from atlex.session import AsyncPasswordSession, LoggedOutError, PasswordSession


@pytest.fixture
def server() -> FakeAtproto:
    fake = FakeAtproto()
    fake.add("alice")
    return fake


def test_sync_client_over_a_session(server: FakeAtproto) -> None:
    session = PasswordSession.login(
        service=ENTRYWAY,
        identifier="alice.test",
        password=PASSWORD,
        http_client=httpx.Client(transport=server.sync_transport()),
    )
    assert isinstance(session, Agent)
    client = Client(session)
    assert client.did == "did:plc:alice"
    assert client.call("app.example.echo", {"message": "one"})["message"] == "one"
    server.expire_access_tokens()
    assert client.call("app.example.echo", input={"message": "two"})["message"] == "two"
    assert server.calls["com.atproto.server.refreshSession"] == 1

    server.expire_access_tokens()
    server.revoke_refresh_tokens()
    with pytest.raises(XrpcResponseError, match="Token has expired"):
        client.call("app.example.echo", {"message": "three"})
    with pytest.raises(LoggedOutError, match="Logged out") as info:
        client.call("app.example.echo", {"message": "four"})
    assert isinstance(info.value, XrpcError)
    assert isinstance(info.value.reason, XrpcResponseError)
    with pytest.raises(LoggedOutError):
        _ = client.did  # as upstream: reading the DID of an ended session throws


@pytest.mark.anyio
async def test_async_client_over_a_session(server: FakeAtproto) -> None:
    session = await AsyncPasswordSession.login(
        service=ENTRYWAY,
        identifier="alice.test",
        password=PASSWORD,
        http_client=httpx.AsyncClient(transport=server.async_transport()),
    )
    assert isinstance(session, AsyncAgent)
    client = AsyncClient(session)
    server.expire_access_tokens()
    assert (await client.call("app.example.echo", {"message": "one"}))["message"] == "one"
    await session.logout()
    with pytest.raises(LoggedOutError, match="Logged out"):
        await client.call("app.example.echo", {"message": "two"})


def test_sync_session_is_refused_by_async_client_and_back(server: FakeAtproto) -> None:
    session = PasswordSession(
        PasswordSession.login(
            service=ENTRYWAY,
            identifier="alice.test",
            password=PASSWORD,
            http_client=httpx.Client(transport=server.sync_transport()),
        ).session
    )
    with pytest.raises(TypeError):
        AsyncClient(session)  # type: ignore[arg-type]
    asession = AsyncPasswordSession(session.session)
    with pytest.raises(TypeError, match="async agent"):
        Client(asession)  # type: ignore[arg-type]


# -- a call that failed because the refresh failed says so ------------------------------------


def test_a_call_whose_refresh_failed_says_why(server: FakeAtproto) -> None:
    failures: list[XrpcError] = []
    session = PasswordSession.login(
        service=ENTRYWAY,
        identifier="alice.test",
        password=PASSWORD,
        on_update_failure=lambda data, failure: failures.append(failure),
        http_client=httpx.Client(transport=server.sync_transport()),
    )
    client = Client(session)
    server.expire_access_tokens()
    server.refresh_status = 503
    with pytest.raises(XrpcResponseError) as info:
        client.call("app.example.echo", {"message": "one"})
    # upstream semantics: the server's own answer to the call ...
    assert (info.value.error, info.value.message) == ("ExpiredToken", "Token has expired")
    # ... which now tells what the session tried
    (failure,) = failures
    assert info.value.__cause__ is failure
    assert isinstance(failure, XrpcResponseError) and failure.status == 503
    assert info.value.__notes__ == [
        "the access token had expired and refreshing it failed: UpstreamFailure: Upstream "
        "service unreachable (HTTP 503 from com.atproto.server.refreshSession); the session "
        "keeps its old tokens and refreshes again on the next call"
    ]
    with pytest.raises(XrpcResponseError) as streamed, client.stream("app.example.echo"):
        pass  # a streamed query says the same
    assert streamed.value.__cause__ is failures[1] and len(streamed.value.__notes__) == 1
    server.refresh_status = None
    assert client.call("app.example.echo", {"message": "two"})["message"] == "two"


@pytest.mark.anyio
async def test_an_async_call_whose_refresh_ended_the_session_says_why(server: FakeAtproto) -> None:
    session = await AsyncPasswordSession.login(
        service=ENTRYWAY,
        identifier="alice.test",
        password=PASSWORD,
        http_client=httpx.AsyncClient(transport=server.async_transport()),
    )
    client = AsyncClient(session)
    server.expire_access_tokens()
    server.revoke_refresh_tokens()
    with pytest.raises(XrpcResponseError, match="Token has expired") as info:
        await client.call("app.example.echo", {"message": "one"})
    cause = info.value.__cause__
    assert isinstance(cause, XrpcResponseError) and cause.message == "Token has been revoked"
    assert info.value.__notes__ == [
        "the access token had expired and refreshing it failed: ExpiredToken: Token has been "
        "revoked (HTTP 400 from com.atproto.server.refreshSession); the server ended the "
        "session (on_deleted ran): log in again"
    ]
    assert session.destroyed
