"""A string with its UTF-8 form: facets index bytes of the UTF-8 text, Python indexes code
points. Lone surrogates (possible in a ``str`` read from JSON) count three bytes, like the
U+FFFD that the reference TextEncoder writes for them."""

from __future__ import annotations

from itertools import accumulate

__all__ = ["JS_WHITESPACE", "Utf8Text", "utf8_bytes"]


def utf8_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _char_size(c: str) -> int:
    n = ord(c)
    return 1 if n < 0x80 else 2 if n < 0x800 else 3 if n < 0x10000 else 4


class Utf8Text:
    """Immutable text with byte lengths, code point -> byte offsets and byte slicing."""

    __slots__ = ("_offsets", "text", "utf8")

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"rich text must be a str, got {type(text).__name__}")
        self.text = text
        self.utf8 = utf8_bytes(text)
        self._offsets: list[int] | None = None

    @property
    def length(self) -> int:
        """UTF-8 bytes."""
        return len(self.utf8)

    def byte_offset(self, index: int) -> int:
        """The UTF-8 byte offset of code point ``index`` (0 <= index <= len(text))."""
        if len(self.utf8) == len(self.text):  # ASCII: bytes are code points
            return index
        if self._offsets is None:
            self._offsets = [0, *accumulate(map(_char_size, self.text))]
        return self._offsets[index]

    def is_boundary(self, offset: int) -> bool:
        """Whether byte ``offset`` falls between two characters (or at either end)."""
        if offset < 0 or offset > len(self.utf8):
            return False
        return offset == len(self.utf8) or (self.utf8[offset] & 0xC0) != 0x80

    def slice(self, start: int, end: int) -> str:
        """The text between two byte offsets; a cut through a character becomes U+FFFD, as
        with the reference TextDecoder."""
        if start >= end:
            return ""
        part = self.utf8[start:end]
        try:
            return part.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return part.decode("utf-8", "replace")


JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
"""What JavaScript's ``\\s`` and ``trim()`` count as whitespace (Python's ``str.isspace`` differs:
it has U+001C-U+001F and U+0085, and lacks U+FEFF)."""
