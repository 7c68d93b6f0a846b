"""A scripted websocket server on 127.0.0.1 for the stream drivers' tests: each connection
plays the next script (send frames, pause, close, refuse the upgrade) and the requested paths
are recorded (so a test sees the cursor a reconnect asked for)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve

Step = tuple[str, Any]  # ("send", bytes) | ("sleep", seconds) | ("close", code)


@dataclass
class Script:
    connections: list[list[Step]]
    refuse: tuple[int, str] | None = None  # answer the upgrade with (status, body) instead
    paths: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)


def _handler(script: Script) -> Any:
    def handle(ws: ServerConnection) -> None:
        assert ws.request is not None
        script.paths.append(ws.request.path)
        index = len(script.paths) - 1
        steps = script.connections[index] if index < len(script.connections) else [("sleep", 30)]
        for action, arg in steps:
            if action == "send":
                ws.send(arg)
            elif action == "sleep":
                deadline = time.monotonic() + arg
                while time.monotonic() < deadline and not script.done.is_set():
                    time.sleep(0.02)
            elif action == "close":
                ws.close(arg)
                return
        if index >= len(script.connections) - 1:
            script.done.wait(30)

    return handle


def _refuser(script: Script) -> Any:
    def process_request(conn: ServerConnection, request: Any) -> Any:
        if script.refuse is None:
            return None
        script.paths.append(request.path)
        status, body = script.refuse
        response = conn.respond(status, body)
        response.headers["Content-Type"] = "application/json"
        return response

    return process_request


@contextmanager
def scripted_server(script: Script) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a server playing ``script``; stopped on exit."""
    server: Server = serve(_handler(script), "127.0.0.1", 0, process_request=_refuser(script))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.socket.getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        script.done.set()
        server.shutdown()
        thread.join(5)
