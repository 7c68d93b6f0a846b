"""``interop/mst/*`` and ``interop/firehose/commit-proof-fixtures.json`` through atlex.repo.mst.

* ``key_heights.json`` / ``common_prefix.json``: every case.
* ``commit-proof-fixtures.json``: the tree of ``keys`` has root ``rootBeforeCommit``; adding
  ``adds`` and removing ``dels`` gives ``rootAfterCommit`` (edited in place, and built afresh);
  with only the ``blocksInProof`` of the new tree, inverting the ops gives ``rootBeforeCommit``
  again (the sync 1.1 inductive proof), the inversion reads only blocks of the proof, and
  dropping any block it reads makes the proof fail with ``MissingBlockError``. (The reference
  proof also carries a neighbour node in one case that atlex's inversion does not need: merging
  a subtree with an empty one leaves its CID as it is.)
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from _interop import read_json, require_interop

from atlex.repo import dagcbor
from atlex.repo.mst import (
    MissingBlockError,
    Mst,
    MstError,
    Op,
    common_prefix_len,
    key_height,
    verify_commit_proof,
)

MST = require_interop("mst")
FIREHOSE = require_interop("firehose")
HEIGHTS: list[dict[str, Any]] = read_json(MST / "key_heights.json")
PREFIXES: list[dict[str, Any]] = read_json(MST / "common_prefix.json")
PROOFS: list[dict[str, Any]] = read_json(FIREHOSE / "commit-proof-fixtures.json")
EXAMPLE_KEYS = [k for k in (MST / "example_keys.txt").read_text().split() if k]


@pytest.mark.parametrize("case", HEIGHTS, ids=lambda c: c["key"] or "empty")
def test_key_heights(case: dict[str, Any]) -> None:
    assert key_height(case["key"]) == case["height"]


@pytest.mark.parametrize("case", PREFIXES, ids=lambda c: f"{c['left']}|{c['right']}")
def test_common_prefix(case: dict[str, Any]) -> None:
    assert common_prefix_len(case["left"], case["right"]) == case["len"]


def _cid(text: str) -> bytes:
    return dagcbor.cid_bytes(text)


def _ops(case: dict[str, Any]) -> list[Op]:
    leaf = _cid(case["leafValue"])
    return [Op(k, None, leaf) for k in case["adds"]] + [Op(k, leaf, None) for k in case["dels"]]


@pytest.mark.parametrize("case", PROOFS, ids=lambda c: c["comment"])
def test_commit_proof_fixture_roots(case: dict[str, Any]) -> None:
    leaf = _cid(case["leafValue"])
    before = Mst.build((k, leaf) for k in case["keys"])
    assert dagcbor.cid_text(before.root()) == case["rootBeforeCommit"]
    before.apply(_ops(case))
    assert dagcbor.cid_text(before.root()) == case["rootAfterCommit"]
    after_keys = (set(case["keys"]) | set(case["adds"])) - set(case["dels"])
    built = Mst.build((k, leaf) for k in after_keys)
    assert dagcbor.cid_text(built.root()) == case["rootAfterCommit"]


def _after_tree(case: dict[str, Any]) -> tuple[dict[bytes, bytes], bytes]:
    leaf = _cid(case["leafValue"])
    blocks: dict[bytes, bytes] = {}
    after_keys = (set(case["keys"]) | set(case["adds"])) - set(case["dels"])
    root = Mst.build(((k, leaf) for k in after_keys), blocks).root()
    return blocks, root


@pytest.mark.parametrize("case", PROOFS, ids=lambda c: c["comment"])
def test_commit_proof_blocks_suffice_and_are_what_the_inversion_reads(
    case: dict[str, Any],
) -> None:
    blocks, root = _after_tree(case)
    proof = {cid: blocks[cid] for cid in map(_cid, case["blocksInProof"])}
    assert len(proof) == len(case["blocksInProof"])
    verify_commit_proof(proof, root, _cid(case["rootBeforeCommit"]), _ops(case))
    tree = Mst(dict(proof), root)
    tree.apply(Op(op.key, op.new, op.old) for op in _ops(case))
    assert dagcbor.cid_text(tree.root()) == case["rootBeforeCommit"]
    assert tree.loaded <= set(proof)
    assert len(tree.loaded) >= len(proof) - 1


@pytest.mark.parametrize("case", PROOFS, ids=lambda c: c["comment"])
def test_commit_proof_without_any_block_it_reads_fails(case: dict[str, Any]) -> None:
    blocks, root = _after_tree(case)
    full = {cid: blocks[cid] for cid in map(_cid, case["blocksInProof"])}
    tree = Mst(dict(full), root)
    tree.apply(Op(op.key, op.new, op.old) for op in _ops(case))
    for missing in tree.loaded:
        proof = {cid: block for cid, block in full.items() if cid != missing}
        with pytest.raises(MissingBlockError):
            verify_commit_proof(proof, root, _cid(case["rootBeforeCommit"]), _ops(case))


@pytest.mark.parametrize("case", PROOFS, ids=lambda c: c["comment"])
def test_commit_proof_with_a_wrong_op_fails(case: dict[str, Any]) -> None:
    blocks, root = _after_tree(case)
    ops = _ops(case)[1:]  # one op left out: the inversion cannot reach the old root
    with pytest.raises(MstError):
        verify_commit_proof(blocks, root, _cid(case["rootBeforeCommit"]), ops)


def test_edits_in_any_order_give_the_built_tree() -> None:
    rng = random.Random(11)
    value = dagcbor.cid_for(b"\xa0")
    keys = list(EXAMPLE_KEYS)
    expected = Mst.build((k, value) for k in keys).root()
    for _ in range(5):
        rng.shuffle(keys)
        tree = Mst({})
        for k in keys:
            tree.put(k, value)
        assert tree.root() == expected
        assert dict(tree.items()) == dict.fromkeys(keys, value)
    # delete half in random order, against a fresh build of the other half
    rng.shuffle(keys)
    stored: dict[bytes, bytes] = {}
    tree = Mst(stored, Mst.build(((k, value) for k in keys), stored).root())
    for k in keys[: len(keys) // 2]:
        assert tree.delete(k) == value
    assert tree.root() == Mst.build((k, value) for k in keys[len(keys) // 2 :]).root()
    for k in keys[len(keys) // 2 :]:
        tree.delete(k)
    assert tree.root() == Mst.build([]).root()


def test_diff_lists_creates_updates_and_deletes() -> None:
    a, b = dagcbor.cid_for(b"\x01"), dagcbor.cid_for(b"\x02")
    old = Mst.build([("c/1", a), ("c/2", a), ("c/3", a)])
    new = Mst.build([("c/2", b), ("c/3", a), ("c/4", b)])
    assert old.diff(new) == [Op("c/1", a, None), Op("c/2", a, b), Op("c/4", None, b)]
