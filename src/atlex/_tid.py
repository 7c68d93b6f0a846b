"""TIDs: record keys made of a 53-bit microsecond timestamp and a 10-bit clock id.

13 characters of base32-sortable (``234567a-z``), so string order is time order. The value is
``timestamp_us << 10 | clock_id`` with the top bit of the 64-bit integer clear.
"""

from __future__ import annotations

import os
import random
import threading
import time

from atlex.syntax import is_valid_tid

__all__ = ["decode_tid", "encode_tid", "next_tid"]

_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_MAX_TIMESTAMP = (1 << 53) - 1
_MAX_CLOCK_ID = (1 << 10) - 1


def encode_tid(timestamp_us: int, clock_id: int) -> str:
    """The TID for a microsecond Unix timestamp and a clock id (0-1023)."""
    if not 0 <= timestamp_us <= _MAX_TIMESTAMP:
        raise ValueError(f"TID timestamp must be 0..2**53-1 microseconds, got {timestamp_us}")
    if not 0 <= clock_id <= _MAX_CLOCK_ID:
        raise ValueError(f"TID clock id must be 0..1023, got {clock_id}")
    value = (timestamp_us << 10) | clock_id
    chars = [""] * 13
    for i in range(12, -1, -1):
        chars[i] = _ALPHABET[value & 31]
        value >>= 5
    return "".join(chars)


def decode_tid(tid: str) -> tuple[int, int]:
    """``(timestamp_us, clock_id)`` of a TID; ``ValueError`` if it is not a valid TID."""
    if not is_valid_tid(tid):
        raise ValueError(f"not a TID: {tid!r}")
    value = 0
    for c in tid:
        value = (value << 5) | _INDEX[c]
    return value >> 10, value & _MAX_CLOCK_ID


class TidClock:
    """Hands out strictly increasing TIDs within the process, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self.clock_id = random.randrange(_MAX_CLOCK_ID + 1)

    def reseed(self) -> None:
        """After fork: a fresh lock and clock id, so parent and child never collide."""
        self._lock = threading.Lock()
        self.clock_id = random.randrange(_MAX_CLOCK_ID + 1)

    def next(self) -> str:
        with self._lock:
            # The wall clock can stall or step back; never repeat or go backwards.
            now = max(time.time_ns() // 1000, self._last + 1)
            self._last = now
            return encode_tid(now, self.clock_id)


_CLOCK = TidClock()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_CLOCK.reseed)


def next_tid() -> str:
    """A new TID for now: strictly greater than every TID this process made before."""
    return _CLOCK.next()
