"""Every network call the demo makes, behind one small interface (``Social``).

Two implementations: ``AtlexSocial`` (the SDK: ``PasswordSession`` + ``Client`` and the generated
stubs, e.g. ``client.app.bsky.feed.get_timeline``) and ``RawSocial`` (plain httpx, for a tree
where the SDK is not importable yet). ``connect`` picks the SDK whenever it imports;
``ATLEX_DEMO_RAW=1`` forces plain httpx.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any, Protocol

from refnet_xrpc import call, now, upload_blob


@dataclass(frozen=True)
class TimelineEntry:
    """One post as a person sees it in a timeline."""

    author_handle: str
    author_name: str | None
    text: str
    image_alts: tuple[str, ...]
    likes: int
    reposts: int
    replies: int
    indexed_at: str
    uri: str


@dataclass(frozen=True)
class ProfileSummary:
    """What a profile page shows at the top."""

    handle: str
    display_name: str | None
    followers: int
    follows: int
    posts: int


class Social(Protocol):
    via: str  # how the calls are made, for the demo's output

    def set_profile(self, display_name: str, description: str) -> None: ...
    def follow(self, did: str) -> None: ...
    def post_with_image(self, text: str, png: bytes, alt: str, size: tuple[int, int]) -> str: ...
    def timeline(self, limit: int) -> list[TimelineEntry]: ...
    def profile(self, actor: str) -> ProfileSummary: ...
    def close(self) -> None: ...


class AtlexSocial:
    """The SDK: a password session as the agent of a client with the generated namespaces."""

    via = "atlex: PasswordSession + Client, client.app.bsky.feed.get_timeline"

    def __init__(self, pds: str, handle: str, password: str) -> None:
        from atlex import Client, PasswordSession

        self._session = PasswordSession.login(service=pds, identifier=handle, password=password)
        self._client = Client(self._session)
        self._did = self._client.assert_did

    def set_profile(self, display_name: str, description: str) -> None:
        from atlex.lex.app.bsky.actor import profile

        record = profile.Record(display_name=display_name, description=description)
        self._client.com.atproto.repo.put_record(
            repo=self._did, collection="app.bsky.actor.profile", rkey="self", record=record
        )

    def follow(self, did: str) -> None:
        from atlex.lex.app.bsky.graph import follow

        record = follow.Record(subject=did, created_at=now())
        self._client.com.atproto.repo.create_record(
            repo=self._did, collection="app.bsky.graph.follow", record=record
        )

    def post_with_image(self, text: str, png: bytes, alt: str, size: tuple[int, int]) -> str:
        from atlex.lex.app.bsky.embed import defs, images
        from atlex.lex.app.bsky.feed import post

        blob = self._client.com.atproto.repo.upload_blob(png, content_type="image/png").blob
        image = images.Image(
            image=blob, alt=alt, aspect_ratio=defs.AspectRatio(width=size[0], height=size[1])
        )
        record = post.Record(text=text, created_at=now(), embed=images.Main(images=[image]))
        created = self._client.com.atproto.repo.create_record(
            repo=self._did, collection="app.bsky.feed.post", record=record
        )
        return created.uri

    def timeline(self, limit: int) -> list[TimelineEntry]:
        from atlex.lex.app.bsky.embed import images
        from atlex.lex.app.bsky.feed import post as post_record

        entries: list[TimelineEntry] = []
        for item in self._client.app.bsky.feed.get_timeline(limit=limit).feed:
            post = item.post
            embed = post.embed
            alts = tuple(img.alt for img in embed.images) if isinstance(embed, images.View) else ()
            display_name = post.author.display_name
            record = post.record  # decoded into the type its $type names on first read
            entries.append(
                TimelineEntry(
                    author_handle=post.author.handle,
                    author_name=display_name if isinstance(display_name, str) else None,
                    text=record.text if isinstance(record, post_record.Record) else "",
                    image_alts=alts,
                    likes=_count(post.like_count),
                    reposts=_count(post.repost_count),
                    replies=_count(post.reply_count),
                    indexed_at=post.indexed_at,
                    uri=post.uri,
                )
            )
        return entries

    def profile(self, actor: str) -> ProfileSummary:
        found = self._client.app.bsky.actor.get_profile(actor=actor)
        return ProfileSummary(
            handle=found.handle,
            display_name=found.display_name if isinstance(found.display_name, str) else None,
            followers=_count(found.followers_count),
            follows=_count(found.follows_count),
            posts=_count(found.posts_count),
        )

    def close(self) -> None:
        self._client.close()
        self._session.close()


class RawSocial:
    """Plain httpx: what the SDK saves you from writing."""

    via = "raw httpx"

    def __init__(self, pds: str, handle: str, password: str) -> None:
        self._pds = pds
        session = call(
            pds,
            "com.atproto.server.createSession",
            body={"identifier": handle, "password": password},
        )
        self._did = str(session["did"])
        self._token = str(session["accessJwt"])

    def _call(
        self, nsid: str, *, params: dict[str, Any] | None = None, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return call(self._pds, nsid, params=params, body=body, token=self._token)

    def _create(self, collection: str, record: dict[str, Any]) -> dict[str, Any]:
        body = {
            "repo": self._did,
            "collection": collection,
            "record": {"$type": collection, **record},
        }
        return self._call("com.atproto.repo.createRecord", body=body)

    def set_profile(self, display_name: str, description: str) -> None:
        record = {
            "$type": "app.bsky.actor.profile",
            "displayName": display_name,
            "description": description,
        }
        body = {
            "repo": self._did,
            "collection": "app.bsky.actor.profile",
            "rkey": "self",
            "record": record,
        }
        self._call("com.atproto.repo.putRecord", body=body)

    def follow(self, did: str) -> None:
        self._create("app.bsky.graph.follow", {"subject": did, "createdAt": now()})

    def post_with_image(self, text: str, png: bytes, alt: str, size: tuple[int, int]) -> str:
        blob = upload_blob(self._pds, png, "image/png", self._token)
        image = {"image": blob, "alt": alt, "aspectRatio": {"width": size[0], "height": size[1]}}
        embed = {"$type": "app.bsky.embed.images", "images": [image]}
        return str(
            self._create("app.bsky.feed.post", {"text": text, "createdAt": now(), "embed": embed})[
                "uri"
            ]
        )

    def timeline(self, limit: int) -> list[TimelineEntry]:
        feed: list[dict[str, Any]] = self._call(
            "app.bsky.feed.getTimeline", params={"limit": limit}
        )["feed"]
        entries: list[TimelineEntry] = []
        for item in feed:
            post: dict[str, Any] = item["post"]
            embed: dict[str, Any] = post.get("embed") or {}
            images: list[dict[str, Any]] = (
                embed.get("images", [])
                if embed.get("$type") == "app.bsky.embed.images#view"
                else []
            )
            entries.append(
                TimelineEntry(
                    author_handle=str(post["author"]["handle"]),
                    author_name=post["author"].get("displayName"),
                    text=str(post["record"].get("text", "")),
                    image_alts=tuple(str(image.get("alt", "")) for image in images),
                    likes=int(post.get("likeCount", 0)),
                    reposts=int(post.get("repostCount", 0)),
                    replies=int(post.get("replyCount", 0)),
                    indexed_at=str(post["indexedAt"]),
                    uri=str(post["uri"]),
                )
            )
        return entries

    def profile(self, actor: str) -> ProfileSummary:
        found = self._call("app.bsky.actor.getProfile", params={"actor": actor})
        return ProfileSummary(
            handle=str(found["handle"]),
            display_name=found.get("displayName"),
            followers=int(found.get("followersCount", 0)),
            follows=int(found.get("followsCount", 0)),
            posts=int(found.get("postsCount", 0)),
        )

    def close(self) -> None:
        pass


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0


def sdk_available() -> bool:
    """Whether the SDK (client, session and generated stubs) imports in this tree."""
    if os.environ.get("ATLEX_DEMO_RAW") == "1":
        return False
    try:
        atlex = importlib.import_module("atlex")
        for name in ("Client", "PasswordSession"):  # lazy exports: touching them imports
            getattr(atlex, name)
        importlib.import_module("atlex.lex.app.bsky.feed.post")
    except (ImportError, AttributeError):
        return False
    return True


def connect(pds: str, handle: str, password: str) -> Social:
    """Log in as ``handle``: through the SDK when it imports, else with plain httpx."""
    if sdk_available():
        return AtlexSocial(pds, handle, password)
    return RawSocial(pds, handle, password)
