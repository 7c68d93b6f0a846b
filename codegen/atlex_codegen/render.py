"""Stage 3: IR -> ``{path: text}`` through jinja2 templates.

Python decides every string here (annotations, literals, docstrings, imports); the templates
only lay them out. Text from lexicons reaches output only as ``repr`` literals or escaped
docstrings, and names only after naming.py sanitised them.

One job, hence one module over 400 lines: the text of every generated file kind (types,
namespaces, client, package inits) comes from the same few helpers (``type_text``,
``docstring``, ``_import_block``).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import jinja2

from atlex_codegen import ir
from atlex_codegen.header import stamp

__all__ = ["render"]

_SCALARS = {
    "str": "_str",
    "int": "_int",
    "bool": "_bool",
    "bytes": "_bytes",
    "dict": "_dict[_str, _t.Any]",
    "Bytes": "_rt.Bytes",
    "CidLink": "_rt.CidLink",
    "Blob": "_rt.Blob",
    "LexObject": "_rt.LexObject",
    **{alias: f"_rt.{alias}" for alias in ir.FORMAT_ALIASES.values()},
}
# builtins are only ever named through these aliases: a field called `list` or `str` cannot
# shadow them inside a class body
_BUILTIN_ALIASES = ("AttributeError", "bool", "bytes", "dict", "int", "list", "str", "type")


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("atlex_codegen", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pyrepr"] = repr
    return env


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_.])(?:_t\.|_m\.|_rt\.|_errors\.|_ns\.|_(?:"
    + "|".join(_BUILTIN_ALIASES)
    + r")\b)"
)


@dataclass
class _Usage:
    """Which module-level helpers a rendered module uses (only those get imported)."""

    names: set[str] = field(default_factory=lambda: set())

    def note(self, text: str) -> str:
        """Record the helpers named in ``text`` (generator-written code, never lexicon text)."""
        for token in _TOKEN.findall(text):
            self.names.add(token.rstrip("."))
        return text

    def builtins(self) -> list[str]:
        return [b for b in _BUILTIN_ALIASES if f"_{b}" in self.names]


def _import_block(usage: _Usage, *, typing: bool, first_party: list[str]) -> str:
    """The module's import lines, grouped and ordered the way ruff's isort wants them."""
    stdlib = ["import typing as _t"] if typing or "_t" in usage.names else []
    stdlib += [f"from builtins import {b} as _{b}" for b in usage.builtins()]
    third = ["import msgspec as _m"] if "_m" in usage.names else []
    groups = [g for g in (stdlib, third, first_party) if g]
    return "\n\n".join("\n".join(g) for g in groups)


def type_text(
    t: ir.TypeExpr,
    ref: Callable[[ir.TClass], str],
    usage: _Usage,
    *,
    static: bool,
    arg: bool = False,
) -> str:
    """Source text of a type expression. ``static`` adds what only type checkers see
    (UnknownMember on open unions); ``arg`` widens ``unknown`` to accept any LexObject.
    Helpers it names are noted in ``usage`` (literal values never are)."""
    if isinstance(t, ir.TScalar):
        if arg and t.name == "dict":
            return usage.note("_dict[_str, _t.Any] | _rt.LexObject")
        return usage.note(_SCALARS[t.name])
    if isinstance(t, ir.TLiteral):
        usage.note("_t.")
        text = "_t.Literal[" + ", ".join(repr(v) for v in t.values) + "]"
        return text + usage.note(" | _str") if t.open else text
    if isinstance(t, ir.TList):
        return usage.note("_list[") + type_text(t.item, ref, usage, static=static, arg=arg) + "]"
    if isinstance(t, ir.TClass):
        return ref(t)
    members = [ref(m) for m in t.members]
    if static and t.open:
        members.append(usage.note("_rt.UnknownMember"))
    return " | ".join(members)


def _classes(t: ir.TypeExpr) -> list[ir.TClass]:
    if isinstance(t, ir.TClass):
        return [t]
    if isinstance(t, ir.TUnion):
        return list(t.members)
    if isinstance(t, ir.TList):
        return _classes(t.item)
    return []


def _has_open_union(t: ir.TypeExpr) -> bool:
    if isinstance(t, ir.TUnion):
        return t.open
    if isinstance(t, ir.TList):
        return _has_open_union(t.item)
    return False


def docstring(text: str, indent: str = "") -> str:
    """A triple-quoted literal whose value is exactly ``text`` (minus trailing spaces)."""
    body = text.replace("\r\n", "\n").replace("\\", "\\\\")
    # control characters (but newline and tab) become escapes: nothing can end the literal
    body = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", body)
    body = "\n".join(line.rstrip() for line in body.split("\n")).strip()
    body = body.replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    if "\n" in body:
        lines = body.split("\n")
        body = lines[0] + "\n" + "\n".join((indent + ln) if ln else "" for ln in lines[1:])
        body += "\n" + indent
    return f'"""{body}"""'


def _literal(value: object) -> str:
    """A Python literal for JSON-like data (repr is exact and inert for these types)."""
    if isinstance(value, dict):
        mapping = cast("dict[object, object]", value)
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in mapping.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in cast("list[object]", value)) + "]"
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    raise TypeError(f"not JSON-like: {type(value).__name__}")


def render(pkg: ir.Package) -> dict[str, str]:
    env = _env()
    files: dict[str, str] = {}
    for m in pkg.types:
        files[m.path] = _render_type_module(env, m)
    for n in pkg.namespaces:
        files[n.path] = _render_namespace(env, n)
    if pkg.client is not None:
        files[pkg.client.path] = _render_client(env, pkg.name, pkg.client)
    for init in pkg.inits:
        doc = docstring(init.doc or f"Generated package {init.module}.")
        files[init.path] = env.get_template("init.py.jinja").render(doc=doc)
    # each header carries the digest of its own file only: one changed lexicon rewrites only
    # the files whose content changed
    return {path: stamp(files[path]) for path in sorted(files)}


# ---- type modules ------------------------------------------------------------------------------


def _render_type_module(env: jinja2.Environment, m: ir.TypeModule) -> str:
    usage = _Usage()
    alias_of = {imp.module: imp.alias for imp in m.imports}

    def ref(c: ir.TClass) -> str:
        return c.name if c.module == m.module else f"{alias_of[c.module]}.{c.name}"

    defined: set[str] = set()
    structs: list[dict[str, Any]] = []
    for st in m.structs:
        fields = [_field_view(f, ref, m.module, defined, usage) for f in st.fields]
        options = ["kw_only=True"]
        if st.tag is not None:
            options += ['tag_field="$type"', f"tag={st.tag!r}"]
        registries: list[tuple[str, list[str]]] = []
        closed = [f.name for f in st.fields if f.union in ("closed", "closed-single")]
        single = [f.name for f in st.fields if f.union in ("single", "closed-single")]
        if closed:
            registries.append(("register_closed", closed))
        if single:
            registries.append(("register_single", single))
        rules = {f.name: dict(f.rules) for f in st.fields if f.rules}
        structs.append(
            {
                "name": st.name,
                "options": ", ".join(options),
                "doc": docstring(st.doc, "    ") if st.doc else None,
                "lex_id": repr(st.lex_id) if st.lex_id else None,
                "record_key": repr(st.record_key) if st.record_key else None,
                "fields": fields,
                "registries": [(fn, ", ".join(repr(a) for a in attrs)) for fn, attrs in registries],
                "rules": _literal(rules) if rules else None,
            }
        )
        usage.note("_rt.")
        if st.lex_id or st.record_key:
            usage.note("_t. _str")
        defined.add(st.name)
    direct_aliases: list[dict[str, Any]] = []
    lazy_aliases: list[dict[str, Any]] = []
    for a in m.aliases:
        static = type_text(a.type, ref, usage, static=True)
        view = {"name": a.name, "doc": docstring(a.doc) if a.doc else None, "static": static}
        if a.lazy or _classes(a.type):
            view["runtime"] = type_text(a.type, ref, usage, static=False)
            lazy_aliases.append(view)
        else:
            direct_aliases.append(view)
    if lazy_aliases:
        usage.note("_AttributeError _str _t.")
    constants = [
        {"name": c.name, "value": repr(c.value), "doc": docstring(c.doc) if c.doc else None}
        for c in m.constants
    ]
    errors = [
        {"name": e.name, "error": repr(e.error), "doc": docstring(e.doc, "    ") if e.doc else None}
        for e in m.errors
    ]
    if errors:
        usage.note("_errors. _dict _str _type _t.")
    metadata = [(name, _literal(value)) for name, value in m.metadata]
    if metadata:
        usage.note("_t.")
    doc = f"``{m.nsid}``" + (f": {m.doc}" if m.doc else "")
    first_party = ["from atlex import _rt"] if "_rt" in usage.names or m.imports else []
    if "_errors" in usage.names:
        first_party.append("from atlex import errors as _errors")
    return env.get_template("types.py.jinja").render(
        doc=docstring(doc),
        nsid=repr(m.nsid),
        import_block=_import_block(
            usage,
            typing=bool(m.imports or lazy_aliases or m.constants),  # constants are _t.Final
            first_party=first_party,
        ),
        imports=m.imports,
        constants=constants,
        structs=structs,
        direct_aliases=direct_aliases,
        lazy_aliases=lazy_aliases,
        errors=errors,
        metadata=metadata,
    )


def _field_view(
    f: ir.Field,
    ref: Callable[[ir.TClass], str],
    module: str,
    defined: set[str],
    usage: _Usage,
) -> dict[str, Any]:
    quote = any(c.module != module or c.name not in defined for c in _classes(f.type))

    def annotation(static: bool) -> str:
        text = type_text(f.type, ref, usage, static=static)
        if not f.required and not f.has_default:
            text += usage.note(" | _m.UnsetType")
        if f.nullable:
            text += " | None"
        return repr(text) if quote else text

    if f.has_default:
        default: str | None = repr(f.default)
    elif not f.required:
        default = "_m.UNSET"
    else:
        default = None
    if f.rename:
        parts = ([f"default={default}"] if default else []) + [f"name={f.wire!r}"]
        default = f"_m.field({', '.join(parts)})"
    if default:
        usage.note("_m." if "_m." in default else "")
    runtime = annotation(False)
    static = annotation(True) if _has_open_union(f.type) else None
    return {
        "name": f.name,
        "runtime": runtime,
        "static": static,
        "default": default,
        "doc": docstring(f.doc, "    ") if f.doc else None,
    }


# ---- namespaces ----------------------------------------------------------------------------------


def _render_namespace(env: jinja2.Environment, n: ir.Namespace) -> str:
    usage = _Usage()
    alias_of = {imp.module: imp.alias for imp in n.imports}
    used_modules: set[str] = set()

    def ref(c: ir.TClass) -> str:
        used_modules.add(c.module)
        return f"{alias_of[c.module]}.{c.name}"

    child_imports, children = _child_views(n.children, "_child")
    stubs = [_stub_view(st, ref, usage) for st in n.stubs]
    base_imports, bases = _base_views(n.bases, "SyncNamespace", "AsyncNamespace")
    first_party = list(base_imports)
    facades = [
        name
        for name, used in (
            ("_ns", bool(n.stubs) or not n.bases),  # stubs name _ns.Method / _ns.CallOptions
            ("_rt", "_rt" in usage.names),
        )
        if used
    ]
    if facades:
        first_party.append(f"from atlex import {', '.join(facades)}")
    return env.get_template("namespace.py.jinja").render(
        bases=bases,
        doc=docstring(f"Calls in the ``{n.nsid}`` namespace."),
        nsid=n.nsid,
        cls=n.cls,
        async_cls=n.async_cls,
        import_block=_import_block(
            usage, typing=bool(child_imports or used_modules), first_party=first_party
        ),
        imports=[imp for imp in n.imports if imp.module in used_modules],
        child_imports=child_imports,
        children=children,
        stubs=stubs,
    )


def _arg_view(a: ir.Arg, ref: Callable[[ir.TClass], str], usage: _Usage) -> dict[str, str]:
    text = type_text(a.type, ref, usage, static=True, arg=True)
    if a.required:
        sig = f"{a.name}: {_quote_if_classes(text, a.type)}"
    elif a.has_default:
        sig = f"{a.name}: {_quote_if_classes(text, a.type)} = {a.default!r}"
    else:
        text += usage.note(" | _m.UnsetType")
        sig = f"{a.name}: {_quote_if_classes(text, a.type)} = {usage.note('_m.UNSET')}"
    return {"sig": sig, "entry": f"{a.wire!r}: {a.name}"}


def _stub_view(st: ir.Stub, ref: Callable[[ir.TClass], str], usage: _Usage) -> dict[str, Any]:
    if st.stream is not None:
        return _subscription_view(st, st.stream, ref, usage)

    def arg_view(a: ir.Arg) -> dict[str, str]:
        return _arg_view(a, ref, usage)

    params = [arg_view(a) for a in st.params]
    inputs = [arg_view(a) for a in st.input_args]
    if st.returns is None:
        returns = "None"
    else:
        returns = _quote_if_classes(type_text(st.returns, ref, usage, static=True), st.returns)
    method_args = [
        f"nsid={st.nsid!r}",
        f"kind={st.kind!r}",
        f"module={st.type_module!r}",
    ]
    if st.has_params_struct:
        method_args.append("params=True")
    if st.input_kind:
        method_args += [f"input={st.input_kind!r}", f"input_encoding={st.input_encoding!r}"]
    if st.output_kind:
        method_args.append(f"output={st.output_kind!r}")
        if st.output_schema:
            method_args.append("output_schema=True")
        method_args.append(f"output_encoding={st.output_encoding!r}")
    sig = ["self"]
    if st.input_kind == "binary":
        sig.append("data: _ns.BinaryInput")
    sig.append("*")
    sig += [p["sig"] for p in params] + [p["sig"] for p in inputs]
    if st.input_kind == "binary":
        sig.append("content_type: _str | None = None")
        usage.note("_str")
    sig.append("options: _ns.CallOptions | None = None")
    params_arg = "{" + ", ".join(p["entry"] for p in params) + "}" if params else "None"
    if st.input_kind == "binary":
        input_arg = "_ns.BinaryBody(data, content_type)"
    elif st.input_kind == "json" and inputs and st.input_args[0].wire:
        input_arg = "{" + ", ".join(p["entry"] for p in inputs) + "}"
    elif st.input_kind == "json" and inputs:
        input_arg = st.input_args[0].name
    else:
        input_arg = "None"
    return {
        "name": st.name,
        "const": st.const,
        "method": f"_ns.Method({', '.join(method_args)})",
        "signature": ", ".join(sig),
        "async_signature": ", ".join(sig),
        "returns": returns,
        "async_returns": returns,
        "awaited": True,
        "runner": "_call",
        "call": f"{st.const}, {params_arg}, {input_arg}, options",
        "doc": docstring(_stub_doc(st), "        "),
    }


def _subscription_view(
    st: ir.Stub, stream: ir.StreamTypes, ref: Callable[[ir.TClass], str], usage: _Usage
) -> dict[str, Any]:
    """A subscription stub: a plain ``def`` on both twins, returning ``_ns.Stream[Message]``
    (``_ns.AsyncStream`` on the async one) opened with the lexicon's params and ``**settings``
    (the runtime's stream options, typed by a ``TypedDict``)."""
    params = [_arg_view(a, ref, usage) for a in st.params]
    if stream.message is not None:
        message = f"_ns.{stream.message}"
    else:
        assert st.returns is not None
        message = type_text(st.returns, ref, usage, static=True)
    usage.note(message)

    def signature(settings: str) -> str:
        return ", ".join(["self", "*", *(p["sig"] for p in params),
                          f"**settings: '_ns.Unpack[_ns.{settings}]'"])  # fmt: skip

    entries = "{" + ", ".join(p["entry"] for p in params) + "}"
    return {
        "name": st.name,
        "const": st.const,
        "method": f"_ns.Subscription(nsid={st.nsid!r}, module={st.type_module!r})",
        "signature": signature(stream.settings),
        "async_signature": signature(stream.async_settings),
        "returns": repr(f"_ns.Stream[{message}]"),
        "async_returns": repr(f"_ns.AsyncStream[{message}]"),
        "awaited": False,
        "runner": "_subscribe",
        "call": f"{st.const}, {entries}, settings",
        "doc": docstring(_stub_doc(st), "        "),
    }


_DOC_WIDTH = 100 - len("        ")  # a stub docstring's lines, indented in a method


def _stub_doc(st: ir.Stub) -> str:
    """The lexicon's description, then an ``Args:`` section from the arguments' descriptions
    (what an IDE shows on hover)."""
    doc = st.doc or f"``{st.nsid}``"
    args: list[tuple[str, str]] = []
    if st.input_kind == "binary":
        args.append(("data", "The body: bytes, a binary file or an iterator of chunks."))
    args += [(a.name, a.doc) for a in (*st.params, *st.input_args) if a.doc]
    if st.input_kind == "binary":
        args.append(
            ("content_type", f"The body's MIME type (the lexicon says ``{st.input_encoding}``).")
        )
    if not args:
        return doc
    lines = [
        textwrap.fill(
            " ".join(text.split()),
            width=_DOC_WIDTH,
            initial_indent=f"    {name}: ",
            subsequent_indent="        ",
            break_long_words=False,
            break_on_hyphens=False,
        )
        for name, text in args
    ]
    return doc + "\n\nArgs:\n" + "\n".join(lines)


def _child_views(
    children: tuple[ir.Child, ...], prefix: str
) -> tuple[list[tuple[str, str, str]], list[dict[str, str]]]:
    """Type-checking imports and template views for child namespace properties."""
    imports: list[tuple[str, str, str]] = []
    views: list[dict[str, str]] = []
    for i, c in enumerate(children):
        parent, _, leaf = c.module.rpartition(".")
        alias = f"{prefix}{i}"
        imports.append((parent, leaf, alias))
        views.append({"attr": c.attr, "module": repr(c.module), "cls": c.cls,
                      "async_cls": c.async_cls, "alias": alias})  # fmt: skip
    return imports, views


def _quote_if_classes(text: str, t: ir.TypeExpr) -> str:
    return repr(text) if _classes(t) else text


# ---- client ------------------------------------------------------------------------------------------


def _base_views(
    bases: tuple[ir.Base, ...], sync_default: str, async_default: str
) -> tuple[list[str], dict[str, str]]:
    """Runtime imports of composed packages' classes, and the base lists of both twins."""
    if not bases:
        return [], {"sync": f"_ns.{sync_default}", "async": f"_ns.{async_default}"}
    imports = [f"import {b.module} as _base{i}" for i, b in enumerate(bases)]
    return imports, {
        "sync": ", ".join(f"_base{i}.{b.cls}" for i, b in enumerate(bases)),
        "async": ", ".join(f"_base{i}.{b.async_cls}" for i, b in enumerate(bases)),
    }


def _render_client(env: jinja2.Environment, package: str, c: ir.ClientModule) -> str:
    imports, roots = _child_views(c.roots, "_root")
    base_imports, bases = _base_views(c.bases, "Client", "AsyncClient")
    composed = ", ".join(b.module.removesuffix(".client") for b in c.bases)
    return env.get_template("client.py.jinja").render(
        base_imports=base_imports,
        bases=bases,
        doc=docstring(
            f"Typed clients for the ``{package}`` bindings"
            + (f" (they extend those of {composed}: one client for both)." if composed else ".")
        ),
        roots=roots,
        imports=imports,
    )
