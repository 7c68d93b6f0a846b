"""Record values: typed structs from stored JSON and back, losslessly.

Lossless read-modify-write
--------------------------
Generated structs ignore fields the local lexicons do not define, so a record read into a struct
and written back would lose what a newer app stored in it. :func:`read_record` therefore keeps
the record's JSON as it came (``raw``) and remembers which struct was decoded from which JSON
object, by identity, at every depth (the record, nested objects, union members, list items).
Writing (:func:`record_json`) takes every field a struct's class defines from the struct, and
every member the class does not define from the JSON that very object was read from:

* a field you change, clear (``UNSET``) or set is written as you left it;
* a member the lexicon does not know survives, on the record (always) and on every nested
  object you kept (changed in place or not);
* an object you *replace* by a new one is written exactly as you built it: unknown members of
  the old object do not leak into the new one;
* union members whose ``$type`` is unknown locally stay dicts and are written back whole;
* an object read without ``$type`` is written without it (a new object carries its own).

Blobs in the legacy ``{"cid", "mimeType"}`` form are never written: re-upload the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeAlias, TypeVar, cast

import msgspec
from msgspec import UnsetType

from atlex._model import LexObject
from atlex.errors import LexValidationError

__all__ = [
    "Fetched",
    "ListedRecord",
    "Provenance",
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


Provenance: TypeAlias = dict[int, tuple[LexObject, dict[str, Any]]]


def _pair(value: Any, raw: Any, out: Provenance) -> None:
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


def read_record(record_type: type[R], raw: object) -> tuple[R, Provenance]:
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
            f"$type is {kind!r}, expected {collection!r} at $.$type", path="$.$type"
        )
    try:
        value = cast(R, convert_tolerant(raw_map, record_type))
    except SchemaMismatchError as exc:
        raise LexValidationError(f"{exc.reason} at {exc.path}", path=exc.path) from exc
    value.validate()
    provenance: Provenance = {}
    _pair(value, raw_map, provenance)
    return value, provenance


class Fetched(Generic[R]):
    """What every record read carries: where it lives and its JSON as stored."""

    __slots__ = ("_provenance", "cid", "raw", "uri")

    def __init__(self, uri: str, cid: str | None, raw: dict[str, Any], provenance: Provenance):
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


class RecordResult(Fetched[R]):
    """A record read by ``client.get`` (or a valid item of ``client.list``).

    ``value`` is the typed record; change it and hand the result (not just ``value``) to
    ``client.put`` to write it back without losing what the local lexicons do not know::

        got = client.get(profile.Record)
        got.value.display_name = "Alice"
        client.put(got, swap_record=got.cid)
    """

    __slots__ = ("value",)

    def __init__(
        self, uri: str, cid: str | None, value: R, raw: dict[str, Any], provenance: Provenance
    ) -> None:
        super().__init__(uri, cid, raw, provenance)
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
        provenance: Provenance,
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


# --- writing: struct (+ the JSON it was read from) -> JSON ---


def _known_members(cls: type[LexObject]) -> frozenset[str]:
    names = set(cls.__struct_encode_fields__)
    tag_field = cls.__struct_config__.tag_field
    if tag_field is not None:
        names.add(tag_field)
    return frozenset(names)


def _to_json(value: Any, provenance: Provenance) -> Any:
    if isinstance(value, LexObject):
        cls = type(value)
        origin = provenance.get(id(value))
        stored = origin[1] if origin is not None and origin[0] is value else None
        out: dict[str, Any] = {}
        config = cls.__struct_config__
        tag_field = config.tag_field
        # a new object carries its $type; one read from JSON carries it only if it did there
        if (
            tag_field is not None
            and isinstance(config.tag, str)
            and (stored is None or tag_field in stored)
        ):
            out[tag_field] = config.tag
        for attr, wire in zip(cls.__struct_fields__, cls.__struct_encode_fields__, strict=True):
            item = getattr(value, attr)
            if not isinstance(item, UnsetType):
                out[wire] = _to_json(item, provenance)
        if stored is not None:  # read from JSON: keep the members our lexicons do not define
            known = _known_members(cls)
            out.update((k, v) for k, v in stored.items() if k not in known)
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


def merged_json(record: LexObject, provenance: Provenance) -> dict[str, Any]:
    """The JSON to write for ``record``: its fields, ``$type``, and (when it was read with
    :func:`read_record`) every member the local lexicons do not define, at every depth."""
    out = cast(dict[str, Any], _to_json(record, provenance))
    _reject_legacy_blobs(out, "$")
    return out


def listed(record_type: type[R], uri: str, cid: str | None, raw: Any) -> ListedRecord[R]:
    """One ``listRecords`` item, checked against the lexicon (never raises for bad data)."""
    try:
        value, provenance = read_record(record_type, raw)
    except LexValidationError as exc:
        raw_map = cast(dict[str, Any], raw) if isinstance(raw, dict) else {}
        return ListedRecord(uri, cid, None, raw_map, {}, exc)
    return ListedRecord(uri, cid, value, cast(dict[str, Any], raw), provenance, None)


def unpack(record: object) -> tuple[LexObject, Provenance, Fetched[Any] | None]:
    """The struct to write, its provenance and the read it came from (if any)."""
    if isinstance(record, Fetched):
        fetched = cast(Fetched[Any], record)
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


def record_json(record: LexObject | RecordResult[Any] | ListedRecord[Any]) -> dict[str, Any]:
    """The JSON ``put``/``create`` would write for ``record`` (a generated record, or a
    :class:`RecordResult` whose unknown members are merged back in)."""
    value, provenance, _ = unpack(record)
    return merged_json(value, provenance)
