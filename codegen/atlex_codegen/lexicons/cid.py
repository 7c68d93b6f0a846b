"""The CID of a lexicon document (or any record in its JSON form), computed locally.

A record's CID is the CIDv1 (dag-cbor codec, sha2-256) of its DAG-CBOR encoding. The lock file
of ``atlex lexicons install`` stores that CID for every document, like ``@atproto/lex``'s
``cidForLex``: a document already on disk gets the same CID without asking the network, and a
PDS answer whose claimed CID differs from its content is caught.

Only the atproto data model is encoded: null, booleans, 64-bit integers, strings, lists, string
keyed maps, ``{"$link": cid}`` and ``{"$bytes": base64}``. Floats are not part of it.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Mapping, Sequence
from typing import Any, cast

from atlex.syntax import CidError, ParsedCid, parse_cid

__all__ = ["DagCborError", "cid_for_data", "dag_cbor"]

_CODEC_DAG_CBOR = 0x71
_SHA2_256 = 0x12
_TAG_CID = 42


class DagCborError(ValueError):
    """A value outside the atproto data model; the message names where it is (JSON path)."""


def cid_for_data(value: Any) -> str:
    """The CIDv1 string (``bafyrei…``) of ``value`` encoded as DAG-CBOR."""
    digest = hashlib.sha256(dag_cbor(value)).digest()
    return str(ParsedCid(1, _CODEC_DAG_CBOR, _SHA2_256, digest))


def dag_cbor(value: Any) -> bytes:
    """The canonical DAG-CBOR bytes of a JSON-shaped data-model value."""
    out = bytearray()
    _encode(value, out, "$")
    return bytes(out)


def _head(major: int, n: int, out: bytearray) -> None:
    if n < 24:
        out.append(major << 5 | n)
    elif n < 0x100:
        out += bytes((major << 5 | 24, n))
    elif n < 0x10000:
        out.append(major << 5 | 25)
        out += struct.pack(">H", n)
    elif n < 0x100000000:
        out.append(major << 5 | 26)
        out += struct.pack(">I", n)
    else:
        out.append(major << 5 | 27)
        out += struct.pack(">Q", n)


def _encode(value: Any, out: bytearray, path: str) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, int):
        if not -(2**63) <= value < 2**64:
            raise DagCborError(f"{path}: integer {value} is outside 64 bits")
        if value >= 0:
            _head(0, value, out)
        else:
            _head(1, -1 - value, out)
    elif isinstance(value, str):
        data = value.encode("utf-8")
        _head(3, len(data), out)
        out += data
    elif isinstance(value, Mapping):
        _encode_map(cast("Mapping[Any, Any]", value), out, path)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items = cast("Sequence[Any]", value)
        _head(4, len(items), out)
        for i, item in enumerate(items):
            _encode(item, out, f"{path}[{i}]")
    elif isinstance(value, float):
        raise DagCborError(f"{path}: floats are not part of the atproto data model ({value!r})")
    else:
        raise DagCborError(f"{path}: cannot encode a {type(value).__name__}")


def _encode_map(value: Mapping[Any, Any], out: bytearray, path: str) -> None:
    if len(value) == 1 and "$link" in value:
        link = value["$link"]
        try:
            cid = parse_cid(link) if isinstance(link, str) else None
        except CidError as exc:
            raise DagCborError(f"{path}.$link: {exc}") from None
        if cid is None:
            raise DagCborError(f"{path}.$link: expected a CID string")
        data = b"\x00" + cid.to_bytes()  # the multibase identity prefix DAG-CBOR requires
        _head(6, _TAG_CID, out)
        _head(2, len(data), out)
        out += data
        return
    if len(value) == 1 and "$bytes" in value:
        text = value["$bytes"]
        if not isinstance(text, str):
            raise DagCborError(f"{path}.$bytes: expected a base64 string")
        try:
            data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except ValueError:
            raise DagCborError(f"{path}.$bytes: not base64") from None
        _head(2, len(data), out)
        out += data
        return
    keys: list[tuple[bytes, str]] = []
    for key in value:
        if not isinstance(key, str):
            raise DagCborError(f"{path}: map keys must be strings, got {type(key).__name__}")
        keys.append((key.encode("utf-8"), key))
    keys.sort(key=lambda k: (len(k[0]), k[0]))  # DAG-CBOR: shorter keys first, then bytewise
    _head(5, len(keys), out)
    for raw, key in keys:
        _head(3, len(raw), out)
        out += raw
        _encode(value[key], out, f"{path}.{key}")
