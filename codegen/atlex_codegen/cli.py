"""The ``atlex`` command line."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
import msgspec

from atlex_codegen import lexicons as _lexicons

__all__ = ["main"]


def _default_manifest() -> Path:
    return Path("lexicons") / "lexicons.json"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "atlex" / "packages"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="atlex", prog_name="atlex")
def main() -> None:
    """atlex: a typed AT Protocol SDK generated from Lexicon schemas.

    \b
    Typical use:
      atlex lexicons pull                       # fetch the pinned lexicon sets
      atlex gen lexicons/upstream --out src --package atlex.lex
      atlex gen my-lexicons/ --out . --package mylex   # your own lexicons
    """


@main.group("lexicons")
def lexicons_group() -> None:
    """Fetch and check the pinned lexicon sets named in lexicons.json."""


@lexicons_group.command("pull")
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=_default_manifest,
    show_default="lexicons/lexicons.json",
    help="The manifest naming the sets; each set is written to a folder of its name beside it.",
)
@click.option("--set", "only", multiple=True, help="Pull only this set (repeatable).")
@click.option(
    "--update-pins",
    is_flag=True,
    help="Record the hashes of what is downloaded instead of checking them (after a version bump).",
)
def lexicons_pull(manifest: Path, only: tuple[str, ...], update_pins: bool) -> None:
    """Download the pinned sets and check their sha256 hashes.

    Fast when nothing changed: a set already on disk with matching hashes is left alone.
    A hash mismatch stops with an error and writes nothing.
    """
    m = _load_manifest_or_exit(manifest)
    unknown = set(only) - set(m.sets)
    if unknown:
        raise click.UsageError(f"no set named {', '.join(sorted(unknown))} in {manifest}")
    changed = False
    for name, spec in m.sets.items():
        if only and name not in only:
            continue
        try:
            new_spec, result = _lexicons.pull_set(
                name,
                spec,
                manifest.parent / name,
                _cache_dir(),
                update_pins=update_pins,
                log=lambda s: click.echo(s, err=True),
            )
        except _lexicons.LexiconSetError as e:
            raise click.ClickException(str(e)) from None
        if new_spec != spec:
            m.sets[name] = new_spec
            changed = True
        if result.skipped:
            click.echo(f"{name}: up to date ({result.documents} documents)", err=True)
    if changed:
        manifest.write_bytes(msgspec.json.format(msgspec.json.encode(m), indent=2) + b"\n")
        click.echo(f"updated pins in {manifest}", err=True)


@lexicons_group.command("verify")
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=_default_manifest,
    show_default="lexicons/lexicons.json",
)
def lexicons_verify(manifest: Path) -> None:
    """Check that every pulled set on disk matches its pinned content hash."""
    m = _load_manifest_or_exit(manifest)
    failed = False
    for name, spec in m.sets.items():
        try:
            _lexicons.verify_set(name, spec, manifest.parent / name)
            click.echo(f"{name}: ok ({spec.documents} documents)")
        except _lexicons.LexiconSetError as e:
            click.echo(f"error: {e}", err=True)
            failed = True
    if failed:
        sys.exit(1)


def _load_manifest_or_exit(manifest: Path) -> _lexicons.Manifest:
    try:
        return _lexicons.load_manifest(manifest)
    except _lexicons.LexiconSetError as e:
        raise click.ClickException(str(e)) from None


def _elapsed(start: float) -> str:
    return f"{time.perf_counter() - start:.2f}s"


if __name__ == "__main__":
    main()
