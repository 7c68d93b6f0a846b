"""Firehose decoding: frame -> typed message -> every op's typed record, on a ``subscribeRepos``
stream captured from the local PDS (``bench/firehose_capture.py``), beside MarshalX ``atproto``
(``parse_subscribe_repos_message`` + ``CAR.from_bytes`` + ``get_or_create`` per op).

Contenders, each over the whole stream in a round, taking turns part by part (:data:`PART`
frames at a time, ``bench.stats.interleaved_parts``); single thread, so events/s is per core:

* ``atlex``: ``StreamCore.feed`` (the same code the websocket drivers run) then ``op.record``
  for every op;
* ``atlex verify``: the same plus ``verify=True``'s checks (block hashes, commit signature
  against the account's key, the inductive proof), keys preloaded as a resolver's cache would;
* ``atproto``: its documented firehose path.

Peak RSS: a fresh process per contender reads the stream five times and reports its high-water
mark (``VmHWM``; it includes the 6 MB of frames held in memory).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.firehose_capture import capture, keys_path, read_frames, write_frames
from bench.stats import Samples, interleaved_parts

FRAMES = Path(__file__).resolve().parents[1] / ".cache" / "bench" / "firehose.frames"
COMMITS = 2500
PART = 500
"""Frames per part: the contenders take turns on each part of the stream (bench.stats). Long
enough that a contender's cold start after the others' turns is a small share of its part (with
100-frame parts atlex's time per event was 20-40 % higher: not what a consumer running alone
sees), short enough (atlex ~12 ms, atproto ~60 ms) that a slow spell hits both alike."""


@dataclass(frozen=True)
class FirehoseResult:
    frames: int
    commits: int
    ops: int
    size: int
    samples: dict[str, Samples]
    rss: dict[str, float]  # contender -> peak RSS in MiB


def ensure_fixture(log: Callable[[str], None], commits: int = COMMITS) -> Path:
    """The captured stream, capturing it first (about 6 min) when it is absent."""
    if FRAMES.exists() and keys_path(FRAMES).exists():
        return FRAMES
    log(f"bench: capturing a firehose of {commits} commits from a local PDS ...")
    frames, keys = capture(commits)
    write_frames(FRAMES, frames)
    keys_path(FRAMES).write_text(json.dumps(keys, indent=1), encoding="utf-8")
    return FRAMES


class _Keys:
    """A resolver over keys known in advance (what a warm identity cache gives)."""

    def __init__(self, keys: dict[str, str]) -> None:
        from atlex.identity import parse_did_key

        self.keys = {did: parse_did_key(key) for did, key in keys.items()}

    def resolve_signing_key(self, did: str, *, fresh: bool = False) -> Any:
        return self.keys[did]

    def purge(self, did: str) -> None:
        pass


def atlex_reader(verify: bool, keys: dict[str, str]) -> Callable[[list[bytes]], int]:
    from atlex.streams._api import _repos_core
    from atlex.streams._verify import Verifier

    core = _repos_core("http://127.0.0.1", None, None, {})
    check = Verifier(_Keys(keys)) if verify else None  # type: ignore[arg-type]

    def read(frames: list[bytes]) -> int:
        records = 0
        for frame in frames:
            event = core.feed(frame)
            if check is not None:
                event = check(event)
            operations = getattr(event, "operations", None)
            if operations:
                for op in operations:
                    if op.record is not None:
                        records += 1
        return records

    return read


def atproto_reader() -> Callable[[list[bytes]], int]:
    from atproto import CAR, firehose_models, models, parse_subscribe_repos_message
    from atproto_client.models.utils import get_or_create

    commit_type = models.ComAtprotoSyncSubscribeRepos.Commit

    def read(frames: list[bytes]) -> int:
        records = 0
        for frame in frames:
            message = parse_subscribe_repos_message(firehose_models.MessageFrame.from_bytes(frame))
            if isinstance(message, commit_type):
                car = CAR.from_bytes(message.blocks)
                for op in message.ops:
                    if op.cid is not None:
                        record = get_or_create(car.blocks.get(op.cid), strict=False)
                        if record is not None:
                            records += 1
        return records

    return read


def _reader(name: str, keys: dict[str, str]) -> Callable[[list[bytes]], int]:
    if name == "atproto":
        return atproto_reader()
    return atlex_reader(name == "atlex verify", keys)


def _peak_rss(name: str, path: Path) -> float:
    """Peak RSS (MiB) of a fresh process reading the stream five times with ``name``."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.firehose", "--rss", name, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return float(out.stdout.strip().splitlines()[-1])


def run(*, rounds: int, peers: bool, log: Callable[[str], None]) -> FirehoseResult:
    path = ensure_fixture(log)
    frames = read_frames(path)
    keys: dict[str, str] = json.loads(keys_path(path).read_text(encoding="utf-8"))
    names = ["atlex", "atlex verify"] + (["atproto"] if peers else [])
    readers = {name: _reader(name, keys) for name in names}
    counts = {name: read(frames) for name, read in readers.items()}
    if peers and counts["atproto"] != counts["atlex"]:
        raise AssertionError(f"the contenders typed different numbers of records: {counts}")
    parts = [frames[i : i + PART] for i in range(0, len(frames), PART)]
    samples = interleaved_parts(readers, parts, rounds=rounds)
    from atlex.streams._api import _repos_core

    core = _repos_core("http://127.0.0.1", None, None, {})
    messages = [core.feed(frame) for frame in frames]
    commits = sum(1 for m in messages if hasattr(m, "operations"))
    ops = sum(len(m.ops) for m in messages if hasattr(m, "operations"))
    rss = {name: _peak_rss(name, path) for name in names}
    return FirehoseResult(len(frames), commits, ops, path.stat().st_size, samples, rss)


def _rss_child(name: str, path: Path) -> None:
    frames = read_frames(path)
    keys: dict[str, str] = json.loads(keys_path(path).read_text(encoding="utf-8"))
    read = _reader(name, keys)
    for _ in range(5):
        read(frames)
    # VmHWM, not ru_maxrss: Linux keeps the parent's ru_maxrss across fork + exec
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(int(line.split()[1]) / 1024)
            return
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--rss":
        _rss_child(sys.argv[2], Path(sys.argv[3]))
    else:
        raise SystemExit("usage: python -m bench.firehose --rss NAME FRAMES")
