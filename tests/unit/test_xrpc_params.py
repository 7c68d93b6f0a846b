"""Query parameters: defaults, UNSET, arrays, booleans, validation before I/O (both clients)."""

from __future__ import annotations

import pytest
from _fake_lex.harness import Harness, json_response, run

from atlex.errors import LexValidationError, XrpcError

pytestmark = pytest.mark.anyio

EMPTY_FEED: dict[str, list[object]] = {"feed": []}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def net(request: pytest.FixtureRequest) -> Harness:
    return Harness(request.param)


async def test_lexicon_defaults_are_always_sent(net: Harness) -> None:
    net.reply(json_response(EMPTY_FEED))
    await run(net.client().test.feed.get_timeline())
    assert net.request.method == "GET"
    assert net.request.url.path == "/xrpc/test.feed.getTimeline"
    assert net.query == "limit=50"


async def test_unset_omitted_arrays_repeated_booleans_lowercase(net: Harness) -> None:
    net.reply(json_response(EMPTY_FEED))
    feed = net.client().test.feed
    await run(feed.get_timeline(cursor="at://x:y", tags=["a", "b c"], include_pins=True, limit=5))
    assert net.query == "limit=5&cursor=at%3A%2F%2Fx%3Ay&tags=a&tags=b+c&includePins=true"
    assert net.request.url.params.get_list("tags") == ["a", "b c"]


async def test_false_is_sent_as_false(net: Harness) -> None:
    net.reply(json_response(EMPTY_FEED))
    await run(net.client().test.feed.get_timeline(include_pins=False))
    assert net.request.url.params["includePins"] == "false"


async def test_wrong_param_type_fails_before_io_naming_the_parameter(net: Harness) -> None:
    client = net.client()
    with pytest.raises(LexValidationError) as info:
        await run(client.test.feed.get_timeline(limit="ten"))
    assert "'limit'" in str(info.value)
    assert "test.feed.getTimeline" in str(info.value)
    assert "Expected `int`, got `str`" in str(info.value)
    # a validation error (a ValueError), not an XRPC failure that looks like the server's
    assert isinstance(info.value, ValueError)
    assert not isinstance(info.value, XrpcError)
    assert "InternalServerError" not in str(info.value)
    assert info.value.path == "limit"
    assert info.value.error == "InvalidRequest"
    assert net.requests == []


async def test_wrong_array_item_type_names_the_parameter(net: Harness) -> None:
    with pytest.raises(LexValidationError, match="'tags"):
        await run(net.client().test.feed.get_timeline(tags=["a", 3]))
    assert net.requests == []


async def test_query_without_params_has_no_query_string(net: Harness) -> None:
    net.reply(json_response({"did": "did:web:x"}))
    await run(net.client().test.misc.describe())
    assert str(net.request.url) == "https://pds.test/xrpc/test.server.describe"


async def test_generic_call_encodes_params_without_a_schema(net: Harness) -> None:
    net.reply(json_response({"ok": True}))
    result = await run(
        net.client().call("x.example.doThing", {"a": [1, 2], "b": False, "c": None, "d": "é"})
    )
    assert result == {"ok": True}
    assert net.request.method == "GET"
    assert net.query == "a=1&a=2&b=false&d=%C3%A9"


async def test_generic_call_rejects_a_non_scalar_param_before_io(net: Harness) -> None:
    with pytest.raises(LexValidationError, match="'a'"):
        await run(net.client().call("x.example.doThing", {"a": {"nested": 1}}))
    assert net.requests == []


async def test_generic_call_rejects_a_bad_nsid(net: Harness) -> None:
    with pytest.raises(ValueError, match="invalid NSID"):
        await run(net.client().call("not an nsid"))
