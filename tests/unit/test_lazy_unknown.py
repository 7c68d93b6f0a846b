"""Typed, lazily decoded values in lexicon `unknown` positions (atlex._lazy)."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import pytest

import atlex
from atlex._lazy import class_named, plain_value, raw_value
from atlex.lex.app.bsky.actor.defs import ProfileViewBasic
from atlex.lex.app.bsky.embed import get_embed_external_view, images
from atlex.lex.app.bsky.embed import record as embed_record
from atlex.lex.app.bsky.feed import get_timeline, like, post
from atlex.lex.app.bsky.feed.defs import PostView
from atlex.lex.com.atproto.repo import create_record, strong_ref

DID = "did:plc:alice"
CID = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
AUTHOR = {"did": DID, "handle": "alice.test"}

# Spelled the way no encoder would write it back on its own: key order, a \u escape, spaces,
# a member no lexicon defines, a plain ref (reply.root) with $type, `#main` on an embed.
ODD_POST = (
    '{"createdAt":"2024-01-01T00:00:00.000Z", "text":"caf\\u00e9",'
    '"$type":"app.bsky.feed.post","zzFuture":{"a":[1,{"b":null}]},'
    '"reply":{"root":{"$type":"com.atproto.repo.strongRef","uri":"at://did:plc:alice/'
    'app.bsky.feed.post/3k","cid":"' + CID + '"},"parent":{"uri":"at://did:plc:alice/'
    'app.bsky.feed.post/3k","cid":"' + CID + '"}},'
    '"embed":{"$type":"app.bsky.embed.external#main","external":{"uri":"https://x.test",'
    '"title":"t","description":"d"}}}'
)
LIKE = (
    '{"$type":"app.bsky.feed.like","subject":{"uri":"at://did:plc:alice/app.bsky.feed.post/3k",'
    '"cid":"' + CID + '"},"createdAt":"2024-01-01T00:00:00.000Z"}'
)
FUTURE = '{"$type":"com.example.future.thing","n":1}'
BROKEN_POST = '{"$type":"app.bsky.feed.post","text":5}'  # text must be a string


def _view(record: str, n: int = 0) -> str:
    return (
        '{"uri":"at://did:plc:alice/app.bsky.feed.post/' + str(n) + '","cid":"' + CID + '",'
        '"author":' + json.dumps(AUTHOR) + ',"record":' + record + ","
        '"indexedAt":"2024-01-01T00:00:00.000Z"}'
    )


def _timeline(*records: str) -> bytes:
    feed = ",".join('{"post":' + _view(r, i) + "}" for i, r in enumerate(records))
    return ('{"feed":[' + feed + '],"cursor":"c"}').encode()


def _decode(*records: str) -> get_timeline.Output:
    return atlex.decode(_timeline(*records), get_timeline.Output)


def test_an_unread_record_costs_no_decode_and_encodes_byte_for_byte() -> None:
    page = _decode(ODD_POST, LIKE, FUTURE)
    for item in page.feed:
        assert type(raw_value(item.post, "record")) is msgspec.Raw
    for text in (atlex.encode(page), msgspec.json.encode(page)):
        for record in (ODD_POST, LIKE, FUTURE):
            assert f'"record":{record}'.encode() in text


def test_reading_gives_the_type_its_type_names_once() -> None:
    page = _decode(ODD_POST, LIKE, FUTURE, BROKEN_POST)
    first, second, third, fourth = (item.post.record for item in page.feed)
    assert isinstance(first, post.Record)
    assert first.text == "café"
    assert page.feed[0].post.record is first  # decoded once, then kept in the slot
    assert isinstance(second, like.Record)
    assert second.subject.cid == CID
    assert third == {"$type": "com.example.future.thing", "n": 1}  # no local lexicon: data
    assert fourth == {"$type": "app.bsky.feed.post", "text": 5}  # does not fit: data


def test_a_read_record_encodes_byte_for_byte_until_changed() -> None:
    page = _decode(ODD_POST)
    record = atlex.record_as(page.feed[0].post.record, post.Record)
    assert f'"record":{ODD_POST}'.encode() in atlex.encode(page)
    assert atlex.encode(record) == ODD_POST.encode()
    record.text = "changed"
    written = json.loads(atlex.encode(page))["feed"][0]["post"]["record"]
    expected: dict[str, Any] = json.loads(ODD_POST)
    expected["text"] = "changed"
    assert written == expected  # the unknown member and the ref's $type are still there


def test_a_changed_read_record_keeps_what_its_json_had_at_each_position() -> None:
    """Documented: the comparison with the source JSON happens when it is written, so an object
    put in place of a nested one of the same type is written with what the JSON had there; one
    of another type is written with its own fields only."""
    page = _decode(ODD_POST)
    record = atlex.record_as(page.feed[0].post.record, post.Record)
    assert isinstance(record.reply, post.ReplyRef)
    record.reply.root = strong_ref.Main(uri="at://did:plc:bob/app.bsky.feed.post/1", cid=CID)
    record.embed = images.Main(images=[])
    written = json.loads(atlex.encode(record))
    assert written["reply"]["root"] == {
        "$type": "com.atproto.repo.strongRef",
        "uri": "at://did:plc:bob/app.bsky.feed.post/1",
        "cid": CID,
    }
    assert written["embed"] == {"$type": "app.bsky.embed.images", "images": []}
    assert written["zzFuture"] == {"a": [1, {"b": None}]}


def test_record_as_narrows_or_says_why_not() -> None:
    page = _decode(ODD_POST, LIKE, FUTURE, BROKEN_POST)
    records = [item.post.record for item in page.feed]
    assert atlex.record_as(records[0], post.Record).text == "café"
    with pytest.raises(atlex.SchemaMismatchError, match=re.escape("app.bsky.feed.like")) as caught:
        atlex.record_as(records[1], post.Record)
    assert caught.value.path == "$.$type"
    with pytest.raises(atlex.SchemaMismatchError, match=re.escape("com.example.future.thing")):
        atlex.record_as(records[2], post.Record)
    with pytest.raises(atlex.LexValidationError) as broken:
        atlex.record_as(records[3], post.Record)
    assert broken.value.path == "$.text"


def test_convert_from_builtins_reads_the_same() -> None:
    data = json.loads(_timeline(ODD_POST, LIKE, FUTURE))
    page = atlex.convert(data, get_timeline.Output)
    assert isinstance(page.feed[0].post.record, post.Record)
    assert isinstance(page.feed[1].post.record, like.Record)
    assert json.loads(atlex.encode(page)) == data


def test_nested_and_listed_unknown_values() -> None:
    view = (
        '{"record":{"$type":"app.bsky.embed.record#viewRecord","uri":"at://did:plc:alice/'
        'app.bsky.feed.post/3k","cid":"' + CID + '","author":' + json.dumps(AUTHOR) + ","
        '"value":' + ODD_POST + ',"indexedAt":"2024-01-01T00:00:00.000Z"}}'
    )
    decoded = atlex.decode(view, embed_record.View)
    assert isinstance(decoded.record, embed_record.ViewRecord)
    assert isinstance(decoded.record.value, post.Record)
    listed = atlex.decode(
        '{"associatedRecords":[' + LIKE + "," + FUTURE + "]}", get_embed_external_view.Output
    )
    assert type(raw_value(listed, "associated_records")) is list
    values = listed.associated_records
    assert isinstance(values, list)
    assert isinstance(values[0], like.Record) and values[1] == json.loads(FUTURE)


def test_validate_checks_unread_values_as_the_reference_checks_unknown() -> None:
    """Unread: an object, not bytes, a link or a blob (what @atproto/lexicon asks of
    `unknown`), checked without decoding it; read: data-model JSON (val15, FINDINGS §9)."""
    page = _decode(ODD_POST, LIKE)
    page.validate(strict=False)
    assert type(raw_value(page.feed[0].post, "record")) is msgspec.Raw  # still unread
    _ = page.feed[0].post.record
    page.validate(strict=False)  # read values check the same way
    link = '{"$link":"bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"}'
    for bad, reason in (("1.5", "object"), ("[1]", "object"), (link, "a link")):
        with pytest.raises(atlex.LexValidationError, match=reason) as caught:
            _decode(bad).validate()
        assert caught.value.path.startswith("$.feed[0].post.record")
    floats = _decode('{"x":1.5}')
    floats.validate()  # unread: its content is not the lexicon's business until read
    assert type(raw_value(floats.feed[0].post, "record")) is msgspec.Raw  # and stays unread
    _ = floats.feed[0].post.record
    with pytest.raises(atlex.LexValidationError, match="float") as caught:
        floats.validate()
    assert caught.value.path.startswith("$.feed[0].post.record")


def test_unknown_values_given_by_hand() -> None:
    """A record or a dict put in an `unknown` field is written as given."""
    made = post.Record(text="hi", created_at="2024-01-01T00:00:00.000Z")
    body = create_record.Input(repo=DID, collection="app.bsky.feed.post", record=made)
    assert json.loads(atlex.encode(body))["record"] == {
        "$type": "app.bsky.feed.post",
        "text": "hi",
        "createdAt": "2024-01-01T00:00:00.000Z",
    }
    view = PostView(
        uri="at://x/y/z",
        cid=CID,
        author=ProfileViewBasic(did=DID, handle="alice.test"),
        record={"$type": "com.example.x", "a": 1},
        indexed_at="2024-01-01T00:00:00.000Z",
    )
    assert view.record == {"$type": "com.example.x", "a": 1}
    assert plain_value(view, "record") == {"$type": "com.example.x", "a": 1}
    assert json.loads(atlex.encode(view))["record"] == {"$type": "com.example.x", "a": 1}


@pytest.mark.parametrize(
    ("tag", "name"),
    [
        ("app.bsky.feed.post", "app.bsky.feed.post"),
        ("app.bsky.feed.post#main", "app.bsky.feed.post"),
        ("app.bsky.feed.defs#postView", "app.bsky.feed.defs#postView"),
        ("app.bsky.feed.post#main#main", None),
        ("com.example.nothing", None),
        ("not an nsid", None),
        ("", None),
    ],
)
def test_class_named(tag: str, name: str | None) -> None:
    found = class_named(tag)
    assert (found.LEX_TYPE if found is not None else None) == name
