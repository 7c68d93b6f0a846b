"""Typed, lazily decoded values in ``unknown`` positions (``PostView.record``, ``ViewRecord.value``).

A lexicon ``unknown`` field holds any data-model object; in practice a record whose ``$type``
names its lexicon. Decoding every such record of a timeline into dicts cost more than the rest
of the answer, so the generator declares these fields :data:`atlex._model.Unknown`:
``msgspec.Raw`` at run time, which msgspec skips at C speed (keeping a slice of the input), and
``LexObject | dict[str, Any]`` for type checkers. ``register_rules`` puts a
:class:`~atlex._datatypes.LazyField` descriptor on each: the first read decodes the slice with
:func:`decode_unknown` into the generated class its ``$type`` names, or a plain value when no
local lexicon defines it or its body does not fit that class, and stores the result in place
of the slice.

Lossless: a value nobody read stays the input's bytes, which ``atlex.encode`` and
``msgspec.json.encode`` write back byte for byte; a value that was read carries its source
(:class:`~atlex._datatypes.KeptSource`) and is written back as those bytes while it still
equals them, else with the members its class does not define (``atlex._wire``).
:func:`record_as` narrows a value to one generated class or says why it is not one.
msgspec skips a ``Raw`` slice without checking the UTF-8 of its strings: a slice that is not
valid UTF-8 raises :class:`atlex.MalformedJsonError` when it is read.

:mod:`atlex._rt` (imported by every generated module) imports this, which plugs
:func:`decode_unknown` into the leaf :mod:`atlex._datatypes`.
"""

from __future__ import annotations

import importlib
import keyword
import re
import sys
from typing import Any, TypeVar, cast

import msgspec
from msgspec import UNSET, Raw, UnsetType

from atlex._codec import convert
from atlex._datatypes import BY_TYPE, DECODE_UNKNOWN, KeptSource, LazyField
from atlex._model import KEPT_FIELD, LexObject
from atlex._tolerant import SchemaMismatchError, decoder_for, untyped
from atlex._wire import to_json
from atlex.errors import LexError

__all__ = [
    "PACKAGES",
    "class_named",
    "decode_unknown",
    "module_path",
    "plain_value",
    "raw_value",
    "record_as",
]

L = TypeVar("L", bound=LexObject)


def raw_value(obj: object, attr: str) -> Any:
    """``obj.attr`` without decoding it: a ``msgspec.Raw`` when nobody read it yet."""
    field = getattr(type(obj), attr, None)
    if isinstance(field, LazyField):
        return field.raw(obj)
    return getattr(obj, attr)


def plain_value(obj: object, attr: str) -> Any:
    """``obj.attr`` as JSON-shaped builtins (dicts, lists ...), e.g. a record as stored."""
    return to_json(raw_value(obj, attr))


# --- decoding ---------------------------------------------------------------------------------

_TYPE_PREFIX = b'{"$type":"'


class _TagPeek(msgspec.Struct):
    type: str | UnsetType = msgspec.field(default=UNSET, name="$type")


_PEEK = msgspec.json.Decoder(_TagPeek)


def _tag_of(raw: Raw) -> str | None:
    data = bytes(raw)
    if data.startswith(_TYPE_PREFIX):  # how every writer we know puts it: no full parse
        end = data.find(b'"', len(_TYPE_PREFIX))
        tag = data[len(_TYPE_PREFIX) : end]
        if end > 0 and b"\\" not in tag:
            return tag.decode("utf-8", "replace")
    if not data.startswith(b"{"):
        return None
    try:
        found = _PEEK.decode(data).type
    except (msgspec.DecodeError, msgspec.ValidationError):  # e.g. a surrogate: no class
        return None
    return found if isinstance(found, str) else None


def decode_unknown(raw: Raw) -> Any:
    """The value of an ``unknown`` slot: typed by its ``$type`` when a local lexicon defines it
    and the body fits, else plain data.

    Lossless like ``atlex.decode``, but lazily: the typed value carries its source JSON
    (:class:`~atlex._datatypes.KeptSource`), compared with it only when it is written.
    """
    tag = _tag_of(raw)
    cls = class_named(tag) if tag is not None else None
    if cls is not None:
        try:
            value = decoder_for(cls).decode(raw)
        except LexError:
            pass  # does not fit its lexicon: kept as plain data, record_as() says why
        else:
            setattr(value, KEPT_FIELD, KeptSource(raw))
            return value
    return untyped(raw)


DECODE_UNKNOWN[0] = decode_unknown


# --- $type -> generated class -----------------------------------------------------------------

_looked_up: dict[str, type[Any] | None] = {}
PACKAGES: list[str] = ["atlex.lex"]
"""Generated packages searched (by module path) for a ``$type`` whose class is not imported."""


def class_named(tag: str) -> type[Any] | None:
    """The generated class ``tag`` names (``nsid``, ``nsid#main`` or ``nsid#def``), or None."""
    found = _looked_up.get(tag)
    if found is not None or tag in _looked_up:
        return found
    nsid, _, name = tag.partition("#")
    key = nsid if name in ("", "main") else tag
    malformed = "#" in name or not nsid
    found = None if malformed else BY_TYPE.get(key) or _import_for(nsid, key)
    _looked_up[tag] = found
    return found


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


def module_path(nsid: str) -> str | None:
    """The generated module path of ``nsid`` inside a package (``app.bsky.feed.post`` ->
    ``app.bsky.feed.post``, ``app.bsky.feed.getTimeline`` -> ``app.bsky.feed.get_timeline``),
    None when ``nsid`` is not an NSID."""
    if not _NSID.fullmatch(nsid):
        return None
    return ".".join(_segment(s) for s in nsid.split("."))


def _import_for(nsid: str, key: str) -> type[Any] | None:
    path = module_path(nsid)
    if path is None:
        return None
    for package in PACKAGES:
        name = f"{package}.{path}"
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except ImportError:
                continue
        found = BY_TYPE.get(key)
        if found is not None:
            return found
    return None


# --- the typed accessor -----------------------------------------------------------------------


def record_as(value: object, cls: type[L]) -> L:
    """``value`` (e.g. ``item.post.record``) as the generated class ``cls``.

    Returns it when it is one; raises :class:`atlex.LexValidationError` (a
    :class:`SchemaMismatchError` naming the JSON path) when its ``$type`` names another type or
    its body does not fit ``cls``::

        text = atlex.record_as(item.post.record, post.Record).text
    """
    if isinstance(value, cls):
        return value

    wanted = getattr(cls, "LEX_TYPE", None)
    other = getattr(type(value), "LEX_TYPE", None)
    if isinstance(other, str):  # another generated class
        expected = wanted or cls.__name__
        raise SchemaMismatchError(f"$type is {other!r}, expected {expected!r}", "$.$type")

    if isinstance(value, Raw):
        value = untyped(value)
    if not isinstance(value, dict):
        kind = type(value).__name__
        raise SchemaMismatchError(f"Expected `{cls.__name__}`, got `{kind}`")
    data = cast(dict[str, Any], value)
    tag = data.get("$type")
    if isinstance(wanted, str) and tag is not None and class_named(str(tag)) is not cls:
        raise SchemaMismatchError(f"$type is {tag!r}, expected {wanted!r}", "$.$type")
    return convert(data, cls)  # raises, naming the path, when the body does not fit
