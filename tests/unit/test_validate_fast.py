"""The fast pass of ``validate()`` (atlex._validate_fast) may only say "valid" when the exact,
path-naming pass agrees: its format regexes accept only valid strings, its data-model check of
``unknown`` objects only what ``check_data_model`` accepts, and on mutated objects of every
upstream record type (and a sample of answers) it never passes what the exact pass rejects.
It must also prove ordinary valid data valid, or ``validate()`` silently pays both passes."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import msgspec
import pytest
from _samples import Sampler, output_types, record_types
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import atlex
from atlex import _validate
from atlex._datatypes import RULES
from atlex._validate_fast import fast_check
from atlex._validate_sure import FAST_FORMATS, FAST_PATTERNS, object_ok
from atlex._validate_values import check_object_value
from atlex.errors import LexValidationError
from atlex.syntax import FORMATS

CID = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
VALID = {
    "at-identifier": "alice.example.com",
    "at-uri": "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k2akjqd4dg2d",
    "cid": CID,
    "datetime": "2024-05-06T07:08:09.123Z",
    "did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
    "handle": "alice.example.com",
    "language": "en",
    "nsid": "app.bsky.feed.post",
    "record-key": "self",
    "tid": "3k2akjqd4dg2d",
    "uri": "https://example.com/a?b=c#d",
}
NEAR_MISSES = [
    "2024-02-30T00:00:00Z",
    "2023-02-29T00:00:00.000Z",
    "2024-01-01T00:00:00",
    "2024-01-01T00:00:60Z",
    "2024-01-01T00:00:00-00:00",
    CID[:-1] + "n",  # non-zero padding bits
    "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hp",
    "did:plc:ewvi7nxzyoun6zhxrhs64oi1",
    "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/.",
    "at://alice.example.com/app.bsky.feed.post/a/b",
    "alice.example.123",
    "a" * 300,
    "\ud800",
    "",
]


@pytest.mark.parametrize("fmt", sorted(FAST_FORMATS))
def test_each_fast_format_test_accepts_only_valid_strings(fmt: str) -> None:
    fast = FAST_FORMATS[fmt]
    assert fast(VALID[fmt]), "the fast test misses the plain case"

    @settings(max_examples=150, deadline=None)
    @given(st.from_regex(FAST_PATTERNS[fmt], fullmatch=True))
    def accepted_means_valid(text: str) -> None:
        assert fast(text)
        assert FORMATS[fmt](text), text

    accepted_means_valid()
    for text in NEAR_MISSES:
        assert not fast(text) or FORMATS[fmt](text), text


# Every value drawn is a fresh object: the mutation test below writes into what it inserted,
# and `sampled_from` hands out the same object each time, so a sampled dict would carry one
# example's mutations (even a cycle through itself) into the next ones.
special_maps = st.one_of(
    st.fixed_dictionaries({"$link": st.sampled_from([CID, CID[:-1] + "n", "x", 1])}),
    st.fixed_dictionaries(
        {
            "$type": st.sampled_from(["blob", "", 1, "app.bsky.feed.post"]),
            "ref": st.sampled_from([{"$link": CID}, {"$link": CID, "x": 1}, CID, {}]).map(
                copy.deepcopy
            ),
            "mimeType": st.sampled_from(["image/png", "", 5]),
            "size": st.sampled_from([0, 10, -1, True, 2.0, 2**64]),
        }
    ),
    st.fixed_dictionaries({"$bytes": st.sampled_from(["AQID", "!"])}),
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**65), max_value=2**65),
        st.floats(allow_nan=True),
        st.text(max_size=4),
        special_maps,
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "$type", "__proto__", "b"]), inner, max_size=3)
        | st.dictionaries(st.integers(0, 2), inner, max_size=2)
    ),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "$type", "$link", "c"]), json_values))
def test_the_unknown_object_check_accepts_only_data_model_objects(value: dict[Any, Any]) -> None:
    if object_ok(value):
        check_object_value(value, "$")


def _repair(value: Any) -> Any:
    """Sample values with a valid example of each string format (the sampler writes "s")."""
    if isinstance(value, msgspec.Struct):
        rules = RULES.get(type(value), {})
        for info in msgspec.structs.fields(value):
            item = getattr(value, info.name)
            fmt = (rules.get(info.name) or {}).get("format")
            items = ((rules.get(info.name) or {}).get("items") or {}).get("format")
            if fmt and isinstance(item, str):
                setattr(value, info.name, VALID[fmt])
            elif items and isinstance(item, list):
                setattr(value, info.name, [VALID[items] for _ in item])
            else:
                _repair(item)
    elif isinstance(value, list):
        for item in value:
            _repair(item)
    return value


TYPES: list[type[Any]] = record_types() + output_types()[::4]
SEEDS: list[tuple[type[Any], str]] = [
    (c, json.dumps(Sampler(unknown=False, max_depth=4).record(c))) for c in TYPES
]


def _seed(cls: type[Any], text: str) -> Any:
    return _repair(atlex.decode(text, cls))


def _exact_ok(value: Any) -> bool:
    try:
        _validate._object_check(type(value))(value, "$", True)  # the exact pass alone
    except LexValidationError:
        return False
    return True


def _fast_ok(value: Any) -> bool:
    try:
        fast_check(type(value), _validate.compile_field)(value)
    except Exception:
        return False
    return True


def test_the_fast_pass_proves_most_valid_samples_valid() -> None:
    valid = [v for v in (_seed(c, t) for c, t in SEEDS) if _exact_ok(v)]
    proved = [v for v in valid if _fast_ok(v)]
    assert len(valid) > len(SEEDS) // 2
    # what it may leave to the exact pass: blobs and such sent to the slow checks still pass
    assert len(proved) == len(valid), [type(v).__name__ for v in valid if not _fast_ok(v)][:10]


def _positions(value: Any) -> list[tuple[Any, Any]]:
    found: list[tuple[Any, Any]] = []
    if isinstance(value, msgspec.Struct) and not value.__struct_config__.frozen:
        for info in msgspec.structs.fields(value):
            if not info.name.startswith("_lex"):
                found.append((value, info.name))
                found += _positions(getattr(value, info.name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.append((value, i))
            found += _positions(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            found.append((value, key))
            found += _positions(item)
    return found


replacements = st.one_of(
    json_values,
    st.sampled_from([*NEAR_MISSES, *VALID.values(), msgspec.UNSET, (), "x" * 3001]),
    st.sampled_from(range(len(SEEDS))).map(
        lambda i: _seed(*SEEDS[i])
    ),  # a generated object, maybe the wrong one
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
@given(st.sampled_from(range(len(SEEDS))), st.data())
def test_the_fast_pass_never_accepts_what_the_exact_pass_rejects(
    seed: int, data: st.DataObject
) -> None:
    value = _seed(*SEEDS[seed])
    for _ in range(data.draw(st.integers(1, 2))):
        positions = _positions(value)
        assume(positions)
        holder, key = data.draw(st.sampled_from(positions))
        new = data.draw(replacements)
        if isinstance(holder, msgspec.Struct):
            setattr(holder, key, new)
        else:
            holder[key] = new
    fast_ok = _fast_ok(value)
    event(f"fast pass {'proves' if fast_ok else 'defers'}")
    if fast_ok:
        assert _exact_ok(value), repr(value)[:2000]


def test_no_lexicon_text_ever_becomes_code() -> None:
    """Rule values are written into the generated source only as exact ints; anything else
    (a hostile lexicon's text) and odd field names (a keyword: msgspec allows only
    identifiers) leave the field or class to the exact pass."""
    import sys

    from atlex._datatypes import register_rules
    from atlex._model import LexObject

    payload = '0 or __import__("sys").modules.setdefault("atlex_pwned", 1)'

    class Hostile(LexObject, kw_only=True):
        n: int
        s: str
        items: list[str]

    register_rules(
        Hostile,
        {
            "n": {"minimum": payload},
            "s": {"max_bytes": payload, "format": payload},
            "items": {"max_items": payload, "items": {"max_graphemes": payload}},
        },
    )
    odd = msgspec.defstruct("Odd", [("class", int)], bases=(LexObject,), kw_only=True)
    for value in (Hostile(n=1, s="x", items=["a"]), odd(**{"class": 1})):
        with pytest.raises(Exception):  # noqa: B017 - whatever the exact pass makes of it
            fast_check(type(value), _validate.compile_field)(value)
        with contextlib.suppress(Exception):
            value.validate()
    assert "atlex_pwned" not in sys.modules
