"""Lexicon string formats as names: aliases of ``str`` that generated signatures and fields use,
so a hover says what is expected (``actor: Did``). They add no check of their own: ``validate()``
checks formats (:func:`atlex.syntax.check_format`)."""

from typing import TypeAlias

__all__ = [
    "AtIdentifier",
    "AtUri",
    "Cid",
    "Datetime",
    "Did",
    "Handle",
    "Language",
    "Nsid",
    "RecordKey",
    "Tid",
    "Uri",
]

AtIdentifier: TypeAlias = str
"""A handle or a DID."""
AtUri: TypeAlias = str
"""An ``at://`` URI."""
Cid: TypeAlias = str
"""A CID in its string form."""
Datetime: TypeAlias = str
"""An RFC 3339 timestamp (see :func:`atlex.parse_datetime`, :func:`atlex.now`)."""
Did: TypeAlias = str
"""A DID (``did:plc:...``, ``did:web:...``)."""
Handle: TypeAlias = str
"""A handle (``alice.bsky.social``)."""
Language: TypeAlias = str
"""A BCP 47 language tag."""
Nsid: TypeAlias = str
"""A namespaced identifier (``app.bsky.feed.post``)."""
RecordKey: TypeAlias = str
"""A record key."""
Tid: TypeAlias = str
"""A timestamp identifier (see :func:`atlex.next_tid`)."""
Uri: TypeAlias = str
"""A URI."""
