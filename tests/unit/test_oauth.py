"""atlex.oauth pieces without a server: JOSE, PKCE, metadata checks, callback checks, stores."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from atlex.oauth import (
    AuthState,
    ClientMetadata,
    EcKey,
    FileSessionStore,
    FileStateStore,
    OAuthCallbackError,
    OAuthMetadataError,
    OAuthSessionData,
    scopes,
)
from atlex.oauth._client_meta import client_auth
from atlex.oauth._dpop import dpop_proof
from atlex.oauth._jose import Pkce, b64url, b64url_decode
from atlex.oauth._metadata import parse_auth_server, parse_protected_resource
from atlex.oauth._plan import read_callback

ISSUER = "https://auth.example.com"


def verify(token: str, key: EcKey) -> tuple[dict[str, object], dict[str, object]]:
    """Check an ES256 compact JWS with the key's public half; return (header, payload)."""
    head, body, sig = token.split(".")
    raw = b64url_decode(sig)
    signature = encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    jwk = key.public_jwk()
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64url_decode(jwk["x"]), "big"),
        int.from_bytes(b64url_decode(jwk["y"]), "big"),
        ec.SECP256R1(),
    ).public_key()
    public.verify(signature, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(b64url_decode(head)), json.loads(b64url_decode(body))


def test_dpop_proof_is_signed_and_carries_the_claims() -> None:
    key = EcKey.generate()
    proof = dpop_proof(
        key, "GET", "https://pds.example/xrpc/x?y=1#f", nonce="n1", access_token="tok"
    )
    header, payload = verify(proof, key)
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256"
    assert header["jwk"] == {k: v for k, v in key.public_jwk().items() if k != "kid"}
    assert payload["htm"] == "GET" and payload["htu"] == "https://pds.example/xrpc/x"
    assert payload["nonce"] == "n1"
    assert payload["ath"] == b64url(hashlib.sha256(b"tok").digest())
    assert isinstance(payload["jti"], str) and isinstance(payload["iat"], int)
    assert dpop_proof(key, "GET", "https://a/b", nonce=None) != dpop_proof(
        key, "GET", "https://a/b", nonce=None
    ), "a fresh jti every time"


def test_key_round_trips_and_never_shows_its_secret() -> None:
    key = EcKey.generate(kid="k1")
    private = key.private_jwk()
    again = EcKey.from_jwk(private)
    assert again.public_jwk() == key.public_jwk() and again.thumbprint() == key.thumbprint()
    assert private["d"] not in repr(key)
    with pytest.raises(ValueError) as bad:
        EcKey.from_jwk({**private, "d": "AAAA" + private["d"][4:], "x": "broken"})
    assert private["d"] not in str(bad.value)


def test_pkce_s256() -> None:
    pkce = Pkce.generate()
    assert len(pkce.verifier) >= 43
    assert pkce.challenge == b64url(hashlib.sha256(pkce.verifier.encode()).digest())
    assert pkce.verifier not in repr(pkce)


def test_loopback_client_id_carries_redirects_and_scope() -> None:
    meta = ClientMetadata.loopback("http://127.0.0.1:8080/cb", scope="atproto transition:generic")
    parts = urlsplit(meta.client_id)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "localhost", "")
    assert parse_qs(parts.query) == {
        "redirect_uri": ["http://127.0.0.1:8080/cb"],
        "scope": ["atproto transition:generic"],
    }
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        ClientMetadata.loopback("http://localhost/cb")


def test_private_key_jwt_client_assertion() -> None:
    key = EcKey.generate(kid="key-1")
    meta = ClientMetadata.confidential(
        client_id="https://app.example/client-metadata.json",
        redirect_uris=["https://app.example/callback"],
        jwks_uri="https://app.example/jwks.json",
    )
    fields = client_auth(meta, [key], ISSUER)
    assert fields["client_assertion_type"].endswith("jwt-bearer")
    header, payload = verify(fields["client_assertion"], key)
    assert header["kid"] == "key-1"
    assert payload["iss"] == payload["sub"] == meta.client_id and payload["aud"] == ISSUER
    assert ClientMetadata.jwks([key])["keys"][0]["kid"] == "key-1"
    assert "d" not in ClientMetadata.jwks([key])["keys"][0]


def as_metadata(**changes: object) -> bytes:
    base: dict[str, object] = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/oauth/authorize",
        "token_endpoint": f"{ISSUER}/oauth/token",
        "pushed_authorization_request_endpoint": f"{ISSUER}/oauth/par",
        "require_pushed_authorization_requests": True,
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": True,
        "scopes_supported": ["atproto", "transition:generic"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
    }
    base.update(changes)
    return json.dumps(base).encode()


def test_auth_server_metadata_is_checked() -> None:
    parse = lambda content: parse_auth_server(  # noqa: E731
        content, ISSUER, allow_http=False, auth_method="none"
    )
    assert parse(as_metadata()).token_endpoint == f"{ISSUER}/oauth/token"
    for changes, words in [
        ({"issuer": "https://evil.example"}, "calls itself"),
        ({"code_challenge_methods_supported": ["plain"]}, "S256"),
        ({"dpop_signing_alg_values_supported": ["RS256"]}, "ES256"),
        ({"authorization_response_iss_parameter_supported": False}, "iss"),
        ({"token_endpoint": "http://auth.example.com/token"}, "https"),
        ({"pushed_authorization_request_endpoint": None}, "PAR"),
    ]:
        with pytest.raises(OAuthMetadataError, match=words):
            parse(as_metadata(**changes))


def test_protected_resource_must_name_itself() -> None:
    good = b'{"resource": "https://pds.example", "authorization_servers": ["https://auth.example.com"]}'
    assert parse_protected_resource(good, "https://pds.example", allow_http=False).resource
    with pytest.raises(OAuthMetadataError, match="not the server asked"):
        parse_protected_resource(good, "https://other.example", allow_http=False)


def auth_state(**changes: object) -> AuthState:
    values: dict[str, object] = {
        "issuer": ISSUER,
        "dpop_key": EcKey.generate().private_jwk(),
        "verifier": "v" * 43,
        "redirect_uri": "http://127.0.0.1/cb",
        "app_state": "mine",
    }
    values.update(changes)
    return msgspec.convert(values, AuthState)


def test_callback_checks() -> None:
    auth = auth_state()
    ok = {"code": "c", "state": "s", "iss": ISSUER}
    assert read_callback(ok, auth) == "c"
    cases = [
        (ok, None, "invalid_state"),
        ({**ok, "iss": "https://evil.example"}, auth, "invalid_issuer"),
        ({"code": "c", "state": "s"}, auth, "invalid_issuer"),
        ({"error": "access_denied", "state": "s", "iss": ISSUER}, auth, "access_denied"),
    ]
    for params, state, error in cases:
        with pytest.raises(OAuthCallbackError) as caught:
            read_callback(params, state)
        assert caught.value.error == error


def test_file_stores_are_private_and_keep_no_secret_in_repr(tmp_path: Path) -> None:
    key = EcKey.generate()
    data = OAuthSessionData(
        did="did:plc:abc",
        issuer=ISSUER,
        pds="https://pds.example",
        scope="atproto",
        access_token="secret-access",
        refresh_token="secret-refresh",
        expires_at=None,
        dpop_key=key.private_jwk(),
    )
    store = FileSessionStore(tmp_path / "dir" / "sessions.json")
    store.set(data.did, data)
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert FileSessionStore(store.path).get(data.did) == data
    store.delete(data.did)
    assert store.get(data.did) is None
    for text in (repr(data), str(data), repr(store)):
        assert "secret" not in text and key.private_jwk()["d"] not in text
    states = FileStateStore(tmp_path / "states.json")
    auth = auth_state()
    states.set("s1", auth)
    assert stat.S_IMODE(os.stat(states.path).st_mode) == 0o600
    assert states.get("s1") == auth
    assert auth.verifier not in repr(auth) and auth.dpop_key["d"] not in repr(auth)


def test_scope_builders_match_the_reference_syntax() -> None:
    assert scopes.repo("app.bsky.feed.post") == "repo:app.bsky.feed.post"
    assert scopes.repo("app.bsky.feed.post", actions=["delete", "create"]) == (
        "repo:app.bsky.feed.post?action=create&action=delete"
    )
    assert scopes.repo("b.c.d", "a.b.c") == "repo?collection=a.b.c&collection=b.c.d"
    assert scopes.repo("a.b.c", "*") == "repo:*"
    assert scopes.rpc("app.bsky.actor.getProfile", aud="did:web:api.bsky.app#bsky_appview") == (
        "rpc:app.bsky.actor.getProfile?aud=did:web:api.bsky.app%23bsky_appview"
    )
    assert scopes.blob("image/*") == "blob:image/*"
    assert scopes.account("repo", manage=True) == "account:repo?action=manage"
    assert scopes.identity("handle") == "identity:handle"
    assert scopes.join(scopes.ATPROTO, "atproto transition:generic") == "atproto transition:generic"


def test_permission_set_from_a_lexicon() -> None:
    path = Path(__file__).parents[1] / "codegen/lexicons/features/test/feature/permissions.json"
    document = json.loads(path.read_text())
    access = scopes.permission_set(document["defs"]["main"], document["id"])
    assert access.title == "Test access"
    assert access.scope == "include:test.feature.permissions"
    assert access.scopes() == ["repo:test.feature.record?action=create&action=update"]
    assert access.scopes(aud="did:web:svc.example#api") == [
        "repo:test.feature.record?action=create&action=update",
        "rpc:test.feature.query?aud=did:web:svc.example%23api",
    ]
    with pytest.raises(ValueError, match="permission-set"):
        scopes.permission_set({"type": "record"}, "a.b.c")
