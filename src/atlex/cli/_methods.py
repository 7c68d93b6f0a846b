"""Which XRPC methods ``atlex call`` knows, and what a mistyped NSID most likely meant.

Known methods are those of the bundled bindings (``atlex.lex``, read from its
``_lexicons.json``) and of lexicons installed here with ``atlex lexicons install`` (the lock
file ``lexicons.json`` in the current folder). Servers match method names case-insensitively,
so ``app.bsky.feed.gettimeline`` and the SDK's own spelling ``get_timeline`` are the known
``app.bsky.feed.getTimeline``; a name close to a known one in a known namespace is almost
always a typo. A method in a namespace atlex does not know is a third party's: it is let
through unchecked.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import msgspec

__all__ = ["Lookup", "installed_nsids", "known_methods", "look_up"]

_METHOD_TYPES = frozenset({"query", "procedure", "subscription"})
INSTALLED_LOCK = Path("lexicons.json")


class _Def(msgspec.Struct):
    type: str = ""


class _Doc(msgspec.Struct):
    id: str
    defs: dict[str, _Def] = msgspec.field(default_factory=lambda: {})


@dataclass(frozen=True)
class Lookup:
    nsid: str
    """What to call: the known spelling when the given one differs only in case or ``_``."""
    respelled: bool
    """The given spelling was mapped to a known method."""
    suggestions: tuple[str, ...]
    """Known methods close to an unknown NSID in a known namespace (likely a typo)."""


@cache
def known_methods(package: str = "atlex.lex") -> frozenset[str]:
    """The method NSIDs of a generated package (empty when it is not installed)."""
    spec = importlib.util.find_spec(package)
    for location in (spec.submodule_search_locations or []) if spec else []:
        bundle = Path(location) / "_lexicons.json"
        if bundle.is_file():
            docs = msgspec.json.decode(bundle.read_bytes(), type=list[_Doc])
            return frozenset(
                d.id for d in docs if "main" in d.defs and d.defs["main"].type in _METHOD_TYPES
            )
    return frozenset()


def installed_nsids(lock: Path = INSTALLED_LOCK) -> frozenset[str]:
    """The NSIDs locked by ``atlex lexicons install`` in this folder (none without a lock)."""
    try:
        data = json.loads(lock.read_text())
    except (OSError, ValueError):
        return frozenset()
    if not isinstance(data, dict):
        return frozenset()
    names: set[str] = set()
    for key in ("lexicons", "resolutions"):
        value = data.get(key)  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
        if isinstance(value, dict | list):
            names.update(str(n) for n in value)  # pyright: ignore[reportUnknownVariableType,reportUnknownArgumentType]
    return frozenset(names)


def _fold(nsid: str) -> str:
    return nsid.replace("_", "").replace("-", "").casefold()


def look_up(nsid: str, known: Iterable[str]) -> Lookup:
    """Map ``nsid`` onto the known methods: exact, respelled, or unknown with suggestions."""
    known = frozenset(known)
    if nsid in known:
        return Lookup(nsid, False, ())
    folded = _fold(nsid)
    if "." not in nsid:  # a bare name (get_timeline): point at the methods of that name
        by_name: dict[str, list[str]] = {}
        for k in known:
            by_name.setdefault(_fold(k).rpartition(".")[2], []).append(k)
        close = difflib.get_close_matches(folded, list(by_name), n=3, cutoff=0.75)
        return Lookup(nsid, False, tuple(sorted(k for c in close for k in by_name[c]))[:5])
    same = sorted(k for k in known if _fold(k) == folded)
    if len(same) == 1:
        return Lookup(same[0], True, ())
    group = folded.rpartition(".")[0]
    siblings = [k for k in known if _fold(k).rpartition(".")[0] == group]
    if not siblings:  # a namespace atlex does not know: a third party's method
        return Lookup(nsid, False, ())
    # compare the names only: the shared namespace would make every sibling look close
    by_fold = {_fold(k).rpartition(".")[2]: k for k in siblings}
    name = folded.rpartition(".")[2]
    close = difflib.get_close_matches(name, list(by_fold), n=3, cutoff=0.75)
    return Lookup(nsid, False, tuple(by_fold[c] for c in close))
