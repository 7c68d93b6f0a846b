"""Lowering of a document's methods: queries and procedures become call stubs (plus their
``Params`` / ``Input`` / ``Output`` types), subscriptions stream stubs (plus ``Params`` and ``Message``).

The driver (:mod:`.lowerer`) owns the naming state; these functions add to one module's
state through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgspec import UnsetType

from atlex._stream_settings import setting_names
from atlex_codegen import ir
from atlex_codegen import schema as s
from atlex_codegen.lower.types import TypeContext, description_of
from atlex_codegen.naming import Namer, class_name, constant_name, field_name

if TYPE_CHECKING:
    from atlex_codegen.lower.lowerer import Lowerer, ModuleState

__all__ = ["method", "subscription"]

_JSON = "application/json"
# subscription stubs name the runtime's stream types (atlex._ns); subscribeRepos is specialised
# there (commits with typed ops, verification), every other subscription is generic
_GENERIC_STREAM = ir.StreamTypes(None, "StreamSettings", "StreamSettings")
_RUNTIME_STREAMS = {
    "com.atproto.sync.subscribeRepos": ir.StreamTypes(
        "RepoMessage", "RepoStreamSettings", "AsyncRepoStreamSettings"
    ),
}


def method(
    lw: Lowerer,
    ctx: TypeContext,
    d: s.QuerySchema | s.ProcedureSchema,
    state: ModuleState,
    errors: list[ir.ErrorClass],
) -> ir.Stub:
    """The call stub of a query or procedure; its types join ``state``, its errors ``errors``."""
    module = ctx.module
    kind: Any = "query" if isinstance(d, s.QuerySchema) else "procedure"
    params_struct = _params(lw, ctx, d.parameters, state)
    input_kind: Any = None
    input_encoding: str | None = None
    input_obj: tuple[ir.Field, ...] | None = None
    input_union: ir.TypeExpr | None = None
    if isinstance(d, s.ProcedureSchema) and isinstance(d.input, s.Body):
        input_encoding = d.input.encoding
        input_kind = "json" if _is_json(d.input.encoding) else "binary"
        if input_kind == "json":
            input_obj, input_union = _body(lw, ctx.at(".input.schema"), d.input, "Input", state)
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
            _body(lw, ctx.at(".output.schema"), d.output, "Output", state)
            output_schema = True
            returns = ir.TClass(module, "Output")
    _errors(d.errors, state, errors)
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
    return _stub(
        ctx,
        d,
        kind,
        params,
        params_struct,
        returns,
        input_kind=input_kind,
        input_args=input_args,
        input_encoding=input_encoding,
        output_kind=output_kind,
        output_schema=output_schema,
        output_encoding=output_encoding,
    )


def subscription(
    lw: Lowerer,
    ctx: TypeContext,
    d: s.SubscriptionSchema,
    state: ModuleState,
    errors: list[ir.ErrorClass],
) -> ir.Stub:
    """The stub of a subscription (returning its ``Message`` union, iterated from a stream);
    its ``Params`` struct and ``Message`` alias join ``state``, its errors ``errors``."""
    params_struct = _params(lw, ctx, d.parameters, state)
    returns: ir.TypeExpr = ir.TScalar("dict")  # no message schema: frames kept as data
    if isinstance(d.message, s.Message):
        union = ctx.at(".message.schema").type_of(d.message.schema)
        name = state.namer.take("Message")
        state.aliases.append(ir.Alias(name, union, True, description_of(d.message)))
        returns = ir.TClass(ctx.module, name)
    _errors(d.errors, state, errors)
    # the stub's **settings keywords (reconnect=, verify=, ...) win over lexicon params
    namer = Namer(setting_names())
    params = tuple(_arg(namer, f) for f in (params_struct.fields if params_struct else ()))
    stream = _RUNTIME_STREAMS.get(ctx.nsid, _GENERIC_STREAM)
    return _stub(ctx, d, "subscription", params, params_struct, returns, stream=stream)


def _stub(
    ctx: TypeContext,
    d: s.QuerySchema | s.ProcedureSchema | s.SubscriptionSchema,
    kind: Any,
    params: tuple[ir.Arg, ...],
    params_struct: ir.Struct | None,
    returns: ir.TypeExpr | None,
    **body: Any,
) -> ir.Stub:
    """The stub named after the NSID's last segment; ``body``: its input/output/stream fields
    (none for a subscription but ``stream``)."""
    last = ctx.nsid.rsplit(".", 1)[1]
    fields: dict[str, Any] = {
        "input_kind": None,
        "input_args": (),
        "input_encoding": None,
        "output_kind": None,
        "output_schema": False,
        "output_encoding": None,
        **body,
    }
    return ir.Stub(
        name=field_name(last),
        nsid=ctx.nsid,
        kind=kind,
        const="_" + constant_name(last),
        type_module=ctx.module,
        type_alias="",
        params=params,
        returns=returns,
        has_params_struct=params_struct is not None,
        doc=description_of(d),
        **fields,
    )


def _errors(declared: list[s.ErrorDef], state: ModuleState, errors: list[ir.ErrorClass]) -> None:
    for e in declared:
        ename = e.name if e.name.endswith("Error") else e.name + "Error"
        errors.append(ir.ErrorClass(state.namer.take(class_name(ename)), e.name, description_of(e)))


def _params(
    lw: Lowerer, ctx: TypeContext, p: s.ParamsSchema | UnsetType, state: ModuleState
) -> ir.Struct | None:
    if isinstance(p, UnsetType):
        return None
    obj = s.ObjectSchema(properties=p.properties, required=p.required)
    name = state.namer.take("Params")
    doc = description_of(p) or f"The parameters of ``{ctx.nsid}``."
    struct = lw.struct(ctx.at(".parameters"), name, obj, None, None, doc, params=True)
    state.structs.append(struct)
    return struct


def _body(
    lw: Lowerer, ctx: TypeContext, body: s.Body, name: str, state: ModuleState
) -> tuple[tuple[ir.Field, ...] | None, ir.TypeExpr | None]:
    """Lower an input/output body. Returns (object fields to flatten, or a union type)."""
    schema = body.schema
    if isinstance(schema, UnsetType):
        return None, None
    if isinstance(schema, s.ObjectSchema):
        taken = state.namer.take(name)
        doc = description_of(body) or description_of(schema)
        doc = doc or f"The {name.lower()} of ``{ctx.nsid}``."
        struct = lw.struct(ctx, taken, schema, None, None, doc)
        state.structs.append(struct)
        return struct.fields, None
    target = ctx.type_of(schema)
    state.namer.take(name)
    state.aliases.append(ir.Alias(name, target, True, description_of(body)))
    if isinstance(schema, s.RefSchema) and isinstance(target, ir.TClass):
        resolved = lw.resolve(ctx.nsid, _absolute(ctx.nsid, schema.ref))
        if resolved is not None:
            doc = lw.catalog.documents[resolved[0]]
            d = doc.defs[resolved[1]]
            obj = d.record if isinstance(d, s.RecordSchema) else d
            if isinstance(obj, s.ObjectSchema):
                tctx = TypeContext(lw, resolved[0], resolved[1], lw.modules[resolved[0]], "")
                struct = lw.struct(tctx, target.name, obj, None, None, None)
                return struct.fields, None
    return None, target


def _arg(namer: Namer, f: ir.Field) -> ir.Arg:
    # named from the wire name again: a struct escapes names its helpers use (``validate``);
    # a call's keyword arguments need no such escape
    return ir.Arg(
        name=namer.take(field_name(f.wire)),
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
