"""Fuzzing the data path (issue 15): mutated JSON of upstream records and method answers into
``atlex.decode`` + ``validate()`` (strict and lenient) and ``atlex.convert``. Whatever the input,
the only failures are ``LexError``s (``LexValidationError`` with a path), and nothing hangs.
Bounded (a few hundred examples) so that the suite stays fast."""

from __future__ import annotations

import contextlib
import json
from typing import Any, cast

import msgspec
import pytest
from _samples import Sampler, output_types, record_types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import atlex
from atlex._model import LexObject
from atlex.errors import LexError

TYPES: list[type[Any]] = record_types() + output_types()[::8]
SEEDS: list[tuple[type[Any], Any]] = [
    (c, Sampler(unknown=True, max_depth=4).record(c)) for c in TYPES
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["", "\ud800", "app.bsky.embed.images#main", "a#b#c", "blob", "$type"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


def _mutate(doc: Any, path: tuple[Any, ...], action: str, new: Any) -> Any:
    if not path:
        return new
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[f"x{len(parent)}"] = new
    else:
        parent[last] = new
    return doc


@st.composite
def mutated(draw: st.DrawFn) -> tuple[type[Any], str]:
    cls, seed = draw(st.sampled_from(SEEDS))
    doc = json.loads(json.dumps(seed))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        doc = _mutate(doc, path, action, draw(json_values))
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):  # byte-level damage too
        cut = draw(st.integers(0, len(text)))
        text = (
            text[:cut] + draw(st.sampled_from(["", "}", "\\ud800", '"', "[", "\\u00"])) + text[cut:]
        )
    return cls, text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_json_fails_only_with_lex_errors(case: tuple[type[Any], str]) -> None:
    cls, text = case
    try:
        value = atlex.decode(text.encode("utf-8", "surrogatepass"), cls)
    except LexError as exc:
        assert getattr(exc, "path", None), exc
        return
    for strict in (True, False):
        try:
            value.validate(strict=strict)
        except LexError as exc:
            assert getattr(exc, "path", None), exc
    unread = atlex.encode(value)
    try:
        _read_unknown_values(value)  # each typed lazily, or kept as data
    except LexError as exc:  # msgspec skips a Raw slice without checking its UTF-8
        assert isinstance(exc, atlex.MalformedJsonError), exc
        return
    assert json.loads(atlex.encode(value)) == json.loads(unread)
    with contextlib.suppress(LexError):
        value.validate(strict=False)


def _read_unknown_values(value: Any) -> None:
    if isinstance(value, list):
        for item in cast(list[Any], value):
            _read_unknown_values(item)
    elif isinstance(value, LexObject):
        for info in msgspec.structs.fields(value):
            if not info.name.startswith("_lex"):
                _read_unknown_values(getattr(value, info.name))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_builtins_convert_only_with_lex_errors(case: tuple[type[Any], str]) -> None:
    cls, text = case
    try:
        obj = json.loads(text)
    except ValueError:
        return
    try:
        value = atlex.convert(obj, cls)
    except LexError as exc:
        assert getattr(exc, "path", None), exc
        return
    try:
        value.validate()
    except LexError as exc:
        assert getattr(exc, "path", None), exc


def test_the_seeds_themselves_decode() -> None:
    for cls, seed in SEEDS:
        assert isinstance(atlex.decode(json.dumps(seed), cls), cls)


@pytest.mark.parametrize("depth", [2000])
def test_deep_nesting_is_a_lex_error_not_a_crash(depth: int) -> None:
    cls = record_types()[0]
    text = '{"a":' * depth + "1" + "}" * depth
    with contextlib.suppress(LexError):
        atlex.decode(text, cls)
