"""pyright --strict and ruff over generated fixture packages: hostile names must stay clean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _codegen_support import LEXICONS

from atlex_codegen.pipeline import generate
from atlex_codegen.write import write_files


def test_generated_fixture_packages_are_pyright_strict_clean(tmp_path: Path) -> None:
    for set_name in ("features", "hostile", "broken"):
        gen = generate([LEXICONS / set_name], f"tc_{set_name}")
        write_files(gen.files, tmp_path, f"tc_{set_name}")
    (tmp_path / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.11"})
    )
    pyright = Path(sys.executable).with_name("pyright")
    proc = subprocess.run(
        [str(pyright), "--pythonpath", sys.executable, "--outputjson", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(proc.stdout)
    errors = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert errors == []
    assert report["summary"]["filesAnalyzed"] == sum(1 for _ in tmp_path.rglob("*.py"))


def test_generated_fixture_packages_are_ruff_clean(tmp_path: Path) -> None:
    for set_name in ("features", "hostile", "broken"):
        gen = generate([LEXICONS / set_name], f"rc_{set_name}")
        write_files(gen.files, tmp_path, f"rc_{set_name}")
    ruff = Path(sys.executable).with_name("ruff")
    proc = subprocess.run(
        [
            str(ruff),
            "check",
            "--isolated",
            "--select",
            "E,F,W,I,UP,B,SIM,RUF",
            "--ignore",
            "E501",
            "--target-version",
            "py311",
            "--output-format",
            "concise",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
