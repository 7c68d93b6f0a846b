"""``validate()``: lexicon constraints on generated objects, checked on demand.

Decode-time types are structural only (lexicon-mapping §2.9); the constraints live in tables the
generator emits (``_rt.register_rules``) and are enforced here: field types (msgspec does not
check them when a struct is built in Python), string formats, lengths in UTF-8 bytes and in
graphemes, integer ranges (and the signed 64-bit bounds), array sizes, bytes sizes, blob
``accept``/``maxSize``, closed unions and ``$type`` on union members kept as data.

Speed: each class is compiled once into a list of per-field check functions (fields with
nothing to check are skipped), so a validation costs a few attribute reads per field plus the
format checks the lexicon asks for.

``strict=False`` is the reference's lenient mode for data that was *read*: a ``datetime``
without a timezone and the other forms ``iso-datestring-validator`` accepts pass.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from typing import Any, Literal, Union, cast, get_args, get_origin

import msgspec
from msgspec import UNSET, Raw, UnsetType

from atlex._datatypes import CLOSED, RULES, SINGLE, Blob, Bytes, CidLink, LazyField
from atlex.errors import LexValidationError

__all__ = ["is_lex_type", "validate"]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

Check = Callable[[Any, str, bool], None]
"""(value, JSON path, strict) -> None, or raises LexValidationError."""


def _invalid(reason: str, path: str) -> LexValidationError:
    return LexValidationError(f"{reason} at {path}", path=path)


def is_lex_type(value: object) -> bool:
    """A generated object (not a data-model leaf such as Blob, Bytes or CidLink)."""
    return isinstance(value, msgspec.Struct) and type(value) not in _LEAVES


_LEAVES: frozenset[type[Any]] = frozenset((Blob, Bytes, CidLink))


def validate(value: Any, *, strict: bool = True) -> None:
    """Raise :class:`atlex.errors.LexValidationError` (with ``.path``) unless ``value``
    satisfies its lexicon."""
    cls = cast("type[Any]", type(value))
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
        check = _compile(info.type, rules.get(info.name) or {}, closed, single)
        lazy = getattr(cls, info.name, None)
        lazy = lazy if isinstance(lazy, LazyField) else None
        fields.append((info.name, info.encode_name, required, check, lazy))
    plan = tuple(fields)

    def check_object(value: Any, path: str, strict: bool) -> None:
        if type(value) is not cls and not isinstance(value, cls):
            raise _invalid(f"Expected `{cls.__name__}`, got `{_kind(value)}`", path)
        for attr, wire, required, check, lazy in plan:
            # an `unknown` value nobody read is checked as the JSON it is (atlex._lazy)
            item = getattr(value, attr) if lazy is None else lazy.raw(value)
            if item is UNSET:
                if required:
                    raise _invalid(f"Object missing required field `{wire}`", path)
                continue
            if check is not None:
                check(item, f"{path}.{wire}", strict)

    return check_object


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


# --- compiling annotations -------------------------------------------------------------------


def _compile(tp: Any, rule: dict[str, Any], closed: bool, single: bool) -> Check | None:
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
            raise _invalid(f"Invalid enum value {value!r}", path)
        raise _invalid(f"Expected `{expected}`, got `{_kind(value)}`", path)

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
        return (_is_str, _string_check(rule))
    if tp is bool:
        return (_is_bool, None)
    if tp is int:
        return (_is_int, _int_check(rule))
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
        return (lambda v: type(v) is Blob, _blob_check(rule))
    if tp is Bytes:
        return (lambda v: type(v) is Bytes, _bytes_check(rule))
    if tp is CidLink:
        return (lambda v: type(v) is CidLink, _link_check)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        cls = cast(type[Any], tp)
        return (lambda v: isinstance(v, cls), _nested_object)
    return (lambda v: isinstance(v, tp), None)


def _anything(value: Any) -> bool:
    return True


def _unknown_check(rule: dict[str, Any]) -> Check | None:
    """An ``unknown`` value, read or not: a data-model object (what the lexicon asks)."""
    check = _dict_check(rule)
    if check is None:
        return None

    def unknown_check(value: Any, path: str, strict: bool) -> None:
        if type(value) is Raw:
            from atlex._tolerant import untyped

            value = untyped(value)
        elif isinstance(value, msgspec.Struct):  # read: the generated class its $type named
            from atlex.datamodel import check_data_model

            for where, reason in check_data_model(value):
                raise _invalid(reason, path + where[1:])
            return
        if type(value) is not dict:
            raise _invalid(f"Expected `object`, got `{_kind(value)}`", path)
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
            raise _invalid("a union member needs a $type", path)
        if closed:
            raise _invalid(f"Invalid value '{kind}' in a closed union", f"{path}.$type")
        _check_type_name(kind, f"{path}.$type")

    return typed_dict


def _check_type_name(kind: str, path: str) -> None:
    if kind.count("#") > 1:
        raise _invalid(f"malformed $type {kind!r}: at most one '#'", path)


def _list_check(item_tp: Any, rule: dict[str, Any], closed: bool, single: bool) -> Check:
    low, high = rule.get("min_items"), rule.get("max_items")
    item_check = _compile(item_tp, rule.get("items") or {}, closed, single)

    def list_check(value: list[Any], path: str, strict: bool) -> None:
        n = len(value)
        if low is not None and n < low:
            raise _invalid(f"fewer than {low} items ({n})", path)
        if high is not None and n > high:
            raise _invalid(f"more than {high} items ({n})", path)
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
                raise _invalid("a union member needs a $type", path)
            _check_type_name(kind, f"{path}.$type")
        if is_object:
            _check_object_value(value, path)

    return dict_check


def _int_check(rule: dict[str, Any]) -> Check:
    low, high = rule.get("minimum"), rule.get("maximum")

    def int_check(value: int, path: str, strict: bool) -> None:
        if low is not None and value < low:
            raise _invalid(f"integer {value} is less than the minimum {low}", path)
        if high is not None and value > high:
            raise _invalid(f"integer {value} is greater than the maximum {high}", path)
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise _invalid("integer out of the signed 64-bit range", path)

    return int_check


def _string_check(rule: dict[str, Any]) -> Check | None:
    fmt: str | None = rule.get("format")
    max_bytes, min_bytes = rule.get("max_bytes"), rule.get("min_bytes")
    max_g, min_g = rule.get("max_graphemes"), rule.get("min_graphemes")
    if fmt is None and max_bytes is None and min_bytes is None and max_g is None and min_g is None:
        return None
    fast = _FAST_FORMATS.get(fmt) if fmt else None

    def string_check(value: str, path: str, strict: bool) -> None:
        n = len(value)
        # UTF-8 is 1 to 4 bytes a code point: encode only when that does not decide it
        if max_bytes is not None and 4 * n > max_bytes and _utf8_len(value) > max_bytes:
            raise _invalid(f"string longer than {max_bytes} bytes (UTF-8)", path)
        if min_bytes is not None and n < min_bytes and _utf8_len(value) < min_bytes:
            raise _invalid(f"string shorter than {min_bytes} bytes (UTF-8)", path)
        # a grapheme is at least one code point: segment only when code points do not decide
        if max_g is not None and n > max_g and _graphemes(value) > max_g:
            raise _invalid(f"string longer than {max_g} graphemes", path)
        if min_g is not None and (n < min_g or _graphemes(value) < min_g):
            raise _invalid(f"string shorter than {min_g} graphemes", path)
        if fmt is not None and (fast is None or fast.fullmatch(value) is None):
            _check_format(fmt, value, path, strict)

    return string_check


# Sufficient (never wrong) fast accepts for the commonest formats; anything they do not accept
# goes through the full check in atlex.syntax.
_FAST_FORMATS: dict[str, re.Pattern[str]] = {
    "did": re.compile(r"did:plc:[a-z2-7]{24}"),
    "cid": re.compile(r"bafy[a-z2-7]{55}|bafk[a-z2-7]{55}"),
}


def _utf8_len(value: str) -> int:
    from atlex.datamodel import utf8_len

    return utf8_len(value)


def _check_format(fmt: str, value: str, path: str, strict: bool) -> None:
    from atlex.syntax import check_format

    problem = check_format(fmt, value)
    if problem is not None and not (strict is False and _lenient_ok(fmt, value)):
        raise _invalid(problem, path)


def _lenient_ok(fmt: str, value: str) -> bool:
    if fmt == "datetime":
        from atlex._datetime import is_lenient_datetime

        return is_lenient_datetime(value)
    return False


def _graphemes(value: str) -> int:
    from atlex.datamodel import grapheme_len

    return grapheme_len(value)


def _check_object_value(value: dict[str, Any], path: str) -> None:
    """An ``unknown`` field: a data-model object (not bytes, a link or a blob)."""
    from atlex.datamodel import check_data_model

    if "$bytes" in value or "$link" in value or value.get("$type") == "blob":
        raise _invalid("expected an object, got bytes, a link or a blob", path)
    for where, reason in check_data_model(value):
        raise _invalid(reason, path + where[1:])


def _link_check(value: CidLink, path: str, strict: bool) -> None:
    if type(value.link) is not str:
        raise _invalid(f"Expected `str`, got `{_kind(value.link)}`", path + ".$link")
    _check_format("cid", value.link, path + ".$link", strict)


def _bytes_check(rule: dict[str, Any]) -> Check:
    low, high = rule.get("min_bytes"), rule.get("max_bytes")

    def bytes_check(value: Bytes, path: str, strict: bool) -> None:
        try:
            n = len(value.data)
        except ValueError:
            raise _invalid("invalid base64 in $bytes", path) from None
        if low is not None and n < low:
            raise _invalid(f"fewer than {low} bytes ({n})", path)
        if high is not None and n > high:
            raise _invalid(f"more than {high} bytes ({n})", path)

    return bytes_check


def _blob_check(rule: dict[str, Any]) -> Check:
    accept: list[str] | None = rule.get("accept")
    max_size = rule.get("max_size")

    def blob_check(blob: Blob, path: str, strict: bool) -> None:
        if type(blob.mime_type) is not str or not blob.mime_type:
            raise _invalid("blob mimeType is empty", path)
        if isinstance(blob.ref, CidLink):
            _check_format("cid", blob.ref.link, path + ".ref", strict)
        if accept and not any(_mime_matches(blob.mime_type, pattern) for pattern in accept):
            raise _invalid(
                f"blob type {blob.mime_type!r} is not accepted (accepts {', '.join(accept)})",
                path,
            )
        size = blob.size
        if max_size is not None and type(size) is int and size > max_size:
            raise _invalid(f"blob of {size} bytes exceeds maxSize {max_size}", path)

    return blob_check


def _mime_matches(mime: str, pattern: str) -> bool:
    if pattern == "*/*":
        return True
    if pattern.endswith("/*"):
        return mime.split("/", 1)[0] == pattern[:-2]
    if "*" in pattern:
        import fnmatch

        return fnmatch.fnmatchcase(mime, pattern)
    return mime == pattern
