"""Stage 2: catalog -> IR. Resolves refs, names everything, decides types and imports.

Pure: returns a ``Package`` plus the problems found (unresolved refs and the like). Iteration
follows sorted NSIDs and document order, so the result is deterministic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec
from msgspec import UnsetType

from atlex_codegen import ir
from atlex_codegen import schema as s
from atlex_codegen.load import Catalog, Document, Problem
from atlex_codegen.naming import (
    CLIENT_ATTRIBUTES,
    Namer,
    camel_of,
    class_name,
    constant_name,
    field_name,
    module_segment,
)

__all__ = ["lower"]

# Names every generated type module defines or imports itself.
_MODULE_RESERVED = frozenset({"NSID", "ERRORS", "TYPE_CHECKING"})
# Attributes a generated struct must never shadow (runtime helpers live there).
_FIELD_RESERVED = frozenset({"validate"})
# Root package members that an NSID's first segment must not take.
_ROOT_RESERVED = frozenset({"client", "_ns"})
_JSON = "application/json"


@dataclass(frozen=True)
class _Symbol:
    kind: str  # the def's lexicon type
    module: str
    name: str
    nsid: str
    def_name: str


@dataclass
class _ModuleState:
    """Per type module bookkeeping while lowering."""

    module: str
    namer: Namer
    structs: list[ir.Struct] = field(default_factory=lambda: [])
    aliases: list[ir.Alias] = field(default_factory=lambda: [])


def lower(
    catalog: Catalog, package: str, externals: Sequence[tuple[Catalog, str]] = ()
) -> tuple[ir.Package, list[Problem]]:
    """Lower ``catalog`` into ``package``. ``externals`` are lexicon sets already generated
    into other packages (e.g. the bundled ``atlex.lex``): references into them use those
    classes instead of generating them again. A local document wins over an external one."""
    return _Lowerer(catalog, package, externals).run()


def catalog_digest(catalog: Catalog) -> str:
    """Digest of the lexicon content (not of paths): it names the set in file headers."""
    h = hashlib.sha256()
    for nsid, doc in catalog.documents.items():
        h.update(nsid.encode() + b"\0")
        h.update(msgspec.json.encode({k: v for k, v in doc.defs.items()}) + b"\0")
    return h.hexdigest()


class _Lowerer:
    def __init__(
        self, catalog: Catalog, package: str, externals: Sequence[tuple[Catalog, str]] = ()
    ) -> None:
        self.local = catalog
        self.externals = list(externals)
        documents: dict[str, Document] = {}
        for ext, _ in self.externals:
            documents.update(ext.documents)
        documents.update(catalog.documents)
        # every document refs may point at; only the local ones are generated
        self.catalog = Catalog(documents)
        self.package = package
        self.extern_tagged: set[tuple[str, str]] = set()
        self.problems: list[Problem] = []
        self._reported: set[tuple[str, str, str, str]] = set()
        self.modules: dict[str, str] = {}  # nsid -> dotted module
        self.paths: dict[str, str] = {}  # dotted module -> file path
        self.symbols: dict[tuple[str, str], _Symbol] = {}
        self.states: dict[str, _ModuleState] = {}
        self.tagged: set[tuple[str, str]] = set()

    # ---- driver ------------------------------------------------------------------------------

    def run(self) -> tuple[ir.Package, list[Problem]]:
        self._plan_modules()
        self._plan_symbols()
        self._find_union_members()
        types: list[ir.TypeModule] = []
        stubs: list[ir.Stub] = []
        for nsid, doc in self.local.documents.items():
            module, doc_stubs = self._lower_document(nsid, doc)
            types.append(module)
            stubs.extend(doc_stubs)
        namespaces, client = self._plan_namespaces(stubs)
        inits = self._package_inits(types, namespaces)
        pkg = ir.Package(
            name=self.package,
            digest=catalog_digest(self.local),
            types=tuple(types),
            namespaces=tuple(namespaces),
            client=client,
            inits=tuple(inits),
        )
        return pkg, sorted(self.problems)

    def _problem(self, nsid: str, def_name: str, path: str, message: str) -> None:
        key = (nsid, def_name, path, message)
        if key in self._reported:
            return
        self._reported.add(key)
        source = self.catalog.documents[nsid].source if nsid in self.catalog.documents else ""
        self.problems.append(Problem(source, nsid, def_name, path, message))

    # ---- module and symbol planning ----------------------------------------------------------

    def _plan_modules(self) -> None:
        # externals are planned exactly as their own generation planned them
        for ext, ext_package in self.externals:
            self.modules.update(_module_names(list(ext.documents), ext_package))
        local = _module_names(list(self.local.documents), self.package)
        self.modules.update(local)
        all_modules = set(local.values())
        parents = {m.rsplit(".", 1)[0] for m in all_modules}
        for module in all_modules:
            rel = module.split(".")[len(self.package.split(".")) :]
            base = "/".join([*self.package.split("."), *rel])
            self.paths[module] = f"{base}/__init__.py" if module in parents else f"{base}.py"

    def _plan_symbols(self) -> None:
        for nsid, doc in self.catalog.documents.items():
            module = self.modules[nsid]
            state = _ModuleState(module, Namer(_MODULE_RESERVED))
            self.states[module] = state
            # main first: its conventional names win over same-named defs
            ordered = sorted(doc.defs.items(), key=lambda kv: kv[0] != "main")
            for def_name, d in ordered:
                name = self._symbol_name(state.namer, def_name, d)
                kind = d.__struct_config__.tag
                self.symbols[(nsid, def_name)] = _Symbol(str(kind), module, name, nsid, def_name)

    @staticmethod
    def _symbol_name(namer: Namer, def_name: str, d: s.DefSchema) -> str:
        if isinstance(d, s.QuerySchema | s.ProcedureSchema | s.SubscriptionSchema):
            return ""  # methods have no symbol of their own; Params/Input/Output are taken later
        if isinstance(d, s.PermissionSetSchema):
            return namer.take("PERMISSION_SET")
        if isinstance(d, s.TokenSchema):
            return namer.take("MAIN" if def_name == "main" else constant_name(def_name))
        if def_name == "main":
            return namer.take("Record" if isinstance(d, s.RecordSchema) else "Main")
        return namer.take(class_name(def_name))

    def _find_union_members(self) -> None:
        for ext, _ in self.externals:
            self.extern_tagged |= self._union_targets(ext)
        self.tagged = self._union_targets(self.local) | self.extern_tagged

    def _union_targets(self, catalog: Catalog) -> set[tuple[str, str]]:
        targets: set[tuple[str, str]] = set()
        for nsid, doc in catalog.documents.items():
            for d in doc.defs.values():
                for u in _unions_in(d):
                    for ref in u.refs:
                        target = self._resolve(nsid, ref)
                        if target is not None:
                            targets.add(target)
        return targets

    def is_external(self, nsid: str) -> bool:
        return nsid not in self.local.documents

    def _resolve(self, nsid: str, ref: str) -> tuple[str, str] | None:
        if ref.startswith("#"):
            key = (nsid, ref[1:])
        elif "#" in ref:
            target, _, name = ref.partition("#")
            key = (target, name)
        else:
            key = (ref, "main")
        return key if key in self.symbols else None

    # ---- documents ---------------------------------------------------------------------------

    def _lower_document(self, nsid: str, doc: Document) -> tuple[ir.TypeModule, list[ir.Stub]]:
        module = self.modules[nsid]
        state = self.states[module]
        constants: list[ir.Constant] = []
        errors: list[ir.ErrorClass] = []
        metadata: list[tuple[str, object]] = []
        stubs: list[ir.Stub] = []
        for def_name, d in doc.defs.items():
            sym = self.symbols[(nsid, def_name)]
            lex_id = nsid if def_name == "main" else f"{nsid}#{def_name}"
            ctx = _Ctx(self, nsid, def_name, module, f"$.defs.{def_name}")
            desc = _desc(d)
            if isinstance(d, s.TokenSchema):
                constants.append(ir.Constant(sym.name, lex_id, desc))
            elif isinstance(d, s.ObjectSchema):
                tag = lex_id if (nsid, def_name) in self.tagged else None
                state.structs.append(self._struct(ctx, sym.name, d, lex_id, tag, desc))
            elif isinstance(d, s.RecordSchema):
                rdesc = desc or _desc(d.record)
                struct = self._struct(ctx.at(".record"), sym.name, d.record, lex_id, lex_id, rdesc)
                state.structs.append(replace(struct, record_key=d.key))
            elif isinstance(d, s.QuerySchema | s.ProcedureSchema):
                stubs.append(self._method(ctx, d, state, errors))
            elif isinstance(d, s.SubscriptionSchema):
                self._subscription(ctx, d, state, errors)
            elif isinstance(d, s.PermissionSetSchema):
                metadata.append((sym.name, msgspec.to_builtins(d)))
            else:
                state.aliases.append(ir.Alias(sym.name, ctx.type_of(d), False, desc))
        structs = _order_structs(module, state.structs)
        imports = self._imports(module, structs, state.aliases)
        type_module = ir.TypeModule(
            module=module,
            path=self.paths[module],
            nsid=nsid,
            doc=doc.description,
            imports=imports,
            constants=tuple(constants),
            structs=structs,
            aliases=tuple(state.aliases),
            errors=tuple(errors),
            metadata=tuple(metadata),
        )
        return type_module, stubs

    def _struct(
        self,
        ctx: _Ctx,
        name: str,
        obj: s.ObjectSchema,
        lex_id: str | None,
        tag: str | None,
        doc: str | None,
        *,
        params: bool = False,
    ) -> ir.Struct:
        namer = Namer(_FIELD_RESERVED)
        fields: list[ir.Field] = []
        required = set(obj.required)
        nullable = set(obj.nullable)
        for wire, prop in obj.properties.items():
            fctx = ctx.at(f".properties.{wire}", owner=name + class_name(wire))
            fname = namer.take(field_name(wire))
            default = getattr(prop, "default", msgspec.UNSET)
            has_default = not isinstance(default, UnsetType)
            union: Any = None
            u = prop.items if isinstance(prop, s.ArraySchema) else prop
            if isinstance(u, s.UnionSchema):
                single = len(u.refs) == 1
                union = {
                    (True, True): "closed-single",
                    (True, False): "closed",
                    (False, True): "single",
                    (False, False): None,
                }[(u.closed, single)]
            fields.append(
                ir.Field(
                    name=fname,
                    wire=wire,
                    rename=camel_of(fname) != wire,
                    type=fctx.type_of(prop),
                    required=wire in required,
                    nullable=wire in nullable and not params,
                    default=default if has_default else None,  # type: ignore[arg-type]
                    has_default=has_default,
                    doc=_desc(prop),
                    union=union,
                    rules=tuple(fctx.rules_of(prop).items()),
                )
            )
        return ir.Struct(name, lex_id, tag, tuple(fields), doc)

    def _inline_object(self, ctx: _Ctx, obj: s.ObjectSchema) -> ir.TClass:
        """An object schema written inline (not per spec, accepted): a class of its own."""
        state = self.states[ctx.module]
        name = state.namer.take(class_name(ctx.owner or "Inline"))
        state.structs.append(self._struct(ctx, name, obj, None, None, _desc(obj)))
        return ir.TClass(ctx.module, name)

    # ---- methods -----------------------------------------------------------------------------

    def _method(
        self,
        ctx: _Ctx,
        d: s.QuerySchema | s.ProcedureSchema,
        state: _ModuleState,
        errors: list[ir.ErrorClass],
    ) -> ir.Stub:
        nsid, module = ctx.nsid, ctx.module
        kind: Any = "query" if isinstance(d, s.QuerySchema) else "procedure"
        params_struct = self._params(ctx, d.parameters, state)
        input_kind: Any = None
        input_encoding: str | None = None
        input_obj: tuple[ir.Field, ...] | None = None
        input_union: ir.TypeExpr | None = None
        if isinstance(d, s.ProcedureSchema) and isinstance(d.input, s.Body):
            input_encoding = d.input.encoding
            input_kind = "json" if _is_json(d.input.encoding) else "binary"
            if input_kind == "json":
                input_obj, input_union = self._body(
                    ctx.at(".input.schema"), d.input, "Input", state
                )
        output_kind: Any = None
        output_encoding: str | None = None
        output_schema = False
        returns: ir.TypeExpr | None = None
        if isinstance(d.output, s.Body):
            output_encoding = d.output.encoding
            output_kind = "json" if _is_json(d.output.encoding) else "binary"
            if output_kind == "binary":
                returns = ir.TScalar("bytes")
            elif isinstance(d.output.schema, UnsetType):
                returns = ir.TScalar("dict")
            else:
                self._body(ctx.at(".output.schema"), d.output, "Output", state)
                output_schema = True
                returns = ir.TClass(module, "Output")
        for e in d.errors:
            ename = e.name if e.name.endswith("Error") else e.name + "Error"
            errors.append(ir.ErrorClass(state.namer.take(class_name(ename)), e.name, _desc(e)))
        # keyword arguments of the stub: params, then the input object's fields
        namer = Namer(frozenset({"self", "options"}))
        if input_kind == "binary":
            namer = Namer(frozenset({"self", "options", "data", "content_type"}))
        params = tuple(_arg(namer, f) for f in (params_struct.fields if params_struct else ()))
        input_args: tuple[ir.Arg, ...] = ()
        if input_obj is not None:
            input_args = tuple(_arg(namer, f) for f in input_obj)
        elif input_union is not None:
            input_args = (
                ir.Arg(namer.take("input"), "", input_union, True, None, False, "The input body."),
            )
        last = nsid.rsplit(".", 1)[1]
        return ir.Stub(
            name=field_name(last),
            nsid=nsid,
            kind=kind,
            const="_" + constant_name(last),
            type_module=module,
            type_alias="",
            params=params,
            input_kind=input_kind,
            input_args=input_args,
            input_encoding=input_encoding,
            output_kind=output_kind,
            output_schema=output_schema,
            output_encoding=output_encoding,
            returns=returns,
            has_params_struct=params_struct is not None,
            doc=_desc(d),
        )

    def _params(
        self, ctx: _Ctx, p: s.ParamsSchema | UnsetType, state: _ModuleState
    ) -> ir.Struct | None:
        if isinstance(p, UnsetType):
            return None
        obj = s.ObjectSchema(properties=p.properties, required=p.required)
        name = state.namer.take("Params")
        struct = self._struct(ctx.at(".parameters"), name, obj, None, None, _desc(p), params=True)
        state.structs.append(struct)
        return struct

    def _body(
        self, ctx: _Ctx, body: s.Body, name: str, state: _ModuleState
    ) -> tuple[tuple[ir.Field, ...] | None, ir.TypeExpr | None]:
        """Lower an input/output body. Returns (object fields to flatten, or a union type)."""
        schema = body.schema
        if isinstance(schema, UnsetType):
            return None, None
        if isinstance(schema, s.ObjectSchema):
            taken = state.namer.take(name)
            struct = self._struct(ctx, taken, schema, None, None, _desc(body) or _desc(schema))
            state.structs.append(struct)
            return struct.fields, None
        target = ctx.type_of(schema)
        state.namer.take(name)
        state.aliases.append(ir.Alias(name, target, True, _desc(body)))
        if isinstance(schema, s.RefSchema) and isinstance(target, ir.TClass):
            resolved = self._resolve(ctx.nsid, _absolute(ctx.nsid, schema.ref))
            if resolved is not None:
                doc = self.catalog.documents[resolved[0]]
                d = doc.defs[resolved[1]]
                obj = d.record if isinstance(d, s.RecordSchema) else d
                if isinstance(obj, s.ObjectSchema):
                    tctx = _Ctx(self, resolved[0], resolved[1], self.modules[resolved[0]], "")
                    struct = self._struct(tctx, target.name, obj, None, None, None)
                    return struct.fields, None
        return None, target

    def _subscription(
        self,
        ctx: _Ctx,
        d: s.SubscriptionSchema,
        state: _ModuleState,
        errors: list[ir.ErrorClass],
    ) -> None:
        self._params(ctx, d.parameters, state)
        if isinstance(d.message, s.Message):
            union = ctx.at(".message.schema").type_of(d.message.schema)
            name = state.namer.take("Message")
            state.aliases.append(ir.Alias(name, union, True, _desc(d.message)))
        for e in d.errors:
            ename = e.name if e.name.endswith("Error") else e.name + "Error"
            errors.append(ir.ErrorClass(state.namer.take(class_name(ename)), e.name, _desc(e)))

    # ---- imports -----------------------------------------------------------------------------

    def _imports(
        self, module: str, structs: tuple[ir.Struct, ...], aliases: list[ir.Alias]
    ) -> tuple[ir.Import, ...]:
        used: set[str] = set()
        for st in structs:
            for f in st.fields:
                used.update(c.module for c in _classes(f.type))
        for a in aliases:
            used.update(c.module for c in _classes(a.type))
        used.discard(module)
        return self.import_aliases(sorted(used))

    def import_aliases(self, modules: list[str]) -> tuple[ir.Import, ...]:
        namer = Namer()
        prefix = self.package + "."
        out: list[ir.Import] = []
        for m in modules:
            rel = m[len(prefix) :] if m.startswith(prefix) else m
            out.append(ir.Import(namer.take("_" + rel.replace(".", "_")), m))
        return tuple(out)

    # ---- namespaces --------------------------------------------------------------------------

    def _plan_namespaces(
        self, stubs: list[ir.Stub]
    ) -> tuple[list[ir.Namespace], ir.ClientModule | None]:
        if not stubs:
            return [], None
        by_group: dict[tuple[str, ...], list[ir.Stub]] = {}
        for stub in stubs:
            by_group.setdefault(tuple(stub.nsid.split(".")[:-1]), []).append(stub)
        nodes: set[tuple[str, ...]] = set()
        for group in by_group:
            for i in range(1, len(group) + 1):
                nodes.add(group[:i])
        ns_root = f"{self.package}._ns"
        seg_namers: dict[tuple[str, ...], Namer] = {}
        seg_names: dict[tuple[str, ...], str] = {}
        module_of: dict[tuple[str, ...], str] = {}
        for node in sorted(nodes):
            parent = node[:-1]
            if node not in seg_names:
                namer = seg_namers.setdefault(parent, Namer())
                seg_names[node] = namer.take(module_segment(node[-1]), fold_case=True)
            module_of[node] = (module_of[parent] if parent else ns_root) + "." + seg_names[node]
        namespaces: list[ir.Namespace] = []
        for node in sorted(nodes):
            cls = _namespace_class(node)
            namer = Namer()
            children: list[ir.Child] = []
            for child in sorted(n for n in nodes if n[:-1] == node):
                ccls = _namespace_class(child)
                children.append(
                    ir.Child(
                        namer.take(field_name(child[-1])), module_of[child], ccls, "Async" + ccls
                    )
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
                    for c in _classes(a.type)
                }
            )
            imports = self.import_aliases(type_modules)
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
            ccls = _namespace_class(node)
            roots.append(
                ir.Child(namer.take(field_name(node[0])), module_of[node], ccls, "Async" + ccls)
            )
        client_module = f"{self.package}.client"
        client = ir.ClientModule(
            client_module, client_module.replace(".", "/") + ".py", tuple(roots)
        )
        return namespaces, client

    def _package_inits(
        self, types: list[ir.TypeModule], namespaces: list[ir.Namespace]
    ) -> list[ir.PackageInit]:
        files = {t.path for t in types} | {n.path for n in namespaces}
        dirs: set[str] = set()
        for f in files:
            parts = f.split("/")[:-1]
            for i in range(len(self.package.split(".")), len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        inits: list[ir.PackageInit] = []
        for d in sorted(dirs):
            path = d + "/__init__.py"
            if path in files:
                continue
            module = d.replace("/", ".")
            doc = "Generated lexicon bindings." if module == self.package else None
            inits.append(ir.PackageInit(module, path, doc))
        return inits


@dataclass(frozen=True)
class _Ctx:
    """Where in the catalog a schema sits: for naming inline objects and reporting problems."""

    lowerer: _Lowerer
    nsid: str
    def_name: str
    module: str
    path: str
    owner: str = ""

    def at(self, suffix: str, owner: str | None = None) -> _Ctx:
        return _Ctx(
            self.lowerer, self.nsid, self.def_name, self.module, self.path + suffix,
            self.owner if owner is None else owner,
        )  # fmt: skip

    def problem(self, message: str) -> None:
        self.lowerer._problem(self.nsid, self.def_name, self.path, message)  # pyright: ignore[reportPrivateUsage]

    def type_of(self, sch: Any, depth: int = 0) -> ir.TypeExpr:
        if isinstance(sch, s.BooleanSchema):
            if not isinstance(sch.const, UnsetType):
                return ir.TLiteral((sch.const,))
            return ir.TScalar("bool")
        if isinstance(sch, s.IntegerSchema):
            if not isinstance(sch.const, UnsetType):
                return ir.TLiteral((sch.const,))
            if not isinstance(sch.enum, UnsetType) and sch.enum:
                return ir.TLiteral(tuple(sch.enum))
            return ir.TScalar("int")
        if isinstance(sch, s.StringSchema):
            if not isinstance(sch.const, UnsetType):
                return ir.TLiteral((sch.const,))
            if not isinstance(sch.enum, UnsetType) and sch.enum:
                return ir.TLiteral(tuple(dict.fromkeys(sch.enum)))
            if not isinstance(sch.known_values, UnsetType) and sch.known_values:
                return ir.TLiteral(tuple(dict.fromkeys(sch.known_values)), open=True)
            return ir.TScalar("str")
        if isinstance(sch, s.BytesSchema):
            return ir.TScalar("Bytes")
        if isinstance(sch, s.CidLinkSchema):
            return ir.TScalar("CidLink")
        if isinstance(sch, s.BlobSchema):
            return ir.TScalar("Blob")
        if isinstance(sch, s.UnknownSchema):
            return ir.TScalar("dict")
        if isinstance(sch, s.ArraySchema):
            return ir.TList(self.at(".items").type_of(sch.items, depth))
        if isinstance(sch, s.ObjectSchema):
            return self.lowerer._inline_object(self, sch)  # pyright: ignore[reportPrivateUsage]
        if isinstance(sch, s.RefSchema):
            return self._ref(sch.ref, depth)
        if isinstance(sch, s.UnionSchema):
            return self._union(sch)
        self.problem(f"unsupported schema {type(sch).__name__}; typed as a plain object")
        return ir.TScalar("dict")

    def rules_of(self, sch: Any, depth: int = 0) -> dict[str, object]:
        """The constraints ``validate()`` enforces for a field of schema ``sch``."""
        r: dict[str, object] = {}

        def put(key: str, value: object) -> None:
            if not isinstance(value, UnsetType):
                r[key] = value

        if isinstance(sch, s.StringSchema):
            put("format", sch.format)
            put("max_bytes", sch.max_length)
            put("min_bytes", sch.min_length)
            put("max_graphemes", sch.max_graphemes)
            put("min_graphemes", sch.min_graphemes)
        elif isinstance(sch, s.IntegerSchema):
            put("minimum", sch.minimum)
            put("maximum", sch.maximum)
        elif isinstance(sch, s.BytesSchema):
            put("max_bytes", sch.max_length)
            put("min_bytes", sch.min_length)
        elif isinstance(sch, s.BlobSchema):
            put("accept", sch.accept)
            put("max_size", sch.max_size)
        elif isinstance(sch, s.ArraySchema):
            put("max_items", sch.max_length)
            put("min_items", sch.min_length)
            items = self.rules_of(sch.items, depth)
            if items:
                r["items"] = items
        elif isinstance(sch, s.RefSchema) and depth < 20:
            key = self.lowerer._resolve(self.nsid, sch.ref)  # pyright: ignore[reportPrivateUsage]
            if key is not None:
                target = self.lowerer.catalog.documents[key[0]].defs[key[1]]
                if isinstance(
                    target,
                    s.StringSchema | s.IntegerSchema | s.ArraySchema | s.BytesSchema | s.BlobSchema,
                ):
                    sym = self.lowerer.symbols[key]
                    tctx = _Ctx(self.lowerer, key[0], key[1], sym.module, f"$.defs.{key[1]}")
                    return tctx.rules_of(target, depth + 1)
        elif isinstance(sch, s.UnionSchema) and not sch.refs:
            r["typed"] = True  # an empty union still requires a $type
        elif isinstance(sch, s.UnknownSchema):
            r["object"] = True  # any data-model object, but not bytes, a link or a blob
        return r

    def _ref(self, ref: str, depth: int) -> ir.TypeExpr:
        key = self.lowerer._resolve(self.nsid, ref)  # pyright: ignore[reportPrivateUsage]
        if key is None:
            self.problem(f"unresolved reference {ref!r}; typed as a plain object")
            return ir.TScalar("dict")
        sym = self.lowerer.symbols[key]
        target = self.lowerer.catalog.documents[key[0]].defs[key[1]]
        if isinstance(target, s.ObjectSchema | s.RecordSchema):
            return ir.TClass(sym.module, sym.name)
        if isinstance(target, s.TokenSchema):
            self.problem(
                f"reference {ref!r} points at a token (tokens cannot be referenced); typed as str"
            )
            return ir.TScalar("str")
        if isinstance(
            target, s.QuerySchema | s.ProcedureSchema | s.SubscriptionSchema | s.PermissionSetSchema
        ):
            self.problem(f"reference {ref!r} points at a {sym.kind}; typed as a plain object")
            return ir.TScalar("dict")
        if depth > 20:
            self.problem(
                f"reference {ref!r} is part of a cycle of named types; typed as a plain object"
            )
            return ir.TScalar("dict")
        # named string / array / scalar defs are inlined where they are used
        tctx = _Ctx(self.lowerer, key[0], key[1], sym.module, f"$.defs.{key[1]}", self.owner)
        return tctx.type_of(target, depth + 1)

    def _union(self, u: s.UnionSchema) -> ir.TypeExpr:
        members: list[ir.TClass] = []
        for ref in dict.fromkeys(u.refs):
            key = self.lowerer._resolve(self.nsid, ref)  # pyright: ignore[reportPrivateUsage]
            if key is None:
                self.problem(f"unresolved union member {ref!r}; left out of the union")
                continue
            target = self.lowerer.catalog.documents[key[0]].defs[key[1]]
            if not isinstance(target, s.ObjectSchema | s.RecordSchema):
                self.problem(
                    f"union member {ref!r} is not an object or record; left out of the union"
                )
                continue
            sym = self.lowerer.symbols[key]
            if self.lowerer.is_external(key[0]) and key not in self.lowerer.extern_tagged:
                self.problem(
                    f"union member {ref!r} is generated untagged in {sym.module} (no union "
                    "there lists it), so it cannot be told apart here; left out of the union"
                )
                continue
            members.append(ir.TClass(sym.module, sym.name))
        if not members:
            return ir.TScalar("dict")
        return ir.TUnion(tuple(members), open=not u.closed)


def _namespace_class(node: tuple[str, ...]) -> str:
    """``("app", "bsky", "feed")`` -> ``AppBskyFeed`` (one class per namespace module)."""
    return "".join(class_name(module_segment(seg).strip("_") or "X") for seg in node)


def _module_names(nsids: list[str], package: str) -> dict[str, str]:
    """NSID -> dotted module, sanitised and collision-free (deterministic in sorted order)."""
    namers: dict[str, Namer] = {}
    chosen: dict[tuple[str, str], str] = {}
    out: dict[str, str] = {}
    for nsid in sorted(nsids):
        parent = package
        for i, seg in enumerate(nsid.split(".")):
            key = (parent, seg)
            if key not in chosen:
                reserved = _ROOT_RESERVED if i == 0 else frozenset[str]()
                namer = namers.setdefault(parent, Namer(reserved))
                chosen[key] = namer.take(module_segment(seg), fold_case=True)
            parent = f"{parent}.{chosen[key]}"
        out[nsid] = parent
    return out


def _arg(namer: Namer, f: ir.Field) -> ir.Arg:
    return ir.Arg(
        name=namer.take(f.name),
        wire=f.wire,
        type=f.type,
        required=f.required,
        default=f.default,
        has_default=f.has_default,
        doc=f.doc,
    )


def _is_json(encoding: str) -> bool:
    return encoding == _JSON or encoding.startswith(_JSON + ";")


def _absolute(nsid: str, ref: str) -> str:
    return nsid + ref if ref.startswith("#") else ref


def _desc(x: Any) -> str | None:
    d = getattr(x, "description", None)
    return d if isinstance(d, str) and d else None


def _classes(t: ir.TypeExpr) -> Iterator[ir.TClass]:
    if isinstance(t, ir.TClass):
        yield t
    elif isinstance(t, ir.TUnion):
        yield from t.members
    elif isinstance(t, ir.TList):
        yield from _classes(t.item)


def _unions_in(x: Any) -> Iterator[s.UnionSchema]:
    """Every union schema nested anywhere in a def (walking only where schemas can nest)."""
    if isinstance(x, s.UnionSchema):
        yield x
    elif isinstance(x, s.ObjectSchema | s.ParamsSchema):
        for prop in x.properties.values():
            yield from _unions_in(prop)
    elif isinstance(x, s.ArraySchema):
        yield from _unions_in(x.items)
    elif isinstance(x, s.RecordSchema):
        yield from _unions_in(x.record)
    elif isinstance(x, s.QuerySchema | s.ProcedureSchema | s.SubscriptionSchema):
        yield from _unions_in(x.parameters)
        if isinstance(x, s.ProcedureSchema) and isinstance(x.input, s.Body):
            yield from _unions_in(x.input.schema)
        if not isinstance(x, s.SubscriptionSchema) and isinstance(x.output, s.Body):
            yield from _unions_in(x.output.schema)
        if isinstance(x, s.SubscriptionSchema) and isinstance(x.message, s.Message):
            yield from _unions_in(x.message.schema)


def _order_structs(module: str, structs: list[ir.Struct]) -> tuple[ir.Struct, ...]:
    """Dependencies first (document order otherwise), so that fewer annotations need quotes."""
    by_name = {st.name: st for st in structs}
    done: dict[str, ir.Struct] = {}
    visiting: set[str] = set()

    def visit(st: ir.Struct) -> None:
        if st.name in done or st.name in visiting:
            return
        visiting.add(st.name)
        for f in st.fields:
            for c in _classes(f.type):
                if c.module == module and c.name in by_name:
                    visit(by_name[c.name])
        visiting.discard(st.name)
        done[st.name] = st

    for st in structs:
        visit(st)
    return tuple(done.values())
