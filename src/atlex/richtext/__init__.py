"""Rich text for posts: facets (mentions, links, hashtags) at UTF-8 byte offsets.

* :class:`RichText` — text plus facets; detection that matches ``@atproto/api``'s
  ``RichText.detectFacets``, mention resolution through a client, rendering
  :meth:`~RichText.segments`, byte and grapheme lengths, :meth:`~RichText.insert` /
  :meth:`~RichText.delete` that keep facets on their characters.
* :class:`RichTextBuilder` — exact control: ``RichTextBuilder().text("hi ").mention(...)``.
* :func:`detect_facets` — detection alone, on a plain string.
"""

from atlex.richtext._builder import RichTextBuilder
from atlex.richtext._detect import detect_facets, is_valid_domain
from atlex.richtext._richtext import Facet, RichText, RichTextSegment, SegmentKind

__all__ = [
    "Facet",
    "RichText",
    "RichTextBuilder",
    "RichTextSegment",
    "SegmentKind",
    "detect_facets",
    "is_valid_domain",
]
