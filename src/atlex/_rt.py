"""The runtime surface generated type modules use (``from atlex import _rt``).

A stable facade: generated code refers to these names only, so the runtime can move things
around without regenerating. Import-light on purpose (no httpx).
"""

from atlex._formats import (
    AtIdentifier,
    AtUri,
    Cid,
    Datetime,
    Did,
    Handle,
    Language,
    Nsid,
    RecordKey,
    Tid,
    Uri,
)
from atlex._lazy import record_as  # importing it plugs in the decoder of `unknown` fields
from atlex._model import (
    CLOSED,
    SINGLE,
    Blob,
    Bytes,
    CidLink,
    LexObject,
    Unknown,
    UnknownMember,
    lazy_module,
    register_closed,
    register_rules,
    register_single,
)
from atlex._unions import ClosedUnion, OpenUnion

__all__ = [
    "CLOSED",
    "SINGLE",
    "AtIdentifier",
    "AtUri",
    "Blob",
    "Bytes",
    "Cid",
    "CidLink",
    "ClosedUnion",
    "Datetime",
    "Did",
    "Handle",
    "Language",
    "LexObject",
    "Nsid",
    "OpenUnion",
    "RecordKey",
    "Tid",
    "Unknown",
    "UnknownMember",
    "Uri",
    "lazy_module",
    "record_as",
    "register_closed",
    "register_rules",
    "register_single",
]
