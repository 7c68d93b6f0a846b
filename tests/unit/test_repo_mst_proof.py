"""The inductive proof's shortcuts give what re-encoding gives: a node whose only change is a
link is rewritten in its stored bytes (atlex.repo.mst), and only when that is certain to equal
the canonical encoding; otherwise the node is encoded afresh."""

from __future__ import annotations

import random
from typing import Any

from atlex.repo import dagcbor
from atlex.repo.mst import Mst, Op, verify_commit_proof

KEYS = [f"app.bsky.feed.post/3k{i:04d}" for i in range(300)]


def _value(i: int) -> bytes:
    return dagcbor.cid_for(dagcbor.encode({"n": i}))


def _proof(store: dict[bytes, bytes], before: dict[str, bytes], op: Op) -> None:
    """Apply ``op`` to the tree of ``before`` and check the proof of the new tree."""
    after = dict(before)
    if op.new is None:
        del after[op.key]
    else:
        after[op.key] = op.new
    old_root = Mst.build(before.items(), store).root()
    new_root = Mst.build(after.items(), store).root()
    verify_commit_proof(store, new_root, old_root, [op])


def test_random_single_op_proofs_agree_with_building_the_old_tree() -> None:
    rng = random.Random(12)
    entries = {k: _value(i) for i, k in enumerate(KEYS)}
    store: dict[bytes, bytes] = {}
    for n in range(60):
        key = rng.choice(KEYS)
        if key in entries and n % 3 == 0:
            op = Op(key, entries[key], None)
        elif key in entries:
            op = Op(key, entries[key], _value(1000 + n))
        else:
            op = Op(key, None, _value(1000 + n))
        _proof(store, entries, op)
        if op.new is None:
            del entries[key]
        else:
            entries[key] = op.new


def _replace_node(store: dict[bytes, bytes], cid: bytes, block: bytes) -> bytes:
    """Store ``block`` in place of node ``cid`` and rewrite the links to it up to the root."""
    new = dagcbor.cid_for(block)
    store[new] = block
    for parent_cid, parent in list(store.items()):
        if cid in parent and parent_cid != cid:
            return _replace_node(store, parent_cid, parent.replace(cid, new))
    return new


def test_a_node_encoded_with_a_shorter_prefix_is_encoded_afresh() -> None:
    # a leaf stores its second key whole (p=0, not the prefix it shares with the first): when
    # an op changes that leaf, the proof encodes it afresh (canonically), as it did before the
    # in-place rewrite existed; a leaf the op does not change keeps its bytes
    entries = {k: _value(i) for i, k in enumerate(KEYS[:120])}
    store: dict[bytes, bytes] = {}
    root = Mst.build(entries.items(), store).root()
    leaf_cid, leaf = next(
        (c, b)
        for c, b in store.items()
        if dagcbor.decode_raw(b)["l"] is None
        and len(dagcbor.decode_raw(b)["e"]) > 1
        and all(e["t"] is None for e in dagcbor.decode_raw(b)["e"])
    )
    node = dagcbor.decode_raw(leaf)
    first, second = node["e"][0], node["e"][1]
    assert second["p"] > 0
    second["k"] = first["k"][: second["p"]] + second["k"]  # now the whole key
    second["p"] = 0
    in_leaf = {k.encode() for k in entries if _value(KEYS.index(k)) in leaf}
    long_root = _replace_node(store, leaf_cid, dagcbor.encode_raw(node))
    assert long_root != root
    assert dict(Mst(dict(store), long_root).items()) == entries
    value = _value(999)
    for key in entries:
        work = dict(store)
        edited = Mst(work, long_root)
        edited.put(key, value)
        previous = root if key.encode() in in_leaf else long_root
        verify_commit_proof(work, edited.root(), previous, [Op(key, entries[key], value)])


def _nodes(tree: Mst) -> list[Any]:
    tree.root()
    todo: list[Any] = [tree._root]  # pyright: ignore[reportPrivateUsage]
    seen: list[Any] = []
    while todo:
        node = todo.pop()
        seen.append(node)
        todo.extend(s for s in node.subs if isinstance(s, type(node)))
    return seen


def test_a_cid_found_twice_in_a_node_is_not_patched_by_search() -> None:
    # in the new tree, a key's value CID equals the CID of a subtree further right in the same
    # node (so the value comes first in the bytes); the op changes that subtree. A search for
    # the link finds it twice, so the node is encoded afresh; the proof still holds
    entries = {k: _value(i) for i, k in enumerate(KEYS)}
    node, j = next(
        (n, j)
        for n in _nodes(Mst.build(entries.items(), {}))
        for j in range(2, len(n.subs))
        if isinstance(n.subs[j], type(n)) and len(n.subs[j].keys) >= 2
    )
    sub = node.subs[j]
    below = sub.keys[0].decode()
    for new in (_value(5000), None):
        after = dict(entries)
        if new is None:
            del after[below]
        else:
            after[below] = new
        twin = next(n for n in _nodes(Mst.build(after.items(), {})) if n.keys == node.keys)
        before = {**entries, node.keys[j - 2].decode(): twin.subs[j].cid}
        _proof({}, before, Op(below, entries[below], new))
