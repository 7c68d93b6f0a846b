"""Data-model leaf types and the per-class tables generated modules fill in.

A leaf of the runtime's import graph (msgspec only): :mod:`atlex._model` (the ``LexObject``
base), :mod:`atlex._validate` and :mod:`atlex._tolerant` all build on it, so none of them needs
another (no import cycle).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Literal, cast

import msgspec
from msgspec import UNSET, Raw, UnsetType, field

__all__ = [
    "CLOSED",
    "RULES",
    "SINGLE",
    "Blob",
    "Bytes",
    "CidLink",
    "Kept",
    "KeptSource",
    "LazyField",
    "register_class",
    "register_closed",
    "register_rules",
    "register_single",
]


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
        try:
            return f"Bytes(<{len(self.data)} bytes>)"
        except ValueError:
            return f"Bytes(<invalid base64 {self.b64[:16]!r}>)"


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


class Kept:
    """What a decoded object carried beyond its class: the JSON members the local lexicons do
    not define, and its ``$type`` exactly as read (``None``: it had none).

    Attached by :func:`atlex.decode` / :func:`atlex.convert` / the record helpers only where
    re-encoding by the class alone would differ from the input (see :mod:`atlex._wire`).
    msgspec cannot encode it on purpose: ``msgspec.json.encode`` of such an object fails
    loudly instead of silently dropping data; ``atlex.encode`` writes it back.
    """

    __slots__ = ("members", "type")

    def __init__(self, members: dict[str, Any], type: str | None) -> None:
        self.members = members
        self.type = type

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Kept) and self.members == other.members and self.type == other.type

    def __hash__(self) -> int:
        return hash((self.type, tuple(self.members)))

    def __repr__(self) -> str:
        shown = ", ".join(self.members)
        return f"Kept(members=[{shown}], type={self.type!r})"


class KeptSource:
    """In place of a :class:`Kept`: the JSON a lazily read ``unknown`` value was decoded from
    (see :mod:`atlex._lazy`). Comparing with that JSON is deferred to the first write, where
    an unchanged value is written back as those very bytes, and a changed one keeps what the
    JSON carried beyond its class (as :class:`Kept`). msgspec cannot encode it, like Kept.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: msgspec.Raw) -> None:
        self.raw = raw

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeptSource) and bytes(self.raw) == bytes(other.raw)

    def __hash__(self) -> int:
        return hash(bytes(self.raw))

    def __repr__(self) -> str:
        return f"KeptSource(<{len(bytes(self.raw))} bytes of JSON>)"


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
    """Record the constraints ``validate()`` checks for ``cls`` (emitted by the generator).

    The ``object`` rule marks a lexicon ``unknown`` field (or a list of them): those decode
    lazily (:mod:`atlex._lazy`)."""
    RULES[cls] = rules
    for attr, rule in rules.items():
        if rule.get("object") or cast(dict[str, Any], rule.get("items") or {}).get("object"):
            slot = cls.__dict__.get(attr)
            if slot is not None and not isinstance(slot, LazyField):
                setattr(cls, attr, LazyField(slot, attr))


# --- lazily decoded `unknown` fields (the decoding itself lives in atlex._lazy) ---


class LazyField:
    """The class attribute of an ``unknown`` field (``msgspec.Raw`` at run time): decodes the
    stored ``Raw`` on first read, through :data:`DECODE_UNKNOWN`, and keeps the result.

    Wraps the slot's own descriptor, which msgspec never uses (it reads and writes slots by
    offset), so decoding, encoding, ``__eq__`` and ``__init__`` see the slot as it is.
    """

    __slots__ = ("name", "slot")

    def __init__(self, slot: Any, name: str) -> None:
        self.slot = slot
        self.name = name

    def __get__(self, obj: object, owner: type[Any] | None = None) -> Any:
        if obj is None:
            return self
        value: Any = self.slot.__get__(obj, owner)
        kind = cast("type[Any]", type(value))
        if kind is Raw:
            value = DECODE_UNKNOWN[0](value)
            self.slot.__set__(obj, value)
        elif kind is list and any(type(item) is Raw for item in cast(list[Any], value)):
            decode = DECODE_UNKNOWN[0]
            items = cast(list[Any], value)
            value = [decode(item) if type(item) is Raw else item for item in items]
            self.slot.__set__(obj, value)
        return value

    def __set__(self, obj: object, value: Any) -> None:
        self.slot.__set__(obj, value)

    def __delete__(self, obj: object) -> None:
        self.slot.__delete__(obj)

    def raw(self, obj: object) -> Any:
        """The slot as stored: a ``Raw`` nobody read yet, or what replaced it."""
        return self.slot.__get__(obj, type(obj))


def _not_loaded(raw: Raw) -> Any:
    raise RuntimeError("atlex._lazy is not imported (atlex._rt imports it)")


DECODE_UNKNOWN: list[Callable[[Raw], Any]] = [_not_loaded]
"""Set by :mod:`atlex._lazy` when imported (``atlex._rt``, which every generated module
imports, imports it): this module is a leaf and cannot import the decoder."""

BY_TYPE: dict[str, type[Any]] = {}
"""Every generated class imported so far, by its ``LEX_TYPE`` (the first one wins)."""


def register_class(cls: type[Any]) -> None:
    """Called for every generated class (``LexObject.__init_subclass__``)."""
    lex_type = cls.__dict__.get("LEX_TYPE")
    if isinstance(lex_type, str):
        BY_TYPE.setdefault(lex_type, cls)
