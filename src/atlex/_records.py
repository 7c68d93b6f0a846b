"""Record helpers without I/O (upstream lex-client ``create``/``get``/``put``/``delete``/``list``/
``listAll``/``applyWrites``/``uploadBlob``): which call to make, with which body, and what the
answer means. ``Client`` and ``AsyncClient`` only run the :class:`Plan`\\ s built here; how a
record is read and written back losslessly is :mod:`atlex._record_data`, the ``applyWrites``
batch :mod:`atlex._writes`.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import msgspec
from msgspec import UnsetType

from atlex._body import BinaryBody, BinaryInput
from atlex._checks import reanchor
from atlex._headers import CallOptions
from atlex._lazy import plain_value
from atlex._method import Method
from atlex._model import Blob, LexObject
from atlex._record_data import (
    Fetched,
    ListedRecord,
    RecordResult,
    collection_of,
    listed,
    merged_json,
    read_record,
    record_json,
    record_lexicon,
    unpack,
)
from atlex.errors import LexValidationError, XrpcInvalidResponseError

__all__ = [
    "APPLY_WRITES",
    "ListedRecord",
    "Pager",
    "Plan",
    "RecordPage",
    "RecordResult",
    "delete_plan",
    "drop_none",
    "get_plan",
    "list_plan",
    "pds_options",
    "record_json",
    "record_key",
    "record_target",
    "repo_of",
    "unchanged",
    "upload_blob_plan",
    "write_plan",
]

R = TypeVar("R", bound=LexObject)
T = TypeVar("T")

_REPO = "atlex.lex.com.atproto.repo."


def _procedure(nsid: str, module: str, *, binary: bool = False) -> Method:
    return Method(
        nsid=nsid,
        kind="procedure",
        module=_REPO + module,
        input="binary" if binary else "json",
        input_encoding="*/*" if binary else "application/json",
        output="json",
        output_schema=True,
        output_encoding="application/json",
    )


def _query(nsid: str, module: str) -> Method:
    return Method(
        nsid=nsid,
        kind="query",
        module=_REPO + module,
        params=True,
        output="json",
        output_schema=True,
        output_encoding="application/json",
    )


CREATE_RECORD = _procedure("com.atproto.repo.createRecord", "create_record")
PUT_RECORD = _procedure("com.atproto.repo.putRecord", "put_record")
DELETE_RECORD = _procedure("com.atproto.repo.deleteRecord", "delete_record")
APPLY_WRITES = _procedure("com.atproto.repo.applyWrites", "apply_writes")
UPLOAD_BLOB = _procedure("com.atproto.repo.uploadBlob", "upload_blob", binary=True)
GET_RECORD = _query("com.atproto.repo.getRecord", "get_record")
LIST_RECORDS = _query("com.atproto.repo.listRecords", "list_records")


@dataclass(frozen=True, slots=True)
class Plan(Generic[T]):
    """One XRPC call and how to turn its output into the helper's result."""

    method: Method
    params: dict[str, Any] | None
    input: object
    finish: Callable[[Any], T]


def pds_options(options: CallOptions | None) -> CallOptions:
    """Record helpers always talk to the account's PDS: no proxy and no labelers unless the
    call's options name them (upstream: ``service: null, labelers: null`` since 0.3.0)."""
    if options is None:
        return CallOptions(proxy=None, labelers=None)
    return msgspec.structs.replace(
        options,
        proxy=None if isinstance(options.proxy, UnsetType) else options.proxy,
        labelers=None if isinstance(options.labelers, UnsetType) else options.labelers,
    )


# --- record types and keys ---


_KEY_FORMATS = {"tid": "tid", "nsid": "nsid", "any": "record-key"}


def record_key(
    record_type: type[LexObject], rkey: str | None, *, server_may_choose: bool
) -> str | None:
    """The record key to send: ``rkey`` checked against the lexicon's key type, or its default
    (the literal for ``literal:*`` keys, None when the server may choose a TID)."""
    from atlex.syntax import check_format

    collection, key = record_lexicon(record_type)
    if key.startswith("literal:"):
        literal = key.removeprefix("literal:")
        if rkey is not None and rkey != literal:
            raise LexValidationError(
                f"{collection} records have the fixed key {literal!r}, got rkey={rkey!r}",
                path="rkey",
            )
        return literal
    if rkey is None:
        if server_may_choose and key in ("tid", "any"):
            return None
        raise TypeError(f"{collection} records have {key} keys: pass rkey=...")
    if not isinstance(rkey, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"rkey must be a string, got {type(rkey).__name__}")
    problem = check_format("record-key", rkey)
    fmt = _KEY_FORMATS.get(key, "record-key")
    if problem is None and fmt != "record-key":
        problem = check_format(fmt, rkey)
    if problem is not None:
        raise LexValidationError(
            f"invalid rkey {rkey!r} for {collection} (key type {key}): {problem}", path="rkey"
        )
    return rkey


def record_target(
    record: object, rkey: str | None, *, new: bool, validate_request: bool, field: str
) -> tuple[str, str | None, dict[str, Any]]:
    """(collection, record key, JSON) for writing ``record`` (a struct or a read result).

    A new record's key may be left to the server (``tid``/``any``); a read result supplies its
    own key unless ``rkey`` is given. With ``validate_request`` the record is checked first,
    errors located under ``$.<field>``.
    """
    value, stored, fetched = unpack(record)
    record_type = type(value)
    if rkey is None and fetched is not None:
        rkey = fetched.rkey
    key = record_key(record_type, rkey, server_may_choose=new)
    if validate_request:
        try:
            value.validate()
        except LexValidationError as exc:
            raise reanchor(exc, f"$.{field}", "") from exc
    return collection_of(record_type), key, merged_json(value, stored)


# --- the helpers ---


def repo_of(repo: str | None, did: Callable[[], str]) -> str:
    return repo if repo is not None else did()


def drop_none(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def _read_from(record: object) -> str | None:
    """The repo a read result came from (None for a plain struct)."""
    return cast(Fetched[Any], record).repo if isinstance(record, Fetched) else None


def write_plan(
    record: object,
    *,
    new: bool,
    rkey: str | None,
    validate: bool | None,
    swap_record: str | None,
    swap_commit: str | None,
    repo: str | None,
    did: Callable[[], str],
    validate_request: bool,
) -> Plan[Any]:
    """``createRecord`` (``new``) or ``putRecord`` of ``record``. Writing back a read result
    targets the repo it was read from unless ``repo`` says otherwise."""
    if repo is None and not new:
        repo = _read_from(record)
    collection, key, data = record_target(
        record, rkey, new=new, validate_request=validate_request, field="record"
    )
    body = drop_none(
        {
            "repo": repo_of(repo, did),
            "collection": collection,
            "rkey": key,
            "validate": validate,
            "record": data,
            "swapRecord": swap_record,
            "swapCommit": swap_commit,
        }
    )
    return Plan(CREATE_RECORD if new else PUT_RECORD, None, body, unchanged)


def delete_plan(
    record_type: type[LexObject],
    *,
    rkey: str | None,
    swap_record: str | None,
    swap_commit: str | None,
    repo: str | None,
    did: Callable[[], str],
) -> Plan[Any]:
    key = record_key(record_type, rkey, server_may_choose=False)
    body = drop_none(
        {
            "repo": repo_of(repo, did),
            "collection": collection_of(record_type),
            "rkey": key,
            "swapRecord": swap_record,
            "swapCommit": swap_commit,
        }
    )
    return Plan(DELETE_RECORD, None, body, unchanged)


def unchanged(output: Any) -> Any:
    return output


def _invalid_output(nsid: str, message: str) -> XrpcInvalidResponseError:
    return XrpcInvalidResponseError(message, status=200, headers={}, body=None, nsid=nsid)


def get_plan(
    record_type: type[R],
    *,
    rkey: str | None,
    repo: str | None,
    cid: str | None,
    did: Callable[[], str],
) -> Plan[RecordResult[R]]:
    key = record_key(record_type, rkey, server_may_choose=False)
    collection = collection_of(record_type)
    params = drop_none(
        {"repo": repo_of(repo, did), "collection": collection, "rkey": key, "cid": cid}
    )

    def finish(output: Any) -> RecordResult[R]:
        raw = cast(dict[str, Any], plain_value(output, "value"))  # the record as stored
        try:
            value = read_record(record_type, raw)
        except LexValidationError as exc:
            raise LexValidationError(
                f"{output.uri} is not a valid {collection} record: {exc.message}", path=exc.path
            ) from exc
        return RecordResult(output.uri, _str_or_none(output.cid), value, raw)

    return Plan(GET_RECORD, params, None, finish)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class RecordPage(Generic[R]):
    """A page of ``client.list``; pass ``cursor`` back for the next one (None: the last)."""

    records: builtins.list[ListedRecord[R]]
    cursor: str | None


def list_plan(
    record_type: type[R],
    *,
    repo: str | None,
    limit: int | None,
    cursor: str | None,
    reverse: bool | None,
    did: Callable[[], str],
) -> Plan[RecordPage[R]]:
    collection = collection_of(record_type)
    params = drop_none(
        {
            "repo": repo_of(repo, did),
            "collection": collection,
            "limit": limit,
            "cursor": cursor,
            "reverse": reverse,
        }
    )

    def finish(output: Any) -> RecordPage[R]:
        records = [
            listed(record_type, item.uri, _str_or_none(item.cid), plain_value(item, "value"))
            for item in output.records
        ]
        next_cursor = output.cursor if isinstance(output.cursor, str) and output.cursor else None
        return RecordPage(records, next_cursor)

    return Plan(LIST_RECORDS, params, None, finish)


class Pager(Generic[R]):
    """The pages of ``list_all``: ask :meth:`next_plan` for the next call, hand its page to
    :meth:`feed`. Stops when the server gives no cursor, or repeats one it gave before (a
    buggy server would otherwise be paged forever)."""

    def __init__(
        self,
        record_type: type[R],
        *,
        repo: str | None,
        limit: int | None,
        reverse: bool | None,
        did: Callable[[], str],
    ) -> None:
        self._record_type = record_type
        self._repo = repo_of(repo, did)  # resolved once: every page reads the same repo
        self._limit = limit
        self._reverse = reverse
        self._did = did
        self._cursor: str | None = None
        self._seen: set[str] = set()
        self._done = False

    def next_plan(self) -> Plan[RecordPage[R]] | None:
        if self._done:
            return None
        return list_plan(
            self._record_type,
            repo=self._repo,
            limit=self._limit,
            cursor=self._cursor,
            reverse=self._reverse,
            did=self._did,
        )

    def feed(self, page: RecordPage[R]) -> builtins.list[ListedRecord[R]]:
        """The page's records; decides whether there is a next page."""
        cursor = page.cursor
        if cursor is None or cursor in self._seen:
            self._done = True
        else:
            self._seen.add(cursor)
            self._cursor = cursor
        return page.records


# --- blobs ---


def upload_blob_plan(data: BinaryInput, mime_type: str) -> Plan[Blob]:
    if not isinstance(mime_type, str) or "/" not in mime_type.strip("/"):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ValueError(f"mime_type must be a MIME type such as 'image/png', got {mime_type!r}")

    def finish(output: Any) -> Blob:
        blob = cast(Blob, output.blob)
        if blob.is_legacy or isinstance(blob.size, UnsetType):
            raise _invalid_output(
                UPLOAD_BLOB.nsid, "the server returned a legacy blob reference (no ref/size)"
            )
        return blob

    return Plan(UPLOAD_BLOB, None, BinaryBody(data, mime_type), finish)
