"""Signed did:plc operations for tests: make a DID on the local PLC, rotate its key, tombstone it.

The PLC spec: an operation is DAG-CBOR, signed (ECDSA, low-S, 64 raw bytes, base64url) by a
rotation key; the DID is ``did:plc:`` + the first 24 base32 characters of the SHA-256 of the
signed genesis operation; ``prev`` is the CID of the previous operation.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from atlex.identity import PublicKey
from atlex_codegen.lexicons.cid import cid_for_data, dag_cbor

_K256_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256K1())


def did_key(key: ec.EllipticCurvePrivateKey) -> str:
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    return PublicKey("k256", point).did_key


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    s = min(s, _K256_ORDER - s)  # low-S
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class PlcIdentity:
    plc: str
    rotation_key: ec.EllipticCurvePrivateKey = field(default_factory=new_key, repr=False)
    did: str = ""
    last: dict[str, Any] | None = None

    def _submit(self, unsigned: dict[str, Any]) -> None:
        op = {**unsigned, "sig": _b64url(sign(self.rotation_key, dag_cbor(unsigned)))}
        if not self.did:
            digest = hashlib.sha256(dag_cbor(op)).digest()
            self.did = "did:plc:" + base64.b32encode(digest).decode().lower()[:24]
        response = httpx.post(f"{self.plc}/{self.did}", json=op, timeout=10)
        assert response.status_code == 200, response.text
        self.last = op

    def update(self, *, handle: str, signing_key: str, pds: str | None) -> None:
        """Create the DID (first call) or replace its document."""
        services = {}
        if pds is not None:
            services["atproto_pds"] = {"type": "AtprotoPersonalDataServer", "endpoint": pds}
        self._submit(
            {
                "type": "plc_operation",
                "rotationKeys": [did_key(self.rotation_key)],
                "verificationMethods": {"atproto": signing_key},
                "alsoKnownAs": [f"at://{handle}"],
                "services": services,
                "prev": None if self.last is None else cid_for_data(self.last),
            }
        )

    def tombstone(self) -> None:
        assert self.last is not None
        self._submit({"type": "plc_tombstone", "prev": cid_for_data(self.last)})
