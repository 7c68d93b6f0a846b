"""Tolerant conversion of Python builtins (JSON-shaped dicts and lists: files, caches, CBOR
event streams): ``msgspec.convert``, then, only when it fails, the slow path that keeps unknown
open-union members as the dicts they are (the rules of :mod:`atlex._tolerant`, over builtins).
"""

from __future__ import annotations

from typing import Any, cast

import msgspec
from msgspec import UNSET, Raw, UnsetType

from atlex._tolerant_core import (
    NO_LIST,
    SchemaMismatchError,
    TypePlan,
    again,
    bad_tag,
    construct,
    failure_at,
    inside,
    malformed_type,
    member_of,
    missing,
    relocate,
    same_tag,
    struct_plan,
    type_plan,
)

__all__ = ["convert_tolerant"]


def _convert(
    obj: Any,
    tp: Any,
    closed: bool,
    single: bool,
    path: str,
    known: SchemaMismatchError | None,
    kw: dict[str, Any],
) -> Any:
    """``atlex._tolerant._json`` over builtins."""
    plan = type_plan(tp)
    if plan.target is Raw and type(obj) is not Raw:  # `unknown` (atlex._lazy): JSON kept
        return _as_raw(obj, path)
    if inside(known, path):
        failure = cast("SchemaMismatchError", known)
    else:
        try:
            return msgspec.convert(obj, plan.target, **kw)
        except (msgspec.ValidationError, UnicodeEncodeError) as exc:
            failure = failure_at(exc, path)
    n_structs = len(plan.structs)
    if isinstance(obj, dict) and (n_structs >= 2 or (single and n_structs == 1)):
        return _convert_union(cast("dict[str, Any]", obj), plan, closed, single, failure, path, kw)
    if isinstance(obj, dict) and n_structs == 1:
        return _convert_struct(cast("dict[str, Any]", obj), plan.structs[0], failure, path, kw)
    if plan.list_item is not NO_LIST and isinstance(obj, (list, tuple)):
        items = cast("list[Any] | tuple[Any, ...]", obj)
        return [
            _convert(item, plan.list_item, closed, single, f"{path}[{i}]", failure, kw)
            for i, item in enumerate(items)
        ]
    raise again(failure)


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
        raise relocate(exc, f"{path}.{tag_field}") from None
    raise again(failure)  # unreachable for builtins; stay strict anyway


def _convert_union(
    obj: dict[str, Any],
    plan: TypePlan,
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
        raise again(failure)
    malformed = malformed_type(tag, path)
    if malformed is not None:
        raise malformed
    member = member_of(plan.by_tag, tag)
    if member is not None:
        return _convert_struct(obj, member, failure, path, kw)
    if closed:
        raise bad_tag(tag, path, plan.tag_field)
    return obj  # an unknown member of an open union: kept as it is


def _convert_struct(
    obj: dict[str, Any],
    cls: type[msgspec.Struct],
    failure: SchemaMismatchError,
    path: str,
    kw: dict[str, Any],
) -> Any:
    splan = struct_plan(cls)
    if splan.strict_leaf:
        raise again(failure)
    if splan.tag is not None and splan.tag_field is not None:
        tag = _convert_tag(obj, splan.tag_field, failure, path)
        if isinstance(tag, str) and not same_tag(tag, splan.tag):
            raise bad_tag(tag, path, splan.tag_field)
    kwargs: dict[str, Any] = {}
    for field in splan.fields:
        if field.encode_name not in obj:
            if field.required:
                raise missing(field, path)
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
    return construct(cls, kwargs, path)


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
    plan = type_plan(tp)
    try:
        return msgspec.convert(obj, plan.target, **convert_kwargs)
    except (msgspec.ValidationError, UnicodeEncodeError) as fast:
        try:
            failure = failure_at(fast, "$")
            return _convert(obj, tp, closed, bool(union_flag), "$", failure, convert_kwargs)
        except SchemaMismatchError as slow:
            raise slow from fast
