"""Event-stream frames through the sans-I/O core: typed messages, lazily typed records, open
union, declared error frames, malformed frames; the core's URL, cursor and backoff."""

from __future__ import annotations

import base64
import random

import msgspec
import pytest
from _stream_frames import DID, commit_frame, error_frame, frame, identity_frame

from atlex.errors import XrpcResponseError
from atlex.lex.app.bsky.feed import like, post
from atlex.lex.com.atproto.sync import subscribe_repos
from atlex.repo import dagcbor
from atlex.streams import FrameError, RepoCommit, StreamConnectionError, StreamOptions
from atlex.streams._api import _repos_core
from atlex.streams._commit import _UNREAD
from atlex.streams._core import websocket_url
from atlex.streams._records import RecordTypes

POST = {"$type": "app.bsky.feed.post", "text": "hello", "createdAt": "2026-01-01T00:00:00Z"}
LIKE = {
    "$type": "app.bsky.feed.like",
    "subject": {
        "uri": f"at://{DID}/app.bsky.feed.post/3k",
        "cid": dagcbor.cid_text(dagcbor.cid_for(b"\xa0")),
    },
    "createdAt": "2026-01-01T00:00:00Z",
}
UNKNOWN = {"$type": "com.example.thing", "n": 1, "raw": {"$bytes": "AQI"}}


def _core(**options: object):  # type: ignore[no-untyped-def]
    return _repos_core("https://pds.example", None, None, dict(options))


def test_a_commit_is_typed_and_its_records_typed_by_collection() -> None:
    core = _core()
    message = core.feed(
        commit_frame(
            7,
            {
                "app.bsky.feed.post/3ka": POST,
                "app.bsky.feed.like/3kb": LIKE,
                "com.example.thing/3kc": UNKNOWN,
            },
            deletes=("app.bsky.feed.post/3jz",),
        )
    )
    assert isinstance(message, RepoCommit)
    assert isinstance(message, subscribe_repos.Commit)
    assert (message.seq, message.repo, core.cursor) == (7, DID, 7)
    ops = message.operations
    assert [(op.action, op.collection, op.rkey) for op in ops] == [
        ("create", "app.bsky.feed.post", "3ka"),
        ("create", "app.bsky.feed.like", "3kb"),
        ("create", "com.example.thing", "3kc"),
        ("delete", "app.bsky.feed.post", "3jz"),
    ]
    record = ops[0].record
    assert isinstance(record, post.Record)
    assert record.text == "hello"
    assert isinstance(ops[1].record, like.Record)
    assert ops[1].record.subject.cid == LIKE["subject"]["cid"]
    assert ops[2].record == UNKNOWN  # no lexicon: the JSON-form value, bytes as {"$bytes"}
    assert ops[3].record is None
    assert ops[0].uri == f"at://{DID}/app.bsky.feed.post/3ka"
    assert [op.path for op in message.ops_in("app.bsky.feed.like")] == ["app.bsky.feed.like/3kb"]


def test_records_are_decoded_only_when_read() -> None:
    message = _core().feed(commit_frame(1, {"app.bsky.feed.post/3ka": POST}))
    op = message.operations[0]
    assert op._record is _UNREAD  # nothing decoded yet
    assert message._slice._data is None  # the CAR slice is not even taken from the frame yet
    assert isinstance(op.record, post.Record)
    assert message._slice._car is None  # found by searching for its CID: the CAR is not split
    assert message._slice._data is None  # ... in the frame itself: no copy of the slice either
    assert message.car_bytes == base64.b64decode(message.blocks.b64 + "==")


def test_the_car_slice_is_read_from_the_base64_when_the_frame_is_ambiguous() -> None:
    # an rkey holding the bytes of the "blocks" key: the frame search refuses to guess
    path = "app.bsky.feed.post/fblocksY"
    message = _core().feed(commit_frame(1, {path: POST}))
    assert message.operations[0].path == path
    assert message.car_bytes == base64.b64decode(message.blocks.b64 + "==")
    assert isinstance(message.operations[0].record, post.Record)


def test_records_read_after_a_split_come_from_the_split_car() -> None:
    message = _core().feed(commit_frame(1, {"app.bsky.feed.post/3ka": POST}))
    assert len(message.car.blocks) >= 3
    assert isinstance(message.operations[0].record, post.Record)


def test_a_commit_made_without_a_frame_has_its_operations_too() -> None:
    data = commit_frame(1, {"app.bsky.feed.post/3ka": POST}, deletes=("app.bsky.feed.post/3jz",))
    body = dagcbor.decode(data[dagcbor.decode_prefix(data)[1] :])
    message = msgspec.convert(body, RepoCommit)  # no frame decoder: no after_frame
    assert "operations" not in vars(message)
    ops = message.operations  # made on first read, then kept
    assert message.operations is ops
    assert [(op.action, op.path) for op in ops] == [
        ("create", "app.bsky.feed.post/3ka"),
        ("delete", "app.bsky.feed.post/3jz"),
    ]
    assert isinstance(ops[0].record, post.Record)  # from the base64 of `blocks`
    assert ops[1].record is None
    assert len({*ops, *message.operations}) == 2  # ops are hashable, compared by identity
    with pytest.raises(AttributeError, match="'RepoCommit' object has no attribute 'operation'"):
        message.operation  # noqa: B018


def test_a_record_that_does_not_fit_its_lexicon_stays_plain_data() -> None:
    bad = {"$type": "app.bsky.feed.post", "text": 12}
    message = _core().feed(commit_frame(1, {"app.bsky.feed.post/3ka": bad}))
    assert message.operations[0].record == bad


def test_other_messages_are_the_generated_types() -> None:
    core = _core()
    identity = core.feed(identity_frame(9, "bob.test"))
    assert isinstance(identity, subscribe_repos.Identity)
    assert identity.handle == "bob.test"
    info = core.feed(frame("#info", {"name": "OutdatedCursor", "message": "too old"}))
    assert isinstance(info, subscribe_repos.Info)
    assert info.name == "OutdatedCursor"
    assert core.cursor == 9  # info has no seq: the cursor stays


def test_an_unknown_message_type_is_kept_as_data() -> None:
    core = _core()
    message = core.feed(frame("#newThing", {"seq": 12, "x": {"$bytes": "AQ"}}))
    assert message == {
        "$type": "com.atproto.sync.subscribeRepos#newThing",
        "seq": 12,
        "x": {"$bytes": "AQ"},
    }
    assert core.cursor == 12


def test_declared_error_frames_raise_the_declared_classes() -> None:
    with pytest.raises(subscribe_repos.FutureCursorError) as caught:
        _core().feed(error_frame("FutureCursor", "cursor in the future"))
    assert caught.value.message == "cursor in the future"
    assert caught.value.nsid == "com.atproto.sync.subscribeRepos"
    with pytest.raises(XrpcResponseError) as other:
        _core().feed(error_frame("SomethingElse"))
    assert type(other.value) is XrpcResponseError
    assert other.value.error == "SomethingElse"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("text", "binary frame"),
        (b"\xa1", "not DAG-CBOR"),
        (dagcbor.encode({"op": 1, "t": "#commit"}), "not DAG-CBOR"),
        (dagcbor.encode([1]) + dagcbor.encode({}), "must be maps"),
        (dagcbor.encode({"op": 2, "t": "#x"}) + dagcbor.encode({}), "unknown frame op 2"),
        (dagcbor.encode({"op": 1}) + dagcbor.encode({}), "without a string 't'"),
        (frame("#commit", {"seq": 1}), "does not match the lexicon"),
        (frame("#identity", {"seq": 1}) + b"\x00", "not DAG-CBOR"),
        (frame("#commit", {}) + b"\x00", "not DAG-CBOR"),
        (dagcbor.encode({"op": 1, "t": "#commit"}) + dagcbor.encode([1]), "must be maps"),
        (dagcbor.encode({"op": 1, "t": "#commit"}) + b"\xa1", "not DAG-CBOR"),
        (b"\xa2at", "not DAG-CBOR"),
    ],
)
def test_malformed_frames_raise_frame_error(data: object, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        _core().feed(data)  # type: ignore[arg-type]


def test_headers_recognised_by_their_bytes_mean_what_decoding_them_means() -> None:
    # the known header bytes are a shortcut: a header spelled otherwise (another key, a long
    # type name) is decoded and gives the same message
    body = {"seq": 3, "did": DID, "time": "2026-01-01T00:00:00Z"}
    spelled_out = dagcbor.encode({"op": 1, "t": "#identity", "x": 0}) + dagcbor.encode(body)
    for data in (frame("#identity", body), spelled_out):
        message = _core().feed(data)
        assert isinstance(message, subscribe_repos.Identity)
        assert (message.seq, message.did) == (3, DID)
    long_kind = "#" + "n" * 30
    assert _core().feed(frame(long_kind, {"seq": 4}))["$type"].endswith(long_kind)


def test_record_types_map_collections_to_classes_once() -> None:
    types = RecordTypes(extra={"com.example.thing": post.Record})
    assert types["app.bsky.feed.like"] is like.Record
    assert types["com.example.thing"] is post.Record  # an explicit mapping wins
    assert types["com.example.nothing"] is None
    assert types.get("com.example.other") is None  # no lookup through get: not cached
    assert "com.example.nothing" in types and "com.example.other" not in types


@pytest.mark.parametrize(
    ("service", "params", "url"),
    [
        ("https://pds.example", {}, "wss://pds.example/xrpc/x.y.z"),
        ("http://127.0.0.1:2583/", {"cursor": 5}, "ws://127.0.0.1:2583/xrpc/x.y.z?cursor=5"),
        ("https://h/base", {"a": True, "b": None}, "wss://h/base/xrpc/x.y.z?a=true"),
        ("wss://relay.example", {}, "wss://relay.example/xrpc/x.y.z"),
    ],
)
def test_websocket_urls(service: str, params: dict[str, object], url: str) -> None:
    assert websocket_url(service, "x.y.z", params) == url


def test_a_bad_service_url_fails_at_once() -> None:
    with pytest.raises(ValueError, match="service URL"):
        _repos_core("ftp://pds.example", None, None, {})


def test_the_cursor_resumes_after_the_last_message() -> None:
    core = _repos_core("https://pds.example", 41, None, {})
    assert core.url().endswith("subscribeRepos?cursor=41")
    core.feed(identity_frame(42))
    assert core.url().endswith("subscribeRepos?cursor=42")


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    core = _core(backoff_initial=1.0, backoff_max=8.0)
    core._rng = random.Random(3)
    delays = [core.retry_delay(OSError("refused")) for _ in range(6)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    core.connected()
    assert core.retry_delay(OSError("refused")) <= 1.0


def test_giving_up_names_the_cursor() -> None:
    core = _core(max_retries=2)
    core.feed(identity_frame(5))
    core.retry_delay(OSError("a"))
    core.retry_delay(OSError("b"))
    with pytest.raises(StreamConnectionError, match="after 3 attempts") as caught:
        core.retry_delay(OSError("c"))
    assert caught.value.cursor == 5
    with pytest.raises(StreamConnectionError):
        _core(reconnect=False).retry_delay(OSError("down"))


def test_error_frames_are_final_unless_reconnecting_is_the_remedy() -> None:
    core = _core()
    too_slow = XrpcResponseError("ConsumerTooSlow", status=400)
    assert core.retry_delay(too_slow) > 0
    future = subscribe_repos.FutureCursorError("FutureCursor", status=400)
    with pytest.raises(subscribe_repos.FutureCursorError):
        core.retry_delay(future)


def test_options_are_checked_by_name() -> None:
    with pytest.raises(TypeError):
        _core(no_such_option=1)
    assert StreamOptions().reconnect is True
