"""The lock file of ``atlex lexicons install``: ``@atproto/lex``'s ``lexicons.json``.

::

    {
      "version": 1,
      "lexicons": ["com.example.feed.post"],
      "resolutions": {
        "com.example.feed.post": {"uri": "at://did:plc:…/com.atproto.lexicon.schema/…", "cid": "bafyrei…"}
      }
    }

``lexicons`` lists the roots (installed by name); ``resolutions`` covers the roots and every
document they reach. Written normalised (sorted roots and keys, 2-space JSON, trailing newline),
so the same set always gives the same bytes. This is a different file from the pinned-sets
manifest ``lexicons/lexicons.json`` of ``atlex lexicons pull``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from atlex.syntax import check_format

__all__ = [
    "LockError",
    "LockFile",
    "Resolution",
    "document_path",
    "document_refs",
    "dump_lock",
    "load_lock",
]


class LockError(ValueError):
    """A lock file that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True, order=True)
class Resolution:
    uri: str
    cid: str


@dataclass
class LockFile:
    lexicons: list[str] = field(default_factory=lambda: [])
    resolutions: dict[str, Resolution] = field(default_factory=lambda: {})

    def normalised(self) -> LockFile:
        return LockFile(
            sorted(set(self.lexicons)), {k: self.resolutions[k] for k in sorted(self.resolutions)}
        )

    def to_json(self) -> dict[str, Any]:
        lock = self.normalised()
        return {
            "version": 1,
            "lexicons": lock.lexicons,
            "resolutions": {
                nsid: {"uri": r.uri, "cid": r.cid} for nsid, r in lock.resolutions.items()
            },
        }


def dump_lock(lock: LockFile) -> bytes:
    return (json.dumps(lock.to_json(), indent=2, ensure_ascii=False) + "\n").encode()


def load_lock(path: Path) -> LockFile | None:
    """The lock at ``path``; None when there is no file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        data: Any = json.loads(raw)
    except ValueError as exc:
        raise LockError(f"{path}: not JSON ({exc})") from None
    if isinstance(data, dict) and "sets" in data:
        raise LockError(
            f"{path} is the pinned-sets manifest of `atlex lexicons pull`, not an install lock; "
            "pass another --lock path"
        )
    if not isinstance(data, dict):
        raise LockError(f"{path}: expected a JSON object")
    top = cast("dict[str, Any]", data)
    if top.get("version") != 1:
        raise LockError(f"{path}: 'version' must be 1, got {top.get('version')!r}")
    roots = top.get("lexicons")
    resolutions = top.get("resolutions")
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in cast("list[Any]", roots)):
        raise LockError(f"{path}: 'lexicons' must be a list of NSIDs")
    if not isinstance(resolutions, dict):
        raise LockError(f"{path}: 'resolutions' must be an object")
    lock = LockFile(list(cast("list[str]", roots)), {})
    for nsid in lock.lexicons:
        _check(path, f"lexicons: {nsid!r}", "nsid", nsid)
    for nsid, entry in cast("dict[str, Any]", resolutions).items():
        _check(path, f"resolutions: key {nsid!r}", "nsid", nsid)
        if not isinstance(entry, dict):
            raise LockError(f"{path}: resolutions.{nsid} must be an object with uri and cid")
        item = cast("dict[str, Any]", entry)
        uri, cid = item.get("uri"), item.get("cid")
        _check(path, f"resolutions.{nsid}.uri", "at-uri", uri)
        _check(path, f"resolutions.{nsid}.cid", "cid", cid)
        lock.resolutions[nsid] = Resolution(cast("str", uri), cast("str", cid))
    return lock


def _check(path: Path, where: str, fmt: str, value: object) -> None:
    problem = check_format(fmt, value) if isinstance(value, str) else "missing or not a string"
    if problem is not None:
        raise LockError(f"{path}: {where}: {problem}")


def document_path(lexicons_dir: Path, nsid: str) -> Path:
    """``<lexicons>/com/example/feed/post.json``."""
    *folders, name = nsid.split(".")
    return lexicons_dir.joinpath(*folders, f"{name}.json")


def document_refs(document: Mapping[str, Any]) -> set[str]:
    """Every other NSID a document refers to (refs, union members, tokens in knownValues,
    permission lxm / collection lists, in params, inputs, outputs and messages)."""
    found: set[str] = set()
    defs: Any = document.get("defs")
    if isinstance(defs, dict):
        for definition in cast("dict[str, Any]", defs).values():
            for ref in _refs(definition):
                nsid = ref.split("#", 1)[0]
                if nsid and check_format("nsid", nsid) is None:
                    found.add(nsid)
    own = document.get("id")
    found.discard(own if isinstance(own, str) else "")
    return found


def _refs(schema: Any) -> Iterator[str]:
    if not isinstance(schema, dict):
        return
    node = cast("dict[str, Any]", schema)
    kind = node.get("type")
    if kind == "ref" and isinstance(node.get("ref"), str):
        yield node["ref"]
    elif kind == "union":
        yield from (r for r in _list(node.get("refs")) if isinstance(r, str))
    elif kind == "string":
        for value in _list(node.get("knownValues")):
            if isinstance(value, str) and value.count("#") == 1 and not value.endswith("#"):
                yield value  # a token, nsid#name
    elif kind == "array":
        yield from _refs(node.get("items"))
    elif kind in ("object", "params"):
        properties: Any = node.get("properties")
        if isinstance(properties, dict):
            for prop in cast("dict[str, Any]", properties).values():
                yield from _refs(prop)
    elif kind == "record":
        yield from _refs(node.get("record"))
    elif kind in ("query", "procedure", "subscription"):
        yield from _refs(node.get("parameters"))
        for body in ("input", "output", "message"):
            payload = node.get(body)
            if isinstance(payload, dict):
                yield from _refs(cast("dict[str, Any]", payload).get("schema"))
    elif kind == "permission-set":
        for permission in _list(node.get("permissions")):
            yield from _refs(permission)
    elif kind == "permission":
        key = {"rpc": "lxm", "repo": "collection"}.get(str(node.get("resource")))
        if key is not None:
            yield from (v for v in _list(node.get(key)) if isinstance(v, str))


def _list(value: Any) -> list[Any]:
    return cast("list[Any]", value) if isinstance(value, list) else []
