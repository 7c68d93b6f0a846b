"""What a cold start loads, observed in a fresh interpreter (the test process has imported
everything already): ``import atlex; atlex.Client(url)`` and the first typed decode load no
validation machinery; it loads with the first ``validate()``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

CLIENT = "import atlex\natlex.Client('http://127.0.0.1:2583')"
FIRST_DECODE = (
    "from atlex.lex.app.bsky.feed import get_timeline\n"
    "atlex.decode(b'{\"feed\": []}', get_timeline.Output)"
)
# Only `.validate()`, `validate_request` and `validate_response` need these (format regexes,
# grapheme tables: ~30 ms of a cold start). `msgspec.inspect` is not listed: `import msgspec`
# itself imports it.
VALIDATION = {
    "atlex._validate",
    "atlex._validate_fast",
    "atlex._validate_sure",
    "atlex._validate_values",
    "atlex._checks",
    "atlex.syntax",
    "atlex.datamodel",
    "ugrapheme",
}


def _modules_after(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    script = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    return set(out.stdout.split())


def test_import_and_client_load_only_what_a_client_needs() -> None:
    loaded = _modules_after(CLIENT)
    assert "atlex._ns" in loaded  # the client was made
    assert not (found := VALIDATION & loaded), sorted(found)
    # the decoder and the JSON writer (with the stdlib json) wait for the first decode
    assert not (found := {"atlex._tolerant", "atlex._wire", "json"} & loaded), sorted(found)
    assert "dataclasses" not in loaded  # only the record helpers and actions need it


def test_first_decode_loads_no_validation() -> None:
    loaded = _modules_after(f"{CLIENT}\n{FIRST_DECODE}")
    assert "atlex.lex.app.bsky.feed.defs" in loaded  # the decode built its types
    assert not (found := VALIDATION & loaded), sorted(found)
    assert "json" not in loaded  # the JSON writer needs it only for lone surrogates


def test_validate_loads_the_validators() -> None:
    loaded = _modules_after(f"{CLIENT}\n{FIRST_DECODE}.validate()")
    assert {"atlex._validate", "atlex.syntax"} <= loaded
