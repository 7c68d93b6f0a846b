"""Server metadata: the PDS's protected-resource document and the authorization server's
(RFC 9728, RFC 8414), read and checked against what the atproto OAuth profile requires."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgspec

from atlex.oauth._errors import OAuthMetadataError

__all__ = [
    "AuthServerMetadata",
    "ProtectedResourceMetadata",
    "check_url",
    "is_loopback_host",
    "origin_of",
    "parse_auth_server",
    "parse_protected_resource",
]

AS_PATH = "/.well-known/oauth-authorization-server"
PR_PATH = "/.well-known/oauth-protected-resource"


class ProtectedResourceMetadata(msgspec.Struct, kw_only=True):
    resource: str
    authorization_servers: list[str] = msgspec.field(default_factory=lambda: [])


class AuthServerMetadata(msgspec.Struct, kw_only=True):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    pushed_authorization_request_endpoint: str | None = None
    revocation_endpoint: str | None = None
    require_pushed_authorization_requests: bool = False
    authorization_response_iss_parameter_supported: bool = False
    client_id_metadata_document_supported: bool = False
    scopes_supported: list[str] = msgspec.field(default_factory=lambda: [])
    response_types_supported: list[str] = msgspec.field(default_factory=lambda: [])
    grant_types_supported: list[str] = msgspec.field(default_factory=lambda: [])
    code_challenge_methods_supported: list[str] = msgspec.field(default_factory=lambda: [])
    dpop_signing_alg_values_supported: list[str] = msgspec.field(default_factory=lambda: [])
    token_endpoint_auth_methods_supported: list[str] = msgspec.field(default_factory=lambda: [])
    token_endpoint_auth_signing_alg_values_supported: list[str] = msgspec.field(
        default_factory=lambda: []
    )
    protected_resources: list[str] | None = None


def is_loopback_host(host: str | None) -> bool:
    return host in ("localhost", "127.0.0.1", "::1", "[::1]")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def check_url(url: str, what: str, *, allow_http: bool) -> str:
    """An absolute https URL (http too when ``allow_http``), without credentials or fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise OAuthMetadataError(f"{what} is not a URL", url=repr(url)) from None
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        hint = "" if parts.scheme != "http" else " (pass allow_http=True for a local test server)"
        raise OAuthMetadataError(f"{what} must be an https URL{hint}", url=url)
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        raise OAuthMetadataError(f"{what} must have a host and no credentials or fragment", url=url)
    return url


def _decode(content: bytes, kind: type[Any], url: str) -> Any:
    try:
        return msgspec.json.decode(content, type=kind)
    except msgspec.ValidationError as exc:
        raise OAuthMetadataError(f"invalid metadata: {exc}", url=url) from None
    except msgspec.DecodeError:
        raise OAuthMetadataError("metadata is not JSON", url=url) from None


def parse_protected_resource(
    content: bytes, resource: str, *, allow_http: bool
) -> ProtectedResourceMetadata:
    """The PDS's document: it must name itself and at least one authorization server."""
    url = origin_of(resource) + PR_PATH
    meta: ProtectedResourceMetadata = _decode(content, ProtectedResourceMetadata, url)
    if origin_of(meta.resource) != origin_of(resource):
        raise OAuthMetadataError(
            f"resource {meta.resource!r} is not the server asked ({origin_of(resource)})", url=url
        )
    if len(meta.authorization_servers) != 1:
        raise OAuthMetadataError(
            "exactly one authorization server is expected in authorization_servers", url=url
        )
    check_url(meta.authorization_servers[0], "authorization server", allow_http=allow_http)
    return meta


def parse_auth_server(
    content: bytes, issuer: str, *, allow_http: bool, auth_method: str
) -> AuthServerMetadata:
    """The authorization server's document, checked against the atproto profile."""
    url = origin_of(issuer) + AS_PATH
    meta: AuthServerMetadata = _decode(content, AuthServerMetadata, url)

    def need(ok: bool, what: str) -> None:
        if not ok:
            raise OAuthMetadataError(f"the authorization server {what}", url=url)

    need(meta.issuer.rstrip("/") == issuer.rstrip("/"), f"calls itself {meta.issuer!r}")
    for name in ("authorization_endpoint", "token_endpoint"):
        check_url(getattr(meta, name), name, allow_http=allow_http)
    need(meta.pushed_authorization_request_endpoint is not None, "has no PAR endpoint")
    check_url(
        meta.pushed_authorization_request_endpoint or "", "PAR endpoint", allow_http=allow_http
    )
    if meta.revocation_endpoint is not None:
        check_url(meta.revocation_endpoint, "revocation endpoint", allow_http=allow_http)
    need("atproto" in meta.scopes_supported, "does not support the 'atproto' scope")
    need("code" in meta.response_types_supported, "does not support response type 'code'")
    need("S256" in meta.code_challenge_methods_supported, "does not support PKCE S256")
    need("ES256" in meta.dpop_signing_alg_values_supported, "does not support ES256 DPoP proofs")
    need(meta.authorization_response_iss_parameter_supported, "does not send 'iss' (RFC 9207)")
    need(meta.client_id_metadata_document_supported, "does not accept client metadata documents")
    need(
        auth_method in meta.token_endpoint_auth_methods_supported,
        f"does not accept token endpoint auth method {auth_method!r}",
    )
    if auth_method == "private_key_jwt":
        need(
            "ES256" in meta.token_endpoint_auth_signing_alg_values_supported,
            "does not accept ES256 client assertions",
        )
    return meta
