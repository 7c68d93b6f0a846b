"""Raw XRPC over httpx for network tests and the demo: accounts, records, polling.

Deliberately independent of atlex itself, so that the harness can check the SDK rather than
lean on it. Tokens and passwords never appear in a repr or an error message.
"""

from __future__ import annotations

import re
import secrets
import struct
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
TIMEOUT = httpx.Timeout(30.0)


class XrpcCallError(RuntimeError):
    """An XRPC call answered with an error status (the message carries the error body)."""

    def __init__(self, method: str, url: str, status: int, body: Mapping[str, Any] | str) -> None:
        self.status = status
        self.body = body
        error = body.get("error") if isinstance(body, Mapping) else None
        message = body.get("message") if isinstance(body, Mapping) else body[:300]
        super().__init__(f"{method} {url}: HTTP {status} {error or ''}: {message}")


def _decode(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            body: Mapping[str, Any] | str = response.json()
        except ValueError:
            body = response.text
        raise XrpcCallError(response.request.method, str(response.url), response.status_code, body)
    if not response.content:
        return {}
    decoded = response.json()
    if not isinstance(decoded, dict):
        raise XrpcCallError(
            response.request.method, str(response.url), response.status_code, response.text
        )
    return decoded  # pyright: ignore[reportUnknownVariableType]


def _is_expired(failure: XrpcCallError) -> bool:
    return isinstance(failure.body, Mapping) and failure.body.get("error") == "ExpiredToken"


def _auth(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def call(
    service: str,
    nsid: str,
    *,
    params: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
    token: str | None = None,
    procedure: bool = False,
) -> dict[str, Any]:
    """GET ``/xrpc/<nsid>``, or POST it when there is a JSON ``body`` or ``procedure`` is set
    (procedures without input, such as refreshSession, take no body at all)."""
    url = f"{service}/xrpc/{nsid}"
    query = dict(params or {})
    with httpx.Client(timeout=TIMEOUT) as client:
        if body is not None:
            response = client.post(url, params=query, json=dict(body), headers=_auth(token))
        elif procedure:
            response = client.post(url, params=query, headers=_auth(token))
        else:
            response = client.get(url, params=query, headers=_auth(token))
    return _decode(response)


def upload_blob(service: str, data: bytes, mime_type: str, token: str) -> dict[str, Any]:
    """``com.atproto.repo.uploadBlob``: the blob reference to embed in a record."""
    url = f"{service}/xrpc/com.atproto.repo.uploadBlob"
    with httpx.Client(timeout=TIMEOUT) as client:
        response = client.post(
            url, content=data, headers={**_auth(token), "Content-Type": mime_type}
        )
    blob = _decode(response).get("blob")
    if not isinstance(blob, dict):
        raise XrpcCallError("POST", url, response.status_code, "no 'blob' in the response")
    return blob  # pyright: ignore[reportUnknownVariableType]


def now() -> str:
    """The current time as an AT Protocol datetime string."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Account:
    """An account created on a local PDS, with the session ``createAccount`` returned."""

    handle: str
    did: str
    email: str
    pds: str  # where to send its requests (http://127.0.0.1:PORT)
    password: str = field(repr=False)
    access_jwt: str = field(repr=False)
    refresh_jwt: str = field(repr=False)

    def call(
        self,
        nsid: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An XRPC call on this account's PDS with its access token.

        On a PDS with short-lived tokens (tests/cli runs one with 3 s tokens) a slow machine can
        outlive the token between account creation and the call: then the call is retried once
        with a fresh access token from ``createSession`` (the account's own tokens are kept, since
        tests compare them)."""
        try:
            return call(self.pds, nsid, params=params, body=body, token=self.access_jwt)
        except XrpcCallError as failure:
            if not _is_expired(failure):
                raise
        fresh = call(
            self.pds,
            "com.atproto.server.createSession",
            body={"identifier": self.did, "password": self.password},
        )
        return call(self.pds, nsid, params=params, body=body, token=str(fresh["accessJwt"]))

    def create_record(self, collection: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """``com.atproto.repo.createRecord`` in this account's repo: ``{"uri", "cid", ...}``."""
        return self.call(
            "com.atproto.repo.createRecord",
            body={"repo": self.did, "collection": collection, "record": dict(record)},
        )


def unique_handle(name: str, domain: str = ".test") -> str:
    """A handle that no earlier run used: ``<name><6 hex digits><domain>`` (PDS limit: 18 chars)."""
    stem = re.sub(r"[^a-z0-9]", "", name.lower())[:10] or "user"
    return f"{stem}{secrets.token_hex(3)}{domain}"


def create_account(pds: str, name: str, *, handle_domain: str = ".test") -> Account:
    """``com.atproto.server.createAccount`` with a unique handle and a random password."""
    handle = unique_handle(name, handle_domain)
    password = secrets.token_urlsafe(16)
    email = f"{handle.split('.')[0]}@mail.test"
    session = call(
        pds,
        "com.atproto.server.createAccount",
        body={"handle": handle, "email": email, "password": password},
    )
    try:
        return Account(
            handle=str(session["handle"]),
            did=str(session["did"]),
            email=email,
            pds=pds,
            password=password,
            access_jwt=str(session["accessJwt"]),
            refresh_jwt=str(session["refreshJwt"]),
        )
    except KeyError as exc:
        raise XrpcCallError(
            "POST", f"{pds}/xrpc/com.atproto.server.createAccount", 200, f"no {exc} in the response"
        ) from exc


def poll(
    fetch: Callable[[], T],
    until: Callable[[T], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
) -> T:
    """Call ``fetch`` until ``until(result)`` holds; raise ``TimeoutError`` naming ``what``.

    For eventually-consistent reads (the AppView indexes the PDS firehose asynchronously).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if until(result):
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"{what}: not seen within {timeout:.0f} s; last result: {result!r:.500}"
            )
        time.sleep(interval)


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour (for blob uploads; no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width  # filter byte 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )
