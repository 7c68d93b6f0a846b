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
