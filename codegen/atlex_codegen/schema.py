"""The Lexicon language itself, as msgspec types (what ``load`` parses documents into).

Unknown keys are ignored (the language gains fields over time); wrong types are errors.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType, field


# fmt: off
class _Schema(msgspec.Struct, kw_only=True, rename="camel", tag_field="type", frozen=True):
    description: str | UnsetType = UNSET


class BooleanSchema(_Schema, tag="boolean", frozen=True, kw_only=True):
    default: bool | UnsetType = UNSET
    const: bool | UnsetType = UNSET


class IntegerSchema(_Schema, tag="integer", frozen=True, kw_only=True):
    default: int | UnsetType = UNSET
    const: int | UnsetType = UNSET
    enum: list[int] | UnsetType = UNSET
    minimum: int | UnsetType = UNSET
    maximum: int | UnsetType = UNSET


class StringSchema(_Schema, tag="string", frozen=True, kw_only=True):
    format: str | UnsetType = UNSET
    default: str | UnsetType = UNSET
    const: str | UnsetType = UNSET
    enum: list[str] | UnsetType = UNSET
    known_values: list[str] | UnsetType = UNSET
    max_length: int | UnsetType = UNSET
    min_length: int | UnsetType = UNSET
    max_graphemes: int | UnsetType = UNSET
    min_graphemes: int | UnsetType = UNSET


class BytesSchema(_Schema, tag="bytes", frozen=True, kw_only=True):
    max_length: int | UnsetType = UNSET
    min_length: int | UnsetType = UNSET


class CidLinkSchema(_Schema, tag="cid-link", frozen=True, kw_only=True):
    pass


class BlobSchema(_Schema, tag="blob", frozen=True, kw_only=True):
    accept: list[str] | UnsetType = UNSET
    max_size: int | UnsetType = UNSET


class UnknownSchema(_Schema, tag="unknown", frozen=True, kw_only=True):
    pass


class RefSchema(_Schema, tag="ref", frozen=True, kw_only=True):
    ref: str


class UnionSchema(_Schema, tag="union", frozen=True, kw_only=True):
    refs: list[str]
    closed: bool = False


class TokenSchema(_Schema, tag="token", frozen=True, kw_only=True):
    pass


class ArraySchema(_Schema, tag="array", frozen=True, kw_only=True):
    items: FieldSchema
    min_length: int | UnsetType = UNSET
    max_length: int | UnsetType = UNSET


class ObjectSchema(_Schema, tag="object", frozen=True, kw_only=True):
    # `properties` is required by the spec, but an object with none is harmless: accept it
    properties: dict[str, FieldSchema] = field(default_factory=lambda: {})
    required: list[str] = field(default_factory=lambda: [])
    nullable: list[str] = field(default_factory=lambda: [])


class ParamsSchema(_Schema, tag="params", frozen=True, kw_only=True):
    properties: dict[str, FieldSchema] = field(default_factory=lambda: {})
    required: list[str] = field(default_factory=lambda: [])


class Body(msgspec.Struct, kw_only=True, frozen=True):
    encoding: str
    description: str | UnsetType = UNSET
    schema: ObjectSchema | RefSchema | UnionSchema | UnsetType = UNSET


class ErrorDef(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    description: str | UnsetType = UNSET


class Message(msgspec.Struct, kw_only=True, frozen=True):
    description: str | UnsetType = UNSET
    schema: UnionSchema


class RecordSchema(_Schema, tag="record", frozen=True, kw_only=True):
    key: str = "any"
    record: ObjectSchema


class QuerySchema(_Schema, tag="query", frozen=True, kw_only=True):
    parameters: ParamsSchema | UnsetType = UNSET
    output: Body | UnsetType = UNSET
    errors: list[ErrorDef] = field(default_factory=lambda: [])


class ProcedureSchema(_Schema, tag="procedure", frozen=True, kw_only=True):
    parameters: ParamsSchema | UnsetType = UNSET
    input: Body | UnsetType = UNSET
    output: Body | UnsetType = UNSET
    errors: list[ErrorDef] = field(default_factory=lambda: [])


class SubscriptionSchema(_Schema, tag="subscription", frozen=True, kw_only=True):
    parameters: ParamsSchema | UnsetType = UNSET
    message: Message | UnsetType = UNSET
    errors: list[ErrorDef] = field(default_factory=lambda: [])


class PermissionSchema(_Schema, tag="permission", frozen=True, kw_only=True):
    resource: str


class PermissionSetSchema(_Schema, tag="permission-set", frozen=True, kw_only=True):
    title: str | UnsetType = UNSET
    title_lang: dict[str, str] | UnsetType = field(default=UNSET, name="title:lang")
    detail: str | UnsetType = UNSET
    detail_lang: dict[str, str] | UnsetType = field(default=UNSET, name="detail:lang")
    permissions: list[dict[str, Any]] = field(default_factory=lambda: [])
# fmt: on

FieldSchema: TypeAlias = (
    BooleanSchema
    | IntegerSchema
    | StringSchema
    | BytesSchema
    | CidLinkSchema
    | BlobSchema
    | UnknownSchema
    | RefSchema
    | UnionSchema
    | ArraySchema
    | ObjectSchema
)
"""What may stand as a property or an array item (inline objects accepted leniently)."""

DefSchema: TypeAlias = (
    BooleanSchema
    | IntegerSchema
    | StringSchema
    | BytesSchema
    | CidLinkSchema
    | BlobSchema
    | ArraySchema
    | ObjectSchema
    | TokenSchema
    | RecordSchema
    | QuerySchema
    | ProcedureSchema
    | SubscriptionSchema
    | PermissionSetSchema
)
"""What may be a named def. (ref, union, unknown, params and permission never are.)"""

PRIMARY = (RecordSchema, QuerySchema, ProcedureSchema, SubscriptionSchema, PermissionSetSchema)

DEF_TYPE_NAMES = frozenset(
    {
        "boolean",
        "integer",
        "string",
        "bytes",
        "cid-link",
        "blob",
        "array",
        "object",
        "token",
        "record",
        "query",
        "procedure",
        "subscription",
        "permission-set",
    }
)


class DocShell(msgspec.Struct, kw_only=True, frozen=True):
    """A document with its defs not yet parsed (each def is parsed on its own)."""

    lexicon: Literal[1]
    id: str
    description: str | UnsetType = UNSET
    revision: int | UnsetType = UNSET
    defs: dict[str, msgspec.Raw]
