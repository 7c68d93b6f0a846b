"""What the two slow paths of tolerant decoding share (:mod:`atlex._tolerant` over JSON,
:mod:`atlex._tolerant_convert` over builtins): the errors they raise, the ``$type`` rules
(``nsid#main`` is ``nsid``; at most one ``#``), failures located in the whole document, and the
per-type analysis (cached plans, shallow twins) they descend with.
"""

from __future__ import annotations

import re
import types
from typing import Any, Union, cast, get_args, get_origin

import msgspec
from msgspec import UNSET, Raw, UnsetType

from atlex._datatypes import CLOSED, SINGLE
from atlex.errors import LexValidationError

__all__ = [
    "ANY_DECODER",
    "NO_LIST",
    "RAW_LIST",
    "STR_DECODER",
    "TWIN_TAG_ATTR",
    "MalformedJsonError",
    "SchemaMismatchError",
    "StructField",
    "StructPlan",
    "TypePlan",
    "again",
    "bad_tag",
    "construct",
    "failure_at",
    "inside",
    "malformed_type",
    "member_of",
    "missing",
    "peeker",
    "relocate",
    "same_tag",
    "struct_plan",
    "type_plan",
]


class SchemaMismatchError(LexValidationError, msgspec.ValidationError):
    """Data that does not fit the requested type.

    A :class:`atlex.LexValidationError` (``error`` ``InvalidRequest``, ``path``) and a
    ``msgspec.ValidationError``, so ``except msgspec.ValidationError`` still works. The message
    has msgspec's format (``reason - at `$.path```); ``reason`` and ``path`` are also available
    separately. ``__cause__`` is the fast-path (native) error.
    """

    reason: str
    path: str

    def __init__(self, reason: str, path: str = "$") -> None:
        self.reason = reason
        super().__init__(reason if path == "$" else f"{reason} - at `{path}`", path=path)

    def _describe(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason, self.path))


class MalformedJsonError(LexValidationError, msgspec.DecodeError):
    """Input that is not JSON at all (``path`` is ``$``; the message gives the byte offset).

    A :class:`atlex.LexValidationError` and a ``msgspec.DecodeError``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, path="$")

    def _describe(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,))


def malformed_type(tag: str, path: str) -> SchemaMismatchError | None:
    """A ``$type`` no lexicon reference can spell: empty, or with more than one ``#``."""
    if not tag:
        return SchemaMismatchError("$type must not be empty", f"{path}.$type")
    if tag.count("#") > 1:
        return SchemaMismatchError(
            f"malformed $type {tag!r}: a reference has at most one '#'", f"{path}.$type"
        )
    return None


def member_of(by_tag: dict[str, type[msgspec.Struct]], tag: str) -> type[msgspec.Struct] | None:
    """The union member ``tag`` names: ``nsid#main`` is the same type as ``nsid``."""
    member = by_tag.get(tag)
    if member is None and tag.endswith("#main"):
        member = by_tag.get(tag[:-5])
    return member


def same_tag(tag: str, expected: str) -> bool:
    return tag == expected or (tag.endswith("#main") and tag[:-5] == expected)


# msgspec ends located messages with " - at `$<rest>`"; the root has no suffix.
_LOCATED = re.compile(r"(?P<reason>.*) - at `\$(?P<rest>[^`]*)`", re.DOTALL)


def failure_at(err: msgspec.ValidationError | UnicodeEncodeError, path: str) -> SchemaMismatchError:
    """The native failure of ``convert`` at ``path``. msgspec matches object keys and tags as
    UTF-8, so a key or tag holding an unpaired surrogate fails there: the slow path then looks
    the fields up itself (such a key is no lexicon field; such a tag no known type)."""
    if isinstance(err, UnicodeEncodeError):
        return SchemaMismatchError("a key or $type holds an unpaired UTF-16 surrogate", path)
    return relocate(err, path)


def relocate(err: msgspec.ValidationError, path: str) -> SchemaMismatchError:
    """Re-anchor an error msgspec raised on a slice at ``path`` in the whole document."""
    message = str(err)
    match = _LOCATED.fullmatch(message)
    if match is None:
        return SchemaMismatchError(message, path)
    return SchemaMismatchError(match["reason"], path + match["rest"])


# ---------------------------------------------------------------------------------------------
# Per-type analysis, cached


class StructField(msgspec.Struct, frozen=True):
    name: str
    encode_name: str
    type: Any
    required: bool
    closed: bool
    single: bool


class StructPlan(msgspec.Struct, frozen=True):
    cls: type[msgspec.Struct]
    strict_leaf: bool
    """Never split: forbid_unknown_fields (Bytes, CidLink) or array_like structs."""
    tag: str | None
    tag_field: str | None
    twin: msgspec.json.Decoder[Any]
    fields: tuple[StructField, ...]


class TypePlan(msgspec.Struct, frozen=True):
    target: Any
    """The type without ``UnsetType`` (a slice that exists is never UNSET)."""
    native: msgspec.json.Decoder[Any]
    structs: tuple[type[msgspec.Struct], ...]
    by_tag: dict[str, type[msgspec.Struct]]
    tag_field: str
    list_item: Any
    """Item type of the first ``list[X]`` argument, or ``NO_LIST``."""


NO_LIST: Any = object()
TWIN_TAG_ATTR = "_lex_tag_"  # generated attributes never start with "_"

_type_plans: dict[Any, TypePlan] = {}
_struct_plans: dict[type[Any], StructPlan] = {}
_peekers: dict[str, msgspec.json.Decoder[Any]] = {}
RAW_LIST: msgspec.json.Decoder[list[Raw]] = msgspec.json.Decoder(list[Raw])
STR_DECODER: msgspec.json.Decoder[str] = msgspec.json.Decoder(str)
ANY_DECODER: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


def _union_args(tp: Any) -> tuple[Any, ...]:
    if get_origin(tp) in (Union, types.UnionType):
        return get_args(tp)
    return (tp,)


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _build_type_plan(tp: Any) -> TypePlan:
    args = _union_args(tp)
    kept = tuple(a for a in args if a is not UnsetType) or args
    target: Any = kept[0] if len(kept) == 1 else Union[kept]  # noqa: UP007 (runtime tuple)
    structs = tuple(cast("type[msgspec.Struct]", a) for a in kept if _is_struct(a))
    by_tag: dict[str, type[msgspec.Struct]] = {}
    tag_field = "$type"
    for member in structs:
        config = member.__struct_config__
        if isinstance(config.tag, str):
            by_tag[config.tag] = member
            tag_field = config.tag_field or tag_field
    list_item = NO_LIST
    for a in kept:
        if get_origin(a) is list:
            item_args = get_args(a)
            list_item = item_args[0] if item_args else Any
            break
    return TypePlan(
        target=target,
        native=msgspec.json.Decoder(target),
        structs=structs,
        by_tag=by_tag,
        tag_field=tag_field,
        list_item=list_item,
    )


def type_plan(tp: Any) -> TypePlan:
    try:
        plan = _type_plans.get(tp)
    except TypeError:  # unhashable annotation: analyse every time
        return _build_type_plan(tp)
    if plan is None:
        plan = _type_plans.setdefault(tp, _build_type_plan(tp))
    return plan


def _build_struct_plan(cls: type[msgspec.Struct]) -> StructPlan:
    config = cls.__struct_config__
    infos = msgspec.structs.fields(cls)
    twin_fields: list[tuple[str, Any, Any]] = [
        (f.name, Raw | UnsetType, msgspec.field(default=UNSET, name=f.encode_name)) for f in infos
    ]
    if config.tag is not None and config.tag_field is not None:
        twin_fields.append(
            (TWIN_TAG_ATTR, Raw | UnsetType, msgspec.field(default=UNSET, name=config.tag_field))
        )
    twin = msgspec.defstruct(f"{cls.__name__}ShallowTwin", twin_fields, kw_only=True)
    return StructPlan(
        cls=cls,
        strict_leaf=config.forbid_unknown_fields or config.array_like,
        tag=config.tag if isinstance(config.tag, str) else None,
        tag_field=config.tag_field,
        twin=msgspec.json.Decoder(twin),
        fields=tuple(
            StructField(
                name=f.name,
                encode_name=f.encode_name,
                type=f.type,
                required=f.required,
                closed=(cls, f.name) in CLOSED,
                single=(cls, f.name) in SINGLE,
            )
            for f in infos
        ),
    )


def struct_plan(cls: type[msgspec.Struct]) -> StructPlan:
    plan = _struct_plans.get(cls)
    if plan is None:
        plan = _struct_plans.setdefault(cls, _build_struct_plan(cls))
    return plan


def peeker(tag_field: str) -> msgspec.json.Decoder[Any]:
    """A one-field decoder reading only the tag of an object (as a raw slice)."""
    peeker = _peekers.get(tag_field)
    if peeker is None:
        peek = msgspec.defstruct(
            "TagPeek",
            [(TWIN_TAG_ATTR, Raw | UnsetType, msgspec.field(default=UNSET, name=tag_field))],
        )
        peeker = _peekers.setdefault(tag_field, msgspec.json.Decoder(peek))
    return peeker


def construct(cls: type[msgspec.Struct], kwargs: dict[str, Any], path: str) -> Any:
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:  # __post_init__ rejects, as msgspec reports it
        raise SchemaMismatchError(str(exc), path) from exc


def missing(field: StructField, path: str) -> SchemaMismatchError:
    return SchemaMismatchError(f"Object missing required field `{field.encode_name}`", path)


def bad_tag(value: str, path: str, tag_field: str) -> SchemaMismatchError:
    return SchemaMismatchError(f"Invalid value '{value}'", f"{path}.{tag_field}")


def again(failure: SchemaMismatchError) -> SchemaMismatchError:
    """A fresh copy of a located failure, to raise at the position that owns it."""
    return SchemaMismatchError(failure.reason, failure.path)


def inside(failure: SchemaMismatchError | None, path: str) -> bool:
    """Whether a known native failure lies within the value at ``path``.

    Native decoding stops at the first problem in document order, so decoding a slice that
    contains it natively would fail again at the same place: skip that retry (it also keeps a
    deep chain of failing levels linear instead of quadratic).
    """
    if failure is None:
        return False
    located = failure.path
    return located.startswith(path) and (len(located) == len(path) or located[len(path)] in ".[")


# The slow-path functions receive ``failure``: the native error for the value they handle,
# already located in the whole document. They either descend or raise it again.
