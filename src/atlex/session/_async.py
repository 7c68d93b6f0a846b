"""``AsyncPasswordSession`` over ``httpx.AsyncClient`` and, generated from it, ``PasswordSession``
over ``httpx.Client``: the drivers of the session flows.

Written once: ``session/_async.py`` is the source, ``session/_sync.py`` its generated twin
(``make unasync``; a test fails on drift). The logic both run lives in ``_machine``; what differs
between threads and tasks (shielding a refresh from cancellation, coroutine hooks) is in ``_io``,
whose async names ``tools/unasync.py`` maps to their sync forms. Docstrings are shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx

from atlex._agent import XrpcRequest
from atlex.identity import AsyncIdentityResolver
from atlex.session._data import SessionData
from atlex.session._io import (
    AsyncDataHook,
    AsyncEvent,
    AsyncFailureHook,
    async_call_hook,
    async_http_send,
    async_run_to_end,
)
from atlex.session._machine import (
    Close,
    Flow,
    Hook,
    Read,
    Send,
    SessionCore,
    Shielded,
    WaitSettled,
    create_account_flow,
    login_flow,
)
from atlex.session._options import (
    DEFAULT_TIMEOUT,
    account_body,
    discovery_identifier,
    header_list,
    login_credentials,
)
from atlex.session._routing import check_service
from atlex.session._view import SessionView

__all__ = ["AsyncDataHook", "AsyncFailureHook", "AsyncPasswordSession"]

T = TypeVar("T")


class AsyncPasswordSession(SessionView[SessionData]):
    """An authenticated agent for one account, logged in with a password (or app password).

    Port of ``@atproto/lex-password-session``: pass it to the client (``atlex.Client`` for
    ``PasswordSession``, ``atlex.AsyncClient`` for ``AsyncPasswordSession``). It sends requests
    to the PDS named in the account's DID document, adds the access token, refreshes on a 401 or
    a 400 ``ExpiredToken`` (one refresh shared by all threads or tasks), retries once, and runs
    the hooks:

    * ``on_updated(data)`` after login and after every successful refresh; persist ``data``;
    * ``on_update_failure(data, failure)`` when a refresh failed transiently (session kept);
    * ``on_deleted(data)`` after logout, or when the server ended the session;
    * ``on_delete_failure(data, failure)`` when logout could not reach the server.

    Hooks must not raise; the async session's hooks may also be coroutine functions (awaited).
    New requests wait while a refresh, a logout or a hook runs, so a hook must not wait for the
    session either (a call, ``refresh``, ``logout`` or closing it from inside a hook would wait
    for that hook).

    The async session runs on asyncio and on trio (through anyio). A refresh or logout, once
    begun, runs to its end with its hook even if the task that started it is cancelled, as the
    upstream promise chain does: by ``Task.cancel()``, ``asyncio.timeout``,
    ``asyncio.wait_for`` or a cancel scope. On asyncio it runs as a task of its own and the
    cancelled caller stops waiting at once; on trio it runs in a shielded scope and the caller's
    cancellation lands when it has ended. Either way the new tokens are kept, the hook runs
    once, and other callers share the result.
    """

    _shown = ("did", "handle", "service")

    def __init__(
        self,
        data: SessionData | Mapping[str, Any],
        *,
        on_updated: AsyncDataHook | None = None,
        on_update_failure: AsyncFailureHook | None = None,
        on_deleted: AsyncDataHook | None = None,
        on_delete_failure: AsyncFailureHook | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        """Wrap saved ``data`` (a :class:`SessionData` or its JSON object as a dict) without
        contacting the server (see :meth:`resume`)."""
        self._core = SessionCore[AsyncEvent](data, AsyncEvent)
        self._hooks: dict[str, Callable[..., object] | None] = {
            "on_updated": on_updated,
            "on_update_failure": on_update_failure,
            "on_deleted": on_deleted,
            "on_delete_failure": on_delete_failure,
        }
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else _new_http_client()

    # -- constructors --------------------------------------------------------------------------

    @classmethod
    async def login(
        cls,
        url: str | None = None,
        /,
        *,
        service: str | None = None,
        identifier: str | None = None,
        password: str | None = None,
        auth_factor_token: str | None = None,
        allow_takendown: bool | None = None,
        on_updated: AsyncDataHook | None = None,
        on_update_failure: AsyncFailureHook | None = None,
        on_deleted: AsyncDataHook | None = None,
        on_delete_failure: AsyncFailureHook | None = None,
        http_client: httpx.AsyncClient | None = None,
        resolver: AsyncIdentityResolver | None = None,
    ) -> AsyncPasswordSession:
        """Log in with ``createSession`` on ``service`` (a handle, DID or email as identifier),
        or with one ``https://<identifier>:<password>@<host>`` URL.

        Without ``service``, a handle or DID identifier is resolved first (``resolver``, or a
        default resolver of :mod:`atlex.identity`) and the login goes to the PDS its DID
        document names.

        Raises :class:`~atlex.errors.LexAuthFactorError` when the server wants the emailed code
        (call again with ``auth_factor_token``), the :class:`~atlex.errors.XrpcError` otherwise.
        """
        who = discovery_identifier(url, service, identifier)
        if who is not None:
            service = await _pds_of(who, resolver)
        creds = login_credentials(url, service, identifier, password)
        flow = login_flow(
            creds.service,
            creds.identifier,
            creds.password,
            allow_takendown=allow_takendown,
            auth_factor_token=auth_factor_token,
        )
        hooks = (on_updated, on_update_failure, on_deleted, on_delete_failure)
        return await cls._start(flow, hooks, http_client)

    @classmethod
    async def create_account(
        cls,
        *,
        service: str,
        handle: str,
        email: str | None = None,
        password: str | None = None,
        invite_code: str | None = None,
        did: str | None = None,
        recovery_key: str | None = None,
        verification_code: str | None = None,
        verification_phone: str | None = None,
        plc_op: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        on_updated: AsyncDataHook | None = None,
        on_update_failure: AsyncFailureHook | None = None,
        on_deleted: AsyncDataHook | None = None,
        on_delete_failure: AsyncFailureHook | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> AsyncPasswordSession:
        """Create an account with ``createAccount`` on ``service`` and return its session."""
        body = account_body(
            handle=handle,
            email=email,
            password=password,
            invite_code=invite_code,
            did=did,
            recovery_key=recovery_key,
            verification_code=verification_code,
            verification_phone=verification_phone,
            plc_op=plc_op,
        )
        flow = create_account_flow(check_service(service), body, header_list(headers))
        hooks = (on_updated, on_update_failure, on_deleted, on_delete_failure)
        return await cls._start(flow, hooks, http_client)

    @classmethod
    async def _start(
        cls,
        flow: Flow[SessionData],
        hooks: tuple[
            AsyncDataHook | None,
            AsyncFailureHook | None,
            AsyncDataHook | None,
            AsyncFailureHook | None,
        ],
        http_client: httpx.AsyncClient | None,
    ) -> AsyncPasswordSession:
        http = http_client if http_client is not None else _new_http_client()
        try:
            data = await drive(flow, http, {})
            session = cls(
                data,
                on_updated=hooks[0],
                on_update_failure=hooks[1],
                on_deleted=hooks[2],
                on_delete_failure=hooks[3],
                http_client=http,
            )
            session._owns_http = http_client is None
            if hooks[0] is not None:  # the server has the session: let the hook save it
                await async_run_to_end(async_call_hook, hooks[0], (data,))
        except BaseException:
            if http_client is None:
                await http.aclose()
            raise
        return session

    @classmethod
    async def resume(
        cls,
        data: SessionData | Mapping[str, Any],
        *,
        on_updated: AsyncDataHook | None = None,
        on_update_failure: AsyncFailureHook | None = None,
        on_deleted: AsyncDataHook | None = None,
        on_delete_failure: AsyncFailureHook | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> AsyncPasswordSession:
        """Wrap saved ``data`` and refresh it once.

        Raises only when the session is certainly over (a declared refreshSession error, after
        ``on_deleted``); a transient failure keeps the old tokens and calls ``on_update_failure``.
        """
        session = cls(
            data,
            on_updated=on_updated,
            on_update_failure=on_update_failure,
            on_deleted=on_deleted,
            on_delete_failure=on_delete_failure,
            http_client=http_client,
        )
        try:
            await session.refresh()
        except BaseException:
            await session.aclose()
            raise
        return session

    @classmethod
    async def delete(
        cls,
        data: SessionData | Mapping[str, Any],
        *,
        on_deleted: AsyncDataHook | None = None,
        on_delete_failure: AsyncFailureHook | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        """End saved ``data`` on the server without resuming it first.

        Succeeds when the server already forgot the session; raises when it could not be
        reached (the session may still be valid).
        """
        session = cls(
            data,
            on_deleted=on_deleted,
            on_delete_failure=on_delete_failure,
            http_client=http_client,
        )
        async with session:
            pass

    # -- state ---------------------------------------------------------------------------------

    @property
    def handle(self) -> str:
        """The account's handle; raises :class:`LoggedOutError` once the session has ended."""
        return self.session.handle

    # -- operations ----------------------------------------------------------------------------

    async def send(self, request: XrpcRequest) -> httpx.Response:
        """The :class:`~atlex.Agent` method: send ``request`` to the PDS with the access token."""
        return await drive(self._core.send(request), self._http, self._hooks)

    async def refresh(self) -> SessionData:
        """Refresh now (queued behind any refresh or logout in progress); returns the new data,
        or the old data after a transient failure. Raises the failure when the server ended the
        session (by this refresh or an earlier one, as upstream), :class:`LoggedOutError` after
        a logout."""
        return await drive(self._core.refresh(), self._http, self._hooks)

    async def logout(self) -> None:
        """End the session on the server (``deleteSession``). Idempotent.

        Raises the failure, keeping the session usable, when the server could not confirm it.
        """
        await drive(self._core.logout(), self._http, self._hooks)

    async def aclose(self) -> None:
        """Close the httpx client the session created (a client passed in stays open), once any
        refresh or logout in progress has ended; cancelling this does not stop that."""
        if self._owns_http:
            await async_run_to_end(self._close_when_settled)

    async def _close_when_settled(self) -> None:
        await drive(self._core.settled(), self._http, self._hooks)
        await self._http.aclose()

    async def __aenter__(self) -> AsyncPasswordSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.logout()
        finally:
            await self.aclose()


# -- the driver ---------------------------------------------------------------------------------


def _new_http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(follow_redirects=True, timeout=DEFAULT_TIMEOUT)


async def drive(
    flow: Flow[T], http: httpx.AsyncClient, hooks: Mapping[str, Callable[..., object] | None]
) -> T:
    """Run ``flow`` to its end, performing each effect in the calling thread or task."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as stop:
            result: T = stop.value
            return result
        value, error = None, None
        try:
            if isinstance(effect, Send):
                value = await async_http_send(http, effect.call)
            elif isinstance(effect, Read):
                await effect.response.aread()
            elif isinstance(effect, Close):
                await effect.response.aclose()
            elif isinstance(effect, Hook):
                hook = hooks.get(effect.name)
                if hook is not None:
                    await async_call_hook(hook, effect.args)
            elif isinstance(effect, WaitSettled):
                signal = effect.ticket.signal
                if not effect.ticket.done and signal is not None:
                    await signal.wait()
            elif isinstance(effect, Shielded):  # pyright: ignore[reportUnnecessaryIsInstance]
                # a refresh/logout, once begun, finishes even if its caller is cancelled
                value = await async_run_to_end(drive, effect.flow, http, hooks)
        except BaseException as exc:
            error = exc


async def _pds_of(identifier: str, resolver: AsyncIdentityResolver | None) -> str:
    """The PDS of a handle or DID, from its verified identity."""
    if resolver is not None:
        identity = await resolver.resolve(identifier)
        return identity.pds
    async with AsyncIdentityResolver() as default:
        identity = await default.resolve(identifier)
        return identity.pds
