"""The bare data path is lossless and spec-exact (issue 15): ``atlex.decode`` / ``convert`` ->
``atlex.encode`` gives the same JSON (keys, values, ``$type`` presence and spelling), unknown
members at every depth included; ``$type`` where the spec puts it on new objects; ``nsid#main``,
malformed ``$type``s, unpaired surrogates; every failure a ``LexError`` with a path."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from _records_pds import DID, FakePds, client_for, run
from _samples import CID, Sampler, output_types, record_types

import atlex
from atlex import LexValidationError, SchemaMismatchError
from atlex.errors import LexError
from atlex.lex.app.bsky.embed import images
from atlex.lex.app.bsky.embed import record as embed_record
from atlex.lex.app.bsky.feed import get_post_thread, like, post
from atlex.lex.com.atproto.repo import strong_ref

RECORDS = record_types()
OUTPUTS = output_types()


def _round_trip(raw: dict[str, Any], cls: type[Any], **options: Any) -> tuple[Any, Any]:
    decoded = json.loads(atlex.encode(atlex.decode(json.dumps(raw), cls, **options)))
    converted = json.loads(atlex.encode(atlex.convert(json.loads(json.dumps(raw)), cls, **options)))
    return decoded, converted


def test_the_samples_cover_the_upstream_records_and_outputs() -> None:
    assert len(RECORDS) >= 20 and any(c is post.Record for c in RECORDS)
    assert len(OUTPUTS) >= 200


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.LEX_TYPE)
def test_every_record_type_round_trips_with_unknown_members_at_every_depth(cls: Any) -> None:
    raw = Sampler(unknown=True).record(cls)
    assert "zzFuture0" in raw
    decoded, converted = _round_trip(raw, cls)
    assert decoded == raw
    assert converted == raw


def test_every_output_type_round_trips_when_asked_to_be_lossless() -> None:
    for cls in OUTPUTS:
        raw = Sampler(unknown=True).object(cls, 0, union=False)
        decoded, converted = _round_trip(raw, cls, lossless=True)
        assert decoded == raw, cls
        assert converted == raw, cls


def test_a_method_answer_decodes_for_speed_and_writes_type_by_position() -> None:
    # the upstream getPostThread answer shape: no $type on `post` or `embed.record` (plain refs)
    view = {
        "uri": f"at://{DID}/app.bsky.feed.post/1",
        "cid": CID,
        "author": {"did": DID, "handle": "a.test"},
        "record": {"$type": "app.bsky.feed.post", "text": "t", "createdAt": "2024-01-01T00:00:00Z"},
        "indexedAt": "2024-01-01T00:00:00Z",
        "futureView": 1,
    }
    thread = {"thread": {"$type": "app.bsky.feed.defs#threadViewPost", "post": view}}
    out = atlex.decode(json.dumps(thread), get_post_thread.Output)
    again = json.loads(atlex.encode(out))
    assert "$type" not in again["thread"]["post"]  # it did not gain one
    assert again["thread"]["$type"] == "app.bsky.feed.defs#threadViewPost"
    assert "futureView" not in again["thread"]["post"]  # documented: answers decode for speed
    exact = atlex.decode(json.dumps(thread), get_post_thread.Output, lossless=True)
    assert json.loads(atlex.encode(exact)) == thread


def test_readme_example_keeps_a_new_field() -> None:
    raw = (
        b'{"$type":"app.bsky.feed.post","text":"hi","createdAt":"2024-05-01T12:00:00Z",'
        b'"someNewField":{"x":1},"embed":{"$type":"app.bsky.embed.images","images":'
        b'[{"alt":"a","image":{"$type":"blob","ref":{"$link":"' + CID.encode() + b'"},'
        b'"mimeType":"image/png","size":1},"newInItem":true}]}}'
    )
    value = atlex.decode(raw, post.Record)
    value.text = "changed"
    out = json.loads(atlex.encode(value))
    assert out["someNewField"] == {"x": 1}
    assert out["embed"]["images"][0]["newInItem"] is True
    assert out["text"] == "changed"


def test_type_presence_in_plain_refs_is_kept_as_read() -> None:
    bare = {"uri": f"at://{DID}/app.bsky.feed.post/1", "cid": CID}
    typed = {"$type": "com.atproto.repo.strongRef", **bare}
    base = {"$type": "app.bsky.feed.like", "createdAt": "2024-01-01T00:00:00Z"}
    for subject in (bare, typed):
        raw = {**base, "subject": subject}
        assert json.loads(atlex.encode(atlex.decode(json.dumps(raw), like.Record))) == raw


def test_new_objects_get_type_on_records_and_union_members_only() -> None:
    ref = strong_ref.Main(uri=f"at://{DID}/app.bsky.feed.post/1", cid=CID)
    liked = json.loads(atlex.encode(like.Record(subject=ref, created_at="2024-01-01T00:00:00Z")))
    assert liked["$type"] == "app.bsky.feed.like"
    assert "$type" not in liked["subject"]  # a plain ref
    quote = post.Record(
        text="q", created_at="2024-01-01T00:00:00Z", embed=embed_record.Main(record=ref)
    )
    out = json.loads(atlex.encode(quote))
    assert out["embed"]["$type"] == "app.bsky.embed.record"  # a union member in a union field
    assert "$type" not in out["embed"]["record"]
    # inside an `unknown` value (e.g. createRecord's `record`), an object describes itself
    assert json.loads(atlex.encode({"record": quote}))["record"]["$type"] == "app.bsky.feed.post"


def test_replacing_an_object_drops_what_the_old_one_kept() -> None:
    raw = Sampler(unknown=True).record(post.Record)
    value = atlex.decode(json.dumps(raw), post.Record)
    value.reply = post.ReplyRef(
        root=strong_ref.Main(uri="at://x/y/z", cid=CID),
        parent=strong_ref.Main(uri="at://x/y/z", cid=CID),
    )
    out = json.loads(atlex.encode(value))
    assert out["zzFuture0"] == raw["zzFuture0"]
    assert out["reply"] == {
        "root": {"uri": "at://x/y/z", "cid": CID},
        "parent": {"uri": "at://x/y/z", "cid": CID},
    }


def test_msgspec_refuses_an_object_whose_kept_members_it_would_drop() -> None:
    value = atlex.decode(
        b'{"$type":"app.bsky.feed.post","text":"t","createdAt":"x","new":1}', post.Record
    )
    with pytest.raises(TypeError):
        msgspec.json.encode(value)
    clean = atlex.decode(b'{"$type":"app.bsky.feed.post","text":"t","createdAt":"x"}', post.Record)
    assert clean == post.Record(text="t", created_at="x")
    assert msgspec.json.encode(clean) == atlex.encode(clean)


# --- $type spelling -----------------------------------------------------------------------------

MAIN_SUFFIX: dict[str, Any] = {
    "$type": "app.bsky.feed.post",
    "text": "t",
    "createdAt": "2024-01-01T00:00:00Z",
    "embed": {"$type": "app.bsky.embed.images#main", "images": []},
}


def test_main_suffix_decodes_as_that_type_and_round_trips() -> None:
    value = atlex.decode(json.dumps(MAIN_SUFFIX), post.Record)
    assert isinstance(value.embed, images.Main)
    assert json.loads(atlex.encode(value)) == MAIN_SUFFIX
    assert isinstance(atlex.convert(MAIN_SUFFIX, post.Record).embed, images.Main)


def test_main_suffix_with_a_bad_body_is_rejected() -> None:
    bad: dict[str, Any] = {
        **MAIN_SUFFIX,
        "embed": {"$type": "app.bsky.embed.images#main", "images": 5},
    }
    with pytest.raises(SchemaMismatchError) as caught:
        atlex.decode(json.dumps(bad), post.Record)
    assert caught.value.path == "$.embed.images"
    with pytest.raises(SchemaMismatchError):
        atlex.convert(bad, post.Record)


@pytest.mark.parametrize("kind", ["com.example.x#main#main", "a.b.c#d#e", ""])
def test_malformed_type_in_an_open_union_is_rejected(kind: str) -> None:
    bad: dict[str, Any] = {**MAIN_SUFFIX, "embed": {"$type": kind, "n": 1}}
    for attempt in (
        lambda: atlex.decode(json.dumps(bad), post.Record),
        lambda: atlex.convert(bad, post.Record),
    ):
        with pytest.raises(SchemaMismatchError) as caught:
            attempt()
        assert caught.value.path == "$.embed.$type"
        assert isinstance(caught.value, LexError)


def test_validate_rejects_a_malformed_type_kept_as_data() -> None:
    value = post.Record(text="t", created_at="2024-01-01T00:00:00Z", embed={"$type": "a.b.c#d#e"})
    with pytest.raises(LexValidationError) as caught:
        value.validate()
    assert caught.value.path == "$.embed.$type"


# --- unpaired surrogates --------------------------------------------------------------------------

SURROGATE = (
    b'{"$type":"app.bsky.feed.post","text":"a\\ud800b\\udfff","createdAt":"2024-01-01T00:00:00Z"}'
)


def test_unpaired_surrogates_are_read_counted_and_written_back() -> None:
    value = atlex.decode(SURROGATE, post.Record)
    assert value.text == "a\ud800b\udfff"
    value.validate()  # 1 + 3 + 1 + 3 bytes, as the reference counts them
    assert json.loads(atlex.encode(value)) == json.loads(SURROGATE)
    too_long = post.Record(text="\ud800" * 1001, created_at="2024-01-01T00:00:00Z")
    with pytest.raises(LexValidationError, match="3000 bytes"):
        too_long.validate()


def test_malformed_json_is_a_lex_error() -> None:
    for bad in (b"{x", b"", b'{"text": "\\ud800', b"[1,", b"NaN"):
        with pytest.raises(LexValidationError) as caught:
            atlex.decode(bad, post.Record)
        assert caught.value.path == "$"
        assert isinstance(caught.value, msgspec.DecodeError)


# --- lenient on read, strict on write ------------------------------------------------------------

OLD_LIKE = {
    "$type": "app.bsky.feed.like",
    "subject": {"uri": f"at://{DID}/app.bsky.feed.post/3kzq2nqbbnk2a", "cid": CID},
    "createdAt": "2023-08-26T12:19:50.226623",
}


def test_a_datetime_without_timezone_passes_lenient_validation_only() -> None:
    value = atlex.decode(json.dumps(OLD_LIKE), like.Record)
    value.validate(strict=False)
    with pytest.raises(LexValidationError) as caught:
        value.validate()
    assert caught.value.path == "$.createdAt"
    for lenient_only in ("2023-08-26T12:19", "2023-08-26T12:19:50z", "2023-08-26T12:19:50+0200"):
        like.Record(subject=value.subject, created_at=lenient_only).validate(strict=False)
    for never in ("2023-02-30T12:19:50", "yesterday", "2023-08-26"):
        with pytest.raises(LexValidationError):
            like.Record(subject=value.subject, created_at=never).validate(strict=False)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_records_read_leniently_written_strictly(mode: str) -> None:
    pds = FakePds()
    pds.store("app.bsky.feed.like", "3kzq2nqbbnk2a", dict(OLD_LIKE))
    client = client_for(mode, pds, validate_request=True)
    got = await run(client.get(like.Record, rkey="3kzq2nqbbnk2a"))
    assert got.value.created_at == OLD_LIKE["createdAt"]
    page = await run(client.list(like.Record))
    assert [item.valid for item in page.records] == [True]
    with pytest.raises(LexValidationError) as caught:  # atlex does not write it that way
        await run(client.put(got))
    assert caught.value.path == "$.record.createdAt"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_decoded_record_sent_through_a_raw_call_keeps_its_members(mode: str) -> None:
    pds = FakePds()
    client = client_for(mode, pds, validate_request=True)
    raw = {
        "$type": "app.bsky.feed.post",
        "text": "t",
        "createdAt": "2024-01-01T00:00:00Z",
        "new": 1,
    }
    value = atlex.decode(json.dumps(raw), post.Record)
    await run(
        client.com.atproto.repo.create_record(
            repo=DID, collection="app.bsky.feed.post", record=value
        )
    )
    assert json.loads(pds.requests[0].content)["record"] == raw
