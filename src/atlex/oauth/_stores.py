"""Where pending authorizations and sessions live: two small protocols and two implementations.

Plug in a database by implementing :class:`StateStore` / :class:`SessionStore` (or their async
twins for :class:`~atlex.oauth.AsyncOAuthClient`). The file-backed store keeps one JSON file,
mode 0600, replaced atomically on every write.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Generic, Protocol, TypeAlias, TypeVar

import msgspec

from atlex.oauth._data import AuthState, OAuthSessionData

__all__ = [
    "AnySessionStore",
    "AnyStateStore",
    "AsyncSessionStore",
    "AsyncStateStore",
    "FileSessionStore",
    "FileStateStore",
    "MemorySessionStore",
    "MemoryStateStore",
    "SessionStore",
    "StateStore",
    "default_session_path",
]

V = TypeVar("V", AuthState, OAuthSessionData)

STATE_MAX_AGE = 3600.0  # pending authorizations older than this are dropped on write


class StateStore(Protocol):
    """Pending authorizations by ``state`` (a few minutes each)."""

    def get(self, key: str) -> AuthState | None: ...
    def set(self, key: str, value: AuthState) -> None: ...
    def delete(self, key: str) -> None: ...


class SessionStore(Protocol):
    """Sessions by account DID."""

    def get(self, key: str) -> OAuthSessionData | None: ...
    def set(self, key: str, value: OAuthSessionData) -> None: ...
    def delete(self, key: str) -> None: ...


class AsyncStateStore(Protocol):
    async def get(self, key: str) -> AuthState | None: ...
    async def set(self, key: str, value: AuthState) -> None: ...
    async def delete(self, key: str) -> None: ...


class AsyncSessionStore(Protocol):
    async def get(self, key: str) -> OAuthSessionData | None: ...
    async def set(self, key: str, value: OAuthSessionData) -> None: ...
    async def delete(self, key: str) -> None: ...


AnyStateStore: TypeAlias = "StateStore | AsyncStateStore"
"""What the async client takes (a sync store works there too)."""
AnySessionStore: TypeAlias = "SessionStore | AsyncSessionStore"
"""What the async client takes (a sync store works there too)."""


class _Memory(Generic[V]):
    def __init__(self) -> None:
        self._items: dict[str, V] = {}

    def get(self, key: str) -> V | None:
        return self._items.get(key)

    def set(self, key: str, value: V) -> None:
        self._items[key] = value

    def delete(self, key: str) -> None:
        self._items.pop(key, None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self._items)} entries)"


class MemoryStateStore(_Memory[AuthState]):
    """Pending authorizations in this process (enough for one process serving the callback)."""


class MemorySessionStore(_Memory[OAuthSessionData]):
    """Sessions in this process only."""


class _File(Generic[V]):
    _kind: type[V]

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _load(self) -> dict[str, V]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            return msgspec.json.decode(raw, type=dict[str, self._kind])
        except msgspec.DecodeError as exc:
            # never quote the file: it holds tokens
            raise ValueError(f"{self.path} is not a store this version can read: {exc}") from None

    def _save(self, items: dict[str, V]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as file:
                file.write(msgspec.json.encode(items))
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def get(self, key: str) -> V | None:
        with self._lock:
            return self._load().get(key)

    def set(self, key: str, value: V) -> None:
        with self._lock:
            items = self._load()
            items[key] = value
            self._prune(items)
            self._save(items)

    def delete(self, key: str) -> None:
        with self._lock:
            items = self._load()
            if items.pop(key, None) is not None:
                self._save(items)

    def _prune(self, items: dict[str, V]) -> None:
        pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"


class FileStateStore(_File[AuthState]):
    """Pending authorizations in one JSON file (mode 0600); old ones are dropped on write."""

    _kind = AuthState

    def _prune(self, items: dict[str, AuthState]) -> None:
        cutoff = time.time() - STATE_MAX_AGE
        for key in [key for key, item in items.items() if item.created_at < cutoff]:
            del items[key]


class FileSessionStore(_File[OAuthSessionData]):
    """Sessions in one JSON file (mode 0600), keyed by DID: survives restarts."""

    _kind = OAuthSessionData


def default_session_path() -> Path:
    """``$ATLEX_STATE_DIR`` or ``$XDG_STATE_HOME/atlex`` or ``~/.local/state/atlex``, then
    ``oauth-sessions.json``."""
    base = os.environ.get("ATLEX_STATE_DIR")
    if not base:
        xdg = os.environ.get("XDG_STATE_HOME")
        base = str(Path(xdg) / "atlex") if xdg else str(Path.home() / ".local/state/atlex")
    return Path(base) / "oauth-sessions.json"
