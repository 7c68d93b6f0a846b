"""Likes, reposts, follows and blocks, their undoing, and deleting a post.

Undoing takes the record to delete (its URI, what ``like()`` returned, a view whose ``viewer``
names it) or the thing undone (a post, an account): the record is then found by reading the
account's own collection, newest first, on its PDS, which is exact at once, where the AppView's
``viewer`` state appears only after indexing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from atlex._flow import Flow
from atlex._model import LexObject
from atlex._records import Pager, delete_plan, write_plan
from atlex.actions._targets import actor_did_flow, parse_at_uri, post_ref_flow
from atlex.errors import LexValidationError
from atlex.lex.app.bsky.feed import like as _like
from atlex.lex.app.bsky.feed import post as _post
from atlex.lex.app.bsky.feed import repost as _repost
from atlex.lex.app.bsky.graph import block as _block
from atlex.lex.app.bsky.graph import follow as _follow
from atlex.lex.com.atproto.repo import create_record

__all__ = ["create_flow", "delete_post_flow", "subject_record_flow", "undo_flow"]

DidFn = Callable[[], str]

# record type -> the ``viewer`` field of a view that holds the record's URI
VIEWER_FIELD: dict[type[LexObject], str] = {
    _like.Record: "like",
    _repost.Record: "repost",
    _follow.Record: "following",
    _block.Record: "blocking",
}
_POST_SUBJECT = (_like.Record, _repost.Record)


def _collection(record_type: type[LexObject]) -> str:
    return str(record_type.LEX_TYPE)


def create_flow(record: LexObject, did: DidFn) -> Flow[create_record.Output]:
    created: create_record.Output = yield write_plan(
        record,
        new=True,
        rkey=None,
        validate=None,
        swap_record=None,
        swap_commit=None,
        repo=None,
        did=did,
        validate_request=False,
    )
    return created


def subject_record_flow(
    record_type: type[LexObject], target: object, did: DidFn
) -> Flow[create_record.Output]:
    """A like/repost of the post ``target`` or a follow/block of the account ``target``."""
    from atlex._datetime import now

    what = _collection(record_type).rsplit(".", 1)[-1]
    build: Any = record_type  # each of the four takes subject= and created_at=
    if record_type in _POST_SUBJECT:
        ref, _ = yield from post_ref_flow(target, what=what)
        record: LexObject = build(subject=ref, created_at=now())
    else:
        subject = yield from actor_did_flow(target, what=what)
        record = build(subject=subject, created_at=now())
    return (yield from create_flow(record, did))


def _own_rkey(uri: str, record_type: type[LexObject], did: DidFn, what: str) -> str:
    at = parse_at_uri(uri, what=what)
    if at.collection != _collection(record_type):
        raise LexValidationError(
            f"{what}: {uri} is not a {_collection(record_type)} record", path=what
        )
    if at.repo != did():
        raise LexValidationError(f"{what}: {uri} is in another account's repository", path=what)
    return at.rkey


def _record_uri_in_hand(target: object, record_type: type[LexObject]) -> str | None:
    """The URI of the record to delete when ``target`` names it directly."""
    collection = _collection(record_type)
    uri = target if isinstance(target, str) else getattr(target, "uri", None)
    if isinstance(uri, str) and uri.startswith("at://") and f"/{collection}/" in uri:
        return uri
    viewer = getattr(target, "viewer", None)
    held = getattr(viewer, VIEWER_FIELD[record_type], None)
    return held if isinstance(held, str) else None


def _subject_of(record_type: type[LexObject], value: Any) -> str | None:
    subject = getattr(value, "subject", None)
    if record_type in _POST_SUBJECT:
        return getattr(subject, "uri", None)
    return subject if isinstance(subject, str) else None


def undo_flow(record_type: type[LexObject], target: object, did: DidFn) -> Flow[str | None]:
    """Delete the like/repost/follow/block ``target`` names; returns its URI, or None when
    there was none."""
    what = "un" + _collection(record_type).rsplit(".", 1)[-1]
    uri = _record_uri_in_hand(target, record_type)
    if uri is None:
        if record_type in _POST_SUBJECT:
            wanted = target if isinstance(target, str) else getattr(target, "uri", None)
            if not isinstance(wanted, str):
                raise TypeError(
                    f"{what}: expected a post (view or at:// URI), got {type(target).__name__}"
                )
            parse_at_uri(wanted, what=what)
        else:
            wanted = yield from actor_did_flow(target, what=what)
        uri = yield from _find_own(record_type, wanted, did)
        if uri is None:
            return None
    rkey = _own_rkey(uri, record_type, did, what)
    yield delete_plan(
        record_type, rkey=rkey, swap_record=None, swap_commit=None, repo=None, did=did
    )
    return uri


def _find_own(record_type: type[LexObject], subject: str, did: DidFn) -> Flow[str | None]:
    pager = Pager(record_type, repo=None, limit=100, reverse=None, did=did)
    while (plan := pager.next_plan()) is not None:
        page = yield plan
        for item in pager.feed(page):
            if item.value is not None and _subject_of(record_type, item.value) == subject:
                return item.uri
    return None


def delete_post_flow(target: object, did: DidFn) -> Flow[str]:
    uri = target if isinstance(target, str) else getattr(target, "uri", None)
    if not isinstance(uri, str):
        raise TypeError(
            f"delete_post: expected a post (view or at:// URI), got {type(target).__name__}"
        )
    rkey = _own_rkey(uri, _post.Record, did, "delete_post")
    yield delete_plan(
        _post.Record, rkey=rkey, swap_record=None, swap_commit=None, repo=None, did=did
    )
    return uri
