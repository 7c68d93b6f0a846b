"""The firehose against the real reference PDS (issue 12's network acceptance).

While subscribed (``verify=True``: every commit's signature is checked against the key in the
account's DID document on the local PLC, and every inductive proof), an account creates,
updates and deletes posts, a like and its profile; the consumer sees each op typed, with the
right record, in order. Deactivate / activate show as ``Account`` events, a handle change as
``Identity``. A second subscription from a saved cursor gets exactly the events after it. A
label applied in the network's Ozone arrives through ``subscribeLabels``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from refnet import ReferenceNetwork
from refnet_xrpc import Account, call, now, unique_handle

from atlex.identity import AsyncIdentityResolver, IdentityResolver, ResolverOptions
from atlex.lex.app.bsky.actor import profile
from atlex.lex.app.bsky.feed import like, post
from atlex.lex.com.atproto.sync import subscribe_repos as repos
from atlex.streams import RepoCommit, async_subscribe_repos, subscribe_repos

pytestmark = pytest.mark.network

TIMEOUT = 60.0


class Consumer:
    """A verified subscription read in a background thread, keeping one account's events."""

    def __init__(self, network: ReferenceNetwork, did: str, cursor: int | None = 0) -> None:
        info = network.info
        self.did = did
        self.events: list[Any] = []
        self.changed = threading.Condition()
        self.resolver = IdentityResolver(ResolverOptions(plc_url=info.plc))
        self.stream = subscribe_repos(
            info.pds, cursor=cursor, verify=True, resolver=self.resolver, idle_timeout=None
        )
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for event in self.stream:
                if _did_of(event) == self.did:
                    with self.changed:
                        self.events.append(event)
                        self.changed.notify_all()
        except BaseException as exc:  # handed to the test thread
            self.failure = exc
            with self.changed:
                self.changed.notify_all()

    def wait_for(self, until: Callable[[list[Any]], bool], what: str) -> list[Any]:
        with self.changed:
            ok = self.changed.wait_for(
                lambda: self.failure is not None or until(self.events), TIMEOUT
            )
        if self.failure is not None:
            raise self.failure
        assert ok, f"{what}: not seen within {TIMEOUT:.0f} s; got {self.events!r:.800}"
        return list(self.events)

    def close(self) -> None:
        self.stream.close()
        self.thread.join(10)
        self.resolver.close()


def _did_of(event: Any) -> str | None:
    if isinstance(event, repos.Commit):
        return event.repo
    return getattr(event, "did", None)


def _ops(events: list[Any]) -> list[tuple[str, str, Any]]:
    return [
        (op.action, op.path, op.record)
        for event in events
        if isinstance(event, RepoCommit)
        for op in event.operations
    ]


def _rkey(out: dict[str, Any]) -> str:
    return str(out["uri"]).rsplit("/", 1)[1]


def test_writes_arrive_as_typed_verified_ops_in_order(network: ReferenceNetwork) -> None:
    alice: Account = network.create_account("fhalice")
    consumer = Consumer(network, alice.did)
    try:
        first = alice.create_record(post.NSID, {"text": "first", "createdAt": now()})
        second = alice.create_record(post.NSID, {"text": "second", "createdAt": now()})
        alice.call(
            "com.atproto.repo.putRecord",
            body={
                "repo": alice.did,
                "collection": post.NSID,
                "rkey": _rkey(first),
                "record": {"$type": post.NSID, "text": "first, edited", "createdAt": now()},
            },
        )
        liked = alice.create_record(
            like.NSID,
            {"subject": {"uri": second["uri"], "cid": second["cid"]}, "createdAt": now()},
        )
        alice.call(
            "com.atproto.repo.putRecord",
            body={
                "repo": alice.did,
                "collection": profile.NSID,
                "rkey": "self",
                "record": {"$type": profile.NSID, "displayName": "Alice F."},
            },
        )
        for done in (second, liked):
            alice.call(
                "com.atproto.repo.deleteRecord",
                body={
                    "repo": alice.did,
                    "collection": str(done["uri"]).split("/")[3],
                    "rkey": _rkey(done),
                },
            )
        events = consumer.wait_for(lambda ev: len(_ops(ev)) >= 7, "seven ops of alice")
    finally:
        consumer.close()

    ops = _ops(events)
    assert [(action, path) for action, path, _ in ops] == [
        ("create", f"{post.NSID}/{_rkey(first)}"),
        ("create", f"{post.NSID}/{_rkey(second)}"),
        ("update", f"{post.NSID}/{_rkey(first)}"),
        ("create", f"{like.NSID}/{_rkey(liked)}"),
        ("create", f"{profile.NSID}/self"),
        ("delete", f"{post.NSID}/{_rkey(second)}"),
        ("delete", f"{like.NSID}/{_rkey(liked)}"),
    ]
    records = [record for _, _, record in ops]
    assert isinstance(records[0], post.Record) and records[0].text == "first"
    assert isinstance(records[1], post.Record) and records[1].text == "second"
    assert isinstance(records[2], post.Record) and records[2].text == "first, edited"
    assert isinstance(records[3], like.Record) and records[3].subject.uri == second["uri"]
    assert isinstance(records[4], profile.Record) and records[4].display_name == "Alice F."
    assert records[5:] == [None, None]
    commits = [e for e in events if isinstance(e, RepoCommit) and e.ops]
    seqs = [e.seq for e in events if hasattr(e, "seq")]
    assert seqs == sorted(seqs)
    assert commits[2].operations[0].prev == first["cid"]  # sync 1.1: updates name the old CID


def test_account_and_identity_events_and_resume_from_a_cursor(network: ReferenceNetwork) -> None:
    bob = network.create_account("fhbob")
    consumer = Consumer(network, bob.did)
    try:
        bob.call("com.atproto.server.deactivateAccount", body={})
        call(bob.pds, "com.atproto.server.activateAccount", token=bob.access_jwt, procedure=True)
        new_handle = unique_handle("fhbob2")
        bob.call("com.atproto.identity.updateHandle", body={"handle": new_handle})
        bob.create_record(post.NSID, {"text": "after", "createdAt": now()})

        def seen(events: list[Any]) -> bool:
            return (
                any(isinstance(e, repos.Identity) and e.handle == new_handle for e in events)
                and len(_ops(events)) >= 1
            )

        events = consumer.wait_for(seen, "account, identity and a post of bob")
    finally:
        consumer.close()

    accounts = [(e.active, e.status) for e in events if isinstance(e, repos.Account)]
    assert (False, "deactivated") in accounts
    assert accounts.index((False, "deactivated")) < len(accounts) - 1
    assert accounts[-1][0] is True
    assert any(isinstance(e, repos.Identity) and e.handle == new_handle for e in events)

    # resume: from the seq of the deactivation, a new subscription gets exactly what followed
    middle = next(e.seq for e in events if isinstance(e, repos.Account) and not e.active)
    expected = [e.seq for e in events if e.seq > middle]
    resumed = Consumer(network, bob.did, cursor=middle)
    try:
        again = resumed.wait_for(lambda ev: len(ev) >= len(expected), "the events after it")
    finally:
        resumed.close()
    assert [e.seq for e in again] == expected


def test_the_async_stream_reads_the_same_verified_commits(network: ReferenceNetwork) -> None:
    carol = network.create_account("fhcarol")
    carol.create_record(post.NSID, {"text": "async hello", "createdAt": now()})
    info = network.info

    async def read() -> list[Any]:
        got: list[Any] = []
        async with AsyncIdentityResolver(ResolverOptions(plc_url=info.plc)) as resolver:
            stream = async_subscribe_repos(info.pds, cursor=0, verify=True, resolver=resolver)
            async with stream:
                async for event in stream:
                    if isinstance(event, RepoCommit) and event.repo == carol.did and event.ops:
                        got.append(event)
                        break
        return got

    commits = asyncio.run(asyncio.wait_for(read(), TIMEOUT))
    record = commits[0].operations[0].record
    assert isinstance(record, post.Record)
    assert record.text == "async hello"


def test_a_label_applied_in_ozone_arrives_through_subscribe_labels(
    network: ReferenceNetwork,
) -> None:
    import httpx

    from atlex.lex.com.atproto.label import subscribe_labels as labels_lex
    from atlex.streams import subscribe_labels

    info = network.info
    ozone, ozone_did = str(info.raw["ozone"]), str(info.raw["ozoneDid"])
    dave = network.create_account("fhdave")
    value = "fh-test-label"
    response = httpx.post(
        f"{ozone}/xrpc/tools.ozone.moderation.emitEvent",
        auth=("admin", info.admin_password),
        json={
            "event": {
                "$type": "tools.ozone.moderation.defs#modEventLabel",
                "createLabelVals": [value],
                "negateLabelVals": [],
            },
            "subject": {"$type": "com.atproto.admin.defs#repoRef", "did": dave.did},
            "createdBy": ozone_did,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    found: list[Any] = []
    with subscribe_labels(ozone, cursor=0, idle_timeout=TIMEOUT) as stream:
        for message in stream:
            assert isinstance(message, labels_lex.Labels), message
            found += [label for label in message.labels if label.uri == dave.did]
            if found:
                break
    assert (found[0].val, found[0].src) == (value, ozone_did)


def test_a_cut_connection_reconnects_and_loses_nothing(network: ReferenceNetwork) -> None:
    """The link to the PDS is cut mid-stream (every connection reset, new ones refused for a
    while) while the account keeps writing: the stream reconnects by itself, resumes from its
    cursor, and every commit arrives once, in order."""
    import time
    from urllib.parse import urlsplit

    from loopback_proxy import CuttableProxy

    erin = network.create_account("fherin")
    parts = urlsplit(network.info.pds)
    with CuttableProxy((parts.hostname or "127.0.0.1", parts.port or 80)) as proxy:
        stream = subscribe_repos(proxy.url, cursor=0, backoff_initial=0.2, backoff_max=1.0)
        texts: list[str] = []
        seqs: list[int] = []

        def consume() -> None:
            for event in stream:
                if hasattr(event, "seq"):
                    seqs.append(event.seq)
                if isinstance(event, RepoCommit) and event.repo == erin.did:
                    texts.extend(op.record.text for op in event.ops_in(post.NSID))
                    if len(texts) == 6:
                        return

        worker = threading.Thread(target=consume, daemon=True)
        worker.start()
        for i in range(3):
            erin.create_record(post.NSID, {"text": f"before {i}", "createdAt": now()})
        deadline = time.monotonic() + TIMEOUT
        while len(texts) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        proxy.cut()
        for i in range(3):
            erin.create_record(post.NSID, {"text": f"during {i}", "createdAt": now()})
        time.sleep(1.5)  # the stream's first reconnects are refused
        proxy.restore()
        worker.join(TIMEOUT)
        stream.close()
    assert texts == [f"before {i}" for i in range(3)] + [f"during {i}" for i in range(3)]
    assert seqs == sorted(set(seqs))  # nothing twice, nothing out of order
    assert stream.core.connections >= 2


def test_the_cli_prints_verified_commits_as_json_lines(network: ReferenceNetwork) -> None:
    """``atlex firehose --verify --collection`` as a user runs it: read its output until the
    account's post shows, then stop it."""
    import json
    import os
    import subprocess
    import sys

    frank = network.create_account("fhfrank")
    made = frank.create_record(post.NSID, {"text": "from the cli", "createdAt": now()})
    command = [
        sys.executable,
        "-m",
        "atlex.cli",
        "firehose",
        network.info.pds,
        "--cursor",
        "0",
        "--verify",
        "--collection",
        post.NSID,
    ]
    env = {**os.environ, "ATLEX_PLC_URL": network.info.plc}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    ) as process:
        assert process.stdout is not None
        ours: dict[str, Any] | None = None
        timer = threading.Timer(TIMEOUT, process.kill)
        timer.start()
        for text in process.stdout:
            line = json.loads(text)
            assert [op["path"].split("/")[0] for op in line["ops"]] == [post.NSID] * len(
                line["ops"]
            )
            if line["repo"] == frank.did:
                ours = line
                break
        timer.cancel()
        process.terminate()
        errors = process.stderr.read() if process.stderr else ""
    assert ours is not None, errors
    assert ours["ops"][0]["record"]["text"] == "from the cli"
    assert ours["ops"][0]["cid"] == made["cid"]
    assert "BadCommit" not in errors
