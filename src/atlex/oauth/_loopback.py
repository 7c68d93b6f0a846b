"""Sign in from a command-line tool: the loopback client, the user's browser, and a one-shot
HTTP server on 127.0.0.1 that catches the redirect (RFC 8252 §7.3)."""

from __future__ import annotations

import contextlib
import queue
import threading
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from atlex.oauth._client_meta import ClientMetadata
from atlex.oauth._errors import OAuthCallbackError
from atlex.oauth._sync import OAuthClient, OAuthSession

__all__ = ["LOOPBACK_REDIRECT", "loopback_metadata", "sign_in_with_browser"]

LOOPBACK_REDIRECT = "http://127.0.0.1/callback"
"""The loopback client's registered redirect; the port is chosen at sign-in (any is allowed)."""

_DONE_PAGE = (
    b"<!doctype html><meta charset=utf-8><title>atlex</title>"
    b"<p>Signed in. You can close this window and go back to the terminal.</p>"
)


def loopback_metadata(scope: str) -> ClientMetadata:
    """The loopback client every sign-in and restore of a command-line tool uses (its
    ``client_id`` must stay the same for the refresh tokens to keep working)."""
    return ClientMetadata.loopback(LOOPBACK_REDIRECT, scope=scope)


class _Catcher(HTTPServer):
    def __init__(self) -> None:
        self.params: queue.Queue[dict[str, str]] = queue.Queue(maxsize=1)
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/callback":
            self.send_error(404)
            return
        body = _DONE_PAGE
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        catcher = self.server
        assert isinstance(catcher, _Catcher)
        with contextlib.suppress(queue.Full):  # a second visit: the first one counts
            catcher.params.put_nowait(dict(parse_qsl(parts.query)))

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the query holds the authorization code: never log it


def sign_in_with_browser(
    client: OAuthClient,
    target: str,
    *,
    scope: str | None = None,
    open_url: Callable[[str], object] = webbrowser.open,
    timeout: float = 300.0,
) -> OAuthSession:
    """Open the authorization page for ``target`` (handle, DID or server URL) with
    ``open_url`` and wait up to ``timeout`` seconds for the redirect on 127.0.0.1.

    ``client`` should be made with :func:`loopback_metadata` (any loopback redirect works).
    """
    catcher = _Catcher()
    thread = threading.Thread(target=catcher.serve_forever, name="atlex-oauth-redirect")
    thread.daemon = True
    thread.start()
    try:
        registered = urlsplit(client.metadata.redirect_uris[0])
        port = catcher.server_address[1]
        redirect_uri = f"http://127.0.0.1:{port}{registered.path}"
        url = client.authorize(target, scope=scope, redirect_uri=redirect_uri)
        open_url(url)
        try:
            params = catcher.params.get(timeout=timeout)
        except queue.Empty:
            raise OAuthCallbackError(
                f"no sign-in came back within {timeout:.0f} s", error="timeout"
            ) from None
        return client.callback(params)
    finally:
        catcher.shutdown()
        catcher.server_close()
        thread.join(timeout=5)
