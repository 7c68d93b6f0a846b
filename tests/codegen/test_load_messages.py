"""Lexicon mistakes get messages a person can act on: the nearest valid type, line and column."""

from __future__ import annotations

import json
from pathlib import Path

from atlex_codegen.load import load_bytes, load_dirs
from atlex_codegen.suggest import did_you_mean, nearest


def _doc(defs: dict[str, object]) -> bytes:
    return json.dumps({"lexicon": 1, "id": "com.example.thing", "defs": defs}).encode()


def test_unknown_property_type_suggests_the_nearest() -> None:
    record = {
        "type": "record",
        "key": "tid",
        "record": {"type": "object", "properties": {"name": {"type": "strng"}}},
    }
    _, problems = load_bytes(_doc({"main": record}), "thing.json")
    (p,) = problems
    assert p.path == "$.defs.main.record.properties.name.type"
    assert "unknown type 'strng' (did you mean 'string'?)" in p.message


def test_unknown_type_with_nothing_near_lists_the_valid_ones() -> None:
    obj = {"type": "object", "properties": {"x": {"type": "zzzzzz"}}}
    _, problems = load_bytes(_doc({"main": obj}), "thing.json")
    (p,) = problems
    assert "unknown type 'zzzzzz' (valid: array, blob, boolean, bytes, cid-link" in p.message


def test_unknown_def_type_suggests_the_nearest() -> None:
    _, problems = load_bytes(_doc({"main": {"type": "objct"}}), "thing.json")
    (p,) = problems
    assert "def of type 'objct' is not a Lexicon type (did you mean 'object'?)" in p.message


def test_bad_json_names_line_and_column() -> None:
    data = b'{\n  "lexicon": 1,\n  "id": "com.example.thing",\n  "defs": {,}\n}\n'
    doc, problems = load_bytes(data, "thing.json")
    assert doc is None
    (p,) = problems
    assert "at line 4, column 12" in p.message, p.message
    assert "byte" not in p.message


def test_truncated_json_says_so_with_its_end() -> None:
    _, problems = load_bytes(b'{\n  "lexicon": 1,\n  "id": "x"', "thing.json")
    (p,) = problems
    assert "ends early" in p.message and "line 3" in p.message


def test_an_empty_folder_is_reported(tmp_path: Path) -> None:
    catalog = load_dirs([tmp_path])
    assert not catalog.documents
    (p,) = catalog.problems
    assert p.source == str(tmp_path) and "no lexicon documents" in p.message


def test_nearest_ignores_case_and_keeps_the_original_spelling() -> None:
    assert nearest("GETTIMELINE", ["getLikes", "getTimeline"])[0] == "getTimeline"
    assert did_you_mean("qwertyuiop", ["a", "b"]) == ""
    assert did_you_mean("qwertyuiop", ["b", "a"], list_all=True) == " (valid: a, b)"
