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
    AnyIdentityResolver,
    ResolvedIdentity,
    callback_state,
    check_subject,
    is_server_url,
    plan_authorization,
    read_callback,
    session_data,
)
from atlex.oauth._resolve import default_async_resolver
from atlex.oauth._stores import (
    AnySessionStore,
    AnyStateStore,
    FileSessionStore,
    MemoryStateStore,
    default_session_path,
)
from atlex.session._async import drive
from atlex.session._chain import Flow, LoggedOutError
from atlex.session._io import AsyncEvent, async_awaited, async_call_hook
from atlex.session._options import DEFAULT_TIMEOUT
from atlex.session._view import SessionView

__all__ = ["AsyncOAuthClient", "AsyncOAuthDataHook", "AsyncOAuthFailureHook", "AsyncOAuthSession"]

T = TypeVar("T")

AsyncOAuthDataHook = Callable[[OAuthSessionData], object]
"""``on_updated(data)`` / ``on_deleted(data)`` (the async client's may be coroutine functions)."""
AsyncOAuthFailureHook = Callable[[OAuthSessionData, XrpcError], object]
"""``on_update_failure(data, failure)`` / ``on_delete_failure(data, failure)``."""


class AsyncOAuthClient:
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
        state_store: AnyStateStore | None = None,
        session_store: AnySessionStore | None = None,
        resolver: AnyIdentityResolver | None = None,
        allow_http: bool = False,
        on_updated: AsyncOAuthDataHook | None = None,
        on_update_failure: AsyncOAuthFailureHook | None = None,
        on_deleted: AsyncOAuthDataHook | None = None,
        on_delete_failure: AsyncOAuthFailureHook | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if metadata.token_endpoint_auth_method == "private_key_jwt" and not keys:
            raise ValueError("a private_key_jwt client needs its signing keys (keys=[...])")
        self.metadata = metadata
        self._config = ClientConfig(metadata, tuple(keys), allow_http)
        self.state_store: AnyStateStore = state_store or MemoryStateStore()
        self.session_store: AnySessionStore = session_store or FileSessionStore(
            default_session_path()
        )
        self._resolver = resolver
        self._user_hooks: dict[str, Callable[..., object] | None] = {
            "on_updated": on_updated,
            "on_update_failure": on_update_failure,
            "on_deleted": on_deleted,
            "on_delete_failure": on_delete_failure,
        }
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        self._sessions: weakref.WeakValueDictionary[str, AsyncOAuthSession] = (
            weakref.WeakValueDictionary()
        )
        self._sessions_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OAuthClient(client_id={self.metadata.client_id!r})"

    @property
    def resolver(self) -> AnyIdentityResolver:
        if self._resolver is None:
            self._resolver = default_async_resolver()
        return self._resolver

    async def _resolve(self, identifier: str) -> ResolvedIdentity:
        return await async_awaited(self.resolver.resolve(identifier))

    async def _drive(self, flow: Flow[T]) -> T:
        return await drive(flow, self._http, {})

    # -- sign-in -------------------------------------------------------------------------------

    async def authorize(
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
            server = await self._server_for_url(target)
            did = hint = None
        else:
            identity = await self._resolve(target)
            server = await self._drive(discover_pds(self._config, identity.pds))
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
        await async_awaited(self.state_store.set(plan.state, plan.auth))
        try:
            return await self._drive(
                push_authorization(self._config, server, plan.key, plan.fields)
            )
        except BaseException:
            await async_awaited(self.state_store.delete(plan.state))
            raise

    async def _server_for_url(self, url: str) -> AuthServerMetadata:
        try:
            return await self._drive(discover_pds(self._config, url))
        except Exception:
            return await self._drive(discover_issuer(self._config, url))  # an entryway / issuer

    async def callback(self, params: Mapping[str, str]) -> AsyncOAuthSession:
        """Finish sign-in from the redirect's query parameters; raises
        :class:`OAuthCallbackError` for a refused, forged or mixed-up callback."""
        key = callback_state(params)
        auth = await async_awaited(self.state_store.get(key))
        if auth is not None:
            await async_awaited(self.state_store.delete(key))  # one use only
        code = read_callback(params, auth)
        assert auth is not None
        server = await self._drive(discover_issuer(self._config, auth.issuer))
        dpop_key = EcKey.from_jwk(auth.dpop_key)
        answer = await self._drive(
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
            identity = await self._resolve(answer.sub)
            pds_server = await self._drive(discover_pds(self._config, identity.pds))
            check_subject(auth, answer, pds_server.issuer)
        except BaseException:
            token = answer.refresh_token or answer.access_token
            with contextlib.suppress(Exception):  # the check's failure is what matters
                await self._drive(revoke_token(self._config, server, dpop_key, token))
            raise
        data = session_data(auth, answer, identity.pds)
        await async_awaited(self.session_store.set(data.did, data))
        hook = self._user_hooks["on_updated"]
        if hook is not None:
            await async_call_hook(hook, (data,))
        session = self._adopt(data, server)
        session.app_state = auth.app_state
        return session

    # -- stored sessions -----------------------------------------------------------------------

    async def restore(self, did: str, *, refresh: bool = False) -> AsyncOAuthSession:
        """The stored session of ``did`` (the same object while it is in use in this client).

        An expired access token is refreshed on first use, or now with ``refresh=True``.
        Raises :class:`LoggedOutError` when no session is stored.
        """
        with self._sessions_lock:
            live = self._sessions.get(did)
        if live is None:
            data = await async_awaited(self.session_store.get(did))
            if data is None:
                raise LoggedOutError()
            server = await self._drive(discover_issuer(self._config, data.issuer))
            live = self._adopt(data, server)
        if refresh:
            await live.refresh()
        return live

    async def revoke(self, did: str) -> None:
        """Revoke the stored session of ``did`` on the server and forget it (idempotent)."""
        try:
            session = await self.restore(did)
        except LoggedOutError:
            return
        await session.logout()

    def _adopt(self, data: OAuthSessionData, server: AuthServerMetadata) -> AsyncOAuthSession:
        store = self.session_store
        hooks: dict[str, Callable[..., object] | None] = {
            **self._user_hooks,
            "store_set": store.set,
            "store_del": store.delete,
        }
        core = OAuthCore[AsyncEvent](data, AsyncEvent, self._config, server)
        session = AsyncOAuthSession(core, self._http, hooks)
        with self._sessions_lock:
            self._sessions[data.did] = session
        return session

    async def aclose(self) -> None:
        """Close the httpx client this client created (its sessions use it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncOAuthClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncOAuthSession(SessionView[OAuthSessionData]):
    """An authenticated agent for one account signed in with OAuth: pass it to ``Client``.

    Every request carries the DPoP-bound access token and a fresh DPoP proof; nonces are
    learned and a request is retried once when the server asks for a new one. An expired token
    is refreshed once for all concurrent callers (threads or tasks), the rotated refresh token
    stored before it is used. Hooks as ``PasswordSession`` (set on the OAuth client).
    """

    _shown = ("did", "pds", "scope")

    def __init__(
        self,
        core: OAuthCore[AsyncEvent],
        http: httpx.AsyncClient,
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

    async def send(self, request: XrpcRequest) -> httpx.Response:
        """The agent method (:class:`~atlex.Agent`, :class:`~atlex.AsyncAgent`)."""
        return await drive(self._core.send(request), self._http, self._hooks)

    async def refresh(self) -> OAuthSessionData:
        """Refresh now (queued behind any refresh in progress); raises when the server ended
        the session (after ``on_deleted``)."""
        return await drive(self._core.refresh(), self._http, self._hooks)

    async def logout(self) -> None:
        """Revoke the tokens and forget the session (idempotent); raises, keeping the session,
        when the server could not be reached."""
        await drive(self._core.logout(), self._http, self._hooks)

    async def aclose(self) -> None:
        """Nothing to release: the OAuth client owns the HTTP client."""

    async def __aenter__(self) -> AsyncOAuthSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Leaves the session signed in (it is stored); call :meth:`logout` to end it."""
