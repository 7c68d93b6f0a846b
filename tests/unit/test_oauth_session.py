"""OAuthSession against a scripted authorization server + PDS (httpx.MockTransport): the edge
cases the reference server cannot be made to produce on demand (5xx, endless nonce demands)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from atlex import Client
from atlex.errors import XrpcResponseError
from atlex.oauth import (
    ClientMetadata,
    EcKey,
    LoggedOutError,
    MemorySessionStore,
    OAuthClient,
    OAuthSessionData,
)
from atlex.oauth._jose import b64url_decode, sha256_b64url

ISSUER = "https://auth.example"
PDS = "https://pds.example"
DID = "did:plc:abcdefghijklmnopqrstuvwx"


def claims(token: str) -> dict[str, Any]:
    return json.loads(b64url_decode(token.split(".")[1]))


@dataclass
class Fake:
    """The server side: which nonce is current, what the token endpoint answers."""

    nonce: str = "n1"
    demand_new_nonce_always: bool = False
    token_status: int = 200
    token_error: str | None = None
    revoke_status: int = 200
    access: str = "access-1"
    refresh: str = "refresh-1"
    log: list[tuple[str, int]] = field(default_factory=lambda: [])
    proofs: list[dict[str, Any]] = field(default_factory=lambda: [])

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = self._answer(request)
        self.log.append((request.url.path, response.status_code))
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/oauth-authorization-server":
            return httpx.Response(200, json=as_metadata())
        proof = claims(request.headers["dpop"])
        self.proofs.append(proof)
        headers = {"dpop-nonce": self.nonce}
        if path.startswith("/xrpc/"):
            if self.demand_new_nonce_always or proof.get("nonce") != self.nonce:
                if self.demand_new_nonce_always:
                    self.nonce += "x"
                    headers = {"dpop-nonce": self.nonce}
                challenge = 'DPoP error="use_dpop_nonce"'
                return httpx.Response(401, headers={**headers, "www-authenticate": challenge})
            token = request.headers["authorization"].removeprefix("DPoP ")
            assert proof["ath"] == sha256_b64url(token)
            if token != self.access:
                challenge = 'DPoP error="invalid_token"'
                return httpx.Response(401, headers={**headers, "www-authenticate": challenge})
            return httpx.Response(200, json={"did": DID, "handle": "alice.test"}, headers=headers)
        if proof.get("nonce") != self.nonce:
            return httpx.Response(400, json={"error": "use_dpop_nonce"}, headers=headers)
        form = dict(parse_qsl(request.content.decode()))
        if path == "/oauth/token":
            if self.token_status != 200:
                body = {"error": self.token_error or "server_error"}
                return httpx.Response(self.token_status, json=body, headers=headers)
            assert form["refresh_token"] == self.refresh
            self.access, self.refresh = self.access + "+", self.refresh + "+"
            body = {
                "access_token": self.access,
                "refresh_token": self.refresh,
                "token_type": "DPoP",
                "expires_in": 3600,
                "scope": "atproto",
                "sub": DID,
            }
            return httpx.Response(200, json=body, headers=headers)
        if path == "/oauth/revoke":
            return httpx.Response(self.revoke_status, headers=headers)
        return httpx.Response(404)


def as_metadata() -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/oauth/authorize",
        "token_endpoint": f"{ISSUER}/oauth/token",
        "pushed_authorization_request_endpoint": f"{ISSUER}/oauth/par",
        "revocation_endpoint": f"{ISSUER}/oauth/revoke",
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": True,
        "scopes_supported": ["atproto"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["none"],
    }


@dataclass
class Setup:
    fake: Fake
    oauth: OAuthClient
    store: MemorySessionStore
    events: list[tuple[str, object]]


@pytest.fixture
def setup() -> Setup:
    fake = Fake()
    store = MemorySessionStore()
    events: list[tuple[str, object]] = []
    store.set(
        DID,
        OAuthSessionData(
            did=DID,
            issuer=ISSUER,
            pds=PDS,
            scope="atproto",
            access_token=fake.access,
            refresh_token=fake.refresh,
            expires_at=time.time() + 3600,
            dpop_key=EcKey.generate().private_jwk(),
        ),
    )
    oauth = OAuthClient(
        ClientMetadata.loopback(),
        session_store=store,
        http_client=httpx.Client(transport=httpx.MockTransport(fake.handle)),
        on_updated=lambda data: events.append(("updated", data)),
        on_update_failure=lambda data, failure: events.append(("update_failure", failure)),
        on_deleted=lambda data: events.append(("deleted", data)),
        on_delete_failure=lambda data, failure: events.append(("delete_failure", failure)),
    )
    return Setup(fake, oauth, store, events)


def xrpc_log(fake: Fake) -> list[int]:
    return [status for path, status in fake.log if path.startswith("/xrpc/")]


def test_pds_nonce_learned_and_retried_once(setup: Setup) -> None:
    client = Client(setup.oauth.restore(DID))
    assert client.com.atproto.server.get_session().did == DID
    assert xrpc_log(setup.fake) == [401, 200]
    assert setup.fake.proofs[-1]["htu"] == f"{PDS}/xrpc/com.atproto.server.getSession"
    client.com.atproto.server.get_session()
    assert xrpc_log(setup.fake) == [401, 200, 200], "the nonce is remembered"


def test_a_server_that_always_wants_a_new_nonce_is_not_retried_forever(setup: Setup) -> None:
    setup.fake.demand_new_nonce_always = True
    client = Client(setup.oauth.restore(DID))
    with pytest.raises(XrpcResponseError) as caught:
        client.com.atproto.server.get_session()
    assert caught.value.status == 401
    assert xrpc_log(setup.fake) == [401, 401]
    assert setup.events == [], "a nonce demand is not an expired token"


def test_token_endpoint_nonce_retry_and_rotation_stored_first(setup: Setup) -> None:
    session = setup.oauth.restore(DID)
    fresh = session.refresh()
    assert [s for p, s in setup.fake.log if p == "/oauth/token"] == [400, 200]
    assert fresh.refresh_token == "refresh-1+"
    stored = setup.store.get(DID)
    assert stored is not None and stored.refresh_token == "refresh-1+"
    assert [name for name, _ in setup.events] == ["updated"]


def test_expired_token_refreshes_once_and_retries(setup: Setup) -> None:
    session = setup.oauth.restore(DID)
    setup.fake.access = "rotated-by-server"  # the client's token no longer works
    client = Client(session)
    setup.fake.log.clear()
    client.com.atproto.server.get_session()
    assert [s for p, s in setup.fake.log if p == "/oauth/token"].count(200) == 1
    assert session.session.access_token == "rotated-by-server+"


def test_transient_refresh_failure_keeps_the_session(setup: Setup) -> None:
    session = setup.oauth.restore(DID)
    setup.fake.access = "server-forgot"
    setup.fake.token_status = 503
    client = Client(session)
    with pytest.raises(XrpcResponseError) as caught:
        client.com.atproto.server.get_session()
    assert caught.value.status == 401  # the original answer
    assert [name for name, _ in setup.events] == ["update_failure"]
    assert not session.destroyed and setup.store.get(DID) is not None


def test_refused_refresh_ends_the_session_once(setup: Setup) -> None:
    session = setup.oauth.restore(DID)
    setup.fake.token_status, setup.fake.token_error = 400, "invalid_grant"
    with pytest.raises(XrpcResponseError) as caught:
        session.refresh()
    assert caught.value.error == "invalid_grant"
    for _ in range(2):
        with pytest.raises(LoggedOutError):
            Client(session).com.atproto.server.get_session()
    assert [name for name, _ in setup.events] == ["deleted"]
    assert setup.store.get(DID) is None


def test_logout_that_cannot_reach_the_server_keeps_the_session(setup: Setup) -> None:
    session = setup.oauth.restore(DID)
    setup.fake.revoke_status = 503
    with pytest.raises(XrpcResponseError):
        session.logout()
    assert not session.destroyed and setup.store.get(DID) is not None
    assert [name for name, _ in setup.events] == ["delete_failure"]
    setup.fake.revoke_status = 200
    session.logout()
    assert session.destroyed and setup.store.get(DID) is None
    session.logout()  # idempotent
