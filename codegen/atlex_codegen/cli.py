"""The ``atlex`` command line."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
import msgspec

from atlex_codegen import lexicons as _lexicons
from atlex_codegen.cli_call import call_command
from atlex_codegen.cli_errors import EXIT_CODES_HELP
from atlex_codegen.cli_install import install_command
from atlex_codegen.cli_session import login_command, logout_command, whoami_command
from atlex_codegen.load import Catalog as _Catalog

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
      atlex lexicons install com.example.feed.post   # a published lexicon, by NSID

    \b
    Everyday tools (run `atlex COMMAND --help` for details):
      atlex login alice.bsky.social             # asks for an app password
      atlex whoami
      atlex call app.bsky.feed.getTimeline limit=5
      atlex logout
    """


@main.group("lexicons")
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


@main.command("gen")
@click.argument(
    "lexicon_dirs",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder the package is written under (e.g. src).",
)
@click.option(
    "--package",
    required=True,
    help="Dotted import name of the generated package (e.g. atlex.lex or mylex).",
)
@click.option(
    "--extern",
    "externs",
    multiple=True,
    metavar="PACKAGE",
    help="A package generated earlier whose types references may use instead of generating "
    "them again (repeatable). The bundled atlex.lex is used by default.",
)
@click.option(
    "--no-bundled",
    is_flag=True,
    help="Do not resolve references against the bundled upstream bindings (atlex.lex).",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the files on disk differ.")
@click.option("--strict", is_flag=True, help="Exit 2 if any lexicon problem was reported.")
@click.option("-q", "--quiet", is_flag=True, help="Print problems only, no summary.")
def gen(
    lexicon_dirs: tuple[Path, ...],
    out: Path,
    package: str,
    externs: tuple[str, ...],
    no_bundled: bool,
    check: bool,
    strict: bool,
    quiet: bool,
) -> None:
    """Generate typed msgspec bindings and call stubs from folders of Lexicon JSON.

    Every *.json below each LEXICON_DIR is read. Problems in documents (a def of an unknown
    type, a reference to nothing, a file path that disagrees with the id) are reported once
    each, naming the document, def and reason; everything else is still generated.

    References to the upstream lexicons (app.bsky.*, com.atproto.*, ...) resolve to the
    bindings bundled with atlex, so your types can embed theirs without regenerating them.

    \b
    Example:
      atlex gen lexicons/upstream --out src --package atlex.lex
      atlex gen ./lexicons --out . --package mylex --check   # in CI: fail on drift
    """
    from atlex_codegen.pipeline import ExternalError, generate, load_external
    from atlex_codegen.write import write_files

    if not all(part.isidentifier() for part in package.split(".")):
        raise click.BadParameter(f"{package!r} is not a dotted Python name", param_hint="--package")
    start = time.perf_counter()
    wanted = list(externs)
    if not no_bundled and package != "atlex.lex" and "atlex.lex" not in wanted:
        wanted.append("atlex.lex")
    externals: list[tuple[_Catalog, str]] = []
    for ext in wanted:
        if ext == package:
            raise click.BadParameter("a package cannot be its own --extern", param_hint="--extern")
        try:
            externals.append((load_external(ext), ext))
        except ExternalError as e:
            if ext == "atlex.lex" and ext not in externs:
                if not quiet:
                    click.echo(
                        f"note: bundled bindings unavailable ({e}); not using them", err=True
                    )
                continue
            raise click.BadParameter(str(e), param_hint="--extern") from None
    result = generate(list(lexicon_dirs), package, externals)
    for p in result.problems:
        click.echo(f"warning: {p}", err=True)
    written = write_files(result.files, out, package, check=check)
    if not quiet:
        click.echo(
            f"{result.documents} documents -> {result.modules} modules, {result.classes} "
            f"classes, {result.stubs} call stubs in {out / Path(*package.split('.'))} "
            f"({_elapsed(start)}; {len(written.written)} written, {len(written.removed)} removed, "
            f"{len(result.problems)} problems)",
            err=True,
        )
    if check and written.drift:
        for rel in written.written:
            click.echo(f"differs: {out / rel}", err=True)
        for rel in written.removed:
            click.echo(f"stale: {out / rel}", err=True)
        click.echo("generated files are out of date: run `atlex gen` without --check", err=True)
        sys.exit(1)
    if strict and result.problems:
        click.echo(f"--strict: {len(result.problems)} lexicon problems", err=True)
        sys.exit(2)


def _load_manifest_or_exit(manifest: Path) -> _lexicons.Manifest:
    try:
        return _lexicons.load_manifest(manifest)
    except _lexicons.LexiconSetError as e:
        raise click.ClickException(str(e)) from None


def _elapsed(start: float) -> str:
    return f"{time.perf_counter() - start:.2f}s"


# commands that live in their own modules
main.epilog = EXIT_CODES_HELP
lexicons_group.add_command(install_command)
for _command in (login_command, whoami_command, call_command, logout_command):
    main.add_command(_command)


if __name__ == "__main__":
    main()
