"""The unauthenticated agent: a service URL and an httpx client (upstream agent.ts buildAgent
from a URL). ``Client("https://host")`` makes one of these."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from atlex import __version__
from atlex._agent import XrpcRequest
from atlex._model import lazy_module
from atlex.errors import XrpcInternalError

if TYPE_CHECKING:
    import httpx
else:  # importing httpx is most of a client's start-up cost: pay it on the first request
    httpx = lazy_module("httpx")

__all__ = ["DEFAULT_TIMEOUT", "AsyncServiceAgent", "ServiceAgent"]

DEFAULT_TIMEOUT = (30.0, 10.0)
"""Seconds for the whole request, and for connecting (an ``httpx.Timeout(30, connect=10)``)."""
_USER_AGENT = f"atlex/{__version__}"


def service_origin(service: str) -> str:
    """``https://host[:port][/prefix]`` without a trailing slash; clear error otherwise."""
    if not isinstance(service, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"expected a service URL string or an agent, got {type(service).__name__}")
    parts = urllib.parse.urlsplit(service)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"invalid service URL {service!r}: expected http(s)://host")
    if parts.query or parts.fragment:
        raise ValueError(f"invalid service URL {service!r}: no query or fragment allowed")
    return service.rstrip("/")


def _client_kwargs(headers: Mapping[str, str] | None) -> dict[str, Any]:
    return {
        "headers": {"user-agent": _USER_AGENT, **(headers or {})},
        "timeout": httpx.Timeout(DEFAULT_TIMEOUT[0], connect=DEFAULT_TIMEOUT[1]),
        "follow_redirects": True,  # upstream fetch uses redirect: 'follow'
    }


def _build(
    http: httpx.Client | httpx.AsyncClient, origin: str, request: XrpcRequest
) -> httpx.Request:
    return http.build_request(
        request.method,
        origin + request.path,
        headers=request.headers,
        content=request.content,
        timeout=request.timeout if request.timeout is not None else httpx.USE_CLIENT_DEFAULT,
    )


def _closed() -> XrpcInternalError:
    return XrpcInternalError("this client is closed")


class ServiceAgent:
    """Sends requests to one service without credentials.

    The httpx client (whose TLS setup dominates the cost of making one) is created on the first
    request, so constructing a ``Client`` stays cheap.
    """

    def __init__(
        self,
        service: str,
        *,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.service = service_origin(service)
        self._headers = headers
        self._transport = transport
        self._http: httpx.Client | None = None
        self._closed = False
        self._lock = threading.Lock()

    @property
    def did(self) -> str | None:
        return None

    @property
    def http(self) -> httpx.Client:
        """The underlying httpx client (created on first use)."""
        with self._lock:
            if self._closed:
                raise _closed()
            if self._http is None:
                kwargs = _client_kwargs(self._headers)
                self._http = httpx.Client(transport=self._transport, **kwargs)
            return self._http

    def send(self, request: XrpcRequest) -> httpx.Response:
        http = self.http
        return http.send(_build(http, self.service, request), stream=request.stream)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._http is not None:
                self._http.close()

    def __repr__(self) -> str:
        return f"ServiceAgent({self.service!r})"


class AsyncServiceAgent:
    """Sends requests to one service without credentials, asynchronously (see ServiceAgent)."""

    def __init__(
        self,
        service: str,
        *,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.service = service_origin(service)
        self._headers = headers
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._closed = False

    @property
    def did(self) -> str | None:
        return None

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying httpx client (created on first use; no await, so no race)."""
        if self._closed:
            raise _closed()
        if self._http is None:
            kwargs = _client_kwargs(self._headers)
            self._http = httpx.AsyncClient(transport=self._transport, **kwargs)
        return self._http

    async def send(self, request: XrpcRequest) -> httpx.Response:
        http = self.http
        return await http.send(_build(http, self.service, request), stream=request.stream)

    async def aclose(self) -> None:
        self._closed = True
        if self._http is not None:
            await self._http.aclose()

    def __repr__(self) -> str:
        return f"AsyncServiceAgent({self.service!r})"
