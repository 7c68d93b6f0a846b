"""Streamed binary outputs (``client.stream``), both clients."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from _fake_lex.harness import Harness, json_response

from atlex.errors import XrpcFetchError, XrpcInvalidResponseError, XrpcResponseError

pytestmark = pytest.mark.anyio

CAR = bytes(range(256)) * 64


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def net(request: pytest.FixtureRequest) -> Harness:
    return Harness(request.param)


async def read_stream(client: Any, nsid: str, params: dict[str, Any] | None = None) -> bytes:
    chunks: list[bytes] = []
    cm = client.stream(nsid, params)
    if hasattr(cm, "__aenter__"):
        async with cm as response:
            chunks.extend([c async for c in response.aiter_bytes()])
    else:
        with cm as response:
            chunks.extend(response.iter_bytes())
    return b"".join(chunks)


async def test_stream_yields_the_body_incrementally(net: Harness) -> None:
    net.reply(
        httpx.Response(200, content=CAR, headers={"content-type": "application/vnd.ipld.car"})
    )
    data = await read_stream(net.client(), "com.atproto.sync.getRepo", {"did": "did:plc:a"})
    assert data == CAR
    assert net.request.url.path == "/xrpc/com.atproto.sync.getRepo"
    assert net.request.url.params["did"] == "did:plc:a"


async def test_stream_raises_error_statuses_before_the_block(net: Harness) -> None:
    net.reply(json_response({"error": "RepoNotFound", "message": "no repo"}, 400))
    with pytest.raises(XrpcResponseError) as info:
        await read_stream(net.client(), "com.atproto.sync.getRepo", {"did": "did:plc:a"})
    assert (info.value.error, info.value.status) == ("RepoNotFound", 400)


async def test_stream_rejects_unexpected_statuses(net: Harness) -> None:
    net.reply(httpx.Response(304))
    with pytest.raises(XrpcInvalidResponseError, match="304"):
        await read_stream(net.client(), "x.example.get")


async def test_stream_transport_failure(net: Harness) -> None:
    net.reply(httpx.ConnectError("refused"))
    with pytest.raises(XrpcFetchError, match="refused"):
        await read_stream(net.client(), "x.example.get")
