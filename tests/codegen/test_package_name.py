"""``--package`` must name something Python can import."""

from __future__ import annotations

import pytest

from atlex_codegen.naming import package_name_problem


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("class.x", "'class' is a Python keyword (try 'class_')"),
        ("mylex.None", "'None' is a Python keyword"),
        ("my-pkg", "is not a dotted Python name"),
        ("a..b", "is not a dotted Python name"),
        ("pkg.__init__", "reserved (dunder) name"),
    ],
)
def test_unimportable_names_are_explained(name: str, expected: str) -> None:
    problem = package_name_problem(name)
    assert problem is not None and expected in problem


@pytest.mark.parametrize("name", ["mylex", "atlex.lex", "_private.pkg", "match.case"])
def test_importable_names_pass(name: str) -> None:
    assert package_name_problem(name) is None
