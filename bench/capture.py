"""Pages captured from the local reference AppView, after seeding it: a ``getTimeline``
response, a ``getFollows`` page and a ``getPostThread`` answer (``bench/capture_graph.py``).

Starts the reference network (PLC, PDS, AppView on 127.0.0.1, ``tests/network/refnet.py``),
creates a viewer and five authors the viewer follows, and has the authors write ~100 feed
items: posts with facets (mentions, links, tags), image posts (1-4 images), link cards with a
thumbnail, quote posts, quotes with images (record-with-media), replies, reposts and
self-labelled posts; the viewer likes some of them. Then it reads the viewer's timeline (100
items, through the PDS, which proxies to the AppView) and keeps the exact response bytes.

Everything is written through raw XRPC (``refnet_xrpc``), independent of atlex.
What the real services cannot produce here: video views (no video service) and labels from a
labeler; the synthetic fixture (``bench/fixture.py``) covers those.

The bench keeps the pages in ``.cache/bench/captured-v<CAPTURE_VERSION>/`` and captures them
only when that folder is missing (bump ``CAPTURE_VERSION`` when what is seeded changes, so that
old caches are captured again):

    python -m bench.capture --out DIR      # capture into DIR (timeline.json, follows.json, ...)
"""

from __future__ import annotations

import argparse
import importlib
import random
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import capture_graph

ROOT = Path(__file__).resolve().parents[1]
NETWORK_TESTS = ROOT / "tests" / "network"
CAPTURE_VERSION = 2
"""Version 2: the follows page and the thread join the timeline."""
CAPTURED = ROOT / ".cache" / "bench" / f"captured-v{CAPTURE_VERSION}"
PAGES = ("timeline", "follows", "thread")
AUTHORS = 5
ITEMS = 100
SEED = 8
_WORDS = [
    "morning",
    "coffee",
    "river",
    "build",
    "ship",
    "typed",
    "schema",
    "union",
    "embed",
    "image",
    "link",
    "garden",
    "protocol",
    "network",
    "open",
    "social",
    "web",
    "lexicon",
    "feed",
    "timeline",
    "quote",
    "reply",
    "repost",
    "label",
]


def _harness() -> tuple[Any, Any]:
    if str(NETWORK_TESTS) not in sys.path:
        sys.path.insert(0, str(NETWORK_TESTS))
    return importlib.import_module("refnet"), importlib.import_module("refnet_xrpc")


class _Seeder:
    def __init__(self, xrpc: Any, viewer: Any, authors: list[Any]) -> None:
        self.xrpc = xrpc
        self.viewer = viewer
        self.authors = authors
        self.rng = random.Random(SEED)
        self.posts: list[tuple[Any, str, str]] = []  # (author, uri, cid)
        self.images: dict[str, dict[str, Any]] = {}  # author did -> blob ref

    def words(self, lo: int, hi: int) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(lo, hi)))

    def blob(self, author: Any) -> dict[str, Any]:
        if author.did not in self.images:
            color = (self.rng.randrange(256), self.rng.randrange(256), self.rng.randrange(256))
            png = self.xrpc.solid_png(32, 24, color)
            self.images[author.did] = self.xrpc.upload_blob(
                author.pds, png, "image/png", author.access_jwt
            )
        return self.images[author.did]

    def text(self) -> tuple[str, list[dict[str, Any]]]:
        text = self.words(4, 24)
        facets: list[dict[str, Any]] = []
        mentioned = self.rng.choice(self.authors)
        for feature, snippet in (
            (
                {"$type": "app.bsky.richtext.facet#mention", "did": mentioned.did},
                f"@{mentioned.handle}",
            ),
            (
                {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a/b"},
                "example.com/a/b",
            ),
            ({"$type": "app.bsky.richtext.facet#tag", "tag": "atlex"}, "#atlex"),
        ):
            if self.rng.random() < 0.6:
                start = len(text.encode()) + 1
                text = f"{text} {snippet}"
                facets.append(
                    {
                        "index": {"byteStart": start, "byteEnd": len(text.encode())},
                        "features": [feature],
                    }
                )
        return text, facets

    def images_embed(self, author: Any) -> dict[str, Any]:
        return {
            "$type": "app.bsky.embed.images",
            "images": [
                {
                    "image": self.blob(author),
                    "alt": self.words(0, 8),
                    "aspectRatio": {"width": 32, "height": 24},
                }
                for _ in range(self.rng.randint(1, 4))
            ],
        }

    def quote_embed(self) -> dict[str, Any]:
        _, uri, cid = self.rng.choice(self.posts)
        return {"$type": "app.bsky.embed.record", "record": {"uri": uri, "cid": cid}}

    def post(self, index: int) -> None:
        author = self.authors[index % len(self.authors)]
        text, facets = self.text()
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "langs": ["en"],
            "createdAt": self.xrpc.now(),
        }
        if facets:
            record["facets"] = facets
        kind = index % 8 if self.posts else 0
        if kind in (1, 2):
            record["embed"] = self.images_embed(author)
        elif kind == 3:
            record["embed"] = {
                "$type": "app.bsky.embed.external",
                "external": {
                    "uri": f"https://news.example.org/{index}",
                    "title": self.words(2, 6),
                    "description": self.words(6, 20),
                    "thumb": self.blob(author),
                },
            }
        elif kind == 4:
            record["embed"] = self.quote_embed()
        elif kind == 5:
            record["embed"] = {
                "$type": "app.bsky.embed.recordWithMedia",
                "record": self.quote_embed(),
                "media": self.images_embed(author),
            }
        elif kind == 6:
            root_author, root_uri, root_cid = self.rng.choice(self.posts)
            del root_author
            ref = {"uri": root_uri, "cid": root_cid}
            record["reply"] = {"root": ref, "parent": ref}
        if index % 13 == 7:
            record["labels"] = {
                "$type": "com.atproto.label.defs#selfLabels",
                "values": [{"val": "graphic-media"}],
            }
        created = author.create_record("app.bsky.feed.post", record)
        self.posts.append((author, str(created["uri"]), str(created["cid"])))

    def repost(self) -> None:
        author = self.rng.choice(self.authors)
        _, uri, cid = self.rng.choice(self.posts)
        author.create_record(
            "app.bsky.feed.repost",
            {
                "$type": "app.bsky.feed.repost",
                "subject": {"uri": uri, "cid": cid},
                "createdAt": self.xrpc.now(),
            },
        )

    def like(self) -> None:
        _, uri, cid = self.rng.choice(self.posts)
        self.viewer.create_record(
            "app.bsky.feed.like",
            {
                "$type": "app.bsky.feed.like",
                "subject": {"uri": uri, "cid": cid},
                "createdAt": self.xrpc.now(),
            },
        )


def seed_and_capture(
    network: Any,
    xrpc: Any,
    *,
    items: int = ITEMS,
    follows: int = capture_graph.FOLLOWS,
    replies: int = capture_graph.REPLIES,
    log: Callable[[str], None] = print,
) -> dict[str, bytes]:
    """Seed the network; every page of :data:`PAGES` as the exact response bytes."""
    info = network.info
    viewer = network.create_account("viewer")
    authors = [network.create_account(f"author{i}") for i in range(AUTHORS)]
    for number, author in enumerate(authors):
        author.call(
            "com.atproto.repo.createRecord",
            body={
                "repo": author.did,
                "collection": "app.bsky.actor.profile",
                "rkey": "self",
                "record": {"$type": "app.bsky.actor.profile", "displayName": f"Author {number}"},
            },
        )
        viewer.create_record(
            "app.bsky.graph.follow",
            {"$type": "app.bsky.graph.follow", "subject": author.did, "createdAt": xrpc.now()},
        )
    seeder = _Seeder(xrpc, viewer, authors)
    started = time.monotonic()
    posts = items * 4 // 5
    for index in range(posts):
        seeder.post(index)
    for _ in range(items - posts):
        seeder.repost()
    for _ in range(items // 3):
        seeder.like()
    log(f"capture: seeded {items} feed items in {time.monotonic() - started:.1f} s")

    url = f"{info.pds}/xrpc/app.bsky.feed.getTimeline"
    headers = {"Authorization": f"Bearer {viewer.access_jwt}"}

    def fetch() -> httpx.Response:
        return httpx.get(
            url, params={"limit": items}, headers=headers, timeout=30
        ).raise_for_status()

    # the AppView indexes the PDS's firehose asynchronously: wait until the timeline is full
    # or has stopped growing
    seen: list[int] = []

    def settled(answer: httpx.Response) -> bool:
        seen.append(len(answer.json().get("feed", [])))
        return seen[-1] >= items or (len(seen) > 6 and seen[-1] == seen[-6] > 0)

    response = xrpc.poll(
        fetch, settled, timeout=90, what="the viewer's timeline to settle", interval=0.5
    )
    log(f"capture: timeline of {seen[-1]} items after {len(seen)} reads")
    # seeded after the timeline was read, so that they do not change it
    pages = {"timeline": response.content}
    pages["follows"] = capture_graph.capture_follows(
        network, xrpc, viewer, authors, follows=follows, log=log
    )
    pages["thread"] = capture_graph.capture_thread(
        xrpc, viewer, authors, seeder.posts, replies=replies, log=log
    )
    return pages


def capture(
    *,
    items: int = ITEMS,
    follows: int = capture_graph.FOLLOWS,
    replies: int = capture_graph.REPLIES,
    log: Callable[[str], None] = print,
) -> dict[str, bytes]:
    """Start the reference network, seed it, capture every page, stop the network."""
    refnet, xrpc = _harness()
    started = time.monotonic()
    with refnet.ReferenceNetwork() as network:
        log(f"capture: network up in {time.monotonic() - started:.1f} s")
        return seed_and_capture(
            network, xrpc, items=items, follows=follows, replies=replies, log=log
        )


def load(folder: Path) -> dict[str, bytes] | None:
    """The pages kept in ``folder``, or None unless every one of :data:`PAGES` is there."""
    files = {name: folder / f"{name}.json" for name in PAGES}
    if not all(path.is_file() for path in files.values()):
        return None
    return {name: path.read_bytes() for name, path in files.items()}


def save(folder: Path, pages: dict[str, bytes]) -> None:
    """Write the pages into ``folder`` as a whole: a capture that failed half-way leaves none."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name, body in pages.items():
        (partial / f"{name}.json").write_bytes(body)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)


def ensure(*, recapture: bool = False, log: Callable[[str], None] = print) -> dict[str, bytes]:
    """The captured pages from :data:`CAPTURED`, capturing them first when missing."""
    found = None if recapture else load(CAPTURED)
    if found is not None:
        return found
    started = time.monotonic()
    log("bench: seeding the local AppView and capturing a timeline, follows and a thread ...")
    pages = capture(log=log)
    save(CAPTURED, pages)
    log(f"bench: captured in {time.monotonic() - started:.0f} s ({CAPTURED})")
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="folder for the pages")
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--follows", type=int, default=capture_graph.FOLLOWS)
    parser.add_argument("--replies", type=int, default=capture_graph.REPLIES)
    args = parser.parse_args(argv)
    pages = capture(items=args.items, follows=args.follows, replies=args.replies)
    save(args.out, pages)
    for name, body in pages.items():
        print(f"{args.out / name}.json: {len(body):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
