"""Where the interop test vectors live and how to read them (reference-behaviour §6).

The vectors are read from ``<repo>/../shared/interop`` at run time and never copied into the
repository. When that folder is absent the conformance tests skip, saying so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

INTEROP = Path(__file__).resolve().parents[2].parent / "shared" / "interop"
MISSING_REASON = f"interop test vectors not found at {INTEROP} (../shared/interop)"


def require_interop(subdir: str) -> Path:
    """The vector folder ``subdir``; skips the calling test module when it is absent."""
    folder = INTEROP / subdir
    if not folder.is_dir():
        pytest.skip(MISSING_REASON, allow_module_level=True)
    return folder


def read_lines(path: Path) -> list[tuple[int, str]]:
    """``(line number, case)`` for each case line: split on ``\\r?\\n``, skip empty lines and
    lines starting with ``#``, and never strip whitespace (some invalid cases depend on it)."""
    text = path.read_bytes().decode("utf-8")
    return [
        (number, line)
        for number, line in enumerate(re.split(r"\r?\n", text), start=1)
        if line and not line.startswith("#")
    ]


def read_json(path: Path) -> Any:
    return json.loads(path.read_bytes())
