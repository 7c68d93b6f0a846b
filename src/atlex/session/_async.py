"""``AsyncPasswordSession``: the anyio driver of the session flows over ``httpx.AsyncClient``.

The twin of ``_sync``; the logic both run lives once in ``_machine``."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import anyio
import httpx

from atlex._agent import XrpcRequest
from atlex.errors import XrpcError
from atlex.identity import AsyncIdentityResolver
from atlex.session._data import SessionData
from atlex.session._machine import (
    Close,
    Flow,
    Hook,
    LoggedOutError,
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
from atlex.session._wire import HttpCall

__all__ = ["AsyncDataHook", "AsyncFailureHook", "AsyncPasswordSession"]

T = TypeVar("T")

AsyncDataHook = Callable[[SessionData], Awaitable[object] | object]
"""``on_updated(data)`` / ``on_deleted(data)``: a coroutine function or a plain function."""
AsyncFailureHook = Callable[[SessionData, XrpcError], Awaitable[object] | object]
"""``on_update_failure(data, failure)`` / ``on_delete_failure(data, failure)``."""


class AsyncPasswordSession:
    """An authenticated agent for one account, logged in with a password (or app password).

    Port of ``@atproto/lex-password-session``: pass it to ``atlex.AsyncClient``. It sends
    requests to the PDS named in the account's DID document, adds the access token, refreshes on
    a 401 or a 400 ``ExpiredToken`` (one refresh shared by all tasks), retries once, and runs
    the hooks:

    * ``on_updated(data)`` after login and after every successful refresh; persist ``data``;
    * ``on_update_failure(data, failure)`` when a refresh failed transiently (session kept);
    * ``on_deleted(data)`` after logout, or when the server ended the session;
    * ``on_delete_failure(data, failure)`` when logout could not reach the server.

    Hooks may be coroutine functions (awaited) and must not raise. New requests wait while a
    refresh, a logout or a hook runs, so a hook must not wait for the session either (a call,
    ``refresh``, ``logout`` or ``aclose`` from inside a hook would wait for that hook).

    Runs on asyncio and on trio (through anyio). A refresh or logout, once begun, runs to its end
    with its hook even if the task that started it is cancelled, as the upstream promise chain
    does: by ``Task.cancel()``, ``asyncio.timeout``, ``asyncio.wait_for`` or a cancel scope.
    On asyncio it runs as a task of its own and the cancelled caller stops waiting at once; on
    trio it runs in a shielded scope and the caller's cancellation lands when it has ended.
    Either way the new tokens are kept, the hook runs once, and other callers share the result.
    """

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
        self._core = SessionCore[anyio.Event](data, anyio.Event)
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
        default :class:`~atlex.identity.AsyncIdentityResolver`) and the login goes to the PDS its DID
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
                await run_to_end(_call_hook(hooks[0], (data,)))
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
    def session(self) -> SessionData:
        """The current data; raises :class:`LoggedOutError` once the session has ended."""
        data = self._core.data
        if data is None:
            raise LoggedOutError()
        return data

    @property
    def did(self) -> str:
        """The account's DID; raises :class:`LoggedOutError` once the session has ended."""
        return self.session.did

    @property
    def handle(self) -> str:
        """The account's handle; raises :class:`LoggedOutError` once the session has ended."""
        return self.session.handle

    @property
    def destroyed(self) -> bool:
        """True once logged out or ended by the server."""
        return self._core.data is None

    def __repr__(self) -> str:
        data = self._core.data
        if data is None:
            return f"{type(self).__name__}(logged out)"
        name = type(self).__name__
        return f"{name}(did={data.did!r}, handle={data.handle!r}, service={data.service!r})"

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
            await run_to_end(self._close_when_settled())

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
    """Run ``flow`` to its end, performing each effect in this task."""
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
                value = await _send(http, effect.call)
            elif isinstance(effect, Read):
                await effect.response.aread()
            elif isinstance(effect, Close):
                await effect.response.aclose()
            elif isinstance(effect, Hook):
                hook = hooks.get(effect.name)
                if hook is not None:
                    await _call_hook(hook, effect.args)
            elif isinstance(effect, WaitSettled):
                signal = effect.ticket.signal
                if not effect.ticket.done and signal is not None:
                    await signal.wait()
            elif isinstance(effect, Shielded):  # pyright: ignore[reportUnnecessaryIsInstance]
                # a refresh/logout, once begun, finishes even if this task is cancelled
                value = await run_to_end(drive(effect.flow, http, hooks))
        except BaseException as exc:
            error = exc


_RUNNING: set[asyncio.Task[Any]] = set()
"""Critical sections whose caller was cancelled: asyncio keeps only weak references to tasks."""


async def run_to_end(work: Coroutine[Any, Any, T]) -> T:
    """Await ``work`` such that cancelling the caller cannot interrupt it.

    On asyncio ``work`` runs as a task of its own, awaited through :func:`asyncio.shield`: a
    cancelled caller (``Task.cancel()``, ``asyncio.timeout``, ``wait_for``, an anyio scope)
    stops waiting at once while ``work`` goes on. An anyio shielded scope would not do: asyncio
    delivers ``Task.cancel()`` through it. Trio cancels only through scopes, which a shielded
    scope holds off (the caller then sees its cancellation once ``work`` ends).
    """
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio (trio)
        loop = None
    if loop is None:
        return await _shielded(work)
    task = loop.create_task(work)
    _RUNNING.add(task)
    task.add_done_callback(_finished)
    return await asyncio.shield(task)


async def _shielded(work: Coroutine[Any, Any, T]) -> T:
    with anyio.CancelScope(shield=True):
        return await work
    raise AssertionError("unreachable: a shielded scope is never cancelled")  # for pyright


def _finished(task: asyncio.Task[Any]) -> None:
    _RUNNING.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it once a cancelled caller left


async def _send(http: httpx.AsyncClient, call: HttpCall) -> httpx.Response:
    request = http.build_request(
        call.method,
        call.url,
        headers=call.headers,
        content=call.content,
        timeout=call.timeout if call.timeout is not None else httpx.USE_CLIENT_DEFAULT,
    )
    return await http.send(request, stream=call.stream)


async def _call_hook(hook: Callable[..., object], args: tuple[Any, ...]) -> None:
    result = hook(*args)
    if inspect.isawaitable(result):
        await result


async def _pds_of(identifier: str, resolver: AsyncIdentityResolver | None) -> str:
    """The PDS of a handle or DID, from its verified identity."""
    if resolver is not None:
        return (await resolver.resolve(identifier)).pds
    async with AsyncIdentityResolver() as default:
        return (await default.resolve(identifier)).pds
