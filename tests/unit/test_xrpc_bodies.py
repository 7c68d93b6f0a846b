"""Procedure bodies: JSON inputs, binary inputs and their content type (both clients)."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from _fake_lex import create_record, upload_blob
from _fake_lex.harness import Harness, json_response, run

from atlex._ns import BinaryBody, CallOptions

pytestmark = pytest.mark.anyio

CREATED = {"uri": "at://did:plc:a/test.feed.post/1", "cid": "bafyrei"}
BLOB = {
    "blob": {
        "$type": "blob",
        "ref": {"$link": "bafkrei"},
        "mimeType": "image/png",
        "size": 3,
    }
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def net(request: pytest.FixtureRequest) -> Harness:
    return Harness(request.param)


async def test_json_input_is_encoded_by_wire_name_without_unset(net: Harness) -> None:
    net.reply(json_response(CREATED))
    post = create_record.Post(text="hi", created_at="2026-01-01T00:00:00Z")
    out = await run(
        net.client().test.repo.create_record(
            repo="did:plc:a", collection="test.feed.post", record=post, swap_commit="bafyc"
        )
    )
    assert isinstance(out, create_record.Output)
    assert out.uri == CREATED["uri"]
    request = net.request
    assert request.method == "POST"
    assert request.url.path == "/xrpc/test.repo.createRecord"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(net.bodies[0]) == {
        "repo": "did:plc:a",
        "collection": "test.feed.post",
        "record": {"$type": "test.feed.post", "text": "hi", "createdAt": "2026-01-01T00:00:00Z"},
        "swapCommit": "bafyc",
    }


async def test_json_input_accepts_plain_dicts(net: Harness) -> None:
    net.reply(json_response(CREATED))
    record = {"$type": "test.feed.post", "text": "x", "unknownField": [1]}
    await run(net.client().test.repo.create_record(repo="r", collection="c", record=record))
    assert json.loads(net.bodies[0])["record"] == record


async def test_unencodable_json_input_fails_before_io(net: Harness) -> None:
    with pytest.raises(TypeError, match=r"test\.repo\.createRecord"):
        await run(net.client().test.repo.create_record(repo="r", collection="c", record=object()))
    assert net.requests == []


async def test_binary_bytes_default_to_octet_stream(net: Harness) -> None:
    net.reply(json_response(BLOB))
    out = await run(net.client().test.repo.upload_blob(b"\x89PN"))
    assert isinstance(out, upload_blob.Output)
    assert out.blob.cid_str == "bafkrei"
    assert net.request.headers["content-type"] == "application/octet-stream"
    assert net.bodies == [b"\x89PN"]


async def test_binary_explicit_content_type_wins(net: Harness) -> None:
    net.reply(json_response(BLOB))
    await run(net.client().test.repo.upload_blob(bytearray(b"abc"), content_type="image/png"))
    assert net.request.headers["content-type"] == "image/png"
    assert net.bodies == [b"abc"]


async def test_binary_from_a_file(net: Harness) -> None:
    net.reply(json_response(BLOB))
    data = bytes(range(256)) * 1000  # several read chunks
    await run(net.client().test.repo.upload_blob(io.BytesIO(data), content_type="image/png"))
    assert net.bodies == [data]


async def test_binary_from_an_iterator(net: Harness) -> None:
    net.reply(json_response(BLOB))

    def chunks() -> Iterator[bytes]:
        yield b"ab"
        yield b"cd"

    await run(net.client().test.repo.upload_blob(chunks()))
    assert net.bodies == [b"abcd"]


async def test_binary_from_an_async_iterator_needs_the_async_client(net: Harness) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"cd"

    client = net.client()
    if net.mode == "sync":
        with pytest.raises(TypeError, match="AsyncClient"):
            client.test.repo.upload_blob(chunks())
        assert net.requests == []
    else:
        net.reply(json_response(BLOB))
        await client.test.repo.upload_blob(chunks())
        assert net.bodies == [b"abcd"]


async def test_concrete_lexicon_encoding_is_used(net: Harness) -> None:
    net.reply(json_response({}))
    await run(net.client().test.misc.upload_video(b"mp4"))
    assert net.request.headers["content-type"] == "video/mp4"


async def test_content_type_must_match_the_lexicon_encoding(net: Harness) -> None:
    with pytest.raises(ValueError, match=r'content-type "image/png".*"video/mp4"'):
        await run(net.client().test.misc.upload_video(b"x", content_type="image/png"))
    assert net.requests == []


async def test_wildcard_encoding_needs_a_content_type(net: Harness) -> None:
    client = net.client()
    with pytest.raises(ValueError, match=r"image/\*.*content_type"):
        await run(client.test.misc.upload_image(b"x"))
    assert net.requests == []
    net.reply(httpx_empty())
    await run(client.test.misc.upload_image(b"x", content_type="image/webp"))
    assert net.request.headers["content-type"] == "image/webp"


async def test_caller_content_type_header_is_refused(net: Harness) -> None:
    options = CallOptions(headers={"Content-Type": "text/plain"})
    with pytest.raises(ValueError, match="content-type"):
        await run(net.client().test.misc.delete_session(options=options))
    assert net.requests == []


async def test_procedure_without_input_sends_no_body(net: Harness) -> None:
    net.reply(httpx_empty())
    assert await run(net.client().test.misc.delete_session()) is None
    assert net.request.method == "POST"
    assert "content-type" not in net.request.headers
    assert net.bodies == [b""]


async def test_generic_call_sends_json_or_binary(net: Harness) -> None:
    client = net.client()
    net.reply(json_response({"a": 1}), httpx_empty())
    assert await run(client.call("x.example.post", input={"b": [1]})) == {"a": 1}
    assert await run(client.call("x.example.put", input=BinaryBody(b"raw", "text/csv"))) is None
    first, second = net.requests
    assert first.method == "POST" and json.loads(net.bodies[0]) == {"b": [1]}
    assert first.headers["content-type"] == "application/json"
    assert second.method == "POST" and net.bodies[1] == b"raw"
    assert second.headers["content-type"] == "text/csv"


async def test_generic_procedure_without_input(net: Harness) -> None:
    net.reply(httpx_empty())
    await run(net.client().call("x.example.ping", procedure=True))
    assert net.request.method == "POST"


def httpx_empty() -> httpx.Response:
    return httpx.Response(200)
