"""Expired access tokens for session tests on the reference PDS, without waiting for expiry:
signed with the PDS's JWT secret, with an ``exp`` in the past (real-network.md §6 method 1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from refnet import LonePds, ReferenceNetwork

from atlex.session import SessionData

__all__ = ["forge_expired_access", "with_expired_access"]


def forge_expired_access(pds: ReferenceNetwork | LonePds, did: str) -> str:
    """An access JWT signed with the PDS secret whose ``exp`` is in the past (§6 method 1)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    header = b64(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
    claims = {
        "scope": "com.atproto.access",
        "aud": pds.info.pds_did,
        "sub": did,
        "iat": now - 120,
        "exp": now - 60,
    }
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(
        pds.info.jwt_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256
    ).digest()
    return f"{header}.{payload}.{b64(signature)}"


def with_expired_access(data: SessionData, pds: ReferenceNetwork | LonePds) -> SessionData:
    return SessionData.from_dict(
        {**data.to_dict(), "accessJwt": forge_expired_access(pds, data.did)}
    )
