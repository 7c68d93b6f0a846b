"""Where ``atlex login`` keeps the session: ``<config dir>/session.json``, mode 0600.

The config dir is ``$ATLEX_CONFIG_DIR`` when set, else the platform's per-user config folder
(``$XDG_CONFIG_HOME/atlex`` or ``~/.config/atlex`` on Linux). The file holds the
``SessionData`` JSON of ``@atproto/lex-password-session`` (tokens included), so it is created
0600 inside a 0700 folder and replaced atomically; a file that others can read is tightened.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the session (and httpx) load only for the commands that use them
    from atlex.session import SessionData


__all__ = ["CONFIG_DIR_ENV", "SessionStore", "SessionStoreError", "config_dir"]

CONFIG_DIR_ENV = "ATLEX_CONFIG_DIR"


class SessionStoreError(Exception):
    """The stored session cannot be read or written; the message says which file and why."""


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(click.get_app_dir("atlex"))


class SessionStore:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else config_dir()
        self.path = self.directory / "session.json"
        self.tightened = False
        """Set when :meth:`load` found the file readable by others and made it private."""

    def load(self) -> SessionData | None:
        """The stored session, or None when nobody is logged in."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return None
        if mode & 0o077 and os.name == "posix":
            self.path.chmod(0o600)
            self.tightened = True
        try:
            text = self.path.read_bytes()
        except OSError as exc:
            raise SessionStoreError(f"cannot read {self.path}: {exc.strerror}") from None
        from atlex.session import SessionData, SessionDataError

        try:
            return SessionData.from_json(text)
        except SessionDataError as exc:
            raise SessionStoreError(f"{self.path} is not a saved session ({exc})") from None

    def save(self, data: SessionData) -> None:
        """Write ``data`` atomically with mode 0600."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            # mkstemp creates the file 0600 from the start: the tokens are never readable by others
            fd, temp = tempfile.mkstemp(prefix=".session-", suffix=".tmp", dir=self.directory)
        except OSError as exc:
            raise SessionStoreError(f"cannot write in {self.directory}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(data.to_json())
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise SessionStoreError(f"cannot write {self.path}: {exc.strerror}") from None

    def remove(self) -> bool:
        """Forget the stored session; False when there was none."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True
