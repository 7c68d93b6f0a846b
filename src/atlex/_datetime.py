"""Lexicon ``datetime`` strings: the exact check, and helpers to read and write them.

Datetimes stay strings in generated types (the spec asks for round-trip fidelity, and Python's
``datetime`` cannot hold year 0 or more than microseconds); these helpers convert on request.
"""

from __future__ import annotations

import datetime as _dt
import re

__all__ = [
    "datetime_problem",
    "format_datetime",
    "is_lenient_datetime",
    "is_valid_datetime",
    "now",
    "parse_datetime",
]

# The reference's strict regex (reference-behaviour §4.2), over ASCII digits only.
_DATETIME_RE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>0[1-9]|1[012])-(?P<d>[0-2][0-9]|3[01])"
    r"T(?P<h>[01][0-9]|2[0-3]):(?P<mi>[0-5][0-9]):(?P<s>[0-5][0-9]|60)(?:\.(?P<f>[0-9]+))?"
    r"(?P<tz>Z|(?P<sign>[+-])(?P<th>[01][0-9]|2[0-3]):(?P<tm>[0-5][0-9]))"
)
_MAX_LENGTH = 64
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(year: int) -> bool:
    # Proleptic Gregorian, as the reference's Date uses: year 0 is a leap year.
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def datetime_problem(value: str) -> str | None:
    """Why ``value`` is not a Lexicon datetime, or None when it is one."""
    if len(value) > _MAX_LENGTH:
        return f"longer than {_MAX_LENGTH} characters"
    m = _DATETIME_RE.fullmatch(value)
    if m is None:
        return _shape_problem(value)
    if value.endswith("-00:00"):
        return "the offset -00:00 is not allowed (use Z or +00:00)"
    year, month, day = int(m["y"]), int(m["mo"]), int(m["d"])
    days = 29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month - 1]
    if not 1 <= day <= days:
        return f"day {day} does not exist in {year:04d}-{month:02d}"
    if m["s"] == "60":  # the reference's Date parser rejects leap seconds
        return "second 60 is not accepted"
    if year == 0 and month == 1 and day == 1 and m["sign"] == "+":
        # Only a positive offset early on the first day of year 0 reaches back before it.
        offset = int(m["th"]) * 60 + int(m["tm"])
        if int(m["h"]) * 60 + int(m["mi"]) < offset:
            return "normalises to a time before year 0"
    return None


_LOOSE_RE = re.compile(
    r"[0-9]{4}-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})T(?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2})"
    r"(?:\.[0-9]+)?(?:Z|[+-](?P<th>[0-9]{2}):(?P<tm>[0-9]{2}))"
)
_ZONE_RE = re.compile(r".*(?:Z|[+-][0-9]{2}:[0-9]{2})")


def _shape_problem(value: str) -> str:
    """A precise reason for a value that fails the strict regex (only on the error path)."""
    loose = _LOOSE_RE.fullmatch(value)
    if loose is not None:
        for group, name, high in (
            ("mo", "month", 12),
            ("d", "day", 31),
            ("h", "hour", 23),
            ("mi", "minute", 59),
            ("s", "second", 60),
            ("th", "offset hours", 23),
            ("tm", "offset minutes", 59),
        ):
            field = loose[group]
            low = 1 if group in ("mo", "d") else 0
            if field is not None and not low <= int(field) <= high:
                return f"{name} {field} is out of range"
    if _ZONE_RE.fullmatch(value) is None:
        return "must end with a timezone: upper-case Z or a ±HH:MM offset"
    return "not YYYY-MM-DDTHH:MM:SS[.fraction] with Z or a ±HH:MM offset"


def is_valid_datetime(value: str) -> bool:
    """True when ``value`` is a Lexicon datetime (strict regex plus a real calendar check)."""
    return datetime_problem(value) is None


# The reference's lenient mode (data that was read) also accepts what its ISO-8601 checker
# (`iso-datestring-validator`) accepts; in practice: no timezone (older clients wrote
# `2023-08-26T12:19:50.226623`), minutes-only time, a lower-case `z`, and `+HHMM` / `+HH` offsets.
_LENIENT_RE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>0[1-9]|1[012])-(?P<d>[0-2][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]+)?)?"
    r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?"
)


def is_lenient_datetime(value: str) -> bool:
    """True when ``value`` passes the reference's lenient datetime rule (used when reading):
    a Lexicon datetime, or an ISO-8601 date and time with a real calendar date whose timezone
    may be missing."""
    if is_valid_datetime(value):
        return True
    if len(value) > _MAX_LENGTH:
        return False
    m = _LENIENT_RE.fullmatch(value)
    if m is None:
        return False
    year, month, day = int(m["y"]), int(m["mo"]), int(m["d"])
    return 1 <= day <= (29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month - 1])


def parse_datetime(value: str) -> _dt.datetime:
    """Parse a Lexicon datetime into an aware :class:`datetime.datetime` in its own offset.

    Strict: anything :func:`atlex.syntax.is_valid_datetime` rejects raises ``ValueError``.
    Fractions beyond microseconds are truncated. Year 0 is valid Lexicon but has no Python
    ``datetime``; it raises ``ValueError`` saying so.
    """
    problem = datetime_problem(value)
    if problem is not None:
        raise ValueError(f"invalid datetime {value!r}: {problem}")
    m = _DATETIME_RE.fullmatch(value)
    assert m is not None  # datetime_problem matched it
    if m["y"] == "0000":
        raise ValueError(f"datetime {value!r} is in year 0, which Python's datetime cannot hold")
    if m["tz"] == "Z":
        tz = _dt.UTC
    else:
        delta = _dt.timedelta(hours=int(m["th"]), minutes=int(m["tm"]))
        tz = _dt.timezone(-delta if m["sign"] == "-" else delta)
    fraction = (m["f"] or "")[:6].ljust(6, "0")
    return _dt.datetime(
        int(m["y"]),
        int(m["mo"]),
        int(m["d"]),
        int(m["h"]),
        int(m["mi"]),
        int(m["s"]),
        int(fraction),
        tzinfo=tz,
    )


def format_datetime(value: _dt.datetime) -> str:
    """Format an aware datetime the way the reference writes them: UTC, exactly three
    fractional digits (truncated, never rounded up into the next second), and ``Z``.

    A naive datetime raises ``ValueError``: its meaning depends on the machine's zone.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "cannot format a naive datetime: give it a timezone "
            "(e.g. datetime.now(timezone.utc) or dt.replace(tzinfo=timezone.utc))"
        )
    utc = value.astimezone(_dt.UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def now() -> str:
    """The current time as a Lexicon datetime string, e.g. ``2026-11-27T04:31:07.123Z``."""
    return format_datetime(_dt.datetime.now(_dt.UTC))
