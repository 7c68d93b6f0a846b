"""``KEY=VALUE`` arguments of ``atlex call``, typed by the lexicon when atlex knows the method.

For an NSID in the bundled bindings (``atlex.lex``) the generated ``Params`` struct decides:
``limit=5`` becomes the integer 5, ``reverse=true`` a boolean, a repeated key or a list field a
list; unknown names and values the lexicon forbids (``limit=1000``) are refused before anything
is sent. For other NSIDs every value stays a string (repeated keys become lists): on the wire
query parameters are strings anyway.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast

import msgspec
import msgspec.inspect as mi

from atlex._method import Method
from atlex._model import LexObject
from atlex.errors import LexValidationError

__all__ = [
    "CallParams",
    "ParamsError",
    "bundled_method",
    "namespace_modules",
    "parse_params",
]

BUNDLED_PACKAGE = "atlex.lex"


class ParamsError(ValueError):
    """A ``KEY=VALUE`` argument that does not fit; the message names it and says what fits."""


@dataclass(frozen=True)
class CallParams:
    params: dict[str, Any]
    """Wire-named parameters, typed."""
    method: Method | None
    """The bundled method descriptor, when atlex knows the NSID."""


def bundled_method(nsid: str, package: str = BUNDLED_PACKAGE) -> Method | None:
    """The generated ``Method`` of ``nsid`` in ``package``, or None when it is not there."""
    for module in namespace_modules(f"{package}._ns", nsid.split(".")[:-1]):
        for value in vars(module).values():
            if isinstance(value, Method) and value.nsid == nsid:
                return value
    return None


def _folded(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def namespace_modules(base: str, segments: list[str]) -> Iterator[ModuleType]:
    """The generated namespace modules that may hold the methods under ``segments``.

    Module names follow the NSID segments (snake case, a ``_`` added where a keyword or a
    collision needs it); the folder listing is matched loosely and the NSID in each ``Method``
    decides, so the command line needs none of the generator's naming rules.
    """
    try:
        module = importlib.import_module(base)
    except ImportError:
        return
    if not segments:
        yield module
        return
    wanted = _folded(segments[0])
    for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
        if _folded(info.name).rstrip("0123456789") == wanted or _folded(info.name) == wanted:
            yield from namespace_modules(f"{base}.{info.name}", segments[1:])


def _split(arguments: Sequence[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for argument in arguments:
        key, sep, value = argument.partition("=")
        if not sep or not key:
            raise ParamsError(
                f"{argument!r} is not KEY=VALUE (parameters look like limit=10 or actor=alice.test)"
            )
        pairs.append((key, value))
    return pairs


def parse_params(nsid: str, arguments: Sequence[str], package: str = BUNDLED_PACKAGE) -> CallParams:
    pairs = _split(arguments)
    method = bundled_method(nsid, package)
    if method is None:
        return CallParams(_group(pairs, lambda _key: False), None)
    if not method.params:
        if pairs:
            raise ParamsError(f"{nsid} takes no parameters (got {', '.join(k for k, _ in pairs)})")
        return CallParams({}, method)
    params_type = cast(type[msgspec.Struct], importlib.import_module(method.module).Params)
    info = cast(mi.StructType, mi.type_info(params_type))
    # private runtime fields (the lossless `_lex_kept`) are not parameters
    fields = {f.encode_name: f for f in info.fields if not f.name.startswith("_")}
    for key, _value in pairs:
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ParamsError(f"{nsid} has no parameter {key!r}; its parameters: {known}")
    given = _group(pairs, lambda key: _is_list(fields[key].type))
    try:
        parsed = msgspec.convert(given, params_type, strict=False)
    except msgspec.ValidationError as exc:
        raise ParamsError(f"{nsid}: {_where(str(exc), given)}") from None
    if isinstance(parsed, LexObject):  # generated Params are: check lengths, ranges, formats
        try:
            parsed.validate()
        except LexValidationError as exc:
            raise ParamsError(f"{nsid}: {exc.message}") from None
    typed = cast("dict[str, Any]", msgspec.to_builtins(parsed))
    return CallParams({key: typed[key] for key in given if key in typed}, method)


def _group(pairs: list[tuple[str, str]], is_list: Callable[[str], bool]) -> dict[str, Any]:
    grouped: dict[str, Any] = {}
    for key, value in pairs:
        if key in grouped:
            previous = grouped[key]
            grouped[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            grouped[key] = [value] if is_list(key) else value
    return grouped


def _is_list(kind: mi.Type) -> bool:
    if isinstance(kind, mi.ListType | mi.SetType | mi.VarTupleType):
        return True
    if isinstance(kind, mi.UnionType):
        return any(_is_list(t) for t in kind.types)
    return False


def _where(message: str, given: dict[str, Any]) -> str:
    """msgspec's ``Expected `int`, got `str` - at `$.limit``` ->
    ``parameter 'limit': expected int, got str ('abc')``."""
    reason, _, where = message.rpartition(" - at ")
    if not reason:
        return message
    name = where.strip("`").removeprefix("$.").removeprefix("$")
    value = given.get(name.split("[", 1)[0])
    shown = f" ({value!r})" if value is not None else ""
    return f"parameter {name!r}: {reason[:1].lower()}{reason[1:]}{shown}".replace("`", "")
