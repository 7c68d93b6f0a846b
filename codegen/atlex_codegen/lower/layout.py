"""Where generated things go: module names and file paths per NSID, the namespace tree and the
client, package ``__init__`` files, import aliases, class order within a module.

Pure functions of names; the type mapping is in :mod:`.types`, the driver in :mod:`.lowerer`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from atlex_codegen import ir
from atlex_codegen.lower.types import classes
from atlex_codegen.naming import CLIENT_ATTRIBUTES, Namer, class_name, field_name, module_segment

__all__ = [
    "ROOT_RESERVED",
    "import_aliases",
    "module_names",
    "module_paths",
    "namespace_class",
    "namespace_modules",
    "order_structs",
    "package_inits",
    "plan_namespaces",
]

# Root package members that an NSID's first segment must not take.
ROOT_RESERVED = frozenset({"client", "_ns"})


def module_names(nsids: list[str], package: str) -> dict[str, str]:
    """NSID -> dotted module, sanitised and collision-free (deterministic in sorted order)."""
    namers: dict[str, Namer] = {}
    chosen: dict[tuple[str, str], str] = {}
    out: dict[str, str] = {}
    for nsid in sorted(nsids):
        parent = package
        for i, seg in enumerate(nsid.split(".")):
            key = (parent, seg)
            if key not in chosen:
                reserved = ROOT_RESERVED if i == 0 else frozenset[str]()
                namer = namers.setdefault(parent, Namer(reserved))
                chosen[key] = namer.take(module_segment(seg), fold_case=True)
            parent = f"{parent}.{chosen[key]}"
        out[nsid] = parent
    return out


def module_paths(modules: set[str], package: str) -> dict[str, str]:
    """Dotted module -> file path (a module that has submodules is a package ``__init__``)."""
    parents = {m.rsplit(".", 1)[0] for m in modules}
    paths: dict[str, str] = {}
    for module in modules:
        rel = module.split(".")[len(package.split(".")) :]
        base = "/".join([*package.split("."), *rel])
        paths[module] = f"{base}/__init__.py" if module in parents else f"{base}.py"
    return paths


def import_aliases(modules: list[str]) -> tuple[ir.Import, ...]:
    """An alias for each module a module imports: ``_`` + its last segments, the fewest that
    tell it apart from the module's other imports and still say what it is: a one-word module
    keeps its parent (``app.bsky.feed.defs`` -> ``_feed_defs``; no alias can then be a
    helper such as ``_list``), a method's stands alone (``_get_timeline``)."""
    segments = {m: m.split(".") for m in modules}
    depth = {m: 1 if "_" in segments[m][-1] else 2 for m in modules}

    def tail(m: str) -> str:
        return "_".join(segments[m][-depth[m] :])

    while True:
        by_tail: dict[str, list[str]] = {}
        for m in modules:
            by_tail.setdefault(tail(m), []).append(m)
        clashes = [m for group in by_tail.values() if len(group) > 1 for m in group]
        grow = [m for m in clashes if depth[m] < len(segments[m])]
        if not grow:
            break
        for m in grow:
            depth[m] += 1
    namer = Namer()  # a clash left (one module path a tail of another): numbered
    imports: list[ir.Import] = []
    for m in modules:
        alias = namer.take("_" + tail(m))
        leaf = segments[m][-1]
        if len(f"        {leaf} as {alias},") > 100 and leaf not in namer:
            # even its wrapped import would be too long: the module keeps its own name
            alias = namer.take(leaf)
        imports.append(ir.Import(alias, m))
    return tuple(imports)


def namespace_class(node: tuple[str, ...]) -> str:
    """``("app", "bsky", "feed")`` -> ``AppBskyFeed`` (one class per namespace module)."""
    return "".join(class_name(module_segment(seg).strip("_") or "X") for seg in node)


def namespace_modules(method_nsids: Iterable[str], package: str) -> dict[tuple[str, ...], str]:
    """Namespace node (its NSID segments) -> module, for every namespace the methods need.

    Depends on the method NSIDs only, so composition can name another package's namespace
    classes without lowering that package again."""
    nodes: set[tuple[str, ...]] = set()
    for nsid in method_nsids:
        group = tuple(nsid.split(".")[:-1])
        for i in range(1, len(group) + 1):
            nodes.add(group[:i])
    ns_root = f"{package}._ns"
    seg_namers: dict[tuple[str, ...], Namer] = {}
    module_of: dict[tuple[str, ...], str] = {}
    for node in sorted(nodes):
        parent = node[:-1]
        namer = seg_namers.setdefault(parent, Namer())
        segment = namer.take(module_segment(node[-1]), fold_case=True)
        module_of[node] = (module_of[parent] if parent else ns_root) + "." + segment
    return module_of


def plan_namespaces(
    stubs: list[ir.Stub], package: str
) -> tuple[list[ir.Namespace], ir.ClientModule | None]:
    """The namespace tree of the call stubs (one module per NSID group) and the client."""
    if not stubs:
        return [], None
    by_group: dict[tuple[str, ...], list[ir.Stub]] = {}
    for stub in stubs:
        by_group.setdefault(tuple(stub.nsid.split(".")[:-1]), []).append(stub)
    module_of = namespace_modules([stub.nsid for stub in stubs], package)
    nodes = set(module_of)
    namespaces: list[ir.Namespace] = []
    for node in sorted(nodes):
        cls = namespace_class(node)
        namer = Namer()
        children: list[ir.Child] = []
        for child in sorted(n for n in nodes if n[:-1] == node):
            ccls = namespace_class(child)
            children.append(
                ir.Child(namer.take(field_name(child[-1])), module_of[child], ccls, "Async" + ccls)
            )
        node_stubs: list[ir.Stub] = []
        for stub in sorted(by_group.get(node, []), key=lambda st: st.nsid):
            node_stubs.append(replace(stub, name=namer.take(stub.name)))
        type_modules = sorted(
            {st.type_module for st in node_stubs}
            | {
                c.module
                for st in node_stubs
                for a in (*st.params, *st.input_args)
                for c in classes(a.type)
            }
        )
        imports = import_aliases(type_modules)
        alias_of = {imp.module: imp.alias for imp in imports}
        node_stubs = [replace(st, type_alias=alias_of[st.type_module]) for st in node_stubs]
        rel = module_of[node].split(".")
        namespaces.append(
            ir.Namespace(
                module=module_of[node],
                path="/".join(rel) + "/__init__.py",
                nsid=".".join(node),
                cls=cls,
                async_cls="Async" + cls,
                children=tuple(children),
                stubs=tuple(node_stubs),
                imports=imports,
            )
        )
    roots: list[ir.Child] = []
    namer = Namer(CLIENT_ATTRIBUTES)
    for node in sorted(n for n in nodes if len(n) == 1):
        ccls = namespace_class(node)
        roots.append(
            ir.Child(namer.take(field_name(node[0])), module_of[node], ccls, "Async" + ccls)
        )
    client_module = f"{package}.client"
    client = ir.ClientModule(client_module, client_module.replace(".", "/") + ".py", tuple(roots))
    return namespaces, client


def package_inits(
    package: str, types: list[ir.TypeModule], namespaces: list[ir.Namespace]
) -> list[ir.PackageInit]:
    """The ``__init__`` modules of folders that hold no generated module of their own."""
    files = {t.path for t in types} | {n.path for n in namespaces}
    dirs: set[str] = set()
    for f in files:
        parts = f.split("/")[:-1]
        for i in range(len(package.split(".")), len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    inits: list[ir.PackageInit] = []
    for d in sorted(dirs):
        path = d + "/__init__.py"
        if path in files:
            continue
        module = d.replace("/", ".")
        doc = "Generated lexicon bindings." if module == package else None
        inits.append(ir.PackageInit(module, path, doc))
    return inits


def order_structs(module: str, structs: list[ir.Struct]) -> tuple[ir.Struct, ...]:
    """Dependencies first (document order otherwise), so that fewer annotations need quotes."""
    by_name = {st.name: st for st in structs}
    done: dict[str, ir.Struct] = {}
    visiting: set[str] = set()

    def visit(st: ir.Struct) -> None:
        if st.name in done or st.name in visiting:
            return
        visiting.add(st.name)
        for f in st.fields:
            for c in classes(f.type):
                if c.module == module and c.name in by_name:
                    visit(by_name[c.name])
        visiting.discard(st.name)
        done[st.name] = st

    for st in structs:
        visit(st)
    return tuple(done.values())
