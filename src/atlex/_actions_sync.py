# Generated from src/atlex/_actions_async.py by tools/unasync.py (`make unasync`): do not edit.
# Edit the async source; a test fails when this file has drifted from it.
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
    from atlex import Client, _flow
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

__all__ = ["SyncActions"]


class SyncActions:
    """``post``, ``like``/``unlike``, ``repost``/``unrepost``, ``follow``/``unfollow``,
    ``block``/``unblock`` and ``delete_post`` on the client (:class:`~atlex.Client`,
    :class:`~atlex.AsyncClient`)."""

    __slots__ = ()

    def _did(self) -> str:
        raise NotImplementedError

    def _flow(self, flow: Flow[Any]) -> Any:
        return _flow.drive(flow, cast("Client", self))

    def post(
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
        return cast("create_record.Output", self._flow(flow))

    def like(self, post: object) -> create_record.Output:
        """Like ``post`` (a post view, anything with ``uri`` and ``cid``, or an ``at://``
        URI); returns the like record's ``uri`` and ``cid``."""
        return self._create_about(_like.Record, post)

    def unlike(self, target: object) -> str | None:
        """Delete a like: give what :meth:`like` returned, the like's URI, a post view whose
        ``viewer.like`` is set, or the post itself (its like is then looked up in the
        account's own likes). Returns the deleted like's URI, None when there was none."""
        return self._undo(_like.Record, target)

    def repost(self, post: object) -> create_record.Output:
        """Repost ``post`` (as for :meth:`like`)."""
        return self._create_about(_repost.Record, post)

    def unrepost(self, target: object) -> str | None:
        """Delete a repost (as :meth:`unlike`)."""
        return self._undo(_repost.Record, target)

    def follow(self, actor: object) -> create_record.Output:
        """Follow ``actor``: a DID, a handle (resolved by the PDS) or a profile view."""
        return self._create_about(_follow.Record, actor)

    def unfollow(self, target: object) -> str | None:
        """Delete a follow: what :meth:`follow` returned, its URI, a profile view whose
        ``viewer.following`` is set, or the account (DID, handle, view)."""
        return self._undo(_follow.Record, target)

    def block(self, actor: object) -> create_record.Output:
        """Block ``actor`` (as for :meth:`follow`)."""
        return self._create_about(_block.Record, actor)

    def unblock(self, target: object) -> str | None:
        """Delete a block (as :meth:`unfollow`, with ``viewer.blocking``)."""
        return self._undo(_block.Record, target)

    def delete_post(self, post: object) -> str:
        """Delete one of the account's posts (a view, what :meth:`post` returned, or its
        ``at://`` URI); returns its URI."""
        return cast(str, self._flow(_graph.delete_post_flow(post, self._did)))

    def _create_about(self, record_type: type[LexObject], subject: object) -> create_record.Output:
        flow = _graph.subject_record_flow(record_type, subject, self._did)
        return cast("create_record.Output", self._flow(flow))

    def _undo(self, record_type: type[LexObject], target: object) -> str | None:
        return cast("str | None", self._flow(_graph.undo_flow(record_type, target, self._did)))
