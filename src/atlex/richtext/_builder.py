"""``RichTextBuilder``: rich text assembled piece by piece, with facets exactly where the
caller puts them (MarshalX ``client_utils.TextBuilder``, with checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from atlex.errors import LexValidationError
from atlex.lex.app.bsky.richtext import facet as _facet
from atlex.richtext._richtext import RichText
from atlex.richtext._text import utf8_bytes

if TYPE_CHECKING:
    from typing import Self

__all__ = ["RichTextBuilder"]

_TAG_SIGNS = ("#", "\uff03")


class RichTextBuilder:
    """Build a :class:`RichText` without detection::

        rt = (RichTextBuilder().text("hi ").mention("@alice.test", did)
              .text(", see ").link("the docs", "https://example.com/docs")
              .text(" ").tag("#python").build())

    Each piece is checked when added (a DID, a URI with a scheme, a tag of at most 64
    graphemes); a mistake raises :class:`~atlex.LexValidationError` naming the piece.
    """

    __slots__ = ("_facets", "_parts", "_size")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._facets: list[_facet.Main] = []
        self._size = 0  # bytes so far

    def _add(self, text: str, feature: _facet.Mention | _facet.Link | _facet.Tag | None) -> Self:
        if not isinstance(text, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        size = len(utf8_bytes(text))
        if feature is not None:
            if not text:
                raise LexValidationError(
                    f"a {type(feature).__name__.lower()} needs visible text", path="text"
                )
            index = _facet.ByteSlice(byte_start=self._size, byte_end=self._size + size)
            self._facets.append(_facet.Main(index=index, features=[feature]))
        self._parts.append(text)
        self._size += size
        return self

    def text(self, text: str) -> Self:
        """Plain text."""
        return self._add(text, None)

    def mention(self, text: str, did: str) -> Self:
        """``text`` (usually ``"@handle"``) mentioning the account ``did``."""
        from atlex.syntax import is_valid_did

        if not is_valid_did(did):
            raise LexValidationError(f"mention of {text!r}: {did!r} is not a DID", path="did")
        return self._add(text, _facet.Mention(did=did))

    def link(self, text: str, uri: str | None = None) -> Self:
        """``text`` linking to ``uri`` (default: the text itself)."""
        from atlex.syntax import is_valid_uri

        target = text if uri is None else uri
        if not is_valid_uri(target):
            raise LexValidationError(
                f"link {text!r}: {target!r} is not a URI with a scheme", path="uri"
            )
        return self._add(text, _facet.Link(uri=target))

    def tag(self, text: str, tag: str | None = None) -> Self:
        """A hashtag: ``tag("#python")`` shows ``#python`` and tags ``python``; ``tag`` sets
        the tag apart from the text shown."""
        from atlex.datamodel import grapheme_len

        value = (text[1:] if text.startswith(_TAG_SIGNS) else text) if tag is None else tag
        if not value or len(utf8_bytes(value)) > 640 or grapheme_len(value) > 64:
            raise LexValidationError(
                f"tag {value!r}: a tag has 1 to 64 graphemes (640 bytes)", path="tag"
            )
        return self._add(text, _facet.Tag(tag=value))

    def build(self) -> RichText:
        return RichText("".join(self._parts), self._facets)
