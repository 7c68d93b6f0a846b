"""A small entryway + PDS for session tests (in process through httpx.MockTransport, or over
real sockets through ``_real_server``).

It stands in for what the reference PDS cannot do (email 2FA, a DID document naming another
host, an entryway that goes away) and answers with the reference PDS's exact error bodies
(real-network.md §5): an expired access token is 400 ExpiredToken, a revoked refresh token is
400 ExpiredToken "Token has been revoked", a missing header is 401 AuthMissing.

Refresh tokens rotate strictly, as on the upstream test server: refreshSession revokes the token
it was given at once (the reference PDS lets a used one work for a grace period), so a session
that loses the answer of a refresh it sent is over.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

ENTRYWAY = "http://entryway.test"
PDS = "http://pds.test"
OTHER_PDS = "http://other-pds.test"
PASSWORD = "password123"
TWO_FACTOR_TOKEN = "2fa-token"


@dataclass
class Account:
    did: str
    handle: str
    email: str
    password: str = PASSWORD
    two_factor: bool = False


_SAME_AS_PDS = "<the pds URL>"
"""Default of ``FakeAtproto.did_doc_pds``: replaced by ``FakeAtproto.pds`` on construction."""


@dataclass
class Seen:
    """One request the server received (for routing assertions)."""

    host: str
    """Host of the server that received it, with the port when the URL names one."""
    nsid: str
    authorization: str | None


@dataclass
class FakeAtproto:
    """Entryway and PDS sharing one in-memory token store.

    Requests are dispatched by the host (and port) of their URL: ``entryway`` answers the
    session methods, ``pds`` (and ``OTHER_PDS``) the ``app.example.*`` calls.
    """

    accounts: list[Account] = field(default_factory=lambda: [])
    did_doc_pds: str | None = _SAME_AS_PDS
    """``serviceEndpoint`` of the ``#atproto_pds`` entry of the DID document (None: no didDoc);
    ``pds`` unless given."""
    entryway: str = ENTRYWAY
    """Base URL of the login service."""
    pds: str = PDS
    """Base URL of the PDS."""
    refresh_has_did_doc: bool = False
    """refreshSession omits didDoc and email (as the upstream test server) unless set."""
    entryway_down: bool = False
    """Every request to the entryway fails with a connection error."""
    refresh_status: int | None = None
    """Answer refreshSession with this status (and an UpstreamFailure body) instead."""
    before_expired_answer: Callable[[], object] | None = None
    """Called (on the request's thread) before answering a request with an expired token."""
    before_expired_answer_async: Callable[[], Awaitable[None]] | None = None
    """Awaited before answering a request with an expired token (async transport)."""
    hold_answer: Callable[[httpx.Request, httpx.Response], object] | None = None
    """Called with each request and its answer before the answer goes back. It may block (to
    hold a request in flight) only when served over real sockets (``_real_server``), where it
    runs on the serving thread."""

    calls: Counter[str] = field(default_factory=lambda: Counter[str]())
    seen: list[Seen] = field(default_factory=lambda: [])
    access: dict[str, str] = field(default_factory=lambda: {})
    """access token -> did (only tokens still valid)."""
    expired: set[str] = field(default_factory=lambda: set[str]())
    refresh: dict[str, str] = field(default_factory=lambda: {})
    """refresh token -> did (only tokens not revoked)."""
    issued: list[str] = field(default_factory=lambda: [])
    """Every token ever handed out (to check none leaks into a message)."""
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.did_doc_pds == _SAME_AS_PDS:
            self.did_doc_pds = self.pds

    # -- set-up and controls -----------------------------------------------------------------

    def add(self, name: str, *, two_factor: bool = False) -> Account:
        account = Account(
            f"did:plc:{name}", f"{name}.test", f"{name}@mail.test", two_factor=two_factor
        )
        self.accounts.append(account)
        return account

    def expire_access_tokens(self) -> None:
        with self._lock:
            self.expired.update(self.access)
            self.access.clear()

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self.refresh.clear()

    def sync_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle_sync)

    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle_async)

    # -- request handling --------------------------------------------------------------------

    def _handle_sync(self, request: httpx.Request) -> httpx.Response:
        if self.before_expired_answer is not None and self._is_expired(request):
            self.before_expired_answer()
        return self.handle(request)

    async def _handle_async(self, request: httpx.Request) -> httpx.Response:
        if self.before_expired_answer_async is not None and self._is_expired(request):
            await self.before_expired_answer_async()
        return self.handle(request)

    def _is_expired(self, request: httpx.Request) -> bool:
        return _bearer(request) in self.expired and _host(request.url) == _host(self.pds)

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = self._answer(request)
        if self.hold_answer is not None:
            self.hold_answer(request, response)
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        host = _host(request.url)
        nsid = request.url.path.removeprefix("/xrpc/")
        with self._lock:
            self.calls[nsid] += 1
            self.seen.append(Seen(host, nsid, request.headers.get("authorization")))
            if host == _host(self.entryway):
                if self.entryway_down:
                    raise httpx.ConnectError("connection refused", request=request)
                return self._entryway(nsid, request)
            if host in (_host(self.pds), _host(OTHER_PDS)):
                return self._pds(nsid, request)
            raise httpx.ConnectError(f"unknown host {host}", request=request)

    def _entryway(self, nsid: str, request: httpx.Request) -> httpx.Response:
        if nsid == "com.atproto.server.createSession":
            return self._create_session(json.loads(request.content))
        if nsid == "com.atproto.server.createAccount":
            body = json.loads(request.content)
            account = self.add(body["handle"].removesuffix(".test"))
            return _json(200, {**self._issue(account), "didDoc": self._did_doc(account)})
        if nsid == "com.atproto.server.refreshSession":
            if self.refresh_status is not None:
                return _error(
                    self.refresh_status, "UpstreamFailure", "Upstream service unreachable"
                )
            account, failure = self._by_refresh(request)
            if account is None:
                return failure
            del self.refresh[_bearer(request) or ""]
            body = self._issue(account)
            if self.refresh_has_did_doc:
                body |= {
                    "didDoc": self._did_doc(account),
                    "email": account.email,
                    "emailConfirmed": True,
                }
            return _json(200, body)
        if nsid == "com.atproto.server.getSession":
            account, failure = self._by_access(request)
            if account is None:
                return failure
            body: dict[str, Any] = {
                "did": account.did,
                "handle": account.handle,
                "email": account.email,
                "emailConfirmed": True,
                "emailAuthFactor": account.two_factor,
                "active": True,
            }
            if self.did_doc_pds is not None:
                body["didDoc"] = self._did_doc(account)
            return _json(200, body)
        if nsid == "com.atproto.server.deleteSession":
            account, failure = self._by_refresh(request)
            if account is None:
                return failure
            del self.refresh[_bearer(request) or ""]
            return httpx.Response(200)
        return _error(400, "InvalidRequest", f"No service configured for {nsid}")

    def _pds(self, nsid: str, request: httpx.Request) -> httpx.Response:
        if nsid == "app.example.alwaysExpired":
            return _error(401, "ExpiredToken", "Token expired")
        account, failure = self._by_access(request)
        if account is None:
            return failure
        if nsid == "app.example.echo":
            message = request.url.params.get("message") or (
                json.loads(request.content)["message"] if request.content else ""
            )
            return _json(200, {"did": account.did, "message": message, "host": _host(request.url)})
        return _error(400, "InvalidRequest", f"No service configured for {nsid}")

    def _create_session(self, body: dict[str, Any]) -> httpx.Response:
        identifier, password = body.get("identifier"), body.get("password")
        for account in self.accounts:
            if (
                identifier in (account.handle, account.did, account.email)
                and password == account.password
            ):
                if account.two_factor and body.get("authFactorToken") != TWO_FACTOR_TOKEN:
                    return _error(
                        401,
                        "AuthFactorTokenRequired",
                        "A sign in code has been sent to your email address",
                    )
                issued = self._issue(account)
                issued |= {"email": account.email, "emailConfirmed": False, "active": True}
                if self.did_doc_pds is not None:
                    issued["didDoc"] = self._did_doc(account)
                return _json(200, issued)
        return _error(401, "AuthenticationRequired", "Invalid identifier or password")

    def _issue(self, account: Account) -> dict[str, Any]:
        n = next(self._serial)
        access, refresh = f"acc.{n}.{account.handle}.secret", f"ref.{n}.{account.handle}.secret"
        self.issued += [access, refresh]
        self.access[access] = account.did
        self.refresh[refresh] = account.did
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": account.handle,
            "did": account.did,
        }

    def _did_doc(self, account: Account) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": account.did,
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.did_doc_pds,
                }
            ],
        }

    def _account(self, did: str) -> Account:
        return next(a for a in self.accounts if a.did == did)

    def _by_access(self, request: httpx.Request) -> tuple[Account | None, httpx.Response]:
        token = _bearer(request)
        if token is None:
            return None, _error(401, "AuthMissing", "Authentication Required")
        if token in self.expired:
            return None, _error(400, "ExpiredToken", "Token has expired")
        did = self.access.get(token)
        if did is None:
            return None, _error(400, "InvalidToken", "Token could not be verified")
        return self._account(did), httpx.Response(200)

    def _by_refresh(self, request: httpx.Request) -> tuple[Account | None, httpx.Response]:
        token = _bearer(request)
        if token is None:
            return None, _error(401, "AuthMissing", "Authentication Required")
        did = self.refresh.get(token)
        if did is None:
            return None, _error(400, "ExpiredToken", "Token has been revoked")
        return self._account(did), httpx.Response(200)


def _host(url: httpx.URL | str) -> str:
    """``host`` or ``host:port`` (as the URL spells it): what tells the two servers apart."""
    return httpx.URL(url).netloc.decode("ascii")


def _bearer(request: httpx.Request) -> str | None:
    value = request.headers.get("authorization")
    if value is None or not value.lower().startswith("bearer "):
        return None
    return value[7:]


def _json(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


def _error(status: int, error: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "message": message})
