"""Data-model types every generated module builds on (see docs: lexicon-mapping §2).

Kept import-light: generated type modules import this and nothing heavier. The leaf types and
the generator's tables live in :mod:`atlex._datatypes`; ``validate()`` in :mod:`atlex._validate`.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

from atlex._datatypes import (
    CLOSED,
    RULES,
    SINGLE,
    Blob,
    Bytes,
    CidLink,
    Kept,
    register_class,
    register_closed,
    register_rules,
    register_single,
)

KEPT_FIELD = "_lex_kept"
"""The attribute holding what an object kept beyond its class (``UNSET`` when it has none): a
:class:`Kept`, or the :class:`~atlex._datatypes.KeptSource` of a lazily read value."""

__all__ = [
    "CLOSED",
    "KEPT_FIELD",
    "RULES",
    "SINGLE",
    "UNSET",
    "Blob",
    "Bytes",
    "CidLink",
    "Kept",
    "LexObject",
    "Unknown",
    "UnknownMember",
    "UnsetType",
    "lazy_module",
    "register_closed",
    "register_rules",
    "register_single",
]


class LexObject(msgspec.Struct, rename="camel", gc=False, repr_omit_defaults=True, kw_only=True):
    """Base of every generated object and record.

    Fields are snake_case in Python and camelCase on the wire. Unknown fields are tolerated on
    decode (forward compatibility); ``atlex.decode`` / ``atlex.convert`` keep them on the object
    so that ``atlex.encode`` writes them back. Optional fields default to ``UNSET`` and are
    omitted on encode.
    """

    if not TYPE_CHECKING:
        # Runtime only (not an __init__ parameter for type checkers): what the object carried
        # beyond its class, see atlex._datatypes.Kept. A reserved "$" wire name no lexicon can
        # define; typed Any so that a stray such key in input never fails a decode.
        _lex_kept: Any = msgspec.field(default=UNSET, name="$atlex:kept")

    LEX_TYPE: ClassVar[str | None] = None
    """The lexicon id of the def this class was generated from (``nsid`` or ``nsid#name``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        register_class(cls)  # so that an `unknown` value naming it decodes into it

    def __repr__(self) -> str:
        # msgspec's repr, minus the runtime-only field, with `unknown` values read (typed)
        # instead of shown as <msgspec.Raw ...>; fields left at their default are omitted
        cls = type(self)
        names: tuple[str, ...] = cls.__struct_fields__
        defaults: tuple[Any, ...] = cls.__struct_defaults__
        first_default = len(names) - len(defaults)
        parts: list[str] = []
        for i, name in enumerate(names):
            if name == KEPT_FIELD:
                continue
            value = getattr(self, name)
            if i >= first_default:
                default = defaults[i - first_default]
                if value is default or (default is not UNSET and value == default):
                    continue
            parts.append(f"{name}={value!r}")
        return f"{cls.__name__}({', '.join(parts)})"

    def validate(self, *, strict: bool = True) -> None:
        """Check every lexicon constraint (formats, byte and grapheme lengths, ranges, array
        sizes, blob accept/size, closed unions, field types) on this object and everything
        inside it. Raises :class:`atlex.LexValidationError` naming the JSON path.

        ``strict=False`` applies the reference's lenient rules for data you *read* (e.g. a
        ``datetime`` without a timezone, as older clients wrote them); atlex itself validates
        what it reads that way and what it writes strictly.
        """
        # deferred: the validators (format regexes, grapheme tables) cost ~30 ms to import
        from atlex._validate import validate

        validate(self, strict=strict)


if TYPE_CHECKING:
    Unknown: TypeAlias = "LexObject | dict[str, Any]"
else:
    Unknown = msgspec.Raw
"""A lexicon ``unknown`` field (``PostView.record``, ``ViewRecord.value``, ...): decoded on
first read into the generated class its ``$type`` names (``app.bsky.feed.post`` ->
``post.Record``), or a plain ``dict`` when no local lexicon defines that type or the data does
not fit it. Unread, it costs nothing and re-encodes byte for byte (it is ``msgspec.Raw`` at run
time). Narrow it with ``isinstance`` or :func:`atlex.record_as`."""

UnknownMember: TypeAlias = dict[str, Any]
"""An open-union member whose ``$type`` the local lexicons do not know: kept as plain data."""


class _LazyModule:
    """Stands in for a module until an attribute is read, then imports it.

    Generated modules reference each other through these so that importing one type module does
    not import the graph; msgspec resolves ``"_mod.Cls"`` annotations with a plain getattr.
    """

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module: ModuleType | None = sys.modules.get(self._name)
        if module is None:
            module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    """A proxy for module ``name`` that imports it on first attribute access."""
    return _LazyModule(name)
