"""The AT Protocol data model in JSON form: string sizes as Lexicon counts them, and a
checker for data-model values (no floats, well-formed ``$link`` / ``$bytes`` / blobs, ...).

Rules: ``lexicon-mapping.md`` §1.4 and ``reference-behaviour.md`` §4.2-4.4 (strict
``jsonToLex`` of the reference implementation).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeAlias, cast

import msgspec
import ugrapheme  # pyright: ignore[reportMissingTypeStubs]

from atlex._cid import CidError, parse_cid

__all__ = [
    "DataModelIssue",
    "check_data_model",
    "check_string_size",
    "grapheme_len",
    "utf8_len",
]

# ugrapheme is a compiled module without type information.
_count_graphemes = cast(Callable[[str], int], ugrapheme.grapheme_len)  # pyright: ignore[reportUnknownMemberType]


def grapheme_len(value: str) -> int:
    """Extended grapheme clusters in ``value`` (Unicode 16 rules), what ``maxGraphemes``
    and ``minGraphemes`` count: ``"👨‍👩‍👧‍👧"`` is 1, ``"नमस्ते"`` is 3."""
    return _count_graphemes(value)


def utf8_len(value: str) -> int:
    """UTF-8 bytes in ``value``, what ``maxLength`` and ``minLength`` count for strings.
    A lone surrogate counts 3 bytes, as in the reference implementation."""
    if value.isascii():
        return len(value)
    return len(value.encode("utf-8", "surrogatepass"))


def check_string_size(
    value: str,
    *,
    min_length: int | None = None,
    max_length: int | None = None,
    min_graphemes: int | None = None,
    max_graphemes: int | None = None,
) -> str | None:
    """``None`` when ``value`` meets the Lexicon size limits given (lengths in UTF-8 bytes,
    graphemes in extended grapheme clusters), else the first failure in the reference's order
    (minLength, maxLength, minGraphemes, maxGraphemes), e.g.
    ``"grapheme too big (maximum 300, got 301)"``.

    Cheap on ordinary text: bytes are never fewer than code points nor more than four times
    as many, and graphemes never outnumber code points, so most checks skip the counting.
    """
    chars = len(value)
    if min_length is not None and chars < min_length:
        size = utf8_len(value)
        if size < min_length:
            return f"string too small (minimum {min_length}, got {size})"
    if max_length is not None and 4 * chars > max_length:
        size = utf8_len(value)
        if size > max_length:
            return f"string too big (maximum {max_length}, got {size})"
    if min_graphemes is not None:
        count = grapheme_len(value) if chars >= min_graphemes else chars
        if count < min_graphemes:
            return f"grapheme too small (minimum {min_graphemes}, got {count})"
    if max_graphemes is not None and chars > max_graphemes:
        count = grapheme_len(value)
        if count > max_graphemes:
            return f"grapheme too big (maximum {max_graphemes}, got {count})"
    return None


# --- data-model values -------------------------------------------------------------------

DataModelIssue: TypeAlias = tuple[str, str]
"""``(json path, reason)``, e.g. ``("$.rcrd.a", "floats are not allowed (got 123.456)")``."""

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_SAFE_INT = (1 << 53) - 1  # beyond this a float is not an exact integer in JSON readers
_BLOB_KEYS = frozenset(("$type", "ref", "mimeType", "size"))
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]*")
_IDENTIFIER_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def check_data_model(value: object, *, root_object: bool = True) -> list[DataModelIssue]:
    """Every way ``value`` breaks the data model, as ``(json path, reason)`` pairs; an empty
    list means it is valid. ``value`` is JSON-shaped Python (dicts, lists, str, int, bool,
    None; integral floats such as ``123.0`` are accepted as integers) and may contain atlex
    structs (``Bytes``, ``CidLink``, ``Blob``, generated objects).

    Checked: no non-integral (or non-finite) floats; integers within signed 64 bits; map
    keys are strings (and not ``__proto__``); ``$link`` and ``$bytes`` objects have no
    other key and hold a parseable CID / standard base64 (padding optional); ``$type`` is a
    non-empty string; ``$type: "blob"`` objects are well-formed blob references. With
    ``root_object`` (the default) the top level must be an object, as a record is.
    """
    issues: list[DataModelIssue] = []
    plain: object = _builtins(value)
    if root_object and not isinstance(plain, dict):
        issues.append(("$", f"expected an object at the top level, got {_kind(plain)}"))
        return issues
    _check_value(cast(object, plain), [], issues)
    return issues


def _builtins(value: object) -> object:
    if isinstance(value, msgspec.Struct):
        return msgspec.to_builtins(value, enc_hook=_leaf)
    return value


def _leaf(value: object) -> object:
    if isinstance(value, msgspec.Raw):  # an unread `unknown` value (atlex._lazy): its JSON
        from atlex._tolerant import untyped

        return untyped(value)
    if type(value).__name__ in ("Kept", "KeptSource"):
        # what a decoded object kept (atlex._datatypes) is not msgspec data: left out
        return None
    raise TypeError(f"{type(value).__name__} is not a data-model value")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _key_path(path: str, key: str) -> str:
    if _IDENTIFIER_RE.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{msgspec.json.encode(key).decode()}]"


def _path(trail: list[str | int]) -> str:
    """The JSON path of a position, built only when an issue is reported (speed)."""
    path = "$"
    for step in trail:
        path = f"{path}[{step}]" if isinstance(step, int) else _key_path(path, step)
    return path


def _check_value(value: object, trail: list[str | int], issues: list[DataModelIssue]) -> None:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return
    if kind is int:
        if not _INT64_MIN <= cast(int, value) <= _INT64_MAX:
            issues.append((_path(trail), f"integer outside the signed 64-bit range (got {value})"))
        return
    path = _path(trail) if kind is not dict and kind is not list else ""
    if kind is dict:
        _check_map(cast("dict[object, object]", value), trail, issues)
    elif kind is list:
        for i, item in enumerate(cast("list[object]", value)):
            item_kind = type(item)
            if item_kind is str or item_kind is bool or item is None:
                continue
            trail.append(i)
            _check_value(_builtins(item), trail, issues)
            trail.pop()
    elif isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            issues.append((path, f"integer outside the signed 64-bit range (got {value})"))
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            issues.append((path, f"floats are not allowed in the data model (got {value!r})"))
        elif abs(value) > _SAFE_INT:
            issues.append((path, f"float {value!r} is too large to stand for an exact integer"))
    elif isinstance(value, (list, tuple)):
        items = cast("list[object] | tuple[object, ...]", value)
        for i, item in enumerate(items):
            trail.append(i)
            _check_value(_builtins(item), trail, issues)
            trail.pop()
    elif isinstance(value, dict):
        _check_map(cast("dict[object, object]", value), trail, issues)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        issues.append((path, "raw bytes are not data-model JSON: wrap them in atlex.Bytes"))
    else:
        issues.append((path, f"{type(value).__name__} is not a data-model value"))


def _check_map(
    value: dict[object, object], trail: list[str | int], issues: list[DataModelIssue]
) -> None:
    if "$link" in value:
        _check_link(value, _path(trail), issues)
        return
    if "$bytes" in value:
        _check_bytes(value, _path(trail), issues)
        return
    if "$type" in value:
        type_ = value["$type"]
        if not isinstance(type_, str) or not type_:
            issues.append((f"{_path(trail)}.$type", "$type must be a non-empty string"))
        elif type_ == "blob":
            _check_blob(value, _path(trail), issues)
            return
    for key, item in value.items():
        item_kind = type(item)
        if type(key) is str and key != "__proto__":
            if item_kind is str or item_kind is bool or item is None:
                continue
        elif not isinstance(key, str):
            issues.append((_path(trail), f"map keys must be strings (got {_kind(key)} {key!r})"))
            continue
        elif key == "__proto__":
            issues.append((_path(trail), "the key __proto__ is not allowed"))
            continue
        trail.append(key)
        _check_value(_builtins(item), trail, issues)
        trail.pop()


def _check_link(value: dict[object, object], path: str, issues: list[DataModelIssue]) -> None:
    if len(value) != 1:
        issues.append((path, "a $link object must have no other keys"))
    link = value["$link"]
    if not isinstance(link, str):
        issues.append((f"{path}.$link", f"expected a CID string, got {_kind(link)}"))
        return
    try:
        parse_cid(link)
    except CidError as exc:
        issues.append((f"{path}.$link", f"not a CID: {exc}"))


def _base64_problem(text: str) -> str | None:
    body = text.rstrip("=")
    padding = len(text) - len(body)
    if padding > 2 or (padding and len(text) % 4):
        return "wrong base64 padding"
    if _BASE64_RE.fullmatch(body) is None:
        return "not standard base64 (A-Z a-z 0-9 + /)"
    if len(body) % 4 == 1:
        return "impossible base64 length"
    return None


def _check_bytes(value: dict[object, object], path: str, issues: list[DataModelIssue]) -> None:
    if len(value) != 1:
        issues.append((path, "a $bytes object must have no other keys"))
    data = value["$bytes"]
    if not isinstance(data, str):
        issues.append((f"{path}.$bytes", f"expected a base64 string, got {_kind(data)}"))
        return
    problem = _base64_problem(data)
    if problem is not None:
        issues.append((f"{path}.$bytes", problem))


def _check_blob(value: dict[object, object], path: str, issues: list[DataModelIssue]) -> None:
    for key in sorted(_BLOB_KEYS.difference(cast("dict[Any, object]", value))):
        issues.append((path, f"blob is missing {key!r}"))
    for key in value:
        if key not in _BLOB_KEYS:
            issues.append((path, f"unexpected key {key!r} in a blob"))
    if "ref" in value:
        ref = _builtins(value["ref"])
        if isinstance(ref, dict) and "$link" in ref:
            _check_link(cast("dict[object, object]", ref), f"{path}.ref", issues)
        else:
            issues.append((f"{path}.ref", 'expected a {"$link": cid} object'))
    if "mimeType" in value:
        mime = value["mimeType"]
        if not isinstance(mime, str) or not mime:
            issues.append((f"{path}.mimeType", "expected a non-empty string"))
    if "size" in value:
        size = value["size"]
        is_int = isinstance(size, int) and not isinstance(size, bool)
        if isinstance(size, float) and size.is_integer():
            is_int, size = True, int(size)
        if not is_int or cast(int, size) < 0:
            issues.append((f"{path}.size", f"expected a non-negative integer, got {size!r}"))
