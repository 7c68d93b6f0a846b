"""The newcomer's tools around the network, without starting it: `make help` in a pipe, the
install progress, `network-up`'s port options and the instructions it prints."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from refnet import NETWORK_DIR, REPO_ROOT, ReferenceNetwork
from refnet_cli import _parse, free_base, instructions, other_ports_hint, ports_from


def test_make_help_writes_no_colour_codes_into_a_pipe() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    out = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "\x1b" not in out
    assert "  network-up " in out and "NETWORK_PORT_BASE" in out


def test_install_progress_reports_while_the_command_runs() -> None:
    started = time.monotonic()
    run = subprocess.run(
        ["bash", str(NETWORK_DIR / "progress.sh"), "bash", "-c", "sleep 2.5; exit 7"],
        env={**os.environ, "ATLEX_PROGRESS_INTERVAL": "1"},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 7  # the command's own status
    lines = [ln for ln in run.stdout.splitlines() if "still working" in ln]
    assert len(lines) >= 2, run.stdout
    assert "packages in network/node_modules" in lines[0]
    assert time.monotonic() - started < 10


def test_install_progress_is_silent_for_a_quick_command() -> None:
    run = subprocess.run(
        ["bash", str(NETWORK_DIR / "progress.sh"), "true"], capture_output=True, text=True
    )
    assert run.returncode == 0 and run.stdout == ""


def test_ports_from_a_base_and_the_fixed_ones() -> None:
    assert ports_from(None) == dict(ReferenceNetwork.DEFAULT_PORTS)
    ports = ports_from(4000)
    assert sorted(ports.values()) == list(range(4000, 4006))
    assert ports["pds"] == 4003 and set(ports) == set(ReferenceNetwork.SERVICE_PORTS)


def test_port_hint_names_a_free_base() -> None:
    hint = other_ports_hint()
    assert "make network-up NETWORK_PORT_BASE=" in hint
    base = free_base()
    assert base is not None and f"NETWORK_PORT_BASE={base}" in hint


def test_base_port_is_checked() -> None:
    assert _parse(["up", "--base-port", "4000"]).base_port == 4000
    with pytest.raises(SystemExit):
        _parse(["up", "--base-port", "80"])


def test_instructions_log_in_and_post_without_printing_the_password() -> None:
    ready = {"pds": "http://127.0.0.1:4003", "appviewDid": "did:plc:abc"}
    account = {"handle": "alice.test", "did": "did:plc:me", "passwordFile": "/x/alice.password"}
    lines = instructions(ready, account)
    text = "\n".join(lines)
    assert "atlex login alice.test --service http://127.0.0.1:4003" in lines
    assert "ATLEX_APPVIEW='did:plc:abc#bsky_appview'" in text
    assert 'export ATLEX_PASSWORD="$(cat /x/alice.password)"' in lines
    assert any(ln.startswith("atlex call com.atproto.repo.createRecord --input ") for ln in lines)
