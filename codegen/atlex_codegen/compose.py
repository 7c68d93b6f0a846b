"""Composition: one typed client over this package and the packages it references.

A package generated from ``com.example.*`` lexicons references the bundled ``atlex.lex`` (or
other ``--extern`` packages). Its ``Client`` extends theirs, and each of its namespaces that
also exists there (``com``, ``app.bsky`` ...) extends that namespace class, so
``client.com.example.*``, ``client.com.atproto.*`` and ``client.app.bsky.*`` are all on one
client, typed, without generating the upstream calls again. A package always has a client
module, even when its own lexicons declare no method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from atlex_codegen import ir
from atlex_codegen import schema as s
from atlex_codegen.load import Catalog
from atlex_codegen.lower.layout import namespace_class, namespace_modules

__all__ = ["compose"]


def _extern_classes(
    externals: Sequence[tuple[Catalog, str]],
) -> tuple[list[ir.Base], dict[str, list[ir.Base]]]:
    """The clients of the externals, and their namespace classes by namespace NSID."""
    clients: list[ir.Base] = []
    namespaces: dict[str, list[ir.Base]] = {}
    for catalog, name in externals:
        # the names that package was generated with follow from its method NSIDs alone
        methods = [
            nsid
            for nsid, doc in catalog.documents.items()
            if any(isinstance(d, s.QuerySchema | s.ProcedureSchema) for d in doc.defs.values())
        ]
        if not methods:
            continue
        clients.append(ir.Base(f"{name}.client", "Client", "AsyncClient"))
        for node, module in namespace_modules(methods, name).items():
            cls = namespace_class(node)
            namespaces.setdefault(".".join(node), []).append(ir.Base(module, cls, "Async" + cls))
    return clients, namespaces


def compose(pkg: ir.Package, externals: Sequence[tuple[Catalog, str]]) -> ir.Package:
    """``pkg`` with its client and namespaces extending those of ``externals`` (in order)."""
    clients, by_nsid = _extern_classes(externals)
    namespaces = tuple(replace(n, bases=tuple(by_nsid.get(n.nsid, ()))) for n in pkg.namespaces)
    client = pkg.client
    if client is None:
        module = f"{pkg.name}.client"
        client = ir.ClientModule(module, module.replace(".", "/") + ".py", ())
    return replace(pkg, namespaces=namespaces, client=replace(client, bases=tuple(clients)))
