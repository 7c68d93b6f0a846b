"""PasswordSession and AsyncPasswordSession against the in-process entryway + PDS.

Every scenario runs twice: on the sync session (calls made inline) and on the async one (with
coroutine hooks, which must be awaited). Mirrors upstream password-session.test.ts and §1 of
reference-behaviour.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest
from _session_server import ENTRYWAY, PASSWORD, TWO_FACTOR_TOKEN, FakeAtproto

from atlex._agent import XrpcRequest, note_of
from atlex.errors import (
    LexAuthFactorError,
    XrpcAuthenticationError,
    XrpcError,
    XrpcFetchError,
    XrpcResponseError,
)
from atlex.session import (
    AsyncPasswordSession,
    LoggedOutError,
    PasswordSession,
    SessionData,
    SessionDataError,
    SessionHookError,
)

pytestmark = pytest.mark.anyio

AnySession = PasswordSession | AsyncPasswordSession


@dataclass
class Hooks:
    """Records every hook call; async-mode hooks are coroutines that yield to the loop."""

    updated: list[SessionData] = field(default_factory=lambda: [])
    update_failures: list[XrpcError] = field(default_factory=lambda: [])
    deleted: list[SessionData] = field(default_factory=lambda: [])
    delete_failures: list[XrpcError] = field(default_factory=lambda: [])

    def kwargs(self, mode: str) -> dict[str, Any]:
        def on_updated(data: SessionData) -> None:
            self.updated.append(data)

        def on_update_failure(data: SessionData, failure: XrpcError) -> None:
            self.update_failures.append(failure)

        def on_deleted(data: SessionData) -> None:
            self.deleted.append(data)

        def on_delete_failure(data: SessionData, failure: XrpcError) -> None:
            self.delete_failures.append(failure)

        hooks: dict[str, Callable[..., None]] = {
            "on_updated": on_updated,
            "on_update_failure": on_update_failure,
            "on_deleted": on_deleted,
            "on_delete_failure": on_delete_failure,
        }
        if mode == "sync":
            return hooks

        def awaited(hook: Callable[..., None]) -> Callable[..., Any]:
            async def run(*args: Any) -> None:
                await anyio.sleep(0)
                hook(*args)

            return run

        return {name: awaited(hook) for name, hook in hooks.items()}


@dataclass
class Harness:
    """Drives either session class with one awaitable API."""

    mode: str
    server: FakeAtproto
    hooks: Hooks = field(default_factory=Hooks)

    def _http(self) -> dict[str, Any]:
        if self.mode == "sync":
            return {"http_client": httpx.Client(transport=self.server.sync_transport())}
        return {"http_client": httpx.AsyncClient(transport=self.server.async_transport())}

    def _cls(self) -> type[AnySession]:
        return PasswordSession if self.mode == "sync" else AsyncPasswordSession

    async def _run(self, value: Any) -> Any:
        return await value if self.mode == "async" else value

    async def login(self, *url: str, with_hooks: bool = True, **kw: Any) -> AnySession:
        if not url:
            kw.setdefault("service", ENTRYWAY)
            kw.setdefault("password", PASSWORD)
        hooks = self.hooks.kwargs(self.mode) if with_hooks else {}
        return await self._run(self._cls().login(*url, **kw, **hooks, **self._http()))

    async def create_account(self, **kw: Any) -> AnySession:
        return await self._run(
            self._cls().create_account(
                service=ENTRYWAY, **kw, **self.hooks.kwargs(self.mode), **self._http()
            )
        )

    async def resume(self, data: SessionData | dict[str, Any]) -> AnySession:
        return await self._run(
            self._cls().resume(data, **self.hooks.kwargs(self.mode), **self._http())
        )

    async def delete(self, data: SessionData) -> None:
        hooks = self.hooks.kwargs(self.mode)
        await self._run(
            self._cls().delete(
                data,
                on_deleted=hooks["on_deleted"],
                on_delete_failure=hooks["on_delete_failure"],
                **self._http(),
            )
        )

    async def send(self, session: AnySession, request: XrpcRequest) -> httpx.Response:
        return await self._run(session.send(request))

    async def echo(self, session: AnySession, message: str = "hi") -> httpx.Response:
        return await self.send(
            session, XrpcRequest("GET", f"/xrpc/app.example.echo?message={message}")
        )

    async def refresh(self, session: AnySession) -> SessionData:
        return await self._run(session.refresh())

    async def logout(self, session: AnySession) -> None:
        await self._run(session.logout())


@pytest.fixture(params=["sync", "async"])
def h(request: pytest.FixtureRequest) -> Harness:
    server = FakeAtproto()
    server.add("alice")
    return Harness(request.param, server)


# -- login ------------------------------------------------------------------------------------


async def test_wrong_password_raises_authentication_required_and_calls_no_hook(h: Harness) -> None:
    with pytest.raises(XrpcAuthenticationError) as info:
        await h.login(identifier="alice.test", password="wrong")
    assert isinstance(info.value, XrpcResponseError)
    assert (info.value.error, info.value.status) == ("AuthenticationRequired", 401)
    assert info.value.message == "Invalid identifier or password"
    assert h.hooks.updated == [] and h.hooks.deleted == []


@pytest.mark.parametrize("identifier", ["alice.test", "alice@mail.test", "did:plc:alice"])
async def test_login_by_handle_email_or_did(h: Harness, identifier: str) -> None:
    session = await h.login(identifier=identifier)
    assert (session.did, session.handle) == ("did:plc:alice", "alice.test")
    assert session.session.service == ENTRYWAY
    assert h.hooks.updated == [session.session]
    assert not session.destroyed


async def test_login_url_form(h: Harness) -> None:
    session = await h.login(f"http://alice.test:{PASSWORD}@entryway.test")
    assert session.session.service == "http://entryway.test"
    assert session.did == "did:plc:alice"
    assert (await h.echo(session)).status_code == 200


async def test_login_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="not both"):
        PasswordSession.login("https://a:b@host.test", service="https://host.test")
    with pytest.raises(TypeError, match="missing identifier, password"):
        PasswordSession.login(service=ENTRYWAY)
    with pytest.raises(ValueError, match="service must be an http"):
        PasswordSession.login(service="pds.test", identifier="a", password="b")
    with pytest.raises(ValueError, match="must not contain credentials"):
        PasswordSession.login(service="https://u:secret-pw@pds.test", identifier="a", password="b")


async def test_two_factor_login(h: Harness) -> None:
    h.server.add("carol", two_factor=True)
    with pytest.raises(LexAuthFactorError) as info:
        await h.login(identifier="carol.test")
    assert info.value.error == "AuthFactorTokenRequired"
    assert info.value.message == "A sign in code has been sent to your email address"
    assert isinstance(info.value.__cause__, XrpcResponseError)
    assert h.hooks.updated == []

    session = await h.login(identifier="carol.test", auth_factor_token=TWO_FACTOR_TOKEN)
    assert session.did == "did:plc:carol"
    assert len(h.hooks.updated) == 1
    assert (await h.echo(session)).status_code == 200


async def test_create_account_returns_a_working_session(h: Harness) -> None:
    session = await h.create_account(handle="dave.test", email="dave@mail.test", password="pw")
    assert session.handle == "dave.test"
    assert session.session.did_doc is not None  # createAccount always returns the document
    assert session.session.email is None  # and no email: the thinner SessionData
    assert len(h.hooks.updated) == 1
    response = await h.echo(session)
    assert response.json()["did"] == "did:plc:dave"


async def test_create_account_failure_is_raised(h: Harness) -> None:
    h.server.entryway_down = True
    with pytest.raises(XrpcFetchError):
        await h.create_account(handle="erin.test")
    assert h.hooks.updated == []


# -- routing ----------------------------------------------------------------------------------


async def test_requests_go_to_the_pds_of_the_did_document_and_auth_calls_to_the_entryway(
    h: Harness,
) -> None:
    session = await h.login(identifier="alice.test")
    response = await h.echo(session, "routed")
    assert response.json() == {"did": "did:plc:alice", "message": "routed", "host": "pds.test"}
    h.server.expire_access_tokens()
    assert (await h.echo(session)).status_code == 200
    await h.logout(session)
    hosts = {(seen.nsid, seen.host) for seen in h.server.seen}
    assert hosts == {
        ("com.atproto.server.createSession", "entryway.test"),
        ("app.example.echo", "pds.test"),
        ("com.atproto.server.refreshSession", "entryway.test"),
        ("com.atproto.server.getSession", "entryway.test"),
        ("com.atproto.server.deleteSession", "entryway.test"),
    }


async def test_without_did_document_requests_go_to_the_login_service(h: Harness) -> None:
    h.server.did_doc_pds = None
    session = await h.login(identifier="alice.test")
    response = await h.echo(session)
    assert h.server.seen[-1].host == "entryway.test"
    assert response.json()["message"] == "No service configured for app.example.echo"


async def test_a_did_document_that_changes_on_refresh_reroutes(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    assert (await h.echo(session)).json()["host"] == "pds.test"
    h.server.did_doc_pds = "http://other-pds.test"
    await h.refresh(session)  # getSession backfills the new document
    assert (await h.echo(session)).json()["host"] == "other-pds.test"


async def test_authorization_header_from_the_caller_is_refused(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    with pytest.raises(TypeError, match="Unexpected 'authorization' header"):
        await h.send(
            session, XrpcRequest("GET", "/xrpc/app.example.echo", [("Authorization", "Bearer x")])
        )


# -- refresh ----------------------------------------------------------------------------------


async def test_expired_token_refreshes_backfills_and_retries_transparently(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    before = session.session
    h.server.expire_access_tokens()
    response = await h.echo(session, "after")
    assert response.status_code == 200 and response.json()["message"] == "after"
    assert h.server.calls["com.atproto.server.refreshSession"] == 1
    assert h.server.calls["com.atproto.server.getSession"] == 1  # refresh lacked didDoc/email
    assert len(h.hooks.updated) == 2
    fresh = h.hooks.updated[-1]
    assert fresh == session.session and fresh.access_jwt != before.access_jwt
    assert (fresh.email, fresh.email_confirmed, fresh.email_auth_factor) == (
        "alice@mail.test",
        True,
        False,
    )
    assert fresh.did_doc is not None and fresh.service == ENTRYWAY
    echo_auth = [s.authorization for s in h.server.seen if s.nsid == "app.example.echo"]
    assert echo_auth == [f"Bearer {before.access_jwt}", f"Bearer {fresh.access_jwt}"]


async def test_401_refreshes_and_the_retry_answer_is_returned_as_is(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    response = await h.send(session, XrpcRequest("GET", "/xrpc/app.example.alwaysExpired"))
    assert response.status_code == 401
    assert h.server.calls["app.example.alwaysExpired"] == 2  # retried exactly once
    assert h.server.calls["com.atproto.server.refreshSession"] == 1
    assert len(h.hooks.updated) == 2
    assert (await h.echo(session)).status_code == 200


async def test_other_errors_do_not_refresh(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    response = await h.send(session, XrpcRequest("GET", "/xrpc/app.example.unknown"))
    assert response.status_code == 400
    assert h.server.calls["com.atproto.server.refreshSession"] == 0


async def test_a_one_shot_body_is_never_resent(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    h.server.expire_access_tokens()
    request = XrpcRequest(
        "POST",
        "/xrpc/app.example.echo",
        [("content-type", "application/json")],
        b'{"message": "once"}',
        replayable=False,
    )
    response = await h.send(session, request)
    assert response.status_code == 400 and response.json()["error"] == "ExpiredToken"
    assert h.server.calls["app.example.echo"] == 1
    assert h.server.calls["com.atproto.server.refreshSession"] == 1  # the session is still renewed
    note = note_of(response)
    assert note is not None and note.cause is None
    assert "did not send this request again" in note.note
    assert (await h.echo(session)).status_code == 200


# -- why a failed answer came back: the note the session attaches (the client's errors carry it)


async def test_a_transient_refresh_failure_explains_the_failed_answer(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    h.server.expire_access_tokens()
    h.server.entryway_down = True
    response = await h.echo(session)
    assert response.status_code == 400 and response.json()["error"] == "ExpiredToken"
    note = note_of(response)
    assert note is not None and note.cause is h.hooks.update_failures[0]
    assert isinstance(note.cause, XrpcFetchError)
    assert note.note.startswith(
        f"the access token had expired and refreshing it failed: {note.cause}; "
    )
    assert "(com.atproto.server.refreshSession)" in note.note
    assert note.note.endswith(
        "the session keeps its old tokens and refreshes again on the next call"
    )
    h.server.entryway_down = False
    assert note_of(await h.echo(session)) is None  # a plain success carries nothing


async def test_a_definitive_refresh_failure_explains_the_failed_answer(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    h.server.expire_access_tokens()
    h.server.revoke_refresh_tokens()
    note = note_of(await h.echo(session))
    assert note is not None and isinstance(note.cause, XrpcResponseError)
    assert note.cause.message == "Token has been revoked"
    assert note.note == (
        "the access token had expired and refreshing it failed: ExpiredToken: Token has been "
        "revoked (HTTP 400 from com.atproto.server.refreshSession); the server ended the "
        "session (on_deleted ran): log in again"
    )


async def test_streamed_response_is_peeked_and_retried(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    h.server.expire_access_tokens()
    response = await h.send(
        session, XrpcRequest("GET", "/xrpc/app.example.echo?message=s", stream=True)
    )
    body = response.read() if h.mode == "sync" else await response.aread()
    assert response.status_code == 200 and b'"message":"s"' in body.replace(b" ", b"")
    assert h.server.calls["com.atproto.server.refreshSession"] == 1


async def test_manual_refresh_is_never_deduplicated(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    first = await h.refresh(session)
    second = await h.refresh(session)
    assert first.access_jwt != second.access_jwt and session.session == second
    assert h.server.calls["com.atproto.server.refreshSession"] == 2
    assert len(h.hooks.updated) == 3


async def test_revoked_refresh_token_ends_the_session(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    h.server.revoke_refresh_tokens()
    h.server.expire_access_tokens()
    response = await h.echo(session)
    # the call gets its own failed answer back; the session is over
    assert response.status_code == 400 and response.json()["error"] == "ExpiredToken"
    assert len(h.hooks.deleted) == 1 and h.hooks.update_failures == []
    assert session.destroyed
    with pytest.raises(LoggedOutError) as info:
        await h.echo(session)
    cause = info.value.__cause__
    assert isinstance(cause, XrpcResponseError) and cause.message == "Token has been revoked"
    assert info.value.reason is cause
    assert str(info.value) == (
        "InternalServerError: Logged out (the server ended the session: "
        "ExpiredToken: Token has been revoked)"
    )
    for read in (lambda: session.session, lambda: session.did, lambda: session.handle):
        with pytest.raises(LoggedOutError, match="Logged out"):
            read()
    # refresh() rejects with the failure that ended the session, as upstream does (§1.8)
    with pytest.raises(XrpcResponseError, match="Token has been revoked") as ended:
        await h.refresh(session)
    assert ended.value is not cause and (ended.value.error, ended.value.status) == (
        "ExpiredToken",
        400,
    )
    assert ended.value.__notes__ == [
        "the server ended this session earlier (on_deleted ran): log in again"
    ]
    await h.logout(session)  # idempotent: nothing left to do
    assert len(h.hooks.deleted) == 1
    assert h.server.calls["com.atproto.server.deleteSession"] == 0


async def test_unreachable_entryway_keeps_the_session(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    kept = session.session
    h.server.expire_access_tokens()
    h.server.entryway_down = True
    response = await h.echo(session)
    assert response.status_code == 400 and response.json()["error"] == "ExpiredToken"
    assert len(h.hooks.update_failures) == 1
    assert isinstance(h.hooks.update_failures[0], XrpcFetchError)
    assert h.hooks.deleted == [] and not session.destroyed and session.session is kept
    assert await h.refresh(session) is kept  # a transient failure resolves with the old data

    h.server.entryway_down = False
    response = await h.echo(session)
    assert response.status_code == 200
    assert session.session.access_jwt != kept.access_jwt


@pytest.mark.parametrize("status", [500, 401])
async def test_undeclared_refresh_errors_are_transient(h: Harness, status: int) -> None:
    session = await h.login(identifier="alice.test")
    h.server.refresh_status = status
    kept = await h.refresh(session)
    assert kept is session.session and not session.destroyed
    (failure,) = h.hooks.update_failures
    assert isinstance(failure, XrpcResponseError) and failure.status == status
    assert h.hooks.deleted == []


# -- resume, logout, delete -------------------------------------------------------------------


async def test_resume_refreshes_and_the_old_instance_is_ended(h: Harness) -> None:
    initial = await h.login(identifier="alice.test")
    resumed = await h.resume(initial.session)
    assert resumed.did == "did:plc:alice" and len(h.hooks.updated) == 2
    # the rotation revoked the initial refresh token: a definitive failure for the old instance
    with pytest.raises(XrpcResponseError) as info:
        await h.refresh(initial)
    assert (info.value.error, info.value.status) == ("ExpiredToken", 400)
    assert len(h.hooks.deleted) == 1 and initial.destroyed
    assert (await h.echo(resumed, "resume")).json()["message"] == "resume"
    await h.logout(resumed)
    assert len(h.hooks.deleted) == 2 and len(h.hooks.updated) == 2


async def test_resume_of_typescript_shaped_json(h: Harness) -> None:
    login = await h.login(identifier="alice.test")
    saved = login.session.to_json()
    resumed = await h.resume(SessionData.from_json(saved))
    assert resumed.session.did == "did:plc:alice"
    assert (await h.echo(resumed)).status_code == 200
    # the plain dict json.load gives works too
    again = await h.resume(json.loads(resumed.session.to_json()))
    assert (await h.echo(again)).status_code == 200
    with pytest.raises(SessionDataError, match="missing required key 'service'"):
        await h.resume({"accessJwt": "a", "refreshJwt": "r", "handle": "h", "did": "d"})


async def test_resume_of_dead_data_raises_after_on_deleted(h: Harness) -> None:
    login = await h.login(identifier="alice.test")
    h.server.revoke_refresh_tokens()
    with pytest.raises(XrpcResponseError, match="Token has been revoked"):
        await h.resume(login.session)
    assert len(h.hooks.deleted) == 1


async def test_resume_while_the_entryway_is_down_keeps_the_old_tokens(h: Harness) -> None:
    login = await h.login(identifier="alice.test")
    h.server.entryway_down = True
    resumed = await h.resume(login.session)
    assert resumed.session == login.session and len(h.hooks.update_failures) == 1


async def test_logout_is_idempotent_and_delete_of_stale_data_succeeds(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    data = session.session
    await h.logout(session)
    await h.logout(session)
    assert h.server.calls["com.atproto.server.deleteSession"] == 1
    assert len(h.hooks.deleted) == 1 and session.destroyed
    with pytest.raises(LoggedOutError, match="Logged out"):
        await h.echo(session)
    await h.delete(data)  # the server answers ExpiredToken: declared, so this is success
    await h.delete(data)
    assert len(h.hooks.deleted) == 3 and h.hooks.delete_failures == []


async def test_logout_failure_keeps_the_session_and_raises(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    h.server.entryway_down = True
    with pytest.raises(XrpcFetchError):
        await h.logout(session)
    assert len(h.hooks.delete_failures) == 1 and h.hooks.deleted == []
    assert not session.destroyed
    assert (await h.echo(session)).status_code == 200
    h.server.entryway_down = False
    await h.logout(session)
    assert session.destroyed and len(h.hooks.deleted) == 1


async def test_delete_raises_when_the_server_cannot_be_reached(h: Harness) -> None:
    session = await h.login(identifier="alice.test")
    h.server.entryway_down = True
    with pytest.raises(XrpcFetchError):
        await h.delete(session.session)
    assert len(h.hooks.delete_failures) == 1


async def test_context_manager_logs_out() -> None:
    server = FakeAtproto()
    server.add("alice")
    with PasswordSession.login(
        service=ENTRYWAY,
        identifier="alice.test",
        password=PASSWORD,
        http_client=httpx.Client(transport=server.sync_transport()),
    ) as session:
        assert session.send(XrpcRequest("GET", "/xrpc/app.example.echo")).status_code == 200
    assert session.destroyed
    async with await AsyncPasswordSession.login(
        service=ENTRYWAY,
        identifier="alice.test",
        password=PASSWORD,
        http_client=httpx.AsyncClient(transport=server.async_transport()),
    ) as asession:
        assert (
            await asession.send(XrpcRequest("GET", "/xrpc/app.example.echo"))
        ).status_code == 200
    assert asession.destroyed
    assert server.calls["com.atproto.server.deleteSession"] == 2


# -- hooks ------------------------------------------------------------------------------------


async def test_a_raising_hook_breaks_the_session_loudly(h: Harness) -> None:
    session = await h.login(identifier="alice.test", with_hooks=False)
    hook_error = RuntimeError("disk full")

    def on_updated(data: SessionData) -> None:
        raise hook_error

    session._hooks["on_updated"] = on_updated  # pyright: ignore[reportPrivateUsage]
    with pytest.raises(RuntimeError, match="disk full"):
        await h.refresh(session)
    with pytest.raises(SessionHookError) as info:
        await h.echo(session)
    assert info.value.__cause__ is hook_error


async def test_requests_wait_while_a_hook_runs() -> None:
    server = FakeAtproto()
    server.add("alice")
    release = anyio.Event()
    entered = anyio.Event()

    async def on_updated(data: SessionData) -> None:
        entered.set()
        await release.wait()

    session = await AsyncPasswordSession.login(
        service=ENTRYWAY,
        identifier="alice.test",
        password=PASSWORD,
        http_client=httpx.AsyncClient(transport=server.async_transport()),
    )
    session._hooks["on_updated"] = on_updated  # pyright: ignore[reportPrivateUsage]
    results: list[int] = []

    async def call() -> None:
        results.append(
            (await session.send(XrpcRequest("GET", "/xrpc/app.example.echo"))).status_code
        )

    async with anyio.create_task_group() as tg:
        tg.start_soon(session.refresh)
        await entered.wait()
        tg.start_soon(call)
        for _ in range(20):  # ample scheduler turns for an unblocked request to reach the server
            await anyio.sleep(0)
        assert server.calls["app.example.echo"] == 0  # held at the gate while the hook runs
        release.set()
    assert results == [200]
    # the waiting request used the token the refresh produced
    assert server.seen[-1].authorization == f"Bearer {session.session.access_jwt}"


# -- secrets ----------------------------------------------------------------------------------


async def test_tokens_and_passwords_never_show_in_messages_or_logs(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    def collect(exc: BaseException) -> None:
        link: BaseException | None = exc
        while link is not None:
            texts.extend([str(link), repr(link)])
            link = link.__cause__ or link.__context__

    try:
        await h.login(identifier="alice.test", password="wrong-secret-pw")
    except XrpcError as exc:
        collect(exc)
    session = await h.login(identifier="alice.test")
    texts += [repr(session), str(session), repr(session.session)]
    h.server.expire_access_tokens()
    await h.echo(session)
    h.server.entryway_down = True
    await h.refresh(session)
    try:
        await h.logout(session)
    except XrpcError as exc:
        collect(exc)
    h.server.entryway_down = False
    h.server.revoke_refresh_tokens()
    try:
        await h.refresh(session)
    except XrpcError as exc:
        collect(exc)
    try:
        await h.echo(session)
    except XrpcError as exc:
        collect(exc)
    texts += [str(f) for f in h.hooks.update_failures + h.hooks.delete_failures]
    texts += [repr(d) for d in h.hooks.updated + h.hooks.deleted]
    texts.append(caplog.text)
    secrets = [*h.server.issued, "wrong-secret-pw", PASSWORD]
    assert len(texts) > 10 and h.server.issued
    for text in texts:
        for secret in secrets:
            assert secret not in text, text


class _Interrupt(BaseException):
    """Stands for Ctrl-C / SystemExit arriving in the middle of a refresh."""


async def test_an_interrupted_refresh_leaves_the_session_usable(h: Harness) -> None:
    session = await h.login(identifier="alice.test", with_hooks=False)
    before = session.session

    def on_updated(data: SessionData) -> None:
        raise _Interrupt

    session._hooks["on_updated"] = on_updated  # pyright: ignore[reportPrivateUsage]
    with pytest.raises(_Interrupt):
        await h.refresh(session)
    assert not session.destroyed and session.session is before
    session._hooks["on_updated"] = None  # pyright: ignore[reportPrivateUsage]
    assert (await h.echo(session)).status_code == 200
