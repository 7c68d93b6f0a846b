"""RichText: lengths, segments, edits that keep facets aligned (the reference's scenarios,
rich-text.test.ts), newline clean-up, the builder, and mention resolution through a client."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from atlex import AsyncClient, Client, LexValidationError
from atlex.errors import XrpcResponseError
from atlex.lex.app.bsky.richtext import facet
from atlex.richtext import RichText, RichTextBuilder, RichTextSegment

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f467"  # 25 bytes, 1 grapheme


def span(start: int, end: int, *features: Any) -> facet.Main:
    return facet.Main(
        index=facet.ByteSlice(byte_start=start, byte_end=end),
        features=list(features) or [facet.Tag(tag="x")],
    )


def cut(rt: RichText, i: int = 0) -> str:
    f = rt.facets[i]
    return rt.text.encode()[f.index.byte_start : f.index.byte_end].decode()


def indices(rt: RichText) -> list[tuple[int, int]]:
    return [(f.index.byte_start, f.index.byte_end) for f in rt.facets]


# --- lengths ---


@pytest.mark.parametrize(
    ("text", "size", "graphemes"),
    [("Hello!", 6, 6), (FAMILY, 25, 1), (FAMILY + "🔥 good!✅", 38, 9), ("", 0, 0)],
)
def test_byte_and_grapheme_length(text: str, size: int, graphemes: int) -> None:
    rt = RichText(text)
    assert (rt.byte_length, rt.grapheme_length) == (size, graphemes)


# --- insert (scenarios A before, B inner, C after) ---

HELLO = "hello world"


@pytest.mark.parametrize(
    ("at", "text", "where", "shown"),
    [
        (0, "testhello world", (6, 11), "llo w"),
        (4, "helltesto world", (2, 11), "lltesto w"),
        (8, "hello wotestrld", (2, 7), "llo w"),
        (2, "hetestllo world", (6, 11), "llo w"),  # at the start: moves
        (7, "hello wtestorld", (2, 7), "llo w"),  # at the end: stays
    ],
)
def test_insert_moves_facets(at: int, text: str, where: tuple[int, int], shown: str) -> None:
    rt = RichText(HELLO, [span(2, 7)]).insert(at, "test")
    assert rt.text == text
    assert indices(rt) == [where]
    assert cut(rt) == shown


FAT = f"one{FAMILY} two{FAMILY} three{FAMILY}"
FAT_FACETS = [span(0, 28), span(29, 57), span(58, 88)]


@pytest.mark.parametrize(
    ("at", "first"), [(0, f"one{FAMILY}"), (3, f"onetest{FAMILY}"), (28, f"one{FAMILY}")]
)
def test_insert_with_fat_unicode(at: int, first: str) -> None:
    rt = RichText(FAT, FAT_FACETS).insert(at, "test")
    assert [cut(rt, i) for i in range(3)] == [first, f"two{FAMILY}", f"three{FAMILY}"]


def test_inserting_non_ascii_shifts_by_bytes() -> None:
    """The reference shifts by UTF-16 units (a misalignment after non-ASCII insertions);
    atlex shifts by bytes, so the facet still covers its word."""
    rt = RichText("x #tag", [span(2, 6, facet.Tag(tag="tag"))]).insert(0, "日本🦋")
    assert rt.text == "日本🦋x #tag"
    assert cut(rt) == "#tag"


# --- delete (scenarios A-F) ---


@pytest.mark.parametrize(
    ("start", "end", "text", "where", "shown"),
    [
        (0, 9, "ld", None, None),  # A entirely outer
        (7, 11, "hello w", (2, 7), "llo w"),  # B entirely after
        (4, 11, "hell", (2, 4), "ll"),  # C partially after
        (3, 5, "hel world", (2, 5), "l w"),  # D entirely inner
        (1, 5, "h world", (1, 3), " w"),  # E partially before
        (0, 2, "llo world", (0, 5), "llo w"),  # F entirely before
        (2, 7, "heorld", None, None),  # exactly the facet
    ],
)
def test_delete_adjusts_facets(
    start: int, end: int, text: str, where: tuple[int, int] | None, shown: str | None
) -> None:
    rt = RichText(HELLO, [span(2, 7)]).delete(start, end)
    assert rt.text == text
    assert indices(rt) == ([where] if where else [])
    if shown is not None:
        assert cut(rt) == shown


@pytest.mark.parametrize(
    ("start", "end", "text", "where"),
    [
        (28, 58, f"one{FAMILY}three{FAMILY}", None),
        (57, 88, f"one{FAMILY} two{FAMILY}", (29, 57)),
        (31, 88, f"one{FAMILY} tw", (29, 31)),
        (30, 32, f"one{FAMILY} t{FAMILY} three{FAMILY}", (29, 55)),
        (28, 31, f"one{FAMILY}o{FAMILY} three{FAMILY}", (28, 54)),
        (0, 2, f"e{FAMILY} two{FAMILY} three{FAMILY}", (27, 55)),
    ],
)
def test_delete_with_fat_unicode(
    start: int, end: int, text: str, where: tuple[int, int] | None
) -> None:
    rt = RichText(FAT, [span(29, 57)]).delete(start, end)
    assert rt.text == text
    assert indices(rt) == ([where] if where else [])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda rt: rt.insert(13, "x"), "outside the text"),
        (lambda rt: rt.insert(-1, "x"), "outside the text"),
        (lambda rt: rt.delete(8, 7), "after end"),
        (lambda rt: rt.insert(2, "x"), "inside a character"),  # inside "日" (bytes 0-3)
        (lambda rt: rt.delete(0, 1), "inside a character"),
    ],
)
def test_edits_refuse_offsets_that_would_corrupt_the_text(call: Any, message: str) -> None:
    rt = RichText("日本 hello", [span(0, 6)])
    with pytest.raises(ValueError, match=message):
        call(rt)
    assert rt.text == "日本 hello" and indices(rt) == [(0, 6)]


# --- segments ---


def _segs(rt: RichText) -> list[tuple[str, bool]]:
    return [(s.text, s.facet is not None) for s in rt.segments()]


@pytest.mark.parametrize(
    ("facets", "expected"),
    [
        ([], [("one two three", False)]),
        ([span(4, 7)], [("one ", False), ("two", True), (" three", False)]),
        ([span(0, 7)], [("one two", True), (" three", False)]),
        ([span(4, 13)], [("one ", False), ("two three", True)]),
        ([span(0, 13)], [("one two three", True)]),
        (
            [span(0, 3), span(4, 7), span(8, 13)],
            [("one", True), (" ", False), ("two", True), (" ", False), ("three", True)],
        ),
        # overlapping facets: the later one is skipped (left edge) or cut short (right edge)
        ([span(0, 3), span(2, 9), span(8, 13)], [("one", True), (" two ", False), ("three", True)]),
        (
            [span(0, 3), span(4, 9), span(8, 13)],
            [("one", True), (" ", False), ("two t", True), ("hree", False)],
        ),
        ([span(3, 4)], [("one", False), (" ", False), ("two three", False)]),  # whitespace only
    ],
)
def test_segments(facets: list[facet.Main], expected: list[tuple[str, bool]]) -> None:
    assert _segs(RichText("one two three", facets)) == expected


def test_segments_of_empty_text_and_utf8_offsets() -> None:
    assert list(RichText("").segments()) == [RichTextSegment("")]
    assert [s.text for s in RichText(FAT, FAT_FACETS).segments()] == [
        f"one{FAMILY}",
        " ",
        f"two{FAMILY}",
        " ",
        f"three{FAMILY}",
    ]


def test_segment_kinds() -> None:
    rt = RichText(
        "one two three four",
        [
            span(0, 3, facet.Mention(did="did:plc:123")),
            span(4, 7, facet.Link(uri="https://example.com")),
            span(8, 13, facet.Tag(tag="three")),
            span(14, 18, {"$type": "app.example.other"}),
        ],
    )
    segments = list(rt.segments())
    assert [s.kind for s in segments] == ["mention", "text", "link", "text", "tag", "text", "text"]
    assert segments[0].mention == facet.Mention(did="did:plc:123")
    assert segments[2].link is not None and segments[2].link.uri == "https://example.com"
    assert segments[4].tag is not None and segments[4].tag.tag == "three"
    assert segments[6].facet is not None and segments[6].mention is None


def test_negative_length_facets_are_dropped_and_text_never_duplicates() -> None:
    rt = RichText("hello world", [span(6, 0), span(6, 11), span(0, 0)])
    assert "".join(s.text for s in rt.segments()) == "hello world"
    assert indices(rt) == [(0, 0), (6, 11)]


def test_facets_may_be_given_as_json() -> None:
    raw = {
        "index": {"byteStart": 0, "byteEnd": 4},
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "tag"}],
    }
    assert RichText("#tag", [raw]).facets == [span(0, 4, facet.Tag(tag="tag"))]
    with pytest.raises(TypeError, match=r"facets\[0\]"):
        RichText("x", [42])  # type: ignore[list-item]


# --- clean_newlines (sanitization.ts) ---


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("test\n\n\n\n\ntest", "test\n\ntest"),
        ("test\n\ntest", "test\n\ntest"),
        ("test\r\n\r\n\r\n\r\ntest", "test\n\ntest"),
        ("test\n \n \u200b\n \ntest", "test\n\ntest"),
        ("a\n\n\nb\n\n\n\nc", "a\n\nb\n\nc"),
        ("no breaks", "no breaks"),
    ],
)
def test_clean_newlines(text: str, clean: str) -> None:
    assert RichText(text, clean_newlines=True).text == clean


def test_clean_newlines_keeps_facets_on_their_text() -> None:
    text = "@alice.test\n\n\n\n\n#tag and more"
    rt = RichText(text, clean_newlines=True).detect_facets_without_resolution()
    before = RichText(text).detect_facets_without_resolution()
    cleaned = RichText(before.text, before.facets, clean_newlines=True)
    assert cleaned.text == rt.text == "@alice.test\n\n#tag and more"
    assert cleaned.facets == rt.facets
    assert [cut(cleaned, i) for i in range(2)] == ["@alice.test", "#tag"]


# --- builder ---


def test_builder_places_facets_at_byte_offsets() -> None:
    rt = (
        RichTextBuilder()
        .text(f"{FAMILY} hi ")
        .mention("@alice.test", "did:plc:alice")
        .text(", ")
        .link("docs", "https://example.com/docs")
        .text(" ")
        .tag("#日本")
        .text(" ")
        .tag("#shown", "hidden")
        .build()
    )
    assert rt.text == f"{FAMILY} hi @alice.test, docs #日本 #shown"
    segments = [(s.kind, s.text) for s in rt.segments() if s.kind != "text"]
    assert segments == [
        ("mention", "@alice.test"),
        ("link", "docs"),
        ("tag", "#日本"),
        ("tag", "#shown"),
    ]
    assert [f.features[0] for f in rt.facets] == [
        facet.Mention(did="did:plc:alice"),
        facet.Link(uri="https://example.com/docs"),
        facet.Tag(tag="日本"),
        facet.Tag(tag="hidden"),
    ]
    assert indices(rt)[0] == (29, 40)


def test_builder_link_defaults_to_its_text() -> None:
    rt = RichTextBuilder().link("https://example.com").build()
    assert rt.facets[0].features == [facet.Link(uri="https://example.com")]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda b: b.mention("@alice", "alice.test"), "not a DID"),
        (lambda b: b.link("docs", "example.com"), "not a URI"),
        (lambda b: b.tag("#"), "1 to 64 graphemes"),
        (lambda b: b.tag("#" + "a" * 65), "1 to 64 graphemes"),
        (lambda b: b.link("", "https://example.com"), "visible text"),
    ],
)
def test_builder_rejects_bad_pieces(call: Any, message: str) -> None:
    with pytest.raises(LexValidationError, match=message):
        call(RichTextBuilder())


# --- mention resolution through a client ---


def _resolver(known: dict[str, str], *, status: int = 400) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/xrpc/com.atproto.identity.resolveHandle"
        handle = request.url.params["handle"]
        if handle in known:
            return httpx.Response(200, json={"did": known[handle]})
        body = {"error": "InvalidRequest", "message": "Unable to resolve handle"}
        return httpx.Response(status, content=json.dumps(body).encode())

    return httpx.MockTransport(handle)


TEXT = "hi @alice.test and @ghost.test, see example.com #tag"
KNOWN = {"alice.test": "did:plc:alice"}


def _resolved_summary(rt: RichText) -> list[tuple[str, Any]]:
    return [(cut(rt, i), f.features[0]) for i, f in enumerate(rt.facets)]


EXPECTED = [
    ("@alice.test", facet.Mention(did="did:plc:alice")),
    ("example.com", facet.Link(uri="https://example.com")),
    ("#tag", facet.Tag(tag="tag")),
]


def test_detect_facets_resolves_mentions_and_drops_unresolvable_ones() -> None:
    client = Client("https://pds.test", transport=_resolver(KNOWN))
    rt = RichText(TEXT).detect_facets(client)
    assert _resolved_summary(rt) == EXPECTED


@pytest.mark.anyio
async def test_detect_facets_async() -> None:
    client = AsyncClient("https://pds.test", transport=_resolver(KNOWN))
    rt = await RichText(TEXT).detect_facets_async(client)
    assert _resolved_summary(rt) == EXPECTED


@pytest.mark.anyio
async def test_a_failing_server_is_an_error_not_a_dropped_mention() -> None:
    with pytest.raises(XrpcResponseError) as caught:
        RichText(TEXT).detect_facets(
            Client("https://pds.test", transport=_resolver({}, status=502))
        )
    assert caught.value.status == 502
    client = AsyncClient("https://pds.test", transport=_resolver({}, status=502))
    with pytest.raises(XrpcResponseError):
        await RichText(TEXT).detect_facets_async(client)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
