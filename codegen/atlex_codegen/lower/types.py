"""Lexicon schema -> IR type expression (``type_of``) and ``validate()`` rules (``rules_of``).

One job: map a schema at a place in the catalog to the Python type and the constraints of that
place. Naming, module planning and method lowering live in :mod:`.lowerer` and :mod:`.layout`;
what this needs from them is the :class:`Scope` protocol.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from msgspec import UnsetType

from atlex_codegen import ir
from atlex_codegen import schema as s
from atlex_codegen.load import Catalog

__all__ = ["Scope", "Symbol", "TypeContext", "classes", "description_of", "unions_in"]


@dataclass(frozen=True)
class Symbol:
    kind: str  # the def's lexicon type
    module: str
    name: str
    nsid: str
    def_name: str


class Scope(Protocol):
    """What type mapping needs from the lowering around it."""

    catalog: Catalog
    symbols: dict[tuple[str, str], Symbol]
    extern_tagged: set[tuple[str, str]]

    def problem(self, nsid: str, def_name: str, path: str, message: str) -> None: ...

    def resolve(self, nsid: str, ref: str) -> tuple[str, str] | None: ...

    def is_external(self, nsid: str) -> bool: ...

    def inline_object(self, ctx: TypeContext, obj: s.ObjectSchema) -> ir.TClass: ...


@dataclass(frozen=True)
class TypeContext:
    """Where in the catalog a schema sits: for naming inline objects and reporting problems."""

    scope: Scope
    nsid: str
    def_name: str
    module: str
    path: str
    owner: str = ""

    def at(self, suffix: str, owner: str | None = None) -> TypeContext:
        return TypeContext(
            self.scope, self.nsid, self.def_name, self.module, self.path + suffix,
            self.owner if owner is None else owner,
        )  # fmt: skip

    def problem(self, message: str) -> None:
        self.scope.problem(self.nsid, self.def_name, self.path, message)

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
            if isinstance(sch.format, str) and sch.format in ir.FORMAT_ALIASES:
                return ir.TScalar(ir.FORMAT_ALIASES[sch.format])
            return ir.TScalar("str")
        if isinstance(sch, s.BytesSchema):
            return ir.TScalar("Bytes")
        if isinstance(sch, s.CidLinkSchema):
            return ir.TScalar("CidLink")
        if isinstance(sch, s.BlobSchema):
            return ir.TScalar("Blob")
        if isinstance(sch, s.UnknownSchema):
            # msgspec.Raw at run time, decoded on first read (atlex._lazy); the `object` rule
            # below is what makes the runtime install that lazy read
            return ir.TScalar("unknown")
        if isinstance(sch, s.ArraySchema):
            return ir.TList(self.at(".items").type_of(sch.items, depth))
        if isinstance(sch, s.ObjectSchema):
            return self.scope.inline_object(self, sch)
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
            key = self.scope.resolve(self.nsid, sch.ref)
            if key is not None:
                target = self.scope.catalog.documents[key[0]].defs[key[1]]
                if isinstance(
                    target,
                    s.StringSchema | s.IntegerSchema | s.ArraySchema | s.BytesSchema | s.BlobSchema,
                ):
                    sym = self.scope.symbols[key]
                    tctx = TypeContext(self.scope, key[0], key[1], sym.module, f"$.defs.{key[1]}")
                    return tctx.rules_of(target, depth + 1)
        elif isinstance(sch, s.UnionSchema) and not sch.refs:
            r["typed"] = True  # an empty union still requires a $type
        elif isinstance(sch, s.UnknownSchema):
            r["object"] = True  # any data-model object, but not bytes, a link or a blob
        return r

    def _ref(self, ref: str, depth: int) -> ir.TypeExpr:
        key = self.scope.resolve(self.nsid, ref)
        if key is None:
            self.problem(f"unresolved reference {ref!r}; typed as a plain object")
            return ir.TScalar("dict")
        sym = self.scope.symbols[key]
        target = self.scope.catalog.documents[key[0]].defs[key[1]]
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
        tctx = TypeContext(self.scope, key[0], key[1], sym.module, f"$.defs.{key[1]}", self.owner)
        return tctx.type_of(target, depth + 1)

    def _union(self, u: s.UnionSchema) -> ir.TypeExpr:
        members: list[ir.TClass] = []
        for ref in dict.fromkeys(u.refs):
            key = self.scope.resolve(self.nsid, ref)
            if key is None:
                self.problem(f"unresolved union member {ref!r}; left out of the union")
                continue
            target = self.scope.catalog.documents[key[0]].defs[key[1]]
            if not isinstance(target, s.ObjectSchema | s.RecordSchema):
                self.problem(
                    f"union member {ref!r} is not an object or record; left out of the union"
                )
                continue
            sym = self.scope.symbols[key]
            if self.scope.is_external(key[0]) and key not in self.scope.extern_tagged:
                self.problem(
                    f"union member {ref!r} is generated untagged in {sym.module} (no union "
                    "there lists it), so it cannot be told apart here; left out of the union"
                )
                continue
            members.append(ir.TClass(sym.module, sym.name))
        if not members:
            return ir.TScalar("dict")
        return ir.TUnion(tuple(members), open=not u.closed)


def description_of(x: Any) -> str | None:
    d = getattr(x, "description", None)
    return d if isinstance(d, str) and d else None


def classes(t: ir.TypeExpr) -> Iterator[ir.TClass]:
    if isinstance(t, ir.TClass):
        yield t
    elif isinstance(t, ir.TUnion):
        yield from t.members
    elif isinstance(t, ir.TList):
        yield from classes(t.item)


def unions_in(x: Any) -> Iterator[s.UnionSchema]:
    """Every union schema nested anywhere in a def (walking only where schemas can nest)."""
    if isinstance(x, s.UnionSchema):
        yield x
    elif isinstance(x, s.ObjectSchema | s.ParamsSchema):
        for prop in x.properties.values():
            yield from unions_in(prop)
    elif isinstance(x, s.ArraySchema):
        yield from unions_in(x.items)
    elif isinstance(x, s.RecordSchema):
        yield from unions_in(x.record)
    elif isinstance(x, s.QuerySchema | s.ProcedureSchema | s.SubscriptionSchema):
        yield from unions_in(x.parameters)
        if isinstance(x, s.ProcedureSchema) and isinstance(x.input, s.Body):
            yield from unions_in(x.input.schema)
        if not isinstance(x, s.SubscriptionSchema) and isinstance(x.output, s.Body):
            yield from unions_in(x.output.schema)
        if isinstance(x, s.SubscriptionSchema) and isinstance(x.message, s.Message):
            yield from unions_in(x.message.schema)
