"""atproto OAuth: ``OAuthClient`` signs users in, ``OAuthSession`` is the agent for ``Client``.

::

    from atlex import Client
    from atlex.oauth import ClientMetadata, OAuthClient

    oauth = OAuthClient(ClientMetadata.loopback("http://127.0.0.1:8080/callback"))
    url = oauth.authorize("alice.bsky.social")         # send the user's browser there
    session = oauth.callback(query_params_of_the_redirect)
    client = Client(session)
    later = oauth.restore(session.did)                  # from the session store

PAR, PKCE S256 and DPoP (ES256) throughout; the ``AsyncOAuthClient`` / ``AsyncOAuthSession``
twins do the same with ``await``.
"""

from atlex.oauth import scopes
from atlex.oauth._async import (
    AsyncOAuthClient,
    AsyncOAuthDataHook,
    AsyncOAuthFailureHook,
    AsyncOAuthSession,
)
from atlex.oauth._client_meta import ClientMetadata
from atlex.oauth._data import AuthState, OAuthSessionData
from atlex.oauth._errors import (
    OAuthCallbackError,
    OAuthError,
    OAuthMetadataError,
    OAuthResponseError,
)
from atlex.oauth._jose import EcKey
from atlex.oauth._loopback import LOOPBACK_REDIRECT, loopback_metadata, sign_in_with_browser
from atlex.oauth._metadata import AuthServerMetadata, ProtectedResourceMetadata
from atlex.oauth._plan import AsyncIdentityResolver, IdentityResolver, Resolved, ResolvedIdentity
from atlex.oauth._stores import (
    AsyncSessionStore,
    AsyncStateStore,
    FileSessionStore,
    FileStateStore,
    MemorySessionStore,
    MemoryStateStore,
    SessionStore,
    StateStore,
    default_session_path,
)
from atlex.oauth._sync import OAuthClient, OAuthDataHook, OAuthFailureHook, OAuthSession
from atlex.session._chain import LoggedOutError

__all__ = [
    "LOOPBACK_REDIRECT",
    "AsyncIdentityResolver",
    "AsyncOAuthClient",
    "AsyncOAuthDataHook",
    "AsyncOAuthFailureHook",
    "AsyncOAuthSession",
    "AsyncSessionStore",
    "AsyncStateStore",
    "AuthServerMetadata",
    "AuthState",
    "ClientMetadata",
    "EcKey",
    "FileSessionStore",
    "FileStateStore",
    "IdentityResolver",
    "LoggedOutError",
    "MemorySessionStore",
    "MemoryStateStore",
    "OAuthCallbackError",
    "OAuthClient",
    "OAuthDataHook",
    "OAuthError",
    "OAuthFailureHook",
    "OAuthMetadataError",
    "OAuthResponseError",
    "OAuthSession",
    "OAuthSessionData",
    "ProtectedResourceMetadata",
    "Resolved",
    "ResolvedIdentity",
    "SessionStore",
    "StateStore",
    "default_session_path",
    "loopback_metadata",
    "scopes",
    "sign_in_with_browser",
]
