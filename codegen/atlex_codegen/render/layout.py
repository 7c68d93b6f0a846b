"""Line layout: expressions are built as small trees and laid out within 100 columns the way
ruff format lays them out, so generated code reads as formatted by hand and ``ruff format``
leaves it unchanged (no formatter runs over the output: generation stays fast).

The rules (black's, which ruff follows) for an expression that does not fit on its line:

* a bracketed sequence (call, subscript, parameters, dict) splits at its brackets: the items on
  one indented line if they fit there, else one item per line with a trailing comma;
* an operator chain (``A | B | C``) splits before each operator, parenthesised when it stands
  at statement level (an annotation, the value of an assignment or ``return``);
* an atom (name, string) never splits.
"""

from __future__ import annotations

__all__ = ["WIDTH", "Chain", "Expr", "Labeled", "Seq", "assign", "flat", "statement"]

WIDTH = 100


class Seq:
    """``head`` + ``open`` + comma-separated ``items`` + ``close``: a call, a subscript, a
    parameter list, a dict or list display (``head`` may be empty)."""

    __slots__ = ("close", "head", "items", "open", "text")

    def __init__(self, head: str, open: str, items: tuple[Expr, ...], close: str) -> None:
        self.head, self.open, self.items, self.close = head, open, items, close
        self.text = head + open + ", ".join(map(flat, items)) + close  # built once: layout
        # measures every node at each depth


class Chain:
    """Operands joined by a binary operator (``|`` for union types)."""

    __slots__ = ("op", "parts", "text")

    def __init__(self, parts: tuple[Expr, ...], op: str = "|") -> None:
        self.parts, self.op = parts, op
        self.text = f" {op} ".join(map(flat, parts))


class Labeled:
    """``prefix`` + an expression + ``suffix``, splitting only inside the expression: a
    parameter (``name: <annotation> = default``) or a dict entry (``"key": <display>``)."""

    __slots__ = ("expr", "prefix", "suffix", "text")

    def __init__(self, prefix: str, expr: Expr, suffix: str = "") -> None:
        self.prefix, self.expr, self.suffix = prefix, expr, suffix
        self.text = prefix + flat(expr) + suffix


Expr = str | Seq | Chain | Labeled


def flat(e: Expr) -> str:
    """The expression on one line."""
    return e if isinstance(e, str) else e.text


def statement(indent: int, prefix: str, e: Expr, suffix: str = "") -> list[str]:
    """``prefix`` + ``e`` + ``suffix`` at ``indent``, split where it does not fit. A chain at
    statement level is parenthesised to split."""
    return _lines(indent, prefix, e, suffix, top=True)


def assign(indent: int, target: str, annotation: Expr | None, value: Expr | None) -> list[str]:
    """``target: annotation = value`` (either part optional). When it does not fit, the value
    splits first if that keeps the annotation on the line; otherwise the annotation splits
    inside parentheses (ruff's layout for annotated assignments)."""
    ann = f": {flat(annotation)}" if annotation is not None else ""
    if value is None:
        if annotation is None:
            return [" " * indent + target]
        return statement(indent, target + ": ", annotation)
    head = target + ann + " = "
    pad = " " * indent
    one = pad + head + flat(value)
    if len(one) <= WIDTH:
        return [one]
    splits_value = isinstance(value, Chain) or (
        isinstance(value, Seq) and _fits(indent, head + value.head + value.open)
    )
    if annotation is None or splits_value:
        return statement(indent, head, value)
    if isinstance(value, str) and _fits(indent, head + "(") and _fits(indent + 4, value):
        return [pad + head + "(", " " * (indent + 4) + value, pad + ")"]
    if isinstance(annotation, str):
        return [one]  # a string annotation never splits
    if isinstance(annotation, Seq):
        return _lines(indent, target + ": ", annotation, " = " + flat(value), top=False)
    lines = [f"{pad}{target}: ("]
    lines += _lines(indent + 4, "", annotation, "", top=False)
    return [*lines, f"{pad}) = {flat(value)}"]


def _fits(indent: int, text: str) -> bool:
    return indent + len(text) <= WIDTH


def _lines(indent: int, prefix: str, e: Expr, suffix: str, *, top: bool) -> list[str]:
    pad = " " * indent
    one = pad + prefix + flat(e) + suffix
    if len(one) <= WIDTH or isinstance(e, str):
        return [one]
    if isinstance(e, Labeled):
        return _lines(indent, prefix + e.prefix, e.expr, e.suffix + suffix, top=top)
    if isinstance(e, Seq):
        first, last = pad + prefix + e.head + e.open, pad + e.close + suffix
        body = ", ".join(flat(i) for i in e.items)
        if _fits(indent + 4, body):
            return [first, " " * (indent + 4) + body, last]
        if len(e.items) == 1:
            return [first, *_lines(indent + 4, "", e.items[0], "", top=False), last]
        inner = [ln for item in e.items for ln in _lines(indent + 4, "", item, ",", top=False)]
        return [first, *inner, last]
    if top:
        return [pad + prefix + "(", *_chain(indent + 4, e, ""), pad + ")" + suffix]
    return _chain(indent, e, suffix, prefix)


def _chain(indent: int, c: Chain, suffix: str, prefix: str = "") -> list[str]:
    """Operands one per line, each after its operator (inside brackets already)."""
    one = " " * indent + prefix + flat(c) + suffix
    if len(one) <= WIDTH:
        return [one]
    lines: list[str] = []
    for i, part in enumerate(c.parts):
        lead = prefix if i == 0 else f"{c.op} "
        end = suffix if i == len(c.parts) - 1 else ""
        lines += _lines(indent, lead, part, end, top=False)
    return lines
