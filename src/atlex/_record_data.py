"""Record values: typed structs from stored JSON and back, losslessly.

Lossless read-modify-write
--------------------------
Generated structs ignore fields the local lexicons do not define, so a record read into a struct
and written back would lose what a newer app stored in it. :func:`read_record` therefore keeps
the record's JSON as it came (``raw``) and attaches to every object inside the record what its
JSON carried beyond its class (:mod:`atlex._wire`, the same mechanism as ``atlex.decode``).
Writing (:func:`record_json`) takes every field a struct's class defines from the struct, and
every member the class does not define from the JSON that very object was read from:

* a field you change, clear (``UNSET``) or set is written as you left it;
* a member the lexicon does not know survives, on the record (always) and on every nested
  object you kept (changed in place or not);
* an object you *replace* by a new one is written exactly as you built it: unknown members of
  the old object do not leak into the new one;
* union members whose ``$type`` is unknown locally stay dicts and are written back whole;
* an object read without ``$type`` is written without it, one read with it keeps it; a new
  object carries ``$type`` where the spec wants it (records, union members), not in plain refs.

Blobs in the legacy ``{"cid", "mimeType"}`` form are never written: re-upload the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar, cast

from atlex._model import LexObject
from atlex._wire import keep, to_json
from atlex.errors import LexValidationError

__all__ = [
    "Fetched",
    "ListedRecord",
    "RecordResult",
    "collection_of",
    "listed",
    "merged_json",
    "read_record",
    "record_json",
    "record_lexicon",
    "unpack",
]

R = TypeVar("R", bound=LexObject)


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


def read_record(record_type: type[R], raw: object) -> R:
    """Decode a record's JSON into ``record_type`` and check it against its lexicon, with the
    reference's lenient rules for data that was read (``validate(strict=False)``).

    The result keeps what the local lexicons do not define (:func:`atlex._wire.keep`), so it
    writes back unchanged. Raises :class:`LexValidationError` (with the JSON path) when the
    ``$type`` is not the collection, the structure does not fit or a constraint is broken
    (upstream ``safeValidate``).
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
            f"$type is {kind!r}, expected {collection!r} at $.$type", path="$.$type"
        )
    try:
        value = cast(R, convert_tolerant(raw_map, record_type))
    except SchemaMismatchError as exc:
        raise LexValidationError(f"{exc.reason} at {exc.path}", path=exc.path) from exc
    keep(value, raw_map)
    value.validate(strict=False)
    return value


class Fetched(Generic[R]):
    """What every record read carries: where it lives and its JSON as stored."""

    __slots__ = ("cid", "raw", "uri")

    def __init__(self, uri: str, cid: str | None, raw: dict[str, Any]):
        self.uri = uri
        """``at://<repo>/<collection>/<rkey>``"""
        self.cid = cid
        """The record's CID (pass it as ``swap_record`` to write only over this version)."""
        self.raw = raw
        """The record's JSON exactly as the server returned it (read-only by convention)."""

    @property
    def rkey(self) -> str:
        return self.uri.rsplit("/", 1)[-1]

    @property
    def repo(self) -> str:
        return self.uri.removeprefix("at://").split("/", 1)[0]


class RecordResult(Fetched[R]):
    """A record read by ``client.get`` (or a valid item of ``client.list``).

    ``value`` is the typed record; change it and hand the result (not just ``value``) to
    ``client.put`` to write it back without losing what the local lexicons do not know::

        got = client.get(profile.Record)
        got.value.display_name = "Alice"
        client.put(got, swap_record=got.cid)
    """

    __slots__ = ("value",)

    def __init__(self, uri: str, cid: str | None, value: R, raw: dict[str, Any]) -> None:
        super().__init__(uri, cid, raw)
        self.value = value

    def __repr__(self) -> str:
        return f"RecordResult(uri={self.uri!r}, cid={self.cid!r}, value={self.value!r})"


class ListedRecord(Fetched[R]):
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
        error: LexValidationError | None,
    ) -> None:
        super().__init__(uri, cid, raw)
        self.value = value
        self.error = error

    @property
    def valid(self) -> bool:
        return self.error is None

    def __repr__(self) -> str:
        shown = f"value={self.value!r}" if self.valid else f"error={self.error!s}"
        return f"ListedRecord(uri={self.uri!r}, valid={self.valid}, {shown})"


# --- writing: struct (+ what it kept from the JSON it was read from) -> JSON ---


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


def merged_json(record: LexObject, stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON to write for ``record``: its fields, ``$type``, every member the local lexicons
    do not define that it (or any object inside it) kept when read, and the unknown members of
    ``stored``, the record's JSON as read (kept even if the record was replaced)."""
    out = cast(dict[str, Any], to_json(record))
    if stored is not None:
        known = set(type(record).__struct_encode_fields__) | {"$type"}
        for key, item in stored.items():
            if key not in known:
                out.setdefault(key, item)
    _reject_legacy_blobs(out, "$")
    return out


def listed(record_type: type[R], uri: str, cid: str | None, raw: Any) -> ListedRecord[R]:
    """One ``listRecords`` item, checked against the lexicon (never raises for bad data)."""
    try:
        value = read_record(record_type, raw)
    except LexValidationError as exc:
        raw_map = cast(dict[str, Any], raw) if isinstance(raw, dict) else {}
        return ListedRecord(uri, cid, None, raw_map, exc)
    return ListedRecord(uri, cid, value, cast(dict[str, Any], raw), None)


def unpack(record: object) -> tuple[LexObject, dict[str, Any] | None, Fetched[Any] | None]:
    """The struct to write, the JSON it was read as (if any) and the read it came from."""
    if isinstance(record, Fetched):
        fetched = cast(Fetched[Any], record)
        value = cast(LexObject | None, getattr(fetched, "value", None))
        if value is None:
            error = getattr(fetched, "error", None)
            problem = f": {error}" if error is not None else ""
            raise LexValidationError(
                f"cannot write back the invalid record {fetched.uri}{problem}", path="$"
            )
        # the record itself always merges over the JSON it was read from, even if replaced
        return value, fetched.raw, fetched
    _record_type_of(record)
    return cast(LexObject, record), None, None


def record_json(record: LexObject | RecordResult[Any] | ListedRecord[Any]) -> dict[str, Any]:
    """The JSON ``put``/``create`` would write for ``record`` (a generated record, or a
    :class:`RecordResult` whose unknown members are merged back in)."""
    value, stored, _ = unpack(record)
    return merged_json(value, stored)
