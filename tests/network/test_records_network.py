"""Record helpers against the real reference PDS (issue 6's network acceptance), with
``Client`` over ``PasswordSession`` and ``AsyncClient`` over ``AsyncPasswordSession``:
an image post round trip, list / list_all over more than 100 records, a lossless profile
read-modify-write, apply_writes, and swap conflicts."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from refnet import ReferenceNetwork
from refnet_xrpc import Account, now, solid_png

from atlex import Blob, LexValidationError, UnsetType
from atlex.lex.app.bsky.actor import profile
from atlex.lex.app.bsky.embed import defs, images
from atlex.lex.app.bsky.feed import post
from atlex.lex.client import AsyncClient, Client
from atlex.lex.com.atproto.repo import (
    apply_writes,
    create_record,
    delete_record,
    get_record,
    put_record,
    strong_ref,
)
from atlex.records import Create, Delete, ListedRecord, RecordResult, Update
from atlex.session import AsyncPasswordSession, PasswordSession

pytestmark = [pytest.mark.network, pytest.mark.anyio]

POST = "app.bsky.feed.post"
PROFILE = "app.bsky.actor.profile"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def collect(iterable: Any) -> list[Any]:
    if hasattr(iterable, "__aiter__"):
        return [item async for item in iterable]
    return list(iterable)


@pytest.fixture
async def signed_in(network: ReferenceNetwork, mode: str) -> AsyncIterator[Any]:
    """A factory: ``await signed_in("name")`` -> (client logged in with a password, account)."""
    async with AsyncExitStack() as stack:

        async def make(name: str, **options: Any) -> tuple[Any, Account]:
            account = network.create_account(name)
            service, handle, password = account.pds, account.handle, account.password
            if mode == "sync":
                session = PasswordSession.login(
                    service=service, identifier=handle, password=password
                )
                stack.callback(session.close)
                return Client(session, **options), account
            asession = await AsyncPasswordSession.login(
                service=service, identifier=handle, password=password
            )
            stack.push_async_callback(asession.aclose)
            return AsyncClient(asession, **options), account

        yield make


async def test_image_post_round_trip_typed(signed_in: Any) -> None:
    client, account = await signed_in("imgpost", validate_request=True, validate_response=True)
    png = solid_png(12, 7, (200, 40, 90))
    blob = await run(client.upload_blob(png, "image/png"))
    assert isinstance(blob, Blob)
    assert (blob.mime_type, blob.size, blob.is_legacy) == ("image/png", len(png), False)

    ratio = defs.AspectRatio(width=12, height=7)
    embed = images.Main(
        images=[images.Image(image=blob, alt="a pink rectangle", aspect_ratio=ratio)]
    )
    record = post.Record(text="a picture", created_at=now(), embed=embed, langs=["en"])
    created = await run(client.create(record))
    assert isinstance(created, create_record.Output)
    assert created.uri.startswith(f"at://{account.did}/{POST}/")
    assert created.validation_status == "valid"  # the PDS knows the lexicon and checked it

    rkey = created.uri.rsplit("/", 1)[1]
    got: RecordResult[post.Record] = await run(client.get(post.Record, rkey=rkey))
    assert isinstance(got, RecordResult)
    assert (got.uri, got.cid) == (created.uri, created.cid)
    value = got.value
    assert isinstance(value, post.Record)
    assert value.text == "a picture" and value.langs == ["en"]
    assert isinstance(value.embed, images.Main)
    stored = value.embed.images[0]
    assert stored.alt == "a pink rectangle"
    assert stored.aspect_ratio == ratio
    assert stored.image.cid_str == blob.cid_str
    assert (stored.image.mime_type, stored.image.size) == ("image/png", len(png))
    downloaded = await run(client.com.atproto.sync.get_blob(did=account.did, cid=blob.cid_str))
    assert downloaded == png

    deleted = await run(client.delete(post.Record, rkey=rkey))
    assert isinstance(deleted, delete_record.Output)
    with pytest.raises(get_record.RecordNotFoundError):
        await run(client.get(post.Record, rkey=rkey))


async def test_list_and_list_all_across_more_than_100_records(signed_in: Any) -> None:
    client, _ = await signed_in("lister")
    texts = [f"post {i:03d}" for i in range(130)]
    out = await run(
        client.apply_writes([Create(post.Record(text=t, created_at=now())) for t in texts])
    )
    assert isinstance(out, apply_writes.Output) and isinstance(out.results, list)
    created = [r.uri for r in out.results if isinstance(r, apply_writes.CreateResult)]
    assert len(created) == 130
    # one record the PDS stores without checking it (validate=False): it lacks createdAt
    broken = await run(
        client.call(
            "com.atproto.repo.createRecord",
            input={
                "repo": client.did,
                "collection": POST,
                "validate": False,
                "record": {"$type": POST, "text": "no date"},
            },
        )
    )

    first = await run(client.list(post.Record, limit=50))
    assert len(first.records) == 50 and first.cursor is not None
    second = await run(client.list(post.Record, limit=50, cursor=first.cursor))
    assert not {r.uri for r in first.records} & {r.uri for r in second.records}

    items: list[ListedRecord[post.Record]] = await collect(client.list_all(post.Record))
    assert len(items) == 131
    assert len({item.uri for item in items}) == 131
    valid = [item for item in items if item.valid]
    assert {item.uri for item in valid} == set(created)
    assert sorted(item.value.text for item in valid if item.value is not None) == texts
    (invalid,) = [item for item in items if not item.valid]
    assert invalid.uri == broken["uri"]
    assert invalid.value is None and invalid.raw == {"$type": POST, "text": "no date"}
    assert isinstance(invalid.error, LexValidationError)
    assert "createdAt" in str(invalid.error)

    oldest: list[ListedRecord[post.Record]] = await collect(
        client.list_all(post.Record, limit=40, reverse=True)
    )
    assert [i.uri for i in oldest] == [i.uri for i in items][::-1]


async def test_profile_put_after_read_keeps_fields_our_lexicons_do_not_define(
    signed_in: Any,
) -> None:
    client, account = await signed_in("profiler")
    pinned = await run(client.create(post.Record(text="pin me", created_at=now())))
    # a newer app wrote the profile: members our lexicons do not define, top level and nested
    written = {
        "$type": PROFILE,
        "displayName": "Before",
        "description": "kept as is",
        "pinnedPost": {"uri": pinned.uri, "cid": pinned.cid, "futureNested": {"n": 1}},
        "futureField": {"colour": "teal", "tags": ["a", "b"]},
        "futureFlag": True,
    }
    await run(
        client.call(
            "com.atproto.repo.createRecord",
            input={"repo": account.did, "collection": PROFILE, "rkey": "self", "record": written},
        )
    )

    got = await run(client.get(profile.Record))  # literal:self: no rkey needed
    assert got.uri == f"at://{account.did}/{PROFILE}/self"
    assert got.value.display_name == "Before"
    assert isinstance(got.value.pinned_post, strong_ref.Main)
    assert not hasattr(got.value, "future_field")
    got.value.display_name = "After"
    got.value.pinned_post.uri = pinned.uri  # touched in place: its unknown member stays
    out = await run(client.put(got, swap_record=got.cid))
    assert isinstance(out, put_record.Output)

    raw = await run(
        client.call(
            "com.atproto.repo.getRecord",
            {"repo": account.did, "collection": PROFILE, "rkey": "self"},
        )
    )
    assert raw["value"] == {**written, "displayName": "After"}
    assert raw["cid"] == out.cid


async def test_apply_writes_create_update_delete(signed_in: Any) -> None:
    client, account = await signed_in("writer")
    first = await run(client.create(post.Record(text="to update", created_at=now())))
    second = await run(client.create(post.Record(text="to delete", created_at=now())))
    got = await run(client.get(post.Record, rkey=first.uri.rsplit("/", 1)[1]))
    got.value.text = "updated"
    out: apply_writes.Output = await run(
        client.apply_writes(
            [
                Create(post.Record(text="created in a batch", created_at=now())),
                Update(got),
                Delete(post.Record, rkey=second.uri.rsplit("/", 1)[1]),
                Create(profile.Record(display_name="Batch")),
            ],
            validate=True,
        )
    )
    assert isinstance(out.results, list)
    made, updated, removed, prof = out.results
    assert isinstance(made, apply_writes.CreateResult)
    assert isinstance(updated, apply_writes.UpdateResult) and updated.uri == first.uri
    assert isinstance(removed, apply_writes.DeleteResult)
    assert isinstance(prof, apply_writes.CreateResult)
    assert prof.uri == f"at://{account.did}/{PROFILE}/self"

    texts = {i.value.text for i in await collect(client.list_all(post.Record)) if i.valid}
    assert texts == {"updated", "created in a batch"}
    assert (await run(client.get(profile.Record))).value.display_name == "Batch"


async def test_swap_conflicts_raise_invalid_swap(signed_in: Any) -> None:
    client, _ = await signed_in("swapper")
    made = await run(client.create(post.Record(text="v1", created_at=now())))
    rkey = made.uri.rsplit("/", 1)[1]
    got = await run(client.get(post.Record, rkey=rkey))
    got.value.text = "v2"
    await run(client.put(got, swap_record=got.cid))  # matches: accepted
    got.value.text = "v3"
    with pytest.raises(put_record.InvalidSwapError) as stale_put:
        await run(client.put(got, swap_record=got.cid))  # the record moved on to v2
    assert stale_put.value.error == "InvalidSwap" and stale_put.value.status == 400

    assert not isinstance(made.commit, UnsetType)
    old_commit = made.commit.cid  # the repo has moved past this commit
    with pytest.raises(create_record.InvalidSwapError):
        await run(client.create(post.Record(text="late", created_at=now()), swap_commit=old_commit))
    with pytest.raises(apply_writes.InvalidSwapError):
        await run(client.apply_writes([Delete(post.Record, rkey=rkey)], swap_commit=old_commit))
    with pytest.raises(delete_record.InvalidSwapError):
        await run(client.delete(post.Record, rkey=rkey, swap_record=got.cid))
    still = await run(client.get(post.Record, rkey=rkey))
    assert still.value.text == "v2"
