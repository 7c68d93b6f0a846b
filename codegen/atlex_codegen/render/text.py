"""The small texts every generated module is made of: string and data literals, docstrings,
type expressions and the import block.

Text from lexicons reaches output only through :func:`pystr` / :func:`literal` (inert literals)
or :func:`docstring` (escaped), and names only after naming.py sanitised them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from atlex_codegen import ir
from atlex_codegen.render.layout import WIDTH, Chain, Expr, Labeled, Seq, flat

__all__ = [
    "Usage",
    "classes",
    "docstring",
    "has_open_union",
    "import_block",
    "literal",
    "pystr",
    "type_expr",
]

_SCALARS = {
    "str": "_str",
    "int": "_int",
    "bool": "_bool",
    "bytes": "_bytes",
    "dict": "_dict[_str, _t.Any]",
    "unknown": "_rt.Unknown",
    "Bytes": "_rt.Bytes",
    "CidLink": "_rt.CidLink",
    "Blob": "_rt.Blob",
    "LexObject": "_rt.LexObject",
    **{alias: f"_rt.{alias}" for alias in ir.FORMAT_ALIASES.values()},
}
# builtins are only ever named through these aliases: a field called `list` or `str` cannot
# shadow them inside a class body
_BUILTIN_ALIASES = ("AttributeError", "bool", "bytes", "dict", "int", "list", "str", "type")

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_.])(?:_t\.|_m\.|_rt\.|_errors\.|_ns\.|_(?:"
    + "|".join(_BUILTIN_ALIASES)
    + r")\b)"
)


def pystr(value: str) -> str:
    """A string literal in the generated code's one quote style, the one ruff format writes:
    double quotes, unless the text holds more double quotes than single ones."""
    text = repr(value)
    if "'" not in value and '"' not in value:
        return '"' + text[1:-1] + '"'  # no quote to escape either way
    if text.startswith('"') or value.count('"') > value.count("'"):
        return text  # repr chose double quotes, or single ones need fewer escapes
    # repr's single-quoted body: unescape its quotes, escape the double ones
    return '"' + _REQUOTE.sub(_requote, text[1:-1]) + '"'


_REQUOTE = re.compile(r"\\(.)|\"")


def _requote(m: re.Match[str]) -> str:
    if m.group(1) is None:
        return '\\"'
    return "'" if m.group(1) == "'" else m.group(0)


def literal(value: object) -> Expr:
    """A Python literal for JSON-like data, as a layout expression (dicts and lists wrap)."""
    if isinstance(value, dict):
        mapping = cast("dict[object, object]", value)
        return Seq("", "{", tuple(_entry(k, v) for k, v in mapping.items()), "}")
    if isinstance(value, list):
        return Seq("", "[", tuple(literal(v) for v in cast("list[object]", value)), "]")
    if isinstance(value, str):
        return pystr(value)
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    raise TypeError(f"not JSON-like: {type(value).__name__}")


def _entry(key: object, value: object) -> Expr:
    return Labeled(f"{flat(literal(key))}: ", literal(value))


def docstring(text: str, indent: str = "") -> str:
    """A triple-quoted literal whose value is ``text`` (minus trailing spaces), its long lines
    wrapped at spaces to fit 100 columns at ``indent``."""
    body = text.replace("\r\n", "\n").replace("\\", "\\\\")
    # control characters (but newline and tab) become escapes: nothing can end the literal
    body = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", body)
    body = "\n".join(line.rstrip() for line in body.split("\n")).strip()
    body = body.replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    one = f'{indent}"""{body}"""'
    if "\n" not in body and len(one) <= WIDTH:
        return f'"""{body}"""'
    width = WIDTH - len(indent)
    lines = _wrap(body, width)
    if len(lines) == 1:
        # the text fits but not its closing quotes: two lines then (ruff keeps a one-line
        # docstring on one line, whatever its length)
        lines = _wrap(body, width - 3)
    if len(lines) == 1:
        return f'"""{body}"""'  # one word longer than the line: nothing to wrap at
    body = lines[0] + "\n" + "\n".join((indent + ln) if ln else "" for ln in lines[1:])
    return f'"""{body}\n{indent}"""'


def _wrap(body: str, width: int) -> list[str]:
    """Lines of ``body`` wrapped at spaces within ``width`` (the first after its quotes), each
    continuation indented like the line it continues; a word longer than the line stays whole."""
    lines: list[str] = []
    for n, line in enumerate(body.split("\n")):
        room = width - (3 if n == 0 else 0)
        if len(line) <= room:
            lines.append(line)
            continue
        text = line.lstrip(" ")
        lead = line[: len(line) - len(text)]
        current = lead
        for word in text.split():
            if current.strip() and len(current) + 1 + len(word) > room:
                lines.append(current)
                current, room = lead, width
            current = f"{current} {word}" if current.strip() else current + word
        lines.append(current)
    return lines


@dataclass
class Usage:
    """Which module-level helpers a rendered module uses (only those get imported)."""

    names: set[str] = field(default_factory=lambda: set())

    def note(self, text: str) -> str:
        """Record the helpers named in ``text`` (generator-written code, never lexicon text)."""
        for token in _TOKEN.findall(text):
            self.names.add(token.rstrip("."))
        return text

    def builtins(self) -> list[str]:
        return [b for b in _BUILTIN_ALIASES if f"_{b}" in self.names]


def import_block(usage: Usage, *, typing: bool, first_party: list[str]) -> str:
    """The module's import lines, grouped and ordered the way ruff's isort wants them."""
    stdlib = ["import typing as _t"] if typing or "_t" in usage.names else []
    stdlib += [f"from builtins import {b} as _{b}" for b in usage.builtins()]
    third = ["import msgspec as _m"] if "_m" in usage.names else []
    groups = [g for g in (stdlib, third, first_party) if g]
    return "\n\n".join("\n".join(g) for g in groups)


def type_expr(
    t: ir.TypeExpr,
    ref: Callable[[ir.TClass], str],
    usage: Usage,
    *,
    static: bool,
    arg: bool = False,
) -> Expr:
    """A type expression for the layout. ``static`` adds what only type checkers see
    (UnknownMember on open unions); ``arg`` widens ``unknown`` to accept any LexObject.
    Helpers it names are noted in ``usage`` (literal values never are)."""
    if isinstance(t, ir.TScalar):
        if arg and t.name in ("dict", "unknown"):
            return Chain((usage.note("_dict[_str, _t.Any]"), usage.note("_rt.LexObject")))
        return usage.note(_SCALARS[t.name])
    if isinstance(t, ir.TLiteral):
        usage.note("_t.")
        values = tuple(pystr(v) if isinstance(v, str) else repr(v) for v in t.values)
        lit = Seq("_t.Literal", "[", values, "]")
        return Chain((lit, usage.note("_str"))) if t.open else lit
    if isinstance(t, ir.TList):
        item = type_expr(t.item, ref, usage, static=static, arg=arg)
        return Seq(usage.note("_list"), "[", (item,), "]")
    if isinstance(t, ir.TClass):
        return ref(t)
    members: list[Expr] = [ref(m) for m in t.members]
    if static and t.open:
        members.append(usage.note("_rt.UnknownMember"))
    return members[0] if len(members) == 1 else Chain(tuple(members))


def union(*parts: Expr) -> Expr:
    """``parts`` joined by ``|`` (nested chains flattened)."""
    flat_parts: list[Expr] = []
    for p in parts:
        flat_parts += p.parts if isinstance(p, Chain) else [p]
    return flat_parts[0] if len(flat_parts) == 1 else Chain(tuple(flat_parts))


def classes(t: ir.TypeExpr) -> list[ir.TClass]:
    if isinstance(t, ir.TClass):
        return [t]
    if isinstance(t, ir.TUnion):
        return list(t.members)
    if isinstance(t, ir.TList):
        return classes(t.item)
    return []


def has_open_union(t: ir.TypeExpr) -> bool:
    if isinstance(t, ir.TUnion):
        return t.open
    if isinstance(t, ir.TList):
        return has_open_union(t.item)
    return False
