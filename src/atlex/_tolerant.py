"""Two-pass tolerant decoding: open unions keep unknown variants as data (lexicon-mapping §2.6).

Generated types use native msgspec tagged unions, which reject a ``$type`` they do not know. The
AT Protocol says open unions may gain variants, so an unknown one must come back as a plain dict
(``UnknownMember``) instead of failing the whole response.

* Fast path: the native decoder (or ``msgspec.convert``). Clean data never leaves it.
* Slow path, only after a ``ValidationError``: descend into the value, splitting structs into raw
  per-field slices (a cached "shallow twin" struct) and retrying natively below. At an open-union
  position an unknown ``$type`` yields the plain dict; everything else stays as strict as msgspec:
  closed unions, a mismatching ``$type`` on a tagged struct in a ref position, missing required
  fields, strict leaves (``Bytes`` and ``CidLink`` forbid unknown keys and are never split).

Every failure surfaces as :class:`SchemaMismatchError`, a ``msgspec.ValidationError`` whose
message names the full JSON path (``... - at `$.feed[3].post.embed.$type```) and whose cause is
the fast-path error.

Limits worth knowing:
* The ``CLOSED`` / ``SINGLE`` registries are read when a class first takes the slow path;
  generated modules register their fields at import, right after defining the classes.
* The slow path recurses in Python (two frames per struct, one more per union), so at a given
  recursion limit it reaches about a third of the native depth: at the default limit of 1000,
  a chain of posts quoting posts (two unions per level) decodes 164 levels deep instead of 494.
  Deep ``getPostThread`` responses need a raised limit either way (lexicon-mapping §2.6.2).
"""

from __future__ import annotations

import re
import threading
import types
from typing import Any, Generic, TypeVar, Union, cast, get_args, get_origin, overload

import msgspec
from msgspec import UNSET, Raw, UnsetType

from atlex._datatypes import CLOSED, SINGLE
from atlex.errors import LexValidationError

__all__ = [
    "MalformedJsonError",
    "SchemaMismatchError",
    "TolerantDecoder",
    "convert_tolerant",
    "decoder_for",
    "json_tolerant",
]

T = TypeVar("T")


class SchemaMismatchError(LexValidationError, msgspec.ValidationError):
    """Data that does not fit the requested type.

    A :class:`atlex.LexValidationError` (``error`` ``InvalidRequest``, ``path``) and a
    ``msgspec.ValidationError``, so ``except msgspec.ValidationError`` still works. The message
    has msgspec's format (``reason - at `$.path```); ``reason`` and ``path`` are also available
    separately. ``__cause__`` is the fast-path (native) error.
    """

    reason: str
    path: str

    def __init__(self, reason: str, path: str = "$") -> None:
        self.reason = reason
        super().__init__(reason if path == "$" else f"{reason} - at `{path}`", path=path)

    def _describe(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason, self.path))


class MalformedJsonError(LexValidationError, msgspec.DecodeError):
    """Input that is not JSON at all (``path`` is ``$``; the message gives the byte offset).

    A :class:`atlex.LexValidationError` and a ``msgspec.DecodeError``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, path="$")

    def _describe(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,))


def _malformed_type(tag: str, path: str) -> SchemaMismatchError | None:
    """A ``$type`` no lexicon reference can spell: empty, or with more than one ``#``."""
    if not tag:
        return SchemaMismatchError("$type must not be empty", f"{path}.$type")
    if tag.count("#") > 1:
        return SchemaMismatchError(
            f"malformed $type {tag!r}: a reference has at most one '#'", f"{path}.$type"
        )
    return None


def _member(by_tag: dict[str, type[msgspec.Struct]], tag: str) -> type[msgspec.Struct] | None:
    """The union member ``tag`` names: ``nsid#main`` is the same type as ``nsid``."""
    member = by_tag.get(tag)
    if member is None and tag.endswith("#main"):
        member = by_tag.get(tag[:-5])
    return member


def _same_tag(tag: str, expected: str) -> bool:
    return tag == expected or (tag.endswith("#main") and tag[:-5] == expected)


# msgspec ends located messages with " - at `$<rest>`"; the root has no suffix.
_LOCATED = re.compile(r"(?P<reason>.*) - at `\$(?P<rest>[^`]*)`", re.DOTALL)


def _failure(err: msgspec.ValidationError | UnicodeEncodeError, path: str) -> SchemaMismatchError:
    """The native failure of ``convert`` at ``path``. msgspec matches object keys and tags as
    UTF-8, so a key or tag holding an unpaired surrogate fails there: the slow path then looks
    the fields up itself (such a key is no lexicon field; such a tag no known type)."""
    if isinstance(err, UnicodeEncodeError):
        return SchemaMismatchError("a key or $type holds an unpaired UTF-16 surrogate", path)
    return _relocate(err, path)


def _relocate(err: msgspec.ValidationError, path: str) -> SchemaMismatchError:
    """Re-anchor an error msgspec raised on a slice at ``path`` in the whole document."""
    message = str(err)
    match = _LOCATED.fullmatch(message)
    if match is None:
        return SchemaMismatchError(message, path)
    return SchemaMismatchError(match["reason"], path + match["rest"])


# ---------------------------------------------------------------------------------------------
# Per-type analysis, cached


class _StructField(msgspec.Struct, frozen=True):
    name: str
    encode_name: str
    type: Any
    required: bool
    closed: bool
    single: bool


class _StructPlan(msgspec.Struct, frozen=True):
    cls: type[msgspec.Struct]
    strict_leaf: bool
    """Never split: forbid_unknown_fields (Bytes, CidLink) or array_like structs."""
    tag: str | None
    tag_field: str | None
    twin: msgspec.json.Decoder[Any]
    fields: tuple[_StructField, ...]


class _TypePlan(msgspec.Struct, frozen=True):
    target: Any
    """The type without ``UnsetType`` (a slice that exists is never UNSET)."""
    native: msgspec.json.Decoder[Any]
    structs: tuple[type[msgspec.Struct], ...]
    by_tag: dict[str, type[msgspec.Struct]]
    tag_field: str
    list_item: Any
    """Item type of the first ``list[X]`` argument, or ``_NO_LIST``."""


_NO_LIST: Any = object()
_TWIN_TAG_ATTR = "_lex_tag_"  # generated attributes never start with "_"

_type_plans: dict[Any, _TypePlan] = {}
_struct_plans: dict[type[Any], _StructPlan] = {}
_peekers: dict[str, msgspec.json.Decoder[Any]] = {}
_RAW_LIST: msgspec.json.Decoder[list[Raw]] = msgspec.json.Decoder(list[Raw])
_STR: msgspec.json.Decoder[str] = msgspec.json.Decoder(str)
_ANY: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


def _union_args(tp: Any) -> tuple[Any, ...]:
    if get_origin(tp) in (Union, types.UnionType):
        return get_args(tp)
    return (tp,)


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _build_type_plan(tp: Any) -> _TypePlan:
    args = _union_args(tp)
    kept = tuple(a for a in args if a is not UnsetType) or args
    target: Any = kept[0] if len(kept) == 1 else Union[kept]  # noqa: UP007 (runtime tuple)
    structs = tuple(cast("type[msgspec.Struct]", a) for a in kept if _is_struct(a))
    by_tag: dict[str, type[msgspec.Struct]] = {}
    tag_field = "$type"
    for member in structs:
        config = member.__struct_config__
        if isinstance(config.tag, str):
            by_tag[config.tag] = member
            tag_field = config.tag_field or tag_field
    list_item = _NO_LIST
    for a in kept:
        if get_origin(a) is list:
            item_args = get_args(a)
            list_item = item_args[0] if item_args else Any
            break
    return _TypePlan(
        target=target,
        native=msgspec.json.Decoder(target),
        structs=structs,
        by_tag=by_tag,
        tag_field=tag_field,
        list_item=list_item,
    )


def _type_plan(tp: Any) -> _TypePlan:
    try:
        plan = _type_plans.get(tp)
    except TypeError:  # unhashable annotation: analyse every time
        return _build_type_plan(tp)
    if plan is None:
        plan = _type_plans.setdefault(tp, _build_type_plan(tp))
    return plan


def _build_struct_plan(cls: type[msgspec.Struct]) -> _StructPlan:
    config = cls.__struct_config__
    infos = msgspec.structs.fields(cls)
    twin_fields: list[tuple[str, Any, Any]] = [
        (f.name, Raw | UnsetType, msgspec.field(default=UNSET, name=f.encode_name)) for f in infos
    ]
    if config.tag is not None and config.tag_field is not None:
        twin_fields.append(
            (_TWIN_TAG_ATTR, Raw | UnsetType, msgspec.field(default=UNSET, name=config.tag_field))
        )
    twin = msgspec.defstruct(f"{cls.__name__}ShallowTwin", twin_fields, kw_only=True)
    return _StructPlan(
        cls=cls,
        strict_leaf=config.forbid_unknown_fields or config.array_like,
        tag=config.tag if isinstance(config.tag, str) else None,
        tag_field=config.tag_field,
        twin=msgspec.json.Decoder(twin),
        fields=tuple(
            _StructField(
                name=f.name,
                encode_name=f.encode_name,
                type=f.type,
                required=f.required,
                closed=(cls, f.name) in CLOSED,
                single=(cls, f.name) in SINGLE,
            )
            for f in infos
        ),
    )


def _struct_plan(cls: type[msgspec.Struct]) -> _StructPlan:
    plan = _struct_plans.get(cls)
    if plan is None:
        plan = _struct_plans.setdefault(cls, _build_struct_plan(cls))
    return plan


def _peeker(tag_field: str) -> msgspec.json.Decoder[Any]:
    """A one-field decoder reading only the tag of an object (as a raw slice)."""
    peeker = _peekers.get(tag_field)
    if peeker is None:
        peek = msgspec.defstruct(
            "TagPeek",
            [(_TWIN_TAG_ATTR, Raw | UnsetType, msgspec.field(default=UNSET, name=tag_field))],
        )
        peeker = _peekers.setdefault(tag_field, msgspec.json.Decoder(peek))
    return peeker


def _construct(cls: type[msgspec.Struct], kwargs: dict[str, Any], path: str) -> Any:
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:  # __post_init__ rejects, as msgspec reports it
        raise SchemaMismatchError(str(exc), path) from exc


def _missing(field: _StructField, path: str) -> SchemaMismatchError:
    return SchemaMismatchError(f"Object missing required field `{field.encode_name}`", path)


def _bad_tag(value: str, path: str, tag_field: str) -> SchemaMismatchError:
    return SchemaMismatchError(f"Invalid value '{value}'", f"{path}.{tag_field}")


def _again(failure: SchemaMismatchError) -> SchemaMismatchError:
    """A fresh copy of a located failure, to raise at the position that owns it."""
    return SchemaMismatchError(failure.reason, failure.path)


def _inside(failure: SchemaMismatchError | None, path: str) -> bool:
    """Whether a known native failure lies within the value at ``path``.

    Native decoding stops at the first problem in document order, so decoding a slice that
    contains it natively would fail again at the same place: skip that retry (it also keeps a
    deep chain of failing levels linear instead of quadratic).
    """
    if failure is None:
        return False
    located = failure.path
    return located.startswith(path) and (len(located) == len(path) or located[len(path)] in ".[")


# The slow-path functions below receive ``failure``: the native error for the value they
# handle, already located in the whole document. They either descend or raise it again.

# ---------------------------------------------------------------------------------------------
# JSON


def _json(
    raw: Any,
    tp: Any,
    closed: bool,
    single: bool,
    path: str,
    known: SchemaMismatchError | None,
) -> Any:
    """Decode ``raw`` (at ``path``) as ``tp``: natively, unless ``known`` already failed inside
    it, then by descending. Kept in one frame per level to save recursion depth."""
    plan = _type_plan(tp)
    if _inside(known, path):
        failure = cast("SchemaMismatchError", known)
    else:
        try:
            return plan.native.decode(raw)
        except msgspec.ValidationError as exc:
            failure = _relocate(exc, path)
    n_structs = len(plan.structs)
    if n_structs >= 2 or (single and n_structs == 1):
        return _json_union(raw, plan, closed, single, failure, path)
    if n_structs == 1:
        return _json_struct(raw, plan.structs[0], failure, path)
    if plan.list_item is not _NO_LIST:
        try:
            items = _RAW_LIST.decode(raw)
        except msgspec.ValidationError:
            raise _again(failure) from None
        item_tp = plan.list_item
        return [
            _json(item, item_tp, closed, single, f"{path}[{i}]", failure)
            for i, item in enumerate(items)
        ]
    raise _again(failure)


def _json_union(
    raw: Any,
    plan: _TypePlan,
    closed: bool,
    single: bool,
    failure: SchemaMismatchError,
    path: str,
) -> Any:
    try:
        tag_raw = getattr(_peeker(plan.tag_field).decode(raw), _TWIN_TAG_ATTR)
    except msgspec.ValidationError:  # not an object: the native error says so
        raise _again(failure) from None
    if tag_raw is UNSET:
        if single and len(plan.structs) == 1:
            # A single-ref union looks like a ref to msgspec, which accepts a missing $type.
            return _json_struct(raw, plan.structs[0], failure, path)
        raise _again(failure)
    try:
        tag = _STR.decode(tag_raw)
    except msgspec.ValidationError as exc:
        raise _relocate(exc, f"{path}.{plan.tag_field}") from None
    malformed = _malformed_type(tag, path)
    if malformed is not None:
        raise malformed
    member = _member(plan.by_tag, tag)
    if member is not None:
        # The union failed natively, so this member fails natively on the same value.
        return _json_struct(raw, member, failure, path)
    if closed:
        raise _bad_tag(tag, path, plan.tag_field)
    return _ANY.decode(raw)  # an unknown member of an open union: kept as plain data


def _json_struct(
    raw: Any,
    cls: type[msgspec.Struct],
    failure: SchemaMismatchError,
    path: str,
) -> Any:
    splan = _struct_plan(cls)
    if splan.strict_leaf:
        raise _again(failure)
    try:
        twin = splan.twin.decode(raw)
    except msgspec.ValidationError:  # not an object (null was handled natively if allowed)
        raise _again(failure) from None
    if splan.tag is not None and splan.tag_field is not None:
        tag_raw = getattr(twin, _TWIN_TAG_ATTR)
        if tag_raw is not UNSET:
            try:
                tag = _STR.decode(tag_raw)
            except msgspec.ValidationError as exc:
                raise _relocate(exc, f"{path}.{splan.tag_field}") from None
            if not _same_tag(tag, splan.tag):
                raise _bad_tag(tag, path, splan.tag_field)
    kwargs: dict[str, Any] = {}
    for field in splan.fields:
        piece = getattr(twin, field.name)
        if piece is UNSET:
            if field.required:
                raise _missing(field, path)
            continue
        kwargs[field.name] = _json(
            piece, field.type, field.closed, field.single, f"{path}.{field.encode_name}", failure
        )
    return _construct(cls, kwargs, path)


def _json_top(raw: Any, tp: Any, closed: bool, single: bool, fast: msgspec.ValidationError) -> Any:
    try:
        return _json(raw, tp, closed, single, "$", _relocate(fast, "$"))
    except SchemaMismatchError as slow:
        raise slow from fast
    except msgspec.ValidationError as slow:
        raise _relocate(slow, "$") from fast
    except msgspec.DecodeError as slow:  # the fast path stopped before reaching broken JSON
        if "surrogate" in str(slow):
            return _not_msgspec_json(raw, tp, slow)
        raise MalformedJsonError(str(slow)) from fast
    except UnicodeDecodeError as slow:
        raise MalformedJsonError(f"JSON is not valid UTF-8: {slow}") from fast
    except RecursionError:
        raise _too_deep() from fast


def json_tolerant(
    raw: bytes | str | Raw,
    tp: Any,
    closed: bool = False,
    union_flag: bool | None = None,
) -> Any:
    """Decode JSON ``raw`` as ``tp``, keeping unknown open-union variants as dicts.

    ``closed`` marks the value as a closed union (an unknown ``$type`` fails); ``union_flag``
    marks a single-ref union (a plain-looking ref whose ``$type`` may name something else).
    Raises :class:`SchemaMismatchError` with the full JSON path.
    """
    plan = _type_plan(tp)
    try:
        return plan.native.decode(raw)
    except msgspec.ValidationError as fast:
        return _json_top(raw, tp, closed, bool(union_flag), fast)
    except msgspec.DecodeError as exc:
        return _not_msgspec_json(raw, tp, exc)
    except RecursionError:
        raise _too_deep() from None
    except UnicodeDecodeError as exc:
        raise MalformedJsonError(f"JSON is not valid UTF-8: {exc}") from None


def _not_msgspec_json(raw: Any, tp: Any, exc: msgspec.DecodeError) -> Any:
    """Input msgspec cannot parse: JSON with unpaired UTF-16 surrogate escapes (``"\\ud800"``),
    which the data model's JSON allows and the reference reads, goes through the standard
    library's parser; anything else is :class:`MalformedJsonError`."""
    if "surrogate" not in str(exc):
        raise MalformedJsonError(str(exc)) from None
    import json

    text = bytes(raw).decode("utf-8", "replace") if not isinstance(raw, str) else raw
    try:
        obj = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:
        raise MalformedJsonError(f"JSON is malformed: {err}") from None
    return convert_tolerant(obj, tp)


def _too_deep() -> MalformedJsonError:
    return MalformedJsonError(
        "JSON nested deeper than the recursion limit allows (see sys.setrecursionlimit)"
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class TolerantDecoder(Generic[T]):
    """A JSON decoder for ``type`` that tolerates unknown open-union variants.

    Clean input costs one native decode; only input the native decoder rejects takes the slow
    path. Thread-safe; build one per type (or use :func:`decoder_for`).
    """

    __slots__ = ("_native", "_plan", "type")

    type: Any

    @overload
    def __init__(self, type: type[T]) -> None: ...
    @overload
    def __init__(self: TolerantDecoder[Any], type: Any) -> None: ...
    def __init__(self, type: Any) -> None:
        self.type = type
        self._plan = _type_plan(type)
        self._native = self._plan.native

    def decode(self, buf: bytes | str) -> T:
        """Decode JSON ``buf``; raises :class:`SchemaMismatchError` or ``msgspec.DecodeError``."""
        try:
            return cast("T", self._native.decode(buf))
        except msgspec.ValidationError as fast:
            return cast("T", _json_top(buf, self.type, False, False, fast))
        except msgspec.DecodeError as exc:
            return cast("T", _not_msgspec_json(buf, self.type, exc))
        except RecursionError:
            raise _too_deep() from None
        except UnicodeDecodeError as exc:
            raise MalformedJsonError(f"JSON is not valid UTF-8: {exc}") from None

    def __repr__(self) -> str:
        return f"TolerantDecoder({self.type!r})"


_decoders: dict[Any, TolerantDecoder[Any]] = {}
_decoders_lock = threading.Lock()


@overload
def decoder_for(tp: type[T]) -> TolerantDecoder[T]: ...
@overload
def decoder_for(tp: Any) -> TolerantDecoder[Any]: ...
def decoder_for(tp: Any) -> TolerantDecoder[Any]:
    """The process-wide :class:`TolerantDecoder` for ``tp``: one object per type, built once."""
    try:
        decoder = _decoders.get(tp)
    except TypeError:  # unhashable type: nothing to cache it under
        return TolerantDecoder(tp)
    if decoder is None:
        # Built outside the lock: building may import generated modules (lazy references).
        built = TolerantDecoder(tp)
        with _decoders_lock:
            decoder = _decoders.setdefault(tp, built)
    return decoder


# ---------------------------------------------------------------------------------------------
# Python builtins (JSON-shaped dicts and lists: files, caches, CBOR event streams)


def _convert(
    obj: Any,
    tp: Any,
    closed: bool,
    single: bool,
    path: str,
    known: SchemaMismatchError | None,
    kw: dict[str, Any],
) -> Any:
    """:func:`_json` over builtins."""
    plan = _type_plan(tp)
    if plan.target is Raw and type(obj) is not Raw:  # `unknown` (atlex._lazy): JSON kept
        return _as_raw(obj, path)
    if _inside(known, path):
        failure = cast("SchemaMismatchError", known)
    else:
        try:
            return msgspec.convert(obj, plan.target, **kw)
        except (msgspec.ValidationError, UnicodeEncodeError) as exc:
            failure = _failure(exc, path)
    n_structs = len(plan.structs)
    if isinstance(obj, dict) and (n_structs >= 2 or (single and n_structs == 1)):
        return _convert_union(cast("dict[str, Any]", obj), plan, closed, single, failure, path, kw)
    if isinstance(obj, dict) and n_structs == 1:
        return _convert_struct(cast("dict[str, Any]", obj), plan.structs[0], failure, path, kw)
    if plan.list_item is not _NO_LIST and isinstance(obj, (list, tuple)):
        items = cast("list[Any] | tuple[Any, ...]", obj)
        return [
            _convert(item, plan.list_item, closed, single, f"{path}[{i}]", failure, kw)
            for i, item in enumerate(items)
        ]
    raise _again(failure)


def _as_raw(obj: Any, path: str) -> Raw:
    """An ``unknown`` value given as builtins, as the JSON a decode would have kept."""
    try:
        return Raw(msgspec.json.encode(obj))
    except UnicodeEncodeError:  # unpaired surrogates: escaped, as atlex.encode writes them
        import json

        return Raw(json.dumps(obj, ensure_ascii=True, separators=(",", ":")).encode())
    except (TypeError, ValueError) as exc:
        raise SchemaMismatchError(f"not JSON data: {exc}", path) from None


def _convert_tag(
    obj: dict[str, Any], tag_field: str, failure: SchemaMismatchError, path: str
) -> str | UnsetType:
    value = obj.get(tag_field, UNSET)
    if value is UNSET or isinstance(value, str):
        return cast("str | UnsetType", value)
    try:
        msgspec.convert(value, str)
    except msgspec.ValidationError as exc:
        raise _relocate(exc, f"{path}.{tag_field}") from None
    raise _again(failure)  # unreachable for builtins; stay strict anyway


def _convert_union(
    obj: dict[str, Any],
    plan: _TypePlan,
    closed: bool,
    single: bool,
    failure: SchemaMismatchError,
    path: str,
    kw: dict[str, Any],
) -> Any:
    tag = _convert_tag(obj, plan.tag_field, failure, path)
    if isinstance(tag, UnsetType):
        if single and len(plan.structs) == 1:
            return _convert_struct(obj, plan.structs[0], failure, path, kw)
        raise _again(failure)
    malformed = _malformed_type(tag, path)
    if malformed is not None:
        raise malformed
    member = _member(plan.by_tag, tag)
    if member is not None:
        return _convert_struct(obj, member, failure, path, kw)
    if closed:
        raise _bad_tag(tag, path, plan.tag_field)
    return obj  # an unknown member of an open union: kept as it is


def _convert_struct(
    obj: dict[str, Any],
    cls: type[msgspec.Struct],
    failure: SchemaMismatchError,
    path: str,
    kw: dict[str, Any],
) -> Any:
    splan = _struct_plan(cls)
    if splan.strict_leaf:
        raise _again(failure)
    if splan.tag is not None and splan.tag_field is not None:
        tag = _convert_tag(obj, splan.tag_field, failure, path)
        if isinstance(tag, str) and not _same_tag(tag, splan.tag):
            raise _bad_tag(tag, path, splan.tag_field)
    kwargs: dict[str, Any] = {}
    for field in splan.fields:
        if field.encode_name not in obj:
            if field.required:
                raise _missing(field, path)
            continue
        kwargs[field.name] = _convert(
            obj[field.encode_name],
            field.type,
            field.closed,
            field.single,
            f"{path}.{field.encode_name}",
            failure,
            kw,
        )
    return _construct(cls, kwargs, path)


def convert_tolerant(
    obj: Any,
    tp: Any,
    closed: bool = False,
    union_flag: bool | None = None,
    **convert_kwargs: Any,
) -> Any:
    """``msgspec.convert(obj, tp, **convert_kwargs)``, keeping unknown open-union variants.

    The same rules as :func:`json_tolerant`, over already-decoded builtins. An unknown variant is
    returned as the very dict that was passed in. Raises :class:`SchemaMismatchError` (caused by
    the fast-path error) with the full path.
    """
    plan = _type_plan(tp)
    try:
        return msgspec.convert(obj, plan.target, **convert_kwargs)
    except (msgspec.ValidationError, UnicodeEncodeError) as fast:
        try:
            failure = _failure(fast, "$")
            return _convert(obj, tp, closed, bool(union_flag), "$", failure, convert_kwargs)
        except SchemaMismatchError as slow:
            raise slow from fast


def untyped(data: bytes | str) -> Any:
    """``data`` as JSON builtins (unpaired surrogate escapes allowed, like :func:`decoder_for`)."""
    try:
        return _ANY.decode(data)
    except msgspec.DecodeError as exc:
        return _not_msgspec_json(data, Any, exc)
    except RecursionError:
        raise _too_deep() from None
    except UnicodeDecodeError as exc:
        raise MalformedJsonError(f"JSON is not valid UTF-8: {exc}") from None
