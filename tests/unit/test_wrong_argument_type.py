"""A wrong argument type in a generated call is the caller's mistake, said before sending."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from atlex import AsyncClient, Client
from atlex.errors import LexValidationError, XrpcError


def _never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent, got {request.url}")


def test_sync_get_timeline_with_a_string_limit() -> None:
    client = Client("https://pds.test", transport=httpx.MockTransport(_never))
    with pytest.raises(LexValidationError) as info:
        client.app.bsky.feed.get_timeline(limit="5")  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError) and not isinstance(info.value, XrpcError)
    assert info.value.path == "limit"
    assert "parameter 'limit' for app.bsky.feed.getTimeline" in str(info.value)
    assert "InternalServerError" not in str(info.value)


def test_async_get_timeline_with_a_string_limit() -> None:
    async def run() -> None:
        client = AsyncClient("https://pds.test", transport=httpx.MockTransport(_never))
        with pytest.raises(LexValidationError) as info:
            await client.app.bsky.feed.get_timeline(limit="5")  # type: ignore[arg-type]
        assert info.value.path == "limit"
        await client.aclose()

    asyncio.run(run())
