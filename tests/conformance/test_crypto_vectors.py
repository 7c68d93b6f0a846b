"""``interop/crypto``: signature fixtures (low-S, high-S, DER) and the did:key P-256 / K256 vectors,
plus the handle / DID syntax vectors against atlex.identity's identifier checks."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from _interop import read_json, read_lines, require_interop
from cryptography.hazmat.primitives.asymmetric import ec

from atlex.errors import InvalidIdentifierError
from atlex.identity import PublicKey, normalize_did, normalize_handle, parse_did_key, parse_multikey
from atlex.identity._base58 import b58decode
from atlex.identity._keys import LEGACY_SUITES, parse_legacy_multibase

CRYPTO = require_interop("crypto")
SYNTAX = require_interop("syntax")
SIGNATURES: list[dict[str, Any]] = read_json(CRYPTO / "signature-fixtures.json")


def _b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize("case", SIGNATURES, ids=[c["comment"] for c in SIGNATURES])
def test_signature_fixture(case: dict[str, Any]) -> None:
    key = parse_did_key(case["publicKeyDid"])
    assert key.jwt_alg == case["algorithm"]
    assert key.did_key == case["publicKeyDid"]
    # the document form of the same key (legacy suite: bare compressed key) is the same key
    legacy = parse_legacy_multibase(
        case["publicKeyMultibase"], LEGACY_SUITES[case["didDocSuite"]], identifier="vector"
    )
    assert legacy == key
    message, signature = _b64(case["messageBase64"]), _b64(case["signatureBase64"])
    assert key.verify(message, signature) is case["validSignature"]


def test_high_s_is_refused_for_its_s_alone() -> None:
    """The high-S fixtures are otherwise valid: flipping s to n - s makes them verify."""
    high_s = [c for c in SIGNATURES if "high-s" in c["tags"]]
    assert len(high_s) == 2
    for case in high_s:
        key = parse_did_key(case["publicKeyDid"])
        signature = _b64(case["signatureBase64"])
        order = {"p256": ec.SECP256R1, "k256": ec.SECP256K1}[key.curve]
        n = _ORDER[order.name]
        s = int.from_bytes(signature[32:], "big")
        low = signature[:32] + (n - s).to_bytes(32, "big")
        assert not key.verify(_b64(case["messageBase64"]), signature)
        assert key.verify(_b64(case["messageBase64"]), low)


_ORDER = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp256k1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
}


def _did_key_cases() -> list[pytest.ParameterSet]:
    cases: list[pytest.ParameterSet] = []
    for case in read_json(CRYPTO / "w3c_didkey_P256.json"):
        private = b58decode(case["privateKeyBytesBase58"])
        cases.append(pytest.param(ec.SECP256R1(), private, case["publicDidKey"], id="P256"))
    for number, case in enumerate(read_json(CRYPTO / "w3c_didkey_K256.json")):
        private = bytes.fromhex(case["privateKeyBytesHex"])
        cases.append(
            pytest.param(ec.SECP256K1(), private, case["publicDidKey"], id=f"K256-{number}")
        )
    return cases


@pytest.mark.parametrize(("curve", "private", "did_key"), _did_key_cases())
def test_did_key_vector(curve: ec.EllipticCurve, private: bytes, did_key: str) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    secret = ec.derive_private_key(int.from_bytes(private, "big"), curve)
    point = secret.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    name = "p256" if isinstance(curve, ec.SECP256R1) else "k256"
    key = PublicKey.from_bytes(name, point)  # compressed on the way in
    assert key.did_key == did_key
    assert parse_did_key(did_key) == key
    assert parse_multikey(did_key.removeprefix("did:key:")) == key


def _syntax_cases() -> list[pytest.ParameterSet]:
    cases: list[pytest.ParameterSet] = []
    for kind in ("handle", "did"):
        for valid in (True, False):
            path = SYNTAX / f"{kind}_syntax_{'valid' if valid else 'invalid'}.txt"
            for number, line in read_lines(path):
                cases.append(pytest.param(kind, valid, line, id=f"{path.stem}:{number}"))
    return cases


@pytest.mark.parametrize(("kind", "valid", "value"), _syntax_cases())
def test_identifier_syntax_vector(kind: str, valid: bool, value: str) -> None:
    """Valid syntax passes or is refused only for being unresolvable (a reserved TLD, a DID
    method other than plc/web); invalid syntax is refused as such, naming the value."""
    check = normalize_handle if kind == "handle" else normalize_did
    try:
        normal = check(value)
    except InvalidIdentifierError as exc:
        assert exc.identifier == value
        if valid:
            assert "can not be resolved" in exc.reason or "not an atproto DID method" in exc.reason
        else:
            assert exc.reason.startswith(f"invalid {kind}: ")
    else:
        assert valid, f"{value!r} is not a valid {kind} but was accepted"
        assert normal == (value.lower() if kind == "handle" else value)
