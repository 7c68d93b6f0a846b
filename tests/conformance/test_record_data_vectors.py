"""Record data vectors against the catalog lexicons, through bindings generated during the test.

A valid record decodes and passes ``validate()``; an invalid one fails one or the other.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest

import atlex
from atlex.errors import LexValidationError
from atlex_codegen.pipeline import generate
from atlex_codegen.write import write_files

LEXICON_VECTORS = Path(__file__).resolve().parents[3] / "shared" / "interop" / "lexicon"
PACKAGE = "interop_catalog"


def _vectors(kind: str) -> list[dict[str, Any]]:
    path = LEXICON_VECTORS / f"record-data-{kind}.json"
    if not path.is_file():
        return []
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    if not (LEXICON_VECTORS / "catalog").is_dir():
        pytest.skip(f"interop vectors not present at {LEXICON_VECTORS} (../shared is absent)")
    out = tmp_path_factory.mktemp("catalog")
    gen = generate([LEXICON_VECTORS / "catalog"], PACKAGE)
    # the record document must be clean (its file is named by type, not by NSID: tolerated;
    # other catalog documents reference upstream lexicons we do not load here)
    record_problems = [p for p in gen.problems if p.nsid == "example.lexicon.record"]
    assert [str(p) for p in record_problems if "file path says" not in p.message] == []
    write_files(gen.files, out, PACKAGE)
    sys.path.insert(0, str(out))
    try:
        import importlib

        yield importlib.import_module(f"{PACKAGE}.example.lexicon.record")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
            del sys.modules[name]


def _check(record_module: ModuleType, data: Any) -> None:
    record = atlex.decode(json.dumps(data), record_module.Record)
    record.validate()


VALID = _vectors("valid")
INVALID = _vectors("invalid")


@pytest.mark.parametrize("case", VALID, ids=[c["name"] for c in VALID])
def test_valid_record_data(catalog: ModuleType, case: dict[str, Any]) -> None:
    _check(catalog, case["data"])


@pytest.mark.parametrize("case", INVALID, ids=[f"{i}-{c['name']}" for i, c in enumerate(INVALID)])
def test_invalid_record_data(catalog: ModuleType, case: dict[str, Any]) -> None:
    with pytest.raises((LexValidationError, msgspec.ValidationError)):
        _check(catalog, case["data"])


def test_vector_files_present_and_counted() -> None:
    if not LEXICON_VECTORS.is_dir():
        pytest.skip(f"interop vectors not present at {LEXICON_VECTORS} (../shared is absent)")
    assert len(VALID) == 3
    assert len(INVALID) == 50


UNKNOWN_CASES = [c for c in INVALID if c["name"].startswith("unknown wrong type")]


@pytest.mark.parametrize("case", UNKNOWN_CASES, ids=[c["name"] for c in UNKNOWN_CASES])
def test_unknown_must_be_an_object_even_when_the_rest_is_valid(
    catalog: ModuleType, case: dict[str, Any]
) -> None:
    # these vectors also lack the required `integer`; make sure the `unknown` itself is caught
    data = {**case["data"], "integer": 1}
    with pytest.raises((LexValidationError, msgspec.ValidationError)) as info:
        _check(catalog, data)
    assert "unknown" in str(info.value)
