"""Generating a set whose references point into a package generated earlier (``--extern``)."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _codegen_support import LEXICONS, GeneratedSet
from click.testing import CliRunner

import atlex
from atlex.cli._app import cli as main
from atlex_codegen.pipeline import Generation, generate, load_external
from atlex_codegen.write import write_files


@pytest.fixture(scope="module")
def uses_features(
    features: GeneratedSet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generation]:
    features.import_all()
    out = tmp_path_factory.mktemp("uses")
    ext = load_external(features.package)
    gen = generate([LEXICONS / "uses-features"], "fx_uses", [(ext, features.package)])
    write_files(gen.files, out, "fx_uses")
    sys.path.insert(0, str(out))
    try:
        yield gen
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.startswith("fx_uses")]:
            del sys.modules[name]


def test_references_use_the_external_classes(
    uses_features: Generation, features: GeneratedSet
) -> None:
    assert all(not p.startswith("fx_uses/test/") for p in uses_features.files), (
        "nothing regenerated"
    )
    thing = importlib.import_module("fx_uses.com.example.thing")
    defs = features.module("test.feature.defs")
    record = features.module("test.feature.record")
    data = {
        "$type": "com.example.thing",
        "at": {"x": 1, "y": 2},
        "color": "green",
        "media": {"$type": "test.feature.record#image", "alt": "a"},
    }
    value = atlex.decode(json.dumps(data), thing.Record)
    assert isinstance(value.at, defs.Point)
    assert isinstance(value.media, record.Image)
    assert json.loads(atlex.encode(value))["media"] == data["media"]
    note = atlex.decode(
        json.dumps({**data, "media": {"$type": "com.example.thing#note", "body": "b"}}),
        thing.Record,
    )
    assert isinstance(note.media, thing.Note)


def test_untagged_external_union_members_are_reported(uses_features: Generation) -> None:
    reports = [str(p) for p in uses_features.problems]
    assert len(reports) == 1, reports
    assert (
        "union member 'test.feature.scalars' is generated untagged in fx_features.test.feature.scalars"
        in reports[0]
    )
    assert "com.example.thing#main" in reports[0]
    # test.feature.defs#label is a union member in its own set: it stays in the union
    thing = importlib.import_module("fx_uses.com.example.thing")
    value = atlex.decode(
        b'{"at":{"x":1,"y":2},"untaggable":{"$type":"test.feature.defs#label","val":"v"}}',
        thing.Record,
    )
    assert value.untaggable.val == "v"


def test_cli_extern_option(features: GeneratedSet, tmp_path: Path) -> None:
    features.import_all()
    runner = CliRunner()
    args = ["gen", str(LEXICONS / "uses-features"), "--out", str(tmp_path), "--package", "cli_uses"]
    ok = runner.invoke(main, [*args, "--extern", features.package, "--no-bundled"])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "cli_uses" / "com" / "example" / "thing.py").is_file()
    missing = runner.invoke(main, [*args, "--extern", "no_such_pkg_xyz"])
    assert missing.exit_code == 2
    assert "'no_such_pkg_xyz' is not an importable package" in missing.output
    alone = runner.invoke(main, [*args, "--no-bundled"])
    assert alone.exit_code == 0
    assert "unresolved reference 'test.feature.defs#point'" in alone.output
