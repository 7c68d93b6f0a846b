"""The OAuth client's HTTP exchanges, sans-I/O (flows of :mod:`atlex.session._chain` effects):
metadata discovery, PAR, the token endpoint and revocation, each with DPoP and one retry when
the server asks for a fresh nonce. The sync and async clients and sessions drive these."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlencode

import httpx
import msgspec

from atlex.oauth._client_meta import ClientMetadata, client_auth
from atlex.oauth._data import OAuthSessionData
from atlex.oauth._dpop import NonceCache, dpop_proof, wants_nonce_400
from atlex.oauth._errors import OAuthMetadataError, OAuthResponseError
from atlex.oauth._jose import EcKey
from atlex.oauth._metadata import (
    AS_PATH,
    PR_PATH,
    AuthServerMetadata,
    origin_of,
    parse_auth_server,
    parse_protected_resource,
)
from atlex.session._chain import Flow, Read, Send
from atlex.session._wire import HttpCall

__all__ = [
    "ClientConfig",
    "TokenAnswer",
    "as_post",
    "discover_issuer",
    "discover_pds",
    "exchange_code",
    "push_authorization",
    "refresh_tokens",
    "revoke_token",
]


@dataclass(frozen=True, repr=False)
class ClientConfig:
    """What every exchange needs: who we are, our keys, and the servers' nonces."""

    metadata: ClientMetadata
    keys: Sequence[EcKey] = ()
    allow_http: bool = False
    nonces: NonceCache = field(default_factory=NonceCache)

    def __repr__(self) -> str:
        return f"ClientConfig(client_id={self.metadata.client_id!r})"

    @property
    def auth_method(self) -> str:
        return self.metadata.token_endpoint_auth_method


def _get(url: str) -> Flow[httpx.Response]:
    try:
        response: httpx.Response = yield Send(
            HttpCall("GET", url, [("accept", "application/json")])
        )
    except httpx.HTTPError as exc:
        raise OAuthMetadataError(f"cannot fetch metadata: {type(exc).__name__}", url=url) from exc
    yield Read(response)
    if response.status_code != 200:
        raise OAuthMetadataError(f"metadata answered HTTP {response.status_code}", url=url)
    return response


def discover_issuer(config: ClientConfig, issuer: str) -> Flow[AuthServerMetadata]:
    """The authorization server's metadata, checked."""
    response = yield from _get(origin_of(issuer) + AS_PATH)
    return parse_auth_server(
        response.content, issuer, allow_http=config.allow_http, auth_method=config.auth_method
    )


def discover_pds(config: ClientConfig, pds: str) -> Flow[AuthServerMetadata]:
    """PDS → its protected-resource document → its authorization server's metadata (which must
    list the PDS among its protected resources, when it lists any)."""
    response = yield from _get(origin_of(pds) + PR_PATH)
    resource = parse_protected_resource(response.content, pds, allow_http=config.allow_http)
    server = yield from discover_issuer(config, resource.authorization_servers[0])
    listed = server.protected_resources
    if listed is not None and origin_of(pds) not in {origin_of(url) for url in listed}:
        raise OAuthMetadataError(
            f"the authorization server does not protect {origin_of(pds)}", url=server.issuer
        )
    return server


def _error_of(response: httpx.Response) -> tuple[str | None, str | None, Any]:
    try:
        body: Any = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return None, None, None
    if not isinstance(body, dict):
        return None, None, body
    fields = cast("dict[str, Any]", body)
    error, description = fields.get("error"), fields.get("error_description")
    return (
        error if isinstance(error, str) else None,
        description if isinstance(description, str) else None,
        fields,
    )


def as_post(
    config: ClientConfig,
    server: AuthServerMetadata,
    url: str,
    fields: Mapping[str, str],
    key: EcKey,
    name: str,
) -> Flow[dict[str, Any]]:
    """POST a form to an authorization-server endpoint with client auth and a DPoP proof;
    the JSON answer, or :class:`OAuthResponseError`. Retried once on ``use_dpop_nonce``."""
    for attempt in (1, 2):
        form = {**fields, **client_auth(config.metadata, config.keys, server.issuer)}
        nonce = config.nonces.get(url)
        proof = dpop_proof(key, "POST", url, nonce=nonce)
        call = HttpCall(
            "POST",
            url,
            [
                ("content-type", "application/x-www-form-urlencoded"),
                ("accept", "application/json"),
                ("dpop", proof),
            ],
            urlencode(form).encode("ascii"),
        )
        response: httpx.Response = yield Send(call)
        yield Read(response)
        answered_nonce = config.nonces.learn(url, response)
        if 200 <= response.status_code < 300:
            if not response.content:
                return {}
            try:
                body: Any = msgspec.json.decode(response.content)
            except msgspec.DecodeError:
                body = None
            if not isinstance(body, dict):
                raise OAuthResponseError(
                    "invalid_response",
                    "the answer is not a JSON object",
                    status=response.status_code,
                    headers=dict(response.headers),
                    body=None,
                    endpoint=name,
                )
            return cast("dict[str, Any]", body)
        error, description, body = _error_of(response)
        if (
            attempt == 1
            and wants_nonce_400(response, error)
            and answered_nonce not in (None, nonce)
        ):
            continue
        raise OAuthResponseError(
            error or f"http_{response.status_code}",
            description,
            status=response.status_code,
            headers=dict(response.headers),
            body=body,
            endpoint=name,
        )
    raise AssertionError("unreachable")  # pragma: no cover


def push_authorization(
    config: ClientConfig, server: AuthServerMetadata, key: EcKey, fields: Mapping[str, str]
) -> Flow[str]:
    """PAR (RFC 9126): the authorization URL to send the user to."""
    url = server.pushed_authorization_request_endpoint or ""
    answer = yield from as_post(config, server, url, fields, key, "PAR")
    request_uri = answer.get("request_uri")
    if not isinstance(request_uri, str):
        raise OAuthMetadataError("the PAR answer has no request_uri", url=url)
    query = urlencode({"client_id": config.metadata.client_id, "request_uri": request_uri})
    return f"{server.authorization_endpoint}?{query}"


@dataclass(frozen=True, repr=False)
class TokenAnswer:
    """A checked token-endpoint answer (held briefly; never printed)."""

    sub: str
    scope: str
    access_token: str
    refresh_token: str | None
    expires_at: float | None
    issued_at: float

    def __repr__(self) -> str:
        return f"TokenAnswer(sub={self.sub!r}, scope={self.scope!r})"


def _token_answer(body: Mapping[str, Any], endpoint: str, issued_at: float) -> TokenAnswer:
    def bad(what: str) -> OAuthResponseError:
        return OAuthResponseError(
            "invalid_response", what, status=200, headers={}, body=None, endpoint=endpoint
        )

    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "dpop":
        raise bad("token_type must be DPoP")
    sub, scope, access = body.get("sub"), body.get("scope"), body.get("access_token")
    if not isinstance(sub, str) or not sub.startswith("did:"):
        raise bad("the answer has no DID in 'sub'")
    if not isinstance(scope, str) or "atproto" not in scope.split():
        raise bad("the granted scope lacks 'atproto'")
    if not isinstance(access, str) or not access:
        raise bad("the answer has no access_token")
    refresh = body.get("refresh_token")
    expires_in = body.get("expires_in")
    expires_at = (
        issued_at + float(expires_in)
        if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool)
        else None
    )
    return TokenAnswer(
        sub=sub,
        scope=scope,
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) else None,
        expires_at=expires_at,
        issued_at=issued_at,
    )


def exchange_code(
    config: ClientConfig,
    server: AuthServerMetadata,
    key: EcKey,
    *,
    code: str,
    verifier: str,
    redirect_uri: str,
) -> Flow[TokenAnswer]:
    issued_at = time.time()
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": redirect_uri,
    }
    body = yield from as_post(config, server, server.token_endpoint, fields, key, "token")
    return _token_answer(body, "token", issued_at)


def refresh_tokens(
    config: ClientConfig, server: AuthServerMetadata, data: OAuthSessionData
) -> Flow[OAuthSessionData]:
    """One refresh-token grant; the new data (the refresh token rotates)."""
    if data.refresh_token is None:
        raise OAuthResponseError(
            "invalid_grant", "no refresh token", status=400, headers={}, body=None, endpoint="token"
        )
    issued_at = time.time()
    key = EcKey.from_jwk(data.dpop_key)
    fields = {"grant_type": "refresh_token", "refresh_token": data.refresh_token}
    body = yield from as_post(config, server, server.token_endpoint, fields, key, "token")
    answer = _token_answer(body, "token", issued_at)
    if answer.sub != data.did:
        raise OAuthResponseError(
            "invalid_response",
            "the refreshed tokens are for another account",
            status=200,
            headers={},
            body=None,
            endpoint="token",
        )
    return msgspec.structs.replace(
        data,
        scope=answer.scope,
        access_token=answer.access_token,
        refresh_token=answer.refresh_token or data.refresh_token,
        expires_at=answer.expires_at,
        issued_at=answer.issued_at,
    )


def revoke_token(
    config: ClientConfig, server: AuthServerMetadata, key: EcKey, token: str
) -> Flow[None]:
    """RFC 7009 revocation (nothing to do when the server has no revocation endpoint)."""
    if server.revocation_endpoint is None:
        return
    yield from as_post(config, server, server.revocation_endpoint, {"token": token}, key, "revoke")
