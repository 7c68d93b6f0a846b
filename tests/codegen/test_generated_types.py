"""Generated modules imported and round-tripped: the mapping rules, proven on the fixtures."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from _codegen_support import GeneratedSet, own_structs

import atlex


def _json(value: Any) -> Any:
    return json.loads(atlex.encode(value))


RECORD = {
    "$type": "test.feature.record",
    "text": "hello",
    "createdAt": "2024-01-01T00:00:00.000Z",
    "where": {"x": 1, "y": 2, "color": "red"},
    "embed": {"$type": "test.feature.record#image", "alt": "a cat"},
    "strict": {"$type": "test.feature.record#link", "uri": "https://example.com"},
    "labels": {"$type": "test.feature.defs#label", "val": "nsfw"},
    "anything": {"$type": "com.example.whatever", "n": 1},
    "items": [{"$type": "test.feature.record#link", "uri": "https://a.example"}],
    "parts": [{"alt": "no tag needed in a ref position"}],
}


def test_every_module_imports_and_every_struct_builds_a_decoder(features: GeneratedSet) -> None:
    structs = own_structs(features.import_all())
    for cls in structs:
        msgspec.json.Decoder(cls)
    assert len(structs) == 19


def test_record_round_trips_exactly(features: GeneratedSet) -> None:
    mod = features.module("test.feature.record")
    rec = atlex.decode(json.dumps(RECORD), mod.Record)
    assert isinstance(rec.embed, mod.Image)
    assert rec.embed.alt == "a cat"
    assert rec.anything == {"$type": "com.example.whatever", "n": 1}
    # $type presence as read: none on the objects in ref positions (`where`, `parts`), though
    # their classes are tagged union members
    assert _json(rec) == RECORD
    assert atlex.encode(rec).startswith(b'{"$type":"test.feature.record"')
    # a record built in Python: $type on the record and on union members only
    built = mod.Record(**{f: getattr(rec, f) for f in rec.__struct_fields__ if f[0] != "_"})
    assert _json(built) == RECORD


def test_open_union_keeps_an_unknown_member_as_data(features: GeneratedSet) -> None:
    mod = features.module("test.feature.record")
    unknown = {"$type": "com.example.poll#view", "question": "?", "nested": {"deep": [1, 2]}}
    data = {**RECORD, "embed": unknown, "items": [unknown, RECORD["items"][0]]}
    rec = atlex.decode(json.dumps(data), mod.Record)
    assert rec.embed == unknown
    assert rec.items[0] == unknown
    assert isinstance(rec.items[1], mod.Link)
    assert _json(rec)["embed"] == unknown
    assert _json(rec)["items"] == data["items"]


def test_single_ref_union_keeps_an_unknown_member(features: GeneratedSet) -> None:
    mod = features.module("test.feature.record")
    other = {"$type": "com.example.labels", "values": ["x"]}
    rec = atlex.decode(json.dumps({**RECORD, "labels": other}), mod.Record)
    assert rec.labels == other


def test_closed_union_rejects_an_unknown_member(features: GeneratedSet) -> None:
    mod = features.module("test.feature.record")
    data = {**RECORD, "strict": {"$type": "com.example.other", "uri": "x"}}
    with pytest.raises(msgspec.ValidationError, match=r"\$\.strict"):
        atlex.decode(json.dumps(data), mod.Record)


def test_invalid_known_member_fails_with_its_path(features: GeneratedSet) -> None:
    mod = features.module("test.feature.record")
    data = {**RECORD, "embed": {"$type": "test.feature.record#image"}}
    with pytest.raises(msgspec.ValidationError, match=r"alt.*\$\.embed"):
        atlex.decode(json.dumps(data), mod.Record)


def test_unknown_fields_and_new_known_values_are_accepted(features: GeneratedSet) -> None:
    mod = features.module("test.feature.scalars")
    data = {
        "flag": True,
        "count": 3,
        "name": "n",
        "nullableRequired": None,
        "kind": "a-value-from-the-future",
        "addedLater": {"x": 1},
    }
    obj = atlex.decode(json.dumps(data), mod.Main)
    assert obj.kind == "a-value-from-the-future"
    assert obj.nullable_required is None
    assert _json(obj)["addedLater"] == {"x": 1}  # kept on the object, written back


def test_closed_enum_rejects_other_values(features: GeneratedSet) -> None:
    mod = features.module("test.feature.scalars")
    base = {"flag": True, "count": 3, "name": "n", "nullableRequired": "x"}
    with pytest.raises(msgspec.ValidationError, match=r"\$\.mode"):
        atlex.decode(json.dumps({**base, "mode": "sideways"}), mod.Main)


def test_required_optional_nullable_and_defaults(features: GeneratedSet) -> None:
    mod = features.module("test.feature.scalars")
    with pytest.raises(msgspec.ValidationError, match="nullableRequired"):
        atlex.decode(json.dumps({"flag": True, "count": 3, "name": "n"}), mod.Main)
    obj = mod.Main(flag=False, count=0, name="", nullable_required=None)
    out = _json(obj)
    # false-y values are kept; defaults are always sent; UNSET is omitted; None is null
    assert out == {
        "flag": False,
        "flagDefault": True,
        "count": 0,
        "countDefault": 5,
        "name": "",
        "greeting": "hello",
        "nullableRequired": None,
    }
    with_null = atlex.decode(json.dumps({**out, "nullableOptional": None}), mod.Main)
    assert with_null.nullable_optional is None
    assert _json(with_null)["nullableOptional"] is None


def test_explicit_wire_names(features: GeneratedSet) -> None:
    mod = features.module("test.feature.scalars")
    obj = mod.Main(flag=True, count=1, name="n", nullable_required="x", accent_rgb="#fff")
    assert _json(obj)["accentRGB"] == "#fff"


def test_bytes_link_and_blob(features: GeneratedSet) -> None:
    mod = features.module("test.feature.scalars")
    blob = {"$type": "blob", "ref": {"$link": "bafkreib"}, "mimeType": "image/png", "size": 3}
    legacy = {"cid": "bafkreic", "mimeType": "image/jpeg"}
    data = {
        "flag": True,
        "count": 1,
        "name": "n",
        "nullableRequired": "x",
        "data": {
            "$bytes": "nFERjvLLiw9qm45JrqH9QTzyC2Lu1Xb4ne6+sBrCzI0"
        },  # unpadded, as in the spec
        "link": {"$link": "bafyreie"},
        "image": blob,
    }
    obj = atlex.decode(json.dumps(data), mod.Main)
    assert len(obj.data.data) == 32
    assert obj.link.link == "bafyreie"
    assert obj.image.cid_str == "bafkreib"
    assert _json(obj)["data"] == data["data"]
    assert _json(obj)["image"] == blob
    old = atlex.decode(json.dumps({**data, "image": legacy}), mod.Main)
    assert old.image.is_legacy
    assert _json(old)["image"] == legacy
    with pytest.raises(msgspec.ValidationError):
        atlex.decode(json.dumps({**data, "link": {"$link": "x", "extra": 1}}), mod.Main)


def test_cross_module_cycles_resolve_lazily(features: GeneratedSet) -> None:
    a = features.module("test.feature.cycle_a")
    obj = atlex.decode(b'{"b": {"a": {"self": {}}}}', a.Main)
    assert obj.b.a.self == a.Main()


def test_tokens_aliases_errors_and_metadata(features: GeneratedSet) -> None:
    defs = features.module("test.feature.defs")
    assert defs.TOKEN_ONE == "test.feature.defs#tokenOne"
    assert defs.Point.LEX_TYPE == "test.feature.defs#point"
    query = features.module("test.feature.query")
    assert set(query.ERRORS) == {"ActorNotFound", "BlockedError"}
    assert query.ERRORS["ActorNotFound"].__name__ == "ActorNotFoundError"
    assert query.ERRORS["BlockedError"].__name__ == "BlockedError"
    assert issubclass(query.ActorNotFoundError, atlex.errors.XrpcResponseError)
    assert query.Params(actor="a").limit == 50
    proc = features.module("test.feature.procedure")
    assert proc.Output is defs.View  # an output given as a ref is that class
    nested = features.module("test.feature.nested.child")
    assert nested.Output is features.module("test.feature.nested").Main
    perms = features.module("test.feature.permissions")
    assert perms.PERMISSION_SET["title:lang"] == {"fr": "Accès test"}
    sub = features.module("test.feature.subscribe")
    event = atlex.convert({"seq": 5}, sub.Event)
    assert event.seq == 5


def test_datetime_stays_a_string(features: GeneratedSet) -> None:
    mod = features.module("test.feature.record")
    rec = atlex.decode(json.dumps(RECORD), mod.Record)
    assert rec.created_at == "2024-01-01T00:00:00.000Z"


def test_permission_set_scopes_are_typed_constants(features: GeneratedSet) -> None:
    from atlex.oauth import scopes

    mod = features.module("test.feature.permissions")
    assert mod.SCOPE == "include:test.feature.permissions"
    assert mod.SCOPES == ["repo:test.feature.record?action=create&action=update"]
    access = scopes.permission_set(mod)
    assert (access.scope, access.scopes()) == (mod.SCOPE, mod.SCOPES)
    assert access.title == "Test access"
