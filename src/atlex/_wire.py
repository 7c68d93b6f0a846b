"""Objects ↔ JSON without losing what the local lexicons do not know.

Generated structs only hold the fields their lexicon defines. To write back exactly what was
read, :func:`keep` compares a decoded object with the JSON it came from and attaches a
:class:`~atlex._datatypes.Kept` (unknown members, ``$type`` as read) to the objects whose class
alone would re-encode differently; :func:`to_json` writes objects back, merging what they kept.

``$type`` rules (lexicon-mapping §1.4): written on records and on union members at union
positions (a union field, a list of one, an ``unknown`` value, the top level); omitted on objects
reached through a plain ``ref`` unless it was read with one (presence there is kept as read);
the spelling as read (``nsid#main``) is kept too.

Used by ``atlex.decode`` / ``atlex.convert`` / ``atlex.encode``, request bodies and the record
helpers (:mod:`atlex._record_data`): one mechanism for every writer.
"""

from __future__ import annotations

import types
from typing import Any, Union, cast, get_args, get_origin

import msgspec
from msgspec import UNSET, Raw

from atlex._datatypes import SINGLE, Blob, Bytes, CidLink, Kept, KeptSource, LazyField
from atlex._model import KEPT_FIELD, LexObject

__all__ = ["encode_json", "keep", "to_json"]


class _Plan:
    """Per class: fields as (attribute, wire name, values sit at union positions, the slot of
    a lazily decoded ``unknown`` field or None)."""

    __slots__ = ("fields", "known", "record", "tag", "tag_field")

    def __init__(self, cls: type[LexObject]) -> None:
        config = cls.__struct_config__
        self.tag: str | None = config.tag if isinstance(config.tag, str) else None
        self.tag_field: str = config.tag_field or "$type"
        self.record = self.tag is not None and isinstance(getattr(cls, "LEX_KEY", None), str)
        fields: list[tuple[str, str, bool, LazyField | None]] = []
        known: set[str] = set()
        for info in msgspec.structs.fields(cls):
            if info.name == KEPT_FIELD:
                continue
            union = (cls, info.name) in SINGLE or _union_position(info.type)
            lazy = getattr(cls, info.name, None)
            lazy = lazy if isinstance(lazy, LazyField) else None
            fields.append((info.name, info.encode_name, union, lazy))
            known.add(info.encode_name)
        if self.tag is not None:
            known.add(self.tag_field)
        self.fields = tuple(fields)
        self.known = frozenset(known)


def _union_position(tp: Any) -> bool:
    """Whether objects in a field of this annotation sit at a union position."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        structs = sum(1 for a in args if isinstance(a, type) and issubclass(a, msgspec.Struct))
        if structs >= 2:
            return True
        return any(_union_position(a) for a in args)
    if origin is list:
        return any(_union_position(a) for a in get_args(tp))
    # `unknown` (Raw; dict or Any before): whatever sits there describes itself
    return origin is dict or tp is Any or tp is Raw


_plans: dict[type[Any], _Plan] = {}


def _plan(cls: type[LexObject]) -> _Plan:
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans.setdefault(cls, _Plan(cls))
    return plan


# --- reading: remember what the class alone would not write back ---


def keep(value: Any, raw: Any, union: bool = True) -> None:
    """Attach to every object inside ``value`` what its JSON ``raw`` carried beyond the class.

    ``value`` was decoded or converted from ``raw``; ``union`` says whether ``value`` sits at a
    union position (the top level does).
    """
    if isinstance(value, LexObject):
        if type(raw) is dict:
            _keep_object(value, cast(dict[str, Any], raw), union)
    elif type(value) is list and type(raw) is list:
        for item, raw_item in zip(cast(list[Any], value), cast(list[Any], raw), strict=False):
            keep(item, raw_item, union)


def _keep_object(obj: LexObject, raw: dict[str, Any], union: bool) -> None:
    plan = _plan(type(obj))
    if plan.tag is not None:
        read = raw.get(plan.tag_field)
        if isinstance(read, str) and read != plan.tag and read != plan.tag + "#main":
            return  # not what this JSON described (a value the user put in its place)
    known = plan.known
    members = {k: v for k, v in raw.items() if k not in known}
    kept: Kept | None = None
    if plan.tag is not None:
        read = raw.get(plan.tag_field)
        as_read = read if isinstance(read, str) else None
        if union or plan.record:  # always written: remember only a different spelling
            if members or (as_read is not None and as_read != plan.tag):
                kept = Kept(members, as_read)
        elif members or as_read is not None:  # a plain ref: presence as read
            kept = Kept(members, as_read)
    elif members:
        kept = Kept(members, None)
    setattr(obj, KEPT_FIELD, UNSET if kept is None else kept)
    for attr, wire, field_union, lazy in plan.fields:
        if wire in raw:
            # an unread lazy value is the input's own bytes: nothing to keep
            item = getattr(obj, attr) if lazy is None else lazy.raw(obj)
            keep(item, raw[wire], field_union)


# --- writing ---


def to_json(value: Any, union: bool = True, verbatim: bool = False) -> Any:
    """``value`` (generated objects, dicts, lists, scalars) as JSON-shaped builtins.

    ``verbatim``: leave unread lazy values (``msgspec.Raw``, see :mod:`atlex._lazy`) as they
    are, for msgspec's encoder to copy byte for byte; otherwise they become builtins too.
    """
    if isinstance(value, LexObject):
        return _object_json(value, union, verbatim)
    kind = cast("type[Any]", type(value))
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is list or kind is tuple:
        return [to_json(item, union, verbatim) for item in cast(list[Any], value)]
    if isinstance(value, dict):
        return {k: to_json(v, True, verbatim) for k, v in cast(dict[str, Any], value).items()}
    if isinstance(value, (Blob, Bytes, CidLink)):
        return msgspec.to_builtins(value)
    if kind is Raw and not verbatim:
        return _untyped(value)
    return value  # msgspec reports what it cannot encode


def _object_json(obj: LexObject, union: bool, verbatim: bool) -> Any:
    kept = getattr(obj, KEPT_FIELD)
    if type(kept) is KeptSource:  # lazily read (atlex._lazy): compare with its JSON now
        if _unchanged(obj, kept):
            return kept.raw if verbatim else _untyped(kept.raw)
        keep(obj, _untyped(kept.raw), union)
        kept = getattr(obj, KEPT_FIELD)
    plan = _plan(type(obj))
    out: dict[str, Any] = {}
    if plan.tag is not None:
        written = kept.type if isinstance(kept, Kept) else None
        if written is None and (union or plan.record):
            written = plan.tag  # records and union members at union positions always have one
        if written is not None:
            out[plan.tag_field] = written
    for attr, wire, field_union, lazy in plan.fields:
        item = getattr(obj, attr) if lazy is None else lazy.raw(obj)  # never decode to write
        if item is UNSET:
            continue
        kind = cast("type[Any]", type(item))
        out[wire] = (
            item
            if kind is str or kind is int or kind is bool
            else to_json(item, field_union, verbatim)
        )
    if isinstance(kept, Kept):
        for key, item in kept.members.items():
            out.setdefault(key, item)
    elif kept is not UNSET:  # a stray "$atlex:kept" member in input that was not kept
        out.setdefault("$atlex:kept", kept)
    return out


def _unchanged(obj: LexObject, source: KeptSource) -> bool:
    """Whether ``obj`` still equals what its source JSON decodes to (msgspec compares in C)."""
    from atlex._tolerant import decoder_for

    fresh = decoder_for(type(obj)).decode(source.raw)
    setattr(fresh, KEPT_FIELD, source)
    return fresh == obj


def _untyped(raw: Raw) -> Any:
    from atlex._tolerant import untyped

    return untyped(raw)


_ENCODER = msgspec.json.Encoder()


def encode_json(value: Any) -> bytes:
    """JSON bytes of ``value`` (see :func:`to_json`).

    Strings holding unpaired UTF-16 surrogates (legal in JSON escapes, which atlex accepts on
    read like the reference) are written as ``\\uXXXX`` escapes.
    """
    try:
        return _ENCODER.encode(to_json(value, verbatim=True))
    except UnicodeEncodeError:
        import json  # deferred: only lone surrogates need it, and a decode imports this module

        data = to_json(value)
        return json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")
