"""Client metadata: the loopback development client, public and confidential web clients."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import msgspec

from atlex.oauth._jose import EcKey, random_token
from atlex.oauth._metadata import is_loopback_host

__all__ = ["ClientMetadata"]

AuthMethod = Literal["none", "private_key_jwt"]
DEFAULT_LOOPBACK_REDIRECT = "http://127.0.0.1/callback"


class ClientMetadata(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What an authorization server knows of this client (the client metadata document).

    Build one with :meth:`loopback` (development, nothing to host), :meth:`public` or
    :meth:`confidential`; a web client serves :meth:`to_json` at its ``client_id`` URL (and a
    confidential one :meth:`jwks` at its ``jwks_uri``).
    """

    client_id: str
    redirect_uris: list[str]
    scope: str = "atproto"
    grant_types: list[str] = msgspec.field(
        default_factory=lambda: ["authorization_code", "refresh_token"]
    )
    response_types: list[str] = msgspec.field(default_factory=lambda: ["code"])
    token_endpoint_auth_method: AuthMethod = "none"
    token_endpoint_auth_signing_alg: str | None = None
    application_type: Literal["web", "native"] = "web"
    dpop_bound_access_tokens: bool = True
    client_name: str | None = None
    client_uri: str | None = None
    logo_uri: str | None = None
    tos_uri: str | None = None
    policy_uri: str | None = None
    jwks_uri: str | None = None

    @classmethod
    def loopback(
        cls,
        redirect_uris: str | Sequence[str] = DEFAULT_LOOPBACK_REDIRECT,
        *,
        scope: str = "atproto",
    ) -> ClientMetadata:
        """The development client ``http://localhost``: no hosting, redirects to 127.0.0.1.

        Its ``client_id`` carries the redirect URIs and scope as query parameters, as the
        atproto OAuth profile defines; any port on 127.0.0.1 / [::1] is accepted at redirect.
        """
        uris = [redirect_uris] if isinstance(redirect_uris, str) else list(redirect_uris)
        for uri in uris:
            parts = urlsplit(uri)
            if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "::1"):
                raise ValueError(
                    f"a loopback client redirects to http://127.0.0.1 or http://[::1], not {uri!r}"
                )
        query = urlencode([("redirect_uri", uri) for uri in uris] + [("scope", scope)])
        return cls(
            client_id=f"http://localhost?{query}",
            redirect_uris=uris,
            scope=scope,
            application_type="native",
        )

    @classmethod
    def public(
        cls, *, client_id: str, redirect_uris: Sequence[str], scope: str = "atproto", **extra: Any
    ) -> ClientMetadata:
        """A public web or native client whose metadata document is served at ``client_id``."""
        return cls(client_id=client_id, redirect_uris=list(redirect_uris), scope=scope, **extra)

    @classmethod
    def confidential(
        cls,
        *,
        client_id: str,
        redirect_uris: Sequence[str],
        jwks_uri: str,
        scope: str = "atproto",
        **extra: Any,
    ) -> ClientMetadata:
        """A confidential web client authenticating with ``private_key_jwt`` (ES256 keys)."""
        return cls(
            client_id=client_id,
            redirect_uris=list(redirect_uris),
            scope=scope,
            token_endpoint_auth_method="private_key_jwt",
            token_endpoint_auth_signing_alg="ES256",
            jwks_uri=jwks_uri,
            **extra,
        )

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(urlsplit(self.client_id).hostname)

    def to_json(self) -> bytes:
        """The client metadata document to serve at ``client_id``."""
        return msgspec.json.encode(self)

    @staticmethod
    def jwks(keys: Sequence[EcKey]) -> dict[str, Any]:
        """The public JWKS to serve at ``jwks_uri``."""
        return {"keys": [{**key.public_jwk(), "use": "sig", "alg": "ES256"} for key in keys]}


def client_auth(
    metadata: ClientMetadata, keys: Sequence[EcKey], audience: str
) -> Mapping[str, str]:
    """The form fields that authenticate this client at ``audience`` (the issuer)."""
    if metadata.token_endpoint_auth_method == "none":
        return {"client_id": metadata.client_id}
    key = keys[0]
    now = int(time.time())
    assertion = key.sign_jwt(
        {"typ": "JWT", "kid": key.kid} if key.kid else {"typ": "JWT"},
        {
            "iss": metadata.client_id,
            "sub": metadata.client_id,
            "aud": audience,
            "jti": random_token(),
            "iat": now,
            "exp": now + 60,
        },
    )
    return {
        "client_id": metadata.client_id,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
