"""Public data codec: ``atlex.decode``, ``atlex.convert`` and ``atlex.encode``.

Decoding follows the AT Protocol's forward-compatibility rules (lexicon-mapping §1.7, §2.6):
unknown fields are tolerated, unknown ``$type``s in open unions come back as plain dicts, unknown
``knownValues`` strings are kept, ``nsid#main`` names the same type as ``nsid``, while closed
unions, ``enum``s, missing required fields, wrong types and malformed ``$type``s fail.

Lossless: data decoded or converted here re-encodes with :func:`encode` to the same JSON (keys,
values, ``$type`` presence and spelling), members the local lexicons do not know included, at
any depth. The exception, for speed, is a method's answer or body (a generated ``Output``,
``Input`` or ``Params``, what the client decodes on every call): unknown members inside it are
not kept, and ``$type`` is written by position (see :mod:`atlex._wire`). Records in their
``unknown`` fields (``PostView.record`` ...) are kept whole: they decode lazily, see
:mod:`atlex._lazy`.

Errors are all :class:`atlex.LexValidationError` (a :class:`atlex.LexError`) with a ``path``:
a value that does not fit the type raises :class:`atlex.SchemaMismatchError` (also a
``msgspec.ValidationError``) whose message ends with the full JSON path, e.g. ``Object missing
required field `uri` - at `$.feed[3].post```; input that is not JSON at all raises
``MalformedJsonError`` (also a ``msgspec.DecodeError``).
"""

from __future__ import annotations

from typing import Any, TypeVar, overload

from atlex._model import LexObject
from atlex._tolerant import (
    MalformedJsonError,
    SchemaMismatchError,
    convert_tolerant,
    decoder_for,
    untyped,
)
from atlex._wire import encode_json, keep

__all__ = ["MalformedJsonError", "SchemaMismatchError", "convert", "decode", "encode"]

T = TypeVar("T")


def keeps_unknown(tp: Any, lossless: bool | None = None) -> bool:
    """Whether decoding into ``tp`` keeps what the class alone would not write back: always
    with ``lossless=True``; by default for everything but method bodies (``Output`` ...)."""
    if lossless is not None:
        return lossless
    return not (isinstance(tp, type) and issubclass(tp, LexObject) and tp.LEX_TYPE is None)


@overload
def decode(data: bytes | str, type: type[T], *, lossless: bool | None = None) -> T: ...
@overload
def decode(data: bytes | str, type: Any, *, lossless: bool | None = None) -> Any: ...
def decode(data: bytes | str, type: Any, *, lossless: bool | None = None) -> Any:
    """Decode JSON ``data`` into ``type`` (a generated struct, ``list[...]``, a union, ...).

    Uses one cached tolerant decoder per type, shared process-wide. ``lossless`` (default: yes,
    except for a method's ``Output``/``Input``/``Params``) keeps on every object what
    :func:`encode` needs to write the same JSON back; it costs an untyped decode and a walk.
    """
    value = decoder_for(type).decode(data)
    if keeps_unknown(type, lossless):
        keep(value, untyped(data))
    return value


@overload
def convert(obj: Any, type: type[T], *, lossless: bool | None = None) -> T: ...
@overload
def convert(obj: Any, type: Any, *, lossless: bool | None = None) -> Any: ...
def convert(obj: Any, type: Any, *, lossless: bool | None = None) -> Any:
    """Turn JSON-shaped builtins (dicts and lists from a file, a cache, a CBOR event stream
    with links as ``{"$link"}`` and bytes as ``{"$bytes"}``) into ``type``, with the same
    tolerant and lossless rules as :func:`decode`. An unknown open-union member is returned as
    the very dict that was passed in.
    """
    value = convert_tolerant(obj, type)
    if keeps_unknown(type, lossless):
        keep(value, obj)
    return value


def encode(value: Any) -> bytes:
    """JSON-encode generated structs, dicts and lists. ``UNSET`` fields are omitted; members a
    decoded object kept are written back; ``$type`` is written first on records and union
    members at union positions, omitted on objects reached through a plain ``ref``, and kept
    exactly as read on decoded objects. Unpaired surrogates in strings become ``\\uXXXX``.
    """
    return encode_json(value)
