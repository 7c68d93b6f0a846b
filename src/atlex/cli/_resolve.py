"""``atlex resolve HANDLE|DID``: the verified identity of an account (atlex.identity)."""

from __future__ import annotations

import json
import os
import re

import click

from atlex.cli._errors import EXIT_CODES_HELP, CliError, ExitCode

__all__ = ["resolve_command"]

DNS_SERVER_ENV = "ATLEX_DNS_SERVER"
PLC_URL_ENV = "ATLEX_PLC_URL"


@click.command("resolve", epilog=EXIT_CODES_HELP)
@click.argument("identifier", metavar="HANDLE|DID")
@click.option("--json", "as_json", is_flag=True, help="Print the identity as one JSON object.")
@click.option(
    "--plc-url",
    envvar=PLC_URL_ENV,
    default="https://plc.directory",
    show_default=True,
    help=f"The PLC directory for did:plc (env {PLC_URL_ENV}).",
)
@click.option(
    "--dns-server",
    "dns_servers",
    multiple=True,
    metavar="ADDR[:PORT]",
    help=f"DNS server for the _atproto TXT lookup (repeatable; env {DNS_SERVER_ENV}, "
    "comma-separated). Default: the system's resolver.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds for each DNS lookup and HTTP request.",
)
def resolve_command(
    identifier: str, as_json: bool, plc_url: str, dns_servers: tuple[str, ...], timeout: float
) -> None:
    """Resolve a handle or DID to its verified identity: DID, handle ("handle.invalid" when
    the DID document and the handle do not point at each other), PDS and signing key.

    \b
      atlex resolve alice.bsky.social
      atlex resolve did:plc:ewvi7nxzyoun6zhxrhs64oiz --json
    """
    from atlex.errors import IdentityError, IdentityUnreachableError, InvalidIdentifierError
    from atlex.identity import IdentityResolver, ResolverOptions

    servers = dns_servers or tuple(
        t for t in re.split(r"[,\s]+", os.environ.get(DNS_SERVER_ENV, "")) if t
    )
    try:
        options = ResolverOptions(plc_url=plc_url, nameservers=servers, timeout=timeout)
    except ValueError as exc:
        raise CliError(str(exc), hint="see `atlex resolve --help`", code=ExitCode.USAGE) from None
    try:
        with IdentityResolver(options) as resolver:
            who = resolver.resolve(identifier)
    except InvalidIdentifierError as exc:
        raise CliError(
            str(exc.message),
            hint="a handle looks like alice.bsky.social, a DID like did:plc:… or did:web:…",
            code=ExitCode.USAGE,
        ) from None
    except IdentityUnreachableError as exc:
        raise CliError(
            exc.message,
            hint="check the network (or --dns-server / --plc-url), then retry",
            code=ExitCode.UNREACHABLE,
        ) from None
    except IdentityError as exc:
        raise CliError(
            f"{exc.error}: {exc.message}",
            hint="the handle or DID is not set up for atproto (see the reason above)",
            code=ExitCode.RESOLUTION,
        ) from None
    if as_json:
        click.echo(json.dumps(who.to_json(), indent=2))
        return
    handle = who.handle
    if not who.handle_is_valid:
        asked = None if identifier.startswith("did:") else identifier.removeprefix("@").lower()
        claimed = asked or who.document.handle
        if claimed:
            handle += f"  ({claimed} and the DID document do not point at each other)"
    key = who.signing_key
    click.echo(f"did:     {who.did}")
    click.echo(f"handle:  {handle}")
    click.echo(f"pds:     {who.pds}")
    click.echo(f"key:     {key.did_key} ({key.jwt_alg})")
