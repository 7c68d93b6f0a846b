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

This module is the JSON side and the public entry points; the same rules over builtins
(``convert``) live in :mod:`atlex._tolerant_convert`, what both share (errors, ``$type`` rules,
located failures, cached per-type plans) in :mod:`atlex._tolerant_core`.

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

import threading
from typing import Any, Generic, TypeVar, cast, overload

import msgspec
from msgspec import UNSET, Raw

from atlex._tolerant_convert import convert_tolerant
from atlex._tolerant_core import (
    ANY_DECODER,
    NO_LIST,
    RAW_LIST,
    STR_DECODER,
    TWIN_TAG_ATTR,
    MalformedJsonError,
    SchemaMismatchError,
    TypePlan,
    again,
    bad_tag,
    construct,
    inside,
    malformed_type,
    member_of,
    missing,
    peeker,
    relocate,
    same_tag,
    struct_plan,
    type_plan,
)

__all__ = [
    "MalformedJsonError",
    "SchemaMismatchError",
    "TolerantDecoder",
    "convert_tolerant",
    "decoder_for",
    "json_tolerant",
    "untyped",
]

T = TypeVar("T")


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
    plan = type_plan(tp)
    if inside(known, path):
        failure = cast("SchemaMismatchError", known)
    else:
        try:
            return plan.native.decode(raw)
        except msgspec.ValidationError as exc:
            failure = relocate(exc, path)
    n_structs = len(plan.structs)
    if n_structs >= 2 or (single and n_structs == 1):
        return _json_union(raw, plan, closed, single, failure, path)
    if n_structs == 1:
        return _json_struct(raw, plan.structs[0], failure, path)
    if plan.list_item is not NO_LIST:
        try:
            items = RAW_LIST.decode(raw)
        except msgspec.ValidationError:
            raise again(failure) from None
        item_tp = plan.list_item
        return [
            _json(item, item_tp, closed, single, f"{path}[{i}]", failure)
            for i, item in enumerate(items)
        ]
    raise again(failure)


def _json_union(
    raw: Any,
    plan: TypePlan,
    closed: bool,
    single: bool,
    failure: SchemaMismatchError,
    path: str,
) -> Any:
    try:
        tag_raw = getattr(peeker(plan.tag_field).decode(raw), TWIN_TAG_ATTR)
    except msgspec.ValidationError:  # not an object: the native error says so
        raise again(failure) from None
    if tag_raw is UNSET:
        if single and len(plan.structs) == 1:
            # A single-ref union looks like a ref to msgspec, which accepts a missing $type.
            return _json_struct(raw, plan.structs[0], failure, path)
        raise again(failure)
    try:
        tag = STR_DECODER.decode(tag_raw)
    except msgspec.ValidationError as exc:
        raise relocate(exc, f"{path}.{plan.tag_field}") from None
    malformed = malformed_type(tag, path)
    if malformed is not None:
        raise malformed
    member = member_of(plan.by_tag, tag)
    if member is not None:
        # The union failed natively, so this member fails natively on the same value.
        return _json_struct(raw, member, failure, path)
    if closed:
        raise bad_tag(tag, path, plan.tag_field)
    return ANY_DECODER.decode(raw)  # an unknown member of an open union: kept as plain data


def _json_struct(
    raw: Any,
    cls: type[msgspec.Struct],
    failure: SchemaMismatchError,
    path: str,
) -> Any:
    splan = struct_plan(cls)
    if splan.strict_leaf:
        raise again(failure)
    try:
        twin = splan.twin.decode(raw)
    except msgspec.ValidationError:  # not an object (null was handled natively if allowed)
        raise again(failure) from None
    if splan.tag is not None and splan.tag_field is not None:
        tag_raw = getattr(twin, TWIN_TAG_ATTR)
        if tag_raw is not UNSET:
            try:
                tag = STR_DECODER.decode(tag_raw)
            except msgspec.ValidationError as exc:
                raise relocate(exc, f"{path}.{splan.tag_field}") from None
            if not same_tag(tag, splan.tag):
                raise bad_tag(tag, path, splan.tag_field)
    kwargs: dict[str, Any] = {}
    for field in splan.fields:
        piece = getattr(twin, field.name)
        if piece is UNSET:
            if field.required:
                raise missing(field, path)
            continue
        kwargs[field.name] = _json(
            piece, field.type, field.closed, field.single, f"{path}.{field.encode_name}", failure
        )
    return construct(cls, kwargs, path)


def _json_top(raw: Any, tp: Any, closed: bool, single: bool, fast: msgspec.ValidationError) -> Any:
    try:
        return _json(raw, tp, closed, single, "$", relocate(fast, "$"))
    except SchemaMismatchError as slow:
        raise slow from fast
    except msgspec.ValidationError as slow:
        raise relocate(slow, "$") from fast
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
    plan = type_plan(tp)
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
        self._plan = type_plan(type)
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


def untyped(data: bytes | str) -> Any:
    """``data`` as JSON builtins (unpaired surrogate escapes allowed, like :func:`decoder_for`)."""
    try:
        return ANY_DECODER.decode(data)
    except msgspec.DecodeError as exc:
        return _not_msgspec_json(data, Any, exc)
    except RecursionError:
        raise _too_deep() from None
    except UnicodeDecodeError as exc:
        raise MalformedJsonError(f"JSON is not valid UTF-8: {exc}") from None
