"""The loader's spec audit (issue 15): what the Lexicon language requires and the typed parse
lets through is reported with its JSON path; ``atlex gen`` still generates, ``--strict`` fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from atlex_codegen.load import load_bytes


def _problems(defs: dict[str, Any]) -> list[tuple[str, str]]:
    doc = {"lexicon": 1, "id": "com.example.audit", "defs": defs}
    document, problems = load_bytes(json.dumps(doc).encode(), "audit.json")
    assert document is not None  # reported, not skipped
    return [(p.path, p.message) for p in problems]


def test_a_clean_document_has_no_findings() -> None:
    assert _problems({"main": {"type": "object", "properties": {"a": {"type": "string"}}}}) == []


@pytest.mark.parametrize(
    ("defs", "path", "reason"),
    [
        ({"main": {"type": "object"}}, "$.defs.main", "needs 'properties'"),
        (
            {"x": {"type": "object", "properties": {"o": {"type": "object"}}}},
            "$.defs.x.properties.o",
            "needs 'properties'",
        ),
        (
            {"main": {"type": "record", "key": "tid", "record": {"type": "object"}}},
            "$.defs.main.record",
            "needs 'properties'",
        ),
        (
            {
                "main": {
                    "type": "record",
                    "key": "uuid",
                    "record": {"type": "object", "properties": {}},
                }
            },
            "$.defs.main.key",
            "record key",
        ),
        ({"s": {"type": "string", "minLength": 5, "maxLength": 2}}, "$.defs.s", "minLength 5"),
        ({"s": {"type": "string", "const": "a", "default": "a"}}, "$.defs.s", "mutually exclusive"),
        (
            {"s": {"type": "string", "enum": ["a"], "default": "b"}},
            "$.defs.s.default",
            "not in enum",
        ),
        ({"i": {"type": "integer", "minimum": 1, "default": 0}}, "$.defs.i.default", "outside"),
        (
            {"a": {"type": "array", "items": {"type": "integer"}, "minLength": 3, "maxLength": 1}},
            "$.defs.a",
            "minLength 3",
        ),
        ({"b": {"type": "blob", "accept": ["image/*", "*"]}}, "$.defs.b.accept[1]", "not a MIME"),
        ({"b": {"type": "blob", "accept": ["image/pn*"]}}, "$.defs.b.accept[0]", "not a MIME"),
        (
            {"main": {"type": "query", "output": {"encoding": "application/json, text/plain"}}},
            "$.defs.main.output.encoding",
            "one MIME type",
        ),
    ],
)
def test_spec_omissions_are_reported_with_their_path(
    defs: dict[str, Any], path: str, reason: str
) -> None:
    found = _problems(defs)
    assert any(where == path and reason in why for where, why in found), found
