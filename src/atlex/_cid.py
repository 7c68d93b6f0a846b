"""CID strings: a strict parser for the multibase forms a CID can take (no dependency).

A CIDv1 string is a multibase prefix character followed by the encoded bytes
``varint(version=1) varint(codec) varint(hash code) varint(digest length) digest``.
A CIDv0 is a bare base58btc sha2-256 multihash: 46 characters starting with ``Qm``.
Decoding is canonical: a string that would not re-encode to itself (stray padding bits,
non-minimal varints, trailing bytes) is rejected, like the reference's parse-and-round-trip.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import NamedTuple

__all__ = [
    "CODEC_DAG_CBOR",
    "CODEC_RAW",
    "HASH_SHA2_256",
    "CidError",
    "ParsedCid",
    "parse_cid",
]

CODEC_RAW = 0x55
CODEC_DAG_CBOR = 0x71
CODEC_DAG_PB = 0x70
HASH_SHA2_256 = 0x12

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


class CidError(ValueError):
    """A string that is not a CID; the message says which part is wrong."""


class ParsedCid(NamedTuple):
    """The parts of a CID."""

    version: int
    codec: int
    """Multicodec of the content: 0x71 dag-cbor (records), 0x55 raw (blobs), 0x70 dag-pb."""
    hash_code: int
    """Multihash function code: 0x12 is sha2-256."""
    digest: bytes

    def to_bytes(self) -> bytes:
        """The binary CID (for CIDv0: the bare multihash)."""
        multihash = _varint(self.hash_code) + _varint(len(self.digest)) + self.digest
        if self.version == 0:
            return multihash
        return _varint(self.version) + _varint(self.codec) + multihash

    def __str__(self) -> str:
        """The canonical string: base32 lower with a ``b`` prefix (CIDv0: base58btc ``Qm…``)."""
        if self.version == 0:
            return _b58encode(self.to_bytes())
        return "b" + base64.b32encode(self.to_bytes()).decode("ascii").rstrip("=").lower()


def parse_cid(text: str) -> ParsedCid:
    """Parse a CID string. Accepts CIDv0 (``Qm…``) and CIDv1 in base32 (``b``/``B``),
    base58btc (``z``), base36 (``k``/``K``), base16 (``f``/``F``) and unpadded base64
    (``m``) / base64url (``u``). Raises :class:`CidError` naming what is wrong."""
    if not text:
        raise CidError("empty string")
    if len(text) == 46 and text.startswith("Qm"):
        return _parse_v0(text)
    prefix, body = text[0], text[1:]
    decoder = _DECODERS.get(prefix)
    if decoder is None:
        raise CidError(f"unsupported multibase prefix {prefix!r}")
    if not body:
        raise CidError("nothing after the multibase prefix")
    return _parse_v1_bytes(decoder(body))


def _parse_v0(text: str) -> ParsedCid:
    data = _b58decode(text)
    if len(data) != 34 or data[0] != HASH_SHA2_256 or data[1] != 32:
        raise CidError("CIDv0 must be a base58btc sha2-256 multihash")
    return ParsedCid(0, CODEC_DAG_PB, HASH_SHA2_256, data[2:])


def _parse_v1_bytes(data: bytes) -> ParsedCid:
    if len(data) > 4 and data[0] == 1 and data[1] < 0x80 and data[2] < 0x80 and data[3] < 0x80:
        # The usual shape (one-byte codec, hash code and length): no varint loop needed.
        if len(data) - 4 != data[3]:
            raise CidError(f"multihash digest is {len(data) - 4} bytes, its header says {data[3]}")
        return ParsedCid(1, data[1], data[2], data[4:])
    version, pos = _read_varint(data, 0, "version")
    if version != 1:
        raise CidError(f"unsupported CID version {version}")
    codec, pos = _read_varint(data, pos, "codec")
    hash_code, pos = _read_varint(data, pos, "multihash code")
    length, pos = _read_varint(data, pos, "multihash length")
    digest = data[pos:]
    if len(digest) != length:
        raise CidError(f"multihash digest is {len(digest)} bytes, its header says {length}")
    return ParsedCid(1, codec, hash_code, digest)


def _read_varint(data: bytes, pos: int, what: str) -> tuple[int, int]:
    """Unsigned LEB128 as multiformats defines it: at most 9 bytes, minimally encoded."""
    value = 0
    for i in range(9):
        if pos + i >= len(data):
            raise CidError(f"truncated {what}")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise CidError(f"non-minimal varint in {what}")
            return value, pos + i + 1
    raise CidError(f"{what} varint longer than 9 bytes")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


# --- multibase decoders (all strict: alphabet, length and zero padding bits) ---


def _rfc4648(alphabet: str, bits: int) -> Callable[[str], bytes]:
    """An unpadded RFC 4648 decoder for ``alphabet`` (``bits`` per character)."""
    index = {c: i for i, c in enumerate(alphabet)}

    def decode(body: str) -> bytes:
        total_bits = len(body) * bits
        leftover = total_bits % 8
        if leftover >= bits:  # a whole character that carries no byte
            raise CidError("invalid encoded length")
        value = 0
        for c in body:
            digit = index.get(c)
            if digit is None:
                raise CidError(f"character {c!r} is not in the multibase alphabet")
            value = (value << bits) | digit
        if value & ((1 << leftover) - 1):
            raise CidError("non-zero padding bits")
        return (value >> leftover).to_bytes(total_bits // 8, "big")

    return decode


# base32 lower -> the digits int(..., 32) reads, so the blessed form decodes at C speed.
_B32_TO_INT_DIGITS = bytes.maketrans(
    b"abcdefghijklmnopqrstuvwxyz234567", b"0123456789abcdefghijklmnopqrstuv"
)
_B32_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz234567")


def _b32_lower(body: str) -> bytes:
    if not _B32_CHARS.issuperset(body):
        raise CidError("invalid base32 character")
    leftover = len(body) * 5 % 8
    if leftover >= 5:  # lengths 1, 3 and 6 mod 8 cannot come from whole bytes
        raise CidError("invalid base32 length")
    value = int(body.encode("ascii").translate(_B32_TO_INT_DIGITS), 32)
    if value & ((1 << leftover) - 1):
        raise CidError("not canonical base32 (non-zero padding bits)")
    return (value >> leftover).to_bytes(len(body) * 5 // 8, "big")


def _b32_upper(body: str) -> bytes:
    if body.upper() != body:
        raise CidError("lower-case character in upper-case base32")
    return _b32_lower(body.lower())


def _b58decode(body: str) -> bytes:
    value = 0
    for c in body:
        digit = _B58_INDEX.get(c)
        if digit is None:
            raise CidError(f"character {c!r} is not base58btc")
        value = value * 58 + digit
    zeros = len(body) - len(body.lstrip("1"))
    return b"\0" * zeros + value.to_bytes((value.bit_length() + 7) // 8, "big")


def _b58encode(data: bytes) -> str:
    value = int.from_bytes(data, "big")
    out: list[str] = []
    while value:
        value, digit = divmod(value, 58)
        out.append(_B58_ALPHABET[digit])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def _base36(alphabet: str) -> Callable[[str], bytes]:
    index = {c: i for i, c in enumerate(alphabet)}

    def decode(body: str) -> bytes:
        value = 0
        for c in body:
            digit = index.get(c)
            if digit is None:
                raise CidError(f"character {c!r} is not in the base36 alphabet")
            value = value * 36 + digit
        zeros = len(body) - len(body.lstrip("0"))
        return b"\0" * zeros + value.to_bytes((value.bit_length() + 7) // 8, "big")

    return decode


def _base16(alphabet: str) -> Callable[[str], bytes]:
    allowed = frozenset(alphabet)

    def decode(body: str) -> bytes:
        if len(body) % 2 or not allowed.issuperset(body):
            raise CidError("invalid base16")
        return bytes.fromhex(body)

    return decode


_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

_DECODERS: dict[str, Callable[[str], bytes]] = {
    "b": _b32_lower,
    "B": _b32_upper,
    "z": _b58decode,
    "k": _base36(_B36),
    "K": _base36(_B36.upper()),
    "f": _base16("0123456789abcdef"),
    "F": _base16("0123456789ABCDEF"),
    "m": _rfc4648(_B64 + "+/", 6),
    "u": _rfc4648(_B64 + "-_", 6),
}
