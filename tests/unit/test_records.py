"""Record helpers on Client and AsyncClient against an in-memory PDS (httpx.MockTransport):
keys, repo defaults, typed reads, list/list_all, apply_writes, blobs, swaps, PDS routing."""

from __future__ import annotations

import io
import json
from typing import Any

import msgspec
import pytest
from _records_pds import DID, FakePds, cid_for, client_for, collect, run

from atlex import Blob, CallOptions, now
from atlex.errors import LexValidationError, XrpcInvalidResponseError
from atlex.lex.app.bsky.actor import profile
from atlex.lex.app.bsky.embed import images
from atlex.lex.app.bsky.feed import generator, like, post
from atlex.lex.com.atproto.repo import (
    apply_writes,
    create_record,
    get_record,
    put_record,
    strong_ref,
)
from atlex.records import Create, Delete, ListedRecord, RecordPage, RecordResult, Update

pytestmark = pytest.mark.anyio

POST = "app.bsky.feed.post"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pds() -> FakePds:
    return FakePds()


def a_post(text: str = "hello") -> post.Record:
    return post.Record(text=text, created_at="2024-05-01T12:00:00.000Z")


# --- create ---


async def test_create_sends_the_typed_record_to_the_own_repo(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    out = await run(client.create(a_post()))
    assert isinstance(out, create_record.Output)
    assert out.uri.startswith(f"at://{DID}/{POST}/")
    (body,) = pds.bodies
    assert body == {
        "repo": DID,
        "collection": POST,
        "record": {"$type": POST, "text": "hello", "createdAt": "2024-05-01T12:00:00.000Z"},
    }  # no rkey: the server picks a TID; no "validate": the server decides


async def test_create_passes_validate_swap_commit_and_a_given_key(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    rkey = "3kzq2nqbbnk2a"
    out = await run(client.create(a_post(), rkey=rkey, validate=False, swap_commit=pds.head))
    assert out.uri == f"at://{DID}/{POST}/{rkey}"
    assert pds.bodies[0]["validate"] is False
    assert pds.bodies[0]["rkey"] == rkey
    assert "swapCommit" in pds.bodies[0]


async def test_swap_commit_conflict_is_the_generated_error(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    stale = cid_for(b"stale")
    with pytest.raises(create_record.InvalidSwapError) as caught:
        await run(client.create(a_post(), swap_commit=stale))
    assert caught.value.error == "InvalidSwap"


async def test_literal_keys_default_and_must_match(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    out = await run(client.create(profile.Record(display_name="Alice")))
    assert out.uri.endswith("/app.bsky.actor.profile/self")
    assert pds.bodies[0]["rkey"] == "self"
    with pytest.raises(LexValidationError, match="fixed key 'self'") as caught:
        await run(client.create(profile.Record(), rkey="other"))
    assert caught.value.path == "rkey"
    assert len(pds.requests) == 1  # nothing sent for the bad key


@pytest.mark.parametrize(
    ("record_type", "rkey", "reason"),
    [
        (post.Record, "not-a-tid", "invalid tid"),
        (post.Record, "..", "not allowed"),
        (generator.Record, "with space", "record-key"),
        (generator.Record, "x" * 513, "1-512"),
    ],
)
async def test_given_keys_are_checked_by_key_type(
    mode: str, pds: FakePds, record_type: Any, rkey: str, reason: str
) -> None:
    client = client_for(mode, pds)
    with pytest.raises(LexValidationError, match=reason):
        await run(client.get(record_type, rkey=rkey))
    assert pds.requests == []


async def test_keys_that_the_server_cannot_choose_are_required(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    with pytest.raises(TypeError, match="pass rkey"):
        await run(client.get(post.Record))
    with pytest.raises(TypeError, match="pass rkey"):
        await run(client.put(a_post()))
    with pytest.raises(TypeError, match="pass rkey"):
        await run(client.delete(like.Record))
    assert pds.requests == []


async def test_record_helpers_want_generated_record_types(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    with pytest.raises(TypeError, match="not a dict"):
        await run(client.create({"$type": POST, "text": "x"}))
    with pytest.raises(TypeError, match="not a record type"):
        await run(client.create(images.Image(image=_blob(), alt="")))
    with pytest.raises(TypeError, match="not a record type"):
        await run(client.list(images.Main))


async def test_unauthenticated_clients_need_an_explicit_repo(mode: str, pds: FakePds) -> None:
    anonymous = client_for(mode, pds, did=None)
    with pytest.raises(RuntimeError, match="not authenticated"):
        await run(anonymous.create(a_post()))
    assert pds.requests == []
    pds.store(POST, "3kzq2nqbbnk2a", {"$type": POST, "text": "hi", "createdAt": now()})
    got = await run(anonymous.get(post.Record, rkey="3kzq2nqbbnk2a", repo=DID))
    assert got.value.text == "hi"


async def test_record_helpers_skip_the_client_proxy_and_labelers(mode: str, pds: FakePds) -> None:
    client = client_for(
        mode, pds, proxy="did:web:api.test#bsky_appview", labelers=["did:plc:labeler"]
    )
    await run(client.create(a_post()))
    await run(client.upload_blob(b"data", "image/png"))
    for request in pds.requests:
        assert "atproto-proxy" not in request.headers
        assert "atproto-accept-labelers" not in request.headers


async def test_explicit_call_options_still_apply(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds, proxy="did:web:api.test#bsky_appview")
    options = CallOptions(proxy="did:web:other.test#svc", headers={"x-trace": "1"})
    await run(client.create(a_post(), options=options))
    (request,) = pds.requests
    assert request.headers["atproto-proxy"] == "did:web:other.test#svc"
    assert request.headers["x-trace"] == "1"


# --- get / put / delete ---


async def test_get_returns_the_typed_value_and_the_stored_json(mode: str, pds: FakePds) -> None:
    stored = {"$type": POST, "text": "typed", "createdAt": "2024-05-01T12:00:00.000Z"}
    cid = pds.store(POST, "3kzq2nqbbnk2a", stored)
    got: RecordResult[post.Record] = await run(
        client_for(mode, pds).get(post.Record, rkey="3kzq2nqbbnk2a")
    )
    assert isinstance(got, RecordResult)
    assert isinstance(got.value, post.Record)
    assert got.value.text == "typed"
    assert (got.uri, got.cid, got.rkey, got.repo) == (
        f"at://{DID}/{POST}/3kzq2nqbbnk2a",
        cid,
        "3kzq2nqbbnk2a",
        DID,
    )
    assert got.raw == stored
    assert pds.bodies[0] == {"repo": DID, "collection": POST, "rkey": "3kzq2nqbbnk2a"}


async def test_get_of_an_invalid_record_names_the_problem(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    pds.store(POST, "3kzq2nqbbnk2a", {"$type": POST, "text": "x" * 3001, "createdAt": now()})
    with pytest.raises(LexValidationError, match="3000 bytes") as caught:
        await run(client.get(post.Record, rkey="3kzq2nqbbnk2a"))
    assert caught.value.path == "$.text"
    pds.store(POST, "3kzq2nqbbnk2b", {"$type": "app.bsky.feed.like", "createdAt": now()})
    with pytest.raises(
        LexValidationError,
        match=r"\$type is 'app\.bsky\.feed\.like', expected 'app\.bsky\.feed\.post'",
    ):
        await run(client.get(post.Record, rkey="3kzq2nqbbnk2b"))
    pds.store(POST, "3kzq2nqbbnk2c", {"$type": POST, "createdAt": now()})
    with pytest.raises(LexValidationError, match="text") as missing:
        await run(client.get(post.Record, rkey="3kzq2nqbbnk2c"))
    assert missing.value.path == "$"


async def test_missing_record_raises_the_declared_error(mode: str, pds: FakePds) -> None:
    with pytest.raises(get_record.RecordNotFoundError):
        await run(client_for(mode, pds).get(post.Record, rkey="3kzq2nqbbnk2a"))


async def test_put_a_fetched_record_defaults_rkey_and_honours_swap(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    pds.store(POST, "3kzq2nqbbnk2a", {"$type": POST, "text": "v1", "createdAt": now()})
    got = await run(client.get(post.Record, rkey="3kzq2nqbbnk2a"))
    got.value.text = "v2"
    out = await run(client.put(got, swap_record=got.cid))
    assert isinstance(out, put_record.Output)
    assert pds.value(POST, "3kzq2nqbbnk2a")["text"] == "v2"
    assert pds.bodies[-1]["rkey"] == "3kzq2nqbbnk2a"
    assert pds.bodies[-1]["swapRecord"] == got.cid
    with pytest.raises(put_record.InvalidSwapError):  # the record moved on since the read
        await run(client.put(got, swap_record=got.cid))


async def test_put_and_delete_by_type_and_key(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    await run(client.put(a_post("by key"), rkey="3kzq2nqbbnk2a"))
    assert pds.value(POST, "3kzq2nqbbnk2a")["text"] == "by key"
    cid = pds.records[(DID, POST, "3kzq2nqbbnk2a")][0]
    await run(client.delete(post.Record, rkey="3kzq2nqbbnk2a", swap_record=cid))
    assert (DID, POST, "3kzq2nqbbnk2a") not in pds.records
    assert pds.bodies[-1] == {
        "repo": DID,
        "collection": POST,
        "rkey": "3kzq2nqbbnk2a",
        "swapRecord": cid,
    }


# --- list / list_all ---


def _seed(pds: FakePds, n: int) -> list[str]:
    keys = [f"3kzq2nqbb{i:04d}" for i in range(n)]
    for i, key in enumerate(keys):
        pds.store(POST, key, {"$type": POST, "text": f"post {i}", "createdAt": now()})
    return keys


async def test_list_marks_items_valid_or_invalid(mode: str, pds: FakePds) -> None:
    pds.store(POST, "3kzq2nqbbnk2a", {"$type": POST, "text": "fine", "createdAt": now()})
    broken = {"$type": POST, "text": "no date"}
    pds.store(POST, "3kzq2nqbbnk2b", broken)
    pds.store(POST, "3kzq2nqbbnk2c", {"$type": POST, "text": 7, "createdAt": now()})
    page: RecordPage[post.Record] = await run(client_for(mode, pds).list(post.Record, limit=10))
    assert isinstance(page, RecordPage)
    assert page.cursor is None
    by_key = {item.rkey: item for item in page.records}
    good = by_key["3kzq2nqbbnk2a"]
    assert isinstance(good, ListedRecord)
    assert good.valid and good.error is None
    assert isinstance(good.value, post.Record) and good.value.text == "fine"
    missing = by_key["3kzq2nqbbnk2b"]
    assert not missing.valid and missing.value is None
    assert missing.raw == broken
    assert isinstance(missing.error, LexValidationError)
    assert "createdAt" in str(missing.error)
    wrong_type = by_key["3kzq2nqbbnk2c"]
    assert not wrong_type.valid
    assert wrong_type.error is not None and wrong_type.error.path == "$.text"
    assert pds.bodies[0] == {"repo": DID, "collection": POST, "limit": "10"}


async def test_list_pages_with_the_cursor(mode: str, pds: FakePds) -> None:
    keys = _seed(pds, 5)
    client = client_for(mode, pds)
    first = await run(client.list(post.Record, limit=3))
    assert [r.rkey for r in first.records] == keys[::-1][:3]
    assert first.cursor == keys[2]
    second = await run(client.list(post.Record, limit=3, cursor=first.cursor))
    assert [r.rkey for r in second.records] == keys[::-1][3:]
    assert second.cursor is None
    oldest = await run(client.list(post.Record, limit=2, reverse=True))
    assert [r.rkey for r in oldest.records] == keys[:2]


async def test_list_all_reads_every_page(mode: str, pds: FakePds) -> None:
    keys = _seed(pds, 250)
    items = await collect(client_for(mode, pds).list_all(post.Record))
    assert [item.rkey for item in items] == keys[::-1]
    assert all(item.valid for item in items)
    assert [b.get("cursor") for b in pds.bodies] == [None, keys[150], keys[50]]
    assert {b["limit"] for b in pds.bodies} == {"100"}


async def test_list_all_stops_when_the_server_repeats_a_cursor(mode: str, pds: FakePds) -> None:
    _seed(pds, 3)
    pds.page_cursor_override = "same"
    items = await collect(client_for(mode, pds).list_all(post.Record, limit=2))
    # page 1 (cursor "same" is new), page 2 (repeats "same"): stop instead of looping forever
    assert len(pds.requests) == 2
    assert len(items) == 4


async def test_list_all_is_lazy(mode: str, pds: FakePds) -> None:
    _seed(pds, 5)
    iterator = client_for(mode, pds).list_all(post.Record, limit=2)
    if mode == "sync":
        first = next(iterator)
    else:
        first = await iterator.__anext__()
    assert first.valid
    assert len(pds.requests) == 1


# --- apply_writes ---


async def test_apply_writes_sends_typed_operations(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    pds.store(POST, "3kzq2nqbbnk2a", {"$type": POST, "text": "old", "createdAt": now()})
    pds.store(POST, "3kzq2nqbbnk2b", {"$type": POST, "text": "doomed", "createdAt": now()})
    out = await run(
        client.apply_writes(
            [
                Create(a_post("new")),
                Create(profile.Record(display_name="A")),
                Update(a_post("edited"), rkey="3kzq2nqbbnk2a"),
                Delete(post.Record, rkey="3kzq2nqbbnk2b"),
            ],
            validate=True,
        )
    )
    assert isinstance(out, apply_writes.Output)
    assert isinstance(out.results, list)
    kinds: list[type] = [type(r) for r in out.results]
    assert kinds == [
        apply_writes.CreateResult,
        apply_writes.CreateResult,
        apply_writes.UpdateResult,
        apply_writes.DeleteResult,
    ]
    body = pds.bodies[0]
    assert body["repo"] == DID and body["validate"] is True
    ops = body["writes"]
    assert ops[0] == {
        "$type": "com.atproto.repo.applyWrites#create",
        "collection": POST,
        "value": {"$type": POST, "text": "new", "createdAt": "2024-05-01T12:00:00.000Z"},
    }
    assert ops[1]["rkey"] == "self"
    assert ops[2]["$type"] == "com.atproto.repo.applyWrites#update"
    assert ops[3] == {
        "$type": "com.atproto.repo.applyWrites#delete",
        "collection": POST,
        "rkey": "3kzq2nqbbnk2b",
    }
    assert pds.value(POST, "3kzq2nqbbnk2a")["text"] == "edited"
    assert (DID, POST, "3kzq2nqbbnk2b") not in pds.records


async def test_apply_writes_rejects_bad_operations_before_sending(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    with pytest.raises(LexValidationError) as caught:
        await run(client.apply_writes([Create(a_post()), Delete(post.Record, rkey="bad key")]))
    assert caught.value.path == "$.writes[1].rkey"
    with pytest.raises(TypeError, match="writes\\[0\\]"):
        await run(client.apply_writes([a_post()]))
    with pytest.raises(TypeError, match="list of operations"):
        await run(client.apply_writes(Create(a_post())))
    with pytest.raises(apply_writes.InvalidSwapError):
        await run(client.apply_writes([Create(a_post())], swap_commit=cid_for(b"old")))
    assert len(pds.requests) == 1


# --- blobs ---


def _blob() -> Blob:
    return Blob.create(cid_for(b"png", codec=0x55), "image/png", 3)


async def test_upload_blob_returns_a_blob_to_embed(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    blob = await run(client.upload_blob(b"\x89PNG data", "image/png"))
    assert isinstance(blob, Blob)
    assert not blob.is_legacy
    assert blob.mime_type == "image/png" and blob.size == 9
    assert pds.blobs[blob.cid_str] == b"\x89PNG data"
    assert pds.requests[0].headers["content-type"] == "image/png"
    embed = images.Main(images=[images.Image(image=blob, alt="a picture")])
    record = post.Record(text="pic", created_at=now(), embed=embed)
    await run(client.create(record))
    image = pds.bodies[-1]["record"]["embed"]["images"][0]["image"]
    assert image == {
        "$type": "blob",
        "ref": {"$link": blob.cid_str},
        "mimeType": "image/png",
        "size": 9,
    }


async def test_upload_blob_streams_a_file(mode: str, pds: FakePds) -> None:
    data = bytes(range(256)) * 1000
    blob = await run(client_for(mode, pds).upload_blob(io.BytesIO(data), "video/mp4"))
    assert blob.size == len(data) and blob.mime_type == "video/mp4"
    assert pds.blobs[blob.cid_str] == data


async def test_upload_blob_checks_the_mime_type(mode: str, pds: FakePds) -> None:
    with pytest.raises(ValueError, match="MIME type"):
        await run(client_for(mode, pds).upload_blob(b"x", "png"))
    assert pds.requests == []


async def test_a_legacy_blob_answer_is_not_returned(
    mode: str, pds: FakePds, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    def legacy(request: httpx.Request, content: bytes) -> httpx.Response:
        body = {"blob": {"cid": cid_for(content, 0x55), "mimeType": "image/png"}}
        return httpx.Response(200, json=body)

    monkeypatch.setattr(pds, "upload_blob", legacy)
    with pytest.raises(XrpcInvalidResponseError, match="legacy"):
        await run(client_for(mode, pds).upload_blob(b"x", "image/png"))


async def test_legacy_blobs_are_never_written(mode: str, pds: FakePds) -> None:
    legacy = Blob(mime_type="image/png", cid=cid_for(b"old", 0x55))
    record = post.Record(
        text="old", created_at=now(), embed=images.Main(images=[images.Image(image=legacy, alt="")])
    )
    with pytest.raises(LexValidationError, match="legacy blob") as caught:
        await run(client_for(mode, pds).create(record))
    assert caught.value.path == "$.embed.images[0].image"
    assert pds.requests == []


# --- what goes over the wire ---


async def test_a_new_record_is_sent_with_type_on_records_and_union_members(
    mode: str, pds: FakePds
) -> None:
    ref = strong_ref.Main(uri=f"at://{DID}/{POST}/3kzq2nqbbnk2a", cid=cid_for(b"x"))
    embed = images.Main(images=[images.Image(image=_blob(), alt="a")])
    record = post.Record(
        text="reply",
        created_at=now(),
        reply=post.ReplyRef(root=ref, parent=ref),
        langs=["en"],
        embed=embed,
    )
    await run(client_for(mode, pds).create(record))
    sent = json.loads(pds.requests[0].content)["record"]
    # msgspec writes $type on every tagged class; a strongRef in a plain ref position has none
    expected = msgspec.to_builtins(record)
    for key in ("root", "parent"):
        del expected["reply"][key]["$type"]
    assert sent == expected
    assert sent["$type"] == "app.bsky.feed.post"
    assert sent["embed"]["$type"] == "app.bsky.embed.images"
    assert sent["reply"]["root"]["uri"] == ref.uri
    assert "createdAt" in sent and "created_at" not in sent
