"""The ``atlex`` commands against the reference PDS and PLC on 127.0.0.1 (issue 7 acceptance).

The PDS's access tokens live ``ACCESS_TTL`` (3 s), so the CLI's refresh-and-save path runs for
real. Lexicons are published as ``com.atproto.lexicon.schema`` records on that PDS, their
authorities answered by a test DNS server on 127.0.0.1, DID documents served by the local PLC.
"""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from cli_support import Cli, error_of
from click.testing import Result
from dns_test_server import TxtServer
from refnet import LonePds
from refnet_xrpc import Account, solid_png

from atlex.cli._errors import ExitCode
from atlex_codegen.lexicons.cid import cid_for_data
from atlex_codegen.lexicons.lock import document_path, load_lock

pytestmark = pytest.mark.network


def tokens_of(cli: Cli) -> tuple[str, str]:
    data = json.loads(cli.session_file.read_text())
    return data["accessJwt"], data["refreshJwt"]


def assert_no_secret(result: Result, *secrets: str) -> None:
    shown = result.stdout + result.stderr + str(result.exception or "")
    for secret in secrets:
        assert secret not in shown
    assert "eyJ" not in shown  # nothing JWT-shaped at all


def login(cli: Cli, pds: LonePds, account: Account) -> Result:
    result = cli(
        "login", account.handle, "--service", pds.info.pds, env={"ATLEX_PASSWORD": account.password}
    )
    assert result.exit_code == 0, result.stderr
    return result


# --- login / whoami / call / logout -------------------------------------------------------------


def test_login_whoami_call_logout(cli: Cli, pds: LonePds, tmp_path: Path) -> None:
    account = pds.create_account("clia")
    result = login(cli, pds, account)
    assert f"logged in as {account.handle} ({account.did})" in result.stdout
    assert stat.S_IMODE(cli.session_file.stat().st_mode) == 0o600
    access, refresh = tokens_of(cli)
    secrets = (access, refresh, account.password)
    assert_no_secret(result, *secrets)

    who = cli("whoami", "--json")
    assert who.exit_code == 0, who.stderr
    shown = json.loads(who.stdout)
    assert (shown["handle"], shown["did"], shown["service"]) == (
        account.handle,
        account.did,
        pds.info.pds,
    )
    assert shown["email"] == account.email
    assert_no_secret(who, *secrets)

    post = tmp_path / "post.json"
    post.write_text(
        json.dumps(
            {
                "repo": account.did,
                "collection": "app.bsky.feed.post",
                "record": {"text": "from the cli", "createdAt": "2026-01-01T00:00:00.000Z"},
            }
        )
    )
    created = cli("call", "com.atproto.repo.createRecord", "--input", f"@{post}")
    assert created.exit_code == 0, created.stderr
    uri = json.loads(created.stdout)["uri"]
    rkey = uri.rsplit("/", 1)[1]

    listed = cli(
        "call", "com.atproto.repo.listRecords", f"repo={account.did}",
        "collection=app.bsky.feed.post", "limit=5", "--compact",
    )  # fmt: skip
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.count("\n") == 1  # --compact: one line
    records = json.loads(listed.stdout)["records"]
    assert [r["uri"] for r in records] == [uri]
    assert records[0]["value"]["text"] == "from the cli"

    missing = cli(
        "call", "com.atproto.repo.getRecord", f"repo={account.did}",
        "collection=app.bsky.feed.post", f"rkey={rkey}x",
    )  # fmt: skip
    assert missing.exit_code == ExitCode.SERVER
    assert "RecordNotFound" in error_of(missing)

    unknown = cli("call", "com.example.not.implemented", "x=1")  # forwarded to no AppView
    assert unknown.exit_code == ExitCode.SERVER
    assert "the server answered UpstreamFailure" in error_of(unknown)

    session_answer = cli("call", "com.atproto.server.getSession")
    assert session_answer.exit_code == 0
    assert json.loads(session_answer.stdout)["did"] == account.did

    out = cli("logout")
    assert out.exit_code == 0, out.stderr
    assert f"logged out {account.handle}" in out.stdout
    assert not cli.session_file.exists()
    after = cli("whoami")
    assert after.exit_code == ExitCode.AUTH
    for result in (created, listed, missing, unknown, session_answer, out, after):
        assert_no_secret(result, *secrets)


def test_password_prompt_and_wrong_password(cli: Cli, pds: LonePds) -> None:
    account = pds.create_account("clib")
    wrong = cli("login", account.handle, "--service", pds.info.pds, input="not-the-password\n")
    assert wrong.exit_code == ExitCode.AUTH
    assert "refused the login" in error_of(wrong)
    assert "not-the-password" not in wrong.output  # typed without echo, never repeated
    assert not cli.session_file.exists()

    asked = cli("login", "--service", pds.info.pds, input=f"{account.handle}\n{account.password}\n")
    assert asked.exit_code == 0, asked.stderr
    assert (
        "Handle, DID or email" in asked.stdout and f"Password for {account.handle}" in asked.stdout
    )
    assert account.password not in asked.output  # typed without echo
    assert_no_secret(asked, *tokens_of(cli))


def test_expired_access_token_is_refreshed_and_saved(cli: Cli, pds: LonePds) -> None:
    account = pds.create_account("clic")
    login(cli, pds, account)
    before = tokens_of(cli)
    time.sleep(pds.info.access_ttl_seconds + 1.0)  # let the 3 s access token expire
    who = cli("whoami")
    assert who.exit_code == 0, who.stderr
    after = tokens_of(cli)
    assert after[0] != before[0] and after[1] != before[1]  # refreshed pair written back
    assert stat.S_IMODE(cli.session_file.stat().st_mode) == 0o600
    assert_no_secret(who, *before, *after)


def test_a_session_ended_elsewhere_asks_for_a_new_login(cli: Cli, pds: LonePds) -> None:
    account = pds.create_account("clid")
    login(cli, pds, account)
    saved = cli.session_file.read_text()
    assert cli("logout").exit_code == 0
    cli.session_file.write_text(saved)  # a copy of the now revoked session
    cli.session_file.chmod(0o600)
    time.sleep(pds.info.access_ttl_seconds + 1.0)  # the access token expires; refresh must fail
    result = cli("call", "com.atproto.server.getSession")
    assert result.exit_code == ExitCode.AUTH
    assert "atlex login" in error_of(result)
    assert_no_secret(result, json.loads(saved)["accessJwt"], json.loads(saved)["refreshJwt"])
    assert not cli.session_file.exists()  # the server ended it: forgotten here too


def test_binary_input_and_output(cli: Cli, pds: LonePds, tmp_path: Path) -> None:
    account = pds.create_account("clie")
    login(cli, pds, account)
    png = tmp_path / "dot.png"
    png.write_bytes(solid_png(3, 2, (200, 10, 10)))
    uploaded = cli("call", "com.atproto.repo.uploadBlob", "--input", f"@{png}")
    assert uploaded.exit_code == 0, uploaded.stderr
    blob = json.loads(uploaded.stdout)["blob"]
    assert blob["mimeType"] == "image/png" and blob["size"] == png.stat().st_size
    piped = cli(
        "call", "com.atproto.repo.uploadBlob", "--input", "@-", "--content-type", "image/png",
        input=png.read_bytes(),
    )  # fmt: skip
    assert piped.exit_code == 0, piped.stderr
    assert json.loads(piped.stdout)["blob"] == blob  # same bytes, same blob
    # a blob is kept only once a record refers to it
    body = {
        "repo": account.did,
        "collection": "app.bsky.actor.profile",
        "rkey": "self",
        "record": {"$type": "app.bsky.actor.profile", "avatar": blob},
    }
    put = cli("call", "com.atproto.repo.putRecord", "--input", json.dumps(body))
    assert put.exit_code == 0, put.stderr
    target = tmp_path / "out.png"
    fetched = cli(
        "call", "com.atproto.sync.getBlob", f"did={account.did}", f"cid={blob['ref']['$link']}",
        "--output", str(target),
    )  # fmt: skip
    assert fetched.exit_code == 0, fetched.stderr
    assert target.read_bytes() == png.read_bytes()
    assert f"wrote {png.stat().st_size} bytes" in fetched.stderr


def test_anonymous_call_with_service(cli: Cli, pds: LonePds) -> None:
    result = cli("call", "com.atproto.server.describeServer", "--service", pds.info.pds)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["did"] == pds.info.pds_did
    needs_auth = cli("call", "com.atproto.server.getSession", "--service", pds.info.pds)
    assert needs_auth.exit_code == ExitCode.AUTH
    assert "atlex login" in error_of(needs_auth)


# --- lexicons install ---------------------------------------------------------------------------

POST = "test.atlex.demo.post"
DEFS = "test.atlex.demo.defs"
EMBED = "test.atlex.other.embed"


def publish(account: Account, nsid: str, defs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    record = {
        "$type": "com.atproto.lexicon.schema",
        "lexicon": 1,
        "id": nsid,
        "defs": defs,
        **extra,
    }
    answer = account.call(
        "com.atproto.repo.putRecord",
        body={
            "repo": account.did,
            "collection": "com.atproto.lexicon.schema",
            "rkey": nsid,
            "record": record,
        },
    )
    assert answer["cid"] == cid_for_data(record)  # our CID of the record equals the PDS's
    return record


@pytest.fixture
def published(pds: LonePds, dns: TxtServer) -> tuple[Account, Account]:
    """Two authorities: demo.atlex.test (post, defs) and other.atlex.test (embed)."""
    demo, other = pds.create_account("lexdemo"), pds.create_account("lexother")
    post_defs = {
        "main": {
            "type": "record",
            "key": "tid",
            "record": {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "text": {"type": "string", "maxLength": 300},
                    "tags": {"type": "array", "items": {"type": "ref", "ref": f"{DEFS}#tag"}},
                    "embed": {"type": "union", "refs": [EMBED]},
                },
            },
        }
    }
    publish(demo, POST, post_defs, description="a post")
    publish(demo, DEFS, {"tag": {"type": "string", "knownValues": [f"{EMBED}#featured"]}})
    publish(
        other, EMBED, {"main": {"type": "object", "properties": {}}, "featured": {"type": "token"}}
    )
    dns.records["_lexicon.demo.atlex.test"] = [f"did={demo.did}"]
    dns.records["_lexicon.other.atlex.test"] = ["v=other", f"did={other.did}"]
    return demo, other


def install(cli: Cli, pds: LonePds, dns: TxtServer, root: Path, *args: str) -> Result:
    return cli(
        "lexicons", "install", *args, "--lock", str(root / "lexicons.json"),
        "--lexicons", str(root / "lexicons"), "--dns-server", dns.address,
        "--plc-url", pds.info.plc,
    )  # fmt: skip


def test_install_resolves_follows_and_locks(
    cli: Cli, pds: LonePds, dns: TxtServer, published: tuple[Account, Account], tmp_path: Path
) -> None:
    demo, other = published
    first = install(cli, pds, dns, tmp_path, POST)
    assert first.exit_code == 0, first.stderr
    assert "3 lexicon(s): 3 fetched" in first.stderr  # progress on stderr
    assert set(dns.queries) == {"_lexicon.demo.atlex.test", "_lexicon.other.atlex.test"}
    lock = load_lock(tmp_path / "lexicons.json")
    assert lock is not None
    assert lock.lexicons == [POST]
    assert sorted(lock.resolutions) == [DEFS, POST, EMBED]
    assert lock.resolutions[EMBED].uri == f"at://{other.did}/com.atproto.lexicon.schema/{EMBED}"
    assert lock.resolutions[POST].uri == f"at://{demo.did}/com.atproto.lexicon.schema/{POST}"
    for nsid, resolution in lock.resolutions.items():
        document = json.loads(document_path(tmp_path / "lexicons", nsid).read_text())
        assert document["id"] == nsid
        assert cid_for_data(document) == resolution.cid
    assert (tmp_path / "lexicons" / "test" / "atlex" / "demo" / "post.json").is_file()

    # again, nothing given: the lock's roots, documents from disk, no DNS
    dns.queries.clear()
    again = install(cli, pds, dns, tmp_path)
    assert again.exit_code == 0, again.stderr
    assert "0 fetched, 3 from disk" in again.stderr and "unchanged" in again.stderr
    assert dns.queries == []
    ci = install(cli, pds, dns, tmp_path, "--ci")
    assert ci.exit_code == 0, ci.stderr
    assert "is up to date" in ci.stderr

    # the generator reads what was installed
    gen = cli(
        "gen", str(tmp_path / "lexicons"), "--out", str(tmp_path / "out"), "--package", "demolex"
    )
    assert gen.exit_code == 0, gen.stderr
    assert (tmp_path / "out" / "demolex" / "test" / "atlex" / "demo" / "post.py").is_file()


def test_ci_detects_a_changed_record(
    cli: Cli, pds: LonePds, dns: TxtServer, published: tuple[Account, Account], tmp_path: Path
) -> None:
    _demo, other = published
    assert install(cli, pds, dns, tmp_path, POST).exit_code == 0
    lock_bytes = (tmp_path / "lexicons.json").read_bytes()
    old_cid = json.loads(lock_bytes)["resolutions"][EMBED]["cid"]
    publish(
        other, EMBED, {"main": {"type": "object", "properties": {}}, "featured": {"type": "token"}},
        description="changed upstream",
    )  # fmt: skip

    # documents on disk are trusted: --ci alone still passes
    assert install(cli, pds, dns, tmp_path, "--ci").exit_code == 0
    # fetching again (--update, or a clone without the documents) sees the change
    for extra, prepare in ((["--update"], None), ([], "remove documents")):
        if prepare:
            for path in sorted((tmp_path / "lexicons").rglob("*.json")):
                path.unlink()
        result = install(cli, pds, dns, tmp_path, "--ci", *extra)
        assert result.exit_code == ExitCode.FAILED, result.stderr
        assert "is out of date" in error_of(result)
        assert f"changed CID: {EMBED} {old_cid} -> " in result.stderr
        assert (tmp_path / "lexicons.json").read_bytes() == lock_bytes  # nothing written
    assert list((tmp_path / "lexicons").rglob("*.json")) == []  # --ci failed: no documents either

    updated = install(cli, pds, dns, tmp_path, "--update")
    assert updated.exit_code == 0, updated.stderr
    new_lock = json.loads((tmp_path / "lexicons.json").read_text())
    assert new_lock["resolutions"][EMBED]["cid"] != old_cid
    assert json.loads(document_path(tmp_path / "lexicons", EMBED).read_text())["description"] == (
        "changed upstream"
    )
    assert install(cli, pds, dns, tmp_path, "--ci").exit_code == 0


def test_install_errors_name_the_lexicon_and_what_to_do(
    cli: Cli, pds: LonePds, dns: TxtServer, published: tuple[Account, Account], tmp_path: Path
) -> None:
    demo, _other = published
    # a reference into an authority without a DNS record
    target = {"type": "ref", "ref": "test.atlex.nowhere.thing"}
    publish(
        demo, "test.atlex.demo.broken", {"main": {"type": "object", "properties": {"x": target}}}
    )
    broken = install(cli, pds, dns, tmp_path, "test.atlex.demo.broken")
    assert broken.exit_code == ExitCode.RESOLUTION
    assert "test.atlex.nowhere.thing: no TXT record 'did=…' at _lexicon.nowhere.atlex.test" in (
        error_of(broken)
    )
    assert not (tmp_path / "lexicons.json").exists()

    # a record whose id is not its key
    publish_as(demo, "test.atlex.demo.liar", "test.atlex.demo.other")
    liar = install(cli, pds, dns, tmp_path, "test.atlex.demo.liar")
    assert liar.exit_code == ExitCode.RESOLUTION
    assert "its id is 'test.atlex.demo.other'" in error_of(liar)

    # never published
    absent = install(cli, pds, dns, tmp_path, "test.atlex.demo.absent")
    assert absent.exit_code == ExitCode.RESOLUTION
    assert "does not exist" in error_of(absent)

    # a DID the PLC does not know
    dns.records["_lexicon.ghost.atlex.test"] = ["did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"]
    ghost = install(cli, pds, dns, tmp_path, "test.atlex.ghost.thing")
    assert ghost.exit_code == ExitCode.RESOLUTION
    assert "was not found" in error_of(ghost)


def publish_as(account: Account, rkey: str, nsid: str) -> None:
    record = {
        "$type": "com.atproto.lexicon.schema",
        "lexicon": 1,
        "id": nsid,
        "defs": {"main": {"type": "token"}},
    }
    account.call(
        "com.atproto.repo.putRecord",
        body={
            "repo": account.did,
            "collection": "com.atproto.lexicon.schema",
            "rkey": rkey,
            "record": record,
        },
    )


def test_install_by_at_uri_skips_dns_for_the_root(
    cli: Cli, pds: LonePds, dns: TxtServer, published: tuple[Account, Account], tmp_path: Path
) -> None:
    demo, _other = published
    uri = f"at://{demo.did}/com.atproto.lexicon.schema/{DEFS}"
    result = install(cli, pds, dns, tmp_path, uri)
    assert result.exit_code == 0, result.stderr
    assert dns.queries == ["_lexicon.other.atlex.test"]  # only for the dependency
    lock = load_lock(tmp_path / "lexicons.json")
    assert lock is not None and lock.lexicons == [DEFS]
    assert sorted(lock.resolutions) == [DEFS, EMBED]
