"""``atlex firehose``: a repo event stream as one JSON line per event (atlex.streams)."""

from __future__ import annotations

import sys
from typing import Any

import click

from atlex.cli._errors import EXIT_CODES_HELP, CliError, ExitCode

__all__ = ["event_json", "firehose_command"]

PLC_URL_ENV = "ATLEX_PLC_URL"
DEFAULT_SERVICE = "https://bsky.network"


def event_json(event: Any, collections: tuple[str, ...]) -> dict[str, Any] | None:
    """The JSON line for ``event`` (None when ``collections`` filter it out: every event but a
    commit touching one of them).

    Commits show their ops with each record in the JSON form, not the CAR bytes."""
    import msgspec

    from atlex.streams import RepoCommit

    if not isinstance(event, RepoCommit):
        if collections:  # a collection filter keeps commits only
            return None
        return event if isinstance(event, dict) else msgspec.to_builtins(event)  # pyright: ignore[reportUnknownVariableType]
    ops = event.ops_in(*collections) if collections else event.operations
    if collections and not ops:
        return None
    line: dict[str, Any] = {
        "$type": event.LEX_TYPE,
        "seq": event.seq,
        "repo": event.repo,
        "rev": event.rev,
        "since": event.since,
        "time": event.time,
        "commit": event.commit.link,
        "ops": [
            {
                "action": op.action,
                "path": op.path,
                "cid": op.cid,
                "prev": op.prev,
                "record": op.value,
            }
            for op in ops
        ],
    }
    if event.too_big:
        line["tooBig"] = True
    return line


@click.command("firehose", epilog=EXIT_CODES_HELP)
@click.argument("service", default=DEFAULT_SERVICE, required=False)
@click.option(
    "--collection",
    "collections",
    multiple=True,
    metavar="NSID",
    help="Only commits touching this collection, and only those ops (repeatable); other "
    "events are left out.",
)
@click.option("--cursor", type=click.IntRange(min=0), help="Start after this seq (backfill).")
@click.option("--verify", is_flag=True, help="Check signatures and inductive proofs.")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many lines.")
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Consecutive failed reconnects before giving up.",
)
@click.option(
    "--plc-url",
    envvar=PLC_URL_ENV,
    default="https://plc.directory",
    show_default=True,
    help=f"The PLC directory for signing keys under --verify (env {PLC_URL_ENV}).",
)
def firehose_command(
    service: str,
    collections: tuple[str, ...],
    cursor: int | None,
    verify: bool,
    limit: int | None,
    max_retries: int,
    plc_url: str,
) -> None:
    """Print a PDS's or relay's com.atproto.sync.subscribeRepos stream, one JSON object per
    line: commits with their ops and records, identity, account and sync events, info.
    Reconnects by itself, resuming after the last seq printed. Under --verify a commit that
    fails is reported on stderr as a JSON line ({"error", "repo", "seq", "message"}) and left out.

    \b
      atlex firehose --collection app.bsky.feed.post
      atlex firehose https://pds.example --cursor 1200 --verify | jq .
    """
    import json

    from atlex.errors import XrpcResponseError
    from atlex.identity import IdentityResolver, ResolverOptions
    from atlex.streams import StreamConnectionError, VerificationError, subscribe_repos

    def report(error: VerificationError) -> None:
        body = {
            "error": error.error,
            "repo": error.repo,
            "seq": error.seq,
            "message": error.message,
        }
        click.echo(json.dumps(body), err=True)

    printed = 0
    try:
        with (
            IdentityResolver(ResolverOptions(plc_url=plc_url)) as resolver,
            subscribe_repos(
                service,
                cursor=cursor,
                verify=verify,
                resolver=resolver,
                on_invalid=report,
                max_retries=max_retries,
            ) as stream,
        ):
            for event in stream:
                line = event_json(event, collections)
                if line is None:
                    continue
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
                sys.stdout.flush()
                printed += 1
                if limit is not None and printed >= limit:
                    break
    except ValueError as exc:
        raise CliError(
            str(exc), hint="give an https:// (or http://) URL", code=ExitCode.USAGE
        ) from None
    except StreamConnectionError as exc:
        raise CliError(
            exc.message,
            hint=f"retry with --cursor {exc.cursor} to resume" if exc.cursor else None,
            code=ExitCode.UNREACHABLE,
        ) from None
    except XrpcResponseError as exc:
        raise CliError(f"{exc.error}: {exc.message}", code=ExitCode.SERVER) from None
    except KeyboardInterrupt:
        pass
