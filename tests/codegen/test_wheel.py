"""The wheel ships the generated bindings (git-ignored build output) and the generator."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from _codegen_support import REPO


def test_wheel_contains_the_generated_bindings(tmp_path: Path) -> None:
    assert (REPO / "src/atlex/lex/client.py").is_file(), "run `make gen` first"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("atlex-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "atlex/lex/client.py",
        "atlex/lex/_lexicons.json",
        "atlex/lex/app/bsky/feed/post.py",
        "atlex/lex/_ns/app/bsky/feed/__init__.py",
        "atlex/py.typed",
        "atlex_codegen/templates/types.py.jinja",
        "atlex_codegen/_extract_schemas.mjs",
    ):
        assert required in names, required
    assert not [n for n in names if n.startswith(("lexicons/", "tests/", "network/"))]
