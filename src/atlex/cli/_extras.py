"""What the command line needs beyond the runtime, and what to say when it is missing."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

__all__ = ["INSTALL_HINT", "install_hint", "missing_modules"]

INSTALL_HINT = "pip install 'atlex[cli]'"


def missing_modules(modules: Sequence[str]) -> list[str]:
    """The ones of ``modules`` that cannot be imported here."""
    return [name for name in modules if importlib.util.find_spec(name) is None]


def install_hint(what: str, missing: Sequence[str]) -> str:
    return (
        f"{what} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
        f"not installed. Install the command line's dependencies with: {INSTALL_HINT}"
    )
