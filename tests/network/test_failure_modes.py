"""Bad states of the local network are reported clearly, never hang, and leave nothing running."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from refnet import (
    LonePds,
    PortInUseError,
    ReferenceNetwork,
    ServiceDiedError,
    StartupTimeoutError,
    Toolchain,
)
from refnet_procs import free_ports, group_members, listening_sockets

pytestmark = pytest.mark.network


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def _remove_kept_logs(controller: LonePds) -> None:
    """The controller keeps the logs of a failed run for a person to read; these failures are
    the tests' own doing."""
    assert controller.run_dir is not None and controller.run_dir.exists()
    shutil.rmtree(controller.run_dir)


def test_port_in_use_is_reported_before_anything_starts(busy_port: int) -> None:
    pds = LonePds(ports={"pds": busy_port, "plc": free_ports(1)[0]})
    with pytest.raises(PortInUseError) as caught:
        pds.start()
    assert f"{busy_port} (pds)" in str(caught.value)
    assert "already in use" in str(caught.value)
    assert pds.started_pgids == []


def test_start_script_reports_a_port_taken_after_the_check(busy_port: int) -> None:
    # a race the Python-side check cannot see: the script itself must say what happened
    toolchain = Toolchain()
    result = subprocess.run(
        [str(toolchain.node), str(toolchain.start_script), "--mode=pds", f"--pds-port={busy_port}"],
        cwd=toolchain.network_dir,
        env=toolchain.env({}),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("ATLEX_NETWORK_ERROR ")]
    assert len(lines) == 1
    error = json.loads(lines[0].split(" ", 1)[1])
    assert error["what"] == f"port {busy_port} on 127.0.0.1 is already in use"
    assert "network-down" in error["hint"]


def test_start_script_rejects_bad_arguments() -> None:
    toolchain = Toolchain()
    result = subprocess.run(
        [str(toolchain.node), str(toolchain.start_script), "--mode=network", "--access-ttl=3s"],
        cwd=toolchain.network_dir,
        env=toolchain.env({}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "ATLEX_NETWORK_ERROR" in result.stdout
    assert "--access-ttl needs --mode pds" in result.stdout


def test_startup_timeout_stops_what_was_started() -> None:
    pds = LonePds(startup_timeout=0.5)
    with pytest.raises(StartupTimeoutError) as caught:
        pds.start()
    assert "did not report ready within" in str(caught.value)
    assert "ATLEX_NETWORK_STARTUP_TIMEOUT" in str(caught.value)
    assert len(pds.started_pgids) == 1
    assert group_members(pds.started_pgids) == []
    _remove_kept_logs(pds)


def test_a_service_that_dies_is_named_and_stop_leaves_nothing() -> None:
    pds = LonePds()
    info = pds.start()
    try:
        account = pds.create_account("victim")
        assert account.did.startswith("did:plc:")
        pds.services[0].process.send_signal(signal.SIGKILL)
        pds.services[0].process.wait(timeout=10)
        with pytest.raises(ServiceDiedError) as caught:
            pds.check_alive()
        message = str(caught.value)
        assert f"pid {info.pid}" in message
        assert "killed by SIGKILL" in message
        with pytest.raises(ServiceDiedError):
            pds.create_account("another")
    finally:
        pds.stop()
        _remove_kept_logs(pds)
    assert group_members(pds.started_pgids) == []
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{info.pds}/xrpc/_health", timeout=5)


def test_a_second_full_network_runs_beside_the_first_and_stops_cleanly(
    network: ReferenceNetwork,
) -> None:
    with ReferenceNetwork() as second:
        assert second.info.pds != network.info.pds
        health = httpx.get(f"{second.info.pds}/xrpc/_health", timeout=10).json()
        assert "version" in health
        pgids = list(second.started_pgids)
        assert len(pgids) == 4  # initdb (finished), PostgreSQL, Redis, Node
        assert {sock.host for sock in listening_sockets(second.pids)} == {"127.0.0.1"}
        run_dir = second.run_dir
    assert group_members(pgids) == []
    assert run_dir is not None and not run_dir.exists()
    # the session network was not disturbed
    network.check_alive()
