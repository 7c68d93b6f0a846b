"""What a client does with the exceptions its agent raises."""

from __future__ import annotations

import httpx
import pytest
from _fake_lex.client import AsyncClient, Client

from atlex._agent import XrpcRequest
from atlex.errors import XrpcFetchError, XrpcInternalError


class Ended(Exception):
    """Stands in for the server failure that ended a session."""


def _own_error() -> XrpcInternalError:
    try:
        raise Ended("refresh token revoked")
    except Ended as cause:
        error = XrpcInternalError("Logged out")
        error.__cause__ = cause
        return error


class FailingAgent:
    did = None

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def send(self, request: XrpcRequest) -> httpx.Response:
        raise self.exc


class AsyncFailingAgent(FailingAgent):
    async def send(self, request: XrpcRequest) -> httpx.Response:  # type: ignore[override]
        raise self.exc


def test_an_agents_xrpc_error_passes_with_its_own_cause() -> None:
    error = _own_error()
    client = Client(FailingAgent(error))
    with pytest.raises(XrpcInternalError) as info:
        client.test.feed.get_timeline()
    assert info.value is error
    assert isinstance(info.value.__cause__, Ended)


@pytest.mark.anyio
async def test_an_async_agents_xrpc_error_passes_with_its_own_cause() -> None:
    error = _own_error()
    client = AsyncClient(AsyncFailingAgent(error))
    with pytest.raises(XrpcInternalError) as info:
        await client.test.feed.get_timeline()
    assert info.value is error
    assert isinstance(info.value.__cause__, Ended)


def test_other_agent_exceptions_become_fetch_errors() -> None:
    client = Client(FailingAgent(ConnectionError("refused")))
    with pytest.raises(XrpcFetchError) as info:
        client.test.feed.get_timeline()
    assert isinstance(info.value.__cause__, ConnectionError)
