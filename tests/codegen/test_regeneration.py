"""Regenerating after one lexicon field changed rewrites only the files whose content changed.

Each header carries a digest of its own file (not of the whole lexicon set), so users who commit
generated bindings get a diff of what changed, and ``--check`` names exactly those files.
"""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path
from typing import Any

from _codegen_support import LEXICONS, pulled_set

from atlex_codegen.header import untouched
from atlex_codegen.pipeline import generate
from atlex_codegen.write import write_files


def _edit(path: Path, change: Any) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2))


def _regenerate_after(
    tmp: Path, source: Path, package: str, rel: str, change: Any
) -> tuple[set[str], set[str], dict[str, int]]:
    """Generate, change one document, check, regenerate: (changed files, written, mtimes)."""
    lex = tmp / "lex"
    shutil.copytree(source, lex)
    out = tmp / "out"
    first = generate([lex], package)
    assert set(write_files(first.files, out, package).missing) == set(first.files)
    before = {p: (out / p).stat().st_mtime_ns for p in first.files}
    _edit(lex / rel, change)
    second = generate([lex], package)
    changed = {p for p in second.files if first.files.get(p) != second.files[p]}
    check = write_files(second.files, out, package, check=True)
    assert set(check.stale) == changed and not check.missing and not check.edited
    result = write_files(second.files, out, package)
    assert not result.removed
    untouched_files = {
        p for p in first.files if p not in changed and (out / p).stat().st_mtime_ns == before[p]
    }
    assert untouched_files == set(first.files) - changed, "an unchanged file was rewritten"
    return changed, set(result.written), before


def test_one_field_on_fixture_lexicons(tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["defs"]["main"]["parameters"]["properties"]["limit"]["maximum"] = 75

    changed, written, _ = _regenerate_after(
        tmp_path, LEXICONS / "features", "regen", "test/feature/query.json", change
    )
    assert changed == written == {"regen/test/feature/query.py", "regen/_lexicons.json"}


def test_one_field_on_the_upstream_set(tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        props = doc["defs"]["main"]["record"]["properties"]
        props["text"]["maxGraphemes"] = 500

    changed, written, before = _regenerate_after(
        tmp_path, pulled_set("upstream"), "up_regen", "app/bsky/feed/post.json", change
    )
    assert len(before) > 400
    assert changed == written == {"up_regen/app/bsky/feed/post.py", "up_regen/_lexicons.json"}
    # the manifest is pretty-printed: the change is a one-line diff, not one huge line
    out = tmp_path / "out" / "up_regen" / "_lexicons.json"
    lines = out.read_text().splitlines()
    assert len(lines) > 10_000
    assert json.loads(out.read_text())[0]["id"] < json.loads(out.read_text())[-1]["id"]


def test_manifest_is_sorted_and_pretty(tmp_path: Path) -> None:
    gen = generate([LEXICONS / "features"], "pretty")
    text = gen.files["pretty/_lexicons.json"]
    docs = json.loads(text)
    ids = [d["id"] for d in docs]
    assert ids == sorted(ids)
    assert text.startswith("[\n  {\n") and text.endswith("]\n")
    # the property order of each document is kept (it decides the generated field order)
    query = next(d for d in docs if d["id"] == "test.feature.query")
    source = json.loads((LEXICONS / "features/test/feature/query.json").read_text())
    assert list(query["defs"]["main"]["parameters"]["properties"]) == list(
        source["defs"]["main"]["parameters"]["properties"]
    )


def test_header_digest_is_of_the_file_itself() -> None:
    a = generate([LEXICONS / "features"], "hdr").files
    b = generate([LEXICONS / "features", LEXICONS / "hostile"], "hdr").files
    # a different lexicon set around it does not change a module's bytes
    same = "hdr/test/feature/query.py"
    assert a[same] == b[same]
    assert all(untouched(text) for path, text in a.items() if path.endswith(".py"))
    edited = a[same].replace("limit", "lim1t")
    assert not untouched(edited)
    diff = list(difflib.unified_diff(a[same].splitlines(), edited.splitlines(), lineterm=""))
    assert diff  # sanity: the edit changed the body


def test_check_tells_stale_from_edited_and_missing(tmp_path: Path) -> None:
    gen = generate([LEXICONS / "features"], "kinds")
    write_files(gen.files, tmp_path, "kinds")
    edited = tmp_path / "kinds/test/feature/query.py"
    edited.write_text(edited.read_text().replace("limit", "lim1t"))
    stale = tmp_path / "kinds/test/feature/record.py"
    stale_text = gen.files["kinds/test/feature/record.py"]
    # what an older generation (other lexicons) wrote: a consistent header, other content
    from atlex_codegen.header import stamp

    body = stale_text.split("\n", 2)[2]
    stale.write_text(stamp(body.replace("A record", "An older record")))
    missing = tmp_path / "kinds/test/feature/scalars.py"
    missing.unlink()
    gone = tmp_path / "kinds/test/feature/gone.py"
    gone.write_text(stamp("x = 1\n"))
    result = write_files(gen.files, tmp_path, "kinds", check=True)
    assert result.edited == ("kinds/test/feature/query.py",)
    assert result.stale == ("kinds/test/feature/record.py",)
    assert result.missing == ("kinds/test/feature/scalars.py",)
    assert result.removed == ("kinds/test/feature/gone.py",)
    assert result.summary() == "1 stale, 1 missing, 1 edited by hand, 1 to remove"
    assert "written" not in result.summary()
    listing = result.listing(tmp_path)
    assert f"stale: {stale}" in listing and f"edited by hand: {edited}" in listing
    assert f"missing: {missing}" in listing
    assert gone.exists() and not missing.exists()  # a check writes nothing
    done = write_files(gen.files, tmp_path, "kinds")
    assert done.summary() == "3 written, 1 removed"
    assert write_files(gen.files, tmp_path, "kinds", check=True).summary() == "all up to date"
