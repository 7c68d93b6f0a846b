"""The reference itself: every text of the case table goes through ``@atproto/api``'s
``RichText`` (installed with the local network by ``make network-install``) and must give what
the table says and what atlex detects, byte for byte, with the same byte and grapheme lengths.
This guards the table against mistakes and atlex against drift in either implementation."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from richtext_cases import CASES, summarize

from atlex.datamodel import grapheme_len
from atlex.richtext import RichText

NETWORK = Path(__file__).resolve().parents[2] / "network"
NODE = NETWORK / "node22" / "node_modules" / "node" / "bin" / "node"
ORACLE = Path(__file__).with_name("upstream_oracle.mjs")


def _reference(texts: list[str]) -> list[dict[str, Any]]:
    assert NODE.is_file() and (NETWORK / "node_modules" / "@atproto" / "api").is_dir(), (
        "Node and @atproto/api are missing: run `make network-install`"
    )
    done = subprocess.run(
        [str(NODE), str(ORACLE), str(NETWORK)],
        input=json.dumps(texts),  # lone surrogates travel as \\udXXX escapes
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_table_and_atlex_agree_with_the_reference() -> None:
    texts = [text for text, _ in CASES]
    reference = _reference(texts)
    disagreements: list[str] = []
    for (text, expected), ref in zip(CASES, reference, strict=True):
        found = [(s, e, kind, value) for s, e, [kind, value] in ref["facets"]]
        rt = RichText(text)
        ours = summarize(rt.copy().detect_facets_without_resolution().facets)
        if found != expected:
            disagreements.append(f"table {text!r}: {expected} != reference {found}")
        if found != ours:
            disagreements.append(f"atlex {text!r}: {ours} != reference {found}")
        if (ref["bytes"], ref["graphemes"]) != (rt.byte_length, grapheme_len(text)):
            disagreements.append(f"lengths {text!r}: {rt.byte_length}, {rt.grapheme_length}")
    assert not disagreements, "\n".join(disagreements)
