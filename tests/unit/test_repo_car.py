"""atlex.repo.car and atlex.repo.dagcbor on hand-made bytes: blocks by CID, errors naming where."""

from __future__ import annotations

import pytest

from atlex.repo import dagcbor
from atlex.repo.car import CarError, find_block, read_car


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


def test_find_block_finds_a_block_by_its_cid_without_splitting() -> None:
    record = dagcbor.encode({"text": "r" * 300})  # a section over 127 bytes: two-byte length
    small = dagcbor.encode({"n": 1})  # a one-byte length
    rid, sid = dagcbor.cid_for(record), dagcbor.cid_for(small)
    # a node linking to both (their CIDs appear inside it, after the 0x00 multibase prefix)
    node = dagcbor.encode_raw({"l": [dagcbor.RawCid(rid), dagcbor.RawCid(sid)]})
    data = _car([dagcbor.cid_for(node)], [node, record, small])
    assert find_block(data, rid) == record
    assert find_block(data, sid) == small
    assert find_block(data, dagcbor.cid_for(b"\xa0")) is None  # absent


def test_find_block_returns_only_bytes_that_hash_to_the_cid() -> None:
    record = dagcbor.encode({"text": "r" * 300})
    rid = dagcbor.cid_for(record)
    data = bytearray(_car([rid], [record]))
    data[-5] ^= 0xFF  # the block no longer matches its CID
    assert find_block(bytes(data), rid) is None
    raw_codec = b"\x01\x55" + rid[2:]  # not a dag-cbor sha2-256 CID: left to read_car
    assert find_block(bytes(data), raw_codec) is None


def test_find_bytes_value_refuses_an_ambiguous_key() -> None:
    payload = bytes(range(200))
    clear = dagcbor.encode_raw({"a": "x", "blocks": payload})
    assert dagcbor.find_bytes_value(clear, 0, "blocks", len(payload)) == payload
    assert dagcbor.find_bytes_value(clear, 0, "blocks", len(payload) + 1) is None
    tricky = dagcbor.encode_raw({"a": "fblocksX\x58\xc8", "blocks": payload})
    assert dagcbor.find_bytes_value(tricky, 0, "blocks", len(payload)) is None


@pytest.mark.parametrize("size", [1, 2, 4, 5, 34, 36, 37, 68])
def test_cid_bytes_reads_back_what_cid_text_writes(size: int) -> None:
    # every length (the base32 text's spare bits differ with it), leading zero bytes included
    for data in (bytes(size), b"\xff" * size, bytes(range(size)), b"\x01\x71" + b"\x00" * size):
        assert dagcbor.cid_bytes(dagcbor.cid_text(data)) == data


def test_cid_bytes_refuses_what_is_not_base32() -> None:
    cid = dagcbor.cid_for(b"\xa0")
    text = dagcbor.cid_text(cid)
    assert dagcbor.cid_bytes(text) == cid
    for bad in (
        text.upper(),
        "b" + text[2:] + "1",
        text[:-1] + "_",
        "b+" + text[2:],
        "",
        "b",
        "z" + text[1:],
        text[:-1] + "\u0663",
    ):
        with pytest.raises(dagcbor.DagCborError):
            dagcbor.cid_bytes(bad)
