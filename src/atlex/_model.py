"""Data-model types every generated module builds on (see docs: lexicon-mapping §2).

Kept import-light: generated type modules import this and nothing heavier.
"""

from __future__ import annotations

import base64
import importlib
import sys
from types import ModuleType
from typing import Any, ClassVar, Literal, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType, field

__all__ = [
    "UNSET",
    "Blob",
    "Bytes",
    "CidLink",
    "LexObject",
    "UnknownMember",
    "UnsetType",
    "lazy_module",
]


class LexObject(msgspec.Struct, rename="camel", gc=False, repr_omit_defaults=True):
    """Base of every generated object and record.

    Fields are snake_case in Python and camelCase on the wire. Unknown fields are ignored on
    decode (forward compatibility); optional fields default to ``UNSET`` and are omitted on encode.
    """

    LEX_TYPE: ClassVar[str | None] = None
    """The lexicon id of the def this class was generated from (``nsid`` or ``nsid#name``)."""

    def validate(self) -> None:
        """Check every lexicon constraint (formats, byte and grapheme lengths, ranges, array
        sizes, blob accept/size, closed unions, field types) on this object and everything
        inside it. Raises :class:`atlex.LexValidationError` naming the JSON path."""
        from atlex._validate import validate

        validate(self)


UnknownMember: TypeAlias = dict[str, Any]
"""An open-union member whose ``$type`` the local lexicons do not know: kept as plain data."""


class Bytes(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``{"$bytes": base64}``. Kept as the wire string so unpadded base64 round-trips exactly."""

    b64: str = field(name="$bytes")

    @classmethod
    def from_bytes(cls, data: bytes) -> Bytes:
        """Wrap raw bytes; encodes unpadded, like the reference TypeScript encoder."""
        return cls(base64.b64encode(data).decode("ascii").rstrip("="))

    @property
    def data(self) -> bytes:
        """The decoded bytes (padding is optional on the wire)."""
        s = self.b64
        return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)

    def __repr__(self) -> str:
        return f"Bytes(<{len(self.data)} bytes>)"


class CidLink(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``{"$link": cid}``: a content-addressed link."""

    link: str = field(name="$link")

    def __str__(self) -> str:
        return self.link


class Blob(msgspec.Struct, kw_only=True, gc=False, repr_omit_defaults=True):
    """A blob reference. Untagged on purpose: it also decodes the legacy
    ``{"cid", "mimeType"}`` form and re-encodes each form as it was read."""

    type_: Literal["blob"] | UnsetType = field(default=UNSET, name="$type")
    ref: CidLink | UnsetType = UNSET
    mime_type: str = field(name="mimeType")
    size: int | UnsetType = UNSET
    cid: str | UnsetType = UNSET
    """Legacy form only: the blob's CID as a string (never written into new records)."""

    @classmethod
    def create(cls, ref: str | CidLink, mime_type: str, size: int) -> Blob:
        """A current-form blob reference, as ``uploadBlob`` returns it."""
        link = ref if isinstance(ref, CidLink) else CidLink(ref)
        return cls(type_="blob", ref=link, mime_type=mime_type, size=size)

    @property
    def is_legacy(self) -> bool:
        return isinstance(self.cid, str) and isinstance(self.ref, UnsetType)

    @property
    def cid_str(self) -> str:
        """The blob's CID whichever form it came in."""
        if isinstance(self.ref, CidLink):
            return self.ref.link
        if isinstance(self.cid, str):
            return self.cid
        raise ValueError("blob has neither ref nor cid")


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


# Union registries filled by generated modules at import time; read by the tolerant decoder.
# CLOSED: fields whose union is closed (an unknown $type is an error).
# SINGLE: fields that are single-ref unions (they look like plain refs but carry $type).
CLOSED: set[tuple[type[Any], str]] = set()
SINGLE: set[tuple[type[Any], str]] = set()


def register_closed(cls: type[Any], *attrs: str) -> None:
    """Mark ``cls.attr`` as a closed union (or a list of one)."""
    CLOSED.update((cls, a) for a in attrs)


def register_single(cls: type[Any], *attrs: str) -> None:
    """Mark ``cls.attr`` as a single-ref union (or a list of one)."""
    SINGLE.update((cls, a) for a in attrs)


RULES: dict[type[Any], dict[str, dict[str, Any]]] = {}
"""Lexicon constraints per generated class, by attribute (see atlex._validate)."""


def register_rules(cls: type[Any], rules: dict[str, dict[str, Any]]) -> None:
    """Record the constraints ``validate()`` checks for ``cls`` (emitted by the generator)."""
    RULES[cls] = rules
