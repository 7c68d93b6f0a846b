"""Merkle Search Trees, the AT Protocol's repo index (keys ``collection/rkey`` -> record CIDs).

The tree's shape is a pure function of its keys: a key's height is the number of leading zero
bit-pairs of ``sha256(key)`` (fanout 4); a node at height ``h`` holds the keys of height ``h`` in
order, with subtrees of lower keys between them; keys sort bytewise. So two trees with the same
entries have the same root CID, whatever the order of the edits that made them.

:class:`Mst` edits a tree stored as DAG-CBOR blocks and loads only the nodes an edit touches, so
it works on the partial trees a firehose commit carries: :func:`verify_commit_proof` checks the
sync 1.1 "inductive" proof (the commit's ops, inverted on the new tree, give the previous root).
A node that is needed but absent raises :class:`MissingBlockError`.

CIDs are binary (``bytes``) here; :func:`atlex.repo.dagcbor.cid_text` gives their text.

Over 400 lines on purpose: one job, the tree. Node encoding, the edits and the proof share the
same node representation and invariants (key order, heights, lazily loaded subtrees); split
apart, each piece would reach into the others' internals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from atlex.repo import dagcbor

__all__ = [
    "MissingBlockError",
    "Mst",
    "MstError",
    "Op",
    "common_prefix_len",
    "key_height",
    "verify_commit_proof",
]


class MstError(ValueError):
    """A tree that is not a well-formed MST, or an edit that does not fit it."""


class MissingBlockError(MstError):
    """A node the operation needs is not among the blocks given."""

    def __init__(self, cid: bytes) -> None:
        self.cid = cid
        super().__init__(f"MST node {dagcbor.cid_text(cid)} is not among the blocks")


def key_height(key: str | bytes) -> int:
    """Leading zero bit-pairs of ``sha256(key)``: the layer the key lives on (fanout 4)."""
    raw = key.encode() if isinstance(key, str) else key
    digest = hashlib.sha256(raw).digest()
    return (256 - int.from_bytes(digest, "big").bit_length()) // 2


def common_prefix_len(a: str | bytes, b: str | bytes) -> int:
    """Bytes ``a`` and ``b`` share at the start (of their UTF-8 form)."""
    left = a.encode() if isinstance(a, str) else a
    right = b.encode() if isinstance(b, str) else b
    n = min(len(left), len(right))
    # the first differing byte is where the XOR of the two (as big integers) starts
    diff = int.from_bytes(left[:n], "big") ^ int.from_bytes(right[:n], "big")
    return n - (diff.bit_length() + 7) // 8


# --- nodes ---------------------------------------------------------------------------------

Sub: TypeAlias = "_Node | bytes | None"
"""A subtree: a loaded node, the CID of one not loaded yet, or nothing."""


class _Node:
    """``keys[i]`` -> ``values[i]``; ``subs[i]`` holds the keys below ``keys[i]`` (and above
    ``keys[i-1]``), ``subs[-1]`` those above the last key. ``cid`` is set while unchanged.

    A node read from a block keeps it (``block``, and ``raw``, the block decoded) while its
    keys stay the same: when only links change, the new block may be the old one with those
    CIDs replaced (see :func:`_patched`)."""

    __slots__ = ("block", "cid", "height", "keys", "raw", "subs", "values")

    def __init__(
        self,
        height: int,
        keys: list[bytes],
        values: list[bytes],
        subs: list[Sub],
        cid: bytes | None = None,
    ) -> None:
        self.height = height
        self.keys = keys
        self.values = values
        self.subs = subs
        self.cid = cid
        self.block: bytes | None = None
        self.raw: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Op:
    """One change of a key: ``old`` is None for a create, ``new`` is None for a delete."""

    key: str
    old: bytes | None
    new: bytes | None

    @property
    def action(self) -> Literal["create", "update", "delete"]:
        if self.old is None:
            return "create"
        return "delete" if self.new is None else "update"


class Mst:
    """A Merkle Search Tree over a block store (binary CID -> DAG-CBOR bytes).

    Edits load the nodes they need from ``blocks`` and keep the changed ones in memory;
    :meth:`root` serialises them, writes the new blocks into ``blocks`` and returns the root CID.
    """

    def __init__(self, blocks: MutableMapping[bytes, bytes], root: bytes | None = None) -> None:
        self.blocks = blocks
        self.loaded: set[bytes] = set()
        """CIDs of the stored nodes read so far (what a proof of these edits must carry)."""
        self._root: _Node = _Node(0, [], [], [None]) if root is None else self._load(root, None)

    @classmethod
    def build(
        cls,
        entries: Iterable[tuple[str, bytes]],
        blocks: MutableMapping[bytes, bytes] | None = None,
    ) -> Mst:
        """A tree of ``(key, value CID)`` entries, built in one pass."""
        tree = cls({} if blocks is None else blocks)
        items = sorted((k.encode(), v) for k, v in entries)
        if items:
            top = max(key_height(k) for k, _ in items)
            tree._root = _build(items, top) or _Node(top, [], [], [None])
        return tree

    # --- reading ---------------------------------------------------------------------------

    def _load(self, cid: bytes, height: int | None) -> _Node:
        block = self.blocks.get(cid)
        if block is None:
            raise MissingBlockError(cid)
        self.loaded.add(cid)
        node = _decode_node(block, cid)
        if node.keys:
            node.height = key_height(node.keys[0])
            if height is not None and node.height != height:
                raise MstError(f"MST node {dagcbor.cid_text(cid)} is on the wrong layer")
        elif height is not None:
            node.height = height
        elif isinstance(node.subs[0], bytes):  # an entry-less root: one above its child
            node.height = self._load(node.subs[0], None).height + 1
        return node

    def _child(self, node: _Node, i: int) -> _Node | None:
        sub = node.subs[i]
        if isinstance(sub, bytes):
            sub = self._load(sub, node.height - 1)
            node.subs[i] = sub
        return sub

    def get(self, key: str) -> bytes | None:
        """The value CID stored under ``key``, or None."""
        raw = key.encode()
        node: _Node | None = self._root
        while node is not None:
            i = _position(node.keys, raw)
            if i < len(node.keys) and node.keys[i] == raw:
                return node.values[i]
            node = self._child(node, i) if node.height > 0 else None
        return None

    def items(self) -> Iterator[tuple[str, bytes]]:
        """Every ``(key, value CID)`` in key order (loads the whole tree)."""
        yield from self._walk(self._root)

    def _walk(self, node: _Node) -> Iterator[tuple[str, bytes]]:
        for i in range(len(node.keys) + 1):
            child = self._child(node, i)
            if child is not None:
                yield from self._walk(child)
            if i < len(node.keys):
                yield node.keys[i].decode(), node.values[i]

    # --- writing ---------------------------------------------------------------------------

    def put(self, key: str, value: bytes) -> bytes | None:
        """Set ``key`` to ``value``; returns the value it replaced (None for a new key)."""
        raw = key.encode()
        _check_key(raw)
        height = key_height(raw)
        root = self._root
        if not root.keys and root.subs[0] is None:  # the empty tree
            self._root = _Node(height, [raw], [value], [None, None])
            return None
        if height > root.height:  # the key goes above the current top: split the tree under it
            left, right = self._split(root, raw)
            subs: list[Sub] = [_wrap(left, height - 1), _wrap(right, height - 1)]
            self._root = _Node(height, [raw], [value], subs)
            return None
        return self._put(root, raw, value, height)

    def _put(self, node: _Node, key: bytes, value: bytes, height: int) -> bytes | None:
        node.cid = None
        i = _position(node.keys, key)
        if node.height == height:
            if i < len(node.keys) and node.keys[i] == key:
                old = node.values[i]
                node.values[i] = value
                return old
            left, right = self._split(self._child(node, i), key)
            node.block = None  # the keys change: encode afresh
            node.keys.insert(i, key)
            node.values.insert(i, value)
            node.subs[i : i + 1] = [left, right]
            return None
        child = self._child(node, i)
        if child is None:
            node.subs[i] = _wrap(_Node(height, [key], [value], [None, None]), node.height - 1)
            return None
        return self._put(child, key, value, height)

    def _split(self, node: _Node | None, key: bytes) -> tuple[_Node | None, _Node | None]:
        """Everything below ``key`` and everything above it, as two trees of ``node``'s height."""
        if node is None:
            return None, None
        i = _position(node.keys, key)
        left_mid, right_mid = self._split(self._child(node, i), key)
        left = _Node(node.height, node.keys[:i], node.values[:i], [*node.subs[:i], left_mid])
        right = _Node(node.height, node.keys[i:], node.values[i:], [right_mid, *node.subs[i + 1 :]])
        return _trim(left), _trim(right)

    def delete(self, key: str) -> bytes | None:
        """Remove ``key``; returns its value (None when it was not there)."""
        raw = key.encode()
        old = self._delete(self._root, raw)
        root = self._root
        while not root.keys and isinstance(root.subs[0], (bytes, _Node)):
            child = self._child(root, 0)
            assert child is not None
            root = child
        self._root = root
        return old

    def _delete(self, node: _Node, key: bytes) -> bytes | None:
        i = _position(node.keys, key)
        if i < len(node.keys) and node.keys[i] == key:
            node.cid = None
            node.block = None  # the keys change: encode afresh
            old = node.values.pop(i)
            node.keys.pop(i)
            merged = self._merge(self._child(node, i), self._child(node, i + 1))
            node.subs[i : i + 2] = [merged]
            return old
        if node.height == 0:
            return None
        child = self._child(node, i)
        if child is None:
            return None
        old = self._delete(child, key)
        if old is not None:
            node.cid = None
            node.subs[i] = _trim(child)
        return old

    def _merge(self, left: _Node | None, right: _Node | None) -> _Node | None:
        """Join two adjacent trees of the same height (every key of ``left`` below ``right``)."""
        if left is None:
            return right
        if right is None:
            return left
        middle = self._merge(self._child(left, len(left.keys)), self._child(right, 0))
        return _Node(
            left.height,
            left.keys + right.keys,
            left.values + right.values,
            [*left.subs[:-1], middle, *right.subs[1:]],
        )

    def apply(self, ops: Iterable[Op]) -> None:
        """Apply creates, updates and deletes, checking each against the value it expects."""
        for op in ops:
            current = self.get(op.key)
            if current != op.old:
                raise MstError(f"{op.action} of {op.key}: the tree holds a different value")
            if op.new is None:
                self.delete(op.key)
            else:
                self.put(op.key, op.new)

    # --- serialising -------------------------------------------------------------------------

    def root(self) -> bytes:
        """The root CID; writes every changed node into ``blocks``."""
        return self._store(self._root)

    def _store(self, node: _Node) -> bytes:
        if node.cid is not None:
            return node.cid
        subs: list[bytes | None] = []
        for sub in node.subs:
            if isinstance(sub, _Node):
                subs.append(self._store(sub))
            else:
                subs.append(sub)
        block = None if node.block is None else _patched(node, subs)
        if block is None:
            block = _encode_node(node.keys, node.values, subs)
        cid = dagcbor.cid_for(block)
        self.blocks[cid] = block
        node.cid = cid
        return cid

    def diff(self, other: Mst) -> list[Op]:
        """The ops that turn this tree into ``other``, in key order."""
        mine = dict(self.items())
        theirs = dict(other.items())
        ops: list[Op] = []
        for key in sorted(mine.keys() | theirs.keys(), key=str.encode):
            old, new = mine.get(key), theirs.get(key)
            if old != new:
                ops.append(Op(key, old, new))
        return ops


# --- helpers -------------------------------------------------------------------------------


def _check_key(key: bytes) -> None:
    if not key or len(key) > 1024:
        raise MstError(f"MST keys are 1 to 1024 bytes, got {len(key)}")


def _position(keys: list[bytes], key: bytes) -> int:
    """Index of the first key >= ``key`` (keys are few per node: a linear scan is fastest)."""
    for i, k in enumerate(keys):
        if k >= key:
            return i
    return len(keys)


def _trim(node: _Node | None) -> _Node | None:
    """None for a node left with no keys and no subtree."""
    if node is not None and not node.keys and node.subs[0] is None:
        return None
    return node


def _wrap(node: _Node | None, height: int) -> _Node | None:
    """``node`` under entry-less nodes up to ``height`` (when layers in between have no keys)."""
    if node is None:
        return None
    while node.height < height:
        node = _Node(node.height + 1, [], [], [node])
    return node


def _build(items: list[tuple[bytes, bytes]], height: int) -> _Node | None:
    if not items:
        return None
    keys: list[bytes] = []
    values: list[bytes] = []
    subs: list[Sub] = []
    segment: list[tuple[bytes, bytes]] = []
    for key, value in items:
        if key_height(key) == height:
            subs.append(_build(segment, height - 1))
            segment = []
            keys.append(key)
            values.append(value)
        else:
            segment.append((key, value))
    subs.append(_build(segment, height - 1))
    return _Node(height, keys, values, subs)


def _encode_node(keys: list[bytes], values: list[bytes], subs: list[bytes | None]) -> bytes:
    link = dagcbor.RawCid
    from_bytes = int.from_bytes
    entries: list[dict[str, Any]] = []
    previous = b""
    for key, value, right in zip(keys, values, subs[1:], strict=True):
        # common_prefix_len, inlined: this runs for every entry of every node a proof rewrites
        n = min(len(previous), len(key))
        diff = from_bytes(previous[:n], "big") ^ from_bytes(key[:n], "big")
        shared = n - (diff.bit_length() + 7) // 8
        entries.append(
            {
                "k": key[shared:],
                "p": shared,
                "t": right if right is None or type(right) is link else link(right),
                "v": value if type(value) is link else link(value),
            }
        )
        previous = key
    left = subs[0]
    return dagcbor.encode_raw(
        {"e": entries, "l": left if left is None or type(left) is link else link(left)}
    )


_LINKS = frozenset({dagcbor.RawCid})
_LINKS_OR_NULL = frozenset({dagcbor.RawCid, type(None)})


def _decode_node(block: bytes, cid: bytes) -> _Node:
    try:
        # cbrrr called directly: a proof decodes a few nodes per commit, and decode_raw's
        # wrappers (three Python calls, one more per link) cost more than the decoding
        data, used = dagcbor.native().decode_dag_cbor(block, dagcbor.RawCid, False)
        if used != len(block):
            raise ValueError(f"{len(block) - used} bytes after the node")
        entries = data["e"]
        keys: list[bytes] = []
        previous = b""
        for entry in entries:
            key = previous[: entry["p"]] + entry["k"]
            if key <= previous:  # also refuses an empty first key
                raise MstError(f"MST node {dagcbor.cid_text(cid)}: keys out of order")
            keys.append(key)
            previous = key
        values = [entry["v"] for entry in entries]
        subs: list[Sub] = [data["l"], *[entry["t"] for entry in entries]]
        # the link checks in C (set of types), not per entry in Python
        if not (
            _LINKS.issuperset(map(type, values)) and _LINKS_OR_NULL.issuperset(map(type, subs))
        ):
            raise TypeError("expected links in 'l', 'v' and 't'")
    except (ValueError, EOFError, RecursionError, KeyError, TypeError, IndexError) as exc:
        raise MstError(f"MST node {dagcbor.cid_text(cid)} is malformed: {exc}") from exc
    node = _Node(0, keys, values, subs, cid)
    node.block = block
    node.raw = data
    return node


def _canonical(data: dict[str, Any], keys: list[bytes]) -> bool:
    """Whether a node's block is what :func:`_encode_node` writes for it. cbrrr decodes only
    canonical DAG-CBOR, so it is unless the node has other fields or a key stored with a
    shorter shared prefix than it has (``keys`` are the node's keys, from ``data``)."""
    if len(data) != 2:
        return False
    previous = b""
    for entry, key in zip(data["e"], keys, strict=True):
        shared = entry["p"]
        if len(entry) != 4 or type(shared) is not int or type(entry["k"]) is not bytes:
            return False
        if shared != len(previous) and not (
            0 <= shared < len(previous) and key[shared] != previous[shared]
        ):
            return False
        previous = key
    return True


def _patched(node: _Node, subs: list[bytes | None]) -> bytes | None:
    """``node``'s block with its changed links replaced in place, or None when that cannot be
    done safely: the block not canonical, a link added or removed, a CID of another length, a
    CID found more than once in the block (the real link is always there, so a single
    occurrence is it)."""
    block, data = node.block, node.raw
    if block is None or data is None or not _canonical(data, node.keys):
        return None
    entries = data["e"]
    was = [entry["v"] for entry in entries] + [data["l"]] + [entry["t"] for entry in entries]
    for old, new in zip(was, node.values + subs, strict=True):
        if old == new:
            continue
        if old is None or new is None or len(old) != len(new):
            return None
        at = block.find(old)
        if at < 0 or block.find(old, at + 1) >= 0:
            return None
        block = block[:at] + new + block[at + len(old) :]
    return block


# --- the sync 1.1 inductive proof ----------------------------------------------------------


def verify_commit_proof(
    blocks: Mapping[bytes, bytes], data: bytes, prev_data: bytes, ops: Iterable[Op]
) -> None:
    """Check that inverting ``ops`` on the tree rooted at ``data`` (using only ``blocks``)
    gives ``prev_data``. Raises :class:`MissingBlockError` when the blocks do not carry the
    nodes the inversion needs, :class:`MstError` when the ops do not fit or the root differs."""
    tree = Mst(dict(blocks), data)
    for op in ops:  # Mst.apply of the inverse ops, without a lookup before each edit
        current = tree.delete(op.key) if op.old is None else tree.put(op.key, op.old)
        if current != op.new:
            action = Op(op.key, op.new, op.old).action
            raise MstError(f"{action} of {op.key}: the tree holds a different value")
    root = tree.root()
    if root != prev_data:
        raise MstError(
            f"inductive proof failed: the ops inverted give {dagcbor.cid_text(root)}, "
            f"not prevData {dagcbor.cid_text(prev_data)}"
        )
