"""``atlex lexicons install``: the click command over :mod:`atlex_codegen.lexicons.install`
(imported when the command runs, like everything of the generator's)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from atlex.cli._errors import EXIT_CODES_HELP, CliError, ExitCode
from atlex.cli._extras import install_hint, missing_modules

if TYPE_CHECKING:
    from atlex_codegen.lexicons.lock import LockFile

__all__ = ["install_command"]

DNS_SERVER_ENV = "ATLEX_DNS_SERVER"
PLC_URL_ENV = "ATLEX_PLC_URL"


@click.command("install", epilog=EXIT_CODES_HELP)
@click.argument("lexicons", nargs=-1, metavar="[NSID|AT-URI]...")
@click.option(
    "--lock",
    "--manifest",
    "lock_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("lexicons.json"),
    show_default=True,
    help="The lock file (@atproto/lex's lexicons.json: roots, and the URI and CID of every "
    "document). Not the pinned-sets manifest of `lexicons pull`.",
)
@click.option(
    "--lexicons",
    "lexicons_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("lexicons"),
    show_default=True,
    help="Folder the documents are written to, as <folder>/com/example/thing.json.",
)
@click.option(
    "--ci",
    is_flag=True,
    help="Write no lock; exit 1 if the lock would change (documents missing on disk are "
    "restored when it does not).",
)
@click.option("--update", is_flag=True, help="Fetch every document again, even those on disk.")
@click.option("--no-save", is_flag=True, help="Do not write the lock file.")
@click.option(
    "--dns-server",
    "dns_servers",
    multiple=True,
    metavar="ADDR[:PORT]",
    help=f"DNS server for the _lexicon TXT lookups (repeatable; env {DNS_SERVER_ENV}, "
    "comma-separated). Default: the system's resolver.",
)
@click.option(
    "--plc-url",
    envvar=PLC_URL_ENV,
    default="https://plc.directory",
    show_default=True,
    help=f"PLC directory for did:plc documents (env {PLC_URL_ENV}).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds allowed for each DNS lookup and HTTP request.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr, only errors.")
def install_command(
    lexicons: tuple[str, ...],
    lock_path: Path,
    lexicons_dir: Path,
    ci: bool,
    update: bool,
    no_save: bool,
    dns_servers: tuple[str, ...],
    plc_url: str,
    timeout: float,
    quiet: bool,
) -> None:
    """Resolve lexicons by NSID over the network and lock the closed set.

    Each NSID is resolved as the Lexicon spec defines it: the DNS TXT record
    `did=<did>` at _lexicon.<authority> (com.example.feed.post -> _lexicon.feed.example.com),
    that DID's document, its PDS, and the com.atproto.lexicon.schema record named by the NSID.
    References are followed until the set is closed. Documents go under --lexicons, the lock
    to --lock. With no NSID, the roots in the lock are installed again (e.g. after a clone).

    \b
    Examples:
      atlex lexicons install com.example.feed.post
      atlex lexicons install at://did:plc:abc/com.atproto.lexicon.schema/com.example.feed.post
      atlex lexicons install --ci          # in CI: fail if the lock is out of date
      atlex lexicons install --update      # fetch everything again
    """
    if missing_modules(["dns"]):
        raise click.ClickException(install_hint("atlex lexicons install", ["dnspython"]))
    from atlex_codegen.lexicons.install import InstallError, install, write_documents
    from atlex_codegen.lexicons.lock import LockError, dump_lock, load_lock
    from atlex_codegen.lexicons.resolve import LexiconResolver, ResolutionError, ResolverConfig

    def log(text: str) -> None:
        if not quiet:
            click.echo(text, err=True)

    try:
        previous = load_lock(lock_path)
    except LockError as exc:
        raise CliError(
            str(exc), hint="fix the file or delete it to start afresh", code=ExitCode.FAILED
        ) from None
    if not lexicons and (previous is None or not previous.lexicons):
        raise CliError(
            f"nothing to install: no NSID given and no roots in {lock_path}",
            hint="name at least one lexicon, e.g. `atlex lexicons install com.example.feed.post`",
            code=ExitCode.USAGE,
        )
    config = ResolverConfig(
        plc_url=plc_url,
        dns_servers=_dns_servers(dns_servers),
        timeout=timeout,
        no_cache=update,
    )
    try:
        config.identity_options()  # checks the URL before anything is asked of the network
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--plc-url") from None
    roots = len(set(lexicons) | set(previous.lexicons if previous else ()))
    log(f"installing {roots} root lexicon(s) into {lexicons_dir} ...")
    try:
        with LexiconResolver(config) as resolver:
            result = install(lexicons, previous, lexicons_dir, resolver, update=update, log=log)
    except ResolutionError as exc:
        code = ExitCode.UNREACHABLE if exc.unreachable else ExitCode.RESOLUTION
        raise CliError(str(exc), hint=exc.hint, code=code) from None
    except InstallError as exc:
        code = ExitCode.USAGE if exc.bad_argument else ExitCode.FAILED
        raise CliError(str(exc), hint=exc.hint, code=code) from None

    new_bytes = dump_lock(result.lock)
    old_bytes = dump_lock(previous) if previous is not None else None
    changed = new_bytes != old_bytes
    if ci and changed:
        for line in _lock_diff(previous, result.lock):
            click.echo(line, err=True)
        raise CliError(
            f"{lock_path} is out of date: installing gives a different lock (nothing written)",
            hint="run `atlex lexicons install` without --ci and commit the lock and documents",
            code=ExitCode.FAILED,
        )
    written = write_documents(result.fetched.values(), lexicons_dir)
    total = len(result.lock.resolutions)
    log(
        f"{total} lexicon(s): {len(result.fetched)} fetched, {len(result.reused)} from disk, "
        f"{len(written)} file(s) written"
    )
    if ci:
        log(f"{lock_path} is up to date")
    elif no_save:
        log(f"lock not saved (--no-save){'; it would change' if changed else ''}")
    elif changed:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock_path.write_bytes(new_bytes)
        log(f"wrote {lock_path}")
    else:
        log(f"{lock_path} unchanged")


def _dns_servers(given: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    from atlex_codegen.lexicons.resolve import parse_dns_server

    texts = list(given) or [t for t in re.split(r"[,\s]+", os.environ.get(DNS_SERVER_ENV, "")) if t]
    try:
        return tuple(parse_dns_server(text) for text in texts)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--dns-server") from None


def _lock_diff(before: LockFile | None, after: LockFile) -> list[str]:
    from atlex_codegen.lexicons.lock import LockFile

    before = before or LockFile()
    lines: list[str] = []
    for nsid in sorted(set(after.lexicons) - set(before.lexicons)):
        lines.append(f"  new root: {nsid}")
    for nsid in sorted(set(before.lexicons) - set(after.lexicons)):
        lines.append(f"  root removed: {nsid}")
    for nsid in sorted(set(before.resolutions) | set(after.resolutions)):
        was, now = before.resolutions.get(nsid), after.resolutions.get(nsid)
        if was is None and now is not None:
            lines.append(f"  added: {nsid} {now.cid}")
        elif now is None and was is not None:
            lines.append(f"  no longer needed: {nsid}")
        elif was != now and was is not None and now is not None:
            what = "CID" if was.uri == now.uri else "URI"
            lines.append(f"  changed {what}: {nsid} {was.cid} -> {now.cid} ({now.uri})")
    return lines
