"""The everyday helpers as methods of ``AsyncClient`` (:class:`AsyncActions`) and, generated
from them, of ``Client`` (``_actions_sync.SyncActions``): thin shells that run the flows of
:mod:`atlex.actions` (``_compose``, ``_graph``). All their calls go to the account's PDS, like
the record helpers'. Everything they use loads on first use, so a client stays cheap to import
and build.

Written once: this file is the source, ``_actions_sync.py`` its generated twin
(``make unasync``; a test fails on drift). Docstrings are shared.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from atlex._model import lazy_module

if TYPE_CHECKING:
    from atlex import AsyncClient, _flow
    from atlex._flow import Flow
    from atlex._model import LexObject
    from atlex.actions import _compose, _graph
    from atlex.actions._media import External, Image, Video
    from atlex.lex.app.bsky.feed import like as _like
    from atlex.lex.app.bsky.feed import repost as _repost
    from atlex.lex.app.bsky.graph import block as _block
    from atlex.lex.app.bsky.graph import follow as _follow
    from atlex.lex.com.atproto.repo import create_record
    from atlex.richtext import RichText
else:
    _flow = lazy_module("atlex._flow")
    _compose = lazy_module("atlex.actions._compose")
    _graph = lazy_module("atlex.actions._graph")
    _like = lazy_module("atlex.lex.app.bsky.feed.like")
    _repost = lazy_module("atlex.lex.app.bsky.feed.repost")
    _block = lazy_module("atlex.lex.app.bsky.graph.block")
    _follow = lazy_module("atlex.lex.app.bsky.graph.follow")

__all__ = ["AsyncActions"]


class AsyncActions:
    """``post``, ``like``/``unlike``, ``repost``/``unrepost``, ``follow``/``unfollow``,
    ``block``/``unblock`` and ``delete_post`` on the client (:class:`~atlex.Client`,
    :class:`~atlex.AsyncClient`)."""

    __slots__ = ()

    def _did(self) -> str:
        raise NotImplementedError

    async def _flow(self, flow: Flow[Any]) -> Any:
        return await _flow.drive_async(flow, cast("AsyncClient", self))

    async def post(
        self,
        text: str | RichText,
        *,
        reply_to: object | None = None,
        quote: object | None = None,
        images: Sequence[Image] | None = None,
        video: Video | None = None,
        external: External | None = None,
        langs: Sequence[str] | None = None,
        labels: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        created_at: str | _dt.datetime | None = None,
    ) -> create_record.Output:
        """Publish a post; returns its ``uri`` and ``cid``.

        ``text`` as a str gets its mentions, links and tags detected as the Bluesky app does
        (mentions resolved to DIDs, unresolvable ones left plain); a :class:`~atlex.richtext.
        RichText` is posted with exactly its facets. ``reply_to`` is the parent (a post view,
        anything with ``uri`` and ``cid``, or an ``at://`` URI): the thread root is found
        from it. ``quote`` embeds another post; with media too, both go in a
        ``recordWithMedia``. ``images`` (up to 4 :class:`~atlex.actions.Image`, alt text
        required, aspect ratio read from the file; the async client uploads them concurrently),
        a ``video`` or an ``external`` link card are the media. ``labels`` are self-labels
        (``"nsfw"``, ``"porn"``, ...).

        Bad input raises :class:`~atlex.LexValidationError` before anything is sent.
        """
        flow = _compose.post_flow(
            text,
            reply_to=reply_to,
            quote=quote,
            images=images,
            video=video,
            external=external,
            langs=langs,
            labels=labels,
            tags=tags,
            created_at=created_at,
            did=self._did,
        )
        return cast("create_record.Output", await self._flow(flow))

    async def like(self, post: object) -> create_record.Output:
        """Like ``post`` (a post view, anything with ``uri`` and ``cid``, or an ``at://``
        URI); returns the like record's ``uri`` and ``cid``."""
        return await self._create_about(_like.Record, post)

    async def unlike(self, target: object) -> str | None:
        """Delete a like: give what :meth:`like` returned, the like's URI, a post view whose
        ``viewer.like`` is set, or the post itself (its like is then looked up in the
        account's own likes). Returns the deleted like's URI, None when there was none."""
        return await self._undo(_like.Record, target)

    async def repost(self, post: object) -> create_record.Output:
        """Repost ``post`` (as for :meth:`like`)."""
        return await self._create_about(_repost.Record, post)

    async def unrepost(self, target: object) -> str | None:
        """Delete a repost (as :meth:`unlike`)."""
        return await self._undo(_repost.Record, target)

    async def follow(self, actor: object) -> create_record.Output:
        """Follow ``actor``: a DID, a handle (resolved by the PDS) or a profile view."""
        return await self._create_about(_follow.Record, actor)

    async def unfollow(self, target: object) -> str | None:
        """Delete a follow: what :meth:`follow` returned, its URI, a profile view whose
        ``viewer.following`` is set, or the account (DID, handle, view)."""
        return await self._undo(_follow.Record, target)

    async def block(self, actor: object) -> create_record.Output:
        """Block ``actor`` (as for :meth:`follow`)."""
        return await self._create_about(_block.Record, actor)

    async def unblock(self, target: object) -> str | None:
        """Delete a block (as :meth:`unfollow`, with ``viewer.blocking``)."""
        return await self._undo(_block.Record, target)

    async def delete_post(self, post: object) -> str:
        """Delete one of the account's posts (a view, what :meth:`post` returned, or its
        ``at://`` URI); returns its URI."""
        return cast(str, await self._flow(_graph.delete_post_flow(post, self._did)))

    async def _create_about(
        self, record_type: type[LexObject], subject: object
    ) -> create_record.Output:
        flow = _graph.subject_record_flow(record_type, subject, self._did)
        return cast("create_record.Output", await self._flow(flow))

    async def _undo(self, record_type: type[LexObject], target: object) -> str | None:
        return cast(
            "str | None", await self._flow(_graph.undo_flow(record_type, target, self._did))
        )
