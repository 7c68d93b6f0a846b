"""``make bench``: atlex beside MarshalX ``atproto`` 0.0.73 and ``lexrpc`` 3.0, one table.

    python -m bench.run                 # everything (needs the peers, lexicons, the local PDS)
    python -m bench.run --quick         # tiny counts: checks that every part runs
    python -m bench.run --only decode,cold --no-peers

Run it from the repository root with the bench virtualenv's Python (``make bench`` does), so
that atlex and the peers run on the same interpreter.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import calls, capture, coldstart, decode, firehose, fixture, generation, report

PARTS = ("decode", "cold", "gen", "calls", "firehose")


@dataclass(frozen=True)
class Plan:
    decode_rounds: int
    decode_items: int
    cold_rounds: int
    gen_rounds: int
    call_rounds: int
    call_number: int | None
    firehose_rounds: int = 11
    capture: bool = True
    """Decode the pages captured from the local AppView too (bench/capture.py keeps them in
    .cache/bench; captured first when missing, which needs network-install)."""
    captured: Path | None = None
    """Pages captured earlier instead: a folder as bench.capture writes, or one timeline."""
    recapture: bool = False
    """Capture the pages again even when they are kept."""

    @staticmethod
    def full() -> Plan:
        return Plan(
            decode_rounds=15,
            decode_items=fixture.ITEMS,
            cold_rounds=15,
            gen_rounds=5,
            call_rounds=15,
            call_number=None,
        )

    @staticmethod
    def quick() -> Plan:
        return Plan(
            decode_rounds=1,
            decode_items=10,
            cold_rounds=1,
            gen_rounds=1,
            call_rounds=1,
            call_number=2,
            firehose_rounds=1,
            capture=False,
        )


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure(parts: list[str], plan: Plan, *, peers: bool) -> list[report.Row]:
    rows: list[report.Row] = []
    steps: dict[str, Callable[[], list[report.Row]]] = {
        "decode": lambda: _decode(plan, peers, rows),
        "cold": lambda: _cold(plan, peers),
        "gen": lambda: report.gen_rows(generation.run(rounds=plan.gen_rounds, peers=peers)),
        "calls": lambda: report.call_rows(
            calls.run(rounds=plan.call_rounds, number=plan.call_number, peers=peers)
        ),
        "firehose": lambda: _firehose(plan, peers),
    }
    for part in parts:
        started = time.monotonic()
        _log(f"bench: measuring {part} ...")
        try:
            rows += steps[part]()
        except Exception as exc:  # keep the other parts' figures; the exit code says it failed
            traceback.print_exc()
            rows.append(report.Row(f"{part}: FAILED", f"{type(exc).__name__}: {exc}"[:200]))
            continue
        _log(f"bench: {part} done in {time.monotonic() - started:.0f} s")
    return rows


def _captured(plan: Plan, rows: list[report.Row]) -> dict[str, bytes] | None:
    """The AppView-captured pages: from ``plan.captured`` if given, else the kept ones
    (captured now when missing); a failed capture leaves a FAILED row and the synthetic
    figures."""
    if plan.captured is not None:
        if plan.captured.is_dir():
            found = capture.load(plan.captured)
            if found is None:
                raise SystemExit(f"{plan.captured}: not every page of {capture.PAGES}")
            return found
        return {"timeline": plan.captured.read_bytes()}
    if not plan.capture:
        return None
    try:
        return capture.ensure(recapture=plan.recapture, log=_log)
    except Exception as exc:  # the network is optional for the other figures
        traceback.print_exc()
        rows.append(report.Row("capture: FAILED", f"{type(exc).__name__}: {exc}"[:200]))
        return None


def _decode(plan: Plan, peers: bool, rows: list[report.Row]) -> list[report.Row]:
    captured = _captured(plan, rows)
    result = decode.run(
        rounds=plan.decode_rounds, items=plan.decode_items, peers=peers, captured=captured
    )
    return report.decode_rows(result)


def _firehose(plan: Plan, peers: bool) -> list[report.Row]:
    if not plan.capture and not firehose.FRAMES.exists():
        return [
            report.Row("firehose: not measured", "no captured stream (make bench captures one)")
        ]
    return report.firehose_rows(firehose.run(rounds=plan.firehose_rounds, peers=peers, log=_log))


def _cold(plan: Plan, peers: bool) -> list[report.Row]:
    with tempfile.TemporaryDirectory(prefix="atlex-bench-") as tmp:
        path = Path(tmp) / "timeline.json"
        path.write_bytes(fixture.build())
        return report.cold_rows(
            coldstart.run(rounds=plan.cold_rounds, fixture_path=path, peers=peers)
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny counts (smoke test)")
    parser.add_argument("--no-peers", action="store_true", help="atlex and the floors only")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}"
    )
    parser.add_argument("--out", type=Path, help="also write the table (and machine) here")
    parser.add_argument(
        "--no-capture", action="store_true", help="skip the pages captured from the AppView"
    )
    parser.add_argument(
        "--captured", type=Path, help="use these captured pages (a folder, or one timeline file)"
    )
    parser.add_argument(
        "--recapture", action="store_true", help="capture the AppView pages again (~3 min)"
    )
    args = parser.parse_args(argv)
    parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {unknown}; choose from {list(PARTS)}")
    started = time.monotonic()
    plan = Plan.quick() if args.quick else Plan.full()
    plan = dataclasses.replace(
        plan,
        capture=plan.capture and not args.no_capture,
        captured=args.captured,
        recapture=args.recapture,
    )
    rows = measure(parts, plan, peers=not args.no_peers)
    text = (
        f"{report.table(rows)}\n\n"
        "Figures are medians over rounds; ratios are medians of per-round ratios (contenders run "
        "back to back in each round); `N rounds a-b` after a ratio is the middle half of those "
        "per-round ratios.\n"
        f"Machine: {report.machine()}. Run took {time.monotonic() - started:.0f} s"
        f"{' (--quick: counts too small to mean anything)' if args.quick else ''}.\n"
    )
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 1 if any(row.figure.endswith(": FAILED") for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
