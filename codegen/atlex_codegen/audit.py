"""Spec rules the typed parse of a def does not enforce (issue 15's loader audit).

``load`` decodes each def into the schema structs of ``schema.py``, which tolerate a few
omissions on purpose (an ``object`` without ``properties`` still generates an empty class). This
pass walks the def's raw JSON and reports, with the JSON path, what the Lexicon specification
(and the reference's ``lex-document`` schema) requires and the parse let through. Each finding
is a problem: ``atlex gen`` still generates the def, ``atlex gen --strict`` fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, cast

__all__ = ["audit_def"]

Finding = tuple[str, str]
"""(JSON path, reason)"""

_RECORD_KEY = re.compile(r"tid|nsid|any|literal:[a-zA-Z0-9_~.:-]{1,512}")
_BAD_ENCODING = re.compile(r"[,; ]")


def audit_def(raw: Any, base: str) -> list[Finding]:
    """Findings for one def (``raw``: its JSON) located under ``base`` (``$.defs.name``)."""
    return list(_walk(raw, base))


def _walk(node: Any, path: str) -> Iterator[Finding]:
    if isinstance(node, list):
        for i, item in enumerate(cast(list[Any], node)):
            yield from _walk(item, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    schema = cast(dict[str, Any], node)
    check = _CHECKS.get(schema.get("type")) if isinstance(schema.get("type"), str) else None
    if check is not None:
        yield from check(schema, path)
    for key, value in schema.items():
        if isinstance(value, dict | list) and key not in ("default", "const", "enum"):
            yield from _walk(value, f"{path}.{key}")


def _object(schema: dict[str, Any], path: str) -> Iterator[Finding]:
    if "properties" not in schema:
        yield path, "an object schema needs 'properties' (an empty map if it has none)"


def _bounds(low_key: str, high_key: str) -> Callable[[dict[str, Any], str], Iterator[Finding]]:
    def check(schema: dict[str, Any], path: str) -> Iterator[Finding]:
        low, high = schema.get(low_key), schema.get(high_key)
        if isinstance(low, int) and isinstance(high, int) and low > high:
            yield path, f"{low_key} {low} is greater than {high_key} {high}"

    return check


def _string(schema: dict[str, Any], path: str) -> Iterator[Finding]:
    yield from _bounds("minLength", "maxLength")(schema, path)
    yield from _bounds("minGraphemes", "maxGraphemes")(schema, path)
    yield from _default_and_const(schema, path)
    yield from _default_in_enum(schema, path)


def _integer(schema: dict[str, Any], path: str) -> Iterator[Finding]:
    yield from _bounds("minimum", "maximum")(schema, path)
    yield from _default_and_const(schema, path)
    yield from _default_in_enum(schema, path)
    default = schema.get("default")
    low, high = schema.get("minimum"), schema.get("maximum")
    below = isinstance(low, int) and isinstance(default, int) and default < low
    above = isinstance(high, int) and isinstance(default, int) and default > high
    if not isinstance(default, bool) and (below or above):
        yield path + ".default", f"default {default} is outside minimum/maximum"


def _boolean(schema: dict[str, Any], path: str) -> Iterator[Finding]:
    yield from _default_and_const(schema, path)


def _default_and_const(schema: dict[str, Any], path: str) -> Iterator[Finding]:
    if "default" in schema and "const" in schema:
        yield path, "'default' and 'const' are mutually exclusive"


def _default_in_enum(schema: dict[str, Any], path: str) -> Iterator[Finding]:
    enum = schema.get("enum")
    if isinstance(enum, list) and "default" in schema and schema["default"] not in enum:
        yield path + ".default", f"default {schema['default']!r} is not in enum"


def _blob(schema: dict[str, Any], path: str) -> Iterator[Finding]:
    accept = schema.get("accept")
    if isinstance(accept, list):
        for i, pattern in enumerate(cast(list[Any], accept)):
            if not isinstance(pattern, str):
                continue
            kind, _, sub = pattern.partition("/")
            bad_glob = ("*" in kind and pattern != "*/*") or ("*" in sub and sub != "*")
            if not sub or bad_glob:
                yield f"{path}.accept[{i}]", f"{pattern!r} is not a MIME type, type/* or */*"


def _record(schema: dict[str, Any], path: str) -> Iterator[Finding]:
    key = schema.get("key")
    if "key" not in schema:
        yield path, "a record needs 'key' (tid, nsid, any or literal:<value>)"
    elif not isinstance(key, str) or _RECORD_KEY.fullmatch(key) is None:
        yield path + ".key", f"record key {key!r} is not tid, nsid, any or literal:<value>"


def _method(schema: dict[str, Any], path: str) -> Iterator[Finding]:
    for body in ("input", "output"):
        value = schema.get(body)
        if isinstance(value, dict):
            encoding = cast(dict[str, Any], value).get("encoding")
            if isinstance(encoding, str) and _BAD_ENCODING.search(encoding):
                yield f"{path}.{body}.encoding", f"encoding {encoding!r} is one MIME type only"


_CHECKS: dict[Any, Callable[[dict[str, Any], str], Iterator[Finding]]] = {
    "object": _object,
    "string": _string,
    "integer": _integer,
    "boolean": _boolean,
    "array": _bounds("minLength", "maxLength"),
    "bytes": _bounds("minLength", "maxLength"),
    "blob": _blob,
    "record": _record,
    "query": _method,
    "procedure": _method,
}
