"""SessionData's JSON shape (the TypeScript package's, key for key), login URLs, PDS discovery."""

from __future__ import annotations

import json
from typing import Any

import pytest

from atlex.session import SessionData, SessionDataError, extract_pds_endpoint
from atlex.session._routing import parse_login_url

# What @atproto/lex-password-session persists after a login on the reference PDS with
# enableDidDocWithSession (JSON.stringify of {...createSession output, service}).
TS_JSON = """{
  "accessJwt": "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJIUzI1NiJ9.access.sig",
  "refreshJwt": "eyJ0eXAiOiJyZWZyZXNoK2p3dCIsImFsZyI6IkhTMjU2In0.refresh.sig",
  "handle": "alice.test",
  "did": "did:plc:abc123",
  "didDoc": {"id": "did:plc:abc123", "service": [{"id": "#atproto_pds",
             "type": "AtprotoPersonalDataServer", "serviceEndpoint": "http://localhost:2583"}]},
  "email": "alice@mail.test",
  "emailConfirmed": false,
  "emailAuthFactor": false,
  "active": true,
  "status": "deactivated",
  "service": "http://localhost:2583/"
}"""

SECRETS = ("eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJIUzI1NiJ9.access.sig", "refresh.sig")


def test_typescript_json_loads_into_fields() -> None:
    data = SessionData.from_json(TS_JSON)
    assert data.access_jwt == SECRETS[0]
    assert data.refresh_jwt.endswith("refresh.sig")
    assert (data.handle, data.did, data.service) == (
        "alice.test",
        "did:plc:abc123",
        "http://localhost:2583/",
    )
    assert data.did_doc is not None and data.did_doc["id"] == "did:plc:abc123"
    assert (data.email, data.email_confirmed, data.email_auth_factor) == (
        "alice@mail.test",
        False,
        False,
    )
    assert (data.active, data.status) == (True, "deactivated")
    assert data.extra == {}


def test_round_trip_is_key_for_key() -> None:
    data = SessionData.from_json(TS_JSON)
    assert json.loads(data.to_json()) == json.loads(TS_JSON)
    assert list(data.to_dict()) == list(json.loads(TS_JSON))  # same keys, same order


def test_minimal_shape_leaves_absent_keys_out() -> None:
    # createAccount's output: no email, no emailConfirmed, no status
    data = SessionData(
        access_jwt="a",
        refresh_jwt="r",
        handle="bob.test",
        did="did:plc:bob",
        service="https://x.test",
    )
    assert data.to_dict() == {
        "accessJwt": "a",
        "refreshJwt": "r",
        "handle": "bob.test",
        "did": "did:plc:bob",
        "service": "https://x.test",
    }
    assert "null" not in data.to_json()


def test_unknown_keys_survive_the_round_trip() -> None:
    raw = {**json.loads(TS_JSON), "someFutureField": {"x": 1}}
    data = SessionData.from_dict(raw)
    assert data.extra == {"someFutureField": {"x": 1}}
    assert json.loads(data.to_json()) == raw


def test_null_optional_keys_read_as_absent() -> None:
    data = SessionData.from_dict({**json.loads(TS_JSON), "email": None, "didDoc": None})
    assert data.email is None and data.did_doc is None
    assert "email" not in data.to_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"accessJwt": None}, "missing required key 'accessJwt'"),
        ({"service": None}, "missing required key 'service'"),
        ({"refreshJwt": 5}, "key 'refreshJwt' must be a string, got int"),
        ({"emailConfirmed": "yes"}, "key 'emailConfirmed' must be a boolean, got str"),
        ({"did": True}, "key 'did' must be a string, got bool"),
        ({"didDoc": []}, "key 'didDoc' must be a JSON object, got list"),
        ({"handle": ""}, "key 'handle' must not be empty"),
    ],
)
def test_bad_shapes_are_named(change: dict[str, Any], message: str) -> None:
    raw = {**json.loads(TS_JSON), **change}
    with pytest.raises(SessionDataError, match=message) as info:
        SessionData.from_dict(raw)
    assert all(secret not in str(info.value) for secret in SECRETS)


def test_wrong_type_of_token_never_echoes_it() -> None:
    raw = {**json.loads(TS_JSON), "accessJwt": ["secret-token-in-a-list"]}
    with pytest.raises(SessionDataError) as info:
        SessionData.from_dict(raw)
    assert "secret-token-in-a-list" not in str(info.value)


def test_invalid_json_and_non_object() -> None:
    with pytest.raises(SessionDataError, match="not valid JSON"):
        SessionData.from_json("{nope")
    with pytest.raises(SessionDataError, match="expected a JSON object, got list"):
        SessionData.from_json("[]")


def test_repr_and_str_hide_tokens() -> None:
    data = SessionData.from_json(TS_JSON)
    for text in (repr(data), str(data), f"{data}", repr([data]), repr({"d": data})):
        assert all(secret not in text for secret in SECRETS), text
        assert "<redacted>" in text and "did:plc:abc123" in text


def test_equality_and_immutability() -> None:
    a, b = SessionData.from_json(TS_JSON), SessionData.from_json(TS_JSON)
    assert a == b
    with pytest.raises(AttributeError):
        a.handle = "x"  # type: ignore[misc]


# -- login URL -------------------------------------------------------------------------------


def test_login_url_splits_without_decoding() -> None:
    creds = parse_login_url("https://alice.test:abcd-efgh%21@pds.example:8443")
    assert (creds.service, creds.identifier, creds.password) == (
        "https://pds.example:8443",
        "alice.test",
        "abcd-efgh%21",
    )
    assert parse_login_url("http://a:b@localhost:2583/").service == "http://localhost:2583"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://alice:pw-secret@host/xrpc", "no path"),
        ("https://alice:pw-secret@host/?x=1", "no query or fragment"),
        ("https://alice:pw-secret@host#frag", "no query or fragment"),
        ("https://alice@host", "both identifier and password"),
        ("https://host", "both identifier and password"),
        ("ftp://alice:pw-secret@host", "http\\(s\\) scheme"),
        ("https://alice:pw-secret@host:notaport", "does not parse"),
    ],
)
def test_bad_login_urls_never_echo_the_password(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as info:
        parse_login_url(url)
    assert "pw-secret" not in str(info.value)


# -- PDS discovery (the six cases of upstream password-session-utils.test.ts, and more) -----


def _doc(*services: Any) -> dict[str, Any]:
    return {"id": "did:plc:x", "service": list(services)}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (None, None),
        ({}, None),
        ({"service": "not a list"}, None),
        (
            _doc({"id": "#atproto_pds", "serviceEndpoint": "https://pds.example"}),
            "https://pds.example",
        ),
        (
            _doc({"id": "did:plc:x#atproto_pds", "serviceEndpoint": "https://a.example"}),
            "https://a.example",
        ),
        # type is not checked
        (
            _doc({"id": "#atproto_pds", "type": "Other", "serviceEndpoint": "https://t.example"}),
            "https://t.example",
        ),
        (_doc({"id": "#atproto_labeler", "serviceEndpoint": "https://l.example"}), None),
        (_doc({"id": "#atproto_pds", "serviceEndpoint": "not a url"}), None),
        (_doc({"id": "#atproto_pds", "serviceEndpoint": {"uri": "https://x"}}), None),
        # only the first matching entry counts, even when it is unusable
        (
            _doc(
                {"id": "#atproto_pds", "serviceEndpoint": 42},
                {"id": "#atproto_pds", "serviceEndpoint": "https://second.example"},
            ),
            None,
        ),
        (
            _doc(
                "junk",
                {"id": "#other", "serviceEndpoint": "https://o.example"},
                {"id": "#atproto_pds", "serviceEndpoint": "https://p.example"},
            ),
            "https://p.example",
        ),
    ],
)
def test_extract_pds_endpoint(doc: Any, expected: str | None) -> None:
    assert extract_pds_endpoint(doc) == expected
