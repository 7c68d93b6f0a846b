"""``validate()``: lexicon constraints on generated objects, checked on demand.

Decode-time types are structural only (lexicon-mapping §2.9); the constraints live in tables the
generator emits (``_rt.register_rules``) and are enforced here: field types (msgspec does not
check them when a struct is built in Python), string formats, lengths in UTF-8 bytes and in
graphemes, integer ranges (and the signed 64-bit bounds), array sizes, bytes sizes, blob
``accept``/``maxSize``, closed unions and ``$type`` on union members kept as data.

Two passes. :mod:`atlex._validate_fast` first tries to *prove* the value valid with one
generated function per class (no paths, exact classes, inlined bounds); valid data never goes
further, and costs about twice its decode. When it cannot prove it, the exact pass here runs:
each class compiled once into per-field checks (:mod:`atlex._validate_values` for the leaves)
that raise the first error with its JSON path. The fast pass may only ever be stricter than
this one (tests/unit/test_validate_fast.py checks that on mutated values).

``strict=False`` is the reference's lenient mode for data that was *read*: a ``datetime``
without a timezone and the other forms ``iso-datestring-validator`` accepts pass.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, Literal, Union, cast, get_args, get_origin

import msgspec
from msgspec import UNSET, Raw, UnsetType

from atlex._datatypes import CLOSED, RULES, SINGLE, Blob, Bytes, CidLink, LazyField
from atlex._validate_fast import prove
from atlex._validate_sure import unread_problem
from atlex._validate_values import (
    Check,
    blob_check,
    bytes_check,
    check_object_value,
    int_check,
    invalid,
    kind_of,
    link_check,
    string_check,
)

__all__ = ["is_lex_type", "validate"]


def is_lex_type(value: object) -> bool:
    """A generated object (not a data-model leaf such as Blob, Bytes or CidLink)."""
    return isinstance(value, msgspec.Struct) and type(value) not in _LEAVES


_LEAVES: frozenset[type[Any]] = frozenset((Blob, Bytes, CidLink))


def validate(value: Any, *, strict: bool = True) -> None:
    """Raise :class:`atlex.errors.LexValidationError` (with ``.path``) unless ``value``
    satisfies its lexicon."""
    cls = cast("type[Any]", type(value))
    if isinstance(value, msgspec.Struct):
        try:
            prove(value, compile_field)
        except Exception:  # not proved valid: the exact pass decides, naming the path
            pass
        else:
            return
    _object_check(cls)(value, "$", strict)


# --- per-class plans ---------------------------------------------------------------------

_object_checks: dict[type[Any], Check] = {}


def _object_check(cls: type[Any]) -> Check:
    check = _object_checks.get(cls)
    if check is None:
        # Placeholder first: self-referencing classes (threads) compile against it.
        _object_checks[cls] = lambda v, p, s: _object_checks[cls](v, p, s)
        check = _object_checks[cls] = _compile_object(cls)
    return check


def _compile_object(cls: type[Any]) -> Check:
    rules = RULES.get(cls, {})
    fields: list[tuple[str, str, bool, Check | None, LazyField | None]] = []
    for info in msgspec.structs.fields(cls):
        if info.name.startswith("_lex"):
            continue
        required = info.required
        closed = (cls, info.name) in CLOSED
        single = (cls, info.name) in SINGLE
        check = compile_field(info.type, rules.get(info.name) or {}, closed, single)
        lazy = getattr(cls, info.name, None)
        lazy = lazy if isinstance(lazy, LazyField) else None
        fields.append((info.name, info.encode_name, required, check, lazy))
    plan = tuple(fields)

    def check_object(value: Any, path: str, strict: bool) -> None:
        if type(value) is not cls and not isinstance(value, cls):
            raise invalid(f"Expected `{cls.__name__}`, got `{kind_of(value)}`", path)
        for attr, wire, required, check, lazy in plan:
            # an `unknown` value nobody read is checked as the JSON it is (atlex._lazy)
            item = getattr(value, attr) if lazy is None else lazy.raw(value)
            if item is UNSET:
                if required:
                    raise invalid(f"Object missing required field `{wire}`", path)
                continue
            if check is not None:
                check(item, f"{path}.{wire}", strict)

    return check_object


# --- compiling annotations -------------------------------------------------------------------


def compile_field(tp: Any, rule: dict[str, Any], closed: bool, single: bool) -> Check | None:
    """A check for a field annotated ``tp`` with lexicon ``rule``; None when nothing to check.
    ``closed``: a closed union; ``single``: a single-ref union (looks like a plain ref)."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return _compile_union(get_args(tp), rule, closed, single)
    return _compile_union((tp,), rule, closed, single)


def _compile_union(
    args: tuple[Any, ...], rule: dict[str, Any], closed: bool, single: bool
) -> Check | None:
    allow_unset = UnsetType in args
    allow_none = type(None) in args
    members = [a for a in args if a is not UnsetType and a is not type(None)]
    structs = [a for a in members if isinstance(a, type) and issubclass(a, msgspec.Struct)]
    union = len(structs) >= 2 or (len(structs) == 1 and single)
    options: list[tuple[Callable[[Any], bool], Check | None]] = []
    names: list[str] = []
    enum = False
    for member in members:
        option = _compile_member(member, rule, closed, single)
        if option is None:
            return None  # Any: nothing to check
        options.append(option)
        names.append(_name(member))
        enum = enum or get_origin(member) is Literal
    if union:
        # union members kept as data (open unions); closed ones are rejected
        options.append((_is_dict, _typed_dict_check(closed)))
    expected = " | ".join(names + (["null"] if allow_none else []))

    def check_value(value: Any, path: str, strict: bool) -> None:
        if value is None and allow_none:
            return
        if value is UNSET and allow_unset:
            return
        for accepts, check in options:
            if accepts(value):
                if check is not None:
                    check(value, path, strict)
                return
        if enum and isinstance(value, str | int):
            raise invalid(f"Invalid enum value {value!r}", path)
        raise invalid(f"Expected `{expected}`, got `{kind_of(value)}`", path)

    return check_value


def _name(tp: Any) -> str:
    if tp is str:
        return "str"
    if tp is int:
        return "int"
    if tp is bool:
        return "bool"
    if get_origin(tp) is list:
        return "array"
    if get_origin(tp) is dict:
        return "object"
    if get_origin(tp) is Literal:
        return " | ".join(repr(v) for v in get_args(tp))
    return getattr(tp, "__name__", str(tp))


def _is_dict(value: Any) -> bool:
    return type(value) is dict


def _compile_member(
    tp: Any, rule: dict[str, Any], closed: bool, single: bool
) -> tuple[Callable[[Any], bool], Check | None] | None:
    origin = get_origin(tp)
    if tp is Any:
        return None
    if tp is str:
        return (_is_str, string_check(rule))
    if tp is bool:
        return (_is_bool, None)
    if tp is int:
        return (_is_int, int_check(rule))
    if origin is Literal:
        allowed: frozenset[tuple[type[Any], Any]] = frozenset(
            (cast(type[Any], type(v)), v) for v in get_args(tp)
        )
        return (lambda v: (type(v), v) in allowed, None)
    if origin is list:
        (item_tp,) = get_args(tp) or (Any,)
        return (_is_list, _list_check(item_tp, rule, closed, single))
    if origin is dict or tp is dict:
        return (_is_dict, _dict_check(rule))
    if tp is Raw:  # `unknown`: unread JSON, the object its $type named, or plain data
        return (_anything, _unknown_check(rule))
    if tp is Blob:
        return (lambda v: type(v) is Blob, blob_check(rule))
    if tp is Bytes:
        return (lambda v: type(v) is Bytes, bytes_check(rule))
    if tp is CidLink:
        return (lambda v: type(v) is CidLink, link_check)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        cls = cast(type[Any], tp)
        return (lambda v: isinstance(v, cls), _nested_object)
    return (lambda v: isinstance(v, tp), None)


def _anything(value: Any) -> bool:
    return True


def _unknown_check(rule: dict[str, Any]) -> Check | None:
    """An ``unknown`` value: unread JSON must be an object (what the reference asks, see
    :func:`atlex._validate_sure.unread_problem`); plain data and a read record, data-model
    objects."""
    check = _dict_check(rule)
    if check is None:
        return None

    def unknown_check(value: Any, path: str, strict: bool) -> None:
        if type(value) is Raw:
            problem = unread_problem(value)
            if problem is not None:
                raise invalid(problem, path)
            return
        if isinstance(value, msgspec.Struct):  # read: the generated class its $type named
            from atlex.datamodel import check_data_model

            for where, reason in check_data_model(value):
                raise invalid(reason, path + where[1:])
            return
        if type(value) is not dict:
            raise invalid(f"Expected `object`, got `{kind_of(value)}`", path)
        check(value, path, strict)

    return unknown_check


def _nested_object(value: Any, path: str, strict: bool) -> None:
    cls = cast("type[Any]", type(value))
    _object_check(cls)(value, path, strict)


def _is_str(value: Any) -> bool:
    return type(value) is str


def _is_bool(value: Any) -> bool:
    return type(value) is bool


def _is_int(value: Any) -> bool:
    return type(value) is int


def _is_list(value: Any) -> bool:
    return type(value) is list


def _typed_dict_check(closed: bool) -> Check:
    """A union member kept as data: it names its type; a closed union knows every type."""

    def typed_dict(value: Any, path: str, strict: bool) -> None:
        kind = value.get("$type")
        if not isinstance(kind, str) or not kind:
            raise invalid("a union member needs a $type", path)
        if closed:
            raise invalid(f"Invalid value '{kind}' in a closed union", f"{path}.$type")
        _check_type_name(kind, f"{path}.$type")

    return typed_dict


def _check_type_name(kind: str, path: str) -> None:
    if kind.count("#") > 1:
        raise invalid(f"malformed $type {kind!r}: at most one '#'", path)


def _list_check(item_tp: Any, rule: dict[str, Any], closed: bool, single: bool) -> Check:
    low, high = rule.get("min_items"), rule.get("max_items")
    item_check = compile_field(item_tp, rule.get("items") or {}, closed, single)

    def list_check(value: list[Any], path: str, strict: bool) -> None:
        n = len(value)
        if low is not None and n < low:
            raise invalid(f"fewer than {low} items ({n})", path)
        if high is not None and n > high:
            raise invalid(f"more than {high} items ({n})", path)
        if item_check is not None:
            for i, item in enumerate(value):
                item_check(item, f"{path}[{i}]", strict)

    return list_check


def _dict_check(rule: dict[str, Any]) -> Check | None:
    typed, is_object = rule.get("typed"), rule.get("object")
    if not typed and not is_object:
        return None

    def dict_check(value: dict[str, Any], path: str, strict: bool) -> None:
        if typed:
            kind = value.get("$type")
            if not isinstance(kind, str) or not kind:
                raise invalid("a union member needs a $type", path)
            _check_type_name(kind, f"{path}.$type")
        if is_object:
            check_object_value(value, path)

    return dict_check
