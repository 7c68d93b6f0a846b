"""atlex.datamodel: string sizes as Lexicon counts them, and check_data_model."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from msgspec import UNSET

import atlex
from atlex import Blob, Bytes, CidLink, LexObject, check_data_model
from atlex.datamodel import check_string_size, grapheme_len, utf8_len

CID = "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity"

# One extended grapheme cluster each, all several code points (so segmentation must run).
CLUSTERS = [
    "e\u0301\u0323",  # e + combining acute + combining dot below
    "\U0001f469\u200d\U0001f4bb",  # woman technologist (ZWJ sequence)
    "\U0001f1eb\U0001f1f7",  # flag: two regional indicators
    "\u0915\u094d\u0937",  # Devanagari conjunct kssa (Unicode 15.1 rule)
    "\r\n",
    "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag
]


def text_of(graphemes: int) -> str:
    return "".join(itertools.islice(itertools.cycle(CLUSTERS), graphemes))


def test_each_cluster_is_one_grapheme() -> None:
    for cluster in CLUSTERS:
        assert grapheme_len(cluster) == 1, repr(cluster)
        assert len(cluster) > 1
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f467"
    assert (grapheme_len(family), utf8_len(family)) == (1, 25)
    assert grapheme_len("5\ufe0f") == 1
    assert grapheme_len("\u0928\u092e\u0938\u094d\u0924\u0947") == 3  # namaste
    assert grapheme_len("") == 0


def test_a_300_grapheme_post_of_over_1000_bytes_fits_and_301_does_not() -> None:
    text = text_of(300)
    assert grapheme_len(text) == 300
    assert utf8_len(text) >= 1000
    assert len(text) > 300  # the code-point shortcut cannot decide it
    # app.bsky.feed.post#text: maxLength 3000 bytes, maxGraphemes 300
    assert check_string_size(text, max_length=3000, max_graphemes=300) is None
    longer = text_of(301)
    assert grapheme_len(longer) == 301
    assert check_string_size(longer, max_length=3000, max_graphemes=300) == (
        "grapheme too big (maximum 300, got 301)"
    )


def test_utf8_len() -> None:
    assert utf8_len("hello") == 5
    assert utf8_len("h\u00e9llo") == 6
    assert utf8_len("\U0001f389\U0001f389") == 8
    assert utf8_len("a\ud800b") == 5  # a lone surrogate counts 3 bytes, like the reference


def test_string_size_messages_and_order() -> None:
    assert check_string_size("h\u00e9llo", max_length=5) == "string too big (maximum 5, got 6)"
    assert check_string_size("\u00e9\u00e9", min_length=4) is None  # 4 bytes, 2 code points
    assert check_string_size("\u00e9", min_length=3) == "string too small (minimum 3, got 2)"
    assert check_string_size("ab", min_graphemes=3) == "grapheme too small (minimum 3, got 2)"
    assert check_string_size("\r\n", min_graphemes=2) == "grapheme too small (minimum 2, got 1)"
    # minLength, maxLength, minGraphemes, maxGraphemes: the first failure is reported
    assert check_string_size("abc", min_length=4, max_graphemes=1) == (
        "string too small (minimum 4, got 3)"
    )
    assert check_string_size("abc", max_length=2, max_graphemes=1) == (
        "string too big (maximum 2, got 3)"
    )
    assert check_string_size("abc") is None


SAMPLES = [
    "",
    "a",
    "abc",
    "\r\n",
    "h\u00e9llo",
    "\U0001f389" * 3,
    text_of(7),
    "a\u0301" * 4,
    "\u00e9\u00e9",
    "x" * 12,
]


@pytest.mark.parametrize("value", SAMPLES)
def test_shortcuts_agree_with_counting(value: str) -> None:
    """The skip-the-count shortcuts give the answer a full count gives, for every limit."""
    size, count = len(value.encode("utf-8")), grapheme_len(value)
    for limit in range(16):
        assert (check_string_size(value, max_length=limit) is None) == (size <= limit)
        assert (check_string_size(value, min_length=limit) is None) == (size >= limit)
        assert (check_string_size(value, max_graphemes=limit) is None) == (count <= limit)
        assert (check_string_size(value, min_graphemes=limit) is None) == (count >= limit)


# --- check_data_model ----------------------------------------------------------------


def test_plain_json_values_are_valid() -> None:
    value: dict[str, Any] = {
        "s": "x",
        "i": -(2**63),
        "j": 2**63 - 1,
        "b": False,
        "n": None,
        "l": [1, [2, {}]],
    }
    assert check_data_model(value) == []
    assert check_data_model({"f": 2.0, "g": -0.0}) == []  # integral floats read as integers


@pytest.mark.parametrize(
    ("value", "path", "reason"),
    [
        ({"a": 1.5}, "$.a", "floats are not allowed in the data model (got 1.5)"),
        ({"a": [0, math.nan]}, "$.a[1]", "floats are not allowed in the data model (got nan)"),
        ({"a": math.inf}, "$.a", "floats are not allowed in the data model (got inf)"),
        ({"a": 2.0**60}, "$.a", "too large to stand for an exact integer"),
        ({"a": 2**63}, "$.a", "integer outside the signed 64-bit range"),
        ({"a": b"raw"}, "$.a", "raw bytes are not data-model JSON: wrap them in atlex.Bytes"),
        ({"a": {1, 2}}, "$.a", "set is not a data-model value"),
        ({1: "x"}, "$", "map keys must be strings (got number 1)"),
        ({"__proto__": {}}, "$", "the key __proto__ is not allowed"),
        ({"odd key": [1.5]}, '$["odd key"][0]', "floats are not allowed"),
        ({"$type": ""}, "$.$type", "$type must be a non-empty string"),
        ({"x": {"$type": ["a"]}}, "$.x.$type", "$type must be a non-empty string"),
        ({"x": {"$link": CID, "y": 1}}, "$.x", "a $link object must have no other keys"),
        ({"x": {"$link": "bafy"}}, "$.x.$link", "not a CID: "),
        ({"x": {"$link": None}}, "$.x.$link", "expected a CID string, got null"),
        ({"x": {"$bytes": "AQID+g", "y": 1}}, "$.x", "a $bytes object must have no other keys"),
        ({"x": {"$bytes": "AQID-g"}}, "$.x.$bytes", "not standard base64"),
        ({"x": {"$bytes": "AQID+"}}, "$.x.$bytes", "impossible base64 length"),
        ({"x": {"$bytes": "AQ="}}, "$.x.$bytes", "wrong base64 padding"),
        ({"x": {"$bytes": "A==="}}, "$.x.$bytes", "wrong base64 padding"),
    ],
)
def test_violations_name_their_path(value: Any, path: str, reason: str) -> None:
    issues = check_data_model(value)
    assert len(issues) == 1, issues
    assert issues[0][0] == path
    assert reason in issues[0][1]


def test_bytes_padding_is_optional() -> None:
    for text in ("AQID+g", "AQID+g==", "", "AQ", "AQ==", "AQI", "AQI=", "123"):
        assert check_data_model({"b": {"$bytes": text}}) == [], text


def blob(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "$type": "blob",
        "ref": {"$link": CID},
        "mimeType": "image/png",
        "size": 123,
    }
    value.update(changes)
    return {k: v for k, v in value.items() if v is not UNSET}


def test_blobs() -> None:
    assert check_data_model({"b": blob()}) == []
    assert check_data_model({"b": blob(size=0)}) == []
    assert check_data_model({"b": blob(size=10.0)}) == []
    assert check_data_model({"b": {"cid": CID, "mimeType": "image/png"}}) == []  # legacy form
    assert check_data_model({"b": blob(size=-1)}) == [
        ("$.b.size", "expected a non-negative integer, got -1")
    ]
    assert check_data_model({"b": blob(size=True)}) == [
        ("$.b.size", "expected a non-negative integer, got True")
    ]
    assert check_data_model({"b": blob(mimeType="")}) == [
        ("$.b.mimeType", "expected a non-empty string")
    ]
    assert check_data_model({"b": blob(ref=CID)}) == [
        ("$.b.ref", 'expected a {"$link": cid} object')
    ]
    assert check_data_model({"b": blob(ref={"$link": "nope"})})[0][0] == "$.b.ref.$link"
    assert check_data_model({"b": blob(extra=1)}) == [("$.b", "unexpected key 'extra' in a blob")]
    assert check_data_model({"b": blob(ref=UNSET, size=UNSET)}) == [
        ("$.b", "blob is missing 'ref'"),
        ("$.b", "blob is missing 'size'"),
    ]


def test_every_issue_is_reported() -> None:
    issues = check_data_model({"a": [1.5, {"$type": 3}], "b": {"$link": 1}})
    assert [path for path, _ in issues] == ["$.a[0]", "$.a[1].$type", "$.b.$link"]


def test_top_level() -> None:
    assert check_data_model("blah") == [("$", "expected an object at the top level, got string")]
    assert check_data_model([]) == [("$", "expected an object at the top level, got array")]
    assert check_data_model("blah", root_object=False) == []
    assert check_data_model([1, 2.5], root_object=False) == [
        ("$[1]", "floats are not allowed in the data model (got 2.5)")
    ]


class Photo(LexObject, kw_only=True):
    alt: str
    image: Blob
    extra: dict[str, Any]


def test_atlex_structs_are_checked_as_their_json() -> None:
    good = Photo(alt="x", image=Blob.create(CID, "image/png", 5), extra={"b": Bytes("AQID+g")})
    assert check_data_model(good) == []
    assert check_data_model({"l": CidLink(CID), "t": (1, Bytes.from_bytes(b"\x01"))}) == []
    bad = Photo(
        alt="x", image=Blob.create("nope", "image/png", -5), extra={"f": 0.5, "l": CidLink("b")}
    )
    assert check_data_model(bad) == [
        ("$.image.ref.$link", "not a CID: unsupported multibase prefix 'n'"),
        ("$.image.size", "expected a non-negative integer, got -5"),
        ("$.extra.f", "floats are not allowed in the data model (got 0.5)"),
        ("$.extra.l.$link", "not a CID: nothing after the multibase prefix"),
    ]
    assert atlex.check_data_model is check_data_model
