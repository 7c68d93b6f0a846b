"""The unauthenticated agent: a service URL and an httpx client (upstream agent.ts buildAgent
from a URL). ``Client("https://host")`` makes one of these."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

import httpx

from atlex import __version__
from atlex._agent import XrpcRequest

__all__ = ["DEFAULT_TIMEOUT", "AsyncServiceAgent", "ServiceAgent"]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
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
        "timeout": DEFAULT_TIMEOUT,
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


class ServiceAgent:
    """Sends requests to one service without credentials."""

    def __init__(
        self,
        service: str,
        *,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.service = service_origin(service)
        self._http = httpx.Client(transport=transport, **_client_kwargs(headers))

    @property
    def did(self) -> str | None:
        return None

    def send(self, request: XrpcRequest) -> httpx.Response:
        return self._http.send(_build(self._http, self.service, request), stream=request.stream)

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"ServiceAgent({self.service!r})"


class AsyncServiceAgent:
    """Sends requests to one service without credentials, asynchronously."""

    def __init__(
        self,
        service: str,
        *,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.service = service_origin(service)
        self._http = httpx.AsyncClient(transport=transport, **_client_kwargs(headers))

    @property
    def did(self) -> str | None:
        return None

    async def send(self, request: XrpcRequest) -> httpx.Response:
        built = _build(self._http, self.service, request)
        return await self._http.send(built, stream=request.stream)

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"AsyncServiceAgent({self.service!r})"
