"""Static typing of client usage: pyright (strict) sees the Output types through the namespaces,
keeps the client subclass through context managers and rejects wrong arguments."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

UNIT_DIR = Path(__file__).resolve().parent
REPO = UNIT_DIR.parents[1]

USAGE = """
from typing import reveal_type

from _fake_lex.client import AsyncClient, Client

from atlex import AsyncClient as LexAsyncClient
from atlex import CallOptions
from atlex import Client as LexClient
from atlex.streams import RepoCommit


def sync_usage() -> None:
    client = Client("https://pds.test", max_retries=2)
    out = client.test.feed.get_timeline(limit=10, options=CallOptions(timeout=5.0))
    reveal_type(out)  # T: Output
    reveal_type(out.feed[0].like_count)  # T: int
    reveal_type(client.test.misc.get_blob(did="d", cid="c"))  # T: bytes
    reveal_type(client.call("x.y.z"))  # T: Any
    with Client("https://pds.test") as scoped:
        reveal_type(scoped)  # T: Client
        reveal_type(scoped.test.feed)  # T: TestFeed
    client.test.feed.get_timeline(limit="10")  # E
    client.test.feed.get_timeline(unknown=1)  # E
    client.test.feed.get_timeline(10)  # E
    client.test.repo.upload_blob(b"x", content_type=3)  # E
    Client("https://pds.test", proxy=5)  # E


async def async_usage() -> None:
    client = AsyncClient("https://pds.test")
    out = await client.test.feed.get_timeline()
    reveal_type(out)  # T: Output
    async with AsyncClient("https://pds.test") as scoped:
        reveal_type(scoped)  # T: AsyncClient
        reveal_type(scoped.test.feed)  # T: AsyncTestFeed
    await client.test.repo.create_record(repo="r", collection="c")  # E


def stream_usage(client: LexClient) -> None:
    for msg in client.com.atproto.sync.subscribe_repos(cursor=0):
        if isinstance(msg, RepoCommit):
            reveal_type(msg.ops_in("app.bsky.feed.post")[0].action)  # T: str | Literal['create', 'update', 'delete']
    stream = client.com.atproto.sync.subscribe_repos(cursor=0, verify=True, max_queue=8)
    reveal_type(stream.cursor)  # T: int | None
    for label in client.com.atproto.label.subscribe_labels(cursor=1):
        reveal_type(label)  # T: Labels | Info | dict[str, Any]
    client.com.atproto.sync.subscribe_repos(cursor="0")  # E
    client.com.atproto.sync.subscribe_repos(max_queue="8")  # E
    client.com.atproto.label.subscribe_labels(verify=True)  # E


async def async_stream_usage(client: LexAsyncClient) -> None:
    async for msg in client.com.atproto.sync.subscribe_repos(cursor=0, reconnect=False):
        if isinstance(msg, RepoCommit):
            reveal_type(msg.seq)  # T: int
    async with client.com.atproto.label.subscribe_labels() as labels:
        async for label in labels:
            reveal_type(label)  # T: Labels | Info | dict[str, Any]
    list(client.com.atproto.sync.subscribe_repos())  # E
"""


def _expectations(source: str) -> tuple[dict[int, str], set[int]]:
    types: dict[int, str] = {}
    errors: set[int] = set()
    for number, line in enumerate(source.splitlines(), start=1):
        if match := re.search(r"# T: (.+)$", line):
            types[number] = match.group(1)
        elif line.rstrip().endswith("# E"):
            errors.add(number)
    return types, errors


@pytest.fixture(scope="module")
def diagnostics(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    work = tmp_path_factory.mktemp("typing")
    (work / "usage.py").write_text(USAGE)
    config = {
        "include": ["usage.py"],
        "extraPaths": [str(REPO / "src"), str(UNIT_DIR)],
        "venvPath": str(REPO),
        "venv": ".venv",
        "typeCheckingMode": "strict",
        "pythonVersion": "3.11",
        "pythonPlatform": "Linux",
        "reportUnusedCoroutine": False,
    }
    (work / "pyrightconfig.json").write_text(json.dumps(config))
    pyright = Path(sys.executable).with_name("pyright")
    done = subprocess.run(
        [str(pyright), "--outputjson", "-p", str(work / "pyrightconfig.json")],
        capture_output=True,
        text=True,
        cwd=work,
    )
    report = json.loads(done.stdout)
    return list(report["generalDiagnostics"])


def test_revealed_types(diagnostics: list[dict[str, object]]) -> None:
    types, _ = _expectations(USAGE)
    revealed: dict[int, str] = {}
    for diag in diagnostics:
        message = str(diag["message"])
        if message.startswith("Type of "):
            line = int(diag["range"]["start"]["line"]) + 1  # type: ignore[index]
            revealed[line] = message.rsplit(" is ", 1)[1].strip('"')
    assert revealed == types


def test_wrong_arguments_are_rejected_and_nothing_else(
    diagnostics: list[dict[str, object]],
) -> None:
    _, errors = _expectations(USAGE)
    flagged = {
        int(diag["range"]["start"]["line"]) + 1  # type: ignore[index]
        for diag in diagnostics
        if diag["severity"] == "error"
    }
    assert flagged == errors, [d["message"] for d in diagnostics if d["severity"] == "error"]
