"""What every session agent shares, sans-I/O: effects, the refresh chain and send-with-refresh.

A *flow* is a generator that yields :data:`Effect` objects and receives their results; a driver
(``_sync`` with threads, ``_async`` with anyio) performs each effect and sends the result back in,
or throws the exception in. Nothing here sends a request, sleeps or takes a lock across I/O.

Serialisation follows upstream's promise chain ``#sessionPromise`` (reference-behaviour §1.7):
every refresh and logout appends a :class:`Ticket` to the chain and runs only after the previous
ticket settled, with its hook awaited inside. A data request waits for the chain's tail as it was
when the request started (the gate), and the identity of that ticket is the "state generation"
used to share one refresh between concurrent callers (§1.6 step 5).

:class:`ChainCore` is generic over the session data (password ``SessionData``, OAuth
``OAuthSessionData``); a concrete session says how to refresh, log out, authorise one request
and recognise an expired credential.
"""

from __future__ import annotations

import copy
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

import httpx

from atlex._agent import AnswerNote, XrpcRequest, explained
from atlex.errors import XrpcError, XrpcInternalError
from atlex.session import _wire

__all__ = [
    "ChainCore",
    "Close",
    "Effect",
    "Flow",
    "Hook",
    "HookName",
    "LoggedOutError",
    "Read",
    "Send",
    "SessionHookError",
    "Shielded",
    "Ticket",
    "WaitSettled",
]

T = TypeVar("T")
D = TypeVar("D")


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


HookName = Literal[
    "on_updated",
    "on_update_failure",
    "on_deleted",
    "on_delete_failure",
    # OAuth: the session store, written before a rotated refresh token is used
    "store_set",
    "store_del",
]


@dataclass(slots=True)
class Hook:
    """Call (and await) the hook ``name`` with ``args`` if it is set."""

    name: HookName
    args: tuple[Any, ...]


@dataclass(slots=True)
class WaitSettled:
    """Wait until ``ticket`` has settled."""

    ticket: Ticket[Any, Any]


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


class Ticket(Generic[S, D]):
    """One link of the chain: the session state after a refresh or logout (or the initial one)."""

    __slots__ = ("data", "done", "error", "failure", "signal")

    def __init__(self, signal: S | None, data: D | None = None) -> None:
        self.signal = signal
        self.done = data is not None
        self.data = data
        self.error: BaseException | None = None
        self.failure: XrpcError | None = None
        """Why this ticket's refresh kept the old data (a transient failure), if it did."""

    def settle(
        self, data: D | None, error: BaseException | None, failure: XrpcError | None = None
    ) -> None:
        self.data, self.error, self.failure, self.done = data, error, failure, True
        if self.signal is not None:
            self.signal.set()


class ChainCore(ABC, Generic[S, D]):
    """State shared by a session and its drivers: the current data and the chain's tail."""

    def __init__(self, data: D, make_signal: Callable[[], S]) -> None:
        self.data: D | None = data
        self.tail: Ticket[S, D] = Ticket(None, data)
        self._make_signal = make_signal
        self._enqueue_lock = threading.Lock()  # held for a few instructions, never across I/O

    # -- what a concrete session says -----------------------------------------------------------

    @abstractmethod
    def refresh_op(self, data: D, reasons: list[XrpcError]) -> Flow[D]:
        """One refresh round; returns the new data, or ``data`` after a transient failure
        (appended to ``reasons``: it explains the failed call that triggered the refresh)."""

    @abstractmethod
    def logout_op(self, data: D, reasons: list[XrpcError]) -> Flow[D]:
        """End the session on the server; append to ``reasons`` when that failed transiently."""

    @abstractmethod
    def authorised_send(self, data: D, request: XrpcRequest) -> Flow[httpx.Response]:
        """Send ``request`` with the credentials of ``data``."""

    @abstractmethod
    def needs_refresh(self, response: httpx.Response) -> Flow[bool]:
        """Whether ``response`` says the access credential expired."""

    @abstractmethod
    def same_credentials(self, old: D, new: D) -> bool:
        """Whether a refresh kept the old access credential (a transient failure)."""

    def stale(self, data: D) -> bool:
        """Whether ``data`` is known to have expired before it is used (refresh first)."""
        return False

    # -- the chain -----------------------------------------------------------------------------

    def _append(self) -> tuple[Ticket[S, D], Ticket[S, D]]:
        prev, ticket = self.tail, Ticket[S, D](self._make_signal())
        self.tail = ticket
        return prev, ticket

    def enqueue(self) -> tuple[Ticket[S, D], Ticket[S, D]]:
        """Append a ticket; returns ``(previous tail, new ticket)``."""
        with self._enqueue_lock:
            return self._append()

    def enqueue_unless_moved(
        self, seen: Ticket[S, D]
    ) -> tuple[Ticket[S, D], Ticket[S, D]] | Ticket[S, D]:
        """Append a ticket if the tail is still ``seen``; else the newer tail to wait for."""
        with self._enqueue_lock:
            return self._append() if self.tail is seen else self.tail

    def outcome(self, ticket: Ticket[Any, D]) -> D:
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

    def chained(
        self,
        prev: Ticket[S, D],
        ticket: Ticket[S, D],
        op: Callable[[D], Flow[D]],
        reasons: list[XrpcError] | None = None,
    ) -> Flow[None]:
        """Run ``op`` on the previous state once it settled, and settle ``ticket`` with the result
        (and the first of the ``reasons`` ``op`` appended, if any).

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
        ticket.settle(data, None, reasons[0] if reasons else None)

    def chained_refresh(self, prev: Ticket[S, D], ticket: Ticket[S, D]) -> Flow[None]:
        """:meth:`chained` for a refresh: its transient failure is kept on ``ticket``."""
        reasons: list[XrpcError] = []
        return self.chained(prev, ticket, lambda data: self.refresh_op(data, reasons), reasons)

    def refresh(self) -> Flow[D]:
        """``refresh()``: always queue one more refresh; raise its failure if definitive.

        On a session the server ended, raise the failure that ended it, as upstream's rejected
        chain does (a copy each time, so tracebacks do not pile up on one shared object).
        """
        prev, ticket = self.enqueue()
        yield Shielded(self.chained_refresh(prev, ticket))
        error = ticket.error
        if prev.error is None and error is not None:
            raise error  # this refresh's own failure (or its hook's), raised once
        ended_by_server = isinstance(error, XrpcError) and not isinstance(error, LoggedOutError)
        if self.data is None and ended_by_server:
            assert isinstance(error, XrpcError)
            raise ended_earlier(error)
        return self.outcome(ticket)

    def logout(self) -> Flow[None]:
        """``logout()``: returns once the session is gone; raises if the server may still have
        it (the session then stays usable)."""
        reasons: list[XrpcError] = []
        prev, ticket = self.enqueue()
        yield Shielded(self.chained(prev, ticket, lambda data: self.logout_op(data, reasons)))
        if ticket.error is None and reasons:
            raise reasons[0]

    def settled(self) -> Flow[None]:
        """Wait until every refresh and logout queued so far has ended."""
        tail = self.tail
        while True:
            yield WaitSettled(tail)
            if self.tail is tail:
                return
            tail = self.tail

    def shared_refresh(self, seen: Ticket[S, D]) -> Flow[Ticket[S, D]]:
        """Refresh once for everyone who saw ``seen``: start it, or join the one already queued."""
        queued = self.enqueue_unless_moved(seen)
        if isinstance(queued, tuple):
            prev, ticket = queued
            yield Shielded(self.chained_refresh(prev, ticket))
        else:
            ticket = queued
            yield WaitSettled(ticket)
        return ticket

    def send(self, request: XrpcRequest) -> Flow[httpx.Response]:
        """``fetchHandler``: authorise, refresh on an expired credential, retry once."""
        if any(name.lower() == "authorization" for name, _ in request.headers):
            raise TypeError("Unexpected 'authorization' header set: the session adds it")
        seen = self.tail
        yield WaitSettled(seen)
        data = self.outcome(seen)
        if self.stale(data):
            seen = yield from self.shared_refresh(seen)
            data = self.outcome(seen)
        first: httpx.Response = yield from self.authorised_send(data, request)
        if not (yield from self.needs_refresh(first)):
            return first
        ticket = yield from self.shared_refresh(seen)
        # the failed answer goes back as it is (upstream); the note says why it was not retried
        if ticket.error is not None or ticket.data is None:
            return explained(first, ended_note(ticket.error))  # hooks already ran
        fresh = ticket.data
        if self.same_credentials(data, fresh):  # a transient refresh failure kept the old token
            return explained(first, failed_refresh_note(ticket.failure))
        if not request.replayable:
            return explained(first, AnswerNote(_NOT_RESENT))
        yield Close(first)
        return (yield from self.authorised_send(fresh, request))


# -- why a failed answer was not retried ------------------------------------------------------

_NOT_RESENT = (
    "the access token had expired; the session refreshed it but did not send this request "
    "again, because its body could be read only once: send it again"
)


def failed_refresh_note(failure: XrpcError | None) -> AnswerNote:
    """The refresh this answer triggered failed transiently; the session kept its old tokens."""
    why = f": {failure}" if failure is not None else ""
    return AnswerNote(
        "the access token had expired and refreshing it failed"
        f"{why}; the session keeps its old tokens and refreshes again on the next call",
        failure,
    )


def ended_note(error: BaseException | None) -> AnswerNote:
    """The refresh this answer triggered found the session ended (or a hook failed)."""
    if isinstance(error, LoggedOutError):
        return AnswerNote("the session was logged out while this request was in flight", error)
    if isinstance(error, XrpcError):
        return AnswerNote(
            f"the access token had expired and refreshing it failed: {error}; the server ended "
            "the session (on_deleted ran): log in again",
            error,
        )
    return AnswerNote("the access token had expired and the session could not refresh it", error)


def ended_earlier(failure: XrpcError) -> XrpcError:
    """A fresh copy of the refresh failure that ended the session, saying so."""
    again = copy.copy(failure)
    again.add_note("the server ended this session earlier (on_deleted ran): log in again")
    return again
