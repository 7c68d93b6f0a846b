"""Run the same test against ``Client`` and ``AsyncClient`` over ``httpx.MockTransport``."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

import httpx

from .client import AsyncClient, Client

SERVICE = "https://pds.test"
Handler = Callable[[httpx.Request], httpx.Response]


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json; charset=utf-8", **(headers or {})},
    )


class Harness:
    """Records every request the client sends; answers with ``handler`` (or a queue)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []
        self.responses: list[httpx.Response | Exception] = []
        self.handler: Handler | None = None

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(request.content)
        if self.handler is not None:
            return self.handler(request)
        if not self.responses:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        answer = self.responses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def reply(self, *answers: httpx.Response | Exception) -> Harness:
        self.responses.extend(answers)
        return self

    def client(self, **options: Any) -> Any:
        transport = httpx.MockTransport(self._handle)
        if self.mode == "sync":
            return Client(SERVICE, transport=transport, **options)
        return AsyncClient(SERVICE, transport=transport, **options)

    @property
    def request(self) -> httpx.Request:
        assert len(self.requests) == 1, f"expected one request, got {len(self.requests)}"
        return self.requests[0]

    @property
    def query(self) -> str:
        return self.request.url.query.decode()


async def run(value: Any) -> Any:
    """The result of a client call, awaited when the client is async."""
    if inspect.isawaitable(value):
        return await value
    return value


async def call(thunk: Callable[[], Any]) -> Any:
    """Like :func:`run`, for calls expected to raise before returning an awaitable."""
    return await run(thunk())
