"""Figure 1: steady-state decode of a page, atlex beside the peers: the synthetic 100-item
timeline and the pages captured from the local AppView (``bench/capture.py``: a timeline, a
``getFollows`` page, a ``getPostThread`` answer).

Each contender turns the response bytes into what its users get:

* ``atlex``: ``atlex.decode(body, <nsid>.Output)``, the cached tolerant decoder the
  generated client uses; the records in ``unknown`` positions (``PostView.record``) stay
  unread JSON until touched (atlex._lazy);
* ``atlex, records read`` (pages with posts): the same, then every post's record read
  (``item.post.record``, the reply parent's and root's; every post of a thread), each decoded
  into its typed class: what a client showing the page pays, and the fair match for
  ``atproto``, which types every record eagerly;
* ``atproto``: what ``client.app.bsky.feed.get_timeline()`` (and the others) do after the
  request, ``pydantic_core.from_json`` then ``get_response_model`` / ``get_or_create`` into
  ``models.AppBskyFeedGetTimeline.Response``;
* ``lexrpc``: what ``Client.call`` does, ``json.loads`` then ``validate(nsid, "output", ...)``;
* ``json.loads`` and untyped ``msgspec.json.decode``: the floors.

Beside them, per page, ``validate()`` of the decoded page against its decode (what
``validate_response=True`` adds to a call), paired per round.
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
from atlex.lex.app.bsky.feed import get_post_thread, get_timeline
from atlex.lex.app.bsky.feed.defs import PostView, ThreadViewPost
from atlex.lex.app.bsky.graph import get_follows
from bench import fixture
from bench.stats import Samples, interleaved


def _read(view: PostView) -> int:
    record = view.record  # the first read decodes it into its typed class
    del record
    return 1


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
                read += _read(view)
    return read


def read_thread_records(page: get_post_thread.Output) -> int:
    """Read every post's record of a decoded thread: the anchor, its parents, every reply."""
    read = 0
    todo: list[object] = [page.thread]
    while todo:
        node = todo.pop()
        if isinstance(node, ThreadViewPost):
            read += _read(node.post)
            if not isinstance(node.parent, msgspec.UnsetType):
                todo.append(node.parent)
            if not isinstance(node.replies, msgspec.UnsetType):
                todo.extend(node.replies)
    return read


@dataclass(frozen=True)
class Page:
    """A kind of page the bench decodes: its output class, and how the peers name it."""

    nsid: str
    output: type[Any]
    atproto_model: str
    """The class under ``atproto_client.models`` whose ``Response`` the peer decodes into."""
    items: Callable[[Any], int]
    """How many items a page holds (for the row's label), from its untyped decode."""
    read: Callable[[Any], int] | None = None
    """Reads every record of the decoded page (lazy in atlex), when it has any."""
    noun: str = "item"

    @property
    def method(self) -> str:
        return self.nsid.rsplit(".", 1)[1]


def _count_thread(node: Any) -> int:
    replies: list[Any] = node.get("replies") or []
    return 1 + sum(_count_thread(reply) for reply in replies)


TIMELINE = Page(
    "app.bsky.feed.getTimeline",
    get_timeline.Output,
    "AppBskyFeedGetTimeline",
    lambda data: len(data["feed"]),
    read_records,
)
PAGES: dict[str, Page] = {
    "timeline": TIMELINE,
    "follows": Page(
        "app.bsky.graph.getFollows",
        get_follows.Output,
        "AppBskyGraphGetFollows",
        lambda data: len(data["follows"]),
        noun="follow",
    ),
    "thread": Page(
        "app.bsky.feed.getPostThread",
        get_post_thread.Output,
        "AppBskyFeedGetPostThread",
        lambda data: _count_thread(data["thread"]),
        read_thread_records,
        noun="post",
    ),
}
"""The captured pages (bench/capture.py names them), in the order the table shows them."""


def peer_available(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _atproto(page: Page) -> Callable[[bytes], object]:
    models: Any = importlib.import_module("atproto_client.models")
    get_or_create: Any = importlib.import_module("atproto_client.models.utils").get_or_create
    from_json: Any = importlib.import_module("pydantic_core").from_json
    response_model = getattr(models, page.atproto_model).Response

    def decode(body: bytes) -> object:
        return get_or_create(from_json(body), response_model, strict=True)

    return decode


def _lexrpc(page: Page) -> Callable[[bytes], object]:
    lexrpc: Any = importlib.import_module("lexrpc")
    # lexrpc logs an ERROR line per unknown union member; keep the records, drop the output
    logger = logging.getLogger("lexrpc")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    client = lexrpc.Client("http://127.0.0.1:1")

    def decode(body: bytes) -> object:
        return client.validate(page.nsid, "output", json.loads(body))

    return decode


def contenders(
    body: bytes, *, peers: bool = True, page: Page = TIMELINE
) -> dict[str, Callable[[], object]]:
    """Zero-argument callables, one per contender, each decoding ``body`` (a ``page``)."""
    output, read = page.output, page.read
    found: dict[str, Callable[[], object]] = {"atlex": lambda: atlex.decode(body, output)}
    if read is not None:
        found["atlex, records read"] = lambda: read(atlex.decode(body, output))
    if peers and peer_available("atproto_client"):
        atproto = _atproto(page)
        found["atproto"] = lambda: atproto(body)
    if peers and peer_available("lexrpc"):
        lexrpc = _lexrpc(page)
        found["lexrpc"] = lambda: lexrpc(body)
    found["json.loads"] = lambda: json.loads(body)
    found["msgspec untyped"] = lambda: msgspec.json.decode(body)
    return found


@dataclass(frozen=True)
class CapturedResult:
    """One page captured from the local AppView: its decode and its validate() figures."""

    label: str
    """e.g. ``99-item getTimeline``."""
    size: int
    decode: dict[str, Samples]
    validate: dict[str, Samples]
    """``validate()`` of the decoded page beside its decode, paired per round."""
    is_timeline: bool = False
    """The issue's decode goals are stated on the captured timeline."""


@dataclass(frozen=True)
class DecodeResult:
    items: int
    clean_bytes: int
    unknown_bytes: int
    unknown_embeds: int
    clean: dict[str, Samples]
    unknown: dict[str, Samples]
    validate: dict[str, Samples] | None = None
    """``validate()`` of the decoded synthetic timeline beside its decode (and the lossless
    decode that keeps unknown members, measured to justify the fast path for answers)."""
    captured: tuple[CapturedResult, ...] = ()
    """The same contenders on the pages captured from the local AppView (bench/capture.py)."""


def validate_contenders(
    body: bytes, *, lossless: bool = True, page: Page = TIMELINE
) -> dict[str, Callable[[], object]]:
    """Decode, validate (lenient, as ``validate_response=True`` does) and lossless decode.
    ``validate`` checks one decoded value again and again: nothing in it caches results."""
    output = page.output
    value = atlex.decode(body, output)
    value.validate(strict=False)  # the fixture must be valid, or the figure measures an error
    found: dict[str, Callable[[], object]] = {
        "decode": lambda: atlex.decode(body, output),
        "validate": lambda: value.validate(strict=False),
    }
    if lossless:
        found["lossless decode"] = lambda: atlex.decode(body, output, lossless=True)
    return found


def check_accepted(body: bytes, *, peers: bool = True, page: Page = TIMELINE) -> None:
    """Every contender must decode the fixture, or the figures compare different work."""
    for name, call in contenders(body, peers=peers, page=page).items():
        try:
            call()
        except Exception as exc:
            raise RuntimeError(f"{name} rejects the benchmark fixture: {exc}") from exc


def measure_captured(
    name: str, body: bytes, *, rounds: int, number: int | None = None, peers: bool = True
) -> CapturedResult:
    """Decode and validate() figures of one captured page (``name`` one of :data:`PAGES`)."""
    page = PAGES[name]
    check_accepted(body, peers=peers, page=page)
    return CapturedResult(
        label=f"{page.items(msgspec.json.decode(body))}-{page.noun} {page.method}",
        size=len(body),
        decode=interleaved(
            contenders(body, peers=peers, page=page), rounds=rounds, number=number, warmup=3
        ),
        validate=interleaved(
            validate_contenders(body, lossless=False, page=page),
            rounds=rounds,
            number=number,
            warmup=1,
        ),
        is_timeline=page is TIMELINE,
    )


def run(
    *,
    rounds: int,
    number: int | None = None,
    items: int = fixture.ITEMS,
    peers: bool = True,
    captured: dict[str, bytes] | None = None,
) -> DecodeResult:
    clean = fixture.build(items=items)
    unknown = fixture.build(items=items, unknown_share=0.1)
    check_accepted(clean, peers=peers)
    check_accepted(unknown, peers=peers)
    pages = captured or {}
    return DecodeResult(
        captured=tuple(
            measure_captured(name, pages[name], rounds=rounds, number=number, peers=peers)
            for name in PAGES
            if name in pages
        ),
        items=items,
        clean_bytes=len(clean),
        unknown_bytes=len(unknown),
        unknown_embeds=fixture.unknown_members(unknown),
        clean=interleaved(contenders(clean, peers=peers), rounds=rounds, number=number, warmup=3),
        unknown=interleaved(
            contenders(unknown, peers=peers), rounds=rounds, number=number, warmup=3
        ),
        validate=interleaved(validate_contenders(clean), rounds=rounds, number=number, warmup=1),
    )
