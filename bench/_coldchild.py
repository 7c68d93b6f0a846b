"""One cold start, run in a fresh interpreter by ``bench.coldstart``; prints one JSON line.

    python bench/_coldchild.py CONTENDER FIXTURE

Measures, from inside the process (interpreter start-up itself is the same for everyone):
``import`` + client construction, the modules that added, RSS after it; then the first typed
decode of the fixture (including the imports it triggers) and RSS after that.
Kept free of imports beyond what the interpreter has already loaded at start-up.
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any

PDS = "http://127.0.0.1:2583"  # never contacted: constructing a client makes no request
NSID = "app.bsky.feed.getTimeline"


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start(contender: str) -> Any:
    """Import the library and construct its client; return what the first decode needs."""
    if contender == "floor":
        import httpx
        import msgspec

        return (httpx, msgspec)
    if contender == "atlex":
        import atlex

        return atlex.Client(PDS)
    # the peers are not installed where the type checker runs: import them by name
    if contender == "atproto":
        atproto: Any = importlib.import_module("atproto")  # = from atproto import Client
        return atproto.Client(base_url=PDS)
    if contender == "lexrpc":
        lexrpc: Any = importlib.import_module("lexrpc")
        return lexrpc.Client(PDS)
    raise SystemExit(f"unknown contender {contender!r}")


def first_decode(contender: str, client: Any, body: bytes) -> object:
    if contender == "floor":
        import msgspec

        return msgspec.json.decode(body)
    if contender == "atlex":
        import atlex
        from atlex.lex.app.bsky.feed import get_timeline

        return atlex.decode(body, get_timeline.Output)
    if contender == "atproto":
        models: Any = importlib.import_module("atproto_client.models")
        utils: Any = importlib.import_module("atproto_client.models.utils")
        pydantic_core: Any = importlib.import_module("pydantic_core")
        return utils.get_or_create(
            pydantic_core.from_json(body), models.AppBskyFeedGetTimeline.Response, strict=True
        )
    if contender == "lexrpc":
        import json
        import logging

        logging.getLogger("lexrpc").disabled = True
        return client.validate(NSID, "output", json.loads(body))
    raise SystemExit(f"unknown contender {contender!r}")


def main() -> None:
    contender, fixture_path = sys.argv[1], sys.argv[2]
    with open(fixture_path, "rb") as file:
        body = file.read()
    modules_before = len(sys.modules)
    started = time.perf_counter()
    client = start(contender)
    import_s = time.perf_counter() - started
    modules_import = len(sys.modules) - modules_before
    rss_import = rss_mib()
    started = time.perf_counter()
    first_decode(contender, client, body)
    decode_s = time.perf_counter() - started
    print(
        "{"
        f'"import_ms": {import_s * 1e3:.3f}, "modules": {modules_import}, '
        f'"rss_import_mib": {rss_import:.2f}, "first_decode_ms": {decode_s * 1e3:.3f}, '
        f'"modules_total": {len(sys.modules) - modules_before}, "rss_decode_mib": {rss_mib():.2f}'
        "}"
    )


if __name__ == "__main__":
    main()
