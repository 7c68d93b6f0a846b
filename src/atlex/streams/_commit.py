"""A ``subscribeRepos`` commit with its ops' records: ``RepoCommit`` (the generated ``Commit``
message plus the parsed CAR slice) and ``CommitOp`` (one op, its record decoded on first read).

Lazy by design: the CAR slice is split into blocks on first use (never decoded as a whole), and
a record is decoded and typed only when ``op.record`` is read, so a consumer that looks at one
collection pays only for those records.
"""

from __future__ import annotations

import base64
from functools import cached_property
from typing import Any, Literal

from atlex._model import CidLink
from atlex._tolerant import SchemaMismatchError, convert_tolerant
from atlex.lex.com.atproto.sync import subscribe_repos
from atlex.repo import dagcbor
from atlex.repo.car import Car, read_car
from atlex.streams._records import DEFAULT_RECORD_TYPES, RecordTypes

__all__ = ["CommitOp", "RepoCommit"]

_UNREAD: Any = object()


class RepoCommit(subscribe_repos.Commit, dict=True, gc=True):
    """A ``#commit`` event: every field of the lexicon's ``Commit`` message, plus
    :attr:`operations` (its ops with their records) and :attr:`car` (the blocks it carries).

    ``isinstance(event, subscribe_repos.Commit)`` holds.
    """

    @cached_property
    def car(self) -> Car:
        """The commit's CAR slice, split into blocks (binary CID -> bytes)."""
        raw = self.blocks.b64
        return read_car(base64.b64decode(raw + "=" * (-len(raw) % 4)))

    @cached_property
    def operations(self) -> list[CommitOp]:
        """The commit's ops in order, each able to decode its record."""
        types: RecordTypes = self.__dict__.get("_record_types", DEFAULT_RECORD_TYPES)
        return [CommitOp(self, op, types) for op in self.ops]

    def ops_in(self, *collections: str) -> list[CommitOp]:
        """The ops on records of these collections (cheap: no record is decoded)."""
        return [op for op in self.operations if op.collection in collections]


class CommitOp:
    """One create, update or delete in a commit. ``record`` is decoded on first read."""

    __slots__ = ("_commit", "_record", "_types", "_value", "action", "cid", "path", "prev")

    action: Literal["create", "update", "delete"] | str
    path: str
    """``collection/rkey``."""
    cid: str | None
    """The new record's CID (None for a delete)."""
    prev: str | None
    """The previous record's CID for updates and deletes (sync 1.1), else None."""

    def __init__(self, commit: RepoCommit, op: subscribe_repos.RepoOp, types: RecordTypes) -> None:
        self._commit = commit
        self._types = types
        self._record: Any = _UNREAD
        self._value: Any = _UNREAD
        self.action = op.action
        self.path = op.path
        self.cid = op.cid.link if op.cid is not None else None
        prev = op.prev
        self.prev = prev.link if isinstance(prev, CidLink) else None

    @property
    def repo(self) -> str:
        return self._commit.repo

    @property
    def collection(self) -> str:
        return self.path.partition("/")[0]

    @property
    def rkey(self) -> str:
        return self.path.partition("/")[2]

    @property
    def uri(self) -> str:
        return f"at://{self._commit.repo}/{self.path}"

    @property
    def value(self) -> dict[str, Any] | None:
        """The record in the JSON form (links as ``{"$link"}``, bytes as ``{"$bytes"}``); None
        for a delete or when the commit does not carry the record's block."""
        if self._value is _UNREAD:
            block = None
            if self.cid is not None:
                block = self._commit.car.blocks.get(dagcbor.cid_bytes(self.cid))
            self._value = None if block is None else dagcbor.decode(block)
        return self._value

    @property
    def record(self) -> Any:
        """The record typed by its collection (``app.bsky.feed.post`` -> ``post.Record``) when
        the lexicon is known and the record fits it; otherwise the JSON-form value (a dict).
        None for a delete or when the commit does not carry the record's block."""
        if self._record is _UNREAD:
            value = self.value
            record_type = self._types.get(self.collection) if value is not None else None
            if record_type is None:
                self._record = value
            else:
                try:
                    self._record = convert_tolerant(value, record_type)
                except SchemaMismatchError:
                    self._record = value  # kept as data, like an unknown union member
        return self._record

    def __repr__(self) -> str:
        return f"CommitOp({self.action} {self.uri} cid={self.cid})"
