"""Figure 2: cold start in fresh processes (``bench/_coldchild.py``), contenders interleaved.

Every round starts one process per contender, in a rotating order, after one warm-up process
each (which also leaves compiled bytecode behind, as an installed package has).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.decode import peer_available
from bench.stats import rotate

CHILD = Path(__file__).resolve().parent / "_coldchild.py"
# atlex beside the floor, so that most rounds run the pair back to back (paired differences)
CONTENDERS = ("atlex", "floor", "atproto", "lexrpc")
PEER_MODULES = {"atproto": "atproto", "lexrpc": "lexrpc"}
METRICS = (
    "import_ms",
    "modules",
    "rss_import_mib",
    "first_decode_ms",
    "modules_total",
    "rss_decode_mib",
)


@dataclass(frozen=True)
class ColdResult:
    runs: int
    medians: dict[str, dict[str, float]]  # contender -> metric -> median
    samples: dict[str, list[dict[str, float]]] = field(
        default_factory=dict[str, list[dict[str, float]]]
    )
    """contender -> one dict of metrics per round (rounds aligned across contenders)"""

    def paired(self, metric: str, a: str, b: str, *, ratio: bool) -> float:
        """Median over rounds of ``a / b`` (``ratio``) or ``a - b`` for ``metric``."""
        values = [
            x[metric] / y[metric] if ratio else x[metric] - y[metric]
            for x, y in zip(self.samples[a], self.samples[b], strict=True)
        ]
        return statistics.median(values)


def child_env() -> dict[str, str]:
    """The environment for measured processes: bytecode caching on (as for an installed
    package), whatever the calling shell says, so that no contender pays for compiling."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def one(contender: str, fixture_path: Path, python: str = sys.executable) -> dict[str, float]:
    done = subprocess.run(
        [python, str(CHILD), contender, str(fixture_path)],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"cold start of {contender} failed (exit {done.returncode}):\n{done.stderr[-2000:]}"
        )
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"cold start of {contender} printed nothing:\n{done.stderr[-2000:]}")
    values: dict[str, float] = json.loads(lines[-1])
    return values


def available(peers: bool) -> list[str]:
    return [
        name
        for name in CONTENDERS
        if name not in PEER_MODULES or (peers and peer_available(PEER_MODULES[name]))
    ]


def run(*, rounds: int, fixture_path: Path, peers: bool = True) -> ColdResult:
    names = available(peers)
    for name in names:
        one(name, fixture_path)  # warm-up: bytecode, page cache
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for index in range(rounds):
        for name in rotate(names, index):
            samples[name].append(one(name, fixture_path))
    medians = {
        name: {metric: statistics.median(run[metric] for run in runs) for metric in METRICS}
        for name, runs in samples.items()
    }
    return ColdResult(runs=rounds, medians=medians, samples=samples)
