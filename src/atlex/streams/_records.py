"""Which generated class types a record of a given collection (``app.bsky.feed.post`` ->
``atlex.lex.app.bsky.feed.post.Record``), looked up once per collection and cached.

Module names follow the generator's rule for NSID segments (camelCase -> snake_case, keywords
and leading digits escaped); a collection whose module or ``Record`` is absent has no type and
its records stay plain JSON-form values.
"""

from __future__ import annotations

import importlib
import keyword
import re
from typing import Any

__all__ = ["RecordTypes"]

_NOT_IDENT = re.compile(r"[^0-9A-Za-z_]")
_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_NSID = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z0-9-]+)+")


def _segment(segment: str) -> str:
    # the same rule as atlex_codegen.naming.module_segment (the runtime cannot import codegen)
    s = _CAMEL_2.sub(r"\1_\2", _CAMEL_1.sub(r"\1_\2", segment.replace("-", "_"))).lower()
    s = _NOT_IDENT.sub("_", s) or "_"
    if s[0].isdigit():
        s = "_" + s
    if keyword.iskeyword(s) or s in ("__init__", "__main__"):
        s += "_"
    return s


class RecordTypes:
    """Collection NSID -> record class, from generated packages (``atlex.lex`` by default) and
    an explicit mapping that takes precedence."""

    def __init__(
        self, packages: tuple[str, ...] = ("atlex.lex",), extra: dict[str, type[Any]] | None = None
    ) -> None:
        self._packages = packages
        self._cache: dict[str, type[Any] | None] = dict(extra or {})

    def get(self, collection: str) -> type[Any] | None:
        """The record class for ``collection``, or None when no generated lexicon defines it."""
        try:
            return self._cache[collection]
        except KeyError:
            found = self._find(collection)
            self._cache[collection] = found
            return found

    def _find(self, collection: str) -> type[Any] | None:
        if not _NSID.fullmatch(collection):
            return None
        path = ".".join(_segment(s) for s in collection.split("."))
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
