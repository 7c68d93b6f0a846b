"""``RichText``: text plus facets at UTF-8 byte offsets, as ``@atproto/api``'s ``RichText``
(rich-text.ts): rendering segments, byte and grapheme lengths, edits that keep facets on the
characters they annotate, facet detection, and the newline clean-up of sanitization.ts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import msgspec

from atlex.lex.app.bsky.richtext import facet as _facet
from atlex.richtext._detect import detect_facets
from atlex.richtext._text import JS_WHITESPACE, Utf8Text, utf8_bytes

if TYPE_CHECKING:
    from typing import Self

    from atlex import AsyncClient, Client

__all__ = ["Facet", "RichText", "RichTextSegment", "SegmentKind"]

Facet: TypeAlias = _facet.Main
"""``app.bsky.richtext.facet``: a byte range (``index``) and its ``features``."""

SegmentKind: TypeAlias = Literal["text", "mention", "link", "tag"]

# three or more line breaks, with only spaces and invisible separators between them
_EXCESS_NEWLINES = re.compile(
    f"[\r\n](?:[\u00ad\u2060\u200d\u200c\u200b{re.escape(JS_WHITESPACE)}]*[\r\n]){{2,}}"
)


@dataclass(frozen=True, slots=True)
class RichTextSegment:
    """A run of text and the facet over it (None for plain text), from :meth:`RichText.segments`."""

    text: str
    facet: Facet | None = None

    @property
    def mention(self) -> _facet.Mention | None:
        return self._feature(_facet.Mention)

    @property
    def link(self) -> _facet.Link | None:
        return self._feature(_facet.Link)

    @property
    def tag(self) -> _facet.Tag | None:
        return self._feature(_facet.Tag)

    @property
    def kind(self) -> SegmentKind:
        """What to render: the first of mention, link, tag this segment's facet has, or text."""
        if self.mention is not None:
            return "mention"
        if self.link is not None:
            return "link"
        if self.tag is not None:
            return "tag"
        return "text"

    def _feature(self, kind: type[Any]) -> Any:
        if self.facet is None:
            return None
        return next((f for f in self.facet.features if isinstance(f, kind)), None)


def _as_facet(value: object, where: int) -> Facet:
    if isinstance(value, _facet.Main):
        return value
    if isinstance(value, Mapping):
        from atlex._codec import convert

        return convert(value, _facet.Main)
    raise TypeError(f"facets[{where}]: expected a facet.Main or a dict, got {type(value).__name__}")


def _moved(facet: Facet, start: int, end: int) -> Facet:
    return msgspec.structs.replace(facet, index=_facet.ByteSlice(byte_start=start, byte_end=end))


class RichText:
    """Post text with its facets (mentions, links, tags) at UTF-8 byte offsets.

    ``RichText("hi @alice.test").detect_facets(client)`` finds the facets and resolves the
    mentions to DIDs (``await ….detect_facets_async(async_client)``);
    :meth:`detect_facets_without_resolution` only finds them. ``facets`` given here are kept
    as they are, sorted by start; negative-length ones are dropped. ``clean_newlines`` folds
    runs of three or more line breaks into two (the reference's ``cleanNewlines``).
    """

    __slots__ = ("_facets", "_text")

    def __init__(
        self,
        text: str = "",
        facets: Iterable[Facet | Mapping[str, Any]] | None = None,
        *,
        clean_newlines: bool = False,
    ) -> None:
        self._text = Utf8Text(text)
        given = [_as_facet(f, i) for i, f in enumerate(facets or ())]
        kept = [f for f in given if f.index.byte_start <= f.index.byte_end]
        self._facets: list[Facet] = sorted(kept, key=lambda f: f.index.byte_start)
        if clean_newlines:
            self._clean_newlines()

    # --- reading ---

    @property
    def text(self) -> str:
        return self._text.text

    @property
    def facets(self) -> list[Facet]:
        """The facets, ordered by start (a new list; edit through :meth:`insert`/:meth:`delete`)."""
        return list(self._facets)

    @property
    def byte_length(self) -> int:
        """Length in UTF-8 bytes, the unit of facet offsets (the reference's ``length``)."""
        return self._text.length

    @property
    def grapheme_length(self) -> int:
        """Length in user-perceived characters, what the 300-grapheme post limit counts."""
        from atlex.datamodel import grapheme_len

        return grapheme_len(self._text.text)

    def segments(self) -> Iterator[RichTextSegment]:
        """The text cut at facet edges, for rendering. A facet that overlaps the previous one
        is skipped, and one over whitespace only renders as plain text (as the reference)."""
        text = self._text
        if not self._facets:
            yield RichTextSegment(text.text)
            return
        cursor = 0
        for facet in self._facets:
            start, end = facet.index.byte_start, facet.index.byte_end
            if cursor > start:
                continue
            if cursor < start:
                yield RichTextSegment(text.slice(cursor, start))
            if start < end:
                part = text.slice(start, end)
                yield RichTextSegment(part, facet if part.strip(JS_WHITESPACE) else None)
            cursor = end
        if cursor < text.length:
            yield RichTextSegment(text.slice(cursor, text.length))

    def copy(self) -> RichText:
        return RichText(self._text.text, self._facets)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RichText):
            return NotImplemented
        return self._text.text == other._text.text and self._facets == other._facets

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"RichText({self._text.text!r}, facets={self._facets!r})"

    # --- editing (offsets in UTF-8 bytes) ---

    def _check_offset(self, name: str, offset: int) -> None:
        if not isinstance(offset, int) or isinstance(offset, bool):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"{name} must be an int byte offset, got {type(offset).__name__}")
        if not 0 <= offset <= self._text.length:
            raise ValueError(f"{name}={offset} is outside the text (0..{self._text.length} bytes)")
        if not self._text.is_boundary(offset):
            raise ValueError(f"{name}={offset} falls inside a character (offsets are UTF-8 bytes)")

    def insert(self, index: int, text: str) -> Self:
        """Insert ``text`` at byte ``index``. Facets after it move; a facet it falls inside
        grows (index at a facet's start moves the facet, at its end leaves it)."""
        self._check_offset("index", index)
        old = self._text
        self._text = Utf8Text(old.slice(0, index) + text + old.slice(index, old.length))
        # the reference shifts by the UTF-16 length, which misplaces facets after non-ASCII
        # insertions; bytes are the unit of the offsets
        added = len(utf8_bytes(text))
        moved: list[Facet] = []
        for facet in self._facets:
            start, end = facet.index.byte_start, facet.index.byte_end
            if index <= start:
                facet = _moved(facet, start + added, end + added)
            elif index < end:
                facet = _moved(facet, start, end + added)
            moved.append(facet)
        self._facets = moved
        return self

    def delete(self, start: int, end: int) -> Self:
        """Delete the bytes ``start:end``. Facets inside the range vanish, facets it cuts
        shrink, facets after it move."""
        self._check_offset("start", start)
        self._check_offset("end", end)
        if start > end:
            raise ValueError(f"start={start} is after end={end}")
        old = self._text
        self._text = Utf8Text(old.slice(0, start) + old.slice(end, old.length))
        removed = end - start
        kept: list[Facet] = []
        for facet in self._facets:
            f_start, f_end = facet.index.byte_start, facet.index.byte_end
            if start <= f_start and end >= f_end:  # entirely removed
                continue
            if start > f_end:  # entirely after: unchanged
                pass
            elif f_start < start <= f_end and end > f_end:  # cuts its tail
                facet = _moved(facet, f_start, start)
            elif start >= f_start and end <= f_end:  # inside it
                facet = _moved(facet, f_start, f_end - removed)
            elif start < f_start <= end <= f_end:  # cuts its head
                facet = _moved(facet, start, f_end - removed)
            elif end < f_start:  # entirely before
                facet = _moved(facet, f_start - removed, f_end - removed)
            if facet.index.byte_start < facet.index.byte_end:
                kept.append(facet)
        self._facets = kept
        return self

    def _clean_newlines(self) -> None:
        while (match := _EXCESS_NEWLINES.search(self._text.text)) is not None:
            before = self._text.text
            start = self._text.byte_offset(match.start())
            self.delete(start, start + len(utf8_bytes(match.group())))
            if self._text.text == before:
                break
            self.insert(start, "\n\n")

    # --- detection ---

    def detect_facets_without_resolution(self) -> Self:
        """Replace the facets with the mentions, links, tags and cashtags found in the text.
        Mention features hold the handle in ``did``: resolve them (:meth:`detect_facets`)
        before posting."""
        self._facets = detect_facets(self._text)
        return self

    def detect_facets(self, client: Client) -> Self:
        """Replace the facets with those found in the text, mentions resolved to DIDs through
        ``client`` (``com.atproto.identity.resolveHandle``). A mention whose handle does not
        resolve is dropped."""
        from atlex._flow import drive
        from atlex.richtext._mentions import resolve_mentions_flow

        self._facets = drive(resolve_mentions_flow(detect_facets(self._text)), client)
        return self

    async def detect_facets_async(self, client: AsyncClient) -> Self:
        """:meth:`detect_facets` through an :class:`~atlex.AsyncClient` (handles resolved
        concurrently)."""
        from atlex._flow import drive_async
        from atlex.richtext._mentions import resolve_mentions_flow

        self._facets = await drive_async(resolve_mentions_flow(detect_facets(self._text)), client)
        return self
