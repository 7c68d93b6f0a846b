"""Figure 1: steady-state decode of a 100-item timeline, atlex beside the peers.

Each contender turns the response bytes into what its users get:

* ``atlex``: ``atlex.decode(body, get_timeline.Output)``, the cached tolerant decoder the
  generated client uses; the records in ``unknown`` positions (``PostView.record``) stay
  unread JSON until touched (atlex._lazy);
* ``atlex, records read``: the same, then every post's record read (``item.post.record``,
  and the reply parent's and root's), each decoded into its typed class: what a client showing
  the timeline pays, and the fair match for ``atproto``, which types every record eagerly;
* ``atproto``: what ``client.app.bsky.feed.get_timeline()`` does after the request,
  ``pydantic_core.from_json`` then ``get_response_model`` / ``get_or_create`` into
  ``models.AppBskyFeedGetTimeline.Response``;
* ``lexrpc``: what ``Client.call`` does, ``json.loads`` then ``validate(nsid, "output", ...)``;
* ``json.loads`` and untyped ``msgspec.json.decode``: the floors.

Peers that are not installed are left out (the smoke test runs without them).
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

import atlex
from atlex.lex.app.bsky.feed import get_timeline
from atlex.lex.app.bsky.feed.defs import PostView
from bench import fixture
from bench.stats import Samples, interleaved

NSID = "app.bsky.feed.getTimeline"


def peer_available(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _atproto() -> Callable[[bytes], object]:
    models: Any = importlib.import_module("atproto_client.models")
    get_or_create: Any = importlib.import_module("atproto_client.models.utils").get_or_create
    from_json: Any = importlib.import_module("pydantic_core").from_json
    response_model = models.AppBskyFeedGetTimeline.Response

    def decode(body: bytes) -> object:
        return get_or_create(from_json(body), response_model, strict=True)

    return decode


def _lexrpc() -> Callable[[bytes], object]:
    lexrpc: Any = importlib.import_module("lexrpc")
    # lexrpc logs an ERROR line per unknown union member; keep the records, drop the output
    logger = logging.getLogger("lexrpc")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    client = lexrpc.Client("http://127.0.0.1:1")

    def decode(body: bytes) -> object:
        return client.validate(NSID, "output", json.loads(body))

    return decode


def read_records(page: get_timeline.Output) -> int:
    """Read every post's record of a decoded timeline page (decoding each lazily)."""
    read = 0
    for item in page.feed:
        posts = [item.post]
        reply = item.reply
        if not isinstance(reply, msgspec.UnsetType):
            posts += [reply.parent, reply.root]
        for view in posts:
            if isinstance(view, PostView):
                read += view.record is not None
    return read


def contenders(body: bytes, *, peers: bool = True) -> dict[str, Callable[[], object]]:
    """Zero-argument callables, one per contender, each decoding ``body``."""
    output = get_timeline.Output
    found: dict[str, Callable[[], object]] = {
        "atlex": lambda: atlex.decode(body, output),
        "atlex, records read": lambda: read_records(atlex.decode(body, output)),
    }
    if peers and peer_available("atproto_client"):
        atproto = _atproto()
        found["atproto"] = lambda: atproto(body)
    if peers and peer_available("lexrpc"):
        lexrpc = _lexrpc()
        found["lexrpc"] = lambda: lexrpc(body)
    found["json.loads"] = lambda: json.loads(body)
    found["msgspec untyped"] = lambda: msgspec.json.decode(body)
    return found


@dataclass(frozen=True)
class DecodeResult:
    items: int
    clean_bytes: int
    unknown_bytes: int
    unknown_embeds: int
    clean: dict[str, Samples]
    unknown: dict[str, Samples]
    captured: dict[str, Samples] | None = None
    """The same contenders on a response captured from the local AppView (bench/capture.py)."""
    captured_bytes: int = 0
    captured_items: int = 0
    validate: dict[str, Samples] | None = None
    """``validate()`` of the decoded synthetic timeline beside its decode (and the lossless
    decode that keeps unknown members, measured to justify the fast path for answers)."""
    captured_validate: dict[str, Samples] | None = None
    """``validate()`` of the decoded captured timeline beside its decode, paired per round."""


def validate_contenders(body: bytes, *, lossless: bool = True) -> dict[str, Callable[[], object]]:
    """Decode, validate (lenient, as ``validate_response=True`` does) and lossless decode.
    ``validate`` checks one decoded value again and again: nothing in it caches results."""
    output = get_timeline.Output
    value = atlex.decode(body, output)
    value.validate(strict=False)  # the fixture must be valid, or the figure measures an error
    found: dict[str, Callable[[], object]] = {
        "decode": lambda: atlex.decode(body, output),
        "validate": lambda: value.validate(strict=False),
    }
    if lossless:
        found["lossless decode"] = lambda: atlex.decode(body, output, lossless=True)
    return found


def check_accepted(body: bytes, *, peers: bool = True) -> None:
    """Every contender must decode the fixture, or the figures compare different work."""
    for name, call in contenders(body, peers=peers).items():
        try:
            call()
        except Exception as exc:
            raise RuntimeError(f"{name} rejects the benchmark fixture: {exc}") from exc


def run(
    *,
    rounds: int,
    number: int | None = None,
    items: int = fixture.ITEMS,
    peers: bool = True,
    captured: bytes | None = None,
) -> DecodeResult:
    clean = fixture.build(items=items)
    unknown = fixture.build(items=items, unknown_share=0.1)
    check_accepted(clean, peers=peers)
    check_accepted(unknown, peers=peers)
    captured_samples: dict[str, Samples] | None = None
    captured_validate: dict[str, Samples] | None = None
    if captured is not None:
        check_accepted(captured, peers=peers)
        captured_samples = interleaved(
            contenders(captured, peers=peers), rounds=rounds, number=number, warmup=3
        )
        captured_validate = interleaved(
            validate_contenders(captured, lossless=False), rounds=rounds, number=number, warmup=1
        )
    return DecodeResult(
        captured=captured_samples,
        captured_bytes=len(captured or b""),
        captured_items=len(msgspec.json.decode(captured)["feed"]) if captured else 0,
        items=items,
        clean_bytes=len(clean),
        unknown_bytes=len(unknown),
        unknown_embeds=fixture.unknown_members(unknown),
        clean=interleaved(contenders(clean, peers=peers), rounds=rounds, number=number, warmup=3),
        unknown=interleaved(
            contenders(unknown, peers=peers), rounds=rounds, number=number, warmup=3
        ),
        validate=interleaved(validate_contenders(clean), rounds=rounds, number=number, warmup=1),
        captured_validate=captured_validate,
    )
