"""``verify=True`` on hand-made signed commits: good ones pass; a wrong key, a tampered
record, a broken proof (a block missing, a wrong prevData, an op left out) are rejected with
CommitSignatureError / CommitProofError naming repo and seq, or reported to ``on_invalid``;
``#identity`` purges the cached key; a failed check re-resolves the key once (rotation)."""

from __future__ import annotations

from typing import Any

import pytest
from _stream_frames import DID, FakeResolver, Repo, Signer, _b64, car, identity_frame

from atlex.repo import dagcbor
from atlex.streams import CommitProofError, CommitSignatureError, RepoCommit, VerificationError
from atlex.streams._api import _repos_core
from atlex.streams._core import SKIP
from atlex.streams._verify import Verifier

POST = {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2026-01-01T00:00:00Z"}


def _post(text: str) -> dict[str, Any]:
    return {**POST, "text": text}


def _check(frame: bytes, resolver: FakeResolver, on_invalid: Any = None) -> Any:
    message = _repos_core("http://x", None, None, {}).feed(frame)
    return Verifier(resolver, on_invalid)(message)  # type: ignore[arg-type]


@pytest.fixture
def signer() -> Signer:
    return Signer()


def _history(repo: Repo) -> list[bytes]:
    """Creates, an update and a delete across a tree big enough to have several layers."""
    frames = [repo.commit(1, {f"app.bsky.feed.post/3k{i:03d}": _post(str(i)) for i in range(40)})]
    frames.append(repo.commit(2, {"app.bsky.feed.post/3k005": _post("edited")}))
    frames.append(repo.commit(3, {"app.bsky.feed.post/3k007": None}))
    frames.append(
        repo.commit(
            4,
            {
                "app.bsky.feed.like/3z": {
                    "$type": "app.bsky.feed.like",
                    "subject": {
                        "uri": "at://did:plc:x/app.bsky.feed.post/1",
                        "cid": dagcbor.cid_text(dagcbor.cid_for(b"\xa0")),
                    },
                    "createdAt": "2026-01-01T00:00:00Z",
                }
            },
        )
    )
    return frames


def test_good_commits_pass(signer: Signer) -> None:
    resolver = FakeResolver({DID: signer.public})
    for frame in _history(Repo(signer)):
        assert isinstance(_check(frame, resolver), RepoCommit)
    assert all(not fresh for _, fresh in resolver.lookups)


def test_a_commit_signed_by_another_key_is_rejected(signer: Signer) -> None:
    resolver = FakeResolver({DID: Signer().public})
    with pytest.raises(CommitSignatureError) as caught:
        _check(_history(Repo(signer))[0], resolver)
    assert (caught.value.repo, caught.value.seq) == (DID, 1)
    assert "seq 1" in str(caught.value)
    # the key was looked up afresh once before giving up (it may have rotated)
    assert resolver.lookups == [(DID, False), (DID, True)]
    assert resolver.purged == [DID]


def test_a_rotated_key_is_found_on_the_fresh_lookup(signer: Signer) -> None:
    resolver = FakeResolver({DID: Signer().public})
    frame = _history(Repo(signer))[0]

    def rotate(did: str, *, fresh: bool = False) -> Any:
        resolver.lookups.append((did, fresh))
        return signer.public if fresh else Signer().public

    resolver.resolve_signing_key = rotate  # type: ignore[method-assign]
    assert isinstance(_check(frame, resolver), RepoCommit)


def _tampered(signer: Signer, tamper: Any) -> bytes:
    repo = Repo(signer)
    _history(repo)
    return repo.commit(9, {"app.bsky.feed.post/3m": _post("new")}, tamper=tamper)


def _rebuild(body: dict[str, Any], blocks: dict[bytes, bytes], commit_cid: bytes) -> None:
    body["blocks"] = {"$bytes": _b64(car(commit_cid, blocks))}


def test_a_changed_record_block_is_rejected(signer: Signer) -> None:
    def tamper(body: dict[str, Any], blocks: dict[bytes, bytes], commit_cid: bytes) -> None:
        record_cid = dagcbor.cid_bytes(body["ops"][0]["cid"]["$link"])
        blocks[record_cid] = dagcbor.encode(_post("forged"))
        _rebuild(body, blocks, commit_cid)

    with pytest.raises(CommitProofError, match="does not match its CID"):
        _check(_tampered(signer, tamper), FakeResolver({DID: signer.public}))


def test_a_proof_missing_a_node_is_rejected(signer: Signer) -> None:
    def tamper(body: dict[str, Any], blocks: dict[bytes, bytes], commit_cid: bytes) -> None:
        record_cid = dagcbor.cid_bytes(body["ops"][0]["cid"]["$link"])
        mst_nodes = [c for c in blocks if c not in (commit_cid, record_cid)]
        del blocks[mst_nodes[-1]]
        _rebuild(body, blocks, commit_cid)

    with pytest.raises(CommitProofError, match="not among the blocks") as caught:
        _check(_tampered(signer, tamper), FakeResolver({DID: signer.public}))
    assert caught.value.seq == 9


def test_a_wrong_prev_data_is_rejected(signer: Signer) -> None:
    def tamper(body: dict[str, Any], blocks: dict[bytes, bytes], commit_cid: bytes) -> None:
        body["prevData"] = {"$link": dagcbor.cid_text(dagcbor.cid_for(b"\xa0"))}

    with pytest.raises(CommitProofError, match="inductive proof failed"):
        _check(_tampered(signer, tamper), FakeResolver({DID: signer.public}))


def test_an_op_left_out_is_rejected(signer: Signer) -> None:
    repo = Repo(signer)
    _history(repo)

    def tamper(body: dict[str, Any], blocks: dict[bytes, bytes], commit_cid: bytes) -> None:
        body["ops"] = body["ops"][:1]

    frame = repo.commit(
        9, {"app.bsky.feed.post/3m": _post("a"), "app.bsky.feed.post/3n": _post("b")}, tamper=tamper
    )
    with pytest.raises(CommitProofError):
        _check(frame, FakeResolver({DID: signer.public}))


def test_a_commit_without_prev_data_fails_the_proof(signer: Signer) -> None:
    def tamper(body: dict[str, Any], blocks: dict[bytes, bytes], commit_cid: bytes) -> None:
        del body["prevData"]

    with pytest.raises(CommitProofError, match="no prevData"):
        _check(_tampered(signer, tamper), FakeResolver({DID: signer.public}))


def test_a_commit_block_for_another_repo_is_rejected(signer: Signer) -> None:
    def tamper(body: dict[str, Any], blocks: dict[bytes, bytes], commit_cid: bytes) -> None:
        body["repo"] = "did:plc:someoneelse00000000000"

    with pytest.raises(CommitProofError, match="names did:plc:streamtest"):
        _check(
            _tampered(signer, tamper),
            FakeResolver({"did:plc:someoneelse00000000000": signer.public}),
        )


def test_on_invalid_receives_the_error_and_the_event_is_left_out(signer: Signer) -> None:
    seen: list[VerificationError] = []
    frame = _history(Repo(signer))[0]
    assert _check(frame, FakeResolver({DID: Signer().public}), seen.append) is SKIP
    assert [type(e) for e in seen] == [CommitSignatureError]
    assert isinstance(seen[0].event, RepoCommit)
    assert seen[0].event.seq == 1


def test_identity_events_purge_the_cached_key(signer: Signer) -> None:
    resolver = FakeResolver({DID: signer.public})
    _check(identity_frame(5), resolver)
    assert resolver.purged == [DID]


def test_the_unsigned_commit_is_cut_out_of_the_block_only_when_certain(signer: Signer) -> None:
    from atlex.streams._verify import _without_sig  # pyright: ignore[reportPrivateUsage]

    sig = signer.sign(b"commit")
    unsigned = {
        "did": DID,
        "version": 3,
        "data": dagcbor.RawCid(dagcbor.cid_for(b"\xa0")),
        "rev": "3l00000000001",
        "prev": None,
    }
    assert _without_sig(dagcbor.encode_raw({**unsigned, "sig": sig}), sig) == dagcbor.encode_raw(
        unsigned
    )
    # the sig entry's bytes also inside another field: found twice, so not cut (encoded instead)
    twice = dagcbor.encode_raw({**unsigned, "note": b"\x63sig\x58\x40" + sig, "sig": sig})
    assert _without_sig(twice, sig) is None
    assert _without_sig(dagcbor.encode_raw({**unsigned, "sig": sig[:10]}), sig[:10]) is None
