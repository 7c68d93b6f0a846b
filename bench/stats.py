"""Interleaved timing: every contender runs once per round, in a rotating order, after warm-up.

Rotating the order spreads the noise of a shared machine (other processes, CPU frequency, the
garbage collector's rhythm) evenly over the contenders; the median per contender is reported.
The collector stays on (users run with it), but what was alive before timing is frozen.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Samples:
    """Seconds per call, one value per round: wall clock, and this process's CPU time (which
    leaves out a server's share of a request made to another process)."""

    values: tuple[float, ...]
    cpu: tuple[float, ...] = ()

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median (0.1 = ±5 % around it)."""
        if len(self.values) < 4:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.values, n=4)
        return (q3 - q1) / self.median if self.median else 0.0


def paired_ratio(numerator: Samples, denominator: Samples, *, cpu: bool = False) -> float:
    """Median over rounds of the per-round ratio: both ran back to back in each round, so a
    slow spell of the machine hits both sides of each ratio alike."""
    top, bottom = (
        (numerator.cpu, denominator.cpu) if cpu else (numerator.values, denominator.values)
    )
    pairs = [a / b for a, b in zip(top, bottom, strict=True) if b > 0]
    return statistics.median(pairs) if pairs else float("nan")


def rotate(names: list[str], round_index: int) -> list[str]:
    shift = round_index % len(names) if names else 0
    return names[shift:] + names[:shift]


@contextmanager
def _frozen_heap() -> Generator[None, None, None]:
    """Move everything alive now (all the contenders' modules: the peers' pydantic models are
    ~100k objects) out of the collector's reach, so that a collection triggered by one
    contender's allocations does not also pay for traversing the other libraries' heaps."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def batch_size(number: int | None, per_call_s: float, batch_s: float) -> int:
    """``number`` if given, else the calls that fill about ``batch_s`` seconds."""
    if number is not None:
        return number
    return max(1, round(batch_s / per_call_s)) if per_call_s > 0 else 1


def interleaved(
    contenders: Mapping[str, Callable[[], object]],
    *,
    rounds: int,
    number: int | None = None,
    batch_s: float = 0.1,
    warmup: int = 1,
) -> dict[str, Samples]:
    """Time a batch of calls of each contender per round, ``rounds`` times, interleaved.

    A batch is ``number`` calls, or (``number=None``) as many as fill about ``batch_s`` seconds
    judging by the warm-up, so that fast and slow contenders are timed equally precisely.
    """
    if rounds < 1 or (number is not None and number < 1):
        raise ValueError(f"rounds and number must be >= 1, got {rounds} and {number}")
    names = list(contenders)
    counts: dict[str, int] = {}
    for name in names:  # warm-up: caches, lazy imports, branch predictors
        started = time.perf_counter()
        for _ in range(max(warmup, 1)):
            contenders[name]()
        counts[name] = batch_size(number, (time.perf_counter() - started) / max(warmup, 1), batch_s)
    collected: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    with _frozen_heap():
        for index in range(rounds):
            for name in rotate(names, index):
                call, count = contenders[name], counts[name]
                gc.collect()  # start every batch from the same heap state
                cpu_started, started = time.process_time(), time.perf_counter()
                for _ in range(count):
                    call()
                collected[name].append((time.perf_counter() - started) / count)
                cpu[name].append((time.process_time() - cpu_started) / count)
    return {name: Samples(tuple(collected[name]), tuple(cpu[name])) for name in names}


def interleaved_parts(
    contenders: Mapping[str, Callable[[T], object]],
    parts: Sequence[T],
    *,
    rounds: int,
    warmup: int = 1,
) -> dict[str, Samples]:
    """Time contenders that each work through the same input (``parts`` of it, e.g. slices of a
    captured stream), interleaved part by part: every contender runs on a part before any goes on
    to the next, in an order that rotates with each part. A round is one pass over all the parts;
    a contender's figure for the round is the sum of its parts' times.

    Finer than :func:`interleaved`: a pass of the fastest contender lasts tens of milliseconds,
    so a slow spell of a shared machine (a neighbour, the CPU's clock) would fall on one
    contender's whole pass and skew that round's ratio; here each spell hits every contender's
    part alike.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    names = list(contenders)
    for _ in range(max(warmup, 1)):
        for name in names:
            for part in parts:
                contenders[name](part)
    collected: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    with _frozen_heap():
        for _ in range(rounds):
            gc.collect()  # every round from the same heap state
            wall = dict.fromkeys(names, 0.0)
            used = dict.fromkeys(names, 0.0)
            for index, part in enumerate(parts):
                for name in rotate(names, index):
                    call = contenders[name]
                    cpu_started, started = time.process_time(), time.perf_counter()
                    call(part)
                    wall[name] += time.perf_counter() - started
                    used[name] += time.process_time() - cpu_started
            for name in names:
                collected[name].append(wall[name])
                cpu[name].append(used[name])
    return {name: Samples(tuple(collected[name]), tuple(cpu[name])) for name in names}


def interleaved_async(
    contenders: Mapping[str, Callable[[], Awaitable[object]]],
    *,
    rounds: int,
    number: int | None = None,
    batch_s: float = 0.1,
    warmup: int = 1,
    teardown: Callable[[], Awaitable[object]] | None = None,
) -> dict[str, Samples]:
    """:func:`interleaved` for coroutines, all in one event loop (whose start-up is not part of
    the figure); ``teardown`` runs in that loop at the end, e.g. to close clients."""
    if rounds < 1 or (number is not None and number < 1):
        raise ValueError(f"rounds and number must be >= 1, got {rounds} and {number}")
    names = list(contenders)

    async def batch(call: Callable[[], Awaitable[object]], count: int) -> tuple[float, float]:
        cpu_started, started = time.process_time(), time.perf_counter()
        for _ in range(count):
            await call()
        return (time.perf_counter() - started) / count, (time.process_time() - cpu_started) / count

    async def main() -> dict[str, Samples]:
        counts: dict[str, int] = {}
        for name in names:
            per_call, _ = await batch(contenders[name], max(warmup, 1))
            counts[name] = batch_size(number, per_call, batch_s)
        collected: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
        with _frozen_heap():
            for index in range(rounds):
                for name in rotate(names, index):
                    gc.collect()
                    collected[name].append(await batch(contenders[name], counts[name]))
        if teardown is not None:
            await teardown()
        return {
            name: Samples(tuple(w for w, _ in pairs), tuple(c for _, c in pairs))
            for name, pairs in collected.items()
        }

    return asyncio.run(main())
