"""The real sets: the whole upstream lexicon set and the third-party set lexrpc bundles."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from _codegen_support import GeneratedSet, generated_set, own_structs, pulled_set

from atlex_codegen.pipeline import generate, load_external
from atlex_codegen.write import write_files


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedSet]:
    yield from generated_set(tmp_path_factory.mktemp("up"), [pulled_set("upstream")], "up_check")


@pytest.fixture(scope="module")
def with_third_party(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedSet]:
    dirs = [pulled_set("upstream"), pulled_set("third-party")]
    yield from generated_set(tmp_path_factory.mktemp("tp"), dirs, "tp_check")


def _check_importable(gen: GeneratedSet) -> tuple[int, int]:
    modules = gen.import_all()
    structs = own_structs(modules)
    for cls in structs:
        msgspec.json.Decoder(cls)
    outputs = 0
    for mod in modules:
        for name in ("Output", "Input", "Message"):
            try:
                tp = getattr(mod, name)
            except AttributeError:
                continue
            msgspec.json.Decoder(tp)
            outputs += 1
    return len(structs), outputs


def test_upstream_set_generates_with_no_problem(upstream: GeneratedSet) -> None:
    gen = upstream.generation
    assert [str(p) for p in gen.problems] == []
    assert gen.documents >= 380
    assert gen.stubs >= 300
    structs, outputs = _check_importable(upstream)
    assert structs > 900
    assert outputs > 300


def test_third_party_set_reports_its_rule_breaks_and_generates_the_rest(
    with_third_party: GeneratedSet,
) -> None:
    reports = [str(p) for p in with_third_party.generation.problems]
    assert len(reports) == len(set(reports))
    # each report names the document's file and its NSID
    assert all(r.split(": ")[0].endswith(".json") and r.split(": ")[1] for r in reports), reports
    kinds = {
        "file path says": sum("file path says" in r for r in reports),
        "not a Lexicon type": sum("is not a Lexicon type" in r for r in reports),
        "object without properties": sum("needs 'properties'" in r for r in reports),
    }
    assert kinds == {
        "file path says": 5,
        "not a Lexicon type": 1,
        "object without properties": 1,
    }, reports
    assert any("community.lexicon.preference.ai#globalScope: an object" in r for r in reports)
    assert any("social.grain.privateGallery#main: def of type 'space'" in r for r in reports)
    _check_importable(with_third_party)
    # third-party records embed upstream types
    assert with_third_party.module("social.grain.photo").NSID == "social.grain.photo"


def test_third_party_alone_resolves_upstream_refs_through_an_extern_package(
    upstream: GeneratedSet, tmp_path: Path
) -> None:
    upstream.import_all()
    ext = load_external(upstream.package)
    gen = generate([pulled_set("third-party")], "tp_alone", [(ext, upstream.package)])
    reports = [str(p) for p in gen.problems]
    assert not [r for r in reports if "unresolved" in r], reports
    assert all(not path.startswith("tp_alone/app/") for path in gen.files)
    write_files(gen.files, tmp_path, "tp_alone")
    sys.path.insert(0, str(tmp_path))
    try:
        _check_importable(GeneratedSet(gen, tmp_path, "tp_alone"))
    finally:
        sys.path.remove(str(tmp_path))
