"""A ``subscribeRepos`` stream captured from a local reference PDS: the firehose bench fixture.

Starts a lone PDS (with its own PLC) on 127.0.0.1 (``tests/network/refnet.py``), creates a few
accounts and has them write thousands of mixed commits: posts (facets, replies, quotes, image
embeds), likes, reposts, follows, profile updates, record updates and deletes. Then it reads
the PDS's ``com.atproto.sync.subscribeRepos`` from cursor 0 and keeps every binary frame
exactly as received (length-prefixed, in order).

Everything is written through raw XRPC (``refnet_xrpc``) and a bare websocket, independent of
atlex; only the accounts' signing keys (kept beside the frames, for the verified figure) are
read from their DID documents with ``atlex.identity``.

    python -m bench.firehose_capture --out .cache/bench/firehose.frames --commits 3000
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import struct
import sys
import time
from pathlib import Path
from typing import Any

NETWORK_TESTS = Path(__file__).resolve().parents[1] / "tests" / "network"
ACCOUNTS = 6
SEED = 12
_WORDS = [
    "firehose",
    "commit",
    "record",
    "typed",
    "lexicon",
    "union",
    "stream",
    "frame",
    "block",
    "proof",
    "tree",
    "leaf",
]


def _harness() -> tuple[Any, Any]:
    if str(NETWORK_TESTS) not in sys.path:
        sys.path.insert(0, str(NETWORK_TESTS))
    return importlib.import_module("refnet"), importlib.import_module("refnet_xrpc")


def write_frames(path: Path, frames: list[bytes]) -> None:
    """Frames as ``<u32 big-endian length><frame bytes>`` records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for frame in frames:
            out.write(struct.pack(">I", len(frame)))
            out.write(frame)


def read_frames(path: Path) -> list[bytes]:
    data = path.read_bytes()
    frames: list[bytes] = []
    at = 0
    while at < len(data):
        (size,) = struct.unpack_from(">I", data, at)
        frames.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    return frames


class _Writer:
    def __init__(self, xrpc: Any, accounts: list[Any]) -> None:
        self.xrpc = xrpc
        self.accounts = accounts
        self.rng = random.Random(SEED)
        self.records: list[tuple[Any, str, str, str]] = []  # (account, collection, rkey, cid)
        self.posts: list[tuple[str, str]] = []  # (uri, cid)

    def words(self, lo: int, hi: int) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(lo, hi)))

    def create(self, account: Any, collection: str, record: dict[str, Any]) -> None:
        out = account.create_record(collection, {"$type": collection, **record})
        rkey = str(out["uri"]).rsplit("/", 1)[-1]
        self.records.append((account, collection, rkey, str(out["cid"])))
        if collection == "app.bsky.feed.post":
            self.posts.append((str(out["uri"]), str(out["cid"])))

    def post(self, account: Any) -> None:
        text = self.words(3, 30)
        record: dict[str, Any] = {"text": text, "createdAt": self.xrpc.now(), "langs": ["en"]}
        roll = self.rng.random()
        if roll < 0.2:
            tag = self.rng.choice(_WORDS)
            record["text"] = f"{text} #{tag}"
            start = len(text.encode()) + 1
            record["facets"] = [
                {
                    "index": {"byteStart": start, "byteEnd": start + len(tag) + 1},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
                }
            ]
        elif roll < 0.35 and self.posts:
            uri, cid = self.rng.choice(self.posts)
            ref = {"uri": uri, "cid": cid}
            record["reply"] = {"root": ref, "parent": ref}
        elif roll < 0.45 and self.posts:
            uri, cid = self.rng.choice(self.posts)
            record["embed"] = {
                "$type": "app.bsky.embed.record",
                "record": {"uri": uri, "cid": cid},
            }
        elif roll < 0.55:
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [{"image": self.blob(account), "alt": self.words(1, 5)}],
            }
        self.create(account, "app.bsky.feed.post", record)

    def blob(self, account: Any) -> dict[str, Any]:
        # a fresh upload each time: the PDS drops a blob once no record references it
        png = self.xrpc.solid_png(16, 16, (self.rng.randrange(256), 40, 90))
        return self.xrpc.upload_blob(account.pds, png, "image/png", account.access_jwt)

    def subject(self) -> dict[str, str]:
        uri, cid = self.rng.choice(self.posts)
        return {"uri": uri, "cid": cid}

    def step(self) -> None:
        account = self.rng.choice(self.accounts)
        roll = self.rng.random()
        now = self.xrpc.now()
        if roll < 0.4 or not self.posts:
            self.post(account)
        elif roll < 0.65:
            self.create(
                account, "app.bsky.feed.like", {"subject": self.subject(), "createdAt": now}
            )
        elif roll < 0.75:
            self.create(
                account, "app.bsky.feed.repost", {"subject": self.subject(), "createdAt": now}
            )
        elif roll < 0.83:
            other = self.rng.choice(self.accounts)
            self.create(account, "app.bsky.graph.follow", {"subject": other.did, "createdAt": now})
        elif roll < 0.9:
            account.call(
                "com.atproto.repo.putRecord",
                body={
                    "repo": account.did,
                    "collection": "app.bsky.actor.profile",
                    "rkey": "self",
                    "record": {
                        "$type": "app.bsky.actor.profile",
                        "displayName": self.words(1, 3),
                        "description": self.words(5, 20),
                    },
                },
            )
        elif self.records:
            owner, collection, rkey, _ = self.records.pop(self.rng.randrange(len(self.records)))
            owner.call(
                "com.atproto.repo.deleteRecord",
                body={"repo": owner.did, "collection": collection, "rkey": rkey},
            )
            self.posts = [p for p in self.posts if not p[0].endswith(f"{collection}/{rkey}")]


def _read_stream(pds: str, timeout: float) -> list[bytes]:
    from websockets.sync.client import connect

    url = pds.replace("http://", "ws://", 1) + "/xrpc/com.atproto.sync.subscribeRepos?cursor=0"
    frames: list[bytes] = []
    deadline = time.monotonic() + timeout
    with connect(url, max_size=None) as ws:
        while time.monotonic() < deadline:
            try:
                message = ws.recv(timeout=2.0)
            except TimeoutError:
                # every write was made before reading: a quiet stream has replayed them all
                if frames:
                    break
                continue
            if isinstance(message, bytes):
                frames.append(message)
    return frames


def _signing_key(plc: str, did: str) -> str:
    """The account's signing key as a ``did:key`` (from its DID document on the PLC)."""
    import httpx

    from atlex.identity import DidDocument  # reads the legacy and the Multikey forms alike

    document = DidDocument.parse(did, httpx.get(f"{plc}/{did}", timeout=30).content)
    key = document.signing_key
    if key is None:
        raise RuntimeError(f"no #atproto key in the DID document of {did}")
    return key.did_key


def capture(commits: int) -> tuple[list[bytes], dict[str, str]]:
    """The frames, and each account's signing key (DID -> did:key) for verifying them."""
    refnet, xrpc = _harness()
    with refnet.LonePds() as pds:
        url = pds.info.pds
        accounts = [xrpc.create_account(url, f"fh{i}") for i in range(ACCOUNTS)]
        writer = _Writer(xrpc, accounts)
        for _ in range(commits):
            writer.step()
        keys = {a.did: _signing_key(pds.info.plc, a.did) for a in accounts}
        return _read_stream(url, timeout=120.0), keys


def keys_path(frames: Path) -> Path:
    return frames.with_suffix(".keys.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--commits", type=int, default=3000)
    args = parser.parse_args(argv)
    started = time.monotonic()
    frames, keys = capture(args.commits)
    write_frames(args.out, frames)
    keys_path(args.out).write_text(json.dumps(keys, indent=1), encoding="utf-8")
    size = sum(len(f) for f in frames)
    print(
        f"captured {len(frames)} frames ({size / 1e6:.1f} MB) in "
        f"{time.monotonic() - started:.0f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
