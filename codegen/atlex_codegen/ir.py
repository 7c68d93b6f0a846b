"""The contract between lowering and rendering: every name, import and type already decided.

Frozen dataclasses only; no formatting happens here (atlex_codegen.render turns them into text).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

# ---- type expressions ------------------------------------------------------------------------


# string formats: aliases of str in the runtime (atlex._formats), so signatures say what is meant
FormatAlias: TypeAlias = Literal[
    "AtIdentifier", "AtUri", "Cid", "Datetime", "Did", "Handle", "Language", "Nsid", "RecordKey",
    "Tid", "Uri",
]  # fmt: skip
FORMAT_ALIASES: dict[str, FormatAlias] = {
    "at-identifier": "AtIdentifier",
    "at-uri": "AtUri",
    "cid": "Cid",
    "datetime": "Datetime",
    "did": "Did",
    "handle": "Handle",
    "language": "Language",
    "nsid": "Nsid",
    "record-key": "RecordKey",
    "tid": "Tid",
    "uri": "Uri",
}


@dataclass(frozen=True)
class TScalar:
    """A builtin or runtime type: ``str``, ``int``, ``bool``, ``bytes``, ``dict`` (lexicon
    ``unknown`` and empty unions), ``Bytes``, ``CidLink``, ``Blob``, ``LexObject``."""

    name: (
        Literal[
            "str",
            "int",
            "bool",
            "bytes",
            "dict",
            "unknown",
            "Bytes",
            "CidLink",
            "Blob",
            "LexObject",
        ]
        | FormatAlias
    )


@dataclass(frozen=True)
class TLiteral:
    values: tuple[str | int | bool, ...]
    open: bool = False
    """``knownValues``: any other string is allowed too (``Literal[...] | str``)."""


@dataclass(frozen=True)
class TList:
    item: TypeExpr


@dataclass(frozen=True)
class TClass:
    """A named type of a generated module: a class, or (:class:`TNamed`) a type alias."""

    module: str
    name: str


@dataclass(frozen=True)
class TNamed(TClass):
    """A module-level type alias (a :class:`UnionAlias`), referenced by name like a class."""


@dataclass(frozen=True)
class TUnion:
    """A union of generated classes. Open unions gain ``UnknownMember`` for type checkers."""

    members: tuple[TClass, ...]
    open: bool


TypeExpr: TypeAlias = TScalar | TLiteral | TList | TClass | TUnion

# ---- type modules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    wire: str
    rename: bool
    """The wire name is not what ``rename="camel"`` derives from ``name``: spell it out."""
    type: TypeExpr
    required: bool
    nullable: bool
    default: str | int | bool | None
    has_default: bool
    doc: str | None
    union: Literal["closed", "single", "closed-single"] | None = None
    """Registered with the runtime so the tolerant decoder knows the union's semantics."""
    rules: tuple[tuple[str, object], ...] = ()
    """Lexicon constraints checked by ``validate()`` (not at decode time): a JSON-like mapping
    such as ``(("max_bytes", 3000), ("max_graphemes", 300))``; ``items`` nests one."""


@dataclass(frozen=True)
class Struct:
    name: str
    lex_id: str | None
    tag: str | None
    fields: tuple[Field, ...]
    doc: str | None
    record_key: str | None = None


@dataclass(frozen=True)
class Constant:
    name: str
    value: str
    doc: str | None


@dataclass(frozen=True)
class Alias:
    """A named type for users (string / array defs, ``Output`` of a ref, message unions).

    ``lazy`` aliases mention generated classes: they resolve through the module ``__getattr__``
    at run time so that nothing is imported early.
    """

    name: str
    type: TypeExpr
    lazy: bool
    doc: str | None


@dataclass(frozen=True)
class UnionAlias:
    """A union used as a field type, declared once at module level and referenced by name
    (:class:`TNamed`) from every field of the module that uses the same union."""

    name: str
    type: TUnion


@dataclass(frozen=True)
class ErrorClass:
    name: str
    error: str
    doc: str | None


@dataclass(frozen=True)
class Import:
    alias: str
    module: str


@dataclass(frozen=True)
class TypeModule:
    module: str
    path: str
    nsid: str
    doc: str | None
    imports: tuple[Import, ...]
    constants: tuple[Constant, ...]
    structs: tuple[Struct, ...]
    aliases: tuple[Alias, ...]
    errors: tuple[ErrorClass, ...]
    metadata: tuple[tuple[str, object], ...] = ()
    """Extra JSON-like module constants (e.g. a permission set), rendered as literals."""
    unions: tuple[UnionAlias, ...] = ()
    """Named unions of the module's fields (declared before the classes)."""


# ---- namespaces and the client ---------------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    name: str
    wire: str
    type: TypeExpr
    required: bool
    default: str | int | bool | None
    has_default: bool
    doc: str | None


@dataclass(frozen=True)
class StreamTypes:
    """What a subscription stub names in ``atlex._ns`` (the runtime's stream types)."""

    message: str | None
    """A runtime alias replacing the generated ``Message`` union (``RepoMessage``: commits with
    typed ops), or None for the generated one."""
    settings: str
    """The ``TypedDict`` of the sync stub's ``**settings``..."""
    async_settings: str
    """...and of the async one's."""


@dataclass(frozen=True)
class Stub:
    name: str
    nsid: str
    kind: Literal["query", "procedure", "subscription"]
    const: str
    """Module-level name of the ``Method`` descriptor."""
    type_module: str
    type_alias: str
    params: tuple[Arg, ...]
    input_kind: Literal["json", "binary"] | None
    input_args: tuple[Arg, ...]
    input_encoding: str | None
    output_kind: Literal["json", "binary"] | None
    output_schema: bool
    output_encoding: str | None
    returns: TypeExpr | None
    """None: the method declares no output body."""
    has_params_struct: bool
    doc: str | None
    stream: StreamTypes | None = None
    """Subscriptions only: ``returns`` is the message type, iterated from a stream."""


@dataclass(frozen=True)
class Child:
    attr: str
    module: str
    cls: str
    async_cls: str


@dataclass(frozen=True)
class Base:
    """A class of another generated package that a generated class extends (composition)."""

    module: str
    cls: str
    async_cls: str


@dataclass(frozen=True)
class Namespace:
    module: str
    path: str
    nsid: str
    cls: str
    async_cls: str
    children: tuple[Child, ...]
    stubs: tuple[Stub, ...]
    imports: tuple[Import, ...]
    """Type modules, imported for type checkers only."""
    bases: tuple[Base, ...] = ()
    """The same namespace in composed packages (its calls and children are inherited)."""


@dataclass(frozen=True)
class ClientModule:
    module: str
    path: str
    roots: tuple[Child, ...]
    bases: tuple[Base, ...] = ()
    """The clients of composed packages (their root namespaces are inherited)."""


@dataclass(frozen=True)
class PackageInit:
    module: str
    path: str
    doc: str | None


@dataclass(frozen=True)
class Package:
    """Everything one generation produces."""

    name: str
    digest: str
    types: tuple[TypeModule, ...]
    namespaces: tuple[Namespace, ...]
    client: ClientModule | None
    inits: tuple[PackageInit, ...]
