"""Rendered output of the fixture lexicons, pinned file by file (``*.py.txt`` snapshots)."""

from __future__ import annotations

from typing import Any

import pytest
from _codegen_support import LEXICONS
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from atlex_codegen.pipeline import generate


class PythonText(SingleFileSnapshotExtension):
    # not *.py: pytest must never collect a snapshot
    file_extension = "py.txt"
    _write_mode = WriteMode.TEXT


def _files(set_name: str, package: str) -> dict[str, str]:
    return generate([LEXICONS / set_name], package).files


CASES = [
    (set_name, path, text)
    for set_name, package in (("features", "fx_features"), ("hostile", "fx_hostile"))
    for path, text in _files(set_name, package).items()
    if path.endswith(".py")
]


@pytest.mark.parametrize(
    ("set_name", "path", "text"),
    CASES,
    ids=[f"{c[0]}:{c[1].replace('/', '.')}" for c in CASES],
)
def test_rendered_module(set_name: str, path: str, text: str, snapshot: SnapshotAssertion) -> None:
    ext: Any = PythonText
    assert text == snapshot(extension_class=ext)
