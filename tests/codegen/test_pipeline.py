"""The generator as a tool: validity rules, problem reports, determinism, drift, strict mode."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _codegen_support import LEXICONS, REPO, GeneratedSet
from click.testing import CliRunner

from atlex.cli._app import cli as main
from atlex_codegen.load import load_bytes
from atlex_codegen.pipeline import generate

INTEROP = REPO.parent / "shared" / "interop" / "lexicon"


def _vectors(name: str) -> list[dict[str, object]]:
    path = INTEROP / f"lexicon-{name}.json"
    if not path.is_file():
        pytest.skip(f"interop vectors not present at {path} (../shared is absent)")
    return json.loads(path.read_text())


def test_interop_valid_lexicons_load_without_problems() -> None:
    vectors = _vectors("valid")
    assert vectors
    for v in vectors:
        doc, problems = load_bytes(json.dumps(v["lexicon"]).encode(), str(v["name"]))
        assert doc is not None, v["name"]
        assert problems == [], (v["name"], [str(p) for p in problems])


def test_interop_invalid_lexicons_are_reported() -> None:
    vectors = _vectors("invalid")
    assert vectors
    for v in vectors:
        _, problems = load_bytes(json.dumps(v["lexicon"]).encode(), str(v["name"]))
        assert problems, f"{v['name']}: accepted an invalid lexicon"


def test_broken_documents_reported_once_each_and_rest_generated(broken: GeneratedSet) -> None:
    reports = [str(p) for p in broken.generation.problems]
    assert len(reports) == len(set(reports))
    expected = [
        ("test.broken.badProp#main", "Expected 'int', got 'str'", "$.defs.main.properties.x.items.default"),
        ("test.broken.badType#main", "def of type 'space' is not a Lexicon type", "$.defs.main.type"),
        ("test.broken.badType#ok", "unresolved reference '#main'", "$.defs.ok.properties.a"),
        ("test.broken.badType#ok", "unresolved reference 'test.broken.missing#nothing'", "$.defs.ok.properties.b"),
        ("notJson.json: ?", "not JSON", "(at $)"),
        ("test.broken.refToken#main", "points at a token", "$.defs.main.properties.t"),
        ("test.broken.refToken#main", "union member '#tok' is not an object or record", "$.defs.main.properties.u"),
        ("test.broken.refToken#main", "required field 'ghost' is not defined", "$.defs.main.required"),
        ("test.broken.elsewhere", "file path says 'test.broken.wrongPath' but the document id is 'test.broken.elsewhere'", "$.id"),
    ]  # fmt: skip
    for where, reason, path in expected:
        hits = [r for r in reports if where in r and reason in r and path in r]
        assert len(hits) == 1, (where, reason, reports)
    assert len(reports) == len(expected), reports
    # everything that was not broken is generated and importable
    bad_prop = broken.module("test.broken.bad_prop")
    assert bad_prop.FINE == "test.broken.badProp#fine"
    assert not hasattr(bad_prop, "Main")
    ok = broken.module("test.broken.bad_type").Ok(a={"x": 1})
    assert ok.a == {"x": 1}
    assert broken.module("test.broken.elsewhere").Main(a=1).a == 1
    ref_token = broken.module("test.broken.ref_token").Main(t="anything")
    assert ref_token.t == "anything"


def test_strict_mode_turns_problems_into_exit_code(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["gen", str(LEXICONS / "broken"), "--out", str(tmp_path), "--package", "strictpkg"]
    lenient = runner.invoke(main, args)
    assert lenient.exit_code == 0, lenient.output
    assert "def of type 'space' is not a Lexicon type" in lenient.output
    strict = runner.invoke(main, [*args, "--strict"])
    assert strict.exit_code == 2
    assert "--strict: 9 lexicon problems" in strict.output
    clean = runner.invoke(main, ["gen", str(LEXICONS / "features"), "--out", str(tmp_path),
                                 "--package", "cleanpkg", "--strict"])  # fmt: skip
    assert clean.exit_code == 0, clean.output


def test_two_generations_are_byte_identical() -> None:
    first = generate([LEXICONS / "features", LEXICONS / "hostile"], "twice")
    second = generate([LEXICONS / "features", LEXICONS / "hostile"], "twice")
    assert first.files == second.files
    assert list(first.files) == sorted(first.files)


def test_check_detects_drift_and_stale_files(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["gen", str(LEXICONS / "features"), "--out", str(tmp_path), "--package", "drift"]
    assert runner.invoke(main, args).exit_code == 0
    check = [*args, "--check"]
    assert runner.invoke(main, check).exit_code == 0

    target = tmp_path / "drift" / "test" / "feature" / "query.py"
    original = target.read_text()
    target.write_text(original.replace("limit", "lim1t"))
    changed = runner.invoke(main, check)
    assert changed.exit_code == 1
    assert f"edited by hand: {target}" in changed.output  # its digest no longer matches
    assert target.read_text() != original  # --check writes nothing

    assert runner.invoke(main, args).exit_code == 0
    assert target.read_text() == original

    stale = tmp_path / "drift" / "test" / "feature" / "gone.py"
    stale.write_text("# @generated by atlex-codegen 0.0.0\n")
    handwritten = tmp_path / "drift" / "test" / "feature" / "mine.py"
    handwritten.write_text("x = 1\n")
    result = runner.invoke(main, check)
    assert result.exit_code == 1
    assert "to remove (no longer generated):" in result.output and "gone.py" in result.output
    assert runner.invoke(main, args).exit_code == 0
    assert not stale.exists()
    assert handwritten.exists(), "a file we did not generate is never removed"


def test_gen_rejects_a_package_name_that_is_not_python(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["gen", str(LEXICONS / "features"), "--out", str(tmp_path), "--package", "my-pkg"]
    )
    assert result.exit_code == 2
    assert "is not a dotted Python name" in result.output


def test_check_reports_stale_files_as_stale_not_written(tmp_path: Path) -> None:
    runner = CliRunner()
    lex = tmp_path / "lex"
    shutil.copytree(LEXICONS / "features", lex)
    args = ["gen", str(lex), "--out", str(tmp_path / "out"), "--package", "chk"]
    assert runner.invoke(main, args).exit_code == 0
    query = lex / "test" / "feature" / "query.json"
    query.write_text(query.read_text().replace('"maximum": 100', '"maximum": 75'))
    result = runner.invoke(main, [*args, "--check"])
    assert result.exit_code == 1
    assert "written" not in result.output
    assert "2 stale" in result.output  # the module and the _lexicons.json manifest
    out = tmp_path / "out" / "chk"
    assert f"stale: {out / 'test' / 'feature' / 'query.py'}" in result.output
    assert f"stale: {out / '_lexicons.json'}" in result.output


def test_gen_rejects_a_keyword_in_the_package_name(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["gen", str(LEXICONS / "features"), "--out", str(tmp_path), "--package", "class.x"]
    )
    assert result.exit_code == 2
    assert "'class' is a Python keyword" in result.output
    assert not (tmp_path / "class").exists()


def test_gen_on_a_folder_without_lexicons_warns_and_fails(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(
        main, ["gen", str(empty), "--out", str(tmp_path / "out"), "--package", "nothing"]
    )
    assert result.exit_code == 1
    assert "warning:" in result.output and "no lexicon documents (*.json) here" in result.output
    assert "nothing generated" in result.output
    assert not (tmp_path / "out").exists()
