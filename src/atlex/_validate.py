"""``validate()``: lexicon constraints on generated objects, checked on demand.

Decode-time types are structural only (lexicon-mapping §2.9); the constraints live in tables the
generator emits (``_rt.register_rules``) and are enforced here: string formats, lengths in UTF-8
bytes and in graphemes, integer ranges (and the signed 64-bit bounds), array sizes, bytes sizes,
blob ``accept``/``maxSize``, closed unions and ``$type`` on empty unions. A structural pass first
checks field types, which msgspec does not do when a struct is built in Python.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import msgspec

from atlex._model import CLOSED, RULES, Blob, Bytes, CidLink, LexObject
from atlex.errors import LexValidationError

__all__ = ["validate"]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _invalid(reason: str, path: str) -> LexValidationError:
    return LexValidationError(f"{reason} at {path}", path=path)


def validate(value: LexObject) -> None:
    """Raise :class:`atlex.errors.LexValidationError` (with ``.path``) unless ``value``
    satisfies its lexicon."""
    from atlex._tolerant import convert_tolerant

    try:  # structure first: right types, required fields present
        convert_tolerant(msgspec.to_builtins(value), type(value))
    except msgspec.ValidationError as e:
        message, _, where = str(e).rpartition(" - at ")
        raise _invalid(message or str(e), where.strip("`") or "$") from e
    _walk_struct(value, "$")


def _walk_struct(obj: LexObject, path: str) -> None:
    cls = type(obj)
    rules = RULES.get(cls, {})
    names: tuple[str, ...] = cls.__struct_fields__
    wires: tuple[str, ...] = cls.__struct_encode_fields__
    for attr, wire in zip(names, wires, strict=True):
        value = getattr(obj, attr)
        if value is None or value is msgspec.UNSET:
            continue
        where = f"{path}.{wire}"
        rule = rules.get(attr)
        if rule:
            _check(value, rule, where)
        if (cls, attr) in CLOSED:
            _check_closed(value, where)
        _walk_value(value, where)


def _walk_value(value: Any, path: str) -> None:
    if isinstance(value, LexObject):
        _walk_struct(value, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
            _walk_value(item, f"{path}[{i}]")
    elif isinstance(value, CidLink):
        _check_format("cid", value.link, path + ".$link")
    elif isinstance(value, Blob):
        _check_blob_shape(value, path)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
        raise _invalid("integer out of the signed 64-bit range", path)


def _check_closed(value: Any, path: str) -> None:
    items: list[Any] = value if isinstance(value, list) else [value]  # pyright: ignore[reportUnknownVariableType]
    for i, item in enumerate(items):
        if isinstance(item, dict):
            where = f"{path}[{i}]" if isinstance(value, list) else path
            kind = item.get("$type")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            raise _invalid(f"unknown $type {kind!r} in a closed union", where)


def _check(value: Any, rule: dict[str, Any], path: str) -> None:
    if isinstance(value, list):
        items: list[Any] = value  # pyright: ignore[reportUnknownVariableType]
        _bounds(len(items), rule.get("min_items"), rule.get("max_items"), "items", path)
        item_rule = rule.get("items")
        if item_rule:
            for i, item in enumerate(items):
                _check(item, item_rule, f"{path}[{i}]")
        return
    if isinstance(value, str):
        _check_string(value, rule, path)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        low, high = rule.get("minimum"), rule.get("maximum")
        if low is not None and value < low:
            raise _invalid(f"integer {value} is less than the minimum {low}", path)
        if high is not None and value > high:
            raise _invalid(f"integer {value} is greater than the maximum {high}", path)
    elif isinstance(value, Bytes):
        _bounds(len(value.data), rule.get("min_bytes"), rule.get("max_bytes"), "bytes", path)
    elif isinstance(value, Blob):
        _check_blob(value, rule, path)
    elif isinstance(value, dict):
        mapping: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
        if rule.get("typed"):
            kind = mapping.get("$type")
            if not isinstance(kind, str) or not kind:
                raise _invalid("a union member needs a $type", path)
        if rule.get("object"):
            _check_object(mapping, path)


def _check_object(value: dict[str, Any], path: str) -> None:
    """An ``unknown`` field: a data-model object (not bytes, a link or a blob)."""
    from atlex.datamodel import check_data_model

    if "$bytes" in value or "$link" in value or value.get("$type") == "blob":
        raise _invalid("expected an object, got bytes, a link or a blob", path)
    for where, reason in check_data_model(value):
        raise _invalid(reason, path + where[1:])


def _check_string(value: str, rule: dict[str, Any], path: str) -> None:
    fmt = rule.get("format")
    if fmt:
        _check_format(fmt, value, path)
    max_bytes, min_bytes = rule.get("max_bytes"), rule.get("min_bytes")
    # UTF-8 is at most 4 bytes a code point and at least 1: skip encoding when that decides it
    if max_bytes is not None and 4 * len(value) > max_bytes and len(value.encode()) > max_bytes:
        raise _invalid(f"string longer than {max_bytes} bytes (UTF-8)", path)
    if min_bytes is not None and len(value) < min_bytes and len(value.encode()) < min_bytes:
        raise _invalid(f"string shorter than {min_bytes} bytes (UTF-8)", path)
    max_g, min_g = rule.get("max_graphemes"), rule.get("min_graphemes")
    # a grapheme is at least one code point: segment only when the code points don't decide
    if max_g is not None and len(value) > max_g and _graphemes(value) > max_g:
        raise _invalid(f"string longer than {max_g} graphemes", path)
    if min_g is not None and (len(value) < min_g or _graphemes(value) < min_g):
        raise _invalid(f"string shorter than {min_g} graphemes", path)


def _check_format(fmt: str, value: str, path: str) -> None:
    from atlex.syntax import check_format

    problem = check_format(fmt, value)
    if problem is not None:
        raise _invalid(problem, path)


def _graphemes(value: str) -> int:
    from atlex.datamodel import grapheme_len

    return grapheme_len(value)


def _bounds(n: int, low: int | None, high: int | None, what: str, path: str) -> None:
    if low is not None and n < low:
        raise _invalid(f"fewer than {low} {what} ({n})", path)
    if high is not None and n > high:
        raise _invalid(f"more than {high} {what} ({n})", path)


def _check_blob_shape(blob: Blob, path: str) -> None:
    if not blob.mime_type:
        raise _invalid("blob mimeType is empty", path)
    if isinstance(blob.ref, CidLink):
        _check_format("cid", blob.ref.link, path + ".ref")


def _check_blob(blob: Blob, rule: dict[str, Any], path: str) -> None:
    accept: list[str] | None = rule.get("accept")
    if accept and not any(_mime_matches(blob.mime_type, pattern) for pattern in accept):
        raise _invalid(
            f"blob type {blob.mime_type!r} is not accepted (accepts {', '.join(accept)})", path
        )
    max_size = rule.get("max_size")
    if max_size is not None and isinstance(blob.size, int) and blob.size > max_size:
        raise _invalid(f"blob of {blob.size} bytes exceeds maxSize {max_size}", path)


def _mime_matches(mime: str, pattern: str) -> bool:
    if pattern == "*/*":
        return True
    if pattern.endswith("/*"):
        return mime.split("/", 1)[0] == pattern[:-2]
    return fnmatch.fnmatchcase(mime, pattern) if "*" in pattern else mime == pattern
