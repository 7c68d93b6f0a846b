"""Which generated class types a record of a given collection (``app.bsky.feed.post`` ->
``atlex.lex.app.bsky.feed.post.Record``), looked up once per collection and cached.

Module names follow the generator's rule for NSID segments (camelCase -> snake_case, keywords
and leading digits escaped); a collection whose module or ``Record`` is absent has no type and
its records stay plain JSON-form values.
"""

from __future__ import annotations

import importlib
from typing import Any

from atlex._lazy import module_path

__all__ = ["RecordTypes"]


class RecordTypes(dict[str, "type[Any] | None"]):
    """Collection NSID -> record class (None: none known), from generated packages (``atlex.lex``
    by default) and an explicit mapping that takes precedence. A dict filled on first lookup of
    each collection (``types[collection]``), so that a known one costs a dict lookup."""

    def __init__(
        self, packages: tuple[str, ...] = ("atlex.lex",), extra: dict[str, type[Any]] | None = None
    ) -> None:
        super().__init__(extra or {})
        self._packages = packages

    def __missing__(self, collection: str) -> type[Any] | None:
        found = self[collection] = self._find(collection)
        return found

    def _find(self, collection: str) -> type[Any] | None:
        path = module_path(collection)
        if path is None:
            return None
        for package in self._packages:
            try:
                module = importlib.import_module(f"{package}.{path}")
            except ImportError:
                continue
            record: Any = getattr(module, "Record", None)
            if isinstance(record, type) and getattr(record, "LEX_TYPE", None) == collection:
                return record  # pyright: ignore[reportUnknownVariableType]
        return None


DEFAULT_RECORD_TYPES = RecordTypes()
