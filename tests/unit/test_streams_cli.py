"""``atlex firehose`` against a scripted websocket server on 127.0.0.1: one JSON line per event,
commits with their ops and records, --collection filtering, --cursor, --limit, and a dead
service reported with its exit code."""

from __future__ import annotations

import json

from _stream_frames import DID, commit_frame, identity_frame
from _stream_server import Script, scripted_server
from click.testing import CliRunner

from atlex.cli._app import cli

POST = {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2026-01-01T00:00:00Z"}
OTHER = {"$type": "com.example.thing", "b": {"$bytes": "AQ"}}


def _run(*args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(cli, ["firehose", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result.exit_code, lines, result.stderr


def test_one_json_line_per_event_filtered_by_collection() -> None:
    frames = [
        ("send", identity_frame(1)),
        ("send", commit_frame(2, {"com.example.thing/1": OTHER})),
        ("send", commit_frame(3, {"app.bsky.feed.post/1": POST, "com.example.thing/2": OTHER})),
    ]
    script = Script([frames, frames])  # two runs of the command
    with scripted_server(script) as url:
        code, lines, _ = _run(
            url, "--cursor", "0", "--collection", "app.bsky.feed.post", "--limit", "1"
        )
        code_all, every, _ = _run(url, "--limit", "3")
    assert (code, code_all) == (0, 0)
    assert script.paths[0].endswith("subscribeRepos?cursor=0")
    assert [line["seq"] for line in every] == [1, 2, 3]
    assert every[0] == {
        "$type": "com.atproto.sync.subscribeRepos#identity",
        "seq": 1,
        "did": DID,
        "time": "2026-01-01T00:00:00.000Z",
        "handle": "alice.test",
    }
    assert [line["seq"] for line in lines] == [3]  # no identity, seq 2 touches no post
    assert lines[0]["ops"] == [
        {
            "action": "create",
            "path": "app.bsky.feed.post/1",
            "cid": lines[0]["ops"][0]["cid"],
            "prev": None,
            "record": POST,
        }
    ]


def test_records_of_unknown_collections_print_in_the_json_form() -> None:
    script = Script([[("send", commit_frame(5, {"com.example.thing/1": OTHER}))]])
    with scripted_server(script) as url:
        code, lines, _ = _run(url, "--limit", "1")
    assert code == 0
    assert lines[0]["ops"][0]["record"] == OTHER  # type: ignore[index]


def test_an_unreachable_service_exits_with_the_unreachable_code() -> None:
    code, lines, err = _run("http://127.0.0.1:9", "--max-retries", "1")
    assert (code, lines) == (5, [])
    assert "Error: connection to http://127.0.0.1:9 lost after 2 attempts" in err


def test_a_bad_service_url_is_a_usage_error() -> None:
    code, _, err = _run("ftp://example.com")
    assert code == 2
    assert "service URL" in err
