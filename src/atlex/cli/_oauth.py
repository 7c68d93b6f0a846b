"""``atlex login --oauth``: sign in with the browser (the loopback client, the redirect caught
on 127.0.0.1), keep the session in ``oauth-sessions.json`` (0600) in the config folder, and
remember which account is the current one in ``oauth-current.json``. Tokens are registered
with ``redact`` and never printed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from atlex.cli._errors import CliError, ExitCode, register_secrets
from atlex.cli._session_store import config_dir

if TYPE_CHECKING:
    from atlex.oauth import OAuthClient, OAuthSession, OAuthSessionData

__all__ = [
    "DEFAULT_SCOPE",
    "current_path",
    "forget_current",
    "has_current",
    "oauth_login",
    "open_oauth_session",
]

DEFAULT_SCOPE = "atproto transition:generic"


def current_path() -> Path:
    return config_dir() / "oauth-current.json"


def _store_path() -> Path:
    return config_dir() / "oauth-sessions.json"


def has_current() -> bool:
    return current_path().is_file()


def _write_current(did: str, scope: str, allow_http: bool) -> None:
    path = current_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump({"did": did, "scope": scope, "allowHttp": allow_http}, file)


def _read_current() -> dict[str, Any]:
    try:
        value: Any = json.loads(current_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        value = None
    if not isinstance(value, dict) or not isinstance(cast("dict[str, Any]", value).get("did"), str):
        raise CliError(
            f"{current_path()} is not readable",
            hint="run `atlex login --oauth HANDLE` again",
            code=ExitCode.AUTH,
        )
    return cast("dict[str, Any]", value)


def forget_current() -> bool:
    try:
        current_path().unlink()
    except FileNotFoundError:
        return False
    return True


def _register(data: OAuthSessionData) -> None:
    register_secrets(
        s for s in (data.access_token, data.refresh_token, data.dpop_key.get("d")) if s
    )


def _client(scope: str, allow_http: bool, resolver: Any = None) -> OAuthClient:
    from atlex.oauth import FileSessionStore, OAuthClient, loopback_metadata

    def saved(data: OAuthSessionData) -> None:
        _register(data)

    return OAuthClient(
        loopback_metadata(scope),
        session_store=FileSessionStore(_store_path()),
        resolver=resolver,
        allow_http=allow_http,
        on_updated=saved,
    )


def oauth_login(
    handle: str,
    *,
    scope: str,
    plc_url: str,
    dns_servers: tuple[str, ...],
    allow_http: bool,
    open_browser: bool,
) -> OAuthSession:
    """Sign ``handle`` in through the browser; the session is stored and made current."""
    from atlex.identity import IdentityResolver, ResolverOptions
    from atlex.oauth import OAuthError, sign_in_with_browser

    servers = tuple(part for item in dns_servers for part in item.split(",") if part)
    resolver = IdentityResolver(ResolverOptions(plc_url=plc_url, nameservers=servers))
    client = _client(scope, allow_http, resolver)

    def show(url: str) -> None:
        click.echo("Sign in in your browser; if it does not open, visit:", err=True)
        click.echo(url, err=True)
        if open_browser:
            click.launch(url)

    try:
        session = sign_in_with_browser(client, handle, open_url=show)
    except OAuthError as exc:
        raise CliError(
            f"sign-in failed: {exc.message}", hint="try again", code=ExitCode.AUTH
        ) from None
    except Exception as exc:
        from atlex.cli._errors import xrpc_failure

        raise xrpc_failure(exc, f"OAuth sign-in of {handle}") from None
    finally:
        resolver.close()
    _register(session.session)
    _write_current(session.did, scope, allow_http)
    return session


def open_oauth_session() -> OAuthSession:
    """The current OAuth session (restored from the store, refreshed when needed)."""
    from atlex.oauth import LoggedOutError

    current = _read_current()
    client = _client(str(current.get("scope") or DEFAULT_SCOPE), bool(current.get("allowHttp")))
    try:
        session = client.restore(str(current["did"]))
    except LoggedOutError:
        forget_current()
        raise CliError(
            "the OAuth session is gone", hint="run `atlex login --oauth HANDLE`", code=ExitCode.AUTH
        ) from None
    except Exception as exc:
        from atlex.cli._errors import xrpc_failure

        raise xrpc_failure(exc, "restoring the OAuth session") from None
    _register(session.session)
    return session
