"""Fixtures for the ``atlex`` command-line tests.

* ``cli``        runs ``atlex ...`` through click's ``CliRunner`` with a private config folder
                 (``ATLEX_CONFIG_DIR``) and no password or DNS settings inherited from the shell.
* ``pds``        session-scoped ``LonePds`` (a reference PDS plus its own PLC on 127.0.0.1, see
                 tests/network/refnet.py) whose access tokens expire after ``ACCESS_TTL``, so the
                 CLI's refresh-and-save path runs for real.
* ``dns``        a ``TxtServer`` answering TXT questions on 127.0.0.1.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "network"))

from cli_support import Cli
from dns_test_server import TxtServer
from refnet import LonePds

ACCESS_TTL = "3s"

_CLEARED_ENV = (
    "ATLEX_PASSWORD",
    "ATLEX_SERVICE",
    "ATLEX_AUTH_FACTOR_TOKEN",
    "ATLEX_DNS_SERVER",
    "ATLEX_PLC_URL",
)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    config = tmp_path / "config"
    for name in _CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ATLEX_CONFIG_DIR", str(config))
    return Cli(config, {"ATLEX_CONFIG_DIR": str(config)})


@pytest.fixture(scope="session")
def pds() -> Iterator[LonePds]:
    with LonePds(access_ttl=ACCESS_TTL) as running:
        yield running


@pytest.fixture
def dns() -> Iterator[TxtServer]:
    with TxtServer() as server:
        yield server
