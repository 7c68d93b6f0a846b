"""DPoP (RFC 9449): proofs, and the nonces servers hand out, learned per origin."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import httpx

from atlex.oauth._jose import EcKey, random_token, sha256_b64url
from atlex.oauth._metadata import origin_of

__all__ = ["NonceCache", "dpop_proof", "is_use_nonce_401", "wants_nonce_400"]


class NonceCache:
    """The last ``DPoP-Nonce`` each origin sent (shared by a client and all its sessions)."""

    def __init__(self) -> None:
        self._nonces: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> str | None:
        with self._lock:
            return self._nonces.get(origin_of(url))

    def learn(self, url: str, response: httpx.Response) -> str | None:
        """Remember the response's nonce, if it sent one, and return it."""
        nonce = response.headers.get("dpop-nonce")
        if nonce:
            with self._lock:
                self._nonces[origin_of(url)] = nonce
        return nonce or None

    def __repr__(self) -> str:
        return f"NonceCache({len(self._nonces)} origins)"


def dpop_proof(
    key: EcKey,
    method: str,
    url: str,
    *,
    nonce: str | None,
    access_token: str | None = None,
) -> str:
    """A fresh proof for one request: ``htu`` is the URL without query and fragment."""
    parts = urlsplit(url)
    payload: dict[str, str | int] = {
        "jti": random_token(),
        "htm": method,
        "htu": f"{parts.scheme}://{parts.netloc}{parts.path}",
        "iat": int(time.time()),
    }
    if nonce is not None:
        payload["nonce"] = nonce
    if access_token is not None:
        payload["ath"] = sha256_b64url(access_token)
    jwk = key.public_jwk()
    jwk.pop("kid", None)
    return key.sign_jwt({"typ": "dpop+jwt", "jwk": jwk}, payload)


def is_use_nonce_401(response: httpx.Response) -> bool:
    """A resource server asking for a (new) nonce: 401 with ``error="use_dpop_nonce"``."""
    if response.status_code != 401:
        return False
    challenge = response.headers.get("www-authenticate", "")
    return challenge.lower().startswith("dpop") and "use_dpop_nonce" in challenge


def wants_nonce_400(response: httpx.Response, error: str | None) -> bool:
    """An authorization server asking for a (new) nonce: 400 ``use_dpop_nonce``."""
    return response.status_code == 400 and error == "use_dpop_nonce"
