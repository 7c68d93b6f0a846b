"""What the stores keep: a pending authorization (:class:`AuthState`) and a signed-in session
(:class:`OAuthSessionData`). Both hold secrets; their ``repr`` leaves them out."""

from __future__ import annotations

import time
from typing import Any

import msgspec

__all__ = ["AuthState", "OAuthSessionData"]


class AuthState(msgspec.Struct, kw_only=True, frozen=True):
    """One authorization in progress, kept under its ``state`` until the callback."""

    issuer: str
    dpop_key: dict[str, str]
    """The private JWK of the DPoP key bound to this authorization."""
    verifier: str
    """The PKCE code verifier."""
    redirect_uri: str
    expected_did: str | None = None
    """The account asked for (None when authorize() was given a server URL)."""
    app_state: str | None = None
    created_at: float = msgspec.field(default_factory=time.time)

    def __repr__(self) -> str:
        return f"AuthState(issuer={self.issuer!r}, expected_did={self.expected_did!r})"

    def to_json(self) -> bytes:
        return msgspec.json.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> AuthState:
        return msgspec.json.decode(data, type=cls)


class OAuthSessionData(msgspec.Struct, kw_only=True, frozen=True):
    """A signed-in account: its tokens, DPoP key and where they are valid.

    Serialise with :meth:`to_json` (it holds the tokens and the private DPoP key: keep it
    private); ``repr`` shows only the account, the servers and the expiry.
    """

    did: str
    """The account (the token response's ``sub``)."""
    issuer: str
    """The authorization server that issued the tokens."""
    pds: str
    """The resource server (the account's PDS) the access token is for."""
    scope: str
    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None
    """Unix time the access token expires at (None: not said)."""
    issued_at: float = msgspec.field(default_factory=time.time)
    dpop_key: dict[str, str]
    token_type: str = "DPoP"

    def __repr__(self) -> str:
        return (
            f"OAuthSessionData(did={self.did!r}, issuer={self.issuer!r}, pds={self.pds!r}, "
            f"scope={self.scope!r}, expires_at={self.expires_at!r})"
        )

    def to_json(self) -> bytes:
        return msgspec.json.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> OAuthSessionData:
        return msgspec.json.decode(data, type=cls)

    def to_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OAuthSessionData:
        return msgspec.convert(data, type=cls)

    def expires_soon(self, now: float | None = None) -> bool:
        """Whether the access token is expired or about to (within a quarter of its lifetime,
        at most 10 s), so it is refreshed before use."""
        if self.expires_at is None:
            return False
        now = time.time() if now is None else now
        margin = min(10.0, max(0.0, (self.expires_at - self.issued_at) / 4))
        return now >= self.expires_at - margin
