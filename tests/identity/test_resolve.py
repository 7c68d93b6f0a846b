"""Handle -> DID -> document -> verified identity, on the sync and the async resolver."""

from __future__ import annotations

import sys

import pytest
from dns_test_server import TxtServer
from identity_support import ALICE_DID, BOB_DID, PLC, MakeTwin, World, did_doc

from atlex.errors import (
    DidDeactivatedError,
    DidDocumentError,
    DidNotFoundError,
    HandleAmbiguousError,
    HandleNotFoundError,
    IdentityError,
    IdentityUnreachableError,
    InvalidIdentifierError,
    MissingPdsError,
    MissingSigningKeyError,
)
from atlex.identity import INVALID_HANDLE


def test_dns_txt_names_the_did(twin: MakeTwin, dns: TxtServer, world: World) -> None:
    dns.records["_atproto.alice.example.com"] = ["v=spf1 -all", f"did={ALICE_DID}"]
    world.well_known("alice.example.com", BOB_DID)  # conflicting: DNS wins, HTTPS not asked
    assert twin().resolve_handle("Alice.Example.COM") == ALICE_DID
    assert dns.queries == ["_atproto.alice.example.com"]
    assert world.requests == []


def test_long_txt_values_are_joined(twin: MakeTwin, dns: TxtServer) -> None:
    dns.chunk = 10  # the DID arrives in several character-strings
    dns.records["_atproto.alice.example.com"] = [f"did={ALICE_DID}"]
    assert twin().resolve_handle("alice.example.com") == ALICE_DID


def test_https_well_known_when_dns_has_no_record(twin: MakeTwin, world: World) -> None:
    world.well_known("alice.example.com", f"  {ALICE_DID}\n")
    assert twin().resolve_handle("alice.example.com") == ALICE_DID
    assert world.requests == ["https://alice.example.com/.well-known/atproto-did"]


def test_two_dids_in_txt_are_ambiguous(twin: MakeTwin, dns: TxtServer, world: World) -> None:
    dns.records["_atproto.alice.example.com"] = [f"did={ALICE_DID}", f"did={BOB_DID}"]
    world.well_known("alice.example.com", ALICE_DID)
    with pytest.raises(HandleAmbiguousError) as caught:
        twin().resolve_handle("alice.example.com")
    assert caught.value.identifier == "alice.example.com"
    assert ALICE_DID in caught.value.reason and BOB_DID in caught.value.reason
    assert world.requests == []  # the spec: resolution fails, no fallback


def test_the_same_did_twice_is_not_ambiguous(twin: MakeTwin, dns: TxtServer) -> None:
    dns.records["_atproto.alice.example.com"] = [f"did={ALICE_DID}", f"did={ALICE_DID}"]
    assert twin().resolve_handle("alice.example.com") == ALICE_DID


def test_nxdomain_and_no_well_known(twin: MakeTwin) -> None:
    with pytest.raises(HandleNotFoundError) as caught:
        twin().resolve_handle("nobody.example.com")
    error = caught.value
    assert error.identifier == "nobody.example.com"
    assert "NXDOMAIN" in error.reason and "/.well-known/atproto-did" in error.reason
    assert str(error).startswith("HandleNotFound: nobody.example.com: ")
    assert not error.should_retry()


def test_well_known_answering_html(twin: MakeTwin, world: World) -> None:
    world.well_known("alice.example.com", "<html><body>hi</body></html>", ctype="text/html")
    with pytest.raises(HandleNotFoundError, match=r"\(text/html\) is not a DID"):
        twin().resolve_handle("alice.example.com")


def test_unreachable_dns_and_web(twin: MakeTwin, world: World) -> None:
    world.hang.add("https://alice.example.com/.well-known/atproto-did")
    # a UDP port nobody listens on: dnspython gets no answer within the timeout
    resolver = twin(nameservers=("127.0.0.1:9",), timeout=0.3)
    with pytest.raises(IdentityUnreachableError) as caught:
        resolver.resolve_handle("alice.example.com")
    assert caught.value.should_retry()
    assert "_atproto.alice.example.com" in caught.value.reason


def test_https_only_without_dnspython(
    twin: MakeTwin, dns: TxtServer, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("dns.resolver", "dns.asyncresolver"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails like an absent package
    dns.records["_atproto.alice.example.com"] = [f"did={ALICE_DID}"]
    with pytest.raises(HandleNotFoundError, match=r"install atlex\[dns\]"):
        twin().resolve_handle("alice.example.com")
    world.well_known("alice.example.com", ALICE_DID)
    assert twin().resolve_handle("alice.example.com") == ALICE_DID


@pytest.mark.parametrize(
    ("identifier", "reason"),
    [
        ("not a handle", "invalid handle"),
        ("alice", "invalid handle"),
        ("alice.local", "can not be resolved"),
        ("did:plc:", "invalid did"),
        ("did:plc:UPPERCASE234567abcdefghi", "24 base32 characters"),
        ("did:plc:short", "24 base32 characters"),
        ("did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc", "not an atproto DID method"),
        ("did:web:example.com:user:alice", "path"),
        ("did:web:example.com%3A8080", "port"),
        ("did:web:localhost%3A8080", "allow_insecure_loopback"),
    ],
)
def test_malformed_identifiers(twin: MakeTwin, world: World, identifier: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        twin().resolve(identifier)
    assert caught.value.identifier == identifier
    assert reason in caught.value.reason.lower() or reason in caught.value.reason
    assert isinstance(caught.value, ValueError)
    assert world.requests == []


def test_did_plc_document(twin: MakeTwin, world: World) -> None:
    world.document(ALICE_DID, did_doc(ALICE_DID, "alice.example.com"))
    document = twin().resolve_did(ALICE_DID)
    assert document.id == ALICE_DID
    assert document.handle == "alice.example.com"
    assert document.pds_endpoint == "https://pds.example.com"
    assert world.requests == [f"{PLC}/{ALICE_DID}"]


def test_did_web_host_only(twin: MakeTwin, world: World) -> None:
    did = "did:web:labeler.example.com"
    world.document(did, did_doc(did), base="https://labeler.example.com/.well-known/did.json")
    assert twin().resolve_did(did).id == did


def test_did_web_on_loopback_with_the_dev_option(twin: MakeTwin, world: World) -> None:
    did = "did:web:localhost%3A8080"
    world.document(did, did_doc(did), base="http://localhost:8080/.well-known/did.json")
    assert twin(allow_insecure_loopback=True).resolve_did(did).id == did


@pytest.mark.parametrize(
    ("status", "body", "error", "reason"),
    [
        (410, b'{"message":"DID not available"}', DidDeactivatedError, "deactivated"),
        (404, b'{"message":"DID not registered"}', DidNotFoundError, "HTTP 404"),
        (200, b"<html></html>", DidDocumentError, "not JSON"),
        (200, b'{"id": 5}', DidDocumentError, "not a valid DID document"),
        (200, b'{"id": "did:plc:someoneelse2345678901234"}', DidDocumentError, "is for"),
        (503, b"", IdentityUnreachableError, "HTTP 503"),
    ],
)
def test_bad_did_answers(
    twin: MakeTwin, world: World, status: int, body: bytes, error: type[IdentityError], reason: str
) -> None:
    world.pages[f"{PLC}/{ALICE_DID}"] = (status, "application/json", body)
    with pytest.raises(error) as caught:
        twin().resolve_did(ALICE_DID)
    assert type(caught.value) is error
    assert caught.value.identifier == ALICE_DID
    assert reason in caught.value.reason


def test_did_fetch_timeout(twin: MakeTwin, world: World) -> None:
    world.hang.add(f"{PLC}/{ALICE_DID}")
    with pytest.raises(IdentityUnreachableError, match="no answer within"):
        twin().resolve_did(ALICE_DID)


def test_verified_identity_from_handle(twin: MakeTwin, dns: TxtServer, world: World) -> None:
    dns.records["_atproto.alice.example.com"] = [f"did={ALICE_DID}"]
    world.document(ALICE_DID, did_doc(ALICE_DID, "Alice.Example.com"))
    who = twin().resolve("@alice.example.com")
    assert (who.did, who.handle, who.pds) == (
        ALICE_DID,
        "alice.example.com",
        "https://pds.example.com",
    )
    assert who.handle_is_valid
    assert who.signing_key.did_key == "did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc"
    assert who.to_json()["signingKey"] == who.signing_key.did_key


def test_verified_identity_from_did(twin: MakeTwin, dns: TxtServer, world: World) -> None:
    dns.records["_atproto.alice.example.com"] = [f"did={ALICE_DID}"]
    world.document(ALICE_DID, did_doc(ALICE_DID, "alice.example.com"))
    assert twin().resolve(ALICE_DID).handle == "alice.example.com"


def test_handle_not_claimed_by_the_document(twin: MakeTwin, dns: TxtServer, world: World) -> None:
    dns.records["_atproto.mallory.example.com"] = [f"did={ALICE_DID}"]
    world.document(ALICE_DID, did_doc(ALICE_DID, "alice.example.com"))
    who = twin().resolve("mallory.example.com")
    assert (who.did, who.handle) == (ALICE_DID, INVALID_HANDLE)
    assert not who.handle_is_valid


def test_claimed_handle_that_points_elsewhere(twin: MakeTwin, dns: TxtServer, world: World) -> None:
    dns.records["_atproto.alice.example.com"] = [f"did={BOB_DID}"]
    world.document(ALICE_DID, did_doc(ALICE_DID, "alice.example.com"))
    assert twin().resolve(ALICE_DID).handle == INVALID_HANDLE


def test_claimed_handle_that_does_not_resolve(twin: MakeTwin, world: World) -> None:
    world.document(ALICE_DID, did_doc(ALICE_DID, "alice.example.com"))
    assert twin().resolve(ALICE_DID).handle == INVALID_HANDLE


def test_document_without_pds(twin: MakeTwin, world: World) -> None:
    world.document(ALICE_DID, did_doc(ALICE_DID, pds=None))
    with pytest.raises(MissingPdsError) as caught:
        twin().resolve(ALICE_DID)
    assert caught.value.identifier == ALICE_DID
    assert isinstance(caught.value, DidDocumentError)


def test_document_without_signing_key(twin: MakeTwin, world: World) -> None:
    world.document(ALICE_DID, did_doc(ALICE_DID, key=None))
    with pytest.raises(MissingSigningKeyError):
        twin().resolve(ALICE_DID)
    world.document(ALICE_DID, did_doc(ALICE_DID, key="zNotAKey"))
    with pytest.raises(MissingSigningKeyError, match="unusable"):
        twin().resolve_signing_key(ALICE_DID, fresh=True)


def test_lookup_did_txt_for_other_names(twin: MakeTwin, dns: TxtServer) -> None:
    dns.records["_lexicon.feed.example.com"] = ["other", f"did={ALICE_DID}"]
    dns.records["_lexicon.two.example.com"] = [f"did={ALICE_DID}", f"did={BOB_DID}"]
    resolver = twin()
    assert resolver.lookup_did_txt("_lexicon.feed.example.com") == ALICE_DID
    assert resolver.lookup_did_txt("_lexicon.none.example.com") is None
    with pytest.raises(HandleAmbiguousError) as caught:
        resolver.lookup_did_txt("_lexicon.two.example.com")
    assert caught.value.identifier == "_lexicon.two.example.com"
    with pytest.raises(IdentityUnreachableError, match="no answer"):
        twin(nameservers=("127.0.0.1:9",), timeout=0.3).lookup_did_txt("_lexicon.x.example.com")
