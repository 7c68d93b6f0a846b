"""The password session's logic, written once as generators that yield effects (sans-I/O).

A *flow* is a generator that yields :data:`Effect` objects and receives their results; a driver
(``_sync`` with threads, ``_async`` with anyio) performs each effect and sends the result back in,
or throws the exception in. Nothing here sends a request, sleeps or takes a lock across I/O.

Serialisation follows upstream's promise chain ``#sessionPromise`` (reference-behaviour §1.7):
every refresh and logout appends a :class:`Ticket` to the chain and runs only after the previous
ticket settled, with its hook awaited inside. A data request waits for the chain's tail as it was
when the request started (the gate), and the identity of that ticket is the "state generation"
used to share one refresh between concurrent callers (§1.6 step 5).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

import httpx

from atlex._agent import XrpcRequest
from atlex.errors import LexAuthFactorError, XrpcError, XrpcFetchError, XrpcInternalError
from atlex.session import _wire
from atlex.session._data import SessionData, SessionDataError
from atlex.session._routing import extract_pds_endpoint, origin_url

__all__ = [
    "Close",
    "Effect",
    "Flow",
    "Hook",
    "LoggedOutError",
    "Read",
    "Send",
    "SessionCore",
    "SessionHookError",
    "Shielded",
    "Ticket",
    "WaitSettled",
]

T = TypeVar("T")


class LoggedOutError(XrpcInternalError):
    """The session has ended (logout, or the server revoked it); log in again.

    ``reason`` (also ``__cause__``) is the refresh failure when the server ended the session.
    """

    def __init__(self, reason: BaseException | None = None) -> None:
        self.reason = reason
        detail = ""
        if isinstance(reason, XrpcError):
            detail = f" (the server ended the session: {reason.error}: {reason.message})"
        super().__init__(f"Logged out{detail}")
        self.__cause__ = reason


class SessionHookError(RuntimeError):
    """A session hook raised earlier (hooks must not raise); the session cannot go on."""


# -- effects ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Send:
    """Send ``call``; result: the ``httpx.Response`` (transport errors are thrown in)."""

    call: _wire.HttpCall


@dataclass(slots=True)
class Read:
    """Read the whole body of ``response`` (a no-op when already read)."""

    response: httpx.Response


@dataclass(slots=True)
class Close:
    """Release ``response`` without reading the rest of it."""

    response: httpx.Response


HookName = Literal["on_updated", "on_update_failure", "on_deleted", "on_delete_failure"]


@dataclass(slots=True)
class Hook:
    """Call (and await) the hook ``name`` with ``args`` if it is set."""

    name: HookName
    args: tuple[Any, ...]


@dataclass(slots=True)
class WaitSettled:
    """Wait until ``ticket`` has settled."""

    ticket: Ticket[Any]


@dataclass(slots=True)
class Shielded:
    """Run ``flow`` to its end even if the caller is cancelled (a JS promise chain can't be)."""

    flow: Flow[Any]


Effect = Send | Read | Close | Hook | WaitSettled | Shielded
Flow = Generator[Effect, Any, T]


# -- the chain --------------------------------------------------------------------------------


class Signal(Protocol):
    """``threading.Event`` or ``anyio.Event``: set once when a ticket settles."""

    def set(self) -> None: ...


S = TypeVar("S", bound=Signal)


class Ticket(Generic[S]):
    """One link of the chain: the session state after a refresh or logout (or the initial one)."""

    __slots__ = ("data", "done", "error", "signal")

    def __init__(self, signal: S | None, data: SessionData | None = None) -> None:
        self.signal = signal
        self.done = data is not None
        self.data = data
        self.error: BaseException | None = None

    def settle(self, data: SessionData | None, error: BaseException | None) -> None:
        self.data, self.error, self.done = data, error, True
        if self.signal is not None:
            self.signal.set()


class SessionCore(Generic[S]):
    """State shared by a session and its drivers: the current data and the chain's tail."""

    def __init__(self, data: SessionData | Mapping[str, Any], make_signal: Callable[[], S]) -> None:
        if isinstance(data, Mapping):  # the TypeScript-shaped dict, e.g. from json.load
            data = SessionData.from_dict(data)
        elif not isinstance(data, SessionData):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(
                f"session data must be a SessionData or its JSON object, got {type(data).__name__}"
            )
        self.data: SessionData | None = data
        self.tail: Ticket[S] = Ticket(None, data)
        self._make_signal = make_signal
        self._enqueue_lock = threading.Lock()  # held for a few instructions, never across I/O

    def _append(self) -> tuple[Ticket[S], Ticket[S]]:
        prev, ticket = self.tail, Ticket(self._make_signal())
        self.tail = ticket
        return prev, ticket

    def enqueue(self) -> tuple[Ticket[S], Ticket[S]]:
        """Append a ticket; returns ``(previous tail, new ticket)``."""
        with self._enqueue_lock:
            return self._append()

    def enqueue_unless_moved(self, seen: Ticket[S]) -> tuple[Ticket[S], Ticket[S]] | Ticket[S]:
        """Append a ticket if the tail is still ``seen``; else the newer tail to wait for."""
        with self._enqueue_lock:
            return self._append() if self.tail is seen else self.tail

    def outcome(self, ticket: Ticket[Any]) -> SessionData:
        """The settled ticket's data, or a fresh error saying why the session is unusable."""
        if ticket.error is None and ticket.data is not None:
            return ticket.data
        cause = ticket.error
        if self.data is None:
            error: Exception = LoggedOutError(None if isinstance(cause, LoggedOutError) else cause)
        else:
            error = SessionHookError(
                "a session hook raised earlier (hooks must not raise); this session can no "
                "longer be used"
            )
            error.__cause__ = cause
        raise error

    # -- flows ---------------------------------------------------------------------------------

    def chained(
        self, prev: Ticket[S], ticket: Ticket[S], op: Callable[[SessionData], Flow[SessionData]]
    ) -> Flow[None]:
        """Run ``op`` on the previous state once it settled, and settle ``ticket`` with the result.

        A failed previous state passes straight through without running ``op`` (``.then``).
        """
        try:
            yield WaitSettled(prev)
            if prev.error is not None or prev.data is None:
                ticket.settle(None, prev.error)
                return
            data = yield from op(prev.data)
        except Exception as exc:  # a definitive failure, a logout, or a hook that raised
            ticket.settle(None, exc)
            return
        except BaseException:  # interrupted (Ctrl-C, exit): leave the state as it is
            if self.data is not None:
                ticket.settle(self.data, None)
            else:
                ticket.settle(None, LoggedOutError())
            raise
        ticket.settle(data, None)

    def refresh(self) -> Flow[SessionData]:
        """``refresh()``: always queue one more refresh; raise its failure if definitive."""
        prev, ticket = self.enqueue()
        yield Shielded(self.chained(prev, ticket, self.refresh_op))
        if prev.error is None and ticket.error is not None:
            raise ticket.error  # this refresh's own failure (or its hook's), raised once
        return self.outcome(ticket)

    def logout(self) -> Flow[None]:
        """``logout()``: returns once the session is gone; raises if the server may still have
        it (the session then stays usable)."""
        reasons: list[XrpcError] = []
        prev, ticket = self.enqueue()
        yield Shielded(self.chained(prev, ticket, lambda data: self.logout_op(data, reasons)))
        if ticket.error is None and reasons:
            raise reasons[0]

    def refresh_op(self, data: SessionData) -> Flow[SessionData]:
        """One refreshSession round on the entryway (§1.8)."""
        call = _wire.bearer_call("POST", data.service, _wire.REFRESH_SESSION, data.refresh_jwt)
        answer = yield from _auth_call(call, _wire.REFRESH_SESSION)
        outcome: SessionData | XrpcError
        try:
            outcome = (
                answer
                if isinstance(answer, XrpcError)
                else _wire.session_from_response(answer, _wire.REFRESH_SESSION, data.service)
            )
        except XrpcError as exc:  # a 2xx that is not a session: transient, like a 5xx
            outcome = exc
        if isinstance(outcome, XrpcError):
            if _wire.is_declared(outcome, _wire.REFRESH_SESSION_ERRORS):
                yield Hook("on_deleted", (data,))
                self.data = None
                raise outcome
            yield Hook("on_update_failure", (data, outcome))
            return data
        fresh = outcome
        if fresh.email_confirmed is None or fresh.did_doc is None:
            fresh = yield from self._backfill(fresh)
        yield Hook("on_updated", (fresh,))
        self.data = fresh
        return fresh

    def _backfill(self, fresh: SessionData) -> Flow[SessionData]:
        """Fill what refreshSession left out from getSession (new access token), if same DID."""
        call = _wire.bearer_call("GET", fresh.service, _wire.GET_SESSION, fresh.access_jwt)
        outcome = yield from _auth_call(call, _wire.GET_SESSION)
        if isinstance(outcome, XrpcError):
            return fresh
        try:
            extra = _wire.json_object(outcome, _wire.GET_SESSION)
            if extra.get("did") != fresh.did:
                return fresh
            merged = {**fresh.to_dict(), **extra, "service": fresh.service}
            return SessionData.from_dict(merged, where=f"{_wire.GET_SESSION} response")
        except (XrpcError, SessionDataError):
            return fresh

    def logout_op(self, data: SessionData, reasons: list[XrpcError]) -> Flow[SessionData]:
        """One deleteSession round on the entryway (§1.9)."""
        call = _wire.bearer_call("POST", data.service, _wire.DELETE_SESSION, data.refresh_jwt)
        outcome = yield from _auth_call(call, _wire.DELETE_SESSION)
        if isinstance(outcome, XrpcError) and not _wire.is_declared(
            outcome, _wire.DELETE_SESSION_ERRORS
        ):
            reasons.append(outcome)
            yield Hook("on_delete_failure", (data, outcome))
            return data
        yield Hook("on_deleted", (data,))
        self.data = None
        raise LoggedOutError()

    def send(self, request: XrpcRequest) -> Flow[httpx.Response]:
        """``fetchHandler``: route, authorise, refresh on 401 / 400 ExpiredToken, retry once."""
        if any(name.lower() == "authorization" for name, _ in request.headers):
            raise TypeError("Unexpected 'authorization' header set: the session adds it")
        seen = self.tail
        yield WaitSettled(seen)
        data = self.outcome(seen)
        first: httpx.Response = yield Send(_data_call(data, request))
        if not (yield from _needs_refresh(first)):
            return first
        queued = self.enqueue_unless_moved(seen)
        if isinstance(queued, tuple):
            prev, ticket = queued
            yield Shielded(self.chained(prev, ticket, self.refresh_op))
        else:
            ticket = queued
            yield WaitSettled(ticket)
        if ticket.error is not None or ticket.data is None:
            return first  # the failure already went through the hooks
        fresh = ticket.data
        if fresh.access_jwt == data.access_jwt or not request.replayable:
            return first  # a transient refresh failure kept the old token / a one-shot body
        yield Close(first)
        return (yield Send(_data_call(fresh, request)))


# -- login and account creation -----------------------------------------------------------------


def login_flow(
    service: str,
    identifier: str,
    password: str,
    *,
    allow_takendown: bool | None,
    auth_factor_token: str | None,
) -> Flow[SessionData]:
    """createSession on ``service``; the 2FA request becomes :class:`LexAuthFactorError`."""
    call = _wire.create_session_call(
        service,
        identifier,
        password,
        allow_takendown=allow_takendown,
        auth_factor_token=auth_factor_token,
    )
    outcome = yield from _auth_call(call, _wire.CREATE_SESSION)
    if isinstance(outcome, XrpcError):
        if outcome.error == "AuthFactorTokenRequired":
            raise LexAuthFactorError(outcome)
        raise outcome
    return _wire.session_from_response(outcome, _wire.CREATE_SESSION, service)


def create_account_flow(
    service: str, body: dict[str, Any], headers: list[tuple[str, str]]
) -> Flow[SessionData]:
    """createAccount on ``service``; any failure is raised."""
    outcome = yield from _auth_call(
        _wire.create_account_call(service, body, headers), _wire.CREATE_ACCOUNT
    )
    if isinstance(outcome, XrpcError):
        raise outcome
    return _wire.session_from_response(outcome, _wire.CREATE_ACCOUNT, service)


# -- helpers ------------------------------------------------------------------------------------


def _auth_call(call: _wire.HttpCall, nsid: str) -> Flow[httpx.Response | XrpcError]:
    """Upstream ``xrpcSafe``: the 2xx response, or the failure as a value (never raised)."""
    try:
        response: httpx.Response = yield Send(call)
    except Exception as exc:  # any transport failure is a (transient) fetch error
        return XrpcFetchError(exc, nsid=nsid)
    if not 200 <= response.status_code < 300:
        return _wire.failure_from_response(response, nsid)
    return response


def _data_call(data: SessionData, request: XrpcRequest) -> _wire.HttpCall:
    """The request against the PDS of the current data (re-derived for the retry too)."""
    base = extract_pds_endpoint(data.did_doc) or data.service
    headers = [*request.headers, ("authorization", f"Bearer {data.access_jwt}")]
    return _wire.HttpCall(
        request.method,
        origin_url(base, request.path),
        headers,
        request.content,
        request.timeout,
        request.stream,
    )


def _needs_refresh(response: httpx.Response) -> Flow[bool]:
    """A 401, or a 400 whose JSON ``error`` is ``ExpiredToken`` (§1.6 step 4)."""
    if response.status_code == 401:
        return True
    if response.status_code != 400 or not _wire.may_carry_error_code(response):
        return False
    try:
        yield Read(response)
    except Exception:  # an unreadable body has no code
        return False
    return _wire.error_code_of(response) == "ExpiredToken"
