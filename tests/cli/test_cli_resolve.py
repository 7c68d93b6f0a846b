"""Offline tests of NSID resolution, the lock file, reference walking, CIDs and the install
algorithm (fake DNS / PLC / PDS through httpx.MockTransport; the real services are in
test_cli_network.py)."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from fake_world import World, lexicon, shared_dns_server

from atlex_codegen.lexicons.cid import DagCborError, cid_for_data, dag_cbor
from atlex_codegen.lexicons.install import InstallError, install, write_documents
from atlex_codegen.lexicons.lock import (
    LockError,
    LockFile,
    Resolution,
    document_path,
    document_refs,
    dump_lock,
    load_lock,
)
from atlex_codegen.lexicons.resolve import (
    LexiconResolver,
    ResolutionError,
    ResolverConfig,
    authority_of,
    parse_dns_server,
    parse_lexicon_uri,
)

ALICE = "did:plc:alice234567abcdefghijklm"
BOB = "did:plc:bob4567abcdefghijklmnopq"
INTEROP = Path(__file__).resolve().parents[2].parent / "shared" / "interop"

# --- CIDs --------------------------------------------------------------------------------------


def test_cid_matches_the_interop_fixtures() -> None:
    fixtures_file = INTEROP / "data-model" / "data-model-fixtures.json"
    if not fixtures_file.is_file():
        pytest.skip(f"interop vectors not found at {fixtures_file}")
    fixtures: list[dict[str, Any]] = json.loads(fixtures_file.read_bytes())
    assert fixtures
    for fixture in fixtures:
        cbor = base64.b64decode(fixture["cbor_base64"] + "=" * (-len(fixture["cbor_base64"]) % 4))
        assert dag_cbor(fixture["json"]) == cbor
        assert cid_for_data(fixture["json"]) == fixture["cid"]


def test_dag_cbor_is_canonical() -> None:
    # keys sorted shorter first, then bytewise; minimal integer heads
    assert dag_cbor({"bb": 1, "a": 2, "c": -1}) == bytes.fromhex("a361610261632062626201")
    assert dag_cbor(24) == b"\x18\x18"
    assert dag_cbor(2**32) == b"\x1b" + (2**32).to_bytes(8, "big")
    assert cid_for_data({"a": 1, "b": 2}) == cid_for_data({"b": 2, "a": 1})
    assert cid_for_data({"a": 1}).startswith("bafyrei")


@pytest.mark.parametrize(
    ("value", "where"),
    [({"x": [1, 1.5]}, "$.x[1]"), ({"x": {"$link": "nope"}}, "$.x.$link"), ({1: 2}, "$")],
)
def test_dag_cbor_refuses_what_the_data_model_lacks(value: Any, where: str) -> None:
    with pytest.raises(DagCborError, match=rf"^{__import__('re').escape(where)}:"):
        dag_cbor(value)


# --- pure helpers ------------------------------------------------------------------------------


def test_authority_and_uris() -> None:
    assert authority_of("app.bsky.feed.post") == "feed.bsky.app"
    assert authority_of("Com.Example.fooBar") == "example.com"
    uri = f"at://{ALICE}/com.atproto.lexicon.schema/com.example.thing"
    assert parse_lexicon_uri(uri) == (ALICE, "com.example.thing")
    for bad in (
        "at://alice.test/com.atproto.lexicon.schema/com.example.thing",
        f"at://{ALICE}/app.bsky.feed.post/com.example.thing",
        f"at://{ALICE}/com.atproto.lexicon.schema/not-an-nsid",
        "https://example.com",
    ):
        with pytest.raises(ResolutionError) as info:
            parse_lexicon_uri(bad)
        assert info.value.hint
    with pytest.raises(ResolutionError, match="invalid nsid"):
        authority_of("nodots")


def test_dns_server_argument() -> None:
    assert parse_dns_server("127.0.0.1") == ("127.0.0.1", 53)
    assert parse_dns_server("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_dns_server("[::1]:5353") == ("::1", 5353)
    assert parse_dns_server("::1") == ("::1", 53)
    for bad in ("127.0.0.1:x", "127.0.0.1:0", "[::1]x", ""):
        with pytest.raises(ValueError):
            parse_dns_server(bad)


# did:web URLs, the PDS of a DID document, TXT parsing and dnspython lookups are atlex.identity's
# (tests/identity); here: the lexicon resolver's use of them.


def test_resolver_reads_multi_chunk_txt_and_ignores_other_records() -> None:
    world = World()
    world.publish(ALICE, lexicon("com.example.demo.thing", {"main": {"type": "token"}}))
    world.txt["_lexicon.demo.example.com"].insert(0, "v=spf1 -all")
    with world.resolver() as resolver:
        server = shared_dns_server()
        server.chunk = 10  # the did= value arrives in several character-strings
        try:
            assert resolver.authority_did("com.example.demo.thing") == ALICE
        finally:
            server.chunk = 255


def test_resolver_refuses_two_dids_and_a_bad_did_document() -> None:
    world = World()
    world.publish(ALICE, lexicon("com.example.demo.thing", {"main": {"type": "token"}}))
    world.txt["_lexicon.demo.example.com"].append(f"did={BOB}")
    with world.resolver() as resolver, pytest.raises(ResolutionError, match="2 different DIDs"):
        resolver.resolve("com.example.demo.thing")
    world.txt["_lexicon.demo.example.com"] = [f"did={ALICE}"]
    world.did_docs[ALICE]["service"][0]["type"] = "Other"
    with world.resolver() as resolver, pytest.raises(ResolutionError, match="#atproto_pds") as info:
        resolver.resolve("com.example.demo.thing")
    assert info.value.stage == "did"


def test_resolver_reports_a_silent_dns_server() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # receives, never answers
        config = ResolverConfig(dns_servers=(("127.0.0.1", silent.getsockname()[1]),), timeout=0.5)
        with LexiconResolver(config) as resolver, pytest.raises(ResolutionError) as info:
            resolver.authority_did("com.example.demo.thing")
    assert info.value.unreachable and info.value.stage == "dns"


# --- the resolver against the fake world -------------------------------------------------------


def test_resolver_follows_dns_did_document_and_pds() -> None:
    world = World()
    record = lexicon("com.example.demo.thing", {"main": {"type": "token"}})
    world.publish(ALICE, record)
    with world.resolver() as resolver:
        resolved = resolver.resolve("com.example.demo.thing")
    assert resolved.uri == f"at://{ALICE}/com.atproto.lexicon.schema/com.example.demo.thing"
    assert resolved.cid == cid_for_data(record)
    assert resolved.document == record
    assert world.dns_queries == ["_lexicon.demo.example.com"]


@pytest.mark.parametrize(
    ("break_it", "stage", "message"),
    [
        (lambda w: w.txt.clear(), "dns", "no TXT record"),
        (lambda w: w.did_docs.clear(), "did", "not found"),
        (lambda w: w.records.clear(), "fetch", "does not exist"),
        (
            lambda w: w.claimed_cids.update(
                {(ALICE, "com.example.demo.thing"): "bafyreib" + "a" * 51}
            ),
            "verify",
            "hashes to",
        ),
        (
            lambda w: w.records[(ALICE, "com.example.demo.thing")].update(
                id="com.example.demo.other"
            ),
            "verify",
            "its id is",
        ),
        (
            lambda w: w.records[(ALICE, "com.example.demo.thing")].update({"$type": "x.y.z"}),
            "verify",
            "$type",
        ),
        (
            lambda w: w.records[(ALICE, "com.example.demo.thing")].update(lexicon=2),
            "verify",
            "'lexicon' is 2",
        ),
        (lambda w: w.records[(ALICE, "com.example.demo.thing")].pop("defs"), "verify", "no 'defs'"),
    ],
)
def test_resolver_names_the_failing_stage(break_it: Any, stage: str, message: str) -> None:
    world = World()
    world.publish(ALICE, lexicon("com.example.demo.thing", {"main": {"type": "token"}}))
    break_it(world)
    with world.resolver() as resolver, pytest.raises(ResolutionError) as info:
        resolver.resolve("com.example.demo.thing")
    assert info.value.stage == stage
    assert message in str(info.value)
    assert info.value.nsid == "com.example.demo.thing"
    assert not info.value.unreachable
    assert info.value.hint


def test_resolver_loads_the_document_like_the_generator() -> None:
    world = World()
    world.publish(ALICE, lexicon("com.example.demo.bad", {"main": {"type": "nonsense"}}))
    usable = {"main": {"type": "token"}, "odd": {"type": "query"}}  # a query must be main
    world.publish(ALICE, lexicon("com.example.demo.odd", usable))
    with world.resolver() as resolver:
        with pytest.raises(ResolutionError, match="is not a Lexicon type") as info:
            resolver.resolve("com.example.demo.bad")
        assert info.value.stage == "verify"
        odd = resolver.resolve("com.example.demo.odd")
    assert len(odd.problems) == 1 and "must be named 'main'" in odd.problems[0]
    assert odd.uri in odd.problems[0]


def test_resolver_reports_unreachable_servers() -> None:
    world = World()
    world.publish(ALICE, lexicon("com.example.demo.thing", {"main": {"type": "token"}}))
    world.down = True
    with world.resolver() as resolver, pytest.raises(ResolutionError) as info:
        resolver.resolve("com.example.demo.thing")
    assert info.value.unreachable
    assert info.value.stage == "did"
    assert "https://plc.test/" in str(info.value)


# --- references --------------------------------------------------------------------------------


def test_document_refs_cover_every_place_a_reference_can_be() -> None:
    doc = lexicon(
        "com.example.a.main",
        {
            "main": {
                "type": "procedure",
                "parameters": {
                    "type": "params",
                    "properties": {
                        "p": {
                            "type": "string",
                            "knownValues": ["com.example.t.defs#tok", "plain", "a#"],
                        }
                    },
                },
                "input": {
                    "encoding": "application/json",
                    "schema": {"type": "ref", "ref": "com.example.in.defs#x"},
                },
                "output": {
                    "encoding": "application/json",
                    "schema": {
                        "type": "object",
                        "properties": {
                            "u": {"type": "union", "refs": ["com.example.u.one", "#local"]},
                            "arr": {
                                "type": "array",
                                "items": {"type": "ref", "ref": "com.example.arr.item"},
                            },
                            "self": {"type": "ref", "ref": "com.example.a.main#other"},
                        },
                    },
                },
            },
            "rec": {"type": "object", "properties": {"r": {"type": "ref", "ref": "#rec"}}},
        },
    )
    perms = lexicon(
        "com.example.p.set",
        {
            "main": {
                "type": "permission-set",
                "permissions": [
                    {"type": "permission", "resource": "rpc", "lxm": ["com.example.rpc.call", "*"]},
                    {
                        "type": "permission",
                        "resource": "repo",
                        "collection": ["com.example.repo.rec"],
                    },
                    {"type": "permission", "resource": "blob", "accept": ["image/*"]},
                ],
            }
        },
    )
    record = lexicon(
        "com.example.r.rec",
        {
            "main": {
                "type": "record",
                "record": {
                    "type": "object",
                    "properties": {"m": {"type": "ref", "ref": "com.example.m.defs#x"}},
                },
            }
        },
    )
    sub = lexicon(
        "com.example.s.sub",
        {
            "main": {
                "type": "subscription",
                "message": {"schema": {"type": "union", "refs": ["com.example.msg.a"]}},
            }
        },
    )
    assert document_refs(doc) == {
        "com.example.t.defs",
        "com.example.in.defs",
        "com.example.u.one",
        "com.example.arr.item",
    }
    assert document_refs(perms) == {"com.example.rpc.call", "com.example.repo.rec"}
    assert document_refs(record) == {"com.example.m.defs"}
    assert document_refs(sub) == {"com.example.msg.a"}


# --- lock file ---------------------------------------------------------------------------------


def test_lock_is_written_normalised_and_read_back(tmp_path: Path) -> None:
    cid = cid_for_data({"a": 1})
    lock = LockFile(
        ["com.example.b", "com.example.a", "com.example.a"],
        {
            "com.example.b": Resolution(
                f"at://{ALICE}/com.atproto.lexicon.schema/com.example.b", cid
            ),
            "com.example.a": Resolution(
                f"at://{ALICE}/com.atproto.lexicon.schema/com.example.a", cid
            ),
        },
    )
    text = dump_lock(lock).decode()
    assert text.endswith("}\n")
    data = json.loads(text)
    assert list(data) == ["version", "lexicons", "resolutions"]
    assert data["version"] == 1
    assert data["lexicons"] == ["com.example.a", "com.example.b"]
    assert list(data["resolutions"]) == ["com.example.a", "com.example.b"]
    assert list(data["resolutions"]["com.example.a"]) == ["uri", "cid"]
    path = tmp_path / "lexicons.json"
    path.write_text(text)
    assert load_lock(path) == lock.normalised()
    assert load_lock(tmp_path / "absent.json") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"sets": {}}', "pinned-sets manifest"),
        ("[]", "expected a JSON object"),
        ('{"version": 2, "lexicons": [], "resolutions": {}}', "'version' must be 1"),
        ('{"version": 1, "lexicons": ["bad"], "resolutions": {}}', "lexicons: 'bad'"),
        (
            '{"version": 1, "lexicons": [], "resolutions": {"com.example.a": {"uri": "at://did:plc:x/y.z.w/a"}}}',
            "resolutions.com.example.a.cid: missing",
        ),
        ("{", "not JSON"),
    ],
)
def test_bad_lock_files_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "lexicons.json"
    path.write_text(content)
    with pytest.raises(LockError) as info:
        load_lock(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


# --- install -----------------------------------------------------------------------------------


def _world() -> World:
    world = World()
    world.publish(
        ALICE,
        lexicon(
            "com.example.feed.post",
            {
                "main": {
                    "type": "record",
                    "key": "tid",
                    "record": {
                        "type": "object",
                        "properties": {
                            "tag": {"type": "ref", "ref": "com.example.feed.defs#tag"},
                            "x": {"type": "ref", "ref": "org.other.embed.thing"},
                        },
                    },
                }
            },
        ),
    )
    world.publish(
        ALICE,
        lexicon(
            "com.example.feed.defs",
            {"tag": {"type": "string", "knownValues": ["org.other.embed.thing#mark"]}},
        ),
    )
    world.publish(
        BOB,
        lexicon(
            "org.other.embed.thing",
            {"main": {"type": "object", "properties": {}}, "mark": {"type": "token"}},
        ),
    )
    return world


def test_install_closes_the_set_and_locks_it(tmp_path: Path) -> None:
    world = _world()
    with world.resolver() as resolver:
        result = install(["com.example.feed.post"], None, tmp_path, resolver)
    assert result.lock.lexicons == ["com.example.feed.post"]
    assert sorted(result.lock.resolutions) == [
        "com.example.feed.defs",
        "com.example.feed.post",
        "org.other.embed.thing",
    ]
    thing = result.lock.resolutions["org.other.embed.thing"]
    assert thing.uri == f"at://{BOB}/com.atproto.lexicon.schema/org.other.embed.thing"
    assert thing.cid == cid_for_data(world.records[(BOB, "org.other.embed.thing")])
    assert sorted(result.fetched) == sorted(result.lock.resolutions)
    written = write_documents(result.fetched.values(), tmp_path)
    assert len(written) == 3
    on_disk = json.loads(document_path(tmp_path, "org.other.embed.thing").read_text())
    assert on_disk == world.records[(BOB, "org.other.embed.thing")]
    assert write_documents(result.fetched.values(), tmp_path) == []  # unchanged: not rewritten


def test_install_again_reuses_the_disk_and_the_locked_uris(tmp_path: Path) -> None:
    world = _world()
    with world.resolver() as resolver:
        first = install(["com.example.feed.post"], None, tmp_path, resolver)
    write_documents(first.fetched.values(), tmp_path)
    world.requests.clear()
    world.dns_queries.clear()
    with world.resolver() as resolver:
        again = install([], first.lock, tmp_path, resolver)
    assert dump_lock(again.lock) == dump_lock(first.lock)
    assert again.fetched == {}
    assert sorted(again.reused) == sorted(first.lock.resolutions)
    assert world.requests == [] and world.dns_queries == []  # nothing asked of the network


def test_install_from_the_lock_detects_a_changed_record(tmp_path: Path) -> None:
    world = _world()
    with world.resolver() as resolver:
        first = install(["com.example.feed.post"], None, tmp_path, resolver)
    world.records[(BOB, "org.other.embed.thing")]["description"] = "changed"
    with world.resolver() as resolver:  # nothing on disk: every document is fetched again
        again = install([], first.lock, tmp_path, resolver)
    assert world.dns_queries.count("_lexicon.embed.other.org") == 1  # only the first run
    changed = [
        n for n in first.lock.resolutions if first.lock.resolutions[n] != again.lock.resolutions[n]
    ]
    assert changed == ["org.other.embed.thing"]


def test_update_fetches_even_what_is_on_disk(tmp_path: Path) -> None:
    world = _world()
    with world.resolver() as resolver:
        first = install(["com.example.feed.post"], None, tmp_path, resolver)
    write_documents(first.fetched.values(), tmp_path)
    with world.resolver() as resolver:
        again = install([], first.lock, tmp_path, resolver, update=True)
    assert sorted(again.fetched) == sorted(first.lock.resolutions)


def test_install_errors(tmp_path: Path) -> None:
    world = _world()
    with world.resolver() as resolver:
        with pytest.raises(InstallError, match="named twice"):
            install(["com.example.feed.post", "com.example.feed.post"], None, tmp_path, resolver)
        with pytest.raises(InstallError, match="invalid nsid"):
            install(["not an nsid"], None, tmp_path, resolver)
        document_path(tmp_path, "com.example.feed.post").parent.mkdir(parents=True)
        document_path(tmp_path, "com.example.feed.post").write_text('{"id": "com.example.other"}')
        with pytest.raises(InstallError, match="is not the lexicon document") as info:
            install(["com.example.feed.post"], None, tmp_path, resolver)
        assert "--update" in info.value.hint
        del world.records[(BOB, "org.other.embed.thing")]
        with pytest.raises(ResolutionError, match=r"org\.other\.embed\.thing"):
            install(["com.example.feed.post"], None, tmp_path / "fresh", resolver)


def test_install_from_an_at_uri(tmp_path: Path) -> None:
    world = _world()
    world.txt.clear()  # the root needs no DNS; the dependency on bob's lexicon still does
    world.publish(BOB, lexicon("org.other.embed.thing", {"main": {"type": "token"}}))
    uri = f"at://{ALICE}/com.atproto.lexicon.schema/com.example.feed.defs"
    with world.resolver() as resolver:
        result = install([uri], None, tmp_path, resolver)
    assert result.lock.lexicons == ["com.example.feed.defs"]
    assert result.lock.resolutions["com.example.feed.defs"].uri == uri
    assert world.dns_queries == ["_lexicon.embed.other.org"]
