"""atlex.repo.car and atlex.repo.dagcbor on hand-made bytes: blocks by CID, errors naming where."""

from __future__ import annotations

import pytest

from atlex.repo import dagcbor
from atlex.repo.car import CarError, read_car


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _car(roots: list[bytes], blocks: list[bytes]) -> bytes:
    header = dagcbor.encode_raw({"version": 1, "roots": [dagcbor.RawCid(r) for r in roots]})
    out = _varint(len(header)) + header
    for block in blocks:
        section = dagcbor.cid_for(block) + block
        out += _varint(len(section)) + section
    return out


def test_blocks_come_back_by_cid_in_order() -> None:
    blocks = [dagcbor.encode({"n": i, "text": "x" * (i * 50)}) for i in range(4)]
    root = dagcbor.cid_for(blocks[0])
    car = read_car(_car([root], blocks))
    assert car.roots == [root]
    assert list(car.blocks) == [dagcbor.cid_for(b) for b in blocks]
    assert list(car.blocks.values()) == blocks
    car.verify_blocks()
    assert dagcbor.decode(car.blocks[root]) == {"n": 0, "text": ""}


def test_a_block_that_does_not_match_its_cid_is_named() -> None:
    good = dagcbor.encode({"a": 1})
    data = _car([dagcbor.cid_for(good)], [good]).replace(good, dagcbor.encode({"a": 2}))
    with pytest.raises(CarError, match="does not match its CID"):
        read_car(data).verify_blocks()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty CAR"),
        (b"\x80", "bad varint"),
        (b"\x20\xa1", "header runs past the end"),
        (_varint(2) + b"\xa0\xff", "CAR header"),
    ],
)
def test_malformed_cars_raise_car_error(data: bytes, message: str) -> None:
    with pytest.raises(CarError, match=message):
        read_car(data)


def test_a_truncated_block_is_reported_with_its_offset() -> None:
    block = dagcbor.encode({"a": 1})
    data = _car([dagcbor.cid_for(block)], [block])
    with pytest.raises(CarError, match="runs past the end"):
        read_car(data[:-3])


def test_json_and_raw_forms_of_a_link() -> None:
    cid = dagcbor.cid_for(b"\xa0")
    text = dagcbor.cid_text(cid)
    raw = dagcbor.encode_raw({"l": dagcbor.RawCid(cid), "b": b"\x01"})
    assert dagcbor.decode(raw) == {"l": {"$link": text}, "b": {"$bytes": "AQ"}}
    assert dagcbor.decode_raw(raw) == {"l": cid, "b": b"\x01"}
    assert isinstance(dagcbor.decode_raw(raw)["l"], dagcbor.RawCid)
    assert dagcbor.cid_bytes(text) == cid


@pytest.mark.parametrize(
    "data", [b"", b"\xa1", b"\xa0\xa0", b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00"]
)
def test_invalid_dag_cbor_raises_dag_cbor_error(data: bytes) -> None:
    with pytest.raises(dagcbor.DagCborError):
        dagcbor.decode(data)
