"""``atlex gen``: lexicon folders -> a generated package (the generator is imported when the
command runs, so the rest of the command line works without it)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from atlex.cli._extras import install_hint, missing_modules

__all__ = ["gen_command"]


@click.command("gen")
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
def gen_command(
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
    if missing_modules(["jinja2"]):
        raise click.ClickException(install_hint("atlex gen", ["jinja2"]))
    from atlex_codegen.load import Catalog
    from atlex_codegen.naming import package_name_problem
    from atlex_codegen.pipeline import ExternalError, generate, load_external
    from atlex_codegen.write import write_files

    problem = package_name_problem(package)
    if problem is not None:
        raise click.BadParameter(problem, param_hint="--package")
    start = time.perf_counter()
    wanted = list(externs)
    if not no_bundled and package != "atlex.lex" and "atlex.lex" not in wanted:
        wanted.append("atlex.lex")
    externals: list[tuple[Catalog, str]] = []
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
    if result.documents == 0:  # nothing usable: writing an empty package would only hide it
        folders = ", ".join(str(d) for d in lexicon_dirs)
        raise click.ClickException(
            f"no usable lexicon documents in {folders}; nothing generated "
            '(a lexicon is a *.json file with "lexicon": 1, an "id" and "defs")'
        )
    written = write_files(result.files, out, package, check=check)
    if not quiet:
        click.echo(
            f"{result.documents} documents -> {result.modules} modules, {result.classes} "
            f"classes, {result.stubs} call stubs in {out / Path(*package.split('.'))} "
            f"({_elapsed(start)}; {written.summary()}, {len(result.problems)} problems)",
            err=True,
        )
    if check and written.drift:
        for line in written.listing(out):
            click.echo(line, err=True)
        click.echo("generated files are out of date: run `atlex gen` without --check", err=True)
        sys.exit(1)
    if strict and result.problems:
        click.echo(f"--strict: {len(result.problems)} lexicon problems", err=True)
        sys.exit(2)


def _elapsed(start: float) -> str:
    return f"{time.perf_counter() - start:.2f}s"
