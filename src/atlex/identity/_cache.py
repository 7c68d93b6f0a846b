"""Where resolutions are kept: a small protocol, and the in-memory default.

The resolver decides freshness (``ResolverOptions.ttl`` / ``miss_ttl`` /
``stale_while_revalidate``); a cache only stores entries. Entries are plain strings and floats,
so a Redis or database implementation is a few lines (``IdentityCache`` below).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["CacheEntry", "IdentityCache", "MemoryCache", "NullCache"]


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One resolution: a hit (``value``) or a miss (``error`` and ``reason``).

    ``value`` is the DID of a handle, or the JSON text of a DID document.
    """

    value: str | None
    stored_at: float
    """``time.time()`` when it was resolved."""
    error: str | None = None
    """For a miss: the error code (``HandleNotFound``, ``DidNotFound``, ...)."""
    reason: str | None = None

    @property
    def is_miss(self) -> bool:
        return self.value is None


@runtime_checkable
class IdentityCache(Protocol):
    """Storage for resolutions, keyed ``handle:<handle>`` and ``did:<did>``.

    Implementations must be safe to call from several threads; they may drop entries at any
    time (the resolver then resolves again).
    """

    def get(self, key: str) -> CacheEntry | None: ...
    def set(self, key: str, entry: CacheEntry) -> None: ...
    def delete(self, key: str) -> None: ...


class MemoryCache:
    """An in-process LRU cache (the default), bounded to ``max_entries``."""

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CacheEntry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def set(self, key: str, entry: CacheEntry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


class NullCache:
    """Keeps nothing: every lookup goes to the network."""

    def get(self, key: str) -> CacheEntry | None:
        return None

    def set(self, key: str, entry: CacheEntry) -> None:
        pass

    def delete(self, key: str) -> None:
        pass


def now() -> float:
    return time.time()
