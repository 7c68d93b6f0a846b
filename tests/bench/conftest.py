"""Make the repository's ``bench`` package importable (``make bench`` runs it from the root)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))  # last: only `bench` is wanted from the root
