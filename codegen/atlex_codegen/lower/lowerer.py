"""Stage 2 driver: catalog -> IR. Plans module and symbol names, lowers each document's defs
(objects, records; methods and subscriptions through :mod:`.methods`) and hands layout to
:mod:`.layout`, types to :mod:`.types`.

Pure: returns a ``Package`` plus the problems found (unresolved refs and the like). Iteration
follows sorted NSIDs and document order, so the result is deterministic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import msgspec
from msgspec import UnsetType

from atlex_codegen import ir
from atlex_codegen import schema as s
from atlex_codegen.load import Catalog, Document, Problem
from atlex_codegen.lower.layout import (
    import_aliases,
    module_names,
    module_paths,
    order_structs,
    package_inits,
    plan_namespaces,
)
from atlex_codegen.lower.methods import method, subscription
from atlex_codegen.lower.types import Symbol, TypeContext, classes, description_of, unions_in
from atlex_codegen.naming import Namer, camel_of, class_name, constant_name, field_name

__all__ = ["Lowerer", "ModuleState", "catalog_digest", "lower"]

# Names every generated type module defines or imports itself.
_MODULE_RESERVED = frozenset({"NSID", "ERRORS", "TYPE_CHECKING"})
# Attributes a generated struct must never shadow (runtime helpers live there).
_FIELD_RESERVED = frozenset({"validate"})


@dataclass
class ModuleState:
    """Per type module bookkeeping while lowering."""

    module: str
    namer: Namer
    structs: list[ir.Struct] = field(default_factory=lambda: [])
    aliases: list[ir.Alias] = field(default_factory=lambda: [])
    unions: dict[ir.TUnion, ir.UnionAlias] = field(default_factory=lambda: {})
    """Named field unions, by union: one alias per distinct union of the module."""


def lower(
    catalog: Catalog, package: str, externals: Sequence[tuple[Catalog, str]] = ()
) -> tuple[ir.Package, list[Problem]]:
    """Lower ``catalog`` into ``package``. ``externals`` are lexicon sets already generated
    into other packages (e.g. the bundled ``atlex.lex``): references into them use those
    classes instead of generating them again. A local document wins over an external one."""
    return Lowerer(catalog, package, externals).run()


def catalog_digest(catalog: Catalog) -> str:
    """Digest of the lexicon content (not of paths): it names the set in file headers."""
    h = hashlib.sha256()
    for nsid, doc in catalog.documents.items():
        h.update(nsid.encode() + b"\0")
        h.update(msgspec.json.encode({k: v for k, v in doc.defs.items()}) + b"\0")
    return h.hexdigest()


class Lowerer:
    """Catalog -> IR: plans names, lowers each document's defs, then lays out namespaces."""

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
        self.symbols: dict[tuple[str, str], Symbol] = {}
        self.states: dict[str, ModuleState] = {}
        self.tagged: set[tuple[str, str]] = set()
        self._document = ""  # the NSID being lowered: only its own fields get named unions

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
        namespaces, client = plan_namespaces(stubs, self.package)
        inits = package_inits(self.package, types, namespaces)
        pkg = ir.Package(
            name=self.package,
            digest=catalog_digest(self.local),
            types=tuple(types),
            namespaces=tuple(namespaces),
            client=client,
            inits=tuple(inits),
        )
        return pkg, sorted(self.problems)

    def problem(self, nsid: str, def_name: str, path: str, message: str) -> None:
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
            self.modules.update(module_names(list(ext.documents), ext_package))
        local = module_names(list(self.local.documents), self.package)
        self.modules.update(local)
        self.paths = module_paths(set(local.values()), self.package)

    def _plan_symbols(self) -> None:
        for nsid, doc in self.catalog.documents.items():
            module = self.modules[nsid]
            state = ModuleState(module, Namer(_MODULE_RESERVED))
            self.states[module] = state
            # main first: its conventional names win over same-named defs
            ordered = sorted(doc.defs.items(), key=lambda kv: kv[0] != "main")
            for def_name, d in ordered:
                name = self._symbol_name(state.namer, def_name, d)
                kind = d.__struct_config__.tag
                self.symbols[(nsid, def_name)] = Symbol(str(kind), module, name, nsid, def_name)

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
                for u in unions_in(d):
                    for ref in u.refs:
                        target = self.resolve(nsid, ref)
                        if target is not None:
                            targets.add(target)
        return targets

    def is_external(self, nsid: str) -> bool:
        return nsid not in self.local.documents

    def resolve(self, nsid: str, ref: str) -> tuple[str, str] | None:
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
        self._document = nsid
        constants: list[ir.Constant] = []
        errors: list[ir.ErrorClass] = []
        metadata: list[tuple[str, object]] = []
        stubs: list[ir.Stub] = []
        for def_name, d in doc.defs.items():
            sym = self.symbols[(nsid, def_name)]
            lex_id = nsid if def_name == "main" else f"{nsid}#{def_name}"
            ctx = TypeContext(self, nsid, def_name, module, f"$.defs.{def_name}")
            desc = description_of(d)
            if isinstance(d, s.TokenSchema):
                constants.append(ir.Constant(sym.name, lex_id, desc))
            elif isinstance(d, s.ObjectSchema):
                tag = lex_id if (nsid, def_name) in self.tagged else None
                state.structs.append(self.struct(ctx, sym.name, d, lex_id, tag, desc))
            elif isinstance(d, s.RecordSchema):
                rdesc = desc or description_of(d.record)
                struct = self.struct(ctx.at(".record"), sym.name, d.record, lex_id, lex_id, rdesc)
                state.structs.append(replace(struct, record_key=d.key))
            elif isinstance(d, s.QuerySchema | s.ProcedureSchema):
                stubs.append(method(self, ctx, d, state, errors))
            elif isinstance(d, s.SubscriptionSchema):
                stubs.append(subscription(self, ctx, d, state, errors))
            elif isinstance(d, s.PermissionSetSchema):
                definition = msgspec.to_builtins(d)
                metadata.append((sym.name, definition))
                if def_name == "main":
                    metadata.extend(_scope_constants(state.namer, nsid, definition))
            else:
                state.aliases.append(ir.Alias(sym.name, ctx.type_of(d), False, desc))
        structs = order_structs(module, state.structs)
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
            unions=tuple(state.unions.values()),
        )
        return type_module, stubs

    def struct(
        self,
        ctx: TypeContext,
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
            ftype = fctx.type_of(prop)
            if ctx.nsid == self._document:
                ftype = self._named_unions(ctx.module, name + class_name(wire), ftype)
            fields.append(
                ir.Field(
                    name=fname,
                    wire=wire,
                    rename=camel_of(fname) != wire,
                    type=ftype,
                    required=wire in required,
                    nullable=wire in nullable and not params,
                    default=default if has_default else None,  # type: ignore[arg-type]
                    has_default=has_default,
                    doc=description_of(prop),
                    union=union,
                    rules=tuple(fctx.rules_of(prop).items()),
                )
            )
        return ir.Struct(name, lex_id, tag, tuple(fields), doc)

    def _named_unions(self, module: str, name: str, t: ir.TypeExpr) -> ir.TypeExpr:
        """``t`` with its union (alone or as list items) replaced by the module's alias for it,
        declared on first use as ``name``. Fields of another document's struct (flattened
        into a call's arguments) keep theirs inline: that module names its own."""
        if isinstance(t, ir.TList):
            return ir.TList(self._named_unions(module, name, t.item))
        if not isinstance(t, ir.TUnion):
            return t
        state = self.states[module]
        alias = state.unions.get(t)
        if alias is None:
            alias = state.unions[t] = ir.UnionAlias(state.namer.take(name), t)
        return ir.TNamed(module, alias.name)

    def inline_object(self, ctx: TypeContext, obj: s.ObjectSchema) -> ir.TClass:
        """An object schema written inline (not per spec, accepted): a class of its own."""
        state = self.states[ctx.module]
        name = state.namer.take(class_name(ctx.owner or "Inline"))
        state.structs.append(self.struct(ctx, name, obj, None, None, description_of(obj)))
        return ir.TClass(ctx.module, name)

    # ---- imports -----------------------------------------------------------------------------

    def _imports(
        self, module: str, structs: tuple[ir.Struct, ...], aliases: list[ir.Alias]
    ) -> tuple[ir.Import, ...]:
        used: set[str] = set()
        for st in structs:
            for f in st.fields:
                used.update(c.module for c in classes(f.type))
        for a in aliases:
            used.update(c.module for c in classes(a.type))
        for u in self.states[module].unions.values():
            used.update(c.module for c in u.type.members)
        used.discard(module)
        return import_aliases(sorted(used))


def _scope_constants(namer: Namer, nsid: str, definition: object) -> list[tuple[str, object]]:
    """``SCOPE`` (the ``include:`` scope) and ``SCOPES`` (the granular scopes it grants) of a
    permission set, formatted by the runtime's own scope builders."""
    from atlex.oauth.scopes import permission_set  # only lexicons with permission sets need it

    access = permission_set(cast("dict[str, object]", definition), nsid)
    return [(namer.take("SCOPE"), access.scope), (namer.take("SCOPES"), access.scopes())]
