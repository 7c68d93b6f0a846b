"""A ``getFollows`` page and a ``getPostThread`` answer from the local reference AppView.

Seeded after the timeline is captured (``bench/capture.py``), so that they do not change it:

* **follows**: the viewer follows ``follows`` accounts in all (the timeline's authors and new
  ones). The new ones vary as real profiles do: a third with a display name, a description and
  an avatar, a third with a display name and a description, a third with no profile record at
  all; every ninth self-labels its profile (``!no-unauthenticated``), every fourth follows the
  viewer back, two are muted by the viewer. The page is ``getFollows(actor=viewer,
  limit=follows)`` read by the viewer.
* **thread**: an image post by the first author, quoted twice, with a threadgate, and a tree of
  ``replies`` replies (three levels; facets, images, link cards, quotes, quotes with images)
  from the authors and the viewer, who likes some (the gate lets those the root mentions
  reply: all of them). The answer is ``getPostThread`` of the root
  read by the viewer (default depth and parent height).

Everything is written through raw XRPC (``refnet_xrpc``), independent of atlex.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx

SEED = 15
FOLLOWS = 50
REPLIES = 30


def _words(rng: random.Random, lo: int, hi: int) -> str:
    words = "river build ship typed schema union embed garden protocol open social web lexicon"
    return " ".join(rng.choice(words.split()) for _ in range(rng.randint(lo, hi)))


def _get(pds: str, nsid: str, token: str, params: dict[str, Any]) -> httpx.Response:
    return httpx.get(
        f"{pds}/xrpc/{nsid}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).raise_for_status()


def capture_follows(
    network: Any,
    xrpc: Any,
    viewer: Any,
    followed: list[Any],
    *,
    follows: int = FOLLOWS,
    log: Callable[[str], None] = print,
) -> bytes:
    """Seed the viewer's follows up to ``follows`` accounts; the exact ``getFollows`` bytes."""
    rng = random.Random(SEED)
    expect_named = len(followed)  # the timeline's authors have a display name
    expect_back = 0
    for number in range(follows - len(followed)):
        account = network.create_account(f"followee{number}")
        kind = number % 3
        if kind < 2:
            profile: dict[str, Any] = {
                "$type": "app.bsky.actor.profile",
                "displayName": f"Followee {number} {_words(rng, 0, 2)}".strip(),
                "description": _words(rng, 3, 20),
            }
            if kind == 0:
                color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
                png = xrpc.solid_png(48, 48, color)
                profile["avatar"] = xrpc.upload_blob(
                    account.pds, png, "image/png", account.access_jwt
                )
            if number % 9 == 4:
                profile["labels"] = {
                    "$type": "com.atproto.label.defs#selfLabels",
                    "values": [{"val": "!no-unauthenticated"}],
                }
            account.call(
                "com.atproto.repo.createRecord",
                body={
                    "repo": account.did,
                    "collection": "app.bsky.actor.profile",
                    "rkey": "self",
                    "record": profile,
                },
            )
            expect_named += 1
        viewer.create_record(
            "app.bsky.graph.follow",
            {"$type": "app.bsky.graph.follow", "subject": account.did, "createdAt": xrpc.now()},
        )
        if number % 4 == 0:
            expect_back += 1
            account.create_record(
                "app.bsky.graph.follow",
                {"$type": "app.bsky.graph.follow", "subject": viewer.did, "createdAt": xrpc.now()},
            )
        if number in (1, 7):
            viewer.call("app.bsky.graph.muteActor", body={"actor": account.did})

    def fetch() -> httpx.Response:
        params = {"actor": viewer.did, "limit": follows}
        return _get(viewer.pds, "app.bsky.graph.getFollows", viewer.access_jwt, params)

    def settled(answer: httpx.Response) -> bool:
        found = answer.json().get("follows", [])
        named = sum(1 for profile in found if profile.get("displayName"))
        back = sum(1 for profile in found if profile.get("viewer", {}).get("followedBy"))
        return len(found) >= follows and named >= expect_named and back >= expect_back

    response = xrpc.poll(fetch, settled, timeout=90, what="the viewer's follows", interval=0.5)
    log(f"capture: follows page of {follows} profiles, {len(response.content):,} bytes")
    return response.content


def _mention(start: int, end: int, did: str) -> dict[str, Any]:
    feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
    return {"index": {"byteStart": start, "byteEnd": end}, "features": [feature]}


class _Thread:
    def __init__(self, xrpc: Any, viewer: Any, authors: list[Any], quotable: list[Any]) -> None:
        self.xrpc = xrpc
        self.viewer = viewer
        self.authors = authors
        self.quotable = quotable  # (author, uri, cid) of the timeline's posts
        self.rng = random.Random(SEED)
        self.blobs: dict[str, dict[str, Any]] = {}
        self.indexed: set[str] = set()

    def wait_indexed(self, uri: str, *, gated: bool = False) -> None:
        """Wait until the AppView has indexed the post ``uri`` (with its threadgate when
        ``gated``). The AppView judges a reply once, when it indexes it: a reply whose parent
        it has not indexed yet is kept as an invalid reply for good (and one whose root or gate
        is missing may be judged against the gate wrongly), and never shows in the thread.
        Replies come from several repos, indexed in parallel, so each parent is waited for."""
        if uri in self.indexed:
            return

        def fetch() -> httpx.Response:
            params = {"uris": [uri]}
            return _get(self.viewer.pds, "app.bsky.feed.getPosts", self.viewer.access_jwt, params)

        def seen(answer: httpx.Response) -> bool:
            posts: list[dict[str, Any]] = answer.json().get("posts") or []
            return bool(posts) and (not gated or "threadgate" in posts[0])

        self.xrpc.poll(fetch, seen, timeout=60, what=f"the post {uri}", interval=0.1)
        self.indexed.add(uri)

    def images(self, author: Any) -> dict[str, Any]:
        if author.did not in self.blobs:
            png = self.xrpc.solid_png(40, 30, (self.rng.randrange(256), 90, 160))
            self.blobs[author.did] = self.xrpc.upload_blob(
                author.pds, png, "image/png", author.access_jwt
            )
        return {
            "$type": "app.bsky.embed.images",
            "images": [
                {
                    "image": self.blobs[author.did],
                    "alt": _words(self.rng, 0, 6),
                    "aspectRatio": {"width": 40, "height": 30},
                }
                for _ in range(self.rng.randint(1, 3))
            ],
        }

    def quote(self) -> dict[str, Any]:
        _, uri, cid = self.rng.choice(self.quotable)
        return {"$type": "app.bsky.embed.record", "record": {"uri": uri, "cid": cid}}

    def embed(self, author: Any, number: int) -> dict[str, Any] | None:
        kind = number % 6
        if kind == 1:
            return self.images(author)
        if kind == 2:
            return {
                "$type": "app.bsky.embed.external",
                "external": {
                    "uri": f"https://docs.example.org/thread/{number}",
                    "title": _words(self.rng, 2, 6),
                    "description": _words(self.rng, 5, 16),
                },
            }
        if kind == 3:
            return self.quote()
        if kind == 4:
            return {
                "$type": "app.bsky.embed.recordWithMedia",
                "record": self.quote(),
                "media": self.images(author),
            }
        return None

    def post(self, author: Any, record: dict[str, Any]) -> tuple[str, str]:
        body = {"$type": "app.bsky.feed.post", "langs": ["en"], "createdAt": self.xrpc.now()}
        created = author.create_record("app.bsky.feed.post", {**body, **record})
        return str(created["uri"]), str(created["cid"])

    def reply(self, number: int, root: dict[str, str], parent: dict[str, str]) -> dict[str, str]:
        author = self.rng.choice([*self.authors, self.viewer])
        mentioned = self.rng.choice(self.authors)
        text = f"{_words(self.rng, 3, 18)} @{mentioned.handle}"
        start = text.index("@")
        record: dict[str, Any] = {
            "text": text,
            "reply": {"root": root, "parent": parent},
            "facets": [_mention(len(text[:start].encode()), len(text.encode()), mentioned.did)],
        }
        embed = self.embed(author, number)
        if embed is not None:
            record["embed"] = embed
        uri, cid = self.post(author, record)
        if number % 3 == 0:
            self.viewer.create_record(
                "app.bsky.feed.like",
                {
                    "$type": "app.bsky.feed.like",
                    "subject": {"uri": uri, "cid": cid},
                    "createdAt": self.xrpc.now(),
                },
            )
        return {"uri": uri, "cid": cid}

    def seed(self, replies: int) -> str:
        """The root post's at-uri, after writing the thread under it."""
        author = self.authors[0]
        # the threadgate lets those the root mentions reply: everyone who does
        text = f"thread: {_words(self.rng, 6, 20)}"
        facets: list[dict[str, Any]] = []
        for mentioned in [*self.authors[1:], self.viewer]:
            start = len(text.encode()) + 1
            text = f"{text} @{mentioned.handle}"
            facets.append(_mention(start, len(text.encode()), mentioned.did))
        record = {"text": text, "facets": facets, "embed": self.images(author)}
        uri, cid = self.post(author, record)
        root = {"uri": uri, "cid": cid}
        rkey = uri.rsplit("/", 1)[1]
        author.call(
            "com.atproto.repo.createRecord",
            body={
                "repo": author.did,
                "collection": "app.bsky.feed.threadgate",
                "rkey": rkey,
                "record": {
                    "$type": "app.bsky.feed.threadgate",
                    "post": uri,
                    "allow": [
                        {"$type": "app.bsky.feed.threadgate#mentionRule"},
                        {"$type": "app.bsky.feed.threadgate#followingRule"},
                    ],
                    "createdAt": self.xrpc.now(),
                },
            },
        )
        self.wait_indexed(uri, gated=True)
        for quoter in self.authors[1:3]:
            # one at a time: the AppView counts a post's quotes as it indexes each quote, and
            # two quotes indexed at once (two repos, in parallel) were seen to count as one
            quote, _ = self.post(
                quoter,
                {
                    "text": _words(self.rng, 2, 8),
                    "embed": {"$type": "app.bsky.embed.record", "record": root},
                },
            )
            self.wait_indexed(quote)
        levels: list[list[dict[str, str]]] = [[root]]
        for number in range(replies):
            # a third answer the root, the rest a reply one or two levels down
            depth = min(len(levels), 1 + number % 3)
            parent = self.rng.choice(levels[depth - 1])
            self.wait_indexed(parent["uri"])
            ref = self.reply(number, root, parent)
            if depth == len(levels):
                levels.append([])
            levels[depth].append(ref)
        return uri


def _count_replies(node: dict[str, Any]) -> int:
    replies: list[dict[str, Any]] = node.get("replies") or []
    return sum(1 + _count_replies(child) for child in replies)


def capture_thread(
    xrpc: Any,
    viewer: Any,
    authors: list[Any],
    quotable: list[Any],
    *,
    replies: int = REPLIES,
    log: Callable[[str], None] = print,
) -> bytes:
    """Seed a thread of ``replies`` replies; the exact ``getPostThread`` bytes of its root."""
    uri = _Thread(xrpc, viewer, authors, quotable).seed(replies)

    def fetch() -> httpx.Response:
        params = {"uri": uri}
        return _get(viewer.pds, "app.bsky.feed.getPostThread", viewer.access_jwt, params)

    def settled(answer: httpx.Response) -> bool:
        thread = answer.json().get("thread", {})
        quotes = thread.get("post", {}).get("quoteCount", 0)
        return _count_replies(thread) >= replies and quotes >= 2

    response = xrpc.poll(fetch, settled, timeout=90, what="the thread's replies", interval=0.5)
    log(f"capture: thread of {replies} replies, {len(response.content):,} bytes")
    return response.content
