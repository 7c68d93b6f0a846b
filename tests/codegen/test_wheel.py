"""The wheel ships the generated bindings (git-ignored build output) and the generator; installed
bare it brings the runtime only, with the ``cli`` extra the whole command line."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from _codegen_support import LEXICONS, REPO

CLI_LIBRARIES = ("click", "jinja2", "dnspython")


def _run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, env=env
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert (REPO / "src/atlex/lex/client.py").is_file(), "run `make gen` first"
    out = tmp_path_factory.mktemp("wheel")
    built = _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", out, REPO)
    assert built.returncode == 0, built.stderr
    (found,) = out.glob("atlex-*.whl")
    return found


def test_wheel_contains_the_generated_bindings(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "atlex/lex/client.py",
        "atlex/lex/_lexicons.json",
        "atlex/lex/app/bsky/feed/post.py",
        "atlex/lex/_ns/app/bsky/feed/__init__.py",
        "atlex/py.typed",
        "atlex/cli/__init__.py",
        "atlex_codegen/templates/types.py.jinja",
        "atlex_codegen/lexicons/_extract_schemas.mjs",
    ):
        assert required in names, required
    assert not [n for n in names if n.startswith(("lexicons/", "tests/", "network/"))]


def _installed(python: Path) -> set[str]:
    listed = _run(python, "-m", "pip", "list", "--format=freeze")
    assert listed.returncode == 0, listed.stderr
    return {line.split("==")[0].lower() for line in listed.stdout.split()}


def test_bare_install_is_the_runtime_and_the_cli_extra_adds_the_command_line(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", venv).returncode == 0
    python, atlex = venv / "bin" / "python", venv / "bin" / "atlex"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    bare = _run(python, "-m", "pip", "install", "--quiet", wheel, env=env)
    assert bare.returncode == 0, bare.stderr
    assert not set(CLI_LIBRARIES) & _installed(python)
    runtime = _run(python, "-c", "import atlex; print(atlex.Client.__module__)", env=env)
    assert runtime.stdout.strip() == "atlex.lex.client", runtime.stderr
    hint = _run(atlex, "--help", env=env)
    assert hint.returncode == 1
    assert "pip install 'atlex[cli]'" in hint.stderr
    assert "Traceback" not in hint.stderr

    full = _run(python, "-m", "pip", "install", "--quiet", f"{wheel}[cli]", env=env)
    assert full.returncode == 0, full.stderr
    assert set(CLI_LIBRARIES) <= _installed(python)
    helped = _run(atlex, "--help", env=env)
    assert helped.returncode == 0, helped.stderr
    for command in ("gen", "lexicons", "login", "call", "whoami", "logout"):
        assert f"  {command} " in helped.stdout, command
    out = tmp_path / "out"
    generated = _run(
        atlex, "gen", LEXICONS / "features", "--out", out, "--package", "wheel_fx", env=env
    )
    assert generated.returncode == 0, generated.stderr
    assert (out / "wheel_fx" / "client.py").is_file()
    imported = _run(python, "-c", "import wheel_fx.client", env={**env, "PYTHONPATH": str(out)})
    assert imported.returncode == 0, imported.stderr
