"""DAG-CBOR (the AT Protocol's binary encoding) over the ``cbrrr`` library, imported on first use.

Two views of the same bytes:

* the **JSON form** (:func:`decode`, :func:`encode`): links as ``{"$link": "bafy..."}`` and byte
  strings as ``{"$bytes": base64}``, what atlex's typed decoders and ``atlex.convert`` read;
* the **raw form** (:func:`decode_raw`, :func:`encode_raw`): links as their binary CID
  (``bytes``, wrapped in :class:`RawCid` for encoding) and byte strings as ``bytes``; used for
  repo internals (MST nodes, commits) where speed matters and the schema says which is which.

CIDs of blocks: :func:`cid_for` (CIDv1, dag-cbor, sha2-256), as text by :func:`cid_text`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from types import ModuleType
from typing import Any

__all__ = [
    "CID_DAG_CBOR_PREFIX",
    "DagCborError",
    "RawCid",
    "cid_bytes",
    "cid_for",
    "cid_text",
    "decode",
    "decode_from",
    "decode_prefix",
    "decode_raw",
    "encode",
    "encode_raw",
    "find_bytes_value",
    "native",
]

CID_DAG_CBOR_PREFIX = b"\x01\x71\x12\x20"
"""CIDv1, codec dag-cbor (0x71), sha2-256 (0x12), 32-byte digest."""

_native: ModuleType | None = None


class DagCborError(ValueError):
    """Bytes that are not one well-formed DAG-CBOR value, or a value DAG-CBOR cannot hold."""


class RawCid(bytes):
    """A binary CID in a raw-form value: :func:`encode_raw` writes it as a link (tag 42)."""

    __slots__ = ()


def _lib() -> ModuleType:
    global _native
    if _native is None:
        import cbrrr._cbrrr as native  # the compiled codec; the package wrapper adds nothing we use

        _native = native
    return _native


def native() -> ModuleType:
    """cbrrr's compiled codec, imported on first use: for the hot paths that call it directly
    and check what it returns themselves (MST nodes)."""
    return _native or _lib()


def _raw_cid(data: bytes) -> RawCid:
    return RawCid(data)


def decode_prefix(data: bytes | memoryview, *, json_form: bool = True) -> tuple[Any, int]:
    """The first DAG-CBOR value in ``data`` and how many bytes it took (for event-stream frames,
    a header followed by a body)."""
    try:
        return _lib().decode_dag_cbor(data, _raw_cid, json_form)
    except (ValueError, TypeError, EOFError, RecursionError) as exc:
        raise DagCborError(f"invalid DAG-CBOR: {exc}") from exc


def _whole(data: bytes | memoryview, json_form: bool) -> Any:
    value, used = decode_prefix(data, json_form=json_form)
    if used != len(data):
        raise DagCborError(f"invalid DAG-CBOR: {len(data) - used} bytes after the value")
    return value


def decode(data: bytes | memoryview) -> Any:
    """One DAG-CBOR value in the JSON form (``{"$link"}``, ``{"$bytes"}``)."""
    try:  # decode_prefix + _whole inlined: this runs for every record a firehose reads
        value, used = (_native or _lib()).decode_dag_cbor(data, _raw_cid, True)
    except (ValueError, TypeError, EOFError, RecursionError) as exc:
        raise DagCborError(f"invalid DAG-CBOR: {exc}") from exc
    if used != len(data):
        raise DagCborError(f"invalid DAG-CBOR: {len(data) - used} bytes after the value")
    return value


def decode_from(data: bytes, start: int) -> Any:
    """The one DAG-CBOR value (JSON form) that fills ``data[start:]`` (an event-stream frame's
    body, after its header)."""
    try:
        value, used = (_native or _lib()).decode_dag_cbor(memoryview(data)[start:], _raw_cid, True)
    except (ValueError, TypeError, EOFError, RecursionError) as exc:
        raise DagCborError(f"invalid DAG-CBOR: {exc}") from exc
    if used != len(data) - start:
        raise DagCborError(f"invalid DAG-CBOR: {len(data) - start - used} bytes after the value")
    return value


def decode_raw(data: bytes | memoryview) -> Any:
    """One DAG-CBOR value in the raw form (links as :class:`RawCid`, byte strings as bytes)."""
    return _whole(data, False)


def encode(value: Any) -> bytes:
    """The canonical DAG-CBOR of a JSON-form value (``{"$link"}`` / ``{"$bytes"}`` maps become
    links and byte strings; map keys sorted the DAG-CBOR way)."""
    try:
        return _lib().encode_dag_cbor(_plain(value), RawCid, True)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise DagCborError(f"cannot encode as DAG-CBOR: {exc}") from exc


def encode_raw(value: Any) -> bytes:
    """The canonical DAG-CBOR of a raw-form value (:class:`RawCid` for links, bytes as bytes)."""
    try:
        return _lib().encode_dag_cbor(value, RawCid, False)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise DagCborError(f"cannot encode as DAG-CBOR: {exc}") from exc


def _plain(value: Any) -> Any:
    # generated structs, CidLink and Bytes inside become their JSON form first, as atlex.encode
    # writes it: members a decoded record kept and unread `unknown` values included
    from atlex._wire import to_json

    return to_json(value)


def cid_for(block: bytes) -> bytes:
    """The binary CID of a DAG-CBOR block (CIDv1, dag-cbor, sha2-256)."""
    return CID_DAG_CBOR_PREFIX + hashlib.sha256(block).digest()


def cid_text(cid: bytes) -> str:
    """A binary CIDv1 as its usual text (base32, lower case, ``b`` prefix)."""
    return "b" + base64.b32encode(cid).decode("ascii").rstrip("=").lower()


def _b32_digits() -> bytes:
    # base32 (RFC 4648, lower case) letters -> the digits int(..., 32) reads; anything else -> "!",
    # which int() refuses (so no sign, space, underscore or non-alphabet letter gets through)
    table = bytearray(b"!" * 256)
    for letter, digit in zip(
        b"abcdefghijklmnopqrstuvwxyz234567", b"0123456789abcdefghijklmnopqrstuv", strict=True
    ):
        table[letter] = digit
    return bytes(table)


_B32_AS_INT_DIGITS = _b32_digits()
_BITS_OF_36_BYTES = (1 << 288) - 1


def cid_bytes(text: str) -> bytes:
    """The binary form of a base32 CIDv1 string (``bafy...``); raises :class:`DagCborError`.

    Decoded through ``int(..., 32)`` over a byte translation (the stdlib base32 decoder is pure
    Python and this is on the firehose's hot path: ~1 us a CID instead of ~14)."""
    try:  # the leading "b" reads as the digit 1: one bit group above the CID's bits
        value = int(text.encode("ascii").translate(_B32_AS_INT_DIGITS), 32)
    except (UnicodeEncodeError, ValueError):  # not ASCII / not base32
        value = 0
    # the usual CID (CIDv1, one-byte codec, sha2-256: 36 bytes, 58 letters after the "b"), in
    # line: 290 bits, the last 2 of them padding (0), and the "b" above them
    if value >> 290 == 1 and not value & 3 and len(text) == 59:
        return (value >> 2 & _BITS_OF_36_BYTES).to_bytes(36)
    size, spare = divmod(max(len(text) - 1, 0) * 5, 8)
    if not size or value >> (size * 8 + spare) != 1 or value & ((1 << spare) - 1):
        raise DagCborError(f"expected a canonical base32 CIDv1 (b...), got {text[:60]!r}")
    return (value >> spare).to_bytes(size + 1, "big")[1:]


def find_bytes_value(data: bytes, start: int, key: str, size: int) -> bytes | None:
    """The byte-string value of ``key`` in the DAG-CBOR map encoded at ``data[start:]`` (already
    decoded, so the value is known to hold ``size`` bytes), taken from ``data`` by a search
    instead of a decode. Lets a caller that decoded the map in the JSON form (a base64 string)
    get the raw bytes without a base64 round trip.

    Trusted only when the key's encoding occurs once where the real key can be: the real key is
    always there, so a single occurrence is it. The real one has ``size`` bytes after it, so it
    lies before ``len(data) - size``: after a first occurrence, only that stretch is searched
    (a few dozen bytes when the first is the real one). A second occurrence (a string value
    that happens to hold the key's bytes) gives None, and the caller decodes the base64.
    """
    tag = _key_head(key)
    at = data.find(tag, start)
    if at < 0 or data.find(tag, at + 1, len(data) - size - 1) >= 0:
        return None
    head = at + len(tag)
    first = data[head] if head < len(data) else 0
    if 0x40 <= first < 0x58:  # major type 2 (byte string), length in the first byte
        length, begin = first - 0x40, head + 1
    elif 0x58 <= first <= 0x5B:  # length in the next 1, 2, 4 or 8 bytes
        begin = head + 1 + (1 << (first - 0x58))
        length = int.from_bytes(data[head + 1 : begin], "big")
    else:
        return None
    if length != size or begin + size > len(data):
        return None
    return data[begin : begin + size]


@functools.lru_cache(maxsize=64)
def _key_head(key: str) -> bytes:
    name = key.encode()
    if len(name) >= 24:
        raise ValueError("keys of 24 bytes and more are not supported here")
    return bytes((0x60 + len(name),)) + name  # a short text string's head, then the key
