"""The ``applyWrites`` batch (upstream lex-client ``applyWrites``): the :class:`Create` /
:class:`Update` / :class:`Delete` operations and the plan that sends them in one commit. The
single-record helpers are :mod:`atlex._records`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from atlex._checks import reanchor
from atlex._model import LexObject
from atlex._record_data import ListedRecord, RecordResult, collection_of
from atlex._records import (
    APPLY_WRITES,
    Plan,
    drop_none,
    record_key,
    record_target,
    repo_of,
    unchanged,
)
from atlex.errors import LexValidationError

__all__ = ["Create", "Delete", "Update", "WriteOp", "apply_writes_plan"]


@dataclass(frozen=True, slots=True)
class Create:
    """``applyWrites`` operation: create ``record`` (key by the lexicon's key type)."""

    record: LexObject
    rkey: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    """``applyWrites`` operation: replace the record at ``rkey`` (a :class:`RecordResult`
    keeps the members the local lexicons do not know, like ``put``)."""

    record: LexObject | RecordResult[Any] | ListedRecord[Any]
    rkey: str | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    """``applyWrites`` operation: delete the ``record_type`` record at ``rkey``."""

    record_type: type[LexObject]
    rkey: str | None = None


WriteOp: TypeAlias = Create | Update | Delete


def _write(op: object, index: int, validate_request: bool) -> dict[str, Any]:
    where = f"$.writes[{index}]"
    try:
        if isinstance(op, Create | Update):
            new = isinstance(op, Create)
            collection, key, data = record_target(
                op.record, op.rkey, new=new, validate_request=validate_request, field="value"
            )
            kind = "create" if new else "update"
            return drop_none(
                {
                    "$type": f"com.atproto.repo.applyWrites#{kind}",
                    "collection": collection,
                    "rkey": key,
                    "value": data,
                }
            )
        if isinstance(op, Delete):
            key = record_key(op.record_type, op.rkey, server_may_choose=False)
            return {
                "$type": "com.atproto.repo.applyWrites#delete",
                "collection": collection_of(op.record_type),
                "rkey": key,
            }
    except LexValidationError as exc:
        raise reanchor(exc, where, "") from exc
    raise TypeError(f"writes[{index}]: expected Create, Update or Delete, got {type(op).__name__}")


def apply_writes_plan(
    writes: Sequence[WriteOp],
    *,
    validate: bool | None,
    swap_commit: str | None,
    repo: str | None,
    did: Callable[[], str],
    validate_request: bool,
) -> Plan[Any]:
    if isinstance(writes, Create | Update | Delete):
        raise TypeError("apply_writes takes a list of operations")
    body = drop_none(
        {
            "repo": repo_of(repo, did),
            "validate": validate,
            "writes": [_write(op, i, validate_request) for i, op in enumerate(writes)],
            "swapCommit": swap_commit,
        }
    )
    return Plan(APPLY_WRITES, None, body, unchanged)
