"""``verify=True``: checking commits (sans-I/O part plus thin sync and async shells).

For each ``#commit`` (and the commit inside each ``#sync``):

* the CAR slice: its first root is the commit, and every block hashes to its CID;
* the commit block: names the event's repo and rev, and is signed by the account's current
  signing key (resolved through :mod:`atlex.identity`, cached there; on a failed check the key
  is resolved afresh once, since the account may have rotated it);
* the sync 1.1 inductive proof: the ops, inverted on the new MST (with only the blocks the
  commit carries), give ``prevData``. Commits with ops but no ``prevData`` fail (a pre-1.1
  producer); ``tooBig`` commits carry no tree, so only their signature is checked.

``#identity`` events purge the account from the resolver's cache, so the next commit re-resolves.
A failure raises :class:`CommitSignatureError` / :class:`CommitProofError` (naming repo and seq),
or, when an ``on_invalid`` callback is given, is passed to it and the event is left out of the
stream (the error carries it as ``error.event``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from atlex._model import CidLink
from atlex.lex.com.atproto.sync import subscribe_repos
from atlex.repo import dagcbor
from atlex.repo.car import Car, CarError, read_car
from atlex.repo.mst import MstError, Op, verify_commit_proof
from atlex.streams._commit import RepoCommit
from atlex.streams._core import SKIP
from atlex.streams.errors import CommitProofError, CommitSignatureError, VerificationError

if TYPE_CHECKING:
    from atlex.identity import AsyncIdentityResolver, IdentityResolver, PublicKey

__all__ = ["AsyncVerifier", "SignedCommit", "Verifier", "check_proof", "signed_commit"]

OnInvalid = Callable[[VerificationError], None]


class SignedCommit:
    """The commit block of an event: who, which rev, the unsigned bytes and the signature."""

    __slots__ = ("data", "did", "rev", "sig", "unsigned")

    def __init__(self, did: str, rev: str, data: bytes, unsigned: bytes, sig: bytes) -> None:
        self.did = did
        self.rev = rev
        self.data = data
        self.unsigned = unsigned
        self.sig = sig


def _car_of(event: Any) -> Car:
    if isinstance(event, RepoCommit):
        return event.car
    raw: str = event.blocks.b64
    return read_car(base64.b64decode(raw + "=" * (-len(raw) % 4)))


def signed_commit(event: Any, repo: str, seq: int, rev: str) -> SignedCommit:
    """The checked commit block of a ``#commit`` / ``#sync`` event (raises CommitProofError)."""
    try:
        car = _car_of(event)
        car.verify_blocks()
    except CarError as exc:
        raise CommitProofError(f"bad CAR slice: {exc}", repo=repo, seq=seq) from exc
    if not car.roots or car.roots[0] not in car.blocks:
        raise CommitProofError("the CAR slice does not carry its root commit", repo=repo, seq=seq)
    root = car.roots[0]
    if isinstance(event, RepoCommit) and dagcbor.cid_bytes(event.commit.link) != root:
        raise CommitProofError("the CAR root is not the event's commit", repo=repo, seq=seq)
    try:
        raw = car.blocks[root]
        block: Any = dagcbor.decode_raw(raw)
        did, commit_rev, data, sig = block["did"], block["rev"], block["data"], block["sig"]
        unsigned = _without_sig(raw, sig) or dagcbor.encode_raw(
            {k: v for k, v in block.items() if k != "sig"}
        )
    except (dagcbor.DagCborError, KeyError, TypeError, AttributeError) as exc:
        raise CommitProofError(f"malformed commit block: {exc}", repo=repo, seq=seq) from exc
    if did != repo or commit_rev != rev:
        raise CommitProofError(
            f"the commit block names {did} rev {commit_rev}, the event {repo} rev {rev}",
            repo=repo,
            seq=seq,
        )
    if not isinstance(data, bytes) or not isinstance(sig, bytes):
        raise CommitProofError("malformed commit block: data or sig", repo=repo, seq=seq)
    return SignedCommit(did, commit_rev, bytes(data), unsigned, bytes(sig))


_SIG_ENTRY = b"\x63sig\x58\x40"  # the text "sig", then a 64-byte byte string's head


def _without_sig(block: bytes, sig: object) -> bytes | None:
    """The commit block without its ``sig`` entry, cut out of the bytes: the block decoded as
    canonical DAG-CBOR (cbrrr refuses anything else), so this is what encoding the map without
    ``sig`` gives. None when the cut is not certain (the entry found other than once, not a
    64-byte signature, a map head of more than one byte); the caller then encodes."""
    if not isinstance(sig, bytes) or len(sig) != 64 or not 0xA1 <= block[0] <= 0xB7:
        return None
    entry = _SIG_ENTRY + sig
    at = block.find(entry)
    if at < 0 or block.find(entry, at + 1) >= 0:
        return None
    return bytes((block[0] - 1,)) + block[1:at] + block[at + len(entry) :]


def check_proof(commit: RepoCommit, signed: SignedCommit) -> None:
    """The sync 1.1 inductive proof of ``commit`` (raises :class:`CommitProofError`)."""
    if commit.too_big or not commit.ops:
        return
    prev = commit.prev_data
    if not isinstance(prev, CidLink):
        raise CommitProofError(
            "no prevData: the inductive proof cannot be checked", repo=commit.repo, seq=commit.seq
        )
    ops: list[Op] = []
    for op in commit.operations:
        old = dagcbor.cid_bytes(op.prev) if op.prev is not None else None
        new = dagcbor.cid_bytes(op.cid) if op.cid is not None else None
        if op.action != "create" and old is None:
            raise CommitProofError(
                f"{op.action} of {op.path} without prev: not an inductive commit",
                repo=commit.repo,
                seq=commit.seq,
            )
        ops.append(Op(op.path, old, new))
    try:
        verify_commit_proof(commit.car.blocks, signed.data, dagcbor.cid_bytes(prev.link), ops)
    except MstError as exc:
        raise CommitProofError(str(exc), repo=commit.repo, seq=commit.seq) from exc


def _identity(event: Any) -> tuple[str, int, str] | None:
    """(repo, seq, rev) of an event that carries a signed commit."""
    if isinstance(event, RepoCommit):
        return event.repo, event.seq, event.rev
    if isinstance(event, subscribe_repos.Sync):
        return event.did, event.seq, event.rev
    return None


def _bad_signature(repo: str, seq: int) -> CommitSignatureError:
    return CommitSignatureError(
        "the commit is not signed by the account's signing key", repo=repo, seq=seq
    )


def _report(error: VerificationError, event: Any, on_invalid: OnInvalid | None) -> Any:
    error.event = event
    if on_invalid is None:
        raise error
    on_invalid(error)
    return SKIP


class Verifier:
    """The blocking shell: resolves keys with an :class:`atlex.identity.IdentityResolver`."""

    def __init__(self, resolver: IdentityResolver, on_invalid: OnInvalid | None = None) -> None:
        self.resolver = resolver
        self.on_invalid = on_invalid

    def __call__(self, event: Any) -> Any:
        if isinstance(event, subscribe_repos.Identity):
            self.resolver.purge(event.did)
            return event
        found = _identity(event)
        if found is None:
            return event
        repo, seq, rev = found
        try:
            signed = signed_commit(event, repo, seq, rev)
            if isinstance(event, RepoCommit):
                check_proof(event, signed)
            if not self._signed_by_key(signed):
                raise _bad_signature(repo, seq)
        except VerificationError as error:
            return _report(error, event, self.on_invalid)
        return event

    def _signed_by_key(self, signed: SignedCommit) -> bool:
        key: PublicKey = self.resolver.resolve_signing_key(signed.did)
        if key.verify(signed.unsigned, signed.sig):
            return True
        self.resolver.purge(signed.did)  # the key may have rotated: look again, once
        key = self.resolver.resolve_signing_key(signed.did, fresh=True)
        return key.verify(signed.unsigned, signed.sig)


class AsyncVerifier:
    """The asyncio shell over the same checks, with an ``AsyncIdentityResolver``."""

    def __init__(
        self, resolver: AsyncIdentityResolver, on_invalid: OnInvalid | None = None
    ) -> None:
        self.resolver = resolver
        self.on_invalid = on_invalid

    async def __call__(self, event: Any) -> Any:
        if isinstance(event, subscribe_repos.Identity):
            self.resolver.purge(event.did)
            return event
        found = _identity(event)
        if found is None:
            return event
        repo, seq, rev = found
        try:
            signed = signed_commit(event, repo, seq, rev)
            if isinstance(event, RepoCommit):
                check_proof(event, signed)
            if not await self._signed_by_key(signed):
                raise _bad_signature(repo, seq)
        except VerificationError as error:
            return _report(error, event, self.on_invalid)
        return event

    async def _signed_by_key(self, signed: SignedCommit) -> bool:
        key: PublicKey = await self.resolver.resolve_signing_key(signed.did)
        if key.verify(signed.unsigned, signed.sig):
            return True
        self.resolver.purge(signed.did)
        key = await self.resolver.resolve_signing_key(signed.did, fresh=True)
        return key.verify(signed.unsigned, signed.sig)
