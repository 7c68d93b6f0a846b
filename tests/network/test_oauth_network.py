"""atlex.oauth end to end against the reference PDS's own OAuth provider on 127.0.0.1.

The PDS runs with short OAuth times (``network/oauth-timing.mjs``): access tokens live
``TOKEN_TTL`` s, DPoP nonces ``NONCE_MAX_AGE`` s (rotating every second). Users sign in through
the provider's HTTP API, as its web UI does (``oauth_browser.py``); nothing is mocked.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import pytest
from dns_test_server import TxtServer
from oauth_browser import query_of, sign_in_and_consent
from oauth_support import AsyncLocalResolver, LocalResolver, sign_in
from refnet import LonePds
from refnet_xrpc import Account

from atlex import AsyncClient, Client
from atlex.errors import XrpcAuthenticationError, XrpcResponseError
from atlex.identity import IdentityResolver, ResolverOptions
from atlex.oauth import (
    AsyncOAuthClient,
    ClientMetadata,
    FileSessionStore,
    LoggedOutError,
    MemorySessionStore,
    OAuthCallbackError,
    OAuthClient,
    OAuthSessionData,
    loopback_metadata,
    scopes,
    sign_in_with_browser,
)

pytestmark = pytest.mark.network

TOKEN_TTL = 8
NONCE_MAX_AGE = 3  # nonces rotate every second and are accepted for about three
SCOPE = "atproto transition:generic"
METADATA = ClientMetadata.loopback("http://127.0.0.1/callback", scope=SCOPE)


@pytest.fixture(scope="module")
def oauth_pds() -> Iterator[LonePds]:
    with LonePds(oauth_access_ttl=TOKEN_TTL, dpop_nonce_max_age=NONCE_MAX_AGE) as running:
        yield running


@dataclass
class Recorder:
    """Every response the OAuth client's httpx client got: (method, path, status, challenge)."""

    seen: list[tuple[str, str, int, str]] = field(default_factory=lambda: [])
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, response: httpx.Response) -> None:
        request = response.request
        with self.lock:
            self.seen.append(
                (
                    request.method,
                    request.url.path,
                    response.status_code,
                    response.headers.get("www-authenticate", ""),
                )
            )

    async def async_call(self, response: httpx.Response) -> None:
        self(response)

    def count(self, path: str, status: int | None = None) -> int:
        with self.lock:
            return sum(
                1 for _, p, s, _ in self.seen if p == path and (status is None or s == status)
            )


@dataclass
class Hooks:
    updated: list[OAuthSessionData] = field(default_factory=lambda: [])
    deleted: list[OAuthSessionData] = field(default_factory=lambda: [])
    failures: list[Exception] = field(default_factory=lambda: [])

    def kwargs(self) -> dict[str, object]:
        return {
            "on_updated": self.updated.append,
            "on_deleted": self.deleted.append,
            "on_update_failure": lambda _data, failure: self.failures.append(failure),  # pyright: ignore[reportUnknownLambdaType]
        }


def make_client(
    pds: LonePds,
    store: object | None = None,
    hooks: Hooks | None = None,
    recorder: Recorder | None = None,
    resolver: object | None = None,
) -> OAuthClient:
    info = pds.info
    http = httpx.Client(
        timeout=30, event_hooks={"response": [recorder]} if recorder is not None else None
    )
    return OAuthClient(
        METADATA,
        session_store=store if store is not None else MemorySessionStore(),  # type: ignore[arg-type]
        resolver=resolver or LocalResolver(info.pds, info.plc),  # type: ignore[arg-type]
        allow_http=True,
        http_client=http,
        **(hooks.kwargs() if hooks is not None else {}),  # type: ignore[arg-type]
    )


@pytest.fixture
def account(oauth_pds: LonePds) -> Account:
    return oauth_pds.create_account("oauth")


def test_sign_in_call_and_logout(oauth_pds: LonePds, account: Account, tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path / "sessions.json")
    hooks = Hooks()
    with TxtServer() as dns:  # the handle is published in DNS, as on the real network
        dns.records[f"_atproto.{account.handle}"] = [f"did={account.did}"]
        options = ResolverOptions(
            plc_url=oauth_pds.info.plc, nameservers=(dns.address,), handle_methods=("dns",)
        )
        with IdentityResolver(options) as resolver:
            oauth = make_client(oauth_pds, store, hooks, resolver=resolver)
            session = sign_in(oauth, account.handle, account.password, state="app-state-1")
        assert dns.queries, "atlex.identity resolved the handle"
    assert session.did == account.did
    assert session.app_state == "app-state-1"
    assert set(session.scope.split()) == set(SCOPE.split())
    client = Client(session)
    me = client.com.atproto.server.get_session()
    assert (me.did, me.handle) == (account.did, account.handle)
    created = client.com.atproto.repo.create_record(
        repo=account.did,
        collection="app.bsky.feed.post",
        record={
            "$type": "app.bsky.feed.post",
            "text": "hello over OAuth",
            "createdAt": "2026-01-01T00:00:00Z",
        },
    )
    assert created.uri.startswith(f"at://{account.did}/app.bsky.feed.post/")

    # stored, private, and nothing secret printed
    data = store.get(account.did)
    assert data is not None and data.access_token == session.session.access_token
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    for text in (repr(session), repr(data), repr(oauth), repr(store), str(session.session)):
        assert data.access_token not in text
        assert data.refresh_token is not None and data.refresh_token not in text
        assert data.dpop_key["d"] not in text
    assert len(hooks.updated) == 1

    session.logout()
    assert store.get(account.did) is None
    assert [d.did for d in hooks.deleted] == [account.did]
    with pytest.raises(LoggedOutError):
        client.com.atproto.server.get_session()
    # the server revoked the tokens: a copy of the old data can no longer be used
    stale = make_client(oauth_pds, MemorySessionStore())
    stale.session_store.set(data.did, data)
    revived = Client(stale.restore(data.did))
    with pytest.raises(XrpcAuthenticationError):  # the 401 that led to the failed refresh
        revived.com.atproto.server.get_session()
    with pytest.raises(LoggedOutError):
        revived.com.atproto.server.get_session()


def test_dpop_nonce_rotation_pds_and_auth_server(oauth_pds: LonePds, account: Account) -> None:
    recorder = Recorder()
    oauth = make_client(oauth_pds, recorder=recorder)
    session = sign_in(oauth, account.handle, account.password)
    client = Client(session)
    client.com.atproto.server.get_session()
    time.sleep(NONCE_MAX_AGE + 1.5)  # every nonce the client knows is now outdated
    before = len(recorder.seen)
    assert client.com.atproto.server.get_session().did == account.did
    pds_answers = [s for _, p, s, _ in recorder.seen[before:] if p.startswith("/xrpc/")]
    challenges = [c for _, p, _, c in recorder.seen[before:] if p.startswith("/xrpc/")]
    assert pds_answers == [401, 200], "the PDS asked for the new nonce and the retry succeeded"
    assert "use_dpop_nonce" in challenges[0]

    time.sleep(NONCE_MAX_AGE + 1.5)
    before = len(recorder.seen)
    session.refresh()
    token_answers = [s for _, p, s, _ in recorder.seen[before:] if p == "/oauth/token"]
    assert token_answers == [400, 200], "the token endpoint asked for the new nonce once"


def _expire(
    pds: LonePds, account: Account, *, known: bool
) -> tuple[OAuthClient, str, Hooks, Recorder]:
    """A session whose access token has expired; ``known`` says whether the client knows it
    (refresh before sending) or believes it valid (the PDS answers 401 first)."""
    hooks, recorder = Hooks(), Recorder()
    first = make_client(pds)
    session = sign_in(first, account.handle, account.password)
    data = session.session
    if not known:
        import msgspec

        data = msgspec.structs.replace(data, expires_at=time.time() + 3600)
    time.sleep(TOKEN_TTL + 1)
    oauth = make_client(pds, MemorySessionStore(), hooks, recorder)
    oauth.session_store.set(data.did, data)
    return oauth, data.did, hooks, recorder


def test_expired_token_one_refresh_for_16_threads(oauth_pds: LonePds, account: Account) -> None:
    oauth, did, hooks, recorder = _expire(oauth_pds, account, known=False)
    session = oauth.restore(did)
    client = Client(session)
    barrier = threading.Barrier(16)
    results: list[str] = []
    errors: list[BaseException] = []

    def call() -> None:
        barrier.wait()
        try:
            results.append(client.com.atproto.server.get_session().did)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results == [did] * 16
    assert recorder.count("/oauth/token", 200) == 1
    assert len(hooks.updated) == 1
    assert oauth.session_store.get(did) == session.session  # the rotation was stored


def test_expired_token_one_refresh_for_50_tasks(oauth_pds: LonePds, account: Account) -> None:
    first = make_client(oauth_pds)
    data = sign_in(first, account.handle, account.password).session
    time.sleep(TOKEN_TTL + 1)
    info = oauth_pds.info

    async def main() -> None:
        hooks, recorder = Hooks(), Recorder()
        http = httpx.AsyncClient(timeout=30, event_hooks={"response": [recorder.async_call]})
        store = MemorySessionStore()
        store.set(data.did, data)
        async with AsyncOAuthClient(
            METADATA,
            session_store=store,
            resolver=AsyncLocalResolver(info.pds, info.plc),
            allow_http=True,
            http_client=http,
            **hooks.kwargs(),  # type: ignore[arg-type]
        ) as oauth:
            session = await oauth.restore(data.did)
            client = AsyncClient(session)
            results: list[str] = []

            async def call() -> None:
                results.append((await client.com.atproto.server.get_session()).did)

            async with anyio.create_task_group() as group:
                for _ in range(50):
                    group.start_soon(call)
            assert results == [data.did] * 50
            assert recorder.count("/oauth/token", 200) == 1
            # refreshed before use: no request went out with the expired token (a 401 here can
            # only be the PDS asking for its newest DPoP nonce)
            challenges = [c for _, p, s, c in recorder.seen if s == 401]
            assert all("use_dpop_nonce" in c for c in challenges), challenges
            assert len(hooks.updated) == 1
        await http.aclose()

    anyio.run(main)


def test_refresh_token_reuse_ends_the_session_once(oauth_pds: LonePds, account: Account) -> None:
    data = sign_in(make_client(oauth_pds), account.handle, account.password).session
    first_hooks, second_hooks = Hooks(), Hooks()
    first = make_client(oauth_pds, MemorySessionStore(), first_hooks)
    second = make_client(oauth_pds, MemorySessionStore(), second_hooks)
    first.session_store.set(data.did, data)
    second.session_store.set(data.did, data)
    first.restore(data.did).refresh()  # rotates the refresh token
    reused = second.restore(data.did)
    with pytest.raises(Exception) as caught:
        reused.refresh()  # the old refresh token again: the server sees a replay
    assert getattr(caught.value, "error", None) == "invalid_grant"
    for _ in range(3):
        with pytest.raises(LoggedOutError):
            Client(reused).com.atproto.server.get_session()
    assert [d.did for d in second_hooks.deleted] == [data.did]
    assert second.session_store.get(data.did) is None


def test_restore_from_the_file_store_in_a_new_process(
    oauth_pds: LonePds, account: Account, tmp_path: Path
) -> None:
    path = tmp_path / "sessions.json"
    oauth = make_client(oauth_pds, FileSessionStore(path))
    session = sign_in(oauth, account.handle, account.password)
    script = (
        "import sys\n"
        "from atlex import Client\n"
        "from atlex.oauth import ClientMetadata, FileSessionStore, OAuthClient\n"
        f"meta = ClientMetadata.loopback('http://127.0.0.1/callback', scope={SCOPE!r})\n"
        "with OAuthClient(meta, session_store=FileSessionStore(sys.argv[1]), allow_http=True) as oauth:\n"
        "    session = oauth.restore(sys.argv[2], refresh=True)\n"
        "    print(Client(session).com.atproto.server.get_session().handle)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), session.did],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == account.handle
    stored = json.loads(path.read_text())[session.did]
    assert stored["refresh_token"] != session.session.refresh_token, "the new process rotated it"
    for secret in (stored["refresh_token"], stored["access_token"], stored["dpop_key"]["d"]):
        assert secret not in done.stdout + done.stderr


def test_tampered_iss_or_state_is_rejected(oauth_pds: LonePds, account: Account) -> None:
    oauth = make_client(oauth_pds)
    redirect = sign_in_and_consent(
        oauth.authorize(account.handle), account.handle, account.password
    )
    params = query_of(redirect)
    with pytest.raises(OAuthCallbackError) as bad_iss:
        oauth.callback({**params, "iss": "http://localhost:1"})
    assert bad_iss.value.error == "invalid_issuer"
    with pytest.raises(OAuthCallbackError) as replay:  # the state was used up
        oauth.callback(params)
    assert replay.value.error == "invalid_state"

    redirect = sign_in_and_consent(
        oauth.authorize(account.handle), account.handle, account.password
    )
    params = query_of(redirect)
    with pytest.raises(OAuthCallbackError) as bad_state:
        oauth.callback({**params, "state": "forged"})
    assert bad_state.value.error == "invalid_state"
    assert oauth.callback(params).did == account.did  # the genuine callback still works


def test_granular_scope_is_enforced_by_the_pds(oauth_pds: LonePds, account: Account) -> None:
    scope = scopes.join(scopes.ATPROTO, scopes.repo("app.bsky.feed.post", actions=["create"]))
    info = oauth_pds.info
    oauth = OAuthClient(
        ClientMetadata.loopback("http://127.0.0.1/callback", scope=scope),
        session_store=MemorySessionStore(),
        resolver=LocalResolver(info.pds, info.plc),
        allow_http=True,
    )
    session = sign_in(oauth, account.handle, account.password)
    assert session.scope.split() == scope.split()
    client = Client(session)
    post = {"$type": "app.bsky.feed.post", "text": "scoped", "createdAt": "2026-01-01T00:00:00Z"}
    created = client.com.atproto.repo.create_record(
        repo=account.did, collection="app.bsky.feed.post", record=post
    )
    rkey = created.uri.rsplit("/", 1)[1]
    with pytest.raises(XrpcResponseError) as denied:  # deleting was not granted
        client.com.atproto.repo.delete_record(
            repo=account.did, collection="app.bsky.feed.post", rkey=rkey
        )
    assert denied.value.status in (401, 403)
    with pytest.raises(XrpcResponseError):  # nor any other collection
        client.com.atproto.repo.create_record(
            repo=account.did,
            collection="app.bsky.feed.like",
            record={
                "$type": "app.bsky.feed.like",
                "subject": {"uri": created.uri, "cid": created.cid},
                "createdAt": "2026-01-01T00:00:00Z",
            },
        )


def test_readme_example_web_app(
    oauth_pds: LonePds, account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's Flask app, served on 127.0.0.1: login, the provider's sign-in, callback,
    a call through the session, logout."""
    from werkzeug.serving import make_server

    readme = Path(__file__).resolve().parents[2] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S)
    (source,) = [block for block in blocks if "Flask(" in block]
    with TxtServer() as dns:
        dns.records[f"_atproto.{account.handle}"] = [f"did={account.did}"]
        monkeypatch.setenv("ATLEX_DNS_SERVER", dns.address)
        monkeypatch.setenv("ATLEX_PLC_URL", oauth_pds.info.plc)
        monkeypatch.setenv("ATLEX_OAUTH_ALLOW_HTTP", "1")
        monkeypatch.setenv("ATLEX_OAUTH_STORE", str(tmp_path / "sessions.json"))
        monkeypatch.setenv("ATLEX_EXAMPLE_PORT", "0")
        namespace: dict[str, object] = {"__name__": "readme_oauth_app"}
        exec(compile(source, "README.md (OAuth web app)", "exec"), namespace)
        app = namespace["app"]
        server = make_server("127.0.0.1", 0, app)  # type: ignore[arg-type]
        port = server.server_port
        # the app's client must redirect to the port it really listens on
        oauth = namespace["oauth"]
        assert isinstance(oauth, OAuthClient)
        monkeypatch.setenv("ATLEX_EXAMPLE_PORT", str(port))
        exec(compile(source, "README.md (OAuth web app)", "exec"), namespace)
        server.app = namespace["app"]  # type: ignore[attr-defined]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=30) as browser:
                assert "Sign in" in browser.get("/").text
                login = browser.get("/login", params={"handle": account.handle})
                assert login.status_code == 302
                back = sign_in_and_consent(
                    login.headers["location"], account.handle, account.password
                )
                assert back.startswith(f"{base}/callback?")
                done = browser.get(back, follow_redirects=True)
                assert done.status_code == 200, done.text[:500]
                assert f"signed in as {account.handle}" in done.text
                assert browser.post("/logout", follow_redirects=True).status_code == 200
                assert "Sign in" in browser.get("/").text
        finally:
            server.shutdown()
            thread.join()
    stored = json.loads((tmp_path / "sessions.json").read_text())
    assert stored == {}, "logout revoked and forgot the session"


def test_sign_in_with_browser_catches_the_redirect_on_loopback(
    oauth_pds: LonePds, account: Account, tmp_path: Path
) -> None:
    info = oauth_pds.info
    store = FileSessionStore(tmp_path / "cli-sessions.json")
    oauth = OAuthClient(
        loopback_metadata(SCOPE),
        session_store=store,
        resolver=LocalResolver(info.pds, info.plc),
        allow_http=True,
    )
    opened: list[str] = []

    def browser(url: str) -> None:  # the user's browser: sign in, then follow the redirect
        opened.append(url)

        def run() -> None:
            back = sign_in_and_consent(url, account.handle, account.password)
            assert back.startswith("http://127.0.0.1:")
            httpx.get(back, timeout=30).raise_for_status()

        threading.Thread(target=run, daemon=True).start()

    session = sign_in_with_browser(oauth, account.handle, open_url=browser, timeout=60)
    assert len(opened) == 1
    assert Client(session).com.atproto.server.get_session().handle == account.handle
    # a later run restores it with the same (port-less) loopback client and refreshes
    again = OAuthClient(loopback_metadata(SCOPE), session_store=store, allow_http=True)
    assert (
        again.restore(account.did, refresh=True).session.access_token
        != session.session.access_token
    )


def test_async_sign_in_call_and_logout(oauth_pds: LonePds, account: Account) -> None:
    info = oauth_pds.info
    hooks = Hooks()

    async def main() -> None:
        store = MemorySessionStore()
        async with AsyncOAuthClient(
            METADATA,
            session_store=store,
            resolver=AsyncLocalResolver(info.pds, info.plc),
            allow_http=True,
            **hooks.kwargs(),  # type: ignore[arg-type]
        ) as oauth:
            url = await oauth.authorize(account.handle, state="async")
            redirect = await anyio.to_thread.run_sync(
                sign_in_and_consent, url, account.handle, account.password
            )
            session = await oauth.callback(query_of(redirect))
            assert session.app_state == "async"
            client = AsyncClient(session)
            assert (await client.com.atproto.server.get_session()).did == account.did
            assert (await oauth.restore(account.did)) is session  # one live session per DID
            await oauth.revoke(account.did)
            assert store.get(account.did) is None
            with pytest.raises(LoggedOutError):
                await client.com.atproto.server.get_session()

    anyio.run(main)
    assert [d.did for d in hooks.updated] == [account.did]
    assert [d.did for d in hooks.deleted] == [account.did]


def test_cli_login_oauth_whoami_call_logout(
    oauth_pds: LonePds, account: Account, tmp_path: Path
) -> None:
    """``atlex login --oauth HANDLE`` in a real process: the URL it prints is opened by the
    test's "browser", the redirect comes back to the command on 127.0.0.1."""
    with TxtServer() as dns:
        dns.records[f"_atproto.{account.handle}"] = [f"did={account.did}"]
        env = {
            **os.environ,
            "ATLEX_CONFIG_DIR": str(tmp_path / "config"),
            "ATLEX_PLC_URL": oauth_pds.info.plc,
            "ATLEX_DNS_SERVER": dns.address,
            "ATLEX_OAUTH_ALLOW_HTTP": "1",
        }
        atlex = [sys.executable, "-m", "atlex.cli"]
        login = subprocess.Popen(
            [*atlex, "login", "--oauth", account.handle, "--no-browser"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert login.stderr is not None
        url = ""
        for line in login.stderr:
            if line.startswith("http"):
                url = line.strip()
                break
        assert url, "the command printed the sign-in URL"
        back = sign_in_and_consent(url, account.handle, account.password)
        httpx.get(back, timeout=30).raise_for_status()
        out, err = login.communicate(timeout=60)
        assert login.returncode == 0, err
        assert f"logged in as {account.handle} ({account.did}) with OAuth" in out

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*atlex, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    stored = json.loads((tmp_path / "config" / "oauth-sessions.json").read_text())[account.did]
    secrets = (stored["access_token"], stored["refresh_token"], stored["dpop_key"]["d"])
    whoami = run("whoami", "--json")
    assert whoami.returncode == 0, whoami.stderr
    shown = json.loads(whoami.stdout)
    assert (shown["did"], shown["handle"]) == (account.did, account.handle)
    called = run("call", "com.atproto.server.getSession")
    assert called.returncode == 0, called.stderr
    assert account.did in called.stdout
    logout = run("logout")
    assert logout.returncode == 0, logout.stderr
    assert json.loads((tmp_path / "config" / "oauth-sessions.json").read_text()) == {}
    for result in (whoami, called, logout):
        for secret in secrets:
            assert secret not in result.stdout + result.stderr
    assert run("whoami").returncode != 0  # logged out


def test_authorize_from_the_pds_url(oauth_pds: LonePds, account: Account) -> None:
    """No handle: the user picks the account on the server; the callback then checks that the
    account's PDS is protected by the issuer that signed it in."""
    oauth = make_client(oauth_pds)
    url = oauth.authorize(oauth_pds.info.pds_public_url)
    assert "login_hint" not in url
    session = oauth.callback(query_of(sign_in_and_consent(url, account.handle, account.password)))
    assert session.did == account.did
    assert Client(session).com.atproto.server.get_session().handle == account.handle
