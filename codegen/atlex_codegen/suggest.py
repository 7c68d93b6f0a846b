""" "Did you mean ...?": the nearest spellings of a mistyped name among the valid ones."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean", "nearest"]


def nearest(word: str, choices: Iterable[str], *, limit: int = 3) -> list[str]:
    """Up to ``limit`` of ``choices`` closest to ``word`` (case ignored), best first."""
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(choice.casefold(), choice)
    found = difflib.get_close_matches(word.casefold(), list(by_folded), n=limit, cutoff=0.6)
    return [by_folded[f] for f in found]


def did_you_mean(word: str, choices: Iterable[str], *, list_all: bool = False) -> str:
    """`` (did you mean 'x'?)``, or with ``list_all`` and nothing near `` (valid: a, b, c)``."""
    pool = sorted(set(choices))
    close = nearest(word, pool)
    if close:
        return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
    if list_all and pool:
        return " (valid: " + ", ".join(pool) + ")"
    return ""
