"""The exact checks of ``validate()`` for leaf values: integers, strings (UTF-8 and grapheme
lengths, formats, the lenient read rules), bytes, blobs, CID links and ``unknown`` objects.
:mod:`atlex._validate` compiles them into each class's plan; each raises
:class:`LexValidationError` naming the path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from atlex._datatypes import Blob, Bytes, CidLink
from atlex._validate_sure import FAST_FORMATS
from atlex.errors import LexValidationError

__all__ = [
    "Check",
    "blob_check",
    "bytes_check",
    "check_object_value",
    "int_check",
    "invalid",
    "kind_of",
    "link_check",
    "string_check",
]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

Check = Callable[[Any, str, bool], None]
"""(value, JSON path, strict) -> None, or raises LexValidationError."""


def invalid(reason: str, path: str) -> LexValidationError:
    return LexValidationError(f"{reason} at {path}", path=path)


def kind_of(value: object) -> str:
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


def int_check(rule: dict[str, Any]) -> Check:
    low, high = rule.get("minimum"), rule.get("maximum")

    def int_check(value: int, path: str, strict: bool) -> None:
        if low is not None and value < low:
            raise invalid(f"integer {value} is less than the minimum {low}", path)
        if high is not None and value > high:
            raise invalid(f"integer {value} is greater than the maximum {high}", path)
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise invalid("integer out of the signed 64-bit range", path)

    return int_check


def string_check(rule: dict[str, Any]) -> Check | None:
    fmt: str | None = rule.get("format")
    max_bytes, min_bytes = rule.get("max_bytes"), rule.get("min_bytes")
    max_g, min_g = rule.get("max_graphemes"), rule.get("min_graphemes")
    if fmt is None and max_bytes is None and min_bytes is None and max_g is None and min_g is None:
        return None
    fast = FAST_FORMATS.get(fmt) if fmt else None

    def string_check(value: str, path: str, strict: bool) -> None:
        n = len(value)
        # UTF-8 is 1 to 4 bytes a code point: encode only when that does not decide it
        if max_bytes is not None and 4 * n > max_bytes and _utf8_len(value) > max_bytes:
            raise invalid(f"string longer than {max_bytes} bytes (UTF-8)", path)
        if min_bytes is not None and n < min_bytes and _utf8_len(value) < min_bytes:
            raise invalid(f"string shorter than {min_bytes} bytes (UTF-8)", path)
        # a grapheme is at least one code point: segment only when code points do not decide
        if max_g is not None and n > max_g and _graphemes(value) > max_g:
            raise invalid(f"string longer than {max_g} graphemes", path)
        if min_g is not None and (n < min_g or _graphemes(value) < min_g):
            raise invalid(f"string shorter than {min_g} graphemes", path)
        if fmt is not None and (fast is None or not fast(value)):
            _check_format(fmt, value, path, strict)

    return string_check


def _utf8_len(value: str) -> int:
    from atlex.datamodel import utf8_len

    return utf8_len(value)


def _check_format(fmt: str, value: str, path: str, strict: bool) -> None:
    from atlex.syntax import check_format

    problem = check_format(fmt, value)
    if problem is not None and not (strict is False and _lenient_ok(fmt, value)):
        raise invalid(problem, path)


def _lenient_ok(fmt: str, value: str) -> bool:
    if fmt == "datetime":
        from atlex._datetime import is_lenient_datetime

        return is_lenient_datetime(value)
    return False


def _graphemes(value: str) -> int:
    from atlex.datamodel import grapheme_len

    return grapheme_len(value)


def check_object_value(value: dict[str, Any], path: str) -> None:
    """An ``unknown`` field: a data-model object (not bytes, a link or a blob)."""
    from atlex.datamodel import check_data_model

    if "$bytes" in value or "$link" in value or value.get("$type") == "blob":
        raise invalid("expected an object, got bytes, a link or a blob", path)
    for where, reason in check_data_model(value):
        raise invalid(reason, path + where[1:])


def link_check(value: CidLink, path: str, strict: bool) -> None:
    if type(value.link) is not str:
        raise invalid(f"Expected `str`, got `{kind_of(value.link)}`", path + ".$link")
    _check_format("cid", value.link, path + ".$link", strict)


def bytes_check(rule: dict[str, Any]) -> Check:
    low, high = rule.get("min_bytes"), rule.get("max_bytes")

    def bytes_check(value: Bytes, path: str, strict: bool) -> None:
        try:
            n = len(value.data)
        except ValueError:
            raise invalid("invalid base64 in $bytes", path) from None
        if low is not None and n < low:
            raise invalid(f"fewer than {low} bytes ({n})", path)
        if high is not None and n > high:
            raise invalid(f"more than {high} bytes ({n})", path)

    return bytes_check


def blob_check(rule: dict[str, Any]) -> Check:
    accept: list[str] | None = rule.get("accept")
    max_size = rule.get("max_size")

    def blob_check(blob: Blob, path: str, strict: bool) -> None:
        if type(blob.mime_type) is not str or not blob.mime_type:
            raise invalid("blob mimeType is empty", path)
        if isinstance(blob.ref, CidLink):
            _check_format("cid", blob.ref.link, path + ".ref", strict)
        if accept and not any(_mime_matches(blob.mime_type, pattern) for pattern in accept):
            raise invalid(
                f"blob type {blob.mime_type!r} is not accepted (accepts {', '.join(accept)})",
                path,
            )
        size = blob.size
        if max_size is not None and type(size) is int and size > max_size:
            raise invalid(f"blob of {size} bytes exceeds maxSize {max_size}", path)

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
