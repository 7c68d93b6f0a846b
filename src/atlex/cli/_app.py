"""The ``atlex`` click group; each command lives in its own module."""

from __future__ import annotations

import click

from atlex.cli._call import call_command
from atlex.cli._errors import EXIT_CODES_HELP
from atlex.cli._firehose import firehose_command
from atlex.cli._gen import gen_command
from atlex.cli._lexicons import lexicons_group
from atlex.cli._resolve import resolve_command
from atlex.cli._session import login_command, logout_command, whoami_command

__all__ = ["cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="atlex", prog_name="atlex")
def cli() -> None:
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
      atlex resolve alice.bsky.social         # DID, verified handle, PDS, signing key
      atlex firehose --collection app.bsky.feed.post   # the event stream, one JSON line each
    """


cli.epilog = EXIT_CODES_HELP
for _command in (
    gen_command,
    lexicons_group,
    login_command,
    whoami_command,
    call_command,
    logout_command,
    resolve_command,
    firehose_command,
):
    cli.add_command(_command)
