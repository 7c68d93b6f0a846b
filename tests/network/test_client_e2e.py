"""The generated clients against the real reference services (issue 4's network acceptance).

Every test runs with ``Client`` and ``AsyncClient``: unauthenticated (a service URL), with an
access token (a minimal bearer agent written here, the seam any auth layer plugs into), and
through ``PasswordSession``.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from refnet import ReferenceNetwork
from refnet_xrpc import Account, now, solid_png

import atlex
from atlex._agent import XrpcRequest
from atlex.errors import XrpcAuthenticationError
from atlex.lex.app.bsky.actor import get_profile
from atlex.lex.app.bsky.feed import get_timeline, post
from atlex.lex.app.bsky.graph import follow
from atlex.lex.client import AsyncClient, Client
from atlex.lex.com.atproto.identity import resolve_handle
from atlex.lex.com.atproto.repo import (
    create_record,
    get_record,
    list_records,
    put_record,
    upload_blob,
)
from atlex.lex.com.atproto.server import describe_server, get_session

pytestmark = [pytest.mark.network, pytest.mark.anyio]

INDEXING_TIMEOUT = 30.0  # the AppView indexes within ~1 s; generous for a loaded machine


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class BearerAgent:
    """An agent that sends an account's access token to its PDS."""

    def __init__(self, account: Account) -> None:
        self._account = account
        self._http = httpx.Client(base_url=account.pds)

    @property
    def did(self) -> str | None:
        return self._account.did

    def send(self, request: XrpcRequest) -> httpx.Response:
        headers = [*request.headers, ("authorization", f"Bearer {self._account.access_jwt}")]
        built = self._http.build_request(
            request.method, request.path, headers=headers, content=request.content
        )
        return self._http.send(built, stream=request.stream)


class AsyncBearerAgent:
    def __init__(self, account: Account) -> None:
        self._account = account
        self._http = httpx.AsyncClient(base_url=account.pds)

    @property
    def did(self) -> str | None:
        return self._account.did

    async def send(self, request: XrpcRequest) -> httpx.Response:
        headers = [*request.headers, ("authorization", f"Bearer {self._account.access_jwt}")]
        built = self._http.build_request(
            request.method, request.path, headers=headers, content=request.content
        )
        return await self._http.send(built, stream=request.stream)


def anonymous(mode: str, network: ReferenceNetwork) -> Any:
    return Client(network.info.pds) if mode == "sync" else AsyncClient(network.info.pds)


def authed(mode: str, account: Account, **options: Any) -> Any:
    if mode == "sync":
        return Client(BearerAgent(account), **options)
    return AsyncClient(AsyncBearerAgent(account), **options)


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def poll(fetch: Callable[[], Any], until: Callable[[Any], bool], *, what: str) -> Any:
    """Call ``fetch`` until ``until(result)``: the AppView indexes asynchronously."""
    deadline = time.monotonic() + INDEXING_TIMEOUT
    while True:
        result = await run(fetch())
        if until(result):
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not seen within {INDEXING_TIMEOUT:.0f} s")
        await anyio.sleep(0.2)


async def test_describe_server_and_resolve_handle_unauthenticated(
    network: ReferenceNetwork, mode: str
) -> None:
    client = anonymous(mode, network)
    described = await run(client.com.atproto.server.describe_server())
    assert isinstance(described, describe_server.Output)
    assert described.did == network.info.pds_did
    assert network.info.handle_domain in described.available_user_domains

    alice = network.create_account("alice")
    resolved = await run(client.com.atproto.identity.resolve_handle(handle=alice.handle))
    assert isinstance(resolved, resolve_handle.Output)
    assert resolved.did == alice.did


async def test_unauthenticated_call_raises_an_authentication_error(
    network: ReferenceNetwork, mode: str
) -> None:
    with pytest.raises(XrpcAuthenticationError) as caught:
        await run(anonymous(mode, network).com.atproto.server.get_session())
    assert caught.value.status == 401
    assert caught.value.nsid == "com.atproto.server.getSession"


async def test_records_round_trip_with_an_access_token(
    network: ReferenceNetwork, mode: str
) -> None:
    bob = network.create_account("bob")
    repo = authed(mode, bob).com.atproto.repo
    record = post.Record(text=f"typed hello ({mode})", created_at=now())
    created = await run(
        repo.create_record(repo=bob.did, collection="app.bsky.feed.post", record=record)
    )
    assert isinstance(created, create_record.Output)
    assert created.uri.startswith(f"at://{bob.did}/app.bsky.feed.post/")
    rkey = created.uri.rsplit("/", 1)[1]

    fetched = await run(repo.get_record(repo=bob.did, collection="app.bsky.feed.post", rkey=rkey))
    assert isinstance(fetched, get_record.Output)
    assert (fetched.uri, fetched.cid) == (created.uri, created.cid)
    assert isinstance(fetched.value, post.Record)  # `unknown`: typed by its $type on read
    assert atlex.record_as(fetched.value, post.Record).text == record.text

    listed = await run(repo.list_records(repo=bob.did, collection="app.bsky.feed.post"))
    assert isinstance(listed, list_records.Output)
    assert [r.uri for r in listed.records] == [created.uri]


async def test_declared_errors_are_raised_as_their_generated_classes(
    network: ReferenceNetwork, mode: str
) -> None:
    carol = network.create_account("carol")
    repo = authed(mode, carol).com.atproto.repo
    with pytest.raises(get_record.RecordNotFoundError) as missing:
        await run(repo.get_record(repo=carol.did, collection="app.bsky.feed.post", rkey="nope"))
    assert missing.value.error == "RecordNotFound"
    assert missing.value.status == 400

    first = await run(
        repo.create_record(
            repo=carol.did,
            collection="app.bsky.feed.post",
            record=post.Record(text="v1", created_at=now()),
        )
    )
    rkey = first.uri.rsplit("/", 1)[1]
    stale = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
    with pytest.raises(put_record.InvalidSwapError) as swap:
        await run(
            repo.put_record(
                repo=carol.did,
                collection="app.bsky.feed.post",
                rkey=rkey,
                record=post.Record(text="v2", created_at=now()),
                swap_record=stale,
            )
        )
    assert swap.value.error == "InvalidSwap"


async def test_blob_upload_and_download_are_byte_identical(
    network: ReferenceNetwork, mode: str
) -> None:
    dave = network.create_account("dave")
    client = authed(mode, dave)
    png = solid_png(16, 9, (10, 120, 240))
    uploaded = await run(client.com.atproto.repo.upload_blob(png, content_type="image/png"))
    assert isinstance(uploaded, upload_blob.Output)
    assert uploaded.blob.mime_type == "image/png"
    assert uploaded.blob.size == len(png)
    # reference it so the PDS keeps it, then read it back without credentials
    image = {"image": uploaded.blob, "alt": "blue"}
    await run(
        client.com.atproto.repo.create_record(
            repo=dave.did,
            collection="app.bsky.feed.post",
            record={
                "$type": "app.bsky.feed.post",
                "text": "blob",
                "createdAt": now(),
                "embed": {"$type": "app.bsky.embed.images", "images": [image]},
            },
        )
    )
    data = await run(
        anonymous(mode, network).com.atproto.sync.get_blob(did=dave.did, cid=uploaded.blob.cid_str)
    )
    assert data == png


async def test_profile_and_timeline_through_the_appview(
    network: ReferenceNetwork, mode: str
) -> None:
    assert network.info.appview_did is not None
    erin = network.create_account("erin")
    frank = network.create_account("frank")
    appview = f"{network.info.appview_did}#bsky_appview"
    frank_client = authed(mode, frank, proxy=appview)
    await run(
        frank_client.com.atproto.repo.create_record(
            repo=frank.did,
            collection="app.bsky.graph.follow",
            record=follow.Record(subject=erin.did, created_at=now()),
        )
    )
    text = f"hello frank ({mode})"
    made = await run(
        authed(mode, erin).com.atproto.repo.create_record(
            repo=erin.did,
            collection="app.bsky.feed.post",
            record=post.Record(text=text, created_at=now()),
        )
    )

    profile = await poll(
        lambda: frank_client.app.bsky.actor.get_profile(actor=erin.did),
        lambda p: p.handle == erin.handle,
        what=f"{erin.handle}'s profile",
    )
    assert isinstance(profile, get_profile.Output)
    assert profile.did == erin.did

    timeline = await poll(
        lambda: frank_client.app.bsky.feed.get_timeline(limit=10),
        lambda t: any(item.post.uri == made.uri for item in t.feed),
        what=f"{erin.handle}'s post in {frank.handle}'s timeline",
    )
    assert isinstance(timeline, get_timeline.Output)
    item = next(item for item in timeline.feed if item.post.uri == made.uri)
    assert item.post.cid == made.cid
    assert item.post.author.did == erin.did
    assert atlex.record_as(item.post.record, post.Record).text == text


async def test_password_session_is_an_agent(network: ReferenceNetwork, mode: str) -> None:
    from atlex.session import AsyncPasswordSession, PasswordSession

    gina = network.create_account("gina")
    if mode == "sync":
        with PasswordSession.login(
            service=network.info.pds, identifier=gina.handle, password=gina.password
        ) as session:
            me = Client(session).com.atproto.server.get_session()
    else:
        async with await AsyncPasswordSession.login(
            service=network.info.pds, identifier=gina.handle, password=gina.password
        ) as asession:
            me = await AsyncClient(asession).com.atproto.server.get_session()
    assert isinstance(me, get_session.Output)
    assert (me.did, me.handle) == (gina.did, gina.handle)
