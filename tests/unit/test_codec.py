"""The public codec: ``atlex.decode``, ``atlex.convert``, ``atlex.encode`` and their errors."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING, Any

import _lexshapes as feed
import _lexshapes_embed as embed
import msgspec
import pytest
from msgspec import UNSET

import atlex
from atlex import SchemaMismatchError, convert, decode, encode
from atlex._model import Blob, Bytes, CidLink

if TYPE_CHECKING:
    from typing import assert_type


def test_public_names_resolve_to_the_codec() -> None:
    from atlex import _codec, _tolerant

    assert atlex.decode is _codec.decode
    assert atlex.convert is _codec.convert
    assert atlex.encode is _codec.encode
    assert atlex.SchemaMismatchError is _tolerant.SchemaMismatchError


def test_decode_bytes_and_str() -> None:
    doc = feed.timeline([feed.images_view(), feed.unknown_view()])
    buf = msgspec.json.encode(doc)
    from_bytes = decode(buf, feed.GetTimelineOutput)
    from_str = decode(buf.decode(), feed.GetTimelineOutput)
    assert from_bytes == from_str
    assert isinstance(from_bytes.feed[0].post.embed, embed.ImagesView)
    assert from_bytes.feed[1].post.embed == feed.unknown_view()
    # A method's answer decodes for speed: `$type` is re-encoded by position (the `post` of a
    # feed item is a plain ref, so it has none); lossless=True keeps exactly what was read.
    assert msgspec.json.decode(encode(decode(buf, feed.GetTimelineOutput, lossless=True))) == doc
    by_position = msgspec.json.decode(buf)
    for item in by_position["feed"]:
        del item["post"]["$type"]
    assert msgspec.json.decode(encode(from_bytes)) == by_position


def test_decode_composite_types() -> None:
    items = [feed.external_view(), feed.unknown_view()]
    result = decode(msgspec.json.encode(items), list[embed.ImagesView | embed.ExternalView])
    assert isinstance(result[0], embed.ExternalView)
    assert result[1] == feed.unknown_view()
    assert decode(b'{"a": 1}', dict[str, int]) == {"a": 1}


def test_decode_non_json_fails_as_a_decode_error() -> None:
    with pytest.raises(msgspec.DecodeError, match="JSON is malformed") as info:
        decode(b"<html>502 Bad Gateway</html>", feed.GetTimelineOutput)
    assert not isinstance(info.value, msgspec.ValidationError)
    with pytest.raises(msgspec.DecodeError):
        decode(b'{"feed": [', feed.GetTimelineOutput)


def test_validation_errors_are_schema_mismatch_errors_with_the_full_path() -> None:
    broken = feed.images_view()
    broken["images"][0]["thumb"] = 5
    doc = feed.timeline([feed.unknown_view(), feed.external_view(), broken])
    with pytest.raises(msgspec.ValidationError) as info:
        decode(msgspec.json.encode(doc), feed.GetTimelineOutput)
    err = info.value
    assert isinstance(err, SchemaMismatchError)
    assert str(err) == "Expected `str`, got `int` - at `$.feed[2].post.embed.images[0].thumb`"
    assert err.reason == "Expected `str`, got `int`"
    assert err.path == "$.feed[2].post.embed.images[0].thumb"
    assert isinstance(err.__cause__, msgspec.ValidationError)


def test_fast_path_errors_are_schema_mismatch_errors_too() -> None:
    """Data with a single problem fails natively first; the error type is the same."""
    with pytest.raises(SchemaMismatchError) as info:
        decode(b'{"feed": [{"post": 1}]}', feed.GetTimelineOutput)
    assert str(info.value) == "Expected `object`, got `int` - at `$.feed[0].post`"
    with pytest.raises(SchemaMismatchError) as info:
        convert({"feed": "none"}, feed.GetTimelineOutput)
    assert str(info.value) == "Expected `array`, got `str` - at `$.feed`"


def test_error_at_the_root_has_no_location_suffix() -> None:
    with pytest.raises(SchemaMismatchError) as info:
        decode(b"[]", feed.GetTimelineOutput)
    assert str(info.value) == "Expected `object`, got `array`"
    assert info.value.path == "$"


def test_schema_mismatch_error_pickles() -> None:
    err = SchemaMismatchError("Expected `int`, got `str`", "$.a[0]")
    copy = pickle.loads(pickle.dumps(err))
    assert (str(copy), copy.reason, copy.path) == (str(err), err.reason, err.path)


def test_convert_from_cbor_shaped_builtins() -> None:
    """A firehose-style payload after DAG-CBOR decoding (links and bytes in atproto-JSON form);
    the frame header names the variant, so the payload carries no ``$type``."""
    payload: dict[str, Any] = {
        "seq": 5,
        "repo": "did:plc:me",
        "commit": {"$link": feed.CID},
        "blocks": {"$bytes": "AAECAw"},
        "ops": [{"action": "create", "path": "test.feed.post/1", "cid": {"$link": feed.CID}}],
        "futureField": [1, 2],
    }
    commit = convert(payload, feed.Commit)
    assert commit.commit == CidLink(feed.CID)
    assert commit.blocks.data == b"\x00\x01\x02\x03"
    assert commit.ops[0].cid == CidLink(feed.CID)


def test_convert_record_with_unknown_embed() -> None:
    record: dict[str, Any] = {
        "$type": "test.feed.post",
        "text": "hello",
        "createdAt": "2024-01-01T00:00:00Z",
        "embed": {"$type": "com.example.poll", "options": ["a", "b"]},
    }
    post = convert(record, feed.Post)
    assert post.text == "hello"
    assert post.embed is record["embed"]
    assert msgspec.json.decode(encode(post)) == record


def test_convert_rejects_closed_union_unknown_tag() -> None:
    doc = {"repo": "r", "writes": [{"$type": "test.repo.applyWrites#replace"}]}
    with pytest.raises(SchemaMismatchError) as info:
        convert(doc, feed.ApplyWritesInput)
    assert info.value.path == "$.writes[0].$type"


def test_encode_omits_unset_and_writes_type_first() -> None:
    post = feed.Post(text="hi", created_at="2024-01-01T00:00:00Z", langs=["en"])
    assert encode(post) == (
        b'{"$type":"test.feed.post","text":"hi","createdAt":"2024-01-01T00:00:00Z","langs":["en"]}'
    )
    assert post.embed is UNSET


def test_encode_leaves_and_blobs() -> None:
    image = embed.ImagesImage(
        image=Blob.create(feed.BLOB_CID, "image/png", 3), alt="", aspect_ratio=UNSET
    )
    assert msgspec.json.decode(encode(image)) == {
        "image": {
            "$type": "blob",
            "ref": {"$link": feed.BLOB_CID},
            "mimeType": "image/png",
            "size": 3,
        },
        "alt": "",
    }
    # $bytes is written unpadded, like the reference TypeScript encoder
    assert encode(Bytes.from_bytes(b"\x00\x01")) == b'{"$bytes":"AAE"}'


def test_encode_dicts_lists_and_mixed_values() -> None:
    value = [{"k": feed.SelfLabel(val="x")}, {"$type": "com.example.thing", "n": None}]
    assert encode(value) == b'[{"k":{"val":"x"}},{"$type":"com.example.thing","n":null}]'


def test_decode_encode_round_trip_of_structs() -> None:
    post = feed.Post(
        text="t",
        created_at="2024",
        labels=feed.SelfLabels(values=[feed.SelfLabel(val="a")]),
        embed=embed.External(uri="https://x", title="x"),
    )
    assert decode(encode(post), feed.Post) == post
    assert convert(msgspec.json.decode(encode(post)), feed.Post) == post


def test_static_result_types() -> None:
    """pyright checks these (``assert_type`` exists for type checkers only)."""
    timeline = decode(b'{"feed": []}', feed.GetTimelineOutput)
    views = convert([], list[feed.PostView])
    if TYPE_CHECKING:
        assert_type(timeline, feed.GetTimelineOutput)
        assert_type(views, list[feed.PostView])
        assert_type(encode(timeline), bytes)
    assert timeline.feed == []
    assert views == []
