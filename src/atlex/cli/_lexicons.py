"""``atlex lexicons pull | verify | install``: the pinned sets and published lexicons
(:mod:`atlex_codegen.lexicons`, imported when a command runs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
import msgspec

from atlex.cli._lexicons_install import install_command

if TYPE_CHECKING:
    from atlex_codegen.lexicons.sets import Manifest

__all__ = ["lexicons_group"]


def _default_manifest() -> Path:
    return Path("lexicons") / "lexicons.json"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "atlex" / "packages"


@click.group("lexicons")
def lexicons_group() -> None:
    """Fetch and check lexicons: pinned sets (pull, verify) or published ones (install)."""


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
    from atlex_codegen.lexicons import sets

    m = _load_manifest_or_exit(manifest)
    unknown = set(only) - set(m.sets)
    if unknown:
        raise click.UsageError(f"no set named {', '.join(sorted(unknown))} in {manifest}")
    changed = False
    for name, spec in m.sets.items():
        if only and name not in only:
            continue
        try:
            new_spec, result = sets.pull_set(
                name,
                spec,
                manifest.parent / name,
                _cache_dir(),
                update_pins=update_pins,
                log=lambda s: click.echo(s, err=True),
            )
        except sets.LexiconSetError as e:
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
    from atlex_codegen.lexicons import sets

    m = _load_manifest_or_exit(manifest)
    failed = False
    for name, spec in m.sets.items():
        try:
            sets.verify_set(name, spec, manifest.parent / name)
            click.echo(f"{name}: ok ({spec.documents} documents)")
        except sets.LexiconSetError as e:
            click.echo(f"error: {e}", err=True)
            failed = True
    if failed:
        sys.exit(1)


def _load_manifest_or_exit(manifest: Path) -> Manifest:
    from atlex_codegen.lexicons import sets

    try:
        return sets.load_manifest(manifest)
    except sets.LexiconSetError as e:
        raise click.ClickException(str(e)) from None


lexicons_group.add_command(install_command)
