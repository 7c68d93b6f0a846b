"""Response processing: typed outputs, open unions, encodings, statuses and errors."""

from __future__ import annotations

import httpx
import pytest
from _fake_lex import create_record, get_timeline
from _fake_lex.harness import Harness, json_response, run

from atlex.errors import (
    XrpcAuthenticationError,
    XrpcError,
    XrpcFetchError,
    XrpcInvalidResponseError,
    XrpcResponseError,
    XrpcResponseValidationError,
)

pytestmark = pytest.mark.anyio

FEED = {
    "cursor": "c1",
    "feed": [
        {"uri": "at://a/1", "likeCount": 3, "embed": {"$type": "test.embed.images", "count": 2}},
        {"uri": "at://a/2", "embed": {"$type": "test.embed.future", "shiny": True}},
        {"uri": "at://a/3"},
    ],
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def net(request: pytest.FixtureRequest) -> Harness:
    return Harness(request.param)


async def timeline(net: Harness) -> object:
    return await run(net.client().test.feed.get_timeline())


async def test_json_output_decodes_into_the_output_type(net: Harness) -> None:
    net.reply(json_response(FEED))
    out = await timeline(net)
    assert isinstance(out, get_timeline.Output)
    assert out.cursor == "c1"
    first, second, third = out.feed
    assert first.like_count == 3
    assert first.embed == get_timeline.Images(count=2)
    # open union: an unknown member is kept as data instead of failing the response
    assert second.embed == {"$type": "test.embed.future", "shiny": True}
    assert third.like_count == 0


async def test_schema_less_json_output_is_plain_data(net: Harness) -> None:
    net.reply(json_response({"did": "did:web:x", "links": {"a": 1}}))
    assert await run(net.client().test.misc.describe()) == {"did": "did:web:x", "links": {"a": 1}}


async def test_binary_output_is_bytes(net: Harness) -> None:
    payload = bytes(range(256))
    net.reply(httpx.Response(200, content=payload, headers={"content-type": "image/png"}))
    assert await run(net.client().test.misc.get_blob(did="did:plc:a", cid="bafk")) == payload
    assert net.request.url.params["cid"] == "bafk"


async def test_binary_output_without_content_type_is_still_bytes(net: Harness) -> None:
    net.reply(httpx.Response(200, content=b"xyz"))
    assert await run(net.client().test.misc.get_blob(did="d", cid="c")) == b"xyz"


async def test_wrong_content_type_is_rejected(net: Harness) -> None:
    net.reply(httpx.Response(200, content=b"<html>", headers={"content-type": "text/html"}))
    with pytest.raises(XrpcInvalidResponseError, match=r'Expected "application/json".*text/html'):
        await timeline(net)


async def test_missing_payload_is_rejected(net: Harness) -> None:
    net.reply(httpx.Response(200))
    with pytest.raises(XrpcInvalidResponseError, match="no payload"):
        await timeline(net)


async def test_output_not_matching_the_schema(net: Harness) -> None:
    net.reply(json_response({"cursor": "x", "feed": [{"likeCount": 1}]}))
    with pytest.raises(XrpcResponseValidationError) as info:
        await timeline(net)
    assert "uri" in str(info.value)
    assert info.value.error == "InvalidResponse"
    assert info.value.status == 200


async def test_malformed_json_is_rejected(net: Harness) -> None:
    net.reply(httpx.Response(200, content=b"{nope", headers={"content-type": "application/json"}))
    with pytest.raises(XrpcInvalidResponseError, match="Unable to parse response payload"):
        await timeline(net)


async def test_unexpected_status_is_rejected(net: Harness) -> None:
    net.reply(httpx.Response(304))
    with pytest.raises(XrpcInvalidResponseError, match="Unexpected status code 304"):
        await timeline(net)


async def test_declared_error_raises_the_generated_class(net: Harness) -> None:
    body = {"error": "BlockedActor", "message": "blocked"}
    net.reply(json_response(body, 400, {"x-req": "7"}))
    with pytest.raises(get_timeline.BlockedActorError) as info:
        await timeline(net)
    err = info.value
    assert isinstance(err, XrpcResponseError)
    assert (err.error, err.message, err.status) == ("BlockedActor", "blocked", 400)
    assert err.header("X-Req") == "7"
    assert err.body == body
    assert err.nsid == "test.feed.getTimeline"
    assert not err.should_retry()


async def test_undeclared_error_code_is_a_plain_response_error(net: Harness) -> None:
    net.reply(json_response({"error": "SomethingElse"}, 400))
    with pytest.raises(XrpcResponseError) as info:
        await timeline(net)
    assert type(info.value) is XrpcResponseError
    assert info.value.error == "SomethingElse"


async def test_non_xrpc_error_body_maps_the_status(net: Harness) -> None:
    net.reply(
        httpx.Response(502, content=b"<h1>bad gateway</h1>", headers={"content-type": "text/html"})
    )
    with pytest.raises(XrpcResponseError) as info:
        await timeline(net)
    assert info.value.error == "UpstreamFailure"
    assert info.value.body == b"<h1>bad gateway</h1>"
    assert "502" in str(info.value)
    assert info.value.should_retry()


async def test_json_error_body_of_the_wrong_shape_maps_the_status(net: Harness) -> None:
    net.reply(json_response({"error": 42}, 404))
    with pytest.raises(XrpcResponseError) as info:
        await timeline(net)
    assert info.value.error == "XRPCNotSupported"


async def test_401_is_an_authentication_error_with_parsed_challenge(net: Harness) -> None:
    net.reply(
        json_response(
            {"error": "AuthenticationRequired", "message": "no token"},
            401,
            {"WWW-Authenticate": 'Bearer realm="pds", error="invalid_token"'},
        )
    )
    with pytest.raises(XrpcAuthenticationError) as info:
        await timeline(net)
    assert info.value.www_authenticate == {"Bearer": {"realm": "pds", "error": "invalid_token"}}
    assert not info.value.should_retry()


async def test_declared_error_wins_over_authentication_error(net: Harness) -> None:
    net.reply(json_response({"error": "AuthFactorTokenRequired"}, 401))
    with pytest.raises(create_record.AuthFactorTokenRequiredError) as info:
        await run(net.client().test.repo.create_record(repo="r", collection="c", record={}))
    assert info.value.status == 401


async def test_no_declared_output_returns_none(net: Harness) -> None:
    net.reply(json_response({"ignored": True}))
    assert await run(net.client().test.misc.delete_session()) is None


async def test_transport_failure_is_a_fetch_error(net: Harness) -> None:
    net.reply(httpx.ConnectError("connection refused"))
    with pytest.raises(XrpcFetchError) as info:
        await timeline(net)
    assert "connection refused" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert info.value.should_retry()
    assert info.value.error == "InternalServerError"


async def test_errors_raised_by_the_agent_pass_through(net: Harness) -> None:
    from atlex.errors import XrpcInternalError

    net.reply(XrpcInternalError("Logged out"))
    with pytest.raises(XrpcInternalError, match="Logged out") as info:
        await timeline(net)
    assert not isinstance(info.value, XrpcFetchError)


async def test_generic_call_outputs(net: Harness) -> None:
    client = net.client()
    net.reply(
        httpx.Response(200, content=b"car", headers={"content-type": "application/vnd.ipld.car"}),
        httpx.Response(200),
        json_response({"error": "Nope"}, 400),
    )
    assert await run(client.call("x.example.car")) == b"car"
    assert await run(client.call("x.example.empty")) is None
    with pytest.raises(XrpcError, match="Nope"):
        await run(client.call("x.example.fail"))
