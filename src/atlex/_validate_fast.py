"""The fast pass of ``validate()``: one generated Python function per class that only says
"certainly valid" (returns) or "not sure" (raises).

Each class's checks are compiled once into straight-line source: per field an attribute read,
an exact-class test and the lexicon constraints the field carries, inlined (bounds are
constants; format strings are only collected, one set per format, and checked together once
the walk is done: a page repeats its authors, and one regex match over all the distinct values
of a format costs much less than one match each, see :func:`atlex._validate_sure.all_valid`).
No JSON paths are built and nothing is looked up per field.

The pass is *sufficient*, never lenient: anything it does not prove (a lenient datetime, a
subclass, an unknown union member kept as a dict, a value of the wrong type, a violated
constraint) raises, and :func:`atlex._validate.validate` then runs the exact, path-naming
checks over the whole value. Valid data never leaves this pass; invalid data pays both. The
sufficient tests it calls (format patterns, ``unknown`` values) are in :mod:`atlex._validate_sure`.
"""

from __future__ import annotations

import keyword
import re
import threading
import types
from collections.abc import Callable
from typing import Any, Literal, Union, cast, get_args, get_origin

import msgspec
from msgspec import UNSET, Raw, UnsetType

from atlex._datatypes import CLOSED, RULES, Blob, Bytes, CidLink, LazyField
from atlex._validate_sure import all_valid, object_ok, unknown_ok
from atlex.datamodel import grapheme_len, utf8_len
from atlex.syntax import FORMATS

__all__ = ["Unsure", "fast_check", "prove"]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

Fast = Callable[[Any], None]
Found = tuple[set[str], ...]
"""Per format (in :data:`_FORMAT_NAMES` order), where a walk puts the strings to check."""
Walk = Callable[[Any, Found], None]


class Unsure(Exception):
    """The fast pass cannot prove the value valid: run the exact checks."""


ExactField = Callable[[Any, dict[str, Any], bool, bool], Callable[[Any, str, bool], None] | None]
"""atlex._validate.compile_field: (annotation, rule, closed, single) -> the exact check."""


def prove(value: Any, exact_field: ExactField) -> None:
    """Return when ``value`` (a generated object) is certainly valid, else raise."""
    fast_check(cast("type[Any]", type(value)), exact_field)(value)


def fast_check(cls: type[Any], exact_field: ExactField) -> Fast:
    """The fast pass for ``cls``: its walk (compiled with every class it reaches, once; kinds
    it does not specialise call the exact check ``exact_field`` compiles), then the format
    strings the walk collected."""
    proof = _proofs.get(cls)
    if proof is None:
        walk = _compiled.get(cls)
        if walk is None:
            with _compiling:  # one compiler at a time: it names functions by the namespace size
                if cls not in _compiled:
                    try:
                        _Compiler(exact_field).compile(cls)
                    except Exception:  # a bug here may only cost speed
                        _compiled[cls] = _unsure
                walk = _compiled[cls]
        proof = _proofs[cls] = _proof(walk)
    return proof


def _proof(walk: Walk) -> Fast:
    def proof(value: Any) -> None:
        # Fresh sets every call: no state is shared between calls or threads, and a figure
        # measured by validating one page again and again is not a cache's.
        found = _fresh_sets()
        walk(value, found)
        for fmt, values in zip(_FORMAT_NAMES, found, strict=True):
            if values and not all_valid(fmt, values):
                raise Unsure

    return proof


_FORMAT_NAMES = tuple(FORMATS)
_FORMAT_INDEX = {fmt: index for index, fmt in enumerate(_FORMAT_NAMES)}
_proofs: dict[type[Any], Fast] = {}
_fresh_sets: Callable[[], Found] = eval(  # a tuple display of empty sets: 3x cheaper than a loop
    f"lambda: ({'set(), ' * len(_FORMAT_NAMES)})", {"set": set}
)


_compiling = threading.Lock()


_compiled: dict[type[Any], Walk] = {}
_namespace: dict[str, Any] = {"UNSET": UNSET, "Unsure": Unsure, "str": str, "int": int}


_namespace.update(
    unknown_ok=unknown_ok,
    object_ok=object_ok,
    utf8_len=utf8_len,
    grapheme_len=grapheme_len,
    FORMATS=FORMATS,
)


class _Compiler:
    """Writes the source of one function per class not compiled yet, then runs it."""

    def __init__(self, exact_field: ExactField) -> None:
        self.exact_field = exact_field
        self.pending: list[type[Any]] = []
        self.names: dict[type[Any], str] = {}
        self.sources: list[str] = []
        self.level = 0
        """How many classes deep :meth:`inlined` is writing."""

    def compile(self, root: type[Any]) -> None:
        self.function_of(root)
        while self.pending:
            self.sources.append(self.source_of(self.pending.pop()))
        exec("\n\n".join(self.sources), _namespace)  # the source built above
        for cls, name in self.names.items():
            _compiled[cls] = _namespace[name]

    def function_of(self, cls: type[Any]) -> str:
        """The name of ``cls``'s fast function (queued for compiling when new)."""
        name = self.names.get(cls)
        if name is None:
            existing = _compiled.get(cls)
            name = f"check_{len(_namespace)}"  # (never text from a lexicon: see _literal)
            if existing is not None:
                _namespace[name] = existing
            else:
                self.pending.append(cls)
            self.names[cls] = name
            _namespace.setdefault(name, None)
        return name

    def constant(self, value: object) -> str:
        name = f"k{len(_namespace)}"
        _namespace[name] = value
        return name

    def source_of(self, cls: type[Any]) -> str:
        head = f"def {self.names[cls]}(v, s):"
        body = self.fields_of(cls, "v", 1)
        if body is None:
            return f"{head}\n    raise Unsure"  # left to the exact pass
        return "\n".join([head, *("    " + line for line in body), "    return None"])

    def fields_of(self, cls: type[Any], obj: str, depth: int) -> list[str] | None:
        """Lines (indented from 0) that raise Unsure unless the fields of ``obj`` (a ``cls``)
        are valid; None when a field name may not be written into source."""
        rules = RULES.get(cls, {})
        var = f"x{self.level}" if self.level else "x"  # (an inlined class's own field value)
        lines: list[str] = []
        for info in msgspec.structs.fields(cls):
            if info.name.startswith("_lex"):
                continue
            if not info.name.isidentifier() or keyword.iskeyword(info.name):
                return None
            rule = rules.get(info.name) or {}
            closed = (cls, info.name) in CLOSED
            try:
                body = self.field(info.type, rule, closed, var, depth)
            except _NotCode:  # a rule that is not what the generator emits: the exact check
                body = self.slow(info.type, rule, closed, var)
            read = f"{obj}.{info.name}"
            lazy = getattr(cls, info.name, None)
            if isinstance(lazy, LazyField):  # an `unknown` value: read without decoding it
                read = f"{self.constant(lazy.slot.__get__)}({obj})"  # the slot, C-level
            if info.required:
                lines.append(f"{var} = {read}")
                if not body or f"{var}.__class__" not in body[0]:  # (a class test rejects it)
                    lines.append(f"if {var} is UNSET: raise Unsure")
                lines += body
            elif body and _CLASS_TEST.fullmatch(body[0]):  # the class test first, then UNSET
                lines += [f"{var} = {read}", body[0][: -len(_RAISE)]]
                lines.append(f"    if {var} is not UNSET: raise Unsure")
                if body[1:]:
                    lines += ["else:"] + ["    " + line for line in body[1:]]
            elif body:  # (an optional object is mostly absent: UNSET first)
                lines += [f"{var} = {read}", f"if {var} is not UNSET:"]
                lines += ["    " + line for line in body]
        return lines

    def field(self, tp: Any, rule: dict[str, Any], closed: bool, var: str, depth: int) -> list[str]:
        """Lines (indented from 0) that raise Unsure unless ``var`` is valid as ``tp``
        (UNSET is the caller's business: required or optional)."""
        args = get_args(tp) if get_origin(tp) in (Union, types.UnionType) else (tp,)
        members = [a for a in args if a is not UnsetType and a is not type(None)]
        if any(m is Any for m in members):
            return []
        structs = [m for m in members if isinstance(m, type) and issubclass(m, msgspec.Struct)]
        if str in members and all(m is str or _str_literal(m) for m in members):
            members = [str]  # known values of an open string: any string the rule allows
        if len(members) == 1:
            lines = self.member(members[0], rule, closed, var, depth)
        elif len(structs) == len(members) and not any(m in _LEAVES for m in structs):
            # a union of generated classes: dispatch on the exact class (a dict kept as an
            # unknown member, or a subclass, is not found: unsure)
            dispatch = self.constant(_Dispatch({m: self.function_of(m) for m in structs}))
            lines = [f"{dispatch}[{var}.__class__]({var}, s)"]
        else:
            lines = self.slow(tp, rule, closed, var)
        if type(None) in args and lines:
            return [f"if {var} is not None:"] + ["    " + line for line in lines]
        return lines

    def member(
        self, tp: Any, rule: dict[str, Any], closed: bool, var: str, depth: int
    ) -> list[str]:
        origin = get_origin(tp)
        if tp is str:
            return [f"if {var}.__class__ is not str: raise Unsure", *self.string(rule, var)]
        if tp is bool:
            return [f"if {var}.__class__ is not bool: raise Unsure"]
        if tp is int:
            minimum, maximum = _literal(rule.get("minimum")), _literal(rule.get("maximum"))
            low = _INT64_MIN if minimum is None else max(_INT64_MIN, minimum)
            high = _INT64_MAX if maximum is None else min(_INT64_MAX, maximum)
            return [
                f"if {var}.__class__ is not int: raise Unsure",
                f"if not {low} <= {var} <= {high}: raise Unsure",
            ]
        if origin is Literal:
            values: tuple[Any, ...] = get_args(tp)
            allowed = self.constant(frozenset((v.__class__, v) for v in values))
            return [f"if ({var}.__class__, {var}) not in {allowed}: raise Unsure"]
        if origin is list:
            (item_tp,) = get_args(tp) or (Any,)
            low, high = _literal(rule.get("min_items")), _literal(rule.get("max_items"))
            lines = [f"if {var}.__class__ is not list: raise Unsure"]
            if low is not None:
                lines.append(f"if len({var}) < {low}: raise Unsure")
            if high is not None:
                lines.append(f"if len({var}) > {high}: raise Unsure")
            item = f"y{depth}"
            body = self.field(item_tp, rule.get("items") or {}, closed, item, depth + 1)
            if body:
                lines.append(f"for {item} in {var}:")
                lines.extend("    " + line for line in body)
            return lines
        if tp is Raw and rule.get("object") and not rule.get("typed"):
            return [f"if not unknown_ok({var}): raise Unsure"]
        if (origin is dict or tp is dict) and not rule.get("typed"):
            test = f"{var}.__class__ is not dict"
            if rule.get("object"):
                test += f" or not object_ok({var})"
            return [f"if {test}: raise Unsure"]
        if isinstance(tp, type) and issubclass(tp, msgspec.Struct) and tp not in _LEAVES:
            # (in a single-ref union the other option, a dict kept as data, is unsure)
            test = f"if {var}.__class__ is not {self.constant(tp)}: raise Unsure"
            inlined = self.inlined(tp, var, depth)
            if inlined is not None:
                return [test, *inlined]
            return [test, f"{self.function_of(tp)}({var}, s)"]
        return self.slow(tp, rule, closed, var)

    def inlined(self, cls: type[Any], var: str, depth: int) -> list[str] | None:
        """A small class's checks written in place (a call a field less), two levels deep at
        most (a recursive class is called, not inlined, below that)."""
        if self.level >= _INLINE_LEVELS or len(msgspec.structs.fields(cls)) > _INLINE_FIELDS:
            return None
        self.level += 1
        try:
            return self.fields_of(cls, var, depth)
        finally:
            self.level -= 1

    def string(self, rule: dict[str, Any], var: str) -> list[str]:
        lines: list[str] = []
        max_bytes, min_bytes = _literal(rule.get("max_bytes")), _literal(rule.get("min_bytes"))
        max_g, min_g = _literal(rule.get("max_graphemes")), _literal(rule.get("min_graphemes"))
        longest: list[str] = []  # the upper bounds, each counted only past a length bound
        if max_bytes is not None:  # UTF-8 is at most 4 bytes a code point
            longest.append(
                f"if len({var}) > {max_bytes // 4} and utf8_len({var}) > {max_bytes}: raise Unsure"
            )
        if max_g is not None:  # a grapheme is at least one code point
            longest.append(
                f"if len({var}) > {max_g} and grapheme_len({var}) > {max_g}: raise Unsure"
            )
        if max_bytes is not None and max_g is not None:  # one test for a short string
            shortest = min(max_bytes // 4, max_g)
            lines += [f"if len({var}) > {shortest}:", *("    " + line for line in longest)]
        else:
            lines += longest
        if min_bytes is not None:  # and at least 1
            lines.append(
                f"if len({var}) < {min_bytes} and utf8_len({var}) < {min_bytes}: raise Unsure"
            )
        if min_g is not None:
            lines.append(f"if grapheme_len({var}) < {min_g}: raise Unsure")
        fmt: Any = rule.get("format")
        if fmt is not None:
            if fmt not in FORMATS:
                raise _NotCode
            lines.append(f"s[{_FORMAT_INDEX[fmt]}].add({var})")  # (an int from our own table)
        return lines

    def slow(self, tp: Any, rule: dict[str, Any], closed: bool, var: str) -> list[str]:
        """Kinds the fast pass does not specialise (blobs, bytes, links, mixed unions): the
        exact check itself, strict, whose error only means "unsure" here."""
        check = self.exact_field(tp, rule, closed, False)
        if check is None:
            return []
        return [f"{self.constant(check)}({var}, '$', True)"]


_LEAVES = (Blob, Bytes, CidLink)
_RAISE = " raise Unsure"
_CLASS_TEST = re.compile(r"if x\d*\.__class__ is not (?:str|bool|int|list): raise Unsure")
"""An optional field's first line when it is an exact-class test: a value present (the
common case in answers) then pays no UNSET test, an absent one fails the class test first."""
_INLINE_LEVELS, _INLINE_FIELDS = 2, 12


class _NotCode(Exception):
    """A rule value that may not be written into the generated source."""


def _literal(value: object) -> int | None:
    """A bound as it may appear in generated source: an exact int (or None), nothing else,
    so that no lexicon text can ever become code."""
    if value is None or type(value) is int:
        return value
    raise _NotCode


def _str_literal(tp: Any) -> bool:
    return get_origin(tp) is Literal and all(type(value) is str for value in get_args(tp))


def _unsure(value: object, found: Found) -> None:
    raise Unsure


class _Dispatch(dict[type[Any], Walk]):
    """Union dispatch by exact class. Filled on first use (the member functions may be
    compiled in the same batch); a class it does not know is not proved valid."""

    def __init__(self, names: dict[type[Any], str]) -> None:
        super().__init__()
        self._names = names

    def __missing__(self, kind: type[Any]) -> Walk:
        name = self._names.get(kind)
        function: Walk | None = _namespace.get(name) if name is not None else None
        if function is None:
            raise Unsure
        self[kind] = function
        return function
