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
import hashlib
import re
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
    "decode_prefix",
    "decode_raw",
    "encode",
    "encode_raw",
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
    return _whole(data, True)


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


_B32_AS_INT_DIGITS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyz234567", "0123456789abcdefghijklmnopqrstuv"
)
_B32_BODY = re.compile(r"[a-z2-7]+")


def cid_bytes(text: str) -> bytes:
    """The binary form of a base32 CIDv1 string (``bafy...``); raises :class:`DagCborError`.

    Decoded through ``int(..., 32)`` (the stdlib base32 decoder is pure Python and this is on
    the firehose's hot path)."""
    body = text[1:]
    if not text.startswith("b") or _B32_BODY.fullmatch(body) is None:
        raise DagCborError(f"expected a base32 CIDv1 (b...), got {text[:60]!r}")
    bits = len(body) * 5
    size, spare = divmod(bits, 8)
    value = int(body.translate(_B32_AS_INT_DIGITS), 32)
    if value & ((1 << spare) - 1):
        raise DagCborError(f"not a canonical base32 CID: {text[:60]!r}")
    return (value >> spare).to_bytes(size, "big")
