"""The fast pass of ``validate()`` checks the strings of one format together
(``atlex._validate_sure.all_valid``: one regex match over them joined by newlines). It must say
exactly what checking each value on its own with the exact validator says: a value holding a
newline must not let the join split it into valid-looking parts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlex._validate_sure import FAST_FORMATS, FAST_PATTERNS, all_valid
from atlex.syntax import FORMATS

VALID = {
    "at-identifier": ["alice.example.com", "did:plc:ewvi7nxzyoun6zhxrhs64oiz"],
    "at-uri": [
        "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k2akjqd4dg2d",
        "at://alice.example.com/app.bsky.actor.profile/self",
    ],
    "cid": ["bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"],
    "datetime": ["2024-05-06T07:08:09.123Z", "2024-02-29T00:00:00+00:00"],
    "did": ["did:plc:ewvi7nxzyoun6zhxrhs64oiz", "did:web:example.com"],
    "handle": ["alice.example.com", "bob.test"],
    "language": ["en", "pt-BR"],
    "nsid": ["app.bsky.feed.post", "com.example.fooBar"],
    "record-key": ["self", "3k2akjqd4dg2d"],
    "tid": ["3k2akjqd4dg2d"],
    "uri": ["https://example.com/a?b=c#d", "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz", "mailto:a@b"],
}


@pytest.mark.parametrize("fmt", sorted(FAST_PATTERNS))
def test_values_joined_by_a_newline_inside_one_value_are_rejected(fmt: str) -> None:
    first, *rest = VALID[fmt]
    assert all_valid(fmt, VALID[fmt])
    glued = "\n".join([first, *rest, first])  # every part valid, the value is not
    assert not FORMATS[fmt](glued)
    assert not all_valid(fmt, [*VALID[fmt], glued])
    assert not all_valid(fmt, {glued, first + "\n"})


@pytest.mark.parametrize("fmt", sorted(FAST_PATTERNS))
def test_one_invalid_value_among_valid_ones_is_found(fmt: str) -> None:
    assert not all_valid(fmt, [*VALID[fmt], " " + VALID[fmt][0]])
    assert not all_valid(fmt, [*VALID[fmt], ""])


def _values(fmt: str) -> st.SearchStrategy[list[str]]:
    drawn = st.from_regex(FAST_PATTERNS[fmt], fullmatch=True)
    odd = ["", "\n", "a\nb", "2024-01-01T00:00:00", "x y", "https://a.com/a b", "https://a.com/<"]
    odd += ["https://a.com/\x7f", "https://a.com/é", "https://a.com/a\tb", "https://a.com/\u3000"]
    known = st.sampled_from([*VALID[fmt], *odd])
    one = st.one_of(drawn, known, st.lists(drawn, min_size=2, max_size=3).map("\n".join))
    return st.lists(one, max_size=6)


@pytest.mark.parametrize("fmt", sorted(FAST_PATTERNS))
def test_all_valid_agrees_with_the_exact_check_of_each_value(fmt: str) -> None:
    @settings(max_examples=60, deadline=None)
    @given(_values(fmt))
    def agrees(values: list[str]) -> None:
        assert all_valid(fmt, set(values)) == all(FORMATS[fmt](v) for v in values), values

    agrees()


LONG_HANDLE = ("a" * 63 + ".") * 4 + "com"  # labels fine, 259 characters: too long


@pytest.mark.parametrize(
    ("fmt", "value"),
    [
        ("handle", LONG_HANDLE),
        ("at-identifier", LONG_HANDLE),
        ("at-uri", f"at://{LONG_HANDLE}/app.bsky.feed.post/3k2akjqd4dg2d"),
    ],
)
def test_a_handle_longer_than_253_characters_is_not_proved_valid(fmt: str, value: str) -> None:
    assert not FORMATS[fmt](value)
    assert not FAST_FORMATS[fmt](value)
    assert not all_valid(fmt, [value, *VALID[fmt]])
