"""The two-pass tolerant decoder (lexicon-mapping §2.6.4, §2.7) over JSON and over builtins.

Most tests run twice: ``json`` decodes the document's JSON bytes with ``TolerantDecoder`` (or
``json_tolerant`` when registry flags are passed), ``convert`` feeds the same document as
dicts to ``convert_tolerant``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any, Literal

import _lexshapes as feed
import _lexshapes_embed as embed
import msgspec
import pytest
from msgspec import UNSET

from atlex._model import Blob, Bytes, CidLink
from atlex._tolerant import (
    SchemaMismatchError,
    TolerantDecoder,
    convert_tolerant,
    decoder_for,
    json_tolerant,
)

Mode = Literal["json", "convert"]
MODES: list[Mode] = ["json", "convert"]


def tolerant(mode: Mode, doc: Any, tp: Any, **flags: Any) -> Any:
    if mode == "convert":
        return convert_tolerant(doc, tp, **flags)
    buf = msgspec.json.encode(doc)
    if flags:
        return json_tolerant(buf, tp, **flags)
    return TolerantDecoder(tp).decode(buf)


def native(mode: Mode, doc: Any, tp: Any) -> Any:
    if mode == "convert":
        return msgspec.convert(doc, tp)
    return msgspec.json.decode(msgspec.json.encode(doc), type=tp)


def native_error(mode: Mode, doc: Any, tp: Any) -> str:
    with pytest.raises(msgspec.ValidationError) as info:
        native(mode, doc, tp)
    return str(info.value)


def tolerant_error(mode: Mode, doc: Any, tp: Any, **flags: Any) -> SchemaMismatchError:
    with pytest.raises(SchemaMismatchError) as info:
        tolerant(mode, doc, tp, **flags)
    return info.value


def reencoded(value: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(value))


# --- clean data ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_clean_data_is_identical_to_native(mode: Mode) -> None:
    doc = feed.timeline([feed.images_view(), feed.external_view(), None])
    result = tolerant(mode, doc, feed.GetTimelineOutput)
    assert result == native(mode, doc, feed.GetTimelineOutput)
    assert isinstance(result.feed[0].post.embed, embed.ImagesView)
    assert reencoded(result.feed[0].post.embed) == feed.images_view()
    assert reencoded(result) == doc


# --- open unions -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_unknown_member_of_open_union_becomes_dict(mode: Mode) -> None:
    doc = feed.timeline([feed.images_view(), feed.unknown_view(), feed.external_view()])
    result = tolerant(mode, doc, feed.GetTimelineOutput)
    posts = [item.post for item in result.feed]
    assert isinstance(posts[0].embed, embed.ImagesView)
    assert posts[1].embed == feed.unknown_view()
    assert type(posts[1].embed) is dict
    assert isinstance(posts[2].embed, embed.ExternalView)
    # the rest of the failing item is still typed
    assert isinstance(posts[1].author, feed.ProfileViewBasic)
    assert posts[1].labels == [feed.Label(src="did:plc:labeler", uri="at://x/y/z", val="!warn")]
    assert reencoded(result) == doc


def test_convert_returns_the_unknown_dict_itself() -> None:
    doc = feed.timeline([feed.unknown_view()])
    result = convert_tolerant(doc, feed.GetTimelineOutput)
    assert result.feed[0].post.embed is doc["feed"][0]["post"]["embed"]


@pytest.mark.parametrize("mode", MODES)
def test_unknown_member_survives_with_every_key(mode: Mode) -> None:
    """Nothing in the slow path drops, reorders into, or rewrites an unknown member."""
    unknown = feed.unknown_view()
    doc = feed.post_view(7, unknown)
    result = tolerant(mode, doc, feed.PostView)
    assert result.embed == unknown
    assert set(result.embed) == set(unknown)
    assert result.embed["options"][1]["votes"] == 2**60
    assert result.embed["$unknownDollarKey"] == {"nested": [[], {}, [1, [2, [3]]]]}
    assert result.embed["closesAt"] is None
    # the embedded blob-shaped dict stays a dict: nothing below an unknown member is typed
    assert result.embed["image"] == unknown["image"]
    assert msgspec.json.decode(msgspec.json.encode(result))["embed"] == unknown


@pytest.mark.parametrize("mode", MODES)
def test_unknown_members_inside_a_list_of_unions(mode: Mode) -> None:
    doc: dict[str, Any] = {
        "$type": "test.feed.post",
        "text": "hi @alice see example.com #tag",
        "createdAt": "2024-01-01T00:00:00Z",
        "facets": [
            {
                "index": {"byteStart": 3, "byteEnd": 9},
                "features": [
                    {"$type": "test.richtext.facet#mention", "did": "did:plc:alice"},
                    {"$type": "test.richtext.facet#tag", "tag": "tag"},
                    {"$type": "test.richtext.facet#link", "uri": "https://example.com"},
                ],
            }
        ],
    }
    result = tolerant(mode, doc, feed.Post)
    features = result.facets[0].features
    assert features[0] == feed.FacetMention(did="did:plc:alice")
    assert features[1] == {"$type": "test.richtext.facet#tag", "tag": "tag"}
    assert features[2] == feed.FacetLink(uri="https://example.com")
    assert result.facets[0].index == feed.ByteSlice(byte_start=3, byte_end=9)
    assert reencoded(result) == doc


@pytest.mark.parametrize("mode", MODES)
def test_unknown_members_inside_nested_unions_across_modules(mode: Mode) -> None:
    """RecordView.record (union) -> ViewRecord.embeds (list of unions) -> RecordView -> PostView:
    cross-module lazy references in both directions and a reference cycle."""
    inner_post = feed.post_view(2, feed.unknown_view())
    view_record = {
        "$type": "test.embed.record#viewRecord",
        "uri": "at://did:plc:author1/test.feed.post/1",
        "author": feed.author(1),
        "value": {"$type": "test.feed.post", "text": "quoted", "createdAt": "2024"},
        "embeds": [
            feed.external_view(),
            {"$type": "com.example.gallery#view", "items": [1, 2]},
            {"$type": "test.embed.record#view", "record": inner_post},
            {"$type": "test.embed.record#view", "record": {"$type": "com.example.x#gone"}},
        ],
    }
    doc = feed.post_view(1, {"$type": "test.embed.record#view", "record": view_record})
    result = tolerant(mode, doc, feed.PostView)
    record = result.embed.record
    assert isinstance(record, embed.ViewRecord)
    assert isinstance(record.author, feed.ProfileViewBasic)
    assert record.author.display_name == "Author 1"
    assert isinstance(record.embeds, list)
    first, second, third, fourth = record.embeds
    assert isinstance(first, embed.ExternalView)
    assert second == {"$type": "com.example.gallery#view", "items": [1, 2]}
    assert isinstance(third, embed.RecordView)
    assert isinstance(third.record, feed.PostView)
    assert third.record.embed == feed.unknown_view()
    assert isinstance(fourth, embed.RecordView)
    assert fourth.record == {"$type": "com.example.x#gone"}
    assert reencoded(result) == doc


@pytest.mark.parametrize("mode", MODES)
def test_unknown_member_in_a_required_union_field(mode: Mode) -> None:
    doc: dict[str, Any] = {
        "post": feed.post_view(1),
        "reply": {
            "root": {"$type": "test.feed.defs#blockedPost", "uri": "at://r"},
            "parent": feed.post_view(0),
        },
        "reason": {"$type": "test.feed.defs#reasonQuote", "by": feed.author(3)},
    }
    result = tolerant(mode, doc, feed.FeedViewPost)
    assert result.reply.root == {"$type": "test.feed.defs#blockedPost", "uri": "at://r"}
    assert isinstance(result.reply.parent, feed.PostView)
    assert result.reason == {"$type": "test.feed.defs#reasonQuote", "by": feed.author(3)}
    assert reencoded(result) == doc


@pytest.mark.parametrize("mode", MODES)
def test_many_unknown_members_in_one_document(mode: Mode) -> None:
    embeds = [feed.unknown_view() if i % 3 == 0 else feed.images_view() for i in range(30)]
    doc = feed.timeline(list(embeds))
    result = tolerant(mode, doc, feed.GetTimelineOutput)
    for item, sent in zip(result.feed, embeds, strict=True):
        if sent["$type"] == "com.example.poll#view":
            assert item.post.embed == sent
        else:
            assert isinstance(item.post.embed, embed.ImagesView)
    assert reencoded(result) == doc


@pytest.mark.parametrize("mode", MODES)
def test_deep_chain_with_an_unknown_member_at_the_bottom(mode: Mode) -> None:
    depth = 100
    node: dict[str, Any] = {"post": feed.post_view(0, feed.unknown_view())}
    for i in range(depth):
        node = {"post": feed.post_view(i + 1), "parent": node}
    result = tolerant(mode, node, feed.ThreadItem)
    for _ in range(depth):
        assert isinstance(result, feed.ThreadItem)
        result = result.parent
    assert isinstance(result, feed.ThreadItem)
    assert result.parent is UNSET
    assert result.post.embed == feed.unknown_view()


@pytest.mark.parametrize("mode", MODES)
def test_union_at_the_root(mode: Mode) -> None:
    union = embed.ImagesView | embed.ExternalView
    assert tolerant(mode, feed.unknown_view(), union) == feed.unknown_view()
    assert isinstance(tolerant(mode, feed.external_view(), union), embed.ExternalView)
    items = tolerant(mode, [feed.unknown_view(), feed.images_view()], list[union])
    assert items[0] == feed.unknown_view()
    assert isinstance(items[1], embed.ImagesView)


def test_json_tolerant_accepts_raw_and_str() -> None:
    doc = feed.post_view(3, feed.unknown_view())
    raw = msgspec.Raw(msgspec.json.encode(doc))
    assert json_tolerant(raw, feed.PostView).embed == feed.unknown_view()
    text = msgspec.json.encode(doc).decode()
    assert TolerantDecoder(feed.PostView).decode(text).embed == feed.unknown_view()


@pytest.mark.parametrize("mode", MODES)
def test_member_missing_tag_in_multi_member_union_fails(mode: Mode) -> None:
    doc = feed.post_view(1, {"uri": "https://example.com", "title": "no $type"})
    err = tolerant_error(mode, doc, feed.PostView)
    assert str(err) == "Object missing required field `$type` - at `$.embed`"


@pytest.mark.parametrize("mode", MODES)
def test_non_string_tag_in_union_fails(mode: Mode) -> None:
    doc = feed.post_view(1, {"$type": 42})
    err = tolerant_error(mode, doc, feed.PostView)
    assert err.path == "$.embed.$type"
    assert err.reason.startswith("Expected `str`")


@pytest.mark.parametrize("mode", MODES)
def test_explicit_main_suffix_names_the_same_type(mode: Mode) -> None:
    """``x#main`` is ``x`` (the spec; the reference validator's ``refsContainType``)."""
    doc: dict[str, Any] = {"$type": "test.embed.external#main", "uri": "u", "title": "t"}
    assert tolerant(mode, doc, embed.Images | embed.External) == embed.External(uri="u", title="t")
    bad: dict[str, Any] = {"$type": "test.embed.external#main", "uri": 5, "title": "t"}
    err = tolerant_error(mode, bad, embed.Images | embed.External)
    assert err.path == "$.uri"


@pytest.mark.parametrize("mode", MODES)
def test_a_type_with_two_hash_segments_is_malformed(mode: Mode) -> None:
    doc: dict[str, Any] = {"$type": "com.example.x#main#main", "n": 1}
    err = tolerant_error(mode, doc, embed.Images | embed.External)
    assert err.path == "$.$type"
    assert "malformed" in err.reason


# --- strictness that must survive ------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_invalid_known_member_fails_with_its_full_path(mode: Mode) -> None:
    broken = feed.images_view()
    del broken["images"][0]["alt"]
    doc = feed.timeline([feed.unknown_view(), broken])
    err = tolerant_error(mode, doc, feed.GetTimelineOutput)
    assert str(err) == "Object missing required field `alt` - at `$.feed[1].post.embed.images[0]`"
    assert err.reason == "Object missing required field `alt`"
    assert err.path == "$.feed[1].post.embed.images[0]"
    # the fast-path error (about the unknown member) is the cause, not the message
    assert isinstance(err.__cause__, msgspec.ValidationError)
    assert "$.feed[0].post.embed.$type" in str(err.__cause__)


@pytest.mark.parametrize("mode", MODES)
def test_missing_required_field_beside_an_unknown_member(mode: Mode) -> None:
    doc = feed.timeline([feed.images_view(), feed.unknown_view()])
    del doc["feed"][1]["post"]["uri"]
    err = tolerant_error(mode, doc, feed.GetTimelineOutput)
    assert str(err) == "Object missing required field `uri` - at `$.feed[1].post`"


@pytest.mark.parametrize("mode", MODES)
def test_wrong_scalar_type_beside_an_unknown_member(mode: Mode) -> None:
    doc = feed.timeline([feed.unknown_view(), feed.images_view()])
    doc["feed"][1]["post"]["likeCount"] = "many"
    err = tolerant_error(mode, doc, feed.GetTimelineOutput)
    assert str(err) == "Expected `int`, got `str` - at `$.feed[1].post.likeCount`"


@pytest.mark.parametrize("mode", MODES)
def test_closed_union_rejects_unknown_tag(mode: Mode) -> None:
    doc: dict[str, Any] = {
        "repo": "did:plc:me",
        "writes": [
            {"$type": "test.repo.applyWrites#create", "collection": "c", "value": {"a": 1}},
            {"$type": "test.repo.applyWrites#update", "collection": "c", "rkey": "r"},
        ],
    }
    err = tolerant_error(mode, doc, feed.ApplyWritesInput)
    assert str(err) == "Invalid value 'test.repo.applyWrites#update' - at `$.writes[1].$type`"
    # the same closed semantics when the flag is passed for a root-level list
    err = tolerant_error(mode, doc["writes"], list[feed.Create | feed.Delete], closed=True)
    assert err.path == "$[1].$type"
    # and known members of the closed union decode
    doc["writes"][1] = {"$type": "test.repo.applyWrites#delete", "collection": "c", "rkey": "r"}
    result = tolerant(mode, doc, feed.ApplyWritesInput)
    assert result.writes[1] == feed.Delete(collection="c", rkey="r")


@pytest.mark.parametrize("mode", MODES)
def test_tagged_struct_in_ref_position_with_other_tag_fails(mode: Mode) -> None:
    doc: dict[str, Any] = {"post": feed.post_view(1)}
    doc["post"]["$type"] = "test.feed.defs#somethingElse"
    assert str(tolerant_error(mode, doc, feed.FeedViewPost)) == native_error(
        mode, doc, feed.FeedViewPost
    )
    # also when the slow path has to split the struct (it holds an unknown member)
    doc["post"]["embed"] = feed.unknown_view()
    err = tolerant_error(mode, doc, feed.FeedViewPost)
    assert str(err) == "Invalid value 'test.feed.defs#somethingElse' - at `$.post.$type`"


@pytest.mark.parametrize("mode", MODES)
def test_tagged_struct_in_ref_position_accepts_missing_or_matching_tag(mode: Mode) -> None:
    doc: dict[str, Any] = {"post": feed.post_view(1, feed.unknown_view())}
    del doc["post"]["$type"]
    assert isinstance(tolerant(mode, doc, feed.FeedViewPost).post, feed.PostView)
    doc["post"]["$type"] = "test.feed.defs#postView"
    assert isinstance(tolerant(mode, doc, feed.FeedViewPost).post, feed.PostView)


@pytest.mark.parametrize("mode", MODES)
def test_non_string_tag_in_ref_position_fails(mode: Mode) -> None:
    doc: dict[str, Any] = {"post": feed.post_view(1, feed.unknown_view())}
    doc["post"]["$type"] = 7
    err = tolerant_error(mode, doc, feed.FeedViewPost)
    assert err.path == "$.post.$type"
    assert err.reason.startswith("Expected `str`")


@pytest.mark.parametrize("mode", MODES)
def test_enum_stays_closed(mode: Mode) -> None:
    doc: dict[str, Any] = {"action": "upsert", "path": "a/b", "cid": None}
    err = tolerant_error(mode, [doc], list[feed.RepoOp])
    assert str(err) == "Invalid enum value 'upsert' - at `$[0].action`"


@pytest.mark.parametrize("mode", MODES)
def test_post_init_rejection_is_located(mode: Mode) -> None:
    doc: dict[str, Any] = {"item": {"text": "far too long"}}
    assert str(tolerant_error(mode, doc, feed.Wrapper)) == native_error(mode, doc, feed.Wrapper)
    doc["reason"] = {"$type": "com.example.reason#new"}
    err = tolerant_error(mode, doc, feed.Wrapper)
    assert str(err) == "text longer than 5 characters - at `$.item`"


def _drop_cid(doc: dict[str, Any]) -> None:
    del doc["feed"][0]["post"]["cid"]


def _null_did(doc: dict[str, Any]) -> None:
    doc["feed"][0]["post"]["author"]["did"] = None


def _array_for_object(doc: dict[str, Any]) -> None:
    doc["feed"][0]["post"] = []


def _object_for_array(doc: dict[str, Any]) -> None:
    doc["feed"] = {}


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(_drop_cid, id="missing-field"),
        pytest.param(_null_did, id="null"),
        pytest.param(_array_for_object, id="array-for-object"),
        pytest.param(_object_for_array, id="object-for-array"),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_single_problem_reports_exactly_what_native_reports(
    mode: Mode, breakage: Callable[[dict[str, Any]], None]
) -> None:
    doc = feed.timeline([feed.images_view(), feed.external_view()])
    breakage(doc)
    tp = feed.GetTimelineOutput
    assert str(tolerant_error(mode, doc, tp)) == native_error(mode, doc, tp)


@pytest.mark.parametrize("mode", MODES)
def test_errors_below_a_non_splittable_type_keep_their_inner_location(mode: Mode) -> None:
    doc: list[dict[str, Any]] = [{"ok": 1}, {"a": 1, "b": "two"}]
    err = tolerant_error(mode, doc, list[dict[str, int]])
    assert str(err) == native_error(mode, doc, list[dict[str, int]])
    assert err.path == "$[1][...]"


# --- single-ref unions -----------------------------------------------------------------------


def self_labelled_post(labels: dict[str, Any]) -> dict[str, Any]:
    return {"$type": "test.feed.post", "text": "t", "createdAt": "2024", "labels": labels}


@pytest.mark.parametrize("mode", MODES)
def test_single_ref_union_keeps_unknown_member(mode: Mode) -> None:
    unknown: dict[str, Any] = {"$type": "com.example.labels#rated", "rating": "pg"}
    result = tolerant(mode, self_labelled_post(unknown), feed.Post)
    assert result.labels == unknown
    assert reencoded(result) == self_labelled_post(unknown)


@pytest.mark.parametrize("mode", MODES)
def test_single_ref_union_known_or_untagged_member_is_typed(mode: Mode) -> None:
    known = {"$type": "test.label.defs#selfLabels", "values": [{"val": "nudity"}]}
    assert tolerant(mode, self_labelled_post(known), feed.Post).labels == feed.SelfLabels(
        values=[feed.SelfLabel(val="nudity")]
    )
    # without $type it reads as the ref, as the native decoder does, in both passes
    untagged = {"values": [{"val": "gore"}]}
    assert isinstance(
        tolerant(mode, self_labelled_post(untagged), feed.Post).labels, feed.SelfLabels
    )
    doc = self_labelled_post(untagged)
    doc["embed"] = {"$type": "com.example.embed", "x": 1}
    result = tolerant(mode, doc, feed.Post)
    assert result.labels == feed.SelfLabels(values=[feed.SelfLabel(val="gore")])
    assert result.embed == {"$type": "com.example.embed", "x": 1}


@pytest.mark.parametrize("mode", MODES)
def test_untagged_single_ref_member_is_split_when_it_holds_an_unknown_member(mode: Mode) -> None:
    doc: dict[str, Any] = {
        "post": feed.post_view(1),
        "parent": {"post": feed.post_view(0, feed.unknown_view()), "parent": {"$type": "x.y#z"}},
    }
    result = tolerant(mode, doc, feed.ThreadItem)
    assert isinstance(result.parent, feed.ThreadItem)
    assert result.parent.post.embed == feed.unknown_view()
    assert result.parent.parent == {"$type": "x.y#z"}
    # a tagged struct always writes its $type (lexicon-mapping §2.5)
    doc["parent"]["$type"] = "test.feed.defs#threadItem"
    assert reencoded(result) == {"$type": "test.feed.defs#threadItem", **doc}


@pytest.mark.parametrize("mode", MODES)
def test_union_flag_at_the_root(mode: Mode) -> None:
    unknown: dict[str, Any] = {"$type": "com.example.other", "values": []}
    assert tolerant(mode, unknown, feed.SelfLabels, union_flag=True) == unknown
    with pytest.raises(SchemaMismatchError, match=r"Invalid value 'com.example.other'"):
        tolerant(mode, unknown, feed.SelfLabels)


# --- field states ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("force_slow_path", [False, True], ids=["fast", "slow"])
def test_required_optional_nullable_default_states(mode: Mode, force_slow_path: bool) -> None:
    extra: dict[str, Any] = {"pinned": {"$type": "com.example.pin"}} if force_slow_path else {}
    pinned = extra.get("pinned", UNSET)

    result = tolerant(mode, {"requiredNullable": None, **extra}, feed.Nullables)
    assert result == feed.Nullables(required_nullable=None, pinned=pinned)
    assert result.optional_nullable is UNSET
    assert result.optional is UNSET
    assert result.with_default is False

    result = tolerant(
        mode,
        {"requiredNullable": "r", "optionalNullable": None, "optional": 0, **extra},
        feed.Nullables,
    )
    assert (result.required_nullable, result.optional_nullable, result.optional) == ("r", None, 0)
    assert reencoded(result) == {
        "requiredNullable": "r",
        "optionalNullable": None,
        "optional": 0,
        "withDefault": False,  # lexicon defaults are always written
        **extra,
    }

    err = tolerant_error(mode, {**extra}, feed.Nullables)
    assert str(err) == "Object missing required field `requiredNullable`"
    err = tolerant_error(mode, {"requiredNullable": "r", "optional": None, **extra}, feed.Nullables)
    assert str(err) == "Expected `int`, got `null` - at `$.optional`"


@pytest.mark.parametrize("mode", MODES)
def test_nullable_optional_union(mode: Mode) -> None:
    assert tolerant(mode, {"requiredNullable": None, "pinned": None}, feed.Nullables).pinned is None
    pin = tolerant(
        mode,
        {"requiredNullable": None, "pinned": {"$type": "test.feed.defs#reasonPin"}},
        feed.Nullables,
    )
    assert pin.pinned == feed.ReasonPin()
    assert tolerant(mode, None, feed.Nullables | None) is None


@pytest.mark.parametrize("mode", MODES)
def test_unknown_fields_are_ignored(mode: Mode) -> None:
    doc = feed.post_view(1, feed.images_view())
    doc["futureField"] = {"a": [1]}
    doc["author"]["pronouns"] = "they/them"
    doc["embed"]["images"][0]["futureImageField"] = True
    clean = tolerant(mode, doc, feed.PostView)
    assert clean.author == feed.ProfileViewBasic(
        did="did:plc:author1", handle="author1.test", display_name="Author 1"
    )
    # and the same inside the slow path
    doc["embed"] = feed.unknown_view()
    doc["labels"][0]["futureLabelField"] = 1
    slow = tolerant(mode, doc, feed.PostView)
    assert slow.author == clean.author
    assert slow.labels == clean.labels


@pytest.mark.parametrize("mode", MODES)
def test_new_known_values_string_is_accepted(mode: Mode) -> None:
    doc = feed.post_view(1, feed.unknown_view())
    doc["labels"][0]["val"] = "brand-new-label"
    doc["author"]["status"] = "deactivated"
    result = tolerant(mode, doc, feed.PostView)
    assert result.labels[0].val == "brand-new-label"
    assert result.author.status == "deactivated"


# --- strict leaves: Bytes, CidLink, Blob ----------------------------------------------------


def commit_payload() -> dict[str, Any]:
    return {
        "seq": 12,
        "repo": "did:plc:me",
        "commit": {"$link": feed.CID},
        "blocks": {"$bytes": "nFERjvLLiw9qm45JrqH9QTzyC2Lu1Xb4ne6+sBrCzI0"},
        "ops": [
            {"action": "create", "path": "test.feed.post/1", "cid": {"$link": feed.CID}},
            {"action": "delete", "path": "test.feed.post/2", "cid": None},
        ],
    }


@pytest.mark.parametrize("mode", MODES)
def test_bytes_and_links_decode_and_round_trip(mode: Mode) -> None:
    result = tolerant(mode, commit_payload(), feed.Commit)
    assert result.commit == CidLink(feed.CID)
    assert isinstance(result.blocks, Bytes)
    assert len(result.blocks.data) == 32  # unpadded base64 of 32 bytes
    assert result.ops[1].cid is None
    assert reencoded(result) == {"$type": "test.sync.subscribeRepos#commit", **commit_payload()}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("leaf", ["commit", "blocks"])
def test_bytes_and_links_reject_extra_keys(mode: Mode, leaf: str) -> None:
    doc = commit_payload()
    doc[leaf]["extra"] = 1
    err = tolerant_error(mode, doc, feed.Commit)
    assert str(err) == f"Object contains unknown field `extra` - at `$.{leaf}`"


@pytest.mark.parametrize("mode", MODES)
def test_strict_leaf_is_never_split_in_the_slow_path(mode: Mode) -> None:
    doc = feed.post_view(1, feed.unknown_view())
    doc["labels"][0]["sig"] = {"$bytes": "AAEC", "$link": feed.CID}
    err = tolerant_error(mode, doc, feed.PostView)
    assert str(err) == "Object contains unknown field `$link` - at `$.labels[0].sig`"
    doc["labels"][0]["sig"] = {"$bytes": "AAEC"}
    assert tolerant(mode, doc, feed.PostView).labels[0].sig.data == b"\x00\x01\x02"


def images_post(image: dict[str, Any], labels: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "$type": "test.feed.post",
        "text": "pics",
        "createdAt": "2024",
        "embed": {"$type": "test.embed.images", "images": [{"image": image, "alt": "a"}]},
    }
    if labels is not None:
        doc["labels"] = labels
    return doc


CURRENT_BLOB = {
    "$type": "blob",
    "ref": {"$link": feed.BLOB_CID},
    "mimeType": "image/png",
    "size": 9,
}
LEGACY_BLOB = {"cid": feed.BLOB_CID, "mimeType": "image/jpeg"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("force_slow_path", [False, True], ids=["fast", "slow"])
@pytest.mark.parametrize("blob", [CURRENT_BLOB, LEGACY_BLOB], ids=["current", "legacy"])
def test_blob_forms_round_trip(mode: Mode, force_slow_path: bool, blob: dict[str, Any]) -> None:
    labels = {"$type": "com.example.labels#new"} if force_slow_path else None
    doc = images_post(copy.deepcopy(blob), labels)
    result = tolerant(mode, doc, feed.Post)
    image = result.embed.images[0].image
    assert isinstance(image, Blob)
    assert image.cid_str == feed.BLOB_CID
    assert image.is_legacy == ("cid" in blob)
    assert reencoded(result) == doc


@pytest.mark.parametrize("mode", MODES)
def test_bad_blob_fails_at_its_path_through_split_structs(mode: Mode) -> None:
    doc = images_post({**CURRENT_BLOB, "$type": "notblob"}, {"$type": "com.example.labels#new"})
    err = tolerant_error(mode, doc, feed.Post)
    assert str(err) == "Invalid enum value 'notblob' - at `$.embed.images[0].image.$type`"
    doc = images_post(
        {**CURRENT_BLOB, "ref": {"$link": feed.BLOB_CID, "x": 1}},
        {"$type": "com.example.labels#new"},
    )
    err = tolerant_error(mode, doc, feed.Post)
    assert str(err) == "Object contains unknown field `x` - at `$.embed.images[0].image.ref`"


# --- the decoder cache -----------------------------------------------------------------------


def test_decoder_for_returns_one_decoder_per_type() -> None:
    assert decoder_for(feed.PostView) is decoder_for(feed.PostView)
    # equal composite types built separately share the decoder too
    assert decoder_for(list[feed.PostView]) is decoder_for(list[feed.PostView])
    assert decoder_for(list[feed.PostView]) is not decoder_for(feed.PostView)
    assert decoder_for(feed.PostView).type is feed.PostView


def test_decoder_for_is_safe_under_threads() -> None:
    class Fresh(feed.ReasonPin, kw_only=True, tag="test.fresh#thread"):
        inner: feed.PostView | feed.NotFoundPost

    threads_n = 8
    barrier = threading.Barrier(threads_n)
    decoders: list[TolerantDecoder[Any]] = []
    results: list[Any] = []
    lock = threading.Lock()
    buf = msgspec.json.encode({"inner": {"$type": "test.feed.defs#gone"}})

    def worker() -> None:
        barrier.wait()
        decoder = decoder_for(Fresh)
        result = decoder.decode(buf)
        with lock:
            decoders.append(decoder)
            results.append(result)

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(decoders) == threads_n
    assert all(d is decoders[0] for d in decoders)
    assert len(results) == threads_n
    assert all(
        isinstance(r, Fresh) and r.inner == {"$type": "test.feed.defs#gone"} for r in results
    )
