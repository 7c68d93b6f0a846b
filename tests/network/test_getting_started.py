"""The README's getting-started path, end to end: `make network-up`, then only what it prints.

This test starts its own network through `make network-up` (that is what it checks), on ports
of its own (``NETWORK_PORT_BASE``) and with its own state folder, so a network a developer runs
in this clone is left alone. It then runs the printed commands in a shell, exactly as printed,
and checks that a post exists on the PDS.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from refnet import REPO_ROOT
from refnet_cli import free_base
from refnet_xrpc import call, poll

import atlex
from atlex import Client, PasswordSession
from atlex.errors import XrpcProxyError
from atlex.lex.app.bsky.feed import post

pytestmark = pytest.mark.network


def _env(tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # a nested make prints "Entering directory"; the user's own atlex settings stay out
        if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS") and not k.startswith("ATLEX_")
    }
    env["ATLEX_NETWORK_STATE_DIR"] = str(tmp / "state")
    env["ATLEX_CONFIG_DIR"] = str(tmp / "config")
    return env


def _make(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], int]]:
    tmp = tmp_path_factory.mktemp("getting-started")
    env = _env(tmp)
    base = free_base(start=random.randrange(20000, 40000, 10))
    assert base is not None
    up = _make(["network-up", f"NETWORK_PORT_BASE={base}"], env)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield up.stdout, env, base
    finally:
        down = _make(["network-down"], env)
        assert down.returncode == 0, down.stdout + down.stderr
        assert "stopped" in down.stdout or "not running" in down.stdout


def _printed_commands(out: str) -> list[str]:
    block = out.split("Try it from this folder", 1)[1].split("\n", 1)[1]
    lines: list[str] = []
    for line in block.splitlines():
        if not line.startswith("  "):
            break
        lines.append(line[2:])
    return lines


def test_from_network_up_to_a_post(started: tuple[str, dict[str, str], int]) -> None:
    out, env, base = started
    pds = f"http://127.0.0.1:{base + 3}"
    assert f"PDS      {pds}" in out
    assert re.search(r"proxy did:[a-z]+:\S+#bsky_appview", out), out
    commands = _printed_commands(out)
    assert any(c.startswith(f"atlex login alice.test --service {pds}") for c in commands), out
    assert "ATLEX_PASSWORD=" not in out.replace('ATLEX_PASSWORD="$(cat', ""), "password printed"

    ran = subprocess.run(
        ["bash", "-e", "-c", "\n".join(commands)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    uri = re.search(r'"uri": "(at://did:[^"]+/app\.bsky\.feed\.post/[^"]+)"', ran.stdout)
    assert uri is not None, ran.stdout
    assert '"text": "hello from atlex"' in ran.stdout  # the last command lists the post
    # the post is on the PDS, independent of atlex
    did, _, rkey = uri.group(1).removeprefix("at://").partition("/app.bsky.feed.post/")
    record = call(
        pds,
        "com.atproto.repo.getRecord",
        params={"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey},
    )
    assert record["value"]["text"] == "hello from atlex"
    password = (Path(env["ATLEX_NETWORK_STATE_DIR"]) / "alice.password").read_text().strip()
    assert password not in out + ran.stdout + ran.stderr
    assert (Path(env["ATLEX_NETWORK_STATE_DIR"]) / "alice.password").stat().st_mode & 0o077 == 0


def test_second_network_up_is_not_an_error(started: tuple[str, dict[str, str], int]) -> None:
    _, env, base = started
    again = _make(["network-up", f"NETWORK_PORT_BASE={base}"], env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already running" in again.stdout
    assert "Error" not in again.stdout + again.stderr
    assert "atlex login alice.test" in again.stdout  # the way in is shown again


def test_port_conflict_names_the_option(
    started: tuple[str, dict[str, str], int], tmp_path: Path
) -> None:
    _, env, base = started
    other = {**env, "ATLEX_NETWORK_STATE_DIR": str(tmp_path / "other-state")}
    clash = _make(["network-up", f"NETWORK_PORT_BASE={base}"], other)
    assert clash.returncode != 0
    assert "already in use" in clash.stderr
    suggested = re.search(r"make network-up NETWORK_PORT_BASE=(\d+)", clash.stderr)
    assert suggested is not None, clash.stderr
    assert int(suggested.group(1)) != base
    assert not (tmp_path / "other-state" / "state.json").exists()


def test_network_down_leaves_nothing(tmp_path: Path) -> None:
    """`network-down` without a running network is a no-op, not an error."""
    down = _make(["network-down"], _env(tmp_path))
    assert down.returncode == 0 and "not running" in down.stdout


def test_bluesky_proxy_on_a_local_pds_is_a_clear_error(
    started: tuple[str, dict[str, str], int],
) -> None:

    _, env, base = started
    pds = f"http://127.0.0.1:{base + 3}"
    password = (Path(env["ATLEX_NETWORK_STATE_DIR"]) / "alice.password").read_text().strip()
    with PasswordSession.login(service=pds, identifier="alice.test", password=password) as session:
        bluesky = Client(session, proxy="did:web:api.bsky.app#bsky_appview")
        with pytest.raises(XrpcProxyError) as info:
            bluesky.app.bsky.actor.get_profile(actor=session.did)
        text = str(info.value)
        assert "could not resolve proxy did" in text  # the server's own words are kept
        assert "make network-up" in text and "no proxy" in text  # and what to do instead
        assert info.value.status == 400
        # no proxy: the PDS forwards app.bsky.* to its own AppView
        assert Client(session).app.bsky.actor.get_profile(actor=session.did).handle == "alice.test"


def test_readme_way_to_a_feed_posts_text_is_typed(
    started: tuple[str, dict[str, str], int],
) -> None:
    """The README's `atlex.record_as(item.post.record, post.Record).text`, on a real AppView
    answer (the README example itself runs in test_readme_examples)."""

    readme = (REPO_ROOT / "README.md").read_text()
    assert "text = atlex.record_as(item.post.record, post.Record).text" in readme
    _, env, base = started
    pds = f"http://127.0.0.1:{base + 3}"
    password = (Path(env["ATLEX_NETWORK_STATE_DIR"]) / "alice.password").read_text().strip()
    with PasswordSession.login(service=pds, identifier="alice.test", password=password) as session:
        client = Client(session)
        client.create(post.Record(text="typed text", created_at=atlex.now()))

        def texts() -> list[str]:
            feed = client.app.bsky.feed.get_author_feed(actor=session.did, limit=10).feed
            return [atlex.record_as(item.post.record, post.Record).text for item in feed]

        assert "typed text" in poll(
            texts, lambda t: "typed text" in t, timeout=30, what="the AppView indexing the post"
        )
        feed = client.app.bsky.feed.get_author_feed(actor=session.did, limit=10).feed
        assert isinstance(feed[0].post.record, post.Record)  # typed by its $type on first read
        typed = atlex.record_as(feed[0].post.record, post.Record)
        assert isinstance(typed.created_at, str)
