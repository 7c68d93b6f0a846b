"""Namespace modules (call stubs of one NSID namespace, sync and async) and the client module."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import jinja2

from atlex_codegen import ir
from atlex_codegen.render.layout import WIDTH, Expr, Labeled, Seq, flat, statement
from atlex_codegen.render.text import Usage, classes, docstring, import_block, pystr, type_expr
from atlex_codegen.render.text import union as union_of
from atlex_codegen.render.types import import_entry, sorted_imports

__all__ = ["render_client", "render_namespace"]


def render_namespace(env: jinja2.Environment, n: ir.Namespace) -> str:
    usage = Usage()
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
    type_imports = [imp for imp in n.imports if imp.module in used_modules]
    return env.get_template("namespace.py.jinja").render(
        bases=bases,
        doc=docstring(f"Calls in the ``{n.nsid}`` namespace."),
        nsid=n.nsid,
        cls=n.cls,
        async_cls=n.async_cls,
        import_block=import_block(
            usage, typing=bool(child_imports or used_modules), first_party=first_party
        ),
        imports=sorted_imports([*map(import_entry, type_imports), *child_imports]),
        children=children,
        stubs=stubs,
    )


def _arg_view(a: ir.Arg, ref: Callable[[ir.TClass], str], usage: Usage) -> tuple[Expr, str]:
    """A keyword parameter of a stub, and its entry in the params / input dict."""
    text = type_expr(a.type, ref, usage, static=True, arg=True)
    if a.required:
        default = ""
    elif a.has_default:
        default = pystr(a.default) if isinstance(a.default, str) else repr(a.default)
    else:
        text = union_of(text, usage.note("_m.UnsetType"))
        default = usage.note("_m.UNSET")
    sig = Labeled(f"{a.name}: ", _quote_if_classes(text, a.type), default and f" = {default}")
    return sig, f"{pystr(a.wire)}: {a.name}"


def _stub_view(st: ir.Stub, ref: Callable[[ir.TClass], str], usage: Usage) -> dict[str, Any]:
    if st.stream is not None:
        return _subscription_view(st, st.stream, ref, usage)

    def arg_view(a: ir.Arg) -> tuple[Expr, str]:
        return _arg_view(a, ref, usage)

    params = [arg_view(a) for a in st.params]
    inputs = [arg_view(a) for a in st.input_args]
    if st.returns is None:
        returns = "None"
    else:
        returns = flat(
            _quote_if_classes(type_expr(st.returns, ref, usage, static=True), st.returns)
        )
    method_args = [
        f"nsid={pystr(st.nsid)}",
        f"kind={pystr(st.kind)}",
        f"module={pystr(st.type_module)}",
    ]
    if st.has_params_struct:
        method_args.append("params=True")
    if st.input_kind and st.input_encoding is not None:
        method_args.append(f"input={pystr(st.input_kind)}")
        method_args.append(f"input_encoding={pystr(st.input_encoding)}")
    if st.output_kind and st.output_encoding is not None:
        method_args.append(f"output={pystr(st.output_kind)}")
        if st.output_schema:
            method_args.append("output_schema=True")
        method_args.append(f"output_encoding={pystr(st.output_encoding)}")
    sig: list[Expr] = ["self"]
    if st.input_kind == "binary":
        sig.append("data: _ns.BinaryInput")
    sig.append("*")
    sig += [p[0] for p in params] + [p[0] for p in inputs]
    if st.input_kind == "binary":
        sig.append("content_type: _str | None = None")
        usage.note("_str")
    sig.append("options: _ns.CallOptions | None = None")
    params_arg: Expr = Seq("", "{", tuple(p[1] for p in params), "}") if params else "None"
    input_arg: Expr
    if st.input_kind == "binary":
        input_arg = "_ns.BinaryBody(data, content_type)"
    elif st.input_kind == "json" and inputs and st.input_args[0].wire:
        input_arg = Seq("", "{", tuple(p[1] for p in inputs), "}")
    elif st.input_kind == "json" and inputs:
        input_arg = st.input_args[0].name
    else:
        input_arg = "None"
    call = (st.const, params_arg, input_arg, "options")
    method = Seq("_ns.Method", "(", tuple(method_args), ")")
    doc = docstring(_stub_doc(st), "        ")

    def body(is_async: bool) -> str:
        head = Seq(f"{'async ' if is_async else ''}def {st.name}", "(", tuple(sig), ")")
        ret = "return await " if is_async else "return "
        lines = statement(4, "", head, f" -> {returns}:")
        lines += ["        " + doc]
        lines += statement(8, ret, Seq("self._call", "(", call, ")"))
        return "\n".join(lines)

    return {
        "method": "\n".join(statement(0, f"{st.const} = ", method)),
        "sync": body(False),
        "async": body(True),
    }


def _subscription_view(
    st: ir.Stub, stream: ir.StreamTypes, ref: Callable[[ir.TClass], str], usage: Usage
) -> dict[str, Any]:
    """A subscription stub: a plain ``def`` on both twins (never awaited) returning
    ``_ns.Stream[Message]`` (``_ns.AsyncStream`` on the async one), opened with the lexicon's
    params and ``**settings`` (the runtime's stream options, typed by a ``TypedDict``)."""
    params = [_arg_view(a, ref, usage) for a in st.params]
    if stream.message is not None:
        message = f"_ns.{stream.message}"
    else:
        assert st.returns is not None
        message = flat(type_expr(st.returns, ref, usage, static=True))
    usage.note(message)
    where = (f"nsid={pystr(st.nsid)}", f"module={pystr(st.type_module)}")
    const = "\n".join(statement(0, f"{st.const} = ", Seq("_ns.Subscription", "(", where, ")")))
    entries = Seq("", "{", tuple(p[1] for p in params), "}")
    doc = docstring(_stub_doc(st), "        ")

    def body(stream_type: str, settings: str) -> str:
        unpack = f"**settings: {pystr(f'_ns.Unpack[_ns.{settings}]')}"
        head = Seq(f"def {st.name}", "(", ("self", "*", *(p[0] for p in params), unpack), ")")
        lines = statement(4, "", head, f" -> {pystr(f'_ns.{stream_type}[{message}]')}:")
        lines += ["        " + doc]
        call = Seq("self._subscribe", "(", (st.const, entries, "settings"), ")")
        lines += statement(8, "return ", call)
        return "\n".join(lines)

    return {
        "method": const,
        "sync": body("Stream", stream.settings),
        "async": body("AsyncStream", stream.async_settings),
    }


_DOC_WIDTH = WIDTH - len("        ")  # a stub docstring's lines, indented in a method


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
) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """Type-checking imports (module, name) and template views for child namespace
    properties."""
    imports: list[tuple[str, str]] = []
    views: list[dict[str, str]] = []
    for i, c in enumerate(children):
        parent, _, leaf = c.module.rpartition(".")
        alias = f"{prefix}{i}"
        imports.append((parent, f"{leaf} as {alias}"))
        views.append(
            {
                "attr": c.attr,
                "cls": c.cls,
                "async_cls": c.async_cls,
                "alias": alias,
                "sync": _child_call(c.module, c.cls),
                "async": _child_call(c.module, c.async_cls),
            }
        )
    return imports, views


def _child_call(module: str, cls: str) -> str:
    call = Seq("self._child", "(", (pystr(module), pystr(cls)), ")")
    return "\n".join(statement(8, "return ", call))


def _quote_if_classes(text: Expr, t: ir.TypeExpr) -> Expr:
    return pystr(flat(text)) if classes(t) else text


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


def render_client(env: jinja2.Environment, package: str, c: ir.ClientModule) -> str:
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
        imports=sorted_imports(imports),
    )
