"""`make demo`: atlex against a private AT Protocol network on this machine.

Starts the reference PLC, PDS and AppView on 127.0.0.1, creates two accounts, has one follow the
other, posts a picture, reads the follower's timeline, prints it, and stops everything again.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "network"))

from calls import Social, TimelineEntry, connect
from refnet import NetworkError, ReferenceNetwork
from refnet_procs import group_members
from refnet_xrpc import Account, poll, solid_png

IMAGE_SIZE = (64, 48)
INDEXING_TIMEOUT = 30.0


def say(text: str = "") -> None:
    print(text, flush=True)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"


def show(entry: TimelineEntry) -> None:
    name = f"{entry.author_name} " if entry.author_name else ""
    say(f"  ┌ {name}@{entry.author_handle} · {entry.indexed_at}")
    for line in entry.text.splitlines() or [""]:
        say(f"  │ {line}")
    for alt in entry.image_alts:
        say(f"  │ [image: {alt}]")
    counts = (
        plural(entry.replies, "reply").replace("replys", "replies"),
        plural(entry.reposts, "repost"),
    )
    say(f"  └ {counts[0]} · {counts[1]} · {plural(entry.likes, 'like')}")


def story(network: ReferenceNetwork) -> None:
    info = network.info
    say(f"  PDS {info.pds}  ·  AppView {info.appview}  ·  PLC {info.plc}")
    say()
    alice_account: Account = network.create_account("alice")
    bob_account: Account = network.create_account("bob")
    say(f"created @{alice_account.handle}  ({alice_account.did})")
    say(f"created @{bob_account.handle}  ({bob_account.did})")

    alice: Social = connect(info.pds, alice_account.handle, alice_account.password)
    bob: Social = connect(info.pds, bob_account.handle, bob_account.password)
    try:
        say(f"logged both in; calls go through {alice.via}")
        alice.set_profile("Alice", "Trying out atlex on a local network")
        bob.follow(alice_account.did)
        say(f"@{bob_account.handle} follows @{alice_account.handle}")

        png = solid_png(*IMAGE_SIZE, (30, 120, 220))
        text = "Hello from atlex! This post carries a picture uploaded as a blob."
        uri = alice.post_with_image(text, png, "a blue rectangle", IMAGE_SIZE)
        say(
            f"@{alice_account.handle} posted with a {IMAGE_SIZE[0]}x{IMAGE_SIZE[1]} PNG ({len(png)} bytes): {uri}"
        )

        started = time.monotonic()
        timeline = poll(
            lambda: bob.timeline(limit=10),
            lambda entries: any(entry.uri == uri for entry in entries),
            timeout=INDEXING_TIMEOUT,
            what=f"the post in @{bob_account.handle}'s timeline",
        )
        say(f"the AppView indexed it in {time.monotonic() - started:.1f} s")
        say()
        say(f"@{bob_account.handle}'s timeline:")
        for entry in timeline:
            show(entry)
        say()
        for summary in (bob.profile(alice_account.did), bob.profile(bob_account.did)):
            name = f"{summary.display_name} " if summary.display_name else ""
            say(
                f"profile {name}@{summary.handle}: {plural(summary.followers, 'follower')}, "
                f"{summary.follows} following, {plural(summary.posts, 'post')}"
            )
    finally:
        alice.close()
        bob.close()


def main() -> int:
    say("atlex demo: a private AT Protocol network (PLC, PDS, AppView) on 127.0.0.1")
    say("starting the reference services (the first start on a machine takes longest)...")
    network = ReferenceNetwork()
    try:
        info = network.start()
    except NetworkError as exc:
        say(f"could not start the network: {exc}")
        return 1
    pgids = list(network.started_pgids)
    try:
        say(
            f"network ready in {info.startup_ms / 1000:.1f} s; it uses {network.rss_bytes() / 2**20:.0f} MiB of memory"
        )
        story(network)
    except Exception as exc:  # the demo's whole point is to show what happened
        say(f"demo failed: {type(exc).__name__}: {exc}")
        network.check_alive()
        return 1
    finally:
        network.stop_and_report()
    left = group_members(pgids)
    say()
    say("network stopped; nothing left running" if not left else f"still running: {left}")
    return 0 if not left else 1


if __name__ == "__main__":
    sys.exit(main())
