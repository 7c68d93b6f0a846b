"""Everyday actions against the real reference services (issue 13's network acceptance): what
``post`` / ``like`` / ``follow`` ... write is read back through the AppView, which indexes
asynchronously, so every read polls with a bounded wait."""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import anyio
import pytest
from refnet import ReferenceNetwork
from refnet_xrpc import Account, solid_png

import atlex
from atlex import AsyncClient, AsyncPasswordSession, Client, PasswordSession
from atlex.actions import Image
from atlex.errors import XrpcResponseError
from atlex.lex.app.bsky.embed import images, record_with_media
from atlex.lex.app.bsky.feed import defs as feed_defs
from atlex.lex.app.bsky.richtext import facet
from atlex.richtext import RichText

pytestmark = pytest.mark.network

T = TypeVar("T")
WAIT = 60.0  # seconds the AppView may take to index a write (2 shared cores: be generous)


def eventually(check: Callable[[], T | None], what: str) -> T:
    """Poll ``check`` until it returns something truthy, for at most WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            found = check()
        except XrpcResponseError as exc:  # e.g. NotFound before the post is indexed
            found, last = None, exc
        else:
            last = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"the AppView did not show {what} within {WAIT}s ({last!r})")
        time.sleep(0.25)


def tiny_jpeg(width: int, height: int) -> bytes:
    """SOI, a baseline frame header and EOI: enough for a header reader and a MIME sniffer."""
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof + b"\xff\xd9"


class Person:
    def __init__(self, network: ReferenceNetwork, name: str) -> None:
        self.account: Account = network.create_account(name)
        self.session = PasswordSession.login(
            service=self.account.pds, identifier=self.account.handle, password=self.account.password
        )
        appview = f"{network.info.appview_did}#bsky_appview"
        self.client = Client(self.session, proxy=appview)

    def thread(self, uri: str) -> feed_defs.ThreadViewPost:
        out = self.client.app.bsky.feed.get_post_thread(uri=uri, depth=0)
        assert isinstance(out.thread, feed_defs.ThreadViewPost)
        return out.thread

    def post_view(self, uri: str) -> feed_defs.PostView:
        return eventually(lambda: self.thread(uri).post, f"the post {uri}")


@pytest.fixture(scope="module")
def people(network: ReferenceNetwork) -> Iterator[tuple[Person, Person]]:
    alice, bob = Person(network, "ralice"), Person(network, "rbob")
    yield alice, bob
    alice.session.close()
    bob.session.close()


def test_post_with_mention_link_and_tag_has_facets_at_byte_offsets(
    people: tuple[Person, Person],
) -> None:
    alice, bob = people
    handle = bob.account.handle
    text = f"🦋 héllo @{handle} and @nobody-here.test, see example.com/a?b=1. #atlex"
    created = alice.client.post(text, langs=["en"], tags=["sdk"])
    view = alice.post_view(created.uri)
    assert view.cid == created.cid
    record = json.loads(atlex.encode(view.record))  # the record as stored
    assert record["text"] == text
    utf8 = text.encode()
    found = [
        (utf8[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), f["features"])
        for f in record["facets"]
    ]
    assert found == [
        (f"@{handle}", [{"$type": "app.bsky.richtext.facet#mention", "did": bob.account.did}]),
        (
            "example.com/a?b=1",
            [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a?b=1"}],
        ),
        ("#atlex", [{"$type": "app.bsky.richtext.facet#tag", "tag": "atlex"}]),
    ]  # the unresolvable @nobody-here.test is plain text, as in the Bluesky app
    assert record["facets"][0]["index"]["byteStart"] == len("🦋 héllo ".encode())
    assert record["langs"] == ["en"] and record["tags"] == ["sdk"]
    segments = [
        (s.kind, s.text) for s in RichText(text, [facet_of(f) for f in record["facets"]]).segments()
    ]
    assert ("mention", f"@{handle}") in segments


def facet_of(raw: dict[str, Any]) -> facet.Main:
    return atlex.convert(raw, facet.Main)


def test_reply_to_a_reply_names_the_thread_root(people: tuple[Person, Person]) -> None:
    alice, bob = people
    root = alice.client.post("root of a thread")
    first = bob.client.post("first reply", reply_to=root)  # what post() returned
    parent_view = bob.post_view(first.uri)  # a PostView: root read from its record
    second = alice.client.post("reply to the reply", reply_to=parent_view)
    third = bob.client.post("and from a URI", reply_to=second.uri)  # at:// URI: record read
    for reply, parent in ((first, root), (second, first), (third, second)):
        ref = json.loads(atlex.encode(alice.post_view(reply.uri).record))["reply"]
        assert (ref["root"]["uri"], ref["root"]["cid"]) == (root.uri, root.cid)
        assert (ref["parent"]["uri"], ref["parent"]["cid"]) == (parent.uri, parent.cid)
    thread = eventually(
        lambda: alice.client.app.bsky.feed.get_post_thread(uri=third.uri, depth=0).thread,
        "the reply chain",
    )
    assert isinstance(thread, feed_defs.ThreadViewPost)
    assert isinstance(thread.parent, feed_defs.ThreadViewPost)
    assert thread.parent.post.uri == second.uri


def test_quote_with_two_images_is_record_with_media_with_aspect_ratios(
    people: tuple[Person, Person],
) -> None:
    alice, bob = people
    quoted = bob.client.post("quote me")
    created = alice.client.post(
        "look at these",
        quote=quoted,
        images=[
            Image(solid_png(12, 7, (200, 40, 90)), alt="a pink rectangle"),
            Image(tiny_jpeg(20, 10), alt="a small jpeg"),
        ],
    )
    embed = alice.post_view(created.uri).embed
    assert isinstance(embed, record_with_media.View)
    assert isinstance(embed.media, images.View)
    ratios = [(i.alt, i.aspect_ratio) for i in embed.media.images]
    assert [(alt, (r.width, r.height)) for alt, r in ratios] == [  # type: ignore[union-attr]
        ("a pink rectangle", (12, 7)),
        ("a small jpeg", (20, 10)),
    ]
    assert getattr(embed.record.record, "uri", None) == quoted.uri


def _counts(person: Person, uri: str) -> tuple[int, int] | None:
    """(likes, reposts) the AppView reports; None while it does not return the post."""
    posts = person.client.app.bsky.feed.get_posts(uris=[uri]).posts
    if not posts:
        return None
    return int(posts[0].like_count or 0), int(posts[0].repost_count or 0)


def test_like_repost_follow_and_undo_change_appview_counts(people: tuple[Person, Person]) -> None:
    alice, bob = people
    target = alice.client.post("count me")
    alice.post_view(target.uri)

    bob.client.like(target)
    bob.client.repost(target.uri)  # a URI: the CID is read first
    eventually(lambda: _counts(bob, target.uri) == (1, 1), "one like and one repost")

    def viewed() -> feed_defs.PostView | None:
        view = bob.post_view(target.uri)
        viewer = view.viewer
        return (
            view
            if isinstance(viewer, feed_defs.ViewerState) and viewer.like and viewer.repost
            else None
        )

    view = eventually(viewed, "bob's like and repost in his viewer state")

    assert bob.client.unlike(target.uri) is not None  # found in bob's own likes
    assert bob.client.unrepost(view) == view.viewer.repost  # type: ignore[union-attr]
    eventually(lambda: _counts(bob, target.uri) == (0, 0), "the like and repost undone")
    assert bob.client.unlike(target.uri) is None  # nothing left to undo

    def followers() -> int:
        profile = bob.client.app.bsky.actor.get_profile(actor=alice.account.did)
        return int(profile.followers_count or 0)

    before = followers()
    follow = bob.client.follow(alice.account.handle)  # a handle: resolved by the PDS
    assert follow.uri.startswith(f"at://{bob.account.did}/app.bsky.graph.follow/")
    eventually(lambda: followers() == before + 1, "the new follower")
    assert bob.client.unfollow(follow) == follow.uri
    eventually(lambda: followers() == before, "the follow undone")

    block = bob.client.block(alice.account.did)
    blocked = eventually(
        lambda: bob.client.app.bsky.actor.get_profile(actor=alice.account.did).viewer.blocking,  # type: ignore[union-attr]
        "the block",
    )
    assert blocked == block.uri
    assert bob.client.unblock(alice.account.did) == block.uri
    assert bob.client.delete_post(bob.client.post("short-lived")) is not None


def test_pagination_returns_every_item_once(people: tuple[Person, Person]) -> None:
    alice, _ = people
    writer = alice.client
    made = {writer.post(f"page item {i}").uri for i in range(9)}
    did = alice.account.did

    def indexed() -> bool:
        feed = writer.app.bsky.feed.get_author_feed(actor=did, limit=100).feed
        return made <= {item.post.uri for item in feed}

    eventually(indexed, "the nine posts")
    pages = list(atlex.paginate(writer.app.bsky.feed.get_author_feed, actor=did, limit=2))
    seen = [item.post.uri for page in pages for item in page.feed]
    assert len(pages) > 3
    assert len(seen) == len(set(seen))
    assert made <= set(seen)
    items = list(
        atlex.paginate(writer.app.bsky.feed.get_author_feed, actor=did, limit=3).items(
            lambda page: page.feed
        )
    )
    assert [i.post.uri for i in items] == seen


@pytest.mark.anyio
async def test_async_client_posts_likes_and_paginates(network: ReferenceNetwork) -> None:
    account = network.create_account("rasync")
    appview = f"{network.info.appview_did}#bsky_appview"
    async with await AsyncPasswordSession.login(
        service=account.pds, identifier=account.handle, password=account.password
    ) as session:
        client = AsyncClient(session, proxy=appview)
        first = await client.post(f"hello @{account.handle} #async")
        second = await client.post(
            "two pictures",
            reply_to=first,
            images=[Image(solid_png(3, 4, (1, 2, 3)), alt="a"), Image(tiny_jpeg(8, 2), alt="b")],
        )
        liked = await client.like(second)
        assert await client.unlike(liked) == liked.uri
        deadline = time.monotonic() + WAIT
        uris: list[str] = []
        while time.monotonic() < deadline:
            uris = [
                item.post.uri
                async for item in atlex.paginate(
                    client.app.bsky.feed.get_author_feed, actor=account.did, limit=1
                ).items(lambda page: page.feed)
            ]
            if len(uris) == 2:
                break
            await anyio.sleep(0.25)
        assert uris == [second.uri, first.uri]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
