"""Every line of every ``interop/syntax/*.txt`` file against atlex.syntax.

``*_syntax_valid`` lines must pass, ``*_syntax_invalid`` lines must fail, and
``*_parse_invalid`` lines (well-formed but semantically invalid: month 0, a repeated BCP 47
variant, ...) must fail too: the Lexicon format checks include that semantic level.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _interop import read_lines, require_interop

from atlex import syntax
from atlex._datetime import parse_datetime

SYNTAX = require_interop("syntax")

# vector file prefix -> (Lexicon format name, fast validator)
FORMATS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "atidentifier": ("at-identifier", syntax.is_valid_at_identifier),
    "aturi": ("at-uri", syntax.is_valid_at_uri),
    "cid": ("cid", syntax.is_valid_cid),
    "datetime": ("datetime", syntax.is_valid_datetime),
    "did": ("did", syntax.is_valid_did),
    "handle": ("handle", syntax.is_valid_handle),
    "language": ("language", syntax.is_valid_language),
    "nsid": ("nsid", syntax.is_valid_nsid),
    "recordkey": ("record-key", syntax.is_valid_record_key),
    "tid": ("tid", syntax.is_valid_tid),
    "uri": ("uri", syntax.is_valid_uri),
}
FILES = sorted(SYNTAX.glob("*.txt"))


def _cases() -> list[pytest.ParameterSet]:
    cases: list[pytest.ParameterSet] = []
    for path in FILES:
        kind, _, level = path.stem.partition("_")
        valid = level == "syntax_valid"
        for number, line in read_lines(path):
            cases.append(pytest.param(kind, valid, line, id=f"{path.stem}:{number}"))
    return cases


@pytest.mark.parametrize(("kind", "valid", "value"), _cases())
def test_vector(kind: str, valid: bool, value: str) -> None:
    name, is_valid = FORMATS[kind]
    reason = syntax.check_format(name, value)
    if valid:
        assert is_valid(value), f"{value!r} should be a valid {name}"
        assert reason is None, f"{value!r}: {reason}"
    else:
        assert not is_valid(value), f"{value!r} should not be a valid {name}"
        assert reason is not None
        assert reason.startswith(f"invalid {name}: ")
        assert len(reason) > len(f"invalid {name}: ")  # it says why


def test_every_vector_file_is_understood() -> None:
    """A vector file added upstream must not be skipped silently."""
    assert FILES
    for path in FILES:
        kind, _, level = path.stem.partition("_")
        assert kind in FORMATS, path.name
        assert level in ("syntax_valid", "syntax_invalid", "parse_invalid"), path.name
        assert read_lines(path), f"{path.name} has no cases"
    assert {FORMATS[k][0] for k in FORMATS} == syntax.FORMAT_NAMES


def test_whitespace_cases_are_kept() -> None:
    """The reader must not strip: leading/trailing-space cases exist and are invalid."""
    padded = [
        line
        for path in SYNTAX.glob("*_invalid.txt")
        for _, line in read_lines(path)
        if line != line.strip()
    ]
    assert len(padded) >= 10


@pytest.mark.parametrize(
    ("number", "line"),
    [
        pytest.param(n, line, id=f"L{n}")
        for n, line in read_lines(SYNTAX / "datetime_syntax_valid.txt")
    ],
)
def test_valid_datetimes_parse(number: int, line: str) -> None:
    if line.startswith("0000-"):
        with pytest.raises(ValueError, match="year 0"):
            parse_datetime(line)
        return
    parsed = parse_datetime(line)
    assert parsed.tzinfo is not None
    assert parsed.year == int(line[:4])


@pytest.mark.parametrize(
    ("number", "line"),
    [
        pytest.param(n, line, id=f"{name}:{n}")
        for name in ("datetime_syntax_invalid.txt", "datetime_parse_invalid.txt")
        for n, line in read_lines(SYNTAX / name)
    ],
)
def test_invalid_datetimes_do_not_parse(number: int, line: str) -> None:
    with pytest.raises(ValueError, match="invalid datetime"):
        parse_datetime(line)
