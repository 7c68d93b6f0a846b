"""Figure 4: what a generated call costs on top of the HTTP request it makes.

A local reference PDS (``tests/network/refnet.py`` ``LonePds``, 127.0.0.1 only) answers the
same two requests for every contender over a kept-alive connection:

* ``com.atproto.server.describeServer`` (tiny body: the overhead is most visible), and
* ``com.atproto.repo.getRecord`` of a post created for the run (a typical record read).

atlex's typed stubs (``Client`` and ``AsyncClient``) against raw ``httpx`` + ``json.loads`` for
the same URL, sync and async; the peers' sync clients on ``describeServer`` for context.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import atlex
from bench.decode import peer_available
from bench.stats import Samples, interleaved, interleaved_async

NETWORK_TESTS = Path(__file__).resolve().parents[1] / "tests" / "network"


@dataclass(frozen=True)
class Target:
    pds: str
    repo: str
    rkey: str


@dataclass(frozen=True)
class CallResult:
    sync: dict[str, dict[str, Samples]]  # request -> contender -> samples
    async_: dict[str, dict[str, Samples]]


@contextmanager
def local_pds() -> Generator[Target, None, None]:
    """A fresh PDS with one account holding one post."""
    if str(NETWORK_TESTS) not in sys.path:
        sys.path.insert(0, str(NETWORK_TESTS))
    refnet: Any = importlib.import_module("refnet")
    with refnet.LonePds() as network:
        account = network.create_account("bench")
        created = account.create_record(
            "app.bsky.feed.post",
            {
                "$type": "app.bsky.feed.post",
                "text": "a post for the call-overhead benchmark",
                "createdAt": "2026-01-01T00:00:00.000Z",
            },
        )
        rkey = str(created["uri"]).rsplit("/", 1)[-1]
        yield Target(pds=network.info.pds, repo=account.did, rkey=rkey)


RECORDED = " (recorded reply, no server)"


def recorded_transport(target: Target) -> httpx.MockTransport:
    """Serves the PDS's own answers to both requests from memory: what is left of a call is
    the client's work alone, the worst case for an SDK's relative overhead."""
    replies: dict[str, tuple[bytes, str]] = {}
    with httpx.Client() as http:
        for path, params in (
            ("/xrpc/com.atproto.server.describeServer", None),
            ("/xrpc/com.atproto.repo.getRecord", _record_params(target)),
        ):
            answer = http.get(target.pds + path, params=params).raise_for_status()
            replies[path] = (answer.content, answer.headers["content-type"])

    def handler(request: httpx.Request) -> httpx.Response:
        body, content_type = replies[request.url.path]
        return httpx.Response(200, content=body, headers={"content-type": content_type})

    return httpx.MockTransport(handler)


def _record_params(target: Target) -> dict[str, str]:
    return {"repo": target.repo, "collection": "app.bsky.feed.post", "rkey": target.rkey}


def sync_contenders(
    target: Target, *, peers: bool, transport: httpx.MockTransport | None = None
) -> tuple[dict[str, dict[str, Callable[[], object]]], Callable[[], None]]:
    """Per request, the contenders; and a function closing their connections. With
    ``transport``, atlex and raw httpx get their answers from it (the peers sit that out)."""
    client = atlex.Client(target.pds, transport=transport)
    raw = httpx.Client(transport=transport)
    describe_url = f"{target.pds}/xrpc/com.atproto.server.describeServer"
    record_url = f"{target.pds}/xrpc/com.atproto.repo.getRecord"
    record_params = _record_params(target)
    server = client.com.atproto.server
    repo = client.com.atproto.repo

    describe: dict[str, Callable[[], object]] = {
        "atlex": lambda: server.describe_server(),
        "httpx + json.loads": lambda: json.loads(raw.get(describe_url).raise_for_status().content),
    }
    record: dict[str, Callable[[], object]] = {
        "atlex": lambda: repo.get_record(
            repo=target.repo, collection="app.bsky.feed.post", rkey=target.rkey
        ),
        "httpx + json.loads": lambda: json.loads(
            raw.get(record_url, params=record_params).raise_for_status().content
        ),
    }
    closers: list[Callable[[], object]] = [client.close, raw.close]
    peers = peers and transport is None
    if peers and peer_available("atproto"):
        atproto_client: Any = importlib.import_module("atproto").Client(base_url=target.pds)
        describe["atproto"] = lambda: atproto_client.com.atproto.server.describe_server()
    if peers and peer_available("lexrpc"):
        logging.getLogger("lexrpc").disabled = True
        lexrpc_client: Any = importlib.import_module("lexrpc").Client(target.pds)
        describe["lexrpc"] = lambda: lexrpc_client.com.atproto.server.describeServer()
        closers.append(lexrpc_client.requests_session.close)

    def close() -> None:
        for closer in closers:
            closer()

    suffix = "" if transport is None else RECORDED
    return {f"describeServer{suffix}": describe, f"getRecord{suffix}": record}, close


def async_run(
    target: Target,
    *,
    rounds: int,
    number: int | None,
    transport: httpx.MockTransport | None = None,
) -> dict[str, dict[str, Samples]]:
    describe_url = f"{target.pds}/xrpc/com.atproto.server.describeServer"
    record_url = f"{target.pds}/xrpc/com.atproto.repo.getRecord"
    record_params = _record_params(target)
    # clients are bound to the event loop of their first request, so each batch of figures
    # gets its own pair, created lazily inside the loop interleaved_async runs
    state: dict[str, Any] = {}

    def clients() -> tuple[atlex.AsyncClient, httpx.AsyncClient]:
        if not state:
            state["atlex"] = atlex.AsyncClient(target.pds, transport=transport)
            state["raw"] = httpx.AsyncClient(transport=transport)
        return state["atlex"], state["raw"]

    async def atlex_describe() -> object:
        return await clients()[0].com.atproto.server.describe_server()

    async def raw_describe() -> object:
        response = await clients()[1].get(describe_url)
        return json.loads(response.raise_for_status().content)

    async def atlex_record() -> object:
        return await clients()[0].com.atproto.repo.get_record(
            repo=target.repo, collection="app.bsky.feed.post", rkey=target.rkey
        )

    async def raw_record() -> object:
        response = await clients()[1].get(record_url, params=record_params)
        return json.loads(response.raise_for_status().content)

    suffix = "" if transport is None else RECORDED
    plans: dict[str, dict[str, Callable[[], Awaitable[object]]]] = {
        f"describeServer{suffix}": {"atlex": atlex_describe, "httpx + json.loads": raw_describe},
        f"getRecord{suffix}": {"atlex": atlex_record, "httpx + json.loads": raw_record},
    }

    async def close() -> None:
        client, raw = clients()
        await client.aclose()
        await raw.aclose()
        state.clear()  # the next run has a new event loop

    return {
        request: interleaved_async(
            plan, rounds=rounds, number=number, batch_s=0.3, warmup=3, teardown=close
        )
        for request, plan in plans.items()
    }


def run(*, rounds: int, number: int | None = None, peers: bool = True) -> CallResult:
    sync: dict[str, dict[str, Samples]] = {}
    async_: dict[str, dict[str, Samples]] = {}
    with local_pds() as target:
        for transport in (None, recorded_transport(target)):
            plans, close = sync_contenders(target, peers=peers, transport=transport)
            try:
                for request, plan in plans.items():
                    sync[request] = interleaved(
                        plan, rounds=rounds, number=number, batch_s=0.3, warmup=3
                    )
            finally:
                close()
            async_.update(async_run(target, rounds=rounds, number=number, transport=transport))
    return CallResult(sync=sync, async_=async_)
