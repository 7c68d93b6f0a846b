"""Generated ``validate()``: lexicon constraints enforced on demand, with JSON paths."""

from __future__ import annotations

import msgspec
import pytest
from _codegen_support import GeneratedSet

import atlex
from atlex import LexValidationError


def _record(features: GeneratedSet, **changes: object) -> atlex.LexObject:
    mod = features.module("test.feature.record")
    base: dict[str, object] = {"text": "hi", "created_at": "2024-01-01T00:00:00.000Z"}
    return mod.Record(**{**base, **changes})


def _fails(obj: atlex.LexObject, path: str, reason: str) -> None:
    with pytest.raises(LexValidationError) as info:
        obj.validate()
    assert info.value.path == path, str(info.value)
    assert reason in info.value.message, str(info.value)


def test_a_valid_record_passes(features: GeneratedSet) -> None:
    mod = features.module("test.feature.record")
    rec = _record(features, embed=mod.Image(alt="x"), items=[mod.Link(uri="https://a.example")])
    rec.validate()


def test_graphemes_not_code_points_or_bytes(features: GeneratedSet) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 1 grapheme, 25 bytes
    accented = "e\u0301\u0302"  # 1 grapheme, 3 code points, 5 bytes
    text = family * 20 + accented * 280  # 300 graphemes
    assert len(text.encode()) > 1000 and len(text) > 300
    _record(features, text=text).validate()
    _fails(_record(features, text=text + accented), "$.text", "longer than 300 graphemes")


def test_utf8_byte_length(features: GeneratedSet) -> None:
    _fails(_record(features, text="é" * 1501), "$.text", "longer than 3000 bytes")


def test_formats(features: GeneratedSet) -> None:
    _fails(_record(features, created_at="2024-01-01 00:00:00"), "$.createdAt", "")
    mod = features.module("test.feature.record")
    _fails(_record(features, items=[mod.Link(uri="not a uri")]), "$.items[0].uri", "")


def test_array_length_and_integer_range(features: GeneratedSet) -> None:
    mod = features.module("test.feature.record")
    links = [mod.Link(uri="https://a.example")] * 5
    _fails(_record(features, items=links), "$.items", "more than 4 items")
    scalars = features.module("test.feature.scalars")
    obj = scalars.Main(flag=True, count=11, name="n", nullable_required=None)
    _fails(obj, "$.count", "greater than the maximum 10")


def test_closed_union_rejects_unknown_members_kept_as_data(features: GeneratedSet) -> None:
    mod = features.module("test.feature.record")
    rec = atlex.decode(
        b'{"text":"t","createdAt":"2024-01-01T00:00:00Z",'
        b'"embed":{"$type":"com.example.x"},"anything":{"noType":1}}',
        mod.Record,
    )
    _fails(rec, "$.anything", "needs a $type")
    rec2 = _record(features, strict={"$type": "com.example.y"})
    _fails(rec2, "$.strict.$type", "Invalid value")


def test_blob_accept_and_size(features: GeneratedSet) -> None:
    scalars = features.module("test.feature.scalars")
    base = {"flag": True, "count": 1, "name": "n", "nullable_required": None}
    ok = atlex.Blob.create(
        "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "image/png", 10
    )
    scalars.Main(**base, image=ok).validate()
    bad_type = atlex.Blob.create(ok.cid_str, "video/mp4", 10)
    _fails(scalars.Main(**base, image=bad_type), "$.image", "not accepted")
    too_big = atlex.Blob.create(ok.cid_str, "image/jpeg", 2_000_000)
    _fails(scalars.Main(**base, image=too_big), "$.image", "exceeds maxSize")


def test_wrong_python_types_are_caught(features: GeneratedSet) -> None:
    scalars = features.module("test.feature.scalars")
    obj = scalars.Main(flag="yes", count=1, name="n", nullable_required=None)
    _fails(obj, "$.flag", "Expected `bool`")


def test_bytes_length(features: GeneratedSet) -> None:
    scalars = features.module("test.feature.scalars")
    base = {"flag": True, "count": 1, "name": "n", "nullable_required": None}
    _fails(
        scalars.Main(**base, data=atlex.Bytes.from_bytes(b"x" * 33)), "$.data", "more than 32 bytes"
    )
    assert isinstance(msgspec.to_builtins(scalars.Main(**base)), dict)
