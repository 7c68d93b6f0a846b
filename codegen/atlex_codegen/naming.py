"""Python names for lexicon names: snake/Pascal case, escaping, collision-free allocation.

Every identifier the generator emits passes through here, so nothing from a lexicon reaches
generated code except as a sanitised identifier (or as a repr'd string literal).
"""

from __future__ import annotations

import keyword
import re
from functools import cache

import msgspec

__all__ = [
    "CLIENT_ATTRIBUTES",
    "Namer",
    "camel_of",
    "class_name",
    "constant_name",
    "field_name",
    "module_segment",
    "package_name_problem",
]

_NOT_IDENT = re.compile(r"[^0-9A-Za-z_]")
_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")


@cache  # the same few thousand names recur across documents
def snake(name: str) -> str:
    s = _CAMEL_1.sub(r"\1_\2", name)
    s = _CAMEL_2.sub(r"\1_\2", s)
    return s.lower()


def _identifier(name: str) -> str:
    s = _NOT_IDENT.sub("_", name)
    return s or "_"


def package_name_problem(package: str) -> str | None:
    """Why ``package`` cannot be the dotted import name of a generated package (None: it can)."""
    for part in package.split("."):
        if not part.isidentifier():
            return f"{package!r} is not a dotted Python name ({part!r} is not an identifier)"
        if keyword.iskeyword(part):
            return (
                f"{package!r} cannot be imported: {part!r} is a Python keyword (try {part + '_'!r})"
            )
        if part.startswith("__") and part.endswith("__"):
            return f"{package!r}: {part!r} is a reserved (dunder) name"
    return None


def module_segment(segment: str) -> str:
    """``getTimeline`` -> ``get_timeline``; ``8`` -> ``_8``; ``import`` -> ``import_``."""
    s = _identifier(snake(segment.replace("-", "_")))
    if s[0].isdigit():
        s = "_" + s
    if keyword.iskeyword(s) or s in ("__init__", "__main__"):
        s += "_"
    return s


def field_name(wire: str) -> str:
    """A struct attribute / keyword argument: lower snake case, never private or a keyword."""
    s = _identifier(snake(wire))
    if s[0].isdigit() or s[0] == "_":
        s = "f_" + s.lstrip("_")
    if keyword.iskeyword(s):
        s += "_"
    return s


def class_name(name: str) -> str:
    """PascalCase class name: always starts with an upper-case letter."""
    s = _identifier(name)
    s = s[:1].upper() + s[1:]
    if not s[0].isalpha():
        s = "Def" + s
    if keyword.iskeyword(s):
        s += "_"
    return s


def constant_name(name: str) -> str:
    s = _identifier(snake(name)).upper()
    if not s[0].isalpha():
        s = "K" + s
    return s


@cache
def camel_of(attr: str) -> str:
    """The wire name msgspec's ``rename="camel"`` gives an attribute (asked of msgspec itself)."""
    cls = msgspec.defstruct("_Probe", [(attr, int)], rename="camel")
    return msgspec.structs.fields(cls)[0].encode_name


class Namer:
    """Hands out unique names in one namespace, in request order (deterministic)."""

    def __init__(self, reserved: tuple[str, ...] | frozenset[str] = ()) -> None:
        self._taken: set[str] = set(reserved)
        self._folded: set[str] = {r.lower() for r in reserved}

    def take(self, preferred: str, *, fold_case: bool = False) -> str:
        """``preferred``, or ``preferred_``, ``preferred__`` ... if already taken.

        With ``fold_case`` names differing only by case also collide (module files on
        case-insensitive file systems).
        """
        name = preferred
        while name in self._taken or (fold_case and name.lower() in self._folded):
            name += "_"
        self._taken.add(name)
        self._folded.add(name.lower())
        return name

    def __contains__(self, name: str) -> bool:
        return name in self._taken


# Public attributes of the runtime's Client / AsyncClient: a root namespace (``client.app``) must
# not hide one. Written here so that generating needs no runtime import;
# tests/codegen/test_reserved_names.py fails when the clients gain a name missing from this list.
CLIENT_ATTRIBUTES = frozenset(
    {
        "aclose",
        "add_labelers",
        "agent",
        "app_labelers",
        "apply_writes",
        "assert_did",
        "call",
        "clear_labelers",
        "close",
        "configure",
        "create",
        "delete",
        "did",
        "get",
        "headers",
        "labelers",
        "list",
        "list_all",
        "proxy",
        "put",
        "set_labelers",
        "stream",
        "upload_blob",
        "validate_request",
        "validate_response",
        # the everyday actions (atlex._actions_async)
        "block",
        "delete_post",
        "follow",
        "like",
        "post",
        "repost",
        "unblock",
        "unfollow",
        "unlike",
        "unrepost",
    }
)
