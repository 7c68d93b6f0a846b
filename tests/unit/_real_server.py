"""Serve a ``FakeAtproto`` over real sockets: one HTTP server for the entryway, one for the PDS.

Both listen on 127.0.0.1 on ports the OS picks, each in its own thread. Every request is turned
into an ``httpx.Request`` whose URL is the receiving server's base URL (so the fake tells the two
apart by port, and records which server got what), answered by ``FakeAtproto.handle``, and the
answer written back. Each connection serves one request (``Connection: close``), so no handler
thread outlives its answer and shutdown joins them all.

    with serve_fake_atproto() as fake:
        fake.add("alice")
        PasswordSession.login(service=fake.entryway, ...)   # default httpx client, real sockets
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast

import httpx
from _session_server import FakeAtproto

__all__ = ["FakeServerCrash", "serve_fake_atproto"]

_POLL_SECONDS = 0.05
"""How often a serving loop looks for a shutdown request (bounds the wait in shutdown())."""
_SOCKET_TIMEOUT_SECONDS = 10.0
"""A client that connects and never finishes its request cannot hold a handler (and close) forever."""
_NOT_FORWARDED = frozenset({"content-length", "transfer-encoding", "connection"})
"""Response headers this module writes itself (the body is always sent whole)."""


class FakeServerCrash(AssertionError):
    """``FakeAtproto.handle`` raised while answering: a bug in the fake or a malformed request."""


class _FakeHost(ThreadingHTTPServer):
    """One listening socket in front of a ``FakeAtproto``."""

    daemon_threads = False  # so server_close() joins every handler thread
    block_on_close = True
    request_queue_size = 128  # 50 callers connect at once: the default backlog of 5 drops SYNs

    def __init__(self, role: str) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.role = role
        self.fake: FakeAtproto | None = None
        self.crashes: list[BaseException] = []

    @property
    def base_url(self) -> str:
        host, port = cast("tuple[str, int]", self.server_address[:2])
        return f"http://{host}:{port}"


class _Relay(BaseHTTPRequestHandler):
    """Turns one HTTP request into a ``FakeAtproto.handle`` call and writes its answer back."""

    protocol_version = "HTTP/1.1"
    timeout = _SOCKET_TIMEOUT_SECONDS

    def do_GET(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def _relay(self) -> None:
        host = cast("_FakeHost", self.server)
        assert host.fake is not None, "serve_fake_atproto sets the fake before serving"
        request = httpx.Request(
            self.command,
            host.base_url + self.path,
            headers=[(name, value) for name, value in self.headers.items()],
            content=self._read_body(),
        )
        try:
            response = host.fake.handle(request)
        except httpx.TransportError:
            # the fake's "unreachable" (entryway_down, unknown host): hang up without answering
            self.close_connection = True
            return
        except Exception as exc:
            host.crashes.append(exc)
            self._answer(
                500,
                [("content-type", "application/json")],
                b'{"error":"InternalServerError","message":"the fake server crashed"}',
            )
            return
        self._answer(response.status_code, response.headers.multi_items(), response.read())

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            return self._read_chunked()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers: not used by anything here
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _NOT_FORWARDED:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet; the fake records every request in ``seen``


@contextmanager
def serve_fake_atproto() -> Generator[FakeAtproto, None, None]:
    """A ``FakeAtproto`` whose ``entryway`` and ``pds`` are live servers on 127.0.0.1.

    Leaving the block stops both serving loops, closes both sockets and joins every thread.
    Raises ``FakeServerCrash`` on exit if ``FakeAtproto.handle`` raised while answering (the
    client saw a 500), unless the block itself is already raising.
    """
    with ExitStack() as stack:
        entryway = _FakeHost("entryway")
        stack.callback(entryway.server_close)
        pds = _FakeHost("pds")
        stack.callback(pds.server_close)
        fake = FakeAtproto(entryway=entryway.base_url, pds=pds.base_url)
        for host in (entryway, pds):
            host.fake = fake
            loop = threading.Thread(
                target=host.serve_forever,
                kwargs={"poll_interval": _POLL_SECONDS},
                name=f"fake-{host.role}",
            )
            loop.start()
            # callbacks run last-in first-out: stop the loop, join it, then close the socket
            stack.callback(loop.join)
            stack.callback(host.shutdown)
        yield fake
        crashes = [(host.role, exc) for host in (entryway, pds) for exc in host.crashes]
        if crashes:
            role, first = crashes[0]
            raise FakeServerCrash(
                f"the fake {role} raised while answering: {first!r}"
                f" ({len(crashes)} crash(es) in all)"
            ) from first
