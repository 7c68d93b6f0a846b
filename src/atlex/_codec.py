"""Public data codec: ``atlex.decode``, ``atlex.convert`` and ``atlex.encode``.

Decoding follows the AT Protocol's forward-compatibility rules (lexicon-mapping §1.7, §2.6):
unknown fields are ignored, unknown ``$type``s in open unions come back as plain dicts, unknown
``knownValues`` strings are kept, while closed unions, ``enum``s, missing required fields and
wrong types fail.

Errors: a value that does not fit the type raises :class:`atlex.SchemaMismatchError`, a subclass
of ``msgspec.ValidationError`` (so ``except msgspec.ValidationError`` keeps working) whose
message ends with the full JSON path, e.g. ``Object missing required field `uri` - at
`$.feed[3].post```. Input that is not JSON at all raises ``msgspec.DecodeError``.
"""

from __future__ import annotations

from typing import Any, TypeVar, overload

import msgspec

from atlex._tolerant import SchemaMismatchError, convert_tolerant, decoder_for

__all__ = ["SchemaMismatchError", "convert", "decode", "encode"]

T = TypeVar("T")

_ENCODER = msgspec.json.Encoder()


@overload
def decode(data: bytes | str, type: type[T]) -> T: ...
@overload
def decode(data: bytes | str, type: Any) -> Any: ...
def decode(data: bytes | str, type: Any) -> Any:
    """Decode JSON ``data`` into ``type`` (a generated struct, ``list[...]``, a union, ...).

    Uses one cached tolerant decoder per type, shared process-wide.
    """
    return decoder_for(type).decode(data)


@overload
def convert(obj: Any, type: type[T]) -> T: ...
@overload
def convert(obj: Any, type: Any) -> Any: ...
def convert(obj: Any, type: Any) -> Any:
    """Turn JSON-shaped builtins (dicts and lists from a file, a cache, a CBOR event stream
    with links as ``{"$link"}`` and bytes as ``{"$bytes"}``) into ``type``, with the same
    tolerant rules as :func:`decode`. An unknown open-union member is returned as the very dict
    that was passed in.
    """
    return convert_tolerant(obj, type)


def encode(value: Any) -> bytes:
    """JSON-encode generated structs, dicts and lists. ``UNSET`` fields are omitted, tagged
    structs write ``$type`` first, and unknown members kept as dicts re-encode as they came.
    """
    return _ENCODER.encode(value)
