"""``interop/data-model/*.json`` against atlex.check_data_model, the CID parser and the codec.

* ``data-model-valid.json``: no issue.
* ``data-model-invalid.json``: at least one issue, each naming a location that exists.
* ``data-model-fixtures.json``: valid; turned into atlex types (``CidLink``, ``Bytes``,
  ``Blob``) it encodes back to exactly the fixture JSON; its CID is the sha2-256 of its
  DAG-CBOR bytes as our CID parser reads it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any, cast

import msgspec
import pytest
from _interop import read_json, require_interop

import atlex
from atlex import Blob, Bytes, CidLink, check_data_model
from atlex._cid import CODEC_DAG_CBOR, CODEC_RAW, HASH_SHA2_256
from atlex.syntax import parse_cid

DATA_MODEL = require_interop("data-model")
VALID: list[dict[str, Any]] = read_json(DATA_MODEL / "data-model-valid.json")
INVALID: list[dict[str, Any]] = read_json(DATA_MODEL / "data-model-invalid.json")
FIXTURES: list[dict[str, Any]] = read_json(DATA_MODEL / "data-model-fixtures.json")

_STEP = re.compile(r'\.([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def resolve(document: Any, path: str) -> Any:
    """The value at a ``$.a.b[0]["odd key"]`` path; KeyError/IndexError if there is none."""
    assert path.startswith("$"), path
    rest, node = path[1:], document
    while rest:
        m = _STEP.match(rest)
        assert m is not None, f"malformed path {path!r}"
        if m[1] is not None:
            node = node[m[1]]
        elif m[2] is not None:
            node = node[int(m[2])]
        else:
            node = node[msgspec.json.decode(m[3])]
        rest = rest[m.end() :]
    return node


@pytest.mark.parametrize("case", [pytest.param(c, id=c["note"]) for c in VALID])
def test_valid(case: dict[str, Any]) -> None:
    assert check_data_model(case["json"]) == []


@pytest.mark.parametrize("case", [pytest.param(c, id=c["note"]) for c in INVALID])
def test_invalid(case: dict[str, Any]) -> None:
    issues = check_data_model(case["json"])
    assert issues, f"{case['note']}: expected a data-model violation"
    for path, reason in issues:
        resolve(case["json"], path)  # the path points into the document
        assert reason


def to_atlex(value: Any) -> Any:
    """Data-model JSON -> the atlex runtime types a generated struct would hold."""
    if isinstance(value, list):
        return [to_atlex(v) for v in cast("list[Any]", value)]
    if not isinstance(value, dict):
        return value
    obj = cast("dict[str, Any]", value)
    if set(obj) == {"$link"}:
        return CidLink(obj["$link"])
    if set(obj) == {"$bytes"}:
        return Bytes(obj["$bytes"])
    if obj.get("$type") == "blob":
        return atlex.convert(obj, Blob)
    return {k: to_atlex(v) for k, v in obj.items()}


@pytest.mark.parametrize(
    "fixture", [pytest.param(f, id=f"fixture{i}") for i, f in enumerate(FIXTURES)]
)
def test_fixture_is_valid_and_round_trips(fixture: dict[str, Any]) -> None:
    data = fixture["json"]
    assert check_data_model(data) == []
    typed = to_atlex(data)
    assert check_data_model(typed) == []
    assert atlex.encode(typed) == msgspec.json.encode(data)


@pytest.mark.parametrize(
    "fixture", [pytest.param(f, id=f"fixture{i}") for i, f in enumerate(FIXTURES)]
)
def test_fixture_cid_is_the_hash_of_its_cbor(fixture: dict[str, Any]) -> None:
    cbor_b64: str = fixture["cbor_base64"]  # unpadded, as the data model writes bytes
    cbor = Bytes(cbor_b64).data
    cid = parse_cid(fixture["cid"])
    assert (cid.version, cid.codec, cid.hash_code) == (1, CODEC_DAG_CBOR, HASH_SHA2_256)
    assert cid.digest == hashlib.sha256(cbor).digest()
    assert str(cid) == fixture["cid"]


def walk(value: Any) -> list[dict[str, Any]]:
    """Every object inside ``value``."""
    if isinstance(value, list):
        return [o for v in cast("list[Any]", value) for o in walk(v)]
    if isinstance(value, dict):
        obj = cast("dict[str, Any]", value)
        return [obj, *(o for v in obj.values() for o in walk(v))]
    return []


def test_fixture_links_bytes_and_blobs() -> None:
    """The special objects inside the fixtures, read through the runtime types."""
    objects = [o for f in FIXTURES for o in walk(f["json"])]
    links = [o["$link"] for o in objects if set(o) == {"$link"}]
    raw = [o["$bytes"] for o in objects if set(o) == {"$bytes"}]
    blobs = [atlex.convert(o, Blob) for o in objects if o.get("$type") == "blob"]
    assert links and raw and blobs
    for link in links:
        assert str(parse_cid(link)) == link
    for text in raw:
        data = Bytes(text).data
        assert Bytes.from_bytes(data).b64 == text  # unpadded in, unpadded out
        assert data == base64.b64decode(text + "=" * (-len(text) % 4))
    for blob in blobs:
        ref = parse_cid(blob.cid_str)
        assert ref.codec == CODEC_RAW
        assert not blob.is_legacy
