"""The password session's logic, sans-I/O: refresh, logout and request authorisation on top of
the shared chain (:mod:`atlex.session._chain`), plus login and account creation flows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from atlex._agent import XrpcRequest
from atlex.errors import LexAuthFactorError, XrpcError, XrpcFetchError
from atlex.session import _wire
from atlex.session._chain import (
    ChainCore,
    Close,
    Effect,
    Flow,
    Hook,
    LoggedOutError,
    Read,
    Send,
    SessionHookError,
    Shielded,
    Signal,
    Ticket,
    WaitSettled,
)
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

S = TypeVar("S", bound=Signal)


class SessionCore(ChainCore[S, SessionData]):
    """The password session's state: the current data and the chain's tail."""

    def __init__(self, data: SessionData | Mapping[str, Any], make_signal: Callable[[], S]) -> None:
        if isinstance(data, Mapping):  # the TypeScript-shaped dict, e.g. from json.load
            data = SessionData.from_dict(data)
        elif not isinstance(data, SessionData):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(
                f"session data must be a SessionData or its JSON object, got {type(data).__name__}"
            )
        super().__init__(data, make_signal)

    def refresh_op(self, data: SessionData, reasons: list[XrpcError]) -> Flow[SessionData]:
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
            reasons.append(outcome)
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

    def authorised_send(self, data: SessionData, request: XrpcRequest) -> Flow[httpx.Response]:
        return (yield Send(_data_call(data, request)))

    def needs_refresh(self, response: httpx.Response) -> Flow[bool]:
        return _needs_refresh(response)

    def same_credentials(self, old: SessionData, new: SessionData) -> bool:
        return old.access_jwt == new.access_jwt


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
