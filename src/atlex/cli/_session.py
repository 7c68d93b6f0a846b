"""``atlex login``, ``atlex whoami``, ``atlex logout``: a stored ``PasswordSession`` (or, after
``atlex login --oauth``, an ``OAuthSession``: see ``_oauth``).

The session lives in ``_session_store.SessionStore`` (mode 0600). Every command that uses it
saves refreshed tokens back (``on_updated``) and forgets it when the server ended it
(``on_deleted``). Tokens and the password are never printed: they are registered with
``_errors.redact``, which every message and every JSON output passes through.
One job (the stored session's commands), a little over 400 lines with their help texts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import click

from atlex.cli._errors import (
    EXIT_CODES_HELP,
    CliError,
    ExitCode,
    redact,
    register_secrets,
    xrpc_failure,
)
from atlex.cli._oauth import DEFAULT_SCOPE, forget_current, has_current
from atlex.cli._session_store import CONFIG_DIR_ENV, SessionStore, SessionStoreError

if TYPE_CHECKING:
    from atlex.oauth import OAuthSession
    from atlex.session import PasswordSession, SessionData

__all__ = [
    "PASSWORD_ENV",
    "SERVICE_ENV",
    "login_command",
    "logout_command",
    "open_session",
    "whoami_command",
]

PASSWORD_ENV = "ATLEX_PASSWORD"
SERVICE_ENV = "ATLEX_SERVICE"
AUTH_FACTOR_ENV = "ATLEX_AUTH_FACTOR_TOKEN"
DEFAULT_SERVICE = "https://bsky.social"


def _store() -> SessionStore:
    return SessionStore()


def _load(store: SessionStore) -> SessionData:
    try:
        data = store.load()
    except SessionStoreError as exc:
        raise CliError(
            str(exc), hint="run `atlex login` to replace it", code=ExitCode.AUTH
        ) from None
    if store.tightened:
        click.echo(f"note: {store.path} was readable by others; made it private (0600)", err=True)
    if data is None:
        raise CliError(
            "not logged in",
            hint="run `atlex login HANDLE` first (or pass --service URL for a public call)",
            code=ExitCode.AUTH,
        )
    register_secrets((data.access_jwt, data.refresh_jwt))
    return data


def _saver(store: SessionStore) -> Callable[[SessionData], None]:
    def save(data: SessionData) -> None:
        register_secrets((data.access_jwt, data.refresh_jwt))
        try:
            store.save(data)
        except SessionStoreError as exc:  # a hook must not raise: say it, keep going
            click.echo(f"warning: {exc}; the refreshed session is not saved", err=True)

    return save


def open_session(store: SessionStore | None = None) -> PasswordSession | OAuthSession:
    """The stored session as a ``PasswordSession`` that keeps the file up to date, or the
    current ``OAuthSession`` after ``atlex login --oauth``."""
    from atlex.session import PasswordSession

    if store is None and has_current():
        from atlex.cli._oauth import open_oauth_session

        return open_oauth_session()
    store = store or _store()
    data = _load(store)
    return PasswordSession(
        data,
        on_updated=_saver(store),
        on_deleted=lambda _data: store.remove(),
    )


def _save_or_fail(store: SessionStore, data: SessionData) -> None:
    try:
        store.save(data)
    except SessionStoreError as exc:
        raise CliError(
            str(exc),
            hint=f"make the folder writable, or point {CONFIG_DIR_ENV} elsewhere",
            code=ExitCode.FAILED,
        ) from None


@click.command("login", epilog=EXIT_CODES_HELP)
@click.argument("identifier", required=False)
@click.option(
    "--service",
    envvar=SERVICE_ENV,
    default=DEFAULT_SERVICE,
    show_default=True,
    help=f"Where to log in: your PDS or entryway (env {SERVICE_ENV}).",
)
@click.option(
    "--password-env",
    default=PASSWORD_ENV,
    show_default=True,
    metavar="NAME",
    help="Environment variable to read the password from; when it is unset you are asked.",
)
@click.option(
    "--auth-factor-token",
    envvar=AUTH_FACTOR_ENV,
    help=f"The code the server emailed you, when it asks for one (env {AUTH_FACTOR_ENV}).",
)
@click.option(
    "--oauth",
    is_flag=True,
    help="Sign in with OAuth in your browser instead of a password (the redirect comes back "
    "to this command on 127.0.0.1).",
)
@click.option(
    "--scope",
    default=DEFAULT_SCOPE,
    show_default=True,
    help="With --oauth: the OAuth scopes to ask for.",
)
@click.option(
    "--plc-url",
    envvar="ATLEX_PLC_URL",
    default="https://plc.directory",
    show_default=True,
    help="With --oauth: PLC directory for did:plc documents (env ATLEX_PLC_URL).",
)
@click.option(
    "--dns-server",
    "dns_servers",
    multiple=True,
    envvar="ATLEX_DNS_SERVER",
    metavar="ADDR[:PORT]",
    help="With --oauth: DNS server for handle lookups (env ATLEX_DNS_SERVER). Default: the "
    "system's resolver.",
)
@click.option(
    "--allow-http",
    is_flag=True,
    envvar="ATLEX_OAUTH_ALLOW_HTTP",
    hidden=True,
    help="With --oauth: accept http:// servers (a local development PDS only).",
)
@click.option("--no-browser", is_flag=True, help="With --oauth: only print the sign-in URL.")
def login_command(
    identifier: str | None,
    service: str,
    password_env: str,
    auth_factor_token: str | None,
    oauth: bool,
    scope: str,
    plc_url: str,
    dns_servers: tuple[str, ...],
    allow_http: bool,
    no_browser: bool,
) -> None:
    """Log in with a handle (or DID, or email) and a password, and keep the session.

    Use an app password (Settings > App passwords), not your main password. The password is
    read from $ATLEX_PASSWORD when set (for scripts), otherwise asked for without echo.
    It is never stored; only the session tokens are, in session.json in your config folder
    (~/.config/atlex on Linux; $ATLEX_CONFIG_DIR overrides it), readable by you only.
    `atlex whoami`, `atlex call` and `atlex logout` use that session.

    With --oauth you sign in in your browser instead (no password here); the OAuth session
    is kept in oauth-sessions.json beside it.

    \b
    Examples:
      atlex login alice.bsky.social
      atlex login --oauth alice.bsky.social
      ATLEX_PASSWORD=xxxx-xxxx-xxxx-xxxx atlex login alice.example.com --service https://pds.example.com
    """
    from atlex.errors import LexAuthFactorError
    from atlex.session import PasswordSession

    if oauth:
        _oauth_login(identifier, scope, plc_url, dns_servers, allow_http, not no_browser)
        return
    if not identifier:
        identifier = str(click.prompt("Handle, DID or email")).strip()
    problem = identifier_problem(identifier)
    if problem is not None:  # checked here: the server would only say "wrong password"
        raise CliError(
            problem,
            hint="a handle looks like alice.bsky.social (no @); a DID or the account's email "
            "works too",
            code=ExitCode.USAGE,
        )
    password = os.environ.get(password_env) or ""
    if not password:
        password = str(click.prompt(f"Password for {identifier}", hide_input=True))
    if not password:
        raise CliError("no password given", hint="type it when asked", code=ExitCode.USAGE)
    register_secrets([password])
    store = _store()
    try:
        session = PasswordSession.login(
            service=service,
            identifier=identifier,
            password=password,
            auth_factor_token=auth_factor_token,
        )
    except LexAuthFactorError:
        raise CliError(
            f"{service} wants the sign-in code it just emailed to the account's address",
            hint="run the same command again with --auth-factor-token CODE",
            code=ExitCode.AUTH,
        ) from None
    except (ValueError, TypeError) as exc:
        raise CliError(
            f"cannot log in: {exc}", hint="check --service and the handle", code=ExitCode.USAGE
        ) from None
    except Exception as exc:
        raise _login_failure(exc, service) from None
    try:
        data = session.session
        register_secrets((data.access_jwt, data.refresh_jwt))
        _save_or_fail(store, data)
    finally:
        session.close()
    forget_current()  # the password session is the current one now
    click.echo(f"logged in as {data.handle} ({data.did}) on {data.service}")
    click.echo(f"session saved to {store.path}", err=True)


def _oauth_login(
    identifier: str | None,
    scope: str,
    plc_url: str,
    dns_servers: tuple[str, ...],
    allow_http: bool,
    open_browser: bool,
) -> None:
    from atlex.cli._oauth import oauth_login

    if not identifier:
        identifier = str(click.prompt("Handle or DID")).strip()
    session = oauth_login(
        identifier,
        scope=scope,
        plc_url=plc_url,
        dns_servers=dns_servers,
        allow_http=allow_http,
        open_browser=open_browser,
    )
    _store().remove()  # the OAuth session is the current one now
    click.echo(f"logged in as {identifier} ({session.did}) with OAuth, scope {session.scope}")


def identifier_problem(identifier: str) -> str | None:
    """Why ``identifier`` is neither a handle, a DID nor an email (None: it is one of them),
    in the words ``atlex call`` uses for an at-identifier parameter."""
    from atlex.syntax import check_format

    local, at, domain = identifier.partition("@")
    if at and local and "." in domain and " " not in identifier:  # an email: the server decides
        return None
    if identifier.startswith("@") and check_format("at-identifier", identifier[1:]) is None:
        return f"invalid at-identifier {identifier!r}: drop the leading @: {identifier[1:]}"
    problem = check_format("at-identifier", identifier)
    return None if problem is None else f"{problem} ({identifier!r})"


def _login_failure(exc: Exception, service: str) -> CliError:
    from atlex.errors import XrpcResponseError

    if isinstance(exc, XrpcResponseError) and exc.status == 401:
        return CliError(
            f"{service} refused the login: {exc.message}",
            hint="check the handle and the password (an app password works too)",
            code=ExitCode.AUTH,
        )
    return xrpc_failure(exc, f"login to {service}")


@click.command("whoami", epilog=EXIT_CODES_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
def whoami_command(as_json: bool) -> None:
    """Show the logged-in account, as the server sees it (refreshing the session if needed)."""
    from atlex import Client
    from atlex.session import SessionData as SessionDataType
    from atlex.session import extract_pds_endpoint

    session = open_session()  # not `with`: leaving that block would log out
    try:
        answer: Any = Client(session).call("com.atproto.server.getSession")
        data = session.session
    except Exception as exc:
        raise xrpc_failure(exc, "com.atproto.server.getSession") from None
    finally:
        session.close()
    info = cast("dict[str, Any]", answer) if isinstance(answer, dict) else {}
    if isinstance(data, SessionDataType):
        shown: dict[str, Any] = {
            "handle": info.get("handle", data.handle),
            "did": info.get("did", data.did),
            "service": data.service,
            "pds": extract_pds_endpoint(data.did_doc) or data.service,
        }
    else:  # OAuth
        shown = {
            "handle": info.get("handle"),
            "did": info.get("did", data.did),
            "service": data.issuer,
            "pds": data.pds,
            "oauth": data.scope,
        }
    for key in ("email", "emailConfirmed", "active", "status"):
        if key in info:
            shown[key] = info[key]
    if as_json:
        click.echo(redact(json.dumps(shown, indent=2, ensure_ascii=False)))
        return
    width = max(len(key) for key in shown)
    for key, value in shown.items():
        click.echo(redact(f"{key:<{width}}  {_text(value)}"))


def _text(value: object) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


@click.command("logout", epilog=EXIT_CODES_HELP)
@click.option(
    "--local",
    is_flag=True,
    help="Only forget the stored session here, without telling the server (e.g. offline).",
)
def logout_command(local: bool) -> None:
    """End the session on the server and forget it here."""
    if has_current():
        _oauth_logout(local)
        return
    store = _store()
    if local:
        removed = store.remove()
        click.echo("forgot the stored session" if removed else "not logged in")
        return
    try:
        data = store.load()
    except SessionStoreError:
        data = None
    if data is None:
        removed = store.remove()  # an unreadable file is worth removing too
        click.echo("forgot an unreadable session file" if removed else "not logged in")
        return
    register_secrets((data.access_jwt, data.refresh_jwt))
    session = open_session(store)
    try:
        session.logout()
    except Exception as exc:
        failure = xrpc_failure(exc, "logout")
        failure.hint = (
            "retry when the server is reachable, or `atlex logout --local` to only forget it here"
        )
        raise failure from None
    finally:
        session.close()
    store.remove()
    click.echo(f"logged out {data.handle}")


def _oauth_logout(local: bool) -> None:
    from atlex.cli._oauth import open_oauth_session

    if local:
        forget_current()
        click.echo("forgot the current OAuth session")
        return
    session = open_oauth_session()
    did = session.did
    try:
        session.logout()  # revokes the tokens and removes them from the store
    except Exception as exc:
        failure = xrpc_failure(exc, "logout")
        failure.hint = (
            "retry when the server is reachable, or `atlex logout --local` to only forget it here"
        )
        raise failure from None
    forget_current()
    click.echo(f"logged out {did} (OAuth tokens revoked)")
