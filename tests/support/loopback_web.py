"""Test helpers for identity over real sockets on 127.0.0.1.

* ``WebServer``: an HTTP server on 127.0.0.1 answering from a dict ``(host, path) -> (status,
  content type, body)``; the host is the request's ``Host`` name without port (``*`` matches any).
* ``HostRoutes``: an httpx transport (sync and async) that sends ``https://<name>/…`` to the
  ``http://127.0.0.1:<port>`` given for that name, keeping ``Host: <name>`` — how a test reaches
  ``https://alice.test/.well-known/atproto-did`` on a local PDS. Unknown names fail like a host
  that does not exist, so nothing but loopback is ever contacted.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx

Page = tuple[int, str, bytes]


class WebServer:
    def __init__(self) -> None:
        self.pages: dict[tuple[str, str], Page] = {}
        self.requests: list[tuple[str, str]] = []
        pages, requests = self.pages, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
                requests.append((host, self.path))
                page = pages.get((host, self.path)) or pages.get(("*", self.path))
                status, ctype, body = page or (404, "text/plain", b"not found")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> WebServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class HostRoutes(httpx.BaseTransport, httpx.AsyncBaseTransport):
    def __init__(self, routes: dict[str, str] | None = None) -> None:
        self.routes: dict[str, str] = dict(routes or {})
        """host name -> ``http://127.0.0.1:<port>``"""
        self._sync = httpx.HTTPTransport()
        self._async = httpx.AsyncHTTPTransport()

    def _rewrite(self, request: httpx.Request) -> None:
        name = request.url.host
        if request.url.scheme == "http" and name in ("127.0.0.1", "localhost"):
            return  # already loopback
        target = self.routes.get(name)
        if target is None:
            raise httpx.ConnectError(f"[test] no route to {name}", request=request)
        origin = httpx.URL(target)
        request.url = request.url.copy_with(scheme="http", host=origin.host, port=origin.port)
        request.headers["Host"] = name

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._rewrite(request)
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._rewrite(request)
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()
