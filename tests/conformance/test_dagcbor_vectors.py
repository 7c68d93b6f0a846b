"""``interop/data-model/data-model-fixtures.json`` through ``atlex.repo.dagcbor``: for every
fixture the DAG-CBOR bytes decode to the fixture's JSON form, the JSON form (plain or typed as
``CidLink`` / ``Bytes`` / ``Blob``) encodes to exactly the fixture's bytes, and the CID of those
bytes is the fixture's CID."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from _interop import read_json, require_interop

import atlex
from atlex import Blob, Bytes, CidLink
from atlex.repo import dagcbor

DATA_MODEL = require_interop("data-model")
FIXTURES: list[dict[str, Any]] = read_json(DATA_MODEL / "data-model-fixtures.json")


def _bytes_of(fixture: dict[str, Any]) -> bytes:
    text = fixture["cbor_base64"]
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _typed(value: Any) -> Any:
    """The JSON form with every link, byte string and blob as atlex's data-model structs."""
    if isinstance(value, dict):
        if set(value) == {"$link"}:
            return atlex.convert(value, CidLink)
        if set(value) == {"$bytes"}:
            return atlex.convert(value, Bytes)
        if value.get("$type") == "blob":
            return atlex.convert(value, Blob)
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return value


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f["cid"][-8:])
def test_fixture_bytes_decode_to_the_json_form(fixture: dict[str, Any]) -> None:
    assert dagcbor.decode(_bytes_of(fixture)) == fixture["json"]


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f["cid"][-8:])
def test_fixture_json_encodes_to_the_fixture_bytes_and_cid(fixture: dict[str, Any]) -> None:
    encoded = dagcbor.encode(fixture["json"])
    assert encoded == _bytes_of(fixture)
    assert dagcbor.cid_text(dagcbor.cid_for(encoded)) == fixture["cid"]


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f["cid"][-8:])
def test_typed_values_encode_like_their_json_form(fixture: dict[str, Any]) -> None:
    assert dagcbor.encode(_typed(fixture["json"])) == _bytes_of(fixture)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f["cid"][-8:])
def test_raw_form_round_trips_the_bytes(fixture: dict[str, Any]) -> None:
    raw = dagcbor.decode_raw(_bytes_of(fixture))
    assert dagcbor.encode_raw(raw) == _bytes_of(fixture)
