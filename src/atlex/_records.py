"""Record helpers without I/O (upstream lex-client ``create``/``get``/``put``/``delete``/``list``/
``listAll``/``applyWrites``/``uploadBlob``): what to call, with which body, and what the answer
means. ``Client`` and ``AsyncClient`` only run the :class:`Plan`\\ s built here.

Lossless read-modify-write
--------------------------
Generated structs ignore fields the local lexicons do not define, so a record read into a struct
and written back would lose what a newer app stored in it. :func:`read_record` therefore keeps
the record's JSON as it came (``raw``) and remembers which struct was decoded from which JSON
object, by identity, at every depth (the record, nested objects, union members, list items).
:func:`record_json` writes a struct back by taking every field the struct defines from the
struct, and every member its class does not define from the JSON that object was read from:

* a field you change, clear (``UNSET``) or set is written as you left it;
* a member the lexicon does not know survives, on the record and on every nested object you
  kept (changed in place or not);
* an object you *replace* by a new one is written exactly as you built it: unknown members of
  the old object do not leak into the new one;
* members of union values whose ``$type`` is unknown locally are kept whole (they stay dicts).

Blobs in the legacy ``{"cid", "mimeType"}`` form are never written: re-upload the data.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar, cast

import msgspec
from msgspec import UnsetType

from atlex._body import BinaryBody, BinaryInput
from atlex._checks import reanchor
from atlex._headers import CallOptions
from atlex._method import Method
from atlex._model import Blob, LexObject
from atlex.errors import LexValidationError, XrpcInvalidResponseError

__all__ = [
    "Create",
    "Delete",
    "ListedRecord",
    "Pager",
    "Plan",
    "RecordPage",
    "RecordResult",
    "Update",
    "WriteOp",
    "apply_writes_plan",
    "create_plan",
    "delete_plan",
    "get_plan",
    "list_plan",
    "pds_options",
    "put_plan",
    "read_record",
    "record_json",
    "upload_blob_plan",
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


def record_lexicon(record_type: type[LexObject]) -> tuple[str, str]:
    """(collection NSID, key type) of a generated record class (``LEX_TYPE``, ``LEX_KEY``)."""
    if not (isinstance(record_type, type) and issubclass(record_type, LexObject)):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"expected a generated record class, got {record_type!r}")
    key: object = getattr(record_type, "LEX_KEY", None)
    lex_type = record_type.LEX_TYPE
    if not isinstance(key, str) or not lex_type or "#" in lex_type:
        raise TypeError(
            f"{record_type.__qualname__} is not a record type (it has no LEX_KEY); "
            "pass the generated `Record` class of a record lexicon"
        )
    return lex_type, key


def collection_of(record_type: type[LexObject]) -> str:
    """The collection NSID of a generated record class."""
    return record_lexicon(record_type)[0]


def _record_type_of(record: object) -> type[LexObject]:
    if isinstance(record, Mapping):
        raise TypeError(
            "record helpers take a generated record (e.g. post.Record(...)), not a dict; "
            "use client.call('com.atproto.repo.createRecord', input=...) for raw JSON"
        )
    if not isinstance(record, LexObject):
        raise TypeError(f"expected a generated record, got {type(record).__name__}")
    record_type = type(record)
    collection_of(record_type)
    return record_type


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


# --- reading: typed value + raw JSON + provenance ---

_Provenance: TypeAlias = dict[int, tuple[LexObject, dict[str, Any]]]


def _pair(value: Any, raw: Any, out: _Provenance) -> None:
    """Remember, for every struct inside ``value``, the JSON object it was decoded from."""
    if isinstance(value, LexObject) and isinstance(raw, dict):
        raw_map = cast(dict[str, Any], raw)
        out[id(value)] = (value, raw_map)
        cls = type(value)
        for attr, wire in zip(cls.__struct_fields__, cls.__struct_encode_fields__, strict=True):
            if wire in raw_map:
                _pair(getattr(value, attr), raw_map[wire], out)
    elif isinstance(value, list) and isinstance(raw, list):
        for item, raw_item in zip(cast(list[Any], value), cast(list[Any], raw), strict=False):
            _pair(item, raw_item, out)


def read_record(record_type: type[R], raw: object) -> tuple[R, _Provenance]:
    """Decode a record's JSON into ``record_type`` and check it against its lexicon.

    Raises :class:`LexValidationError` (with the JSON path) when the ``$type`` is not the
    collection, the structure does not fit or a constraint is broken (upstream ``safeValidate``).
    """
    from atlex._tolerant import SchemaMismatchError, convert_tolerant

    collection = collection_of(record_type)
    if not isinstance(raw, dict):
        raise LexValidationError(
            f"a record must be a JSON object, got {type(raw).__name__}", path="$"
        )
    raw_map = cast(dict[str, Any], raw)
    kind = raw_map.get("$type")
    if kind != collection:
        raise LexValidationError(
            f"expected a {collection} record, got $type {kind!r} at $.$type", path="$.$type"
        )
    try:
        value = cast(R, convert_tolerant(raw_map, record_type))
    except SchemaMismatchError as exc:
        raise LexValidationError(f"{exc.reason} at {exc.path}", path=exc.path) from exc
    value.validate()
    provenance: _Provenance = {}
    _pair(value, raw_map, provenance)
    return value, provenance


class _Fetched(Generic[R]):
    """What every record read carries: where it lives and its JSON as stored."""

    __slots__ = ("_provenance", "cid", "raw", "uri")

    def __init__(self, uri: str, cid: str | None, raw: dict[str, Any], provenance: _Provenance):
        self.uri = uri
        """``at://<repo>/<collection>/<rkey>``"""
        self.cid = cid
        """The record's CID (pass it as ``swap_record`` to write only over this version)."""
        self.raw = raw
        """The record's JSON exactly as the server returned it (read-only by convention)."""
        self._provenance = provenance

    @property
    def rkey(self) -> str:
        return self.uri.rsplit("/", 1)[-1]

    @property
    def repo(self) -> str:
        return self.uri.removeprefix("at://").split("/", 1)[0]


class RecordResult(_Fetched[R]):
    """A record read by ``client.get`` (or a valid item of ``client.list``).

    ``value`` is the typed record; change it and hand the result (not just ``value``) to
    ``client.put`` to write it back without losing what the local lexicons do not know::

        got = client.get(profile.Record)
        got.value.display_name = "Alice"
        client.put(got, swap_record=got.cid)
    """

    __slots__ = ("value",)

    def __init__(
        self, uri: str, cid: str | None, value: R, raw: dict[str, Any], provenance: _Provenance
    ) -> None:
        super().__init__(uri, cid, raw, provenance)
        self.value = value

    def __repr__(self) -> str:
        return f"RecordResult(uri={self.uri!r}, cid={self.cid!r}, value={self.value!r})"


class ListedRecord(_Fetched[R]):
    """One item of ``client.list``: marked ``valid`` or not, like upstream.

    A valid item has its typed ``value`` (and can be passed to ``client.put`` like a
    :class:`RecordResult`); an invalid one has ``value`` None, its JSON in ``raw`` and the
    reason in ``error``.
    """

    __slots__ = ("error", "value")

    def __init__(
        self,
        uri: str,
        cid: str | None,
        value: R | None,
        raw: dict[str, Any],
        provenance: _Provenance,
        error: LexValidationError | None,
    ) -> None:
        super().__init__(uri, cid, raw, provenance)
        self.value = value
        self.error = error

    @property
    def valid(self) -> bool:
        return self.error is None

    def __repr__(self) -> str:
        shown = f"value={self.value!r}" if self.valid else f"error={self.error!s}"
        return f"ListedRecord(uri={self.uri!r}, valid={self.valid}, {shown})"


@dataclass(frozen=True, slots=True)
class RecordPage(Generic[R]):
    """A page of ``client.list``; pass ``cursor`` back for the next one (None: the last)."""

    records: builtins.list[ListedRecord[R]]
    cursor: str | None


# --- writing: struct (+ the JSON it was read from) -> JSON ---


def _known_members(cls: type[LexObject]) -> frozenset[str]:
    names = set(cls.__struct_encode_fields__)
    tag_field = cls.__struct_config__.tag_field
    if tag_field is not None:
        names.add(tag_field)
    return frozenset(names)


def _to_json(value: Any, provenance: _Provenance) -> Any:
    if isinstance(value, LexObject):
        cls = type(value)
        out: dict[str, Any] = {}
        config = cls.__struct_config__
        if config.tag_field is not None and isinstance(config.tag, str):
            out[config.tag_field] = config.tag
        for attr, wire in zip(cls.__struct_fields__, cls.__struct_encode_fields__, strict=True):
            item = getattr(value, attr)
            if not isinstance(item, UnsetType):
                out[wire] = _to_json(item, provenance)
        origin = provenance.get(id(value))
        if origin is not None and origin[0] is value:  # read from JSON: keep what we don't know
            known = _known_members(cls)
            out.update((k, v) for k, v in origin[1].items() if k not in known)
        return out
    if isinstance(value, list | tuple):
        return [_to_json(item, provenance) for item in cast(Iterable[Any], value)]
    if isinstance(value, dict):
        return {k: _to_json(v, provenance) for k, v in cast(dict[str, Any], value).items()}
    if isinstance(value, msgspec.Struct):  # Blob, Bytes, CidLink
        return msgspec.to_builtins(value)
    return value


def _reject_legacy_blobs(value: Any, path: str) -> None:
    if isinstance(value, dict):
        members = cast(dict[str, Any], value)
        if members.keys() == {"cid", "mimeType"} and "$type" not in members:
            raise LexValidationError(
                f"legacy blob reference at {path}: it cannot be written into a record; "
                "upload the data again (client.upload_blob) and use the Blob it returns",
                path=path,
            )
        for key, item in members.items():
            _reject_legacy_blobs(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(cast(list[Any], value)):
            _reject_legacy_blobs(item, f"{path}[{i}]")


def record_json(record: LexObject, provenance: _Provenance | None = None) -> dict[str, Any]:
    """The JSON to write for ``record``: its fields, ``$type``, and (when it was read with
    :func:`read_record`) every member the local lexicons do not define, at every depth."""
    out = cast(dict[str, Any], _to_json(record, provenance or {}))
    _reject_legacy_blobs(out, "$")
    return out


def _check_before_write(record: LexObject, validate_request: bool) -> None:
    if validate_request:
        try:
            record.validate()
        except LexValidationError as exc:
            raise reanchor(exc, "$.record", "") from exc


# --- the helpers ---

RecordInput: TypeAlias = "LexObject | RecordResult[Any] | ListedRecord[Any]"


def _unpack(record: object) -> tuple[LexObject, _Provenance, _Fetched[Any] | None]:
    """The struct to write, its provenance and the read it came from (if any)."""
    if isinstance(record, _Fetched):
        fetched = cast(_Fetched[Any], record)
        value = cast(LexObject | None, getattr(fetched, "value", None))
        if value is None:
            error = getattr(fetched, "error", None)
            problem = f": {error}" if error is not None else ""
            raise LexValidationError(
                f"cannot write back the invalid record {fetched.uri}{problem}", path="$"
            )
        provenance = dict(fetched._provenance)  # pyright: ignore[reportPrivateUsage]
        # the record itself always merges over the JSON it was read from, even if replaced
        provenance[id(value)] = (value, fetched.raw)
        return value, provenance, fetched
    _record_type_of(record)
    return cast(LexObject, record), {}, None


def _repo(repo: str | None, did: Callable[[], str]) -> str:
    return repo if repo is not None else did()


def _drop_none(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def create_plan(
    record: LexObject,
    *,
    rkey: str | None,
    validate: bool | None,
    swap_commit: str | None,
    repo: str | None,
    did: Callable[[], str],
    validate_request: bool,
) -> Plan[Any]:
    value, provenance, _ = _unpack(record)
    record_type = type(value)
    key = record_key(record_type, rkey, server_may_choose=True)
    _check_before_write(value, validate_request)
    body = _drop_none(
        {
            "repo": _repo(repo, did),
            "collection": collection_of(record_type),
            "rkey": key,
            "validate": validate,
            "record": record_json(value, provenance),
            "swapCommit": swap_commit,
        }
    )
    return Plan(CREATE_RECORD, None, body, _same)


def put_plan(
    record: object,
    *,
    rkey: str | None,
    validate: bool | None,
    swap_record: str | None,
    swap_commit: str | None,
    repo: str | None,
    did: Callable[[], str],
    validate_request: bool,
) -> Plan[Any]:
    value, provenance, fetched = _unpack(record)
    record_type = type(value)
    if rkey is None and fetched is not None:
        rkey = fetched.rkey
    key = record_key(record_type, rkey, server_may_choose=False)
    _check_before_write(value, validate_request)
    body = _drop_none(
        {
            "repo": _repo(repo, did),
            "collection": collection_of(record_type),
            "rkey": key,
            "validate": validate,
            "record": record_json(value, provenance),
            "swapRecord": swap_record,
            "swapCommit": swap_commit,
        }
    )
    return Plan(PUT_RECORD, None, body, _same)


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
    body = _drop_none(
        {
            "repo": _repo(repo, did),
            "collection": collection_of(record_type),
            "rkey": key,
            "swapRecord": swap_record,
            "swapCommit": swap_commit,
        }
    )
    return Plan(DELETE_RECORD, None, body, _same)


def _same(output: Any) -> Any:
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
    params = _drop_none(
        {"repo": _repo(repo, did), "collection": collection, "rkey": key, "cid": cid}
    )

    def finish(output: Any) -> RecordResult[R]:
        raw = cast(dict[str, Any], output.value)
        try:
            value, provenance = read_record(record_type, raw)
        except LexValidationError as exc:
            raise LexValidationError(
                f"{output.uri} is not a valid {collection} record: {exc.message}", path=exc.path
            ) from exc
        return RecordResult(output.uri, _str_or_none(output.cid), value, raw, provenance)

    return Plan(GET_RECORD, params, None, finish)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def listed(record_type: type[R], uri: str, cid: str | None, raw: Any) -> ListedRecord[R]:
    """One ``listRecords`` item, checked against the lexicon (never raises for bad data)."""
    try:
        value, provenance = read_record(record_type, raw)
    except LexValidationError as exc:
        raw_map = cast(dict[str, Any], raw) if isinstance(raw, dict) else {}
        return ListedRecord(uri, cid, None, raw_map, {}, exc)
    return ListedRecord(uri, cid, value, cast(dict[str, Any], raw), provenance, None)


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
    params = _drop_none(
        {
            "repo": _repo(repo, did),
            "collection": collection,
            "limit": limit,
            "cursor": cursor,
            "reverse": reverse,
        }
    )

    def finish(output: Any) -> RecordPage[R]:
        records = [
            listed(record_type, item.uri, _str_or_none(item.cid), item.value)
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
        self._repo = _repo(repo, did)  # resolved once: every page reads the same repo
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


# --- applyWrites ---


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
        if isinstance(op, Create):
            value, provenance, _ = _unpack(op.record)
            record_type = type(value)
            key = record_key(record_type, op.rkey, server_may_choose=True)
            _check_before_write(value, validate_request)
            return _drop_none(
                {
                    "$type": "com.atproto.repo.applyWrites#create",
                    "collection": collection_of(record_type),
                    "rkey": key,
                    "value": record_json(value, provenance),
                }
            )
        if isinstance(op, Update):
            value, provenance, fetched = _unpack(op.record)
            record_type = type(value)
            rkey = op.rkey if op.rkey is not None or fetched is None else fetched.rkey
            key = record_key(record_type, rkey, server_may_choose=False)
            _check_before_write(value, validate_request)
            return {
                "$type": "com.atproto.repo.applyWrites#update",
                "collection": collection_of(record_type),
                "rkey": key,
                "value": record_json(value, provenance),
            }
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
    body = _drop_none(
        {
            "repo": _repo(repo, did),
            "validate": validate,
            "writes": [_write(op, i, validate_request) for i, op in enumerate(writes)],
            "swapCommit": swap_commit,
        }
    )
    return Plan(APPLY_WRITES, None, body, _same)


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
