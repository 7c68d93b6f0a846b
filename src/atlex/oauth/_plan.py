"""The OAuth client's decisions, pure: what a PAR sends, what a callback must carry, whether
the account that signed in is the one asked for (the mix-up defences)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol, TypeAlias
from urllib.parse import urlsplit

from atlex.oauth._data import AuthState, OAuthSessionData
from atlex.oauth._errors import OAuthCallbackError
from atlex.oauth._flows import ClientConfig, TokenAnswer
from atlex.oauth._jose import EcKey, Pkce, random_token
from atlex.oauth._metadata import AuthServerMetadata

__all__ = [
    "AnyIdentityResolver",
    "AsyncIdentityResolver",
    "AuthorizationPlan",
    "IdentityResolver",
    "Resolved",
    "ResolvedIdentity",
    "check_subject",
    "is_server_url",
    "plan_authorization",
    "read_callback",
    "session_data",
]


class ResolvedIdentity(Protocol):
    """What a resolver returns (``atlex.identity.Identity`` is one)."""

    @property
    def did(self) -> str: ...
    @property
    def pds(self) -> str: ...


class Resolved(NamedTuple):
    """A plain :class:`ResolvedIdentity` for custom resolvers."""

    did: str
    pds: str
    handle: str | None = None


class IdentityResolver(Protocol):
    """Handle or DID → the account's DID and PDS (``atlex.identity`` by default)."""

    def resolve(self, identifier: str) -> ResolvedIdentity: ...


class AsyncIdentityResolver(Protocol):
    async def resolve(self, identifier: str) -> ResolvedIdentity: ...


AnyIdentityResolver: TypeAlias = "IdentityResolver | AsyncIdentityResolver"
"""What the async client takes (a sync resolver works there too)."""


def is_server_url(target: str) -> bool:
    return target.startswith(("https://", "http://"))


@dataclass(frozen=True, repr=False)
class AuthorizationPlan:
    state: str
    auth: AuthState
    key: EcKey
    fields: dict[str, str]


def _same_redirect(uri: str, registered: str) -> bool:
    """Equal, or loopback IP redirects that differ only in the port (RFC 8252 §7.3)."""
    if uri == registered:
        return True
    a, b = urlsplit(uri), urlsplit(registered)
    return (
        a.scheme == b.scheme == "http"
        and a.hostname == b.hostname
        and a.hostname in ("127.0.0.1", "::1")
        and (a.path, a.query) == (b.path, b.query)
    )


def plan_authorization(
    config: ClientConfig,
    server: AuthServerMetadata,
    *,
    scope: str | None,
    redirect_uri: str | None,
    login_hint: str | None,
    expected_did: str | None,
    app_state: str | None,
    prompt: str | None,
) -> AuthorizationPlan:
    """A fresh state, PKCE pair and DPoP key, and the PAR form for them."""
    metadata = config.metadata
    redirect = redirect_uri or metadata.redirect_uris[0]
    if not any(_same_redirect(redirect, known) for known in metadata.redirect_uris):
        raise ValueError(f"redirect_uri {redirect!r} is not in the client's redirect_uris")
    scope = scope or metadata.scope
    if "atproto" not in scope.split():
        raise ValueError("the scope must include 'atproto'")
    state, pkce, key = random_token(), Pkce.generate(), EcKey.generate()
    fields = {
        "response_type": "code",
        "redirect_uri": redirect,
        "code_challenge": pkce.challenge,
        "code_challenge_method": pkce.method,
        "state": state,
        "scope": scope,
    }
    if login_hint is not None:
        fields["login_hint"] = login_hint
    if prompt is not None:
        fields["prompt"] = prompt
    auth = AuthState(
        issuer=server.issuer,
        dpop_key=key.private_jwk(),
        verifier=pkce.verifier,
        redirect_uri=redirect,
        expected_did=expected_did,
        app_state=app_state,
    )
    return AuthorizationPlan(state, auth, key, fields)


def callback_state(params: Mapping[str, str]) -> str:
    state = params.get("state")
    if not state:
        raise OAuthCallbackError("the callback has no 'state'", error="invalid_state")
    return state


def read_callback(params: Mapping[str, str], auth: AuthState | None) -> str:
    """The authorization ``code``, after the state and issuer checks (RFC 9207)."""
    if auth is None:
        raise OAuthCallbackError(
            "unknown or already used 'state' (a forged or replayed callback?)",
            error="invalid_state",
        )
    error = params.get("error")
    if error:
        description = params.get("error_description") or "the authorization was not granted"
        raise OAuthCallbackError(description, error=error, app_state=auth.app_state)
    iss = params.get("iss")
    if iss is None:
        raise OAuthCallbackError(
            "the callback has no 'iss'", error="invalid_issuer", app_state=auth.app_state
        )
    if iss.rstrip("/") != auth.issuer.rstrip("/"):
        raise OAuthCallbackError(
            f"the callback comes from issuer {iss!r}, not {auth.issuer!r}",
            error="invalid_issuer",
            app_state=auth.app_state,
        )
    code = params.get("code")
    if not code:
        raise OAuthCallbackError(
            "the callback has no 'code'", error="invalid_request", app_state=auth.app_state
        )
    return code


def check_subject(auth: AuthState, answer: TokenAnswer, pds_issuer: str) -> None:
    """The account that signed in is the one asked for, and its PDS trusts this issuer."""
    if auth.expected_did is not None and answer.sub != auth.expected_did:
        raise OAuthCallbackError(
            f"signed in as {answer.sub}, but {auth.expected_did} was asked for",
            error="invalid_subject",
            app_state=auth.app_state,
        )
    if pds_issuer.rstrip("/") != auth.issuer.rstrip("/"):
        raise OAuthCallbackError(
            f"the PDS of {answer.sub} is not protected by {auth.issuer}",
            error="invalid_issuer",
            app_state=auth.app_state,
        )


def session_data(auth: AuthState, answer: TokenAnswer, pds: str) -> OAuthSessionData:
    parts = urlsplit(pds)
    return OAuthSessionData(
        did=answer.sub,
        issuer=auth.issuer,
        pds=f"{parts.scheme}://{parts.netloc}",
        scope=answer.scope,
        access_token=answer.access_token,
        refresh_token=answer.refresh_token,
        expires_at=answer.expires_at,
        issued_at=answer.issued_at,
        dpop_key=auth.dpop_key,
    )
