"""A realistic 100-item ``app.bsky.feed.getTimeline`` response, synthesised deterministically.

Built from atlex's own generated types (so the shape follows the pinned lexicons) and encoded
with ``atlex.encode``. Every value that a validating peer checks is well-formed: DIDs, handles,
AT-URIs, CIDs, datetimes, URIs, grapheme limits. The mix per 100 items: posts with facets
(mentions, links, tags), every embed kind (images, video, external, record quotes with nested
embeds, record-with-media, not-found / blocked / detached quotes), 20 replies with root and
parent post views, 20 reposts and a pin, labels on posts and authors, viewer state throughout.

``unknown_share`` replaces that share of the post embeds (view and record side) with union
members no lexicon declares, which atlex must keep as dicts and the peers must tolerate.

Why synthesised rather than captured from the local AppView: seeding 100 varied items (videos
need a video service, labels need a labeler) through the reference network takes minutes and
still cannot produce every embed kind; a seeded generator is deterministic and fast.

    python -m bench.fixture --out timeline.json [--unknown 0.1] [--seed 8]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import random
import string
from pathlib import Path
from typing import Any

import msgspec

import atlex
from atlex import Blob, CidLink
from atlex.lex.app.bsky.actor import defs as actor
from atlex.lex.app.bsky.embed import defs as embed_defs
from atlex.lex.app.bsky.embed import external, images, record, record_with_media, video
from atlex.lex.app.bsky.feed import defs as feed
from atlex.lex.app.bsky.feed import get_timeline, post
from atlex.lex.app.bsky.richtext import facet
from atlex.lex.com.atproto.label import defs as label
from atlex.lex.com.atproto.repo import strong_ref

ITEMS = 100
SEED = 8
_B32 = string.ascii_lowercase + "234567"
_WORDS = [
    "the",
    "atproto",
    "lexicon",
    "feed",
    "post",
    "timeline",
    "reply",
    "quote",
    "repost",
    "label",
    "viewer",
    "sky",
    "blue",
    "river",
    "mountain",
    "coffee",
    "morning",
    "build",
    "ship",
    "test",
    "fast",
    "typed",
    "schema",
    "union",
    "embed",
    "image",
    "video",
    "link",
    "garden",
    "cat",
    "dog",
    "code",
    "python",
    "rust",
    "network",
    "protocol",
    "open",
    "social",
    "web",
]

Embed = (
    images.View | video.View | external.View | record.View | record_with_media.View | dict[str, Any]
)
RecordEmbed = (
    images.Main | video.Main | external.Main | record.Main | record_with_media.Main | dict[str, Any]
)


class _Maker:
    """Deterministic ids, names and text from one seeded RNG."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = 1_767_225_600  # 2026-01-01T00:00:00Z, counted down per post

    def b32(self, n: int) -> str:
        return "".join(self.rng.choice(_B32) for _ in range(n))

    def did(self) -> str:
        return f"did:plc:{self.b32(24)}"

    def cid(self, codec: int = 0x71) -> str:
        """A valid CIDv1 (sha-256 of random bytes): dag-cbor, or raw (0x55) for blobs."""
        digest = hashlib.sha256(self.rng.randbytes(16)).digest()
        data = bytes([0x01, codec, 0x12, 0x20]) + digest
        return "b" + base64.b32encode(data).decode("ascii").lower().rstrip("=")

    def tid(self) -> str:
        return "3l" + self.b32(11)

    def when(self) -> str:
        self.clock -= self.rng.randint(20, 900)
        seconds = self.clock % 86_400
        day = 1 + (self.clock // 86_400) % 28
        return (
            f"2026-01-{day:02d}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:"
            f"{seconds % 60:02d}.{self.rng.randint(0, 999):03d}Z"
        )

    def words(self, lo: int, hi: int) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(lo, hi)))

    def cdn(self, kind: str, did: str) -> str:
        return f"https://cdn.bsky.example/img/{kind}/plain/{did}/{self.cid()}@jpeg"

    def blob(self, mime: str) -> Blob:
        return Blob(
            type_="blob",
            ref=CidLink(self.cid(0x55)),
            mime_type=mime,
            size=self.rng.randint(20_000, 900_000),
        )


class _Builder:
    def __init__(self, seed: int, unknown_share: float) -> None:
        self.m = _Maker(seed)
        self.unknown_share = unknown_share
        # every n-th feed item, so that the share is exact
        self.unknown_period = round(1 / unknown_share) if unknown_share else 0
        self.viewer_did = self.m.did()
        self.authors = [self._profile(i) for i in range(24)]

    # --- people -----------------------------------------------------------------------------
    def _profile(self, i: int) -> actor.ProfileViewBasic:
        m = self.m
        did = m.did()
        labels: list[label.Label] | msgspec.UnsetType = msgspec.UNSET
        if i % 6 == 0:
            labels = [self._label(f"at://{did}/app.bsky.actor.profile/self", "!no-unauthenticated")]
        return actor.ProfileViewBasic(
            did=did,
            handle=f"{m.rng.choice(_WORDS)}{i}.bsky.example",
            display_name=m.words(1, 3).title(),
            avatar=m.cdn("avatar", did),
            viewer=actor.ViewerState(
                muted=False,
                blocked_by=False,
                following=f"at://{self.viewer_did}/app.bsky.graph.follow/{m.tid()}"
                if i % 2 == 0
                else msgspec.UNSET,
                followed_by=f"at://{did}/app.bsky.graph.follow/{m.tid()}"
                if i % 3 == 0
                else msgspec.UNSET,
            ),
            labels=labels,
            created_at=m.when(),
        )

    def _author(self) -> actor.ProfileViewBasic:
        return self.m.rng.choice(self.authors)

    def _label(self, uri: str, val: str) -> label.Label:
        return label.Label(
            ver=1,
            src=self.m.did(),
            uri=uri,
            cid=self.m.cid(),
            val=val,
            cts=self.m.when(),
        )

    # --- text -------------------------------------------------------------------------------
    def _text_and_facets(self, with_facets: bool) -> tuple[str, list[facet.Main]]:
        m = self.m
        text = m.words(4, 30)
        if not with_facets:
            return text, []
        facets: list[facet.Main] = []
        author = self._author()
        for feature, snippet in (
            (facet.Mention(did=author.did), f"@{author.handle}"),
            (facet.Link(uri=f"https://example.com/{m.b32(8)}"), f"example.com/{m.b32(6)}..."),
            (facet.Tag(tag=m.rng.choice(_WORDS)), f"#{m.rng.choice(_WORDS)}"),
        ):
            if m.rng.random() < 0.7:
                start = len(text.encode()) + 1
                text = f"{text} {snippet}"
                index = facet.ByteSlice(byte_start=start, byte_end=len(text.encode()))
                facets.append(facet.Main(index=index, features=[feature]))
        return text, facets

    # --- embeds: (view, record-side) pairs --------------------------------------------------
    def _images(self, did: str) -> tuple[images.View, images.Main]:
        m = self.m
        count = m.rng.randint(1, 4)
        ratios = [
            embed_defs.AspectRatio(width=m.rng.randint(400, 2000), height=m.rng.randint(400, 2000))
            for _ in range(count)
        ]
        alts = [m.words(0, 12) for _ in range(count)]
        view = images.View(
            images=[
                images.ViewImage(
                    thumb=m.cdn("feed_thumbnail", did),
                    fullsize=m.cdn("feed_fullsize", did),
                    alt=alt,
                    aspect_ratio=ratio,
                )
                for alt, ratio in zip(alts, ratios, strict=True)
            ]
        )
        main = images.Main(
            images=[
                images.Image(image=m.blob("image/jpeg"), alt=alt, aspect_ratio=ratio)
                for alt, ratio in zip(alts, ratios, strict=True)
            ]
        )
        return view, main

    def _video(self, did: str) -> tuple[video.View, video.Main]:
        m = self.m
        blob = m.blob("video/mp4")
        ratio = embed_defs.AspectRatio(width=1080, height=1920)
        cid = str(blob.ref) if isinstance(blob.ref, CidLink) else m.cid()
        view = video.View(
            cid=cid,
            playlist=f"https://video.bsky.example/watch/{did}/{cid}/playlist.m3u8",
            thumbnail=f"https://video.bsky.example/watch/{did}/{cid}/thumbnail.jpg",
            alt=m.words(2, 8),
            aspect_ratio=ratio,
        )
        return view, video.Main(video=blob, alt=view.alt, aspect_ratio=ratio)

    def _external(self, did: str) -> tuple[external.View, external.Main]:
        m = self.m
        uri = f"https://news.example.org/{m.b32(10)}"
        title, description = m.words(3, 9).title(), m.words(8, 25)
        view = external.View(
            external=external.ViewExternal(
                uri=uri, title=title, description=description, thumb=m.cdn("feed_thumbnail", did)
            )
        )
        main = external.Main(
            external=external.External(
                uri=uri, title=title, description=description, thumb=m.blob("image/jpeg")
            )
        )
        return view, main

    def _media(self, did: str) -> tuple[Any, Any]:
        kind = self.m.rng.randrange(3)
        if kind == 0:
            return self._images(did)
        if kind == 1:
            return self._video(did)
        return self._external(did)

    def _quote(self, variant: int) -> tuple[record.View, record.Main]:
        m = self.m
        author = self._author()
        uri = f"at://{author.did}/app.bsky.feed.post/{m.tid()}"
        cid = m.cid()
        ref = record.Main(record=strong_ref.Main(uri=uri, cid=cid))
        inner: record.ViewRecord | record.ViewNotFound | record.ViewBlocked | record.ViewDetached
        if variant == 1:
            inner = record.ViewNotFound(uri=uri, not_found=True)
        elif variant == 2:
            inner = record.ViewBlocked(
                uri=uri, blocked=True, author=feed.BlockedAuthor(did=author.did)
            )
        elif variant == 3:
            inner = record.ViewDetached(uri=uri, detached=True)
        else:
            text, facets = self._text_and_facets(with_facets=True)
            embeds: list[Any] | msgspec.UnsetType = msgspec.UNSET
            value_embed: RecordEmbed | msgspec.UnsetType = msgspec.UNSET
            if m.rng.random() < 0.6:
                media_view, value_embed = self._media(author.did)
                embeds = [media_view]
            value = post.Record(
                text=text,
                facets=facets or msgspec.UNSET,
                embed=value_embed,
                langs=["en"],
                created_at=m.when(),
            )
            inner = record.ViewRecord(
                uri=uri,
                cid=cid,
                author=author,
                value=msgspec.to_builtins(value),
                reply_count=m.rng.randint(0, 40),
                repost_count=m.rng.randint(0, 40),
                like_count=m.rng.randint(0, 400),
                quote_count=m.rng.randint(0, 10),
                embeds=embeds,
                indexed_at=m.when(),
            )
        return record.View(record=inner), ref

    def _unknown(self) -> tuple[dict[str, Any], dict[str, Any]]:
        m = self.m
        options = [{"label": m.words(1, 3), "votes": m.rng.randint(0, 500)} for _ in range(3)]
        view = {
            "$type": "com.example.poll.embed#view",
            "question": m.words(4, 9),
            "options": options,
        }
        main = {"$type": "com.example.poll.embed", "question": view["question"], "options": options}
        return view, main

    def _embed(
        self, index: int, did: str, in_feed: bool
    ) -> tuple[Embed | None, RecordEmbed | None]:
        if in_feed and self.unknown_share and index % self.unknown_period == 0:
            return self._unknown()
        kind = index % 8
        if kind == 0:
            return None, None
        if kind in (1, 2):
            return self._images(did)
        if kind == 3:
            return self._video(did)
        if kind == 4:
            return self._external(did)
        if kind == 5:
            return self._quote(0 if index % 24 < 16 else 1 + (index // 24) % 3)
        quote_view, quote_ref = self._quote(0)
        media_view, media_main = self._media(did)
        return (
            record_with_media.View(record=quote_view, media=media_view),
            record_with_media.Main(record=quote_ref, media=media_main),
        )

    # --- posts ------------------------------------------------------------------------------
    def post_view(
        self, index: int, reply_to: tuple[str, str] | None = None, in_feed: bool = False
    ) -> feed.PostView:
        m = self.m
        author = self._author()
        uri = f"at://{author.did}/app.bsky.feed.post/{m.tid()}"
        text, facets = self._text_and_facets(with_facets=index % 5 != 4)
        view_embed, record_embed = self._embed(index, author.did, in_feed)
        self_labels = (
            label.SelfLabels(values=[label.SelfLabel(val="graphic-media")])
            if index % 17 == 3
            else msgspec.UNSET
        )
        value = post.Record(
            text=text,
            facets=facets or msgspec.UNSET,
            reply=post.ReplyRef(
                root=strong_ref.Main(uri=reply_to[0], cid=reply_to[1]),
                parent=strong_ref.Main(uri=reply_to[0], cid=reply_to[1]),
            )
            if reply_to
            else msgspec.UNSET,
            embed=msgspec.UNSET if record_embed is None else record_embed,
            langs=["en"],
            labels=self_labels,
            created_at=m.when(),
        )
        labels: list[label.Label] = []
        if index % 7 == 2:
            labels.append(self._label(uri, m.rng.choice(["porn", "sexual", "nudity", "spam"])))
        if not isinstance(self_labels, msgspec.UnsetType):
            labels.append(self._label(uri, "graphic-media"))
        liked = index % 3 == 0
        return feed.PostView(
            uri=uri,
            cid=m.cid(),
            author=author,
            record=msgspec.to_builtins(value),
            embed=msgspec.UNSET if view_embed is None else view_embed,
            reply_count=m.rng.randint(0, 50),
            repost_count=m.rng.randint(0, 80),
            like_count=m.rng.randint(0, 900),
            quote_count=m.rng.randint(0, 20),
            indexed_at=m.when(),
            viewer=feed.ViewerState(
                like=f"at://{self.viewer_did}/app.bsky.feed.like/{m.tid()}"
                if liked
                else msgspec.UNSET,
                repost=f"at://{self.viewer_did}/app.bsky.feed.repost/{m.tid()}"
                if index % 11 == 0
                else msgspec.UNSET,
                thread_muted=False,
                embedding_disabled=False,
            ),
            labels=labels,
        )

    def item(self, index: int) -> feed.FeedViewPost:
        m = self.m
        reply: feed.ReplyRef | msgspec.UnsetType = msgspec.UNSET
        if index % 5 == 1:
            root = self.post_view(index + 3)
            parent = self.post_view(index + 6, reply_to=(root.uri, root.cid))
            reply = feed.ReplyRef(
                root=root,
                parent=parent,
                grandparent_author=self._author() if index % 2 else msgspec.UNSET,
            )
            main = self.post_view(index, reply_to=(parent.uri, parent.cid), in_feed=True)
        else:
            main = self.post_view(index, in_feed=True)
        reason: feed.ReasonRepost | feed.ReasonPin | msgspec.UnsetType = msgspec.UNSET
        if index % 5 == 3:
            reason = feed.ReasonRepost(
                by=self._author(),
                uri=f"at://{self._author().did}/app.bsky.feed.repost/{m.tid()}",
                cid=m.cid(),
                indexed_at=m.when(),
            )
        elif index == 0:
            reason = feed.ReasonPin()
        return feed.FeedViewPost(post=main, reply=reply, reason=reason)


def build(*, items: int = ITEMS, seed: int = SEED, unknown_share: float = 0.0) -> bytes:
    """The JSON body of a ``getTimeline`` response with ``items`` feed entries."""
    builder = _Builder(seed, unknown_share)
    output = get_timeline.Output(
        cursor=builder.m.tid(), feed=[builder.item(i) for i in range(items)]
    )
    return atlex.encode(output)


def unknown_members(body: bytes) -> int:
    """How many post embeds in ``body`` are union members no lexicon declares."""
    data = msgspec.json.decode(body)
    return sum(
        1
        for entry in data["feed"]
        if str(entry["post"].get("embed", {}).get("$type", "")).startswith("com.example.")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--unknown", type=float, default=0.0, help="share of unknown embeds")
    args = parser.parse_args(argv)
    body = build(items=args.items, seed=args.seed, unknown_share=args.unknown)
    args.out.write_bytes(body)
    print(f"{args.out}: {len(body):,} bytes, {unknown_members(body)} unknown embeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
