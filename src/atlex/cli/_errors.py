"""Exit codes of the ``atlex`` command and the error that carries one plus what to do.

Every failure ends with ``Error: <what went wrong>`` and a ``hint:`` line on stderr, and one of
the exit codes below, so scripts can tell "the check failed" from "the network is down".
Nothing that could hold a token is printed: messages pass through :func:`redact`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from typing import IO, Any

import click

__all__ = ["EXIT_CODES_HELP", "CliError", "ExitCode", "redact", "xrpc_failure"]


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1
    """A check failed (``--ci``, ``--check``, ``verify``) or the command could not finish."""
    USAGE = 2
    """The command line is wrong (unknown option, bad value)."""
    AUTH = 3
    """Not logged in, wrong password, or the session has ended."""
    SERVER = 4
    """The server answered the call with an error."""
    UNREACHABLE = 5
    """A server (or DNS) could not be reached."""
    RESOLUTION = 6
    """A lexicon could not be resolved or is not valid."""


EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  a check failed (--ci, --check, verify) or the command could not finish
  2  wrong command line (and `gen --strict`: the lexicons have problems)
  3  not logged in, wrong password, or the session has ended
  4  the server answered with an error
  5  a server or DNS could not be reached
  6  a lexicon, handle or DID could not be resolved or is invalid"""


class CliError(click.ClickException):
    """``Error: message`` plus ``hint: what to do`` on stderr, then exit with ``code``."""

    def __init__(self, message: str, *, hint: str | None = None, code: ExitCode) -> None:
        super().__init__(redact(message))
        self.hint = redact(hint) if hint else None
        # click declares exit_code as a class variable; each instance carries its own here
        setattr(self, "exit_code", int(code))  # noqa: B010

    def format_message(self) -> str:
        return self.message + (f"\n  hint: {self.hint}" if self.hint else "")

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True, file=file)


# JWTs (three base64url parts, the first one a JSON header starting with '{"') and anything
# registered as a secret of this process are never shown.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_secrets: set[str] = set()


def register_secrets(values: Iterable[str]) -> None:
    """Values (tokens, passwords) that :func:`redact` removes from anything printed."""
    _secrets.update(v for v in values if len(v) >= 6)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "<redacted>")
    return _JWT.sub("<redacted>", text)


_AUTH_ERRORS = frozenset(
    {
        "AuthenticationRequired",
        "ExpiredToken",
        "InvalidToken",
        "AccountTakedown",
        "AuthMissing",
        "AuthFactorTokenRequired",
    }
)


def xrpc_failure(exc: Exception, what: str) -> CliError:
    """A :class:`CliError` for a failed XRPC call (``what`` names the call)."""
    from atlex.errors import (
        LexValidationError,
        XrpcError,
        XrpcFetchError,
        XrpcInternalError,
        XrpcProxyError,
        XrpcResponseError,
    )
    from atlex.session import LoggedOutError

    if isinstance(exc, LoggedOutError):
        return CliError(
            f"{what}: the session has ended", hint="run `atlex login` again", code=ExitCode.AUTH
        )
    if isinstance(exc, XrpcFetchError):
        return CliError(
            f"{what}: {exc.message}",  # says what failed and where
            hint="check the network and the service URL, then retry",
            code=ExitCode.UNREACHABLE,
        )
    if isinstance(exc, LexValidationError):
        return CliError(f"{what}: {exc.message}", hint="fix the argument", code=ExitCode.USAGE)
    if isinstance(exc, XrpcProxyError):
        return CliError(
            f"{what}: the server answered {exc.error}: {exc.message} (HTTP {exc.status})",
            hint="--proxy names a service this PDS cannot reach; on a local network use the "
            "AppView DID `make network-up` prints, or drop --proxy (a PDS forwards app.bsky.* "
            "to its own AppView)",
            code=ExitCode.USAGE,
        )
    if isinstance(exc, XrpcResponseError):
        if exc.status == 401 or exc.error in _AUTH_ERRORS:
            return CliError(
                f"{what}: {exc.error}: {exc.message} (HTTP {exc.status})",
                hint="log in again with `atlex login` (or check the password)",
                code=ExitCode.AUTH,
            )
        return CliError(
            f"{what}: the server answered {exc.error}: {exc.message} (HTTP {exc.status})",
            hint=_server_hint(exc.status),
            code=ExitCode.SERVER,
        )
    if isinstance(exc, XrpcInternalError) and isinstance(exc.__cause__, LexValidationError):
        return CliError(f"{what}: {exc.message}", hint="fix the argument", code=ExitCode.USAGE)
    if isinstance(exc, XrpcError):
        return CliError(
            f"{what}: {exc.error}: {exc.message}",
            hint="the server's answer was not usable; retry, or report it to its operator",
            code=ExitCode.SERVER,
        )
    return CliError(f"{what}: {exc}", hint="see the message above", code=ExitCode.FAILED)


def _server_hint(status: int) -> str:
    if status in (404, 501):
        return "this server does not implement that method; check the NSID or use --service/--proxy"
    if status >= 500 or status == 429:
        return "the server had a problem or is busy; retry later"
    return "check the parameters and input against the method's lexicon"
