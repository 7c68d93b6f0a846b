"""DID documents (what atproto reads from them) and keys (did:key / Multikey parsing errors)."""

from __future__ import annotations

from typing import Any

import pytest
from identity_support import ALICE_DID, K256_KEY, P256_KEY, did_doc

from atlex.errors import DidDocumentError, InvalidKeyError
from atlex.identity import DidDocument, PublicKey, ResolverOptions, parse_did_key, parse_multikey
from atlex.identity._base58 import b58decode, b58encode
from atlex.identity._document import find_service_entry


def _doc(**changes: Any) -> DidDocument:
    data = did_doc(ALICE_DID, "alice.example.com")
    data.update(changes)
    return DidDocument.parse(ALICE_DID, data)


def test_parse_from_json_and_mapping() -> None:
    data = did_doc(ALICE_DID, "alice.example.com")
    data["unknownField"] = {"kept": False}
    from_mapping = DidDocument.parse(ALICE_DID, data)
    assert DidDocument.parse(ALICE_DID, from_mapping.to_json()) == from_mapping


@pytest.mark.parametrize(
    ("service", "endpoint"),
    [
        (
            {
                "id": "#atproto_pds",
                "type": "AtprotoPersonalDataServer",
                "serviceEndpoint": "https://p.example/",
            },
            "https://p.example",
        ),
        (
            {
                "id": f"{ALICE_DID}#atproto_pds",
                "type": "AtprotoPersonalDataServer",
                "serviceEndpoint": "http://127.0.0.1:2583",
            },
            "http://127.0.0.1:2583",
        ),
        (
            {"id": "#atproto_pds", "type": "SomethingElse", "serviceEndpoint": "https://p.example"},
            None,
        ),
        (
            {
                "id": "#atproto_pds",
                "type": "AtprotoPersonalDataServer",
                "serviceEndpoint": "ftp://p.example",
            },
            None,
        ),
        (
            {
                "id": "#atproto_pds",
                "type": "AtprotoPersonalDataServer",
                "serviceEndpoint": {"uri": "x"},
            },
            None,
        ),
        (
            {
                "id": "did:plc:other#atproto_pds",
                "type": "AtprotoPersonalDataServer",
                "serviceEndpoint": "https://p.example",
            },
            None,
        ),
    ],
)
def test_pds_endpoint_rules(service: dict[str, Any], endpoint: str | None) -> None:
    assert _doc(service=[service]).pds_endpoint == endpoint


def test_handle_is_the_first_at_alias() -> None:
    assert (
        _doc(alsoKnownAs=["https://x.example", "at://Bob.Example.com", "at://c.example"]).handle
        == "bob.example.com"
    )
    assert _doc(alsoKnownAs=["at://not a handle"]).handle is None
    assert _doc(alsoKnownAs=[]).handle is None


def test_signing_key_forms() -> None:
    assert _doc().signing_key == parse_multikey(K256_KEY)
    legacy = {
        "id": "#atproto",
        "type": "EcdsaSecp256r1VerificationKey2019",
        "publicKeyMultibase": "zxdM8dSstjrpZaRUwBmDvjGXweKuEMVN95A9oJBFjkWMh",
    }
    assert _doc(verificationMethod=[legacy]).signing_key == parse_multikey(P256_KEY)
    odd = {"id": "#atproto", "type": "JsonWebKey2020", "publicKeyMultibase": K256_KEY}
    with pytest.raises(InvalidKeyError, match="JsonWebKey2020"):
        _ = _doc(verificationMethod=[odd]).signing_key
    assert _doc(verificationMethod=[f"{ALICE_DID}#atproto"]).signing_key is None


def test_lenient_service_lookup_for_session_data() -> None:
    document = {"service": [5, {"id": "x#atproto_pds", "serviceEndpoint": "https://p"}]}
    assert find_service_entry(document, "#atproto_pds") == document["service"][1]
    assert find_service_entry({"service": "nope"}, "#atproto_pds") is None
    assert find_service_entry(None, "#atproto_pds") is None


def test_wrong_document_shapes() -> None:
    with pytest.raises(DidDocumentError, match="service"):
        DidDocument.parse(ALICE_DID, {"id": ALICE_DID, "service": {"not": "a list"}})


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("did:web:example.com", "starts with 'did:key:'"),
        ("did:key:uABC", "base58btc"),
        ("did:key:z0OIl", "not a base58btc character"),
        ("did:key:z" + b58encode(b"\xed\x01" + bytes(32)), "unsupported key type"),
        (
            "did:key:z" + b58encode(b"\xe7\x01" + b"\x02" + bytes(32)),
            "not a point on the k256 curve",
        ),
    ],
)
def test_bad_keys(value: str, reason: str) -> None:
    with pytest.raises(InvalidKeyError) as caught:
        parse_did_key(value)
    assert caught.value.identifier == value
    assert reason in caught.value.reason


def test_key_repr_and_wrong_signature_lengths() -> None:
    key = parse_multikey(P256_KEY)
    assert repr(key) == f"PublicKey('did:key:{P256_KEY}')" and str(key) == key.did_key
    assert not key.verify(b"data", b"")
    assert not key.verify(b"data", bytes(64))  # r = s = 0
    assert PublicKey("p256", key.data).multibase == P256_KEY


def test_base58_round_trip() -> None:
    for data in (b"", b"\0\0abc", bytes(range(40))):
        assert b58decode(b58encode(data)) == data


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0},
        {"ttl": -1},
        {"plc_url": "plc.directory"},
        {"handle_methods": ()},
        {"handle_methods": ("dns", "carrier-pigeon")},
        {"nameservers": ("1.1.1.1:99999",)},
        {"nameservers": ("[::1",)},
        {"dns_port": 0},
    ],
)
def test_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ResolverOptions(**options)
