"""Event-stream frames and commits made by hand for the stream tests (no server involved)."""

from __future__ import annotations

from typing import Any

from atlex.repo import dagcbor
from atlex.repo.mst import Mst

DID = "did:plc:streamtest0000000000000"
TIME = "2026-01-01T00:00:00.000Z"


def frame(kind: str, body: dict[str, Any]) -> bytes:
    return dagcbor.encode({"op": 1, "t": kind}) + dagcbor.encode(body)


def error_frame(error: str, message: str | None = None) -> bytes:
    body = {"error": error} if message is None else {"error": error, "message": message}
    return dagcbor.encode({"op": -1}) + dagcbor.encode(body)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def car(root: bytes, blocks: dict[bytes, bytes]) -> bytes:
    header = dagcbor.encode_raw({"version": 1, "roots": [dagcbor.RawCid(root)]})
    out = _varint(len(header)) + header
    for cid, block in blocks.items():
        out += _varint(len(cid) + len(block)) + cid + block
    return out


def link(cid: bytes) -> dict[str, str]:
    return {"$link": dagcbor.cid_text(cid)}


def commit_frame(
    seq: int,
    records: dict[str, dict[str, Any]],
    *,
    deletes: tuple[str, ...] = (),
    repo: str = DID,
) -> bytes:
    """A ``#commit`` creating ``records`` (path -> JSON-form record) and deleting ``deletes``,
    with a CAR holding a (fake, unsigned) commit block, the new MST and the records."""
    blocks: dict[bytes, bytes] = {}
    ops: list[dict[str, Any]] = []
    entries: list[tuple[str, bytes]] = []
    for path, record in records.items():
        block = dagcbor.encode(record)
        cid = dagcbor.cid_for(block)
        blocks[cid] = block
        entries.append((path, cid))
        ops.append({"action": "create", "path": path, "cid": link(cid)})
    for path in deletes:
        ops.append({"action": "delete", "path": path, "cid": None})
    data = Mst.build(entries, blocks).root()
    commit_block = dagcbor.encode(
        {"did": repo, "version": 3, "data": link(data), "rev": f"3l{seq:011d}", "prev": None}
    )
    commit_cid = dagcbor.cid_for(commit_block)
    blocks[commit_cid] = commit_block
    return frame(
        "#commit",
        {
            "seq": seq,
            "rebase": False,
            "tooBig": False,
            "repo": repo,
            "commit": link(commit_cid),
            "rev": f"3l{seq:011d}",
            "since": None,
            "blocks": {"$bytes": _b64(car(commit_cid, blocks))},
            "ops": ops,
            "blobs": [],
            "time": TIME,
        },
    )


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode().rstrip("=")


def identity_frame(seq: int, handle: str = "alice.test") -> bytes:
    return frame("#identity", {"seq": seq, "did": DID, "time": TIME, "handle": handle})


# --- signed, inductive commits (for verify=True) -------------------------------------------


class Signer:
    """A secp256k1 account key: signs commits the way a PDS does (sha256, low-S, r || s)."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        from atlex.identity import PublicKey

        self._key = ec.generate_private_key(ec.SECP256K1())
        point = self._key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        self.public = PublicKey.from_bytes("k256", point)

    def sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
        order = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
        if s > order // 2:
            s = order - s
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class Repo:
    """A repo that makes signed sync 1.1 commits: each carries the commit, the MST nodes its
    inversion reads, and the new records; ``prevData`` is the previous tree's root."""

    def __init__(self, signer: Signer, did: str = DID) -> None:
        self.signer = signer
        self.did = did
        self.records: dict[str, bytes] = {}  # path -> record CID
        self.store: dict[bytes, bytes] = {}
        self.rev = 0

    def commit(
        self,
        seq: int,
        writes: dict[str, dict[str, Any] | None],
        *,
        tamper: Any = None,
    ) -> bytes:
        """``writes``: path -> new record (create or update) or None (delete)."""
        from atlex.repo.mst import Op

        before = Mst.build(self.records.items(), self.store).root()
        ops: list[dict[str, Any]] = []
        mst_ops: list[Op] = []
        record_blocks: dict[bytes, bytes] = {}
        for path, record in writes.items():
            old = self.records.get(path)
            if record is None:
                assert old is not None
                del self.records[path]
                ops.append({"action": "delete", "path": path, "cid": None, "prev": link(old)})
                mst_ops.append(Op(path, old, None))
                continue
            block = dagcbor.encode(record)
            cid = dagcbor.cid_for(block)
            record_blocks[cid] = block
            self.records[path] = cid
            op: dict[str, Any] = {
                "action": "create" if old is None else "update",
                "path": path,
                "cid": link(cid),
            }
            if old is not None:
                op["prev"] = link(old)
            ops.append(op)
            mst_ops.append(Op(path, old, cid))
        after = Mst.build(self.records.items(), self.store).root()
        proof = Mst(dict(self.store), after)
        proof.apply(Op(o.key, o.new, o.old) for o in mst_ops)
        assert proof.root() == before
        self.rev += 1
        rev = f"3l{self.rev:011d}"
        unsigned = {
            "did": self.did,
            "version": 3,
            "data": dagcbor.RawCid(after),
            "rev": rev,
            "prev": None,
        }
        sig = self.signer.sign(dagcbor.encode_raw(unsigned))
        commit_block = dagcbor.encode_raw({**unsigned, "sig": sig})
        commit_cid = dagcbor.cid_for(commit_block)
        blocks = {commit_cid: commit_block}
        blocks.update({cid: self.store[cid] for cid in proof.loaded | {after}})
        blocks.update(record_blocks)
        body: dict[str, Any] = {
            "seq": seq,
            "rebase": False,
            "tooBig": False,
            "repo": self.did,
            "commit": link(commit_cid),
            "rev": rev,
            "since": None,
            "blocks": {"$bytes": _b64(car(commit_cid, blocks))},
            "ops": ops,
            "blobs": [],
            "prevData": link(before),
            "time": TIME,
        }
        if tamper is not None:
            tamper(body, blocks, commit_cid)
        return frame("#commit", body)


class FakeResolver:
    """Stands in for ``atlex.identity.IdentityResolver`` (keys by DID; counts lookups)."""

    def __init__(self, keys: dict[str, Any]) -> None:
        self.keys = keys
        self.lookups: list[tuple[str, bool]] = []
        self.purged: list[str] = []

    def resolve_signing_key(self, did: str, *, fresh: bool = False) -> Any:
        self.lookups.append((did, fresh))
        return self.keys[did]

    def purge(self, did: str) -> None:
        self.purged.append(did)

    def close(self) -> None:
        pass
