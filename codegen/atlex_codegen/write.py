"""Stage 4: put rendered files on disk, or compare them with what is there (``--check``).

Only writes files whose content changed, and removes files of the package that an earlier
generation wrote but this one no longer produces (recognised by the generated header).
A file that differs is *missing* (not there yet), *stale* (generated from other lexicons or
by another version) or *edited* (changed by hand since it was generated: its header's digest
no longer matches its content).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from atlex_codegen.header import MARKER, is_generated, untouched

__all__ = ["MARKER", "WriteResult", "write_files"]


@dataclass(frozen=True)
class WriteResult:
    """What a generation changed (or, with ``check``, would change) on disk."""

    missing: tuple[str, ...]
    stale: tuple[str, ...]
    edited: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    checked: bool = False

    @property
    def written(self) -> tuple[str, ...]:
        """Every file whose content differs from the generated one (sorted)."""
        return tuple(sorted((*self.missing, *self.stale, *self.edited)))

    @property
    def drift(self) -> bool:
        return bool(self.written or self.removed)

    def summary(self) -> str:
        """``3 written, 1 removed`` or, for a check, ``2 stale, 1 missing, ...`` (nothing 0)."""
        if not self.checked:
            return f"{len(self.written)} written, {len(self.removed)} removed"
        counts = [
            (len(self.stale), "stale"),
            (len(self.missing), "missing"),
            (len(self.edited), "edited by hand"),
            (len(self.removed), "to remove"),
        ]
        parts = [f"{n} {what}" for n, what in counts if n]
        return ", ".join(parts) if parts else "all up to date"

    def listing(self, out: Path) -> list[str]:
        """One line per differing file, for ``--check``: ``stale: src/pkg/x.py``."""
        lines = [f"stale: {out / rel}" for rel in self.stale]
        lines += [f"missing: {out / rel}" for rel in self.missing]
        lines += [f"edited by hand: {out / rel}" for rel in self.edited]
        lines += [f"to remove (no longer generated): {out / rel}" for rel in self.removed]
        return lines


def write_files(
    files: Mapping[str, str], out: Path, package: str, *, check: bool = False
) -> WriteResult:
    missing: list[str] = []
    stale: list[str] = []
    edited: list[str] = []
    unchanged: list[str] = []
    for rel, text in files.items():
        path = out / rel
        data = text.encode()
        try:
            old = path.read_bytes()
        except FileNotFoundError:
            missing.append(rel)
        else:
            if old == data:
                unchanged.append(rel)
                continue
            if is_generated(old) and not untouched(old.decode(errors="replace")):
                edited.append(rel)
            else:
                stale.append(rel)
        if not check:
            _write(path, data)
    removed: list[str] = []
    root = out / Path(*package.split("."))
    if root.is_dir():
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(out).as_posix()
            if rel in files or not _is_generated(path):
                continue
            removed.append(rel)
            if not check:
                path.unlink()
    return WriteResult(
        tuple(missing), tuple(stale), tuple(edited), tuple(unchanged), tuple(removed), check
    )


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():  # replace atomically: an importer never sees half a module
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    else:
        path.write_bytes(data)


def _is_generated(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return is_generated(f.read(len(MARKER)))
    except OSError:
        return False
