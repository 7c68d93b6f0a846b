"""Stage 3: IR -> ``{path: text}``.

Python decides every string (annotations, literals, docstrings, imports) and lays lines out
within 100 columns (:mod:`.layout`); the jinja2 templates only arrange the blocks. Text from
lexicons reaches output only as string literals or escaped docstrings (:mod:`.text`), names only
after naming.py sanitised them. Type modules render in :mod:`.types`, namespaces and the client
in :mod:`.namespaces`.
"""

from __future__ import annotations

import jinja2

from atlex_codegen import ir
from atlex_codegen.header import stamp
from atlex_codegen.render.namespaces import render_client, render_namespace
from atlex_codegen.render.text import docstring, pystr
from atlex_codegen.render.types import render_type_module

__all__ = ["docstring", "render"]


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("atlex_codegen", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pystr"] = pystr
    return env


def render(pkg: ir.Package) -> dict[str, str]:
    env = _env()
    files: dict[str, str] = {}
    for m in pkg.types:
        files[m.path] = render_type_module(env, m)
    for n in pkg.namespaces:
        files[n.path] = render_namespace(env, n).rstrip("\n") + "\n"  # the macro's newline
    if pkg.client is not None:
        files[pkg.client.path] = render_client(env, pkg.name, pkg.client)
    for init in pkg.inits:
        doc = docstring(init.doc or f"Generated package {init.module}.")
        files[init.path] = env.get_template("init.py.jinja").render(doc=doc)
    # each header carries the digest of its own file only: one changed lexicon rewrites only
    # the files whose content changed
    return {path: stamp(files[path]) for path in sorted(files)}
