"""Sample JSON for generated types, built from their annotations: every field filled (down to a
depth), union positions with ``$type``, plain refs alternately with and without it, and
(optionally) members the lexicon does not define on every object at every depth."""

from __future__ import annotations

import importlib
import pkgutil
import types
from typing import Any, Literal, Union, get_args, get_origin

import msgspec
from msgspec import UnsetType

import atlex.lex
from atlex._datatypes import SINGLE, Blob, Bytes, CidLink
from atlex._model import KEPT_FIELD, LexObject
from atlex.lex.app.bsky.feed import like

CID = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
BLOB_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def generated_classes() -> list[type[LexObject]]:
    """Every generated class of the upstream bindings (imports all their modules)."""
    found: list[type[LexObject]] = []
    for info in pkgutil.walk_packages(atlex.lex.__path__, "atlex.lex."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, LexObject)
                and value.__module__ == info.name
            ):
                found.append(value)
    return found


def record_types() -> list[type[LexObject]]:
    return [c for c in generated_classes() if isinstance(getattr(c, "LEX_KEY", None), str)]


def output_types() -> list[type[LexObject]]:
    return [c for c in generated_classes() if c.__name__ == "Output" and c.LEX_TYPE is None]


class Sampler:
    def __init__(self, *, unknown: bool, max_depth: int = 5) -> None:
        self.unknown = unknown
        self.max_depth = max_depth
        self.counter = 0

    def object(self, cls: type[Any], depth: int, *, union: bool) -> dict[str, Any]:
        self.counter += 1
        out: dict[str, Any] = {}
        tag = cls.__struct_config__.tag
        # union members and records always carry $type; plain refs every other time
        if isinstance(tag, str) and (union or self.counter % 2 == 0):
            out["$type"] = tag
        for info in msgspec.structs.fields(cls):
            if info.name == KEPT_FIELD:
                continue
            if not info.required and depth >= self.max_depth:
                continue
            single = (cls, info.name) in SINGLE
            out[info.encode_name] = self.value(info.type, depth + 1, single=single)
        if self.unknown:
            out[f"zzFuture{depth}"] = {"deep": [depth, "x", {"n": None}]}
        return out

    def value(self, tp: Any, depth: int, *, single: bool = False) -> Any:
        origin = get_origin(tp)
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not UnsetType and a is not type(None)]
            structs = [a for a in args if isinstance(a, type) and issubclass(a, LexObject)]
            if len(structs) >= 2 or (structs and single):
                return self.object(structs[self.counter % len(structs)], depth, union=True)
            return self.value(args[0], depth, single=single) if args else None
        if origin is list:
            (item,) = get_args(tp)
            return [self.value(item, depth, single=single)]
        if origin is Literal:
            return get_args(tp)[0]
        if tp is msgspec.Raw and self.counter % 2 and depth < self.max_depth:
            # an `unknown` field (decoded lazily): a record of a known type, every other time
            return self.object(like.Record, depth, union=True)
        if origin is dict or tp is dict or tp is Any or tp is msgspec.Raw:
            return {"$type": "com.example.future#thing", "n": depth}
        if tp is str:
            return "s"
        if tp is bool:
            return True
        if tp is int:
            return 1
        if tp is Blob:
            return {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "image/png", "size": 1}
        if tp is Bytes:
            return {"$bytes": "AQID"}
        if tp is CidLink:
            return {"$link": CID}
        if isinstance(tp, type) and issubclass(tp, LexObject):
            return self.object(tp, depth, union=single)
        raise AssertionError(f"no sample for {tp!r}")

    def record(self, cls: type[Any]) -> dict[str, Any]:
        return self.object(cls, 0, union=True)
