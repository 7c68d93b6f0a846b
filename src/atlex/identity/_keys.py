"""Public keys of atproto identities: ``did:key`` / Multikey parsing and signature checks.

atproto uses two curves (the cryptography spec): P-256 (``ES256``, multicodec ``p256-pub``
0x1200) and secp256k1 (``ES256K``, ``secp256k1-pub`` 0xe7). Keys travel compressed (33 bytes),
multicodec-prefixed and base58btc-encoded (``z…``); a ``did:key`` is ``did:key:`` + that string.
Signatures are 64 raw bytes ``r || s`` over the SHA-256 of the data, and must be *low-S*
(``s <= n/2``): a DER-encoded or high-S signature is invalid even where ECDSA would accept it.

``cryptography`` (key parsing, P-256) and ``coincurve`` (secp256k1 checks: libsecp256k1, about
ten times OpenSSL's generic curve code, see bench/FINDINGS.md) are imported on first use, so
``import atlex.identity`` stays cheap.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

from atlex.errors import InvalidKeyError
from atlex.identity._base58 import b58decode, b58encode

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

__all__ = ["Curve", "PublicKey", "parse_did_key", "parse_multikey"]

Curve = Literal["p256", "k256"]

DID_KEY_PREFIX = "did:key:"
_MULTICODEC: dict[Curve, bytes] = {"p256": b"\x80\x24", "k256": b"\xe7\x01"}
_JWT_ALG: dict[Curve, str] = {"p256": "ES256", "k256": "ES256K"}
# the group orders: a low-S signature has s <= n // 2
_ORDER: dict[Curve, int] = {
    "p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "k256": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
}
# DID document suites that carry a bare key (no multicodec prefix) in publicKeyMultibase
LEGACY_SUITES: dict[str, Curve] = {
    "EcdsaSecp256r1VerificationKey2019": "p256",
    "EcdsaSecp256k1VerificationKey2019": "k256",
}


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A P-256 or secp256k1 public key; ``data`` is the compressed point (33 bytes)."""

    curve: Curve
    data: bytes = field(repr=False)

    @property
    def jwt_alg(self) -> str:
        """``ES256`` (P-256) or ``ES256K`` (secp256k1)."""
        return _JWT_ALG[self.curve]

    @property
    def multibase(self) -> str:
        """The Multikey form (``z`` + base58btc of multicodec prefix + compressed key)."""
        return "z" + b58encode(_MULTICODEC[self.curve] + self.data)

    @property
    def did_key(self) -> str:
        return DID_KEY_PREFIX + self.multibase

    def __str__(self) -> str:
        return self.did_key

    def __repr__(self) -> str:
        return f"PublicKey({self.did_key!r})"

    def verify(self, data: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (64 bytes ``r || s``, low-S) signs ``data`` with this key.

        Anything else is ``False``: a DER-encoded signature, a high-S one, a wrong length.
        """
        if len(signature) != 64:
            return False
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        order = _ORDER[self.curve]
        if not (0 < r < order and 0 < s <= order // 2):
            return False
        if self.curve == "k256":
            return _k256_verify(self.data, data, signature)
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        try:
            self._crypto_key().verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True

    def _crypto_key(self) -> EllipticCurvePublicKey:
        return _verifying_key(self.curve, self.data)

    @classmethod
    def from_bytes(cls, curve: Curve, data: bytes, *, identifier: str | None = None) -> PublicKey:
        """A key from a compressed or uncompressed point (checked to lie on the curve)."""
        shown = identifier if identifier is not None else f"{curve} key"
        point = _load_point(curve, data, shown)
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return cls(curve, point.public_bytes(Encoding.X962, PublicFormat.CompressedPoint))


@functools.lru_cache(maxsize=4096)
def _verifying_key(curve: Curve, data: bytes) -> EllipticCurvePublicKey:
    """The OpenSSL key for ``verify``, built once per key: a verified firehose checks every commit
    of an account with the same key, and rebuilding it (and its did:key text for the error message)
    cost about 15 % of the verified rate (bench/FINDINGS.md, firehose)."""
    return _load_point(curve, data, DID_KEY_PREFIX + "z" + b58encode(_MULTICODEC[curve] + data))


@functools.lru_cache(maxsize=4096)
def _k256_key(data: bytes) -> Any:
    """The libsecp256k1 key (``secp256k1_pubkey *``) for ``verify``, parsed once per key
    (``data`` was checked to lie on the curve when the :class:`PublicKey` was made)."""
    import coincurve

    key = cast(Any, coincurve.PublicKey(data))
    return key.public_key


@functools.cache
def _secp256k1() -> tuple[Any, Any, Any]:
    """coincurve's cffi bindings of libsecp256k1: ``(lib, ffi, context)``, imported once."""
    import importlib

    from coincurve.context import GLOBAL_CONTEXT

    bindings = cast(Any, importlib.import_module("coincurve._libsecp256k1"))
    return bindings.lib, bindings.ffi, cast(Any, GLOBAL_CONTEXT).ctx


def _k256_verify(key: bytes, data: bytes, signature: bytes) -> bool:
    """libsecp256k1 on the compact ``r || s`` signature and the SHA-256 of ``data``, through
    coincurve's bindings: no DER round trip (coincurve's own ``verify`` takes DER only), the key
    parsed once. libsecp256k1 refuses high-S signatures itself (atlex checks before, too)."""
    lib, ffi, context = _secp256k1()
    parsed = ffi.new("secp256k1_ecdsa_signature *")
    if not lib.secp256k1_ecdsa_signature_parse_compact(context, parsed, signature):
        return False  # r or s out of range for libsecp256k1's parser
    digest = hashlib.sha256(data).digest()
    return lib.secp256k1_ecdsa_verify(context, parsed, digest, _k256_key(key)) == 1


def _load_point(curve: Curve, data: bytes, identifier: str) -> EllipticCurvePublicKey:
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_curve = ec.SECP256R1() if curve == "p256" else ec.SECP256K1()
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec_curve, data)
    except ValueError:
        raise InvalidKeyError(identifier, f"not a point on the {curve} curve") from None


def parse_multikey(value: str, *, identifier: str | None = None) -> PublicKey:
    """A Multikey ``publicKeyMultibase`` (``z`` + base58btc, multicodec-prefixed) as a key."""
    shown = identifier if identifier is not None else value
    if not value.startswith("z"):
        raise InvalidKeyError(shown, "a Multikey must be base58btc multibase (start with 'z')")
    try:
        raw = b58decode(value[1:])
    except ValueError as exc:
        raise InvalidKeyError(shown, str(exc)) from None
    for curve, prefix in _MULTICODEC.items():
        if raw.startswith(prefix):
            return PublicKey.from_bytes(curve, raw[len(prefix) :], identifier=shown)
    raise InvalidKeyError(
        shown,
        f"unsupported key type (multicodec prefix 0x{raw[:2].hex()}); atproto uses P-256 "
        "or secp256k1",
    )


def parse_legacy_multibase(value: str, curve: Curve, *, identifier: str) -> PublicKey:
    """A bare key in ``publicKeyMultibase`` of an ``EcdsaSecp256…VerificationKey2019`` method."""
    if not value.startswith("z"):
        raise InvalidKeyError(identifier, "publicKeyMultibase must start with 'z' (base58btc)")
    try:
        raw = b58decode(value[1:])
    except ValueError as exc:
        raise InvalidKeyError(identifier, str(exc)) from None
    return PublicKey.from_bytes(curve, raw, identifier=identifier)


def parse_did_key(did_key: str) -> PublicKey:
    """``did:key:z…`` as a public key (P-256 or secp256k1)."""
    if not did_key.startswith(DID_KEY_PREFIX):
        raise InvalidKeyError(did_key, "a did:key starts with 'did:key:'")
    return parse_multikey(did_key[len(DID_KEY_PREFIX) :], identifier=did_key)
