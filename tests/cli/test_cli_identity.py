"""``atlex resolve HANDLE|DID``: against the reference PDS's PLC and a DNS server on 127.0.0.1,
and its errors (each a clear message and exit code). Only loopback is contacted: handles are
resolved through the test DNS server, DIDs through a PLC on 127.0.0.1."""

from __future__ import annotations

import json
import socket

import pytest
from cli_support import Cli, error_of
from dns_test_server import TxtServer
from loopback_web import WebServer
from refnet import LonePds

from atlex.cli._errors import ExitCode
from atlex.identity import parse_did_key

UNKNOWN_DID = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"


@pytest.mark.network
def test_resolve_a_handle_and_a_did(cli: Cli, pds: LonePds) -> None:
    account = pds.create_account("clires")
    with TxtServer() as dns:
        dns.records[f"_atproto.{account.handle}"] = [f"did={account.did}"]
        env = {"ATLEX_DNS_SERVER": dns.address, "ATLEX_PLC_URL": pds.info.plc}
        result = cli("resolve", account.handle, "--json", env=env)
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert (data["did"], data["handle"]) == (account.did, account.handle)
        assert data["pds"].rsplit(":", 1)[1] == pds.info.pds.rsplit(":", 1)[1]
        assert parse_did_key(data["signingKey"]).curve == "k256"
        shown = cli("resolve", account.did, "--plc-url", pds.info.plc, "--dns-server", dns.address)
        assert shown.exit_code == 0, shown.stderr
        assert f"did:     {account.did}\nhandle:  {account.handle}\n" in shown.stdout
        assert f"key:     {data['signingKey']} (ES256K)" in shown.stdout
        dns.records["_atproto.stranger.test"] = [f"did={account.did}"]
        other = cli("resolve", "stranger.test", env=env)
        assert other.exit_code == 0, other.stderr
        assert "handle:  handle.invalid  (stranger.test and the DID document" in other.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["not_a handle"], ExitCode.USAGE, "invalid handle"),
        (["did:example:123"], ExitCode.USAGE, "not an atproto DID method"),
        ([UNKNOWN_DID, "--plc-url", "ftp://x"], ExitCode.USAGE, "plc_url must be an http(s) URL"),
        ([UNKNOWN_DID, "--dns-server", "1.2.3.4:x"], ExitCode.USAGE, "ADDRESS or ADDRESS:PORT"),
    ],
)
def test_resolve_usage_errors(cli: Cli, args: list[str], code: ExitCode, message: str) -> None:
    result = cli("resolve", *args)
    assert result.exit_code == code
    assert message in error_of(result)


def test_resolve_unknown_and_unreachable_dids(cli: Cli) -> None:
    with WebServer() as plc:  # answers 404 to everything, like a PLC that never heard of it
        result = cli("resolve", UNKNOWN_DID, "--plc-url", plc.origin)
    assert result.exit_code == ExitCode.RESOLUTION
    assert f"DidNotFound: {UNKNOWN_DID}: " in error_of(result)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # a port nothing listens on
        port = closed.getsockname()[1]
        result = cli(
            "resolve", UNKNOWN_DID, "--plc-url", f"http://127.0.0.1:{port}", "--timeout", "2"
        )
    assert result.exit_code == ExitCode.UNREACHABLE
    assert UNKNOWN_DID in error_of(result)
