"""ES256 keys, compact JWS, JWK thumbprints and PKCE: the little JOSE that OAuth needs.

``cryptography`` is imported when a key is first made or loaded, so ``import atlex`` (and even
``import atlex.oauth``) stays cheap. Private keys never appear in a ``repr``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

__all__ = ["EcKey", "Pkce", "b64url", "b64url_decode", "random_token", "sha256_b64url"]


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sha256_b64url(text: str) -> str:
    return b64url(hashlib.sha256(text.encode("ascii")).digest())


def random_token(nbytes: int = 16) -> str:
    """A random URL-safe string (``state``, ``jti``)."""
    return b64url(secrets.token_bytes(nbytes))


class Pkce(msgspec.Struct, frozen=True):
    """A PKCE pair (RFC 7636): the ``verifier`` stays here, the S256 ``challenge`` goes out."""

    verifier: str
    challenge: str
    method: str = "S256"

    @classmethod
    def generate(cls) -> Pkce:
        verifier = b64url(secrets.token_bytes(32))  # 43 characters, the minimum length
        return cls(verifier=verifier, challenge=sha256_b64url(verifier))

    def __repr__(self) -> str:
        return "Pkce(S256)"


def _ec() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ec
    except ImportError as exc:  # pragma: no cover - cryptography is a runtime dependency
        raise ImportError(
            "atlex.oauth needs the 'cryptography' package (a dependency of atlex)"
        ) from exc
    return ec


class EcKey:
    """A P-256 private key that signs ES256 JWTs (DPoP proofs, client assertions).

    ``kid`` names the key in a confidential client's JWKS. ``repr`` shows only the thumbprint.
    """

    __slots__ = ("_key", "kid")

    def __init__(self, key: EllipticCurvePrivateKey, kid: str | None = None) -> None:
        self._key = key
        self.kid = kid

    @classmethod
    def generate(cls, kid: str | None = None) -> EcKey:
        ec = _ec()
        return cls(ec.generate_private_key(ec.SECP256R1()), kid)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> EcKey:
        """Load a private EC P-256 JWK (``kty`` EC, ``crv`` P-256, ``x``, ``y``, ``d``)."""
        ec = _ec()
        if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            raise ValueError("only EC P-256 keys are supported (kty 'EC', crv 'P-256')")
        try:
            d = int.from_bytes(b64url_decode(str(jwk["d"])), "big")
            x = int.from_bytes(b64url_decode(str(jwk["x"])), "big")
            y = int.from_bytes(b64url_decode(str(jwk["y"])), "big")
            public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1())
            key = ec.EllipticCurvePrivateNumbers(d, public).private_key()
        except (KeyError, ValueError) as exc:
            # the message must not quote the key material
            raise ValueError(f"not a usable private EC P-256 JWK ({type(exc).__name__})") from None
        kid = jwk.get("kid")
        return cls(key, kid if isinstance(kid, str) else None)

    @classmethod
    def from_pem(cls, pem: bytes | str, kid: str | None = None) -> EcKey:
        """Load a PEM-encoded P-256 private key (PKCS#8 or SEC1)."""
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        data = pem.encode("ascii") if isinstance(pem, str) else pem
        key = load_pem_private_key(data, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("the PEM key must be an EC P-256 private key")
        return cls(key, kid)

    def public_jwk(self) -> dict[str, str]:
        numbers = self._key.public_key().public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }
        if self.kid is not None:
            jwk["kid"] = self.kid
        return jwk

    def private_jwk(self) -> dict[str, str]:
        """The key with its private part: for a store only, never for output."""
        d = self._key.private_numbers().private_value
        return {**self.public_jwk(), "d": b64url(d.to_bytes(32, "big"))}

    def thumbprint(self) -> str:
        """RFC 7638 SHA-256 thumbprint (DPoP ``jkt``)."""
        jwk = self.public_jwk()
        canonical = '{"crv":"%s","kty":"%s","x":"%s","y":"%s"}' % (  # noqa: UP031 - fixed order
            jwk["crv"],
            jwk["kty"],
            jwk["x"],
            jwk["y"],
        )
        return b64url(hashlib.sha256(canonical.encode("ascii")).digest())

    def sign_jwt(self, header: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
        """A compact ES256 JWS of ``payload`` (``alg`` is set here)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        ec = _ec()
        signing_input = (
            b64url(msgspec.json.encode({**header, "alg": "ES256"}))
            + "."
            + b64url(msgspec.json.encode(payload))
        )
        der = self._key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def __repr__(self) -> str:
        kid = f"kid={self.kid!r}, " if self.kid is not None else ""
        return f"EcKey({kid}jkt={self.thumbprint()!r})"
