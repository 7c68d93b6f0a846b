"""CAR v1 files (content-addressed archives): a header naming root CIDs, then blocks.

:func:`read_car` splits a CAR into its blocks without decoding them, so a consumer pays only for
the blocks it reads; :func:`find_block` finds one block without splitting the rest. CIDs are kept binary (``bytes``); :func:`atlex.repo.dagcbor.cid_text` gives
their usual text form.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from hashlib import sha256

from atlex.repo import dagcbor

__all__ = ["Car", "CarError", "find_block", "read_car"]

_MAX_VARINT_BYTES = 9


class CarError(ValueError):
    """Bytes that are not a well-formed CAR v1 file; the message says where."""


@dataclass(frozen=True, slots=True)
class Car:
    """A parsed CAR: ``roots`` and ``blocks`` (binary CID -> block bytes), in file order."""

    roots: list[bytes]
    blocks: dict[bytes, bytes]

    def verify_blocks(self) -> None:
        """Check that every block hashes to its CID (sha2-256 CIDs); raises :class:`CarError`."""
        for cid, block in self.blocks.items():
            if cid[2:4] != b"\x12\x20" or hashlib.sha256(block).digest() != cid[4:]:
                raise CarError(f"block {dagcbor.cid_text(cid)} does not match its CID")


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    for i in range(at, min(at + _MAX_VARINT_BYTES, len(data))):
        byte = data[i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i + 1
        shift += 7
    raise CarError(f"bad varint at byte {at}")


def _cid_length(data: bytes, at: int) -> int:
    """Length of the binary CID starting at ``at`` (CIDv1: version, codec, hash, size, digest)."""
    if data[at : at + 2] == b"\x12\x20":  # CIDv0: a bare sha2-256 multihash
        return 34
    pos = at
    for _ in range(3):  # version, codec, hash code
        _, pos = _varint(data, pos)
    size, pos = _varint(data, pos)
    return pos + size - at


def read_car(data: bytes) -> Car:
    """Split a CAR v1 file into roots and blocks. Raises :class:`CarError` naming the problem."""
    if not data:
        raise CarError("empty CAR")
    size, at = _varint(data, 0)
    if at + size > len(data):
        raise CarError("CAR header runs past the end")
    try:
        header = dagcbor.decode_raw(data[at : at + size])
    except dagcbor.DagCborError as exc:
        raise CarError(f"CAR header: {exc}") from exc
    if not isinstance(header, dict) or header.get("version") != 1:  # pyright: ignore[reportUnknownMemberType]
        raise CarError("CAR header: not a version 1 header")
    roots_value: object = header.get("roots")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    if not isinstance(roots_value, list):
        raise CarError("CAR header: roots is not a list")
    roots = [bytes(r) for r in roots_value if isinstance(r, bytes)]  # pyright: ignore[reportUnknownVariableType]
    at += size
    blocks: dict[bytes, bytes] = {}
    end = len(data)
    while at < end:
        first = data[at]
        if first < 0x80:  # sections under 128 bytes: a one-byte length
            size, start = first, at + 1
        elif at + 1 < end and data[at + 1] < 0x80:  # under 16 KiB: two bytes
            size, start = (first & 0x7F) | (data[at + 1] << 7), at + 2
        else:
            size, start = _varint(data, at)
        stop = start + size
        if stop > end:
            raise CarError(f"block at byte {at} runs past the end of the CAR")
        if (
            data[start] == 1
            and data[start + 2 : start + 4] == b"\x12\x20"
            and data[start + 1] < 0x80
        ):
            cid_end = start + 36  # CIDv1, one-byte codec, sha2-256: the usual case
        else:
            cid_end = start + _cid_length(data, start)
        if cid_end > stop:
            raise CarError(f"block at byte {at}: CID longer than the section")
        blocks[data[start:cid_end]] = data[cid_end:stop]
        at = stop
    return Car(roots=roots, blocks=blocks)


_SHA256_CID_SIZE = 36  # CIDv1 (one-byte codec), sha2-256, 32-byte digest


def find_block(data: bytes, cid: bytes) -> bytes | None:
    """The block of ``cid`` in the CAR ``data`` (or in bytes that hold a CAR's sections, such as
    the event-stream frame that carries it), found by searching for the CID rather than
    splitting the CAR (a firehose consumer reads one or two blocks of a commit's slice).

    Sound because the block is checked against its CID: bytes that hash to a CID are that
    block, wherever they were found. Returns None when this search does not find it (CIDs other
    than CIDv1 sha2-256, or a section it cannot read); the caller then splits with
    :func:`read_car`, which also reports a malformed CAR.
    """
    if len(cid) != _SHA256_CID_SIZE or cid[0] != 1 or cid[2:4] != b"\x12\x20":
        return None
    digest = cid[4:]
    # from the end: a record's section tends to follow the MST nodes that link to it
    at = data.rfind(cid)
    while at > 1:
        # A section is <varint length><CID><block>: the varint ends right before the CID, its
        # last byte 0x01-0x7f (a link's CID inside a block follows 0x00, the multibase prefix).
        # Sections here are under 16 KiB: a two- or one-byte varint (else: split the CAR).
        # (A slice cut short by the end of `data` needs no check of its own: it is returned
        # only if it hashes to the CID, i.e. only if it is that block anyway.)
        last = data[at - 1]
        if 0 < last < 0x80:
            before = data[at - 2]
            if before >= 0x80:  # a two-byte length (the usual record); else, or failing, one
                block = data[at + _SHA256_CID_SIZE : at + ((last << 7) | (before & 0x7F))]
                if sha256(block).digest() == digest:
                    return block
            if last > _SHA256_CID_SIZE:
                block = data[at + _SHA256_CID_SIZE : at + last]
                if sha256(block).digest() == digest:
                    return block
        at = data.rfind(cid, 0, at + _SHA256_CID_SIZE - 1)
    return None
