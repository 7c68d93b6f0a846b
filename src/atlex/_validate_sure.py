"""The sufficient tests of ``validate()``'s fast pass (:mod:`atlex._validate_fast`): format
patterns that accept only valid values, and the tests of ``unknown`` values (plain data as
data-model JSON; JSON kept unread, see :func:`unread_problem`). Each may say "not sure"
(False) for a valid value; none may say True for an invalid one (tests/unit/test_validate_fast.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from typing import Any

import msgspec
from msgspec import UNSET, Raw, UnsetType

from atlex.datamodel import check_data_model
from atlex.syntax import FORMATS

__all__ = [
    "FAST_FORMATS",
    "FAST_PATTERNS",
    "all_valid",
    "object_ok",
    "unknown_ok",
    "unread_problem",
]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# Fast accepts of the commonest format values: each accepts only valid values (never wrong)
# and may miss valid ones, which then go through the exact check in atlex.syntax.
# (Regexes: measured faster than str-method tests here.) tests/unit/test_validate_fast.py
# draws strings from each and checks them with the exact validator.
_CID = r"baf[ky]rei[a-h][a-z2-7]{50}[aeimquy4]"  # CIDv1 raw/dag-cbor sha2-256, base32
_DID = r"did:plc:[a-z2-7]{24}"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HANDLE_END = r"(?![a-z0-9.-])"
_TLD = rf"[a-z][a-z0-9]{{0,62}}+{_HANDLE_END}"
_HANDLE_SHORT = (  # two or three labels without hyphens: at most 191 characters, no lookahead
    rf"[a-z0-9]{{1,63}}+\.(?:{_TLD}|[a-z0-9]{{1,63}}+\.{_TLD})"
)
_HANDLE = (  # else at most 253 characters (the lookahead); possessive (`+`): no way back
    rf"{_HANDLE_SHORT}|(?=[a-z0-9.-]{{1,253}}{_HANDLE_END})(?:{_LABEL}\.){{1,8}}"
    rf"[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?"
)
_NSID = r"(?:[a-z]{2,20}\.){2,5}[a-zA-Z]{1,40}"  # (each segment then its dot: no backtracking)
_NSID4 = r"[a-z]{2,20}+\.[a-z]{2,20}+\.[a-z]{2,20}+\.[a-zA-Z]{1,40}+"  # app.bsky.feed.post
_RKEY = r"[a-zA-Z0-9_~:-]{1,512}"
_AT_URI = (  # the commonest shape first: a did:plc, a four-part collection, a key
    rf"at://{_DID}/{_NSID4}/{_RKEY}+|at://(?:{_DID}|{_HANDLE})(?:/{_NSID}(?:/{_RKEY})?)?"
)
FAST_PATTERNS: dict[str, str] = {
    "cid": _CID,
    "did": _DID,
    "handle": _HANDLE,
    "at-identifier": rf"{_DID}|{_HANDLE}",
    "nsid": _NSID,
    "at-uri": _AT_URI,
    "datetime": (  # (the commonest ending, milliseconds and Z, tried first)
        r"[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|1[0-9]|2[0-8])"
        r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
        r"(?:\.[0-9]{3}Z|(?:\.[0-9]{1,30})?(?:Z|\+00:00))"
    ),
    "uri": rf"https?://[a-zA-Z0-9.-]{{1,253}}(?:[/?#][!#-;=?-~]{{0,4000}})?|{_AT_URI}",
    "tid": r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}",
    "language": r"[a-z]{2,3}(?:-[A-Z]{2})?",
    "record-key": r"[a-zA-Z0-9_~:-]{1,512}",
}
FAST_FORMATS: dict[str, Callable[[str], object]] = {
    name: re.compile(pattern).fullmatch for name, pattern in FAST_PATTERNS.items()
}
"""Format name -> a test that is truthy only for valid values."""

_VALUE_CHARS = bytes(c for c in range(0x21, 0x7F) if chr(c) not in '"<>')
"""Every character a fast pattern accepts (printable ASCII but space, ``"``, ``<``, ``>``)."""
_BATCH_PATTERNS = {  # (the long URI tails as "anything but the separator": the characters
    **FAST_PATTERNS,  # are checked apart, all values at once, which is 3-4x faster)
    "uri": rf"https?://[a-zA-Z0-9.-]{{1,253}}(?:[/?#][^\n]{{0,4000}})?|{_AT_URI}",
}
_CHARS_APART = frozenset(("uri",))
# An atomic group keeps sre from saving a way back into each value it matched (2x faster);
# it may only make the batch fail where it could have matched: the values, one by one, then.
_BATCHES: dict[str, Callable[[str], object]] = {
    name: re.compile(f"(?>{pattern})(?:\n(?>{pattern}))*").fullmatch
    for name, pattern in _BATCH_PATTERNS.items()
}


def all_valid(fmt: str, values: Collection[str]) -> bool:
    """True only when every one of ``values`` (exact ``str``) is a valid ``fmt`` string.

    One match of the fast pattern over them all, joined by newlines, instead of one match
    each (sre's set-up costs about as much as matching a DID). Sound because no fast pattern
    accepts a newline (each is made of explicit character classes; the exact checks, which
    the tests hold the patterns to, reject newlines too) and no value holds one (counted;
    for ``uri``, whose batch pattern leaves the characters to this step, deleting those fast
    patterns accept must leave exactly the separators), so the match can only split the
    joined text where the values meet. When the batch fails, each value on
    its own, the exact check deciding what the fast pattern misses."""
    if len(values) > 1 and fmt in _BATCHES:
        joined = "\n".join(values)
        separators = len(values) - 1
        if (
            joined.isascii()
            and (
                joined.encode().translate(None, _VALUE_CHARS) == b"\n" * separators
                if fmt in _CHARS_APART
                else joined.count("\n") == separators
            )
            and _BATCHES[fmt](joined)
        ):
            return True
    exact = FORMATS[fmt]
    fast = FAST_FORMATS.get(fmt, exact)
    return all(fast(value) or exact(value) for value in values)


def _map_ok(d: dict[Any, Any]) -> bool:
    """True when ``d`` (an ``unknown`` field's object) is certainly data-model JSON; False
    sends it to ``atlex.datamodel.check_data_model`` (floats, structs, odd keys...)."""
    if "$link" in d:
        link: Any = d["$link"]
        return len(d) == 1 and link.__class__ is str and _cid(link) is not None
    if "$bytes" in d:
        return False
    if "$type" in d:
        kind: Any = d["$type"]
        if kind.__class__ is not str or not kind:
            return False
        if kind == "blob":
            return _blob_ok(d)
    if "__proto__" in d or not _STR.issuperset(map(type, d)):  # keys: str, not __proto__
        return False
    return _values_ok(d.values())


_STR = frozenset((str,))


def _blob_ok(d: dict[Any, Any]) -> bool:
    ref: Any = d.get("ref")
    mime: Any = d.get("mimeType")
    size: Any = d.get("size")
    return (
        len(d) == 4
        and ref.__class__ is dict
        and "$link" in ref
        and _map_ok(ref)
        and mime.__class__ is str
        and mime != ""
        and size.__class__ is int
        and 0 <= size <= _INT64_MAX
    )


def _values_ok(values: Iterable[Any]) -> bool:
    """The values of a map or the items of a list."""
    for value in values:
        kind = value.__class__
        if kind is str or kind is bool or value is None:
            continue
        if kind is dict:
            if not _map_ok(value):
                return False
        elif kind is list:
            if not _values_ok(value):
                return False
        elif kind is not int or not _INT64_MIN <= value <= _INT64_MAX:
            return False
    return True


_cid = FAST_FORMATS["cid"]


def object_ok(d: dict[Any, Any]) -> bool:
    """An ``unknown`` field: an object that is not bytes, a link or a blob (then as above)."""
    return "$link" not in d and "$bytes" not in d and d.get("$type") != "blob" and _map_ok(d)


def unknown_ok(value: Any) -> bool:
    """An ``unknown`` field: JSON nobody read (see :func:`unread_problem`), plain
    data (as above), or a record read into its generated class (a data-model object, the
    exact pass's own test)."""
    kind = value.__class__
    if kind is Raw:
        return unread_problem(value) is None
    if kind is dict:
        return object_ok(value)
    return isinstance(value, msgspec.Struct) and not check_data_model(value)


def unread_problem(raw: Raw) -> str | None:
    """What is wrong with JSON kept unread (``msgspec.Raw``, from a decode) as an ``unknown``
    value, or None. ``validate()`` asks of it what ``@atproto/lexicon`` asks of ``unknown``:
    an object, and not bytes, a link or a blob (the interop vectors). Its content is checked
    once it is read: decoding it for the data-model walk would cost more than the whole typed
    decode of the answer it came in (bench/FINDINGS.md §9)."""
    try:
        top = _TOP_LEVEL.decode(raw)  # (skips everything but three top-level keys)
    except msgspec.ValidationError:
        return "expected an object"
    except msgspec.DecodeError:  # not from a decode: a Raw built by hand
        return "not JSON"
    if top.link is not UNSET or top.bytes is not UNSET or top.type == "blob":
        return "expected an object, got bytes, a link or a blob"
    return None


class _TopLevel(msgspec.Struct):
    """The keys that make an object bytes, a link or a blob (the rest is skipped unread)."""

    link: Raw | UnsetType = msgspec.field(default=UNSET, name="$link")
    bytes: Raw | UnsetType = msgspec.field(default=UNSET, name="$bytes")
    type: Any = msgspec.field(default=None, name="$type")


_TOP_LEVEL = msgspec.json.Decoder(_TopLevel)
