"""A ``getTimeline`` response captured from the local reference AppView, after seeding it.

Starts the reference network (PLC, PDS, AppView on 127.0.0.1, ``tests/network/refnet.py``),
creates a viewer and five authors the viewer follows, and has the authors write ~100 feed
items: posts with facets (mentions, links, tags), image posts (1-4 images), link cards with a
thumbnail, quote posts, quotes with images (record-with-media), replies, reposts and
self-labelled posts; the viewer likes some of them. Then it reads the viewer's timeline (100
items, through the PDS, which proxies to the AppView) and keeps the exact response bytes.

Everything is written through raw XRPC (``refnet_xrpc``), independent of atlex.
What the real services cannot produce here: video views (no video service) and labels from a
labeler; the synthetic fixture (``bench/fixture.py``) covers those.

    python -m bench.capture --out timeline-captured.json
"""

from __future__ import annotations

import argparse
import importlib
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

NETWORK_TESTS = Path(__file__).resolve().parents[1] / "tests" / "network"
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
    network: Any, xrpc: Any, *, items: int = ITEMS, log: Callable[[str], None] = print
) -> bytes:
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
    return response.content


def capture(*, items: int = ITEMS, log: Callable[[str], None] = print) -> bytes:
    """Start the reference network, seed it, capture the timeline, stop the network."""
    refnet, xrpc = _harness()
    started = time.monotonic()
    with refnet.ReferenceNetwork() as network:
        log(f"capture: network up in {time.monotonic() - started:.1f} s")
        return seed_and_capture(network, xrpc, items=items, log=log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--items", type=int, default=ITEMS)
    args = parser.parse_args(argv)
    body = capture(items=args.items)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(body)
    print(f"{args.out}: {len(body):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
