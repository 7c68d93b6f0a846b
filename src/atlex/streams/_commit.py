"""A ``subscribeRepos`` commit with its ops' records: ``RepoCommit`` (the generated ``Commit``
message plus the parsed CAR slice) and ``CommitOp`` (one op, its record decoded on first read).

Lazy by design: a record is decoded and typed only when ``op.record`` is read, so a consumer
that looks at one collection pays only for those records. Its block is found by a search for
its CID in the frame that carried the commit (which holds the CAR slice's sections verbatim),
checked by hash (:func:`atlex.repo.car.find_block`), without splitting or even copying the
slice. When the slice itself is wanted (:attr:`RepoCommit.car_bytes`), its bytes are taken from
the frame too, not from the base64 that the JSON-form decode of the body made of them
(:meth:`RepoCommit.after_frame`). ``verify=True`` splits the slice (:attr:`RepoCommit.car`),
and records are then looked up there.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from atlex._model import CidLink
from atlex._tolerant import SchemaMismatchError, convert_tolerant
from atlex.lex.com.atproto.sync import subscribe_repos
from atlex.repo import dagcbor
from atlex.repo.car import Car, find_block, read_car
from atlex.streams._records import DEFAULT_RECORD_TYPES

__all__ = ["CommitOp", "RepoCommit"]

_UNREAD: Any = object()


class _Slice(msgspec.Struct, gc=False, eq=False):
    """A commit's CAR slice, read when first needed. Held by the commit and its ops (and
    holding neither, so a commit and its ops form no reference cycle: they are freed as soon as
    the consumer drops them, without waiting for the cyclic collector). A struct: one is made
    for every commit, and msgspec makes it without running Python code."""

    _b64: str
    _frame: bytes | None = None
    _at: int = 0
    _data: bytes | None = None
    _car: Car | None = None

    @property
    def data(self) -> bytes:
        data = self._data
        if data is None:
            raw, frame = self._b64, self._frame
            if frame is not None:  # as they are in the frame: no base64 round trip
                size = len(raw) * 6 // 8  # unpadded base64: 4 characters per 3 bytes
                data = dagcbor.find_bytes_value(frame, self._at, "blocks", size)
                self._frame = None
            data = self._data = data or base64.b64decode(raw + "=" * (-len(raw) % 4))
        return data

    @property
    def car(self) -> Car:
        if self._car is None:
            self._car = read_car(self.data)
        return self._car

    def block(self, cid: bytes) -> bytes | None:
        car = self._car
        if car is None:
            # The frame itself is searched while the slice has not been taken out of it: it
            # holds the slice's sections verbatim, and a block is only returned if it hashes
            # to `cid`, wherever it was found (the body's links to it are skipped at once).
            found = find_block(self._frame or self._data or self.data, cid)
            if found is not None:
                return found
            car = self.car  # not found by the search: split (raises CarError if malformed)
        return car.blocks.get(cid)


class RepoCommit(subscribe_repos.Commit, dict=True, gc=True):
    """A ``#commit`` event: every field of the lexicon's ``Commit`` message, plus
    ``operations`` (its ops in order, as :class:`CommitOp`, each able to decode its record) and
    :attr:`car` (the blocks it carries).

    ``isinstance(event, subscribe_repos.Commit)`` holds.
    """

    if TYPE_CHECKING:
        # Not a struct field (it is not part of the message): the frame decoder puts the list in
        # the instance's __dict__, so reading it is a plain attribute lookup (this is read for
        # every event); __getattr__ makes it for a commit made otherwise.
        operations: list[CommitOp]

    def after_frame(self, frame: bytes, body_at: int) -> None:
        """Called by the frame decoder: the ops, and the CAR slice whose bytes are taken from the
        frame when first needed (see :attr:`car_bytes`)."""
        blocks = _Slice(self.blocks.b64, frame, body_at)
        repo, ops = self.repo, self.ops
        cached = vars(self)
        cached["_car_slice"] = blocks
        cached["operations"] = (  # most commits have one op: no comprehension then
            [CommitOp(ops[0], repo, blocks)]
            if len(ops) == 1
            else [CommitOp(op, repo, blocks) for op in ops]
        )

    if not TYPE_CHECKING:  # hidden from type checkers: other attribute names stay errors there

        def __getattr__(self, name: str) -> Any:
            if name != "operations":
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            blocks, repo = self._slice, self.repo
            found = vars(self)["operations"] = [CommitOp(op, repo, blocks) for op in self.ops]
            return found

    @property
    def _slice(self) -> _Slice:
        found: _Slice | None = self.__dict__.get("_car_slice")
        if found is None:  # made otherwise than from a frame
            found = vars(self)["_car_slice"] = _Slice(self.blocks.b64)
        return found

    @property
    def car_bytes(self) -> bytes:
        """The commit's CAR slice (``blocks``) as bytes."""
        return self._slice.data

    @property
    def car(self) -> Car:
        """The commit's CAR slice, split into blocks (binary CID -> bytes)."""
        return self._slice.car

    def block(self, cid: bytes) -> bytes | None:
        """The block of ``cid`` in the CAR slice, or None when the slice does not carry it."""
        return self._slice.block(cid)

    def ops_in(self, *collections: str) -> list[CommitOp]:
        """The ops on records of these collections (cheap: no record is decoded)."""
        return [op for op in self.operations if op.collection in collections]


class CommitOp(msgspec.Struct, gc=False, eq=False):
    """One create, update or delete in a commit. ``record`` is decoded on first read.

    A struct over the message's ``RepoOp`` (made by msgspec, no Python code runs: a firehose
    makes one per op); the fields whose names start with ``_`` are internal. Compared and hashed
    by identity, like any plain object."""

    _op: subscribe_repos.RepoOp
    repo: str
    """The DID of the repo (the commit's ``repo``)."""
    _blocks: _Slice
    _record: Any = _UNREAD
    _value: Any = _UNREAD

    @property
    def action(self) -> Literal["create", "update", "delete"] | str:
        return self._op.action

    @property
    def path(self) -> str:
        """``collection/rkey``."""
        return self._op.path

    @property
    def cid(self) -> str | None:
        """The new record's CID (None for a delete)."""
        cid = self._op.cid
        return None if cid is None else cid.link

    @property
    def prev(self) -> str | None:
        """The previous record's CID for updates and deletes (sync 1.1), else None."""
        prev = self._op.prev
        return prev.link if isinstance(prev, CidLink) else None

    @property
    def collection(self) -> str:
        return self.path.partition("/")[0]

    @property
    def rkey(self) -> str:
        return self.path.partition("/")[2]

    @property
    def uri(self) -> str:
        return f"at://{self.repo}/{self.path}"

    @property
    def value(self) -> dict[str, Any] | None:
        """The record in the JSON form (links as ``{"$link"}``, bytes as ``{"$bytes"}``); None
        for a delete or when the commit does not carry the record's block."""
        value = self._value
        if value is _UNREAD:
            value = self._value = self._read()
        return value

    def _read(self) -> dict[str, Any] | None:
        cid = self._op.cid
        if cid is None:
            return None
        block = self._blocks.block(dagcbor.cid_bytes(cid.link))
        return None if block is None else dagcbor.decode(block)

    @property
    def record(self) -> Any:
        """The record typed by its collection (``app.bsky.feed.post`` -> ``post.Record``) when
        the lexicon is known and the record fits it; otherwise the JSON-form value (a dict).
        None for a delete or when the commit does not carry the record's block."""
        record = self._record
        if record is _UNREAD:
            value = self._value
            if value is _UNREAD:
                value = self._value = self._read()
            record = value
            if value is not None:
                record_type = DEFAULT_RECORD_TYPES[self._op.path.partition("/")[0]]
                if record_type is not None:
                    try:
                        record = msgspec.convert(value, record_type)
                    except (msgspec.ValidationError, UnicodeEncodeError):
                        try:  # the tolerant rules (open unions), else kept as data
                            record = convert_tolerant(value, record_type)
                        except SchemaMismatchError:
                            record = value  # like an unknown union member
            self._record = record
        return record

    def __repr__(self) -> str:
        return f"CommitOp({self.action} {self.uri} cid={self.cid})"
