"""The local reference network itself: loopback-only, local identity, posts reach timelines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from refnet import LonePds, ReferenceNetwork
from refnet_procs import listening_sockets
from refnet_xrpc import Account, XrpcCallError, call, now, poll, solid_png, upload_blob

pytestmark = pytest.mark.network

INDEXING_TIMEOUT = 30.0  # the AppView indexes within ~1 s; generous for a loaded CI machine


def _port(url: str | None) -> int:
    assert url is not None
    return int(url.rsplit(":", 1)[1])


def test_every_server_socket_is_bound_to_loopback_only(network: ReferenceNetwork) -> None:
    sockets = listening_sockets(network.pids)
    ports = {sock.port for sock in sockets}
    info = network.info
    # the main services are all there, so the inspection looked at the right processes
    expected = {_port(info.plc), _port(info.pds), _port(info.appview)}
    expected |= {network.ports["postgres"], network.ports["redis"]}
    assert expected <= ports
    # what Node says it listens on is exactly what the kernel shows for the Node process
    node_sockets = {(s.host, s.port) for s in sockets if s.pid == info.pid}
    assert node_sockets == set(info.listeners)
    not_loopback = [sock for sock in sockets if sock.host != "127.0.0.1"]
    assert not_loopback == []


def test_post_comes_back_through_a_followers_timeline(network: ReferenceNetwork) -> None:
    alice = network.create_account("alice")
    bob = network.create_account("bob")
    bob.create_record(
        "app.bsky.graph.follow",
        {"$type": "app.bsky.graph.follow", "subject": alice.did, "createdAt": now()},
    )
    text = f"hello from {alice.handle}"
    post = alice.create_record(
        "app.bsky.feed.post", {"$type": "app.bsky.feed.post", "text": text, "createdAt": now()}
    )

    timeline = poll(
        lambda: bob.call("app.bsky.feed.getTimeline", params={"limit": 10}),
        lambda result: any(item["post"]["uri"] == post["uri"] for item in result["feed"]),
        timeout=INDEXING_TIMEOUT,
        what=f"{alice.handle}'s post in {bob.handle}'s timeline",
    )
    item = next(item for item in timeline["feed"] if item["post"]["uri"] == post["uri"])
    assert item["post"]["cid"] == post["cid"]
    assert item["post"]["record"]["text"] == text
    assert item["post"]["author"]["did"] == alice.did
    assert item["post"]["author"]["handle"] == alice.handle
    assert item["post"]["author"]["viewer"]["following"].startswith(
        f"at://{bob.did}/app.bsky.graph.follow/"
    )


def test_image_post_carries_its_blob_to_the_timeline(network: ReferenceNetwork) -> None:
    carol = network.create_account("carol")
    png = solid_png(32, 24, (200, 40, 90))
    blob = upload_blob(carol.pds, png, "image/png", carol.access_jwt)
    assert blob["mimeType"] == "image/png"
    assert blob["size"] == len(png)
    image = {"image": blob, "alt": "a red rectangle", "aspectRatio": {"width": 32, "height": 24}}
    post = carol.create_record(
        "app.bsky.feed.post",
        {
            "$type": "app.bsky.feed.post",
            "text": "with a picture",
            "createdAt": now(),
            "embed": {"$type": "app.bsky.embed.images", "images": [image]},
        },
    )

    def author_feed() -> list[dict[str, Any]]:
        return carol.call("app.bsky.feed.getAuthorFeed", params={"actor": carol.did})["feed"]

    feed = poll(
        author_feed,
        lambda items: any(item["post"]["uri"] == post["uri"] for item in items),
        timeout=INDEXING_TIMEOUT,
        what=f"{carol.handle}'s image post in her author feed",
    )
    embed: dict[str, Any] = feed[0]["post"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images#view"
    assert embed["images"][0]["alt"] == "a red rectangle"
    assert blob["ref"]["$link"] in embed["images"][0]["thumb"]
    # the PDS serves the very bytes back
    stored = call(carol.pds, "com.atproto.sync.listBlobs", params={"did": carol.did})
    assert blob["ref"]["$link"] in stored["cids"]


def test_identity_resolution_stays_local(network: ReferenceNetwork) -> None:
    dave = network.create_account("dave")
    resolved = call(
        network.info.pds, "com.atproto.identity.resolveHandle", params={"handle": dave.handle}
    )
    assert resolved == {"did": dave.did}
    # a handle outside the local domain would need DNS: it is reported unresolvable instead
    with pytest.raises(XrpcCallError) as caught:
        call(
            network.info.pds, "com.atproto.identity.resolveHandle", params={"handle": "example.com"}
        )
    assert caught.value.status == 400
    assert network.run_dir is not None
    node_log = Path(network.run_dir, "node.log").read_text(errors="replace")
    assert "[atlex network guard] refused" not in node_log
    assert network.info.refused_outbound == 0


def test_short_token_pds_expires_access_tokens(short_token_pds: LonePds) -> None:
    info = short_token_pds.info
    assert info.access_ttl_seconds <= 5
    erin = short_token_pds.create_account("erin")
    assert call(erin.pds, "com.atproto.server.getSession", token=erin.access_jwt)["did"] == erin.did

    def session_status() -> int:
        try:
            call(erin.pds, "com.atproto.server.getSession", token=erin.access_jwt)
        except XrpcCallError as exc:
            assert exc.body == {"error": "ExpiredToken", "message": "Token has expired"}
            return exc.status
        return 200

    assert (
        poll(
            session_status,
            lambda status: status != 200,
            timeout=60,
            what="access token expiry",
            interval=0.25,
        )
        == 400
    )
    refreshed = call(
        erin.pds, "com.atproto.server.refreshSession", token=erin.refresh_jwt, procedure=True
    )
    assert (
        call(erin.pds, "com.atproto.server.getSession", token=refreshed["accessJwt"])["handle"]
        == erin.handle
    )


def test_short_token_pds_reaches_the_appview(
    short_token_pds: LonePds, network: ReferenceNetwork
) -> None:
    assert short_token_pds.info.appview == network.info.appview
    frank: Account = short_token_pds.create_account("frank")
    prefs = frank.call("app.bsky.actor.getPreferences")
    assert prefs == {"preferences": []}
    timeline = frank.call("app.bsky.feed.getTimeline")
    assert timeline["feed"] == []
