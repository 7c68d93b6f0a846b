"""The ``atlex`` commands through click's runner, without the reference network: help, argument
errors and exit codes, the session file, parameter typing, redaction."""

from __future__ import annotations

import json
import socket
import stat
import sys
from pathlib import Path

import pytest
from cli_support import Cli, error_of
from click.testing import Result
from dns_test_server import TxtServer

from atlex.cli._call import redact_json
from atlex.cli._call_params import ParamsError, bundled_method, parse_params
from atlex.cli._errors import ExitCode, redact, register_secrets
from atlex.cli._session_store import SessionStore, SessionStoreError, config_dir
from atlex.errors import LexAuthFactorError, XrpcResponseError
from atlex.session import PasswordSession, SessionData

# a token-shaped value (header.payload.signature); never a real one
FAKE_ACCESS = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkaWQ6cGxjOmZha2UifQ.c2lnbmF0dXJlLWFjY2Vzcw"
FAKE_REFRESH = "eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6InJlZnJlc2gifQ.c2lnbmF0dXJlLXJlZnJlc2g"


def fake_session(service: str = "http://127.0.0.1:9") -> SessionData:
    return SessionData(
        access_jwt=FAKE_ACCESS,
        refresh_jwt=FAKE_REFRESH,
        handle="alice.test",
        did="did:plc:fakefakefakefakefakefake",
        service=service,
    )


def assert_no_token(result: Result) -> None:
    for text in (result.stdout, result.stderr, str(result.exception or "")):
        assert FAKE_ACCESS not in text and FAKE_REFRESH not in text
        assert "eyJ" not in text


# --- help ---------------------------------------------------------------------------------------


def test_top_level_help_lists_the_commands_and_exit_codes(cli: Cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("gen", "lexicons", "login", "whoami", "call", "logout"):
        assert f"  {command} " in result.stdout
    assert "Exit codes:" in result.stdout
    for code in ExitCode:
        assert f"  {int(code)}  " in result.stdout


@pytest.mark.parametrize(
    "command",
    [["login"], ["whoami"], ["call"], ["logout"], ["lexicons", "install"]],
)
def test_every_command_explains_itself(cli: Cli, command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert "Usage: atlex " + " ".join(command) in result.stdout
    assert "Exit codes:" in result.stdout


# --- the session store --------------------------------------------------------------------------


def test_session_file_is_private_and_round_trips(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "cfg")
    assert store.load() is None
    store.save(fake_session())
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert store.load() == fake_session()
    assert [p.name for p in store.directory.iterdir()] == ["session.json"]  # no temp left over
    assert store.remove() is True
    assert store.remove() is False


def test_a_session_file_others_can_read_is_tightened(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.save(fake_session())
    store.path.chmod(0o644)
    assert store.load() == fake_session()
    assert store.tightened
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_a_broken_session_file_is_named_without_its_content(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.path.write_text(json.dumps({"accessJwt": FAKE_ACCESS}))
    with pytest.raises(SessionStoreError) as info:
        store.load()
    assert str(store.path) in str(info.value)
    assert FAKE_ACCESS not in str(info.value)


def test_config_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATLEX_CONFIG_DIR", str(tmp_path / "override"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir() == tmp_path / "override"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG applies on Linux")
def test_config_dir_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATLEX_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir() == tmp_path / "xdg" / "atlex"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_dir() == tmp_path / "home" / ".config" / "atlex"


# --- commands without a session -----------------------------------------------------------------


@pytest.mark.parametrize("command", [["whoami"], ["call", "com.atproto.server.getSession"]])
def test_commands_that_need_a_login_say_so(cli: Cli, command: list[str]) -> None:
    result = cli(*command)
    assert result.exit_code == ExitCode.AUTH
    assert "not logged in" in error_of(result)
    assert "atlex login" in result.stderr


def test_logout_without_a_session_is_fine(cli: Cli) -> None:
    result = cli("logout")
    assert result.exit_code == 0
    assert "not logged in" in result.stdout


def test_logout_local_forgets_the_file_without_the_network(cli: Cli) -> None:
    SessionStore(cli.config_dir).save(fake_session())
    result = cli("logout", "--local")
    assert result.exit_code == 0
    assert not cli.session_file.exists()
    assert_no_token(result)


def test_unreachable_server_keeps_the_session_and_prints_no_token(cli: Cli) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    SessionStore(cli.config_dir).save(fake_session(f"http://127.0.0.1:{port}"))
    for command in (["whoami"], ["call", "com.atproto.server.getSession"], ["logout"]):
        result = cli(*command)
        assert result.exit_code == ExitCode.UNREACHABLE, (command, result.stderr)
        assert f"could not connect to the server at http://127.0.0.1:{port}" in error_of(result)
        assert_no_token(result)
    assert "--local" in result.stderr  # logout says how to forget the session anyway
    assert cli.session_file.exists()


def test_corrupt_session_file_asks_for_a_new_login(cli: Cli) -> None:
    cli.config_dir.mkdir()
    cli.session_file.write_text("{not json")
    result = cli("whoami")
    assert result.exit_code == ExitCode.AUTH
    assert "atlex login" in error_of(result)


# --- login edge cases (the PDS has no 2FA: simulated) -------------------------------------------


def test_login_asks_for_the_emailed_code(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def login(**kwargs: object) -> PasswordSession:
        assert kwargs["password"] == "pw-from-env"
        raise LexAuthFactorError(
            XrpcResponseError("AuthFactorTokenRequired", "code sent", status=401)
        )

    monkeypatch.setattr(PasswordSession, "login", staticmethod(login))
    result = cli(
        "login",
        "alice.test",
        "--service",
        "http://127.0.0.1:9",
        env={"ATLEX_PASSWORD": "pw-from-env"},
    )
    assert result.exit_code == ExitCode.AUTH
    assert "--auth-factor-token" in error_of(result)
    assert "pw-from-env" not in result.output
    assert not cli.session_file.exists()


def test_login_refuses_a_bad_service_url(cli: Cli) -> None:
    result = cli(
        "login", "alice.test", "--service", "not a url", env={"ATLEX_PASSWORD": "secret-pw"}
    )
    assert result.exit_code == ExitCode.USAGE
    assert "--service" in error_of(result)
    assert "secret-pw" not in result.output


# --- call arguments -----------------------------------------------------------------------------


def test_bundled_methods_are_found() -> None:
    method = bundled_method("app.bsky.feed.getTimeline")
    assert method is not None and method.kind == "query" and method.params
    create = bundled_method("com.atproto.repo.createRecord")
    assert create is not None and create.kind == "procedure" and create.input == "json"
    assert bundled_method("com.example.not.there") is None
    assert bundled_method("app.bsky.feed.notAMethod") is None


def test_params_are_typed_by_the_lexicon() -> None:
    parsed = parse_params("app.bsky.feed.getTimeline", ["limit=5", "cursor=abc"])
    assert parsed.params == {"limit": 5, "cursor": "abc"}
    uris = ["at://did:plc:abc/app.bsky.feed.post/1", "at://did:plc:abc/app.bsky.feed.post/2"]
    assert parse_params("app.bsky.feed.getPosts", [f"uris={u}" for u in uris]).params == {
        "uris": uris
    }
    one = parse_params("app.bsky.feed.getPosts", [f"uris={uris[0]}"]).params
    assert one == {"uris": uris[:1]}  # a list parameter stays a list
    flags = parse_params(
        "com.atproto.repo.listRecords", ["repo=alice.test", "collection=a.b.c", "reverse=true"]
    )
    assert flags.params["reverse"] is True
    unknown = parse_params("com.example.some.method", ["a=1", "a=2", "b=x=y"])
    assert unknown.params == {"a": ["1", "2"], "b": "x=y"} and unknown.method is None


@pytest.mark.parametrize(
    ("nsid", "args", "message"),
    [
        (
            "app.bsky.feed.getTimeline",
            ["limit=abc"],
            "parameter 'limit': expected int, got str ('abc')",
        ),
        ("app.bsky.feed.getTimeline", ["limit=1000"], "1000 is greater than the maximum 100"),
        (
            "app.bsky.feed.getTimeline",
            ["nope=1"],
            "no parameter 'nope'; its parameters: algorithm, cursor, limit",
        ),
        ("app.bsky.feed.getTimeline", ["limit"], "is not KEY=VALUE"),
        ("com.atproto.server.getSession", ["x=1"], "takes no parameters"),
        ("app.bsky.actor.getProfile", ["actor=not a handle"], "actor"),
    ],
)
def test_bad_params_are_refused_before_sending(
    cli: Cli, nsid: str, args: list[str], message: str
) -> None:
    with pytest.raises(ParamsError) as info:
        parse_params(nsid, args)
    assert message in str(info.value)
    result = cli("call", nsid, *args)  # no session needed: refused before anything is sent
    assert result.exit_code == ExitCode.USAGE
    assert message in error_of(result)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["call", "not-an-nsid"], "invalid nsid"),
        (["call", "com.atproto.repo.createRecord", "--input", "{bad"], "--input is not valid JSON"),
        (
            ["call", "com.atproto.repo.createRecord", "--input", "@/nonexistent/x.json"],
            "cannot read --input file",
        ),
        (["call", "app.bsky.feed.getTimeline", "--input", "{}"], "is a query"),
        (["call", "com.atproto.repo.uploadBlob", "--input", "{}"], "takes raw bytes"),
        (["call", "com.atproto.server.getSession", "--content-type", "image/png"], "needs --input"),
        (
            [
                "call",
                "com.atproto.server.describeServer",
                "--service",
                "http://127.0.0.1:9",
                "--proxy",
                "nope",
            ],
            "proxy",
        ),
        (["call", "com.atproto.server.describeServer", "--service", "not a url"], "service"),
    ],
)
def test_bad_call_arguments(cli: Cli, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == ExitCode.USAGE
    assert message in error_of(result)


# --- redaction ----------------------------------------------------------------------------------


def test_redaction() -> None:
    assert redact(f"token {FAKE_ACCESS} end") == "token <redacted> end"
    register_secrets(["my-long-password"])
    assert redact("pw my-long-password") == "pw <redacted>"
    assert redact_json({"a": [{"accessJwt": "x", "refreshJwt": "y", "did": "d"}]}) == {
        "a": [{"accessJwt": "<redacted>", "refreshJwt": "<redacted>", "did": "d"}]
    }


# --- install without a network ------------------------------------------------------------------


def test_install_needs_something_to_install(cli: Cli, tmp_path: Path) -> None:
    result = cli("lexicons", "install", "--lock", str(tmp_path / "lexicons.json"))
    assert result.exit_code == ExitCode.USAGE
    assert "nothing to install" in error_of(result)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-an-nsid"], "invalid nsid"),
        (["com.example.a.b", "com.example.a.b"], "named twice"),
        (["at://alice.test/com.atproto.lexicon.schema/com.example.a.b"], "not a DID"),
    ],
)
def test_install_refuses_bad_arguments(
    cli: Cli, tmp_path: Path, args: list[str], message: str
) -> None:
    result = cli("lexicons", "install", *args, "--lock", str(tmp_path / "lexicons.json"))
    assert result.exit_code == ExitCode.USAGE
    assert message in error_of(result)


def test_install_refuses_the_pinned_sets_manifest(cli: Cli, tmp_path: Path) -> None:
    manifest = tmp_path / "lexicons.json"
    manifest.write_text('{"sets": {}}')
    result = cli("lexicons", "install", "com.example.a.b", "--lock", str(manifest))
    assert result.exit_code == ExitCode.FAILED
    assert "pinned-sets manifest" in error_of(result)
    assert manifest.read_text() == '{"sets": {}}'


def test_install_reports_a_missing_dns_record(cli: Cli, tmp_path: Path) -> None:
    with TxtServer() as dns:
        result = cli(
            "lexicons", "install", "com.example.feed.post",
            "--lock", str(tmp_path / "lexicons.json"), "--lexicons", str(tmp_path / "lexicons"),
            "--dns-server", dns.address,
        )  # fmt: skip
        assert dns.queries == ["_lexicon.feed.example.com"]
    assert result.exit_code == ExitCode.RESOLUTION
    message = error_of(result)
    assert "no TXT record 'did=…' at _lexicon.feed.example.com" in message
    assert not (tmp_path / "lexicons.json").exists()


def test_install_reports_silent_dns(cli: Cli, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        server = f"127.0.0.1:{silent.getsockname()[1]}"
        result = cli(
            "lexicons", "install", "com.example.feed.post", "--timeout", "0.5",
            "--lock", str(tmp_path / "lexicons.json"), env={"ATLEX_DNS_SERVER": server},
        )  # fmt: skip
    assert result.exit_code == ExitCode.UNREACHABLE
    assert "no DNS server answered" in error_of(result)


def test_install_rejects_a_bad_dns_server_argument(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "lexicons", "install", "com.example.feed.post", "--dns-server", "127.0.0.1:notaport",
        "--lock", str(tmp_path / "lexicons.json"),
    )  # fmt: skip
    assert result.exit_code == ExitCode.USAGE
    assert "--dns-server" in result.stderr
