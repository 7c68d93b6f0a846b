"""Figure 3: generating the full upstream lexicon set, as a user runs it (wall clock of the
command, interpreter start-up included), into a fresh folder each time.

* atlex: ``atlex gen lexicons/upstream --out <tmp> --package x``;
* atproto 0.0.73: its wheel has no lexicons, so ``atp gen all`` (which regenerates the installed
  SDK in place from the source tree's lexicons) cannot run; its ``atp gen --lexicon-dir
  lexicons/upstream custom --output-dir <tmp> --package x`` generates models, namespaces and a
  client from the same folder, and formats them with ruff as ``atp gen all`` does.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.coldstart import child_env
from bench.stats import rotate

REPO = Path(__file__).resolve().parents[1]
UPSTREAM = REPO / "lexicons" / "upstream"


@dataclass(frozen=True)
class GenResult:
    lexicon_files: int
    wall_s: dict[str, float]  # contender -> median seconds
    atlex_internal_s: float | None  # what `atlex gen` reports for itself (no interpreter start-up)
    atlex_modules: int | None


def _atp() -> Path | None:
    atp = Path(sys.executable).parent / "atp"
    return atp if atp.is_file() and shutil.which("ruff", path=str(atp.parent)) else None


def commands(lexicons: Path, out: Path) -> dict[str, list[str]]:
    found = {
        "atlex": [
            sys.executable,
            *("-m", "atlex.cli", "gen", str(lexicons)),
            *("--out", str(out / "atlex"), "--package", "x"),
        ]
    }
    atp = _atp()
    if atp is not None:
        found["atproto"] = [
            str(atp),
            *("gen", "--lexicon-dir", str(lexicons), "custom"),
            *("--output-dir", str(out / "atproto"), "--package", "x"),
        ]
    return found


def _timed(argv: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        argv, env=child_env(), capture_output=True, text=True, timeout=300, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} ... failed:\n{done.stderr[-2000:]}")
    return elapsed, done.stdout + done.stderr


def run(*, rounds: int, lexicons: Path = UPSTREAM, peers: bool = True) -> GenResult:
    if not lexicons.is_dir():
        raise RuntimeError(f"no lexicons in {lexicons}: run `make lexicons` first")
    walls: dict[str, list[float]] = {}
    internal: list[float] = []
    modules: int | None = None
    with tempfile.TemporaryDirectory(prefix="atlex-bench-gen-") as tmp:
        for index in range(rounds + 1):  # round 0 warms the page cache and bytecode
            out = Path(tmp) / str(index)
            argvs = commands(lexicons, out)
            if not peers:
                argvs = {"atlex": argvs["atlex"]}
            for name in rotate(list(argvs), index):
                elapsed, output = _timed(argvs[name])
                if index == 0:
                    continue
                walls.setdefault(name, []).append(elapsed)
                if name == "atlex":
                    report = re.search(r"-> (\d+) modules.*?\(([\d.]+)s;", output)
                    if report:
                        modules = int(report.group(1))
                        internal.append(float(report.group(2)))
            shutil.rmtree(out, ignore_errors=True)
    return GenResult(
        lexicon_files=sum(1 for _ in lexicons.rglob("*.json")),
        wall_s={name: statistics.median(values) for name, values in walls.items()},
        atlex_internal_s=statistics.median(internal) if internal else None,
        atlex_modules=modules,
    )
