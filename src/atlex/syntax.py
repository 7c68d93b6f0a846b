"""Exact validators for the Lexicon string formats (did, handle, nsid, at-uri, cid, ...).

Each ``is_valid_*`` is a fast yes/no check (an anchored regex plus length limits where the spec
has them); :func:`check_format` is what generated validation calls: it returns ``None`` for a
valid value and otherwise a short reason such as ``"invalid handle: ..."``.

The rules follow the AT Protocol specs as the interop test vectors pin them down (see
``reference-behaviour.md`` §4.2 and §6). Inputs are never stripped: whitespace is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from atlex._cid import CidError, ParsedCid, parse_cid
from atlex._datetime import datetime_problem, is_valid_datetime

__all__ = [
    "FORMATS",
    "FORMAT_NAMES",
    "CidError",
    "ParsedCid",
    "check_format",
    "is_valid_at_identifier",
    "is_valid_at_uri",
    "is_valid_cid",
    "is_valid_datetime",
    "is_valid_did",
    "is_valid_handle",
    "is_valid_language",
    "is_valid_nsid",
    "is_valid_record_key",
    "is_valid_tid",
    "is_valid_uri",
    "parse_cid",
]

# --- did ---------------------------------------------------------------------------------

_DID_MAX = 2048
_DID_RE = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]")


def is_valid_did(value: str) -> bool:
    """``did:method:identifier``: lower-case method, restricted identifier characters, no
    trailing ``:`` or ``%``, at most 2048 characters. Unknown methods are valid syntax."""
    return len(value) <= _DID_MAX and _DID_RE.fullmatch(value) is not None


def _did_problem(value: str) -> str:
    if len(value) > _DID_MAX:
        return f"longer than {_DID_MAX} characters"
    if not value.startswith("did:"):
        return 'must start with "did:"'
    method, sep, ident = value[4:].partition(":")
    if not sep or re.fullmatch(r"[a-z]+", method) is None:
        return "the method must be lower-case letters followed by ':'"
    if not ident:
        return "the identifier after the method is empty"
    if ident[-1] in ":%":
        return f"must not end with {ident[-1]!r}"
    return "the identifier may only hold letters, digits and . _ : % -"


# --- handle ------------------------------------------------------------------------------

_HANDLE_MAX = 253
_HANDLE_RE = re.compile(
    r"([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
)
_LABEL_RE = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")


def is_valid_handle(value: str) -> bool:
    """A DNS name of at least two labels, at most 253 characters, TLD not starting with a
    digit. Reserved TLDs (``.test``, ``.invalid``, ...) are valid syntax."""
    return len(value) <= _HANDLE_MAX and _HANDLE_RE.fullmatch(value) is not None


def _handle_problem(value: str) -> str:
    if len(value) > _HANDLE_MAX:
        return f"longer than {_HANDLE_MAX} characters"
    labels = value.split(".")
    if len(labels) < 2:
        return "needs at least two dot-separated labels"
    for label in labels:
        if _LABEL_RE.fullmatch(label) is None:
            return (
                f"label {label!r} must be 1-63 ASCII letters, digits or hyphens, "
                "not starting or ending with a hyphen"
            )
    return "the last label must not start with a digit"


# --- at-identifier -----------------------------------------------------------------------


def is_valid_at_identifier(value: str) -> bool:
    """A DID or a handle."""
    if value.startswith("did:"):
        return is_valid_did(value)
    return is_valid_handle(value)


def _at_identifier_problem(value: str) -> str:
    if value.startswith("did:"):
        return f"not a DID ({_did_problem(value)})"
    return f"neither a DID nor a handle ({_handle_problem(value)})"


# --- nsid --------------------------------------------------------------------------------

_NSID_MAX = 317
_NSID_RE = re.compile(
    r"[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+"
    r"\.[a-zA-Z][a-zA-Z0-9]{0,62}"
)


def is_valid_nsid(value: str) -> bool:
    """A reversed domain authority plus a name: at least three segments of 1-63 characters,
    at most 317 characters in all; the name is letters and digits, not starting with a digit.
    (The interop vectors accept an authority longer than 253 characters, so that DNS limit
    is not applied here.)"""
    return len(value) <= _NSID_MAX and _NSID_RE.fullmatch(value) is not None


def _nsid_problem(value: str) -> str:
    if len(value) > _NSID_MAX:
        return f"longer than {_NSID_MAX} characters"
    segments = value.split(".")
    if len(segments) < 3:
        return "needs at least three dot-separated segments"
    name = segments[-1]
    if re.fullmatch(r"[a-zA-Z][a-zA-Z0-9]{0,62}", name) is None:
        return f"the name {name!r} must be 1-63 letters and digits, starting with a letter"
    if not segments[0][:1].isalpha():
        return "the first segment must start with a letter"
    return (
        "authority segments must be 1-63 ASCII letters, digits or hyphens, "
        "not starting or ending with a hyphen"
    )


# --- record-key and tid ------------------------------------------------------------------

_RECORD_KEY_RE = re.compile(r"[a-zA-Z0-9_~.:-]{1,512}")
_TID_RE = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")


def is_valid_record_key(value: str) -> bool:
    """1-512 characters from ``A-Za-z0-9 _ ~ . : -``, but not ``.`` or ``..``."""
    return _RECORD_KEY_RE.fullmatch(value) is not None and value != "." and value != ".."


def _record_key_problem(value: str) -> str:
    if value in (".", ".."):
        return f"{value!r} is not allowed"
    if not 1 <= len(value) <= 512:
        return "must be 1-512 characters"
    return "may only hold letters, digits and _ ~ . : -"


def is_valid_tid(value: str) -> bool:
    """13 characters of base32-sortable, top bit clear (first character ``2``-``j``)."""
    return _TID_RE.fullmatch(value) is not None


def _tid_problem(value: str) -> str:
    if len(value) != 13:
        return "must be exactly 13 characters"
    if _TID_RE.fullmatch("2" + value[1:]) is not None:
        return "the first character must be one of 234567abcdefghij (top bit clear)"
    return "may only hold the base32-sortable characters 234567a-z (lower case)"


# --- at-uri (the restricted Lexicon form) ------------------------------------------------

_AT_URI_MAX = 8 * 1024


def is_valid_at_uri(value: str) -> bool:
    """``at://AUTHORITY[/COLLECTION[/RKEY]]``: authority a DID or handle, collection an NSID,
    record key a record-key. No query, fragment or trailing slash; at most 8 KiB."""
    return _at_uri_problem(value) is None


def _at_uri_problem(value: str) -> str | None:
    if len(value) > _AT_URI_MAX:
        return f"longer than {_AT_URI_MAX} characters"
    if not value.startswith("at://"):
        return 'must start with "at://"'
    parts = value[5:].split("/")
    if len(parts) > 3:
        return "too many path segments (at most collection and record key)"
    if not is_valid_at_identifier(parts[0]):
        return f"the authority is {_at_identifier_problem(parts[0])}"
    if len(parts) > 1 and not is_valid_nsid(parts[1]):
        return f"the collection {parts[1]!r} is not an NSID"
    if len(parts) > 2 and not is_valid_record_key(parts[2]):
        return f"the record key {parts[2]!r} is not valid"
    return None


# --- cid ---------------------------------------------------------------------------------

_CID_RE = re.compile(r"[a-zA-Z0-9+=]{8,256}")
# Multibase prefixes whose alphabets fit the character set above.
_MULTIBASE_PREFIXES = frozenset("079fFvVtTbBcChkKzZmMpuU")


def is_valid_cid(value: str) -> bool:
    """A CID string in the syntax Lexicon accepts: 8-256 characters of ``[A-Za-z0-9+=]``
    starting with a multibase prefix; CIDv0 (``Qm…``) is not allowed. The blessed base32
    form (``b…``) is fully parsed and must be canonical; other multibase forms are checked
    for syntax only (the interop vectors list synthetic ones as valid)."""
    return _cid_problem(value) is None


def _cid_problem(value: str) -> str | None:
    if _CID_RE.fullmatch(value) is None:
        if not 8 <= len(value) <= 256:
            return "must be 8-256 characters"
        return "may only hold ASCII letters, digits, '+' and '='"
    if value.startswith("Qm"):
        return "CIDv0 is not allowed"
    if value[0] not in _MULTIBASE_PREFIXES:
        return f"{value[0]!r} is not a multibase prefix"
    if value[0] == "b":
        try:
            parse_cid(value)
        except CidError as exc:
            return str(exc)
    return None


# --- datetime ----------------------------------------------------------------------------
# is_valid_datetime and its reasons live in atlex._datetime, beside the parse/format helpers.

# --- language ----------------------------------------------------------------------------

# RFC 5646 "well-formed" (the reference's regex, in Python's named-group syntax).
_LANGUAGE_RE = re.compile(
    r"(?P<grandfathered>(en-GB-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|"
    r"i-mingo|i-navajo|i-pwn|i-tao|i-tay|i-tsu|sgn-BE-FR|sgn-BE-NL|sgn-CH-DE)|"
    r"(art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang))|"
    r"((?P<language>([A-Za-z]{2,3}(-(?P<extlang>[A-Za-z]{3}(-[A-Za-z]{3}){0,2}))?)|"
    r"[A-Za-z]{4}|[A-Za-z]{5,8})"
    r"(-(?P<script>[A-Za-z]{4}))?"
    r"(-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(-(?P<variant>[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(-(?P<extension>[0-9A-WY-Za-wy-z](-[A-Za-z0-9]{2,8})+))*"
    r"(-(?P<privateUseA>[xX](-[A-Za-z0-9]{1,8})+))?)|"
    r"(?P<privateUseB>[xX](-[A-Za-z0-9]{1,8})+)"
)
_PRIMARY_RE = re.compile(r"[a-z]{2,3}")


def is_valid_language(value: str) -> bool:
    """A well-formed BCP 47 tag (RFC 5646) whose primary language subtag is 2-3 lower-case
    letters, with no repeated variant or extension singleton subtag."""
    return _language_problem(value) is None


def _language_problem(value: str) -> str | None:
    m = _LANGUAGE_RE.fullmatch(value)
    if m is None:
        return "not a well-formed BCP 47 tag"
    if m["language"] is None:  # grandfathered or private-use only: nothing more to check
        return None
    if _PRIMARY_RE.fullmatch(value.split("-", 1)[0]) is None:
        return "the primary language subtag must be 2-3 lower-case letters"
    # RFC 5646 §2.2.9: a variant or an extension singleton must not repeat (case-insensitive).
    variants: set[str] = set()
    singletons: set[str] = set()
    for subtag in value.lower().split("-")[1:]:
        if len(subtag) == 1:
            if subtag == "x":  # private use: anything may follow
                break
            if subtag in singletons:
                return f"extension singleton {subtag!r} is repeated"
            singletons.add(subtag)
        elif not singletons and (len(subtag) >= 5 or (len(subtag) == 4 and subtag[0].isdigit())):
            if subtag in variants:
                return f"variant subtag {subtag!r} is repeated"
            variants.add(subtag)
    return None


# --- uri ---------------------------------------------------------------------------------

_URI_MAX = 8 * 1024
# JavaScript's \s (whitespace as the reference judges it) plus the other ASCII control
# characters, which RFC 3986 never allows in a URI.
_WS = r"\x00-\x20\x7f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_URI_RE = re.compile(rf"[A-Za-z][A-Za-z0-9+.-]*:(?://)?[^{_WS}/][^{_WS}]*")


def is_valid_uri(value: str) -> bool:
    """A generic URI: an RFC 3986 scheme, ``:``, then a non-empty rest without whitespace or
    control characters; at most 8 KiB."""
    return len(value) <= _URI_MAX and _URI_RE.fullmatch(value) is not None


def _uri_problem(value: str) -> str:
    if len(value) > _URI_MAX:
        return f"longer than {_URI_MAX} characters"
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value) is None:
        return "must start with a scheme (a letter, then letters, digits, + . -) and ':'"
    return "needs something after the scheme, and no whitespace or control characters"


# --- the table generated validation uses -------------------------------------------------

FORMATS: Mapping[str, Callable[[str], bool]] = MappingProxyType(
    {
        "at-identifier": is_valid_at_identifier,
        "at-uri": is_valid_at_uri,
        "cid": is_valid_cid,
        "datetime": is_valid_datetime,
        "did": is_valid_did,
        "handle": is_valid_handle,
        "language": is_valid_language,
        "nsid": is_valid_nsid,
        "record-key": is_valid_record_key,
        "tid": is_valid_tid,
        "uri": is_valid_uri,
    }
)
"""Lexicon format name -> validator."""

FORMAT_NAMES: frozenset[str] = frozenset(FORMATS)
"""Every string format the Lexicon language defines."""

_REASONS: Mapping[str, Callable[[str], str | None]] = MappingProxyType(
    {
        "at-identifier": _at_identifier_problem,
        "at-uri": _at_uri_problem,
        "cid": _cid_problem,
        "datetime": datetime_problem,
        "did": _did_problem,
        "handle": _handle_problem,
        "language": _language_problem,
        "nsid": _nsid_problem,
        "record-key": _record_key_problem,
        "tid": _tid_problem,
        "uri": _uri_problem,
    }
)


def check_format(format_name: str, value: object) -> str | None:
    """``None`` when ``value`` is a valid ``format_name`` string, else a short reason such as
    ``"invalid handle: label 'a_b' must be ..."``. An unknown format name raises
    ``ValueError`` (generated code only emits the names in :data:`FORMAT_NAMES`)."""
    validator = FORMATS.get(format_name)
    if validator is None:
        raise ValueError(f"unknown Lexicon string format {format_name!r}")
    if not isinstance(value, str):
        return f"invalid {format_name}: expected a string, got {type(value).__name__}"
    if validator(value):
        return None
    reason = _REASONS[format_name](value) or "not valid"
    return f"invalid {format_name}: {reason}"
