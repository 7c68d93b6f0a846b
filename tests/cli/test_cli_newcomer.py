"""The newcomer's mistakes are caught here, before anything is sent, with a way forward.

Calls go to ``--service http://127.0.0.1:9`` (nothing listens there): a command that reached
the network would exit UNREACHABLE (5), so a USAGE exit (2) proves the check was local.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import Cli, error_of
from refnet import LonePds
from refnet_xrpc import call

from atlex.cli._errors import ExitCode
from atlex.cli._methods import installed_nsids, known_methods, look_up

NOWHERE = "http://127.0.0.1:9"


# --- 6. typos in a method name ---------------------------------------------------------------


def test_a_typo_in_a_known_namespace_suggests_the_method(cli: Cli) -> None:
    result = cli("call", "app.bsky.feed.getTimline", "--service", NOWHERE)
    assert result.exit_code == ExitCode.USAGE, result.stderr
    error = error_of(result)
    assert "did you mean app.bsky.feed.getTimeline?" in error
    assert "--any-method" in error  # a way to send it anyway (a method newer than atlex)


def test_a_bare_method_name_points_at_its_nsid(cli: Cli) -> None:
    result = cli("call", "get_timeline", "--service", NOWHERE)
    assert result.exit_code == ExitCode.USAGE
    assert "app.bsky.feed.getTimeline" in error_of(result)


def test_a_third_party_method_is_still_sent(cli: Cli) -> None:
    result = cli("call", "com.example.feed.getThings", "--service", NOWHERE)
    assert result.exit_code == ExitCode.UNREACHABLE, result.stderr  # it tried the network


def test_any_method_sends_an_unknown_name_in_a_known_namespace(cli: Cli) -> None:
    result = cli("call", "app.bsky.feed.getTimline", "--any-method", "--service", NOWHERE)
    assert result.exit_code == ExitCode.UNREACHABLE, result.stderr


def test_lookup_unit() -> None:
    known = known_methods()
    assert "app.bsky.feed.getTimeline" in known and len(known) > 200
    assert look_up("app.bsky.feed.getTimline", known).suggestions == ("app.bsky.feed.getTimeline",)
    assert look_up("com.example.feed.getThings", known).suggestions == ()
    assert look_up("app.bsky.feed.fooBar", known).suggestions == ()


def test_installed_lexicons_are_known(tmp_path: Path) -> None:
    lock = tmp_path / "lexicons.json"
    lock.write_text(json.dumps({"version": 1, "lexicons": ["com.example.feed.getThings"]}))
    known = installed_nsids(lock)
    assert "com.example.feed.getThings" in known
    assert look_up("com.example.feed.getThngs", known).suggestions == (
        "com.example.feed.getThings",
    )
    assert installed_nsids(tmp_path / "absent.json") == frozenset()


# --- 12. case and spelling ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    ["app.bsky.feed.gettimeline", "app.bsky.feed.get_timeline", "APP.BSKY.FEED.GETTIMELINE"],
)
def test_other_spellings_get_the_local_checks(cli: Cli, spelling: str) -> None:
    result = cli("call", spelling, "limit=abc", "--service", NOWHERE)
    assert result.exit_code == ExitCode.USAGE, result.stderr
    error = error_of(result)
    assert "app.bsky.feed.getTimeline" in error and "'limit'" in error


def test_other_spellings_are_sent_as_the_known_nsid(cli: Cli) -> None:
    result = cli("call", "app.bsky.feed.get_timeline", "limit=5", "--service", NOWHERE)
    assert result.exit_code == ExitCode.UNREACHABLE
    assert "app.bsky.feed.get_timeline means app.bsky.feed.getTimeline" in result.stderr


# --- 7. handles and --input checked locally ------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [("@carol.test", "drop the leading @: carol.test"), ("not a handle!", "invalid")],
)
def test_login_checks_the_handle_locally(cli: Cli, identifier: str, expected: str) -> None:
    result = cli(
        "login", identifier, "--service", NOWHERE, env={"ATLEX_PASSWORD": "not-sent-anywhere"}
    )
    assert result.exit_code == ExitCode.USAGE, result.stderr
    error = error_of(result)
    assert expected in error and "at-identifier" in error
    assert "not-sent-anywhere" not in result.output + result.stderr


def test_login_accepts_an_email_and_a_did_shape(cli: Cli) -> None:
    for identifier in ("alice@mail.test", "did:plc:ewvi7nxzyoun6zhxrhs64oiz"):
        result = cli("login", identifier, "--service", NOWHERE, env={"ATLEX_PASSWORD": "pw"})
        assert result.exit_code == ExitCode.UNREACHABLE, (identifier, result.stderr)


def test_input_is_checked_against_the_lexicon(cli: Cli) -> None:
    body = {
        "repo": "alice.test",
        "collection": "app.bsky.feed.post",
        "record": {"$type": "app.bsky.feed.post", "text": 5, "createdAt": "2026-01-01T00:00:00Z"},
    }
    result = cli(
        "call", "com.atproto.repo.createRecord", "--input", json.dumps(body), "--service", NOWHERE
    )
    assert result.exit_code == ExitCode.USAGE, result.stderr
    error = error_of(result)
    assert "com.atproto.repo.createRecord" in error and "$.record.text" in error


def test_input_missing_a_required_field(cli: Cli) -> None:
    body = {"collection": "app.bsky.feed.post", "record": {}}
    result = cli(
        "call", "com.atproto.repo.createRecord", "--input", json.dumps(body), "--service", NOWHERE
    )
    assert result.exit_code == ExitCode.USAGE, result.stderr
    assert "repo" in error_of(result)


# --- 11. --output checked before anything is sent ------------------------------------------------


def test_output_path_is_checked_before_the_call(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "call", "com.atproto.server.describeServer", "--service", NOWHERE,
        "--output", str(tmp_path / "no" / "such" / "dir" / "out.json"),
    )  # fmt: skip
    assert result.exit_code == ExitCode.USAGE, result.stderr
    assert "cannot write" in error_of(result) and "no such folder" in error_of(result)
    folder = cli(
        "call", "com.atproto.server.describeServer", "--service", NOWHERE, "--output", str(tmp_path)
    )
    assert folder.exit_code == ExitCode.USAGE  # a folder, not a file


@pytest.mark.network
def test_a_procedure_with_a_bad_output_path_creates_nothing(
    cli: Cli, pds: LonePds, tmp_path: Path
) -> None:
    account = pds.create_account("outp")
    login = cli(
        "login", account.handle, "--service", pds.info.pds, env={"ATLEX_PASSWORD": account.password}
    )
    assert login.exit_code == 0, login.stderr
    body = {
        "repo": account.did,
        "collection": "app.bsky.feed.post",
        "record": {"text": "must not exist", "createdAt": "2026-01-01T00:00:00.000Z"},
    }
    result = cli(
        "call", "com.atproto.repo.createRecord", "--input", json.dumps(body),
        "--output", str(tmp_path / "missing" / "out.json"),
    )  # fmt: skip
    assert result.exit_code == ExitCode.USAGE, result.stderr
    listed = call(
        pds.info.pds,
        "com.atproto.repo.listRecords",
        params={"repo": account.did, "collection": "app.bsky.feed.post"},
    )
    assert listed["records"] == []  # nothing was created, so a retry makes no duplicate


def test_an_unreachable_proxy_is_explained() -> None:
    from atlex.cli._errors import xrpc_failure
    from atlex.errors import XrpcProxyError

    failure = XrpcProxyError(
        "InvalidRequest",
        "could not resolve proxy did",
        status=400,
        nsid="app.bsky.actor.getProfile",
    )
    error = xrpc_failure(failure, "app.bsky.actor.getProfile")
    assert error.exit_code == ExitCode.USAGE
    assert "could not resolve proxy did" in str(error.message)
    assert "make network-up" in str(error.hint) and "drop --proxy" in str(error.hint)
