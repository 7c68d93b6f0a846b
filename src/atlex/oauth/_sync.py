# Generated from src/atlex/oauth/_async.py by tools/unasync.py (`make unasync`): do not edit.
# Edit the async source; a test fails when this file has drifted from it.
"""``AsyncOAuthClient`` and ``AsyncOAuthSession`` over ``httpx.AsyncClient`` and, generated
from them, ``OAuthClient`` and ``OAuthSession`` over ``httpx.Client``.

Written once: ``oauth/_async.py`` is the source, ``oauth/_sync.py`` its generated twin
(``make unasync``; a test fails on drift); the primitives that differ are in ``session/_io``.
The async client also takes sync stores, resolvers and hooks (their results are awaited only
when they are awaitable). Docstrings are shared.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TypeVar

import httpx

from atlex._agent import XrpcRequest
from atlex.errors import XrpcError
from atlex.oauth._client_meta import ClientMetadata
from atlex.oauth._core import OAuthCore
from atlex.oauth._data import OAuthSessionData
from atlex.oauth._flows import (
    ClientConfig,
    discover_issuer,
    discover_pds,
    exchange_code,
    push_authorization,
    revoke_token,
)
from atlex.oauth._jose import EcKey
from atlex.oauth._metadata import AuthServerMetadata
from atlex.oauth._plan import (
    IdentityResolver,
    ResolvedIdentity,
    callback_state,
    check_subject,
    is_server_url,
    plan_authorization,
    read_callback,
    session_data,
)
from atlex.oauth._resolve import default_resolver
from atlex.oauth._stores import (
    FileSessionStore,
    MemoryStateStore,
    SessionStore,
    StateStore,
    default_session_path,
)
from atlex.session._chain import Flow, LoggedOutError
from atlex.session._io import ThreadEvent, awaited, call_hook
from atlex.session._options import DEFAULT_TIMEOUT
from atlex.session._sync import drive
from atlex.session._view import SessionView

__all__ = ["OAuthClient", "OAuthDataHook", "OAuthFailureHook", "OAuthSession"]

T = TypeVar("T")

OAuthDataHook = Callable[[OAuthSessionData], object]
"""``on_updated(data)`` / ``on_deleted(data)`` (the async client's may be coroutine functions)."""
OAuthFailureHook = Callable[[OAuthSessionData, XrpcError], object]
"""``on_update_failure(data, failure)`` / ``on_delete_failure(data, failure)``."""


class OAuthClient:
    """Signs users in with atproto OAuth (PAR, PKCE S256, DPoP ES256) and keeps their sessions.

    ``authorize(handle)`` gives the URL to send the user to; ``callback(params)`` turns the
    redirect back into an :class:`OAuthSession`; ``restore(did)`` brings one back from the
    session store; ``revoke(did)`` ends one. The hooks apply to every session of this client.
    """

    def __init__(
        self,
        metadata: ClientMetadata,
        *,
        keys: Sequence[EcKey] = (),
        state_store: StateStore | None = None,
        session_store: SessionStore | None = None,
        resolver: IdentityResolver | None = None,
        allow_http: bool = False,
        on_updated: OAuthDataHook | None = None,
        on_update_failure: OAuthFailureHook | None = None,
        on_deleted: OAuthDataHook | None = None,
        on_delete_failure: OAuthFailureHook | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        if metadata.token_endpoint_auth_method == "private_key_jwt" and not keys:
            raise ValueError("a private_key_jwt client needs its signing keys (keys=[...])")
        self.metadata = metadata
        self._config = ClientConfig(metadata, tuple(keys), allow_http)
        self.state_store: StateStore = state_store or MemoryStateStore()
        self.session_store: SessionStore = session_store or FileSessionStore(default_session_path())
        self._resolver = resolver
        self._user_hooks: dict[str, Callable[..., object] | None] = {
            "on_updated": on_updated,
            "on_update_failure": on_update_failure,
            "on_deleted": on_deleted,
            "on_delete_failure": on_delete_failure,
        }
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=DEFAULT_TIMEOUT)
        self._sessions: weakref.WeakValueDictionary[str, OAuthSession] = (
            weakref.WeakValueDictionary()
        )
        self._sessions_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OAuthClient(client_id={self.metadata.client_id!r})"

    @property
    def resolver(self) -> IdentityResolver:
        if self._resolver is None:
            self._resolver = default_resolver()
        return self._resolver

    def _resolve(self, identifier: str) -> ResolvedIdentity:
        return awaited(self.resolver.resolve(identifier))

    def _drive(self, flow: Flow[T]) -> T:
        return drive(flow, self._http, {})

    # -- sign-in -------------------------------------------------------------------------------

    def authorize(
        self,
        target: str,
        *,
        scope: str | None = None,
        state: str | None = None,
        redirect_uri: str | None = None,
        prompt: str | None = None,
    ) -> str:
        """The authorization URL for ``target``: a handle, a DID, or a PDS / entryway URL.

        ``state`` is the application's own value, handed back by :meth:`callback`.
        """
        if is_server_url(target):
            server = self._server_for_url(target)
            did = hint = None
        else:
            identity = self._resolve(target)
            server = self._drive(discover_pds(self._config, identity.pds))
            did, hint = identity.did, target
        plan = plan_authorization(
            self._config,
            server,
            scope=scope,
            redirect_uri=redirect_uri,
            login_hint=hint,
            expected_did=did,
            app_state=state,
            prompt=prompt,
        )
        awaited(self.state_store.set(plan.state, plan.auth))
        try:
            return self._drive(push_authorization(self._config, server, plan.key, plan.fields))
        except BaseException:
            awaited(self.state_store.delete(plan.state))
            raise

    def _server_for_url(self, url: str) -> AuthServerMetadata:
        try:
            return self._drive(discover_pds(self._config, url))
        except Exception:
            return self._drive(discover_issuer(self._config, url))  # an entryway / issuer

    def callback(self, params: Mapping[str, str]) -> OAuthSession:
        """Finish sign-in from the redirect's query parameters; raises
        :class:`OAuthCallbackError` for a refused, forged or mixed-up callback."""
        key = callback_state(params)
        auth = awaited(self.state_store.get(key))
        if auth is not None:
            awaited(self.state_store.delete(key))  # one use only
        code = read_callback(params, auth)
        assert auth is not None
        server = self._drive(discover_issuer(self._config, auth.issuer))
        dpop_key = EcKey.from_jwk(auth.dpop_key)
        answer = self._drive(
            exchange_code(
                self._config,
                server,
                dpop_key,
                code=code,
                verifier=auth.verifier,
                redirect_uri=auth.redirect_uri,
            )
        )
        try:
            identity = self._resolve(answer.sub)
            pds_server = self._drive(discover_pds(self._config, identity.pds))
            check_subject(auth, answer, pds_server.issuer)
        except BaseException:
            token = answer.refresh_token or answer.access_token
            with contextlib.suppress(Exception):  # the check's failure is what matters
                self._drive(revoke_token(self._config, server, dpop_key, token))
            raise
        data = session_data(auth, answer, identity.pds)
        awaited(self.session_store.set(data.did, data))
        hook = self._user_hooks["on_updated"]
        if hook is not None:
            call_hook(hook, (data,))
        session = self._adopt(data, server)
        session.app_state = auth.app_state
        return session

    # -- stored sessions -----------------------------------------------------------------------

    def restore(self, did: str, *, refresh: bool = False) -> OAuthSession:
        """The stored session of ``did`` (the same object while it is in use in this client).

        An expired access token is refreshed on first use, or now with ``refresh=True``.
        Raises :class:`LoggedOutError` when no session is stored.
        """
        with self._sessions_lock:
            live = self._sessions.get(did)
        if live is None:
            data = awaited(self.session_store.get(did))
            if data is None:
                raise LoggedOutError()
            server = self._drive(discover_issuer(self._config, data.issuer))
            live = self._adopt(data, server)
        if refresh:
            live.refresh()
        return live

    def revoke(self, did: str) -> None:
        """Revoke the stored session of ``did`` on the server and forget it (idempotent)."""
        try:
            session = self.restore(did)
        except LoggedOutError:
            return
        session.logout()

    def _adopt(self, data: OAuthSessionData, server: AuthServerMetadata) -> OAuthSession:
        store = self.session_store
        hooks: dict[str, Callable[..., object] | None] = {
            **self._user_hooks,
            "store_set": store.set,
            "store_del": store.delete,
        }
        core = OAuthCore[ThreadEvent](data, ThreadEvent, self._config, server)
        session = OAuthSession(core, self._http, hooks)
        with self._sessions_lock:
            self._sessions[data.did] = session
        return session

    def close(self) -> None:
        """Close the httpx client this client created (its sessions use it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> OAuthClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class OAuthSession(SessionView[OAuthSessionData]):
    """An authenticated agent for one account signed in with OAuth: pass it to ``Client``.

    Every request carries the DPoP-bound access token and a fresh DPoP proof; nonces are
    learned and a request is retried once when the server asks for a new one. An expired token
    is refreshed once for all concurrent callers (threads or tasks), the rotated refresh token
    stored before it is used. Hooks as ``PasswordSession`` (set on the OAuth client).
    """

    _shown = ("did", "pds", "scope")

    def __init__(
        self,
        core: OAuthCore[ThreadEvent],
        http: httpx.Client,
        hooks: Mapping[str, Callable[..., object] | None],
    ) -> None:
        self._core = core
        self._http = http
        self._hooks = hooks
        self.app_state: str | None = None
        """The application's ``state`` given to ``authorize()`` (set by ``callback()``)."""

    @property
    def scope(self) -> str:
        """The granted scope; raises :class:`LoggedOutError` once the session has ended."""
        return self.session.scope

    def send(self, request: XrpcRequest) -> httpx.Response:
        """The agent method (:class:`~atlex.Agent`, :class:`~atlex.AsyncAgent`)."""
        return drive(self._core.send(request), self._http, self._hooks)

    def refresh(self) -> OAuthSessionData:
        """Refresh now (queued behind any refresh in progress); raises when the server ended
        the session (after ``on_deleted``)."""
        return drive(self._core.refresh(), self._http, self._hooks)

    def logout(self) -> None:
        """Revoke the tokens and forget the session (idempotent); raises, keeping the session,
        when the server could not be reached."""
        drive(self._core.logout(), self._http, self._hooks)

    def close(self) -> None:
        """Nothing to release: the OAuth client owns the HTTP client."""

    def __enter__(self) -> OAuthSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Leaves the session signed in (it is stored); call :meth:`logout` to end it."""
