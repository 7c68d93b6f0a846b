"""Facet detection against the table of reference cases (richtext_cases.py)."""

from __future__ import annotations

import pytest
from richtext_cases import CASES, Expected, summarize

from atlex.richtext import RichText, detect_facets, is_valid_domain


def test_the_table_is_large_and_has_no_duplicates() -> None:
    texts = [text for text, _ in CASES]
    assert len(texts) >= 150
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[repr(t)[:60] for t, _ in CASES])
def test_detect_facets(text: str, expected: Expected) -> None:
    assert summarize(detect_facets(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"), CASES[:60], ids=[repr(t)[:60] for t, _ in CASES[:60]]
)
def test_detected_offsets_cut_the_text_where_the_facet_text_is(
    text: str, expected: Expected
) -> None:
    """The byte ranges select the '@handle', the URL as written, the '#tag'."""
    rt = RichText(text).detect_facets_without_resolution()
    utf8 = text.encode()
    for start, end, kind, value in summarize(rt.facets):
        shown = utf8[start:end].decode()
        if kind == "mention":
            assert shown == "@" + value
        elif kind == "link":
            assert value in (shown, "https://" + shown)
        else:
            assert shown[1:] == value


def test_domains_need_a_known_tld_matched_case_sensitively() -> None:
    assert is_valid_domain("example.com")
    assert is_valid_domain("bsky.social")
    assert not is_valid_domain("example.COM")  # the reference compares with its lowercase list
    assert not is_valid_domain("example.jpg")
    assert not is_valid_domain("com")
    assert not is_valid_domain("example.xn--p1ai")  # the reference lists IDN TLDs in Unicode only


def test_detection_keeps_the_reference_order_and_kinds() -> None:
    text = "$AAPL #tag @alice.test https://example.com"
    assert [kind for _, _, kind, _ in summarize(detect_facets(text))] == [
        "tag",
        "tag",
        "mention",
        "link",
    ]
    assert summarize(detect_facets(text))[0][3] == "$AAPL"
