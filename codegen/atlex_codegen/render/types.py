"""Type modules: one per lexicon document (constants, structs, aliases, errors, metadata)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2

from atlex_codegen import ir
from atlex_codegen.render.layout import WIDTH, Expr, Seq, assign, flat, statement
from atlex_codegen.render.text import (
    Usage,
    classes,
    docstring,
    has_open_union,
    import_block,
    literal,
    pystr,
    type_expr,
    union,
)

__all__ = ["import_entry", "render_type_module", "sorted_imports"]


def render_type_module(env: jinja2.Environment, m: ir.TypeModule) -> str:
    usage = Usage()
    alias_of = {imp.module: imp.alias for imp in m.imports}

    def ref(c: ir.TClass) -> str:
        return c.name if c.module == m.module else f"{alias_of[c.module]}.{c.name}"

    # the named unions come first (their members are forward references): fields use them
    # unquoted wherever they stand
    unions = ["\n".join(_union_alias(u, ref, usage)) for u in m.unions]
    defined: set[str] = {u.name for u in m.unions}
    structs: list[dict[str, Any]] = []
    for st in m.structs:
        structs.append(_struct_view(st, ref, m.module, defined, usage))
        defined.add(st.name)
    direct_aliases: list[dict[str, Any]] = []
    lazy_aliases: list[dict[str, Any]] = []
    for a in m.aliases:
        static = type_expr(a.type, ref, usage, static=True)
        doc = docstring(a.doc) if a.doc else None
        if a.lazy or classes(a.type):
            runtime = type_expr(a.type, ref, usage, static=False)
            lazy_aliases.append(
                {
                    "static": "\n".join(assign(4, a.name, "_t.TypeAlias", static)),
                    "test": f"        if name == {pystr(a.name)}:",
                    "runtime": "\n".join(statement(12, "return ", runtime)),
                }
            )
        else:
            text = "\n".join(assign(0, a.name, "_t.TypeAlias", static))
            direct_aliases.append({"text": text, "doc": doc})
    if lazy_aliases:
        usage.note("_AttributeError _str _t.")
    constants = [
        {
            "text": "\n".join(assign(0, c.name, "_t.Final", pystr(c.value))),
            "doc": docstring(c.doc) if c.doc else None,
        }
        for c in m.constants
    ]
    errors = [
        {
            "name": e.name,
            "error": pystr(e.error),
            "doc": docstring(e.doc, "    ") if e.doc else None,
        }
        for e in m.errors
    ]
    if errors:
        usage.note("_errors. _dict _str _type _t.")
    metadata = ["\n".join(assign(0, name, "_t.Final", literal(v))) for name, v in m.metadata]
    if metadata:
        usage.note("_t.")
    doc = f"``{m.nsid}``" + (f": {m.doc}" if m.doc else "")
    first_party = ["from atlex import _rt"] if "_rt" in usage.names or m.imports else []
    if "_errors" in usage.names:
        first_party.append("from atlex import errors as _errors")
    return env.get_template("types.py.jinja").render(
        doc=docstring(doc),
        nsid=pystr(m.nsid),
        import_block=import_block(
            usage,
            typing=bool(m.imports or lazy_aliases or m.constants),  # constants are _t.Final
            first_party=first_party,
        ),
        imports=sorted_imports([import_entry(imp) for imp in m.imports]),
        lazy_modules=["\n".join(_lazy_module(imp)) for imp in m.imports],
        constants=constants,
        unions=unions,
        structs=structs,
        direct_aliases=direct_aliases,
        lazy_aliases=lazy_aliases,
        errors=errors,
        metadata=metadata,
    )


def import_entry(imp: ir.Import) -> tuple[str, str]:
    """``(parent, "leaf as alias")`` for :func:`sorted_imports`."""
    parent, _, leaf = imp.module.rpartition(".")
    return parent, leaf if imp.alias == leaf else f"{leaf} as {imp.alias}"


def sorted_imports(imports: list[tuple[str, str]]) -> list[str]:
    """``from module import name`` lines (inside ``if TYPE_CHECKING:``) in isort's order, each
    in parentheses with isort's trailing comma when it does not fit on its line."""
    lines: list[str] = []
    for module, name in sorted(imports, key=lambda i: (i[0].lower(), i[1].lower())):
        one = f"    from {module} import {name}"
        lines.append(
            one if len(one) <= WIDTH else f"    from {module} import (\n        {name},\n    )"
        )
    return lines


def _union_alias(u: ir.UnionAlias, ref: Callable[[ir.TClass], str], usage: Usage) -> list[str]:
    members: list[Expr] = [pystr(ref(c)) for c in u.type.members]
    if u.type.open:
        members.append("_rt.UnknownMember")
    form = "_rt.OpenUnion" if u.type.open else "_rt.ClosedUnion"
    usage.note("_rt. _t.")
    return assign(0, u.name, "_t.TypeAlias", Seq(form, "[", tuple(members), "]"))


def _lazy_module(imp: ir.Import) -> list[str]:
    return statement(4, f"{imp.alias} = ", Seq("_rt.lazy_module", "(", (pystr(imp.module),), ")"))


def _struct_view(
    st: ir.Struct,
    ref: Callable[[ir.TClass], str],
    module: str,
    defined: set[str],
    usage: Usage,
) -> dict[str, Any]:
    options: list[Expr] = ["_rt.LexObject", "kw_only=True"]
    if st.tag is not None:
        options += ['tag_field="$type"', f"tag={pystr(st.tag)}"]
    registries: list[str] = []
    closed = [f.name for f in st.fields if f.union in ("closed", "closed-single")]
    single = [f.name for f in st.fields if f.union in ("single", "closed-single")]
    for fn, attrs in (("register_closed", closed), ("register_single", single)):
        if attrs:
            call = Seq(f"_rt.{fn}", "(", (st.name, *(pystr(a) for a in attrs)), ")")
            registries.append("\n".join(statement(0, "", call)))
    rules = {f.name: dict(f.rules) for f in st.fields if f.rules}
    if rules:
        call = Seq("_rt.register_rules", "(", (st.name, literal(rules)), ")")
        registries.append("\n".join(statement(0, "", call)))
    usage.note("_rt.")
    lex_id = key = None
    if st.lex_id:
        lex_id = "\n".join(assign(4, "LEX_TYPE", "_t.ClassVar[_str | None]", pystr(st.lex_id)))
    if st.record_key:
        key = "\n".join(assign(4, "LEX_KEY", "_t.ClassVar[_str]", pystr(st.record_key)))
    if st.lex_id or st.record_key:
        usage.note("_t. _str")
    return {
        "head": "\n".join(statement(0, "", Seq(f"class {st.name}", "(", tuple(options), ")"), ":")),
        "doc": docstring(st.doc, "    ") if st.doc else None,
        "lex_id": lex_id,
        "record_key": key,
        "fields": [_field_view(f, ref, module, defined, usage) for f in st.fields],
        "registries": registries,
    }


def _field_view(
    f: ir.Field,
    ref: Callable[[ir.TClass], str],
    module: str,
    defined: set[str],
    usage: Usage,
) -> dict[str, Any]:
    quote = any(c.module != module or c.name not in defined for c in classes(f.type))

    def annotation(static: bool) -> Expr:
        text = type_expr(f.type, ref, usage, static=static)
        if not f.required and not f.has_default:
            text = union(text, usage.note("_m.UnsetType"))
        if f.nullable:
            text = union(text, "None")
        return pystr(flat(text)) if quote else text

    default: Expr | None
    if f.has_default:
        default = pystr(f.default) if isinstance(f.default, str) else repr(f.default)
    elif not f.required:
        default = "_m.UNSET"
    else:
        default = None
    if f.rename:
        parts: tuple[Expr, ...] = (f"default={flat(default)}",) if default else ()
        default = Seq("_m.field", "(", (*parts, f"name={pystr(f.wire)}"), ")")
    if default:
        usage.note("_m." if "_m." in flat(default) else "")
    if has_open_union(f.type):
        lines = ["    if _t.TYPE_CHECKING:", *assign(8, f.name, annotation(True), default)]
        lines += ["    else:", *assign(8, f.name, annotation(False), default)]
        lines[-1] += "\n"  # a blank line after the branches, as ruff format writes
    else:
        lines = assign(4, f.name, annotation(False), default)
    return {
        "text": "\n".join(lines),
        "doc": docstring(f.doc, "    ") if f.doc else None,
    }
