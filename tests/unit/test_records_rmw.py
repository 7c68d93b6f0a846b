"""Lossless read-modify-write: members the local lexicons do not define survive get -> change ->
put (and applyWrites updates) at every depth, while what the user changes, clears or replaces is
written as the user left it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from _records_pds import DID, FakePds, cid_for, client_for, run

from atlex import UNSET, now
from atlex.errors import LexValidationError
from atlex.lex.app.bsky.embed import images
from atlex.lex.app.bsky.feed import post
from atlex.records import Update, record_json

pytestmark = pytest.mark.anyio

POST = "app.bsky.feed.post"
RKEY = "3kzq2nqbbnk2a"
BLOB_1 = {
    "$type": "blob",
    "ref": {"$link": cid_for(b"1", 0x55)},
    "mimeType": "image/png",
    "size": 1,
}
BLOB_2 = {
    "$type": "blob",
    "ref": {"$link": cid_for(b"2", 0x55)},
    "mimeType": "image/jpeg",
    "size": 2,
}
REF = {"uri": f"at://{DID}/{POST}/3kzq2nqbbnk2b", "cid": cid_for(b"parent")}

# A post written by a newer app: "future*" members are not in our lexicons, at every depth.
STORED: dict[str, Any] = {
    "$type": POST,
    "text": "original",
    "createdAt": "2024-05-01T12:00:00.000Z",
    "langs": ["en"],
    "futureTop": {"nested": [1, {"deep": True}]},
    "embed": {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "image": BLOB_1,
                "alt": "one",
                "futureImage": "x",
                "aspectRatio": {"width": 1, "height": 2, "futureRatio": True},
            },
            {"image": BLOB_2, "alt": "two", "futureImage": "y"},
        ],
        "futureEmbed": 42,
    },
    "reply": {
        "root": {**REF, "futureRef": 1},
        "parent": REF,
        "futureReply": "z",
    },
    "facets": [
        {
            "index": {"byteStart": 0, "byteEnd": 4, "futureIndex": 1},
            "features": [
                {"$type": "app.bsky.richtext.facet#tag", "tag": "orig", "futureFeature": 1},
                {"$type": "com.example.feature#new", "payload": {"a": [1, 2]}},
            ],
        }
    ],
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pds() -> FakePds:
    pds = FakePds()
    pds.store(POST, RKEY, copy.deepcopy(STORED))
    return pds


async def _get(client: Any) -> Any:
    return await run(client.get(post.Record, rkey=RKEY))


def _expected(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(STORED)
    out.update(changes)
    return out


async def test_an_unchanged_record_writes_back_exactly_as_stored(mode: str, pds: FakePds) -> None:
    got = await _get(client_for(mode, pds))
    assert record_json(got) == STORED
    # the typed view really does not know the future members
    assert not hasattr(got.value, "future_top")


async def test_changing_a_field_keeps_unknown_members_at_every_depth(
    mode: str, pds: FakePds
) -> None:
    client = client_for(mode, pds)
    got = await _get(client)
    got.value.text = "edited"
    await run(client.put(got))
    assert pds.value(POST, RKEY) == _expected(text="edited")
    assert got.raw == STORED  # the read is not modified by the write


async def test_nested_changes_in_place_keep_that_objects_unknown_members(
    mode: str, pds: FakePds
) -> None:
    client = client_for(mode, pds)
    got = await _get(client)
    embed = got.value.embed
    assert isinstance(embed, images.Main)
    embed.images[0].alt = "ONE"
    embed.images.reverse()  # unknown members follow their objects, not positions
    await run(client.put(got))
    stored = pds.value(POST, RKEY)
    first, second = stored["embed"]["images"]
    assert first == STORED["embed"]["images"][1]
    assert second == {**STORED["embed"]["images"][0], "alt": "ONE"}
    assert stored["embed"]["futureEmbed"] == 42
    assert stored["reply"]["root"]["futureRef"] == 1


async def test_a_replaced_object_is_written_as_built(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    got = await _get(client)
    embed = got.value.embed
    assert isinstance(embed, images.Main)
    old = embed.images[1]
    embed.images[1] = images.Image(image=old.image, alt="fresh")
    await run(client.put(got))
    image = pds.value(POST, RKEY)["embed"]["images"][1]
    assert image == {"image": BLOB_2, "alt": "fresh"}  # no "futureImage" leaked from the old one
    assert pds.value(POST, RKEY)["embed"]["images"][0]["futureImage"] == "x"


async def test_cleared_and_added_fields_are_written_as_set(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    got = await _get(client)
    got.value.langs = UNSET
    got.value.reply = UNSET
    got.value.tags = ["new"]
    await run(client.put(got))
    stored = pds.value(POST, RKEY)
    expected = _expected(tags=["new"])
    del expected["langs"], expected["reply"]
    assert stored == expected


async def test_unknown_union_members_are_written_back_whole(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    got = await _get(client)
    features = got.value.facets[0].features
    assert features[1] == STORED["facets"][0]["features"][1]  # kept as a dict
    features[0].tag = "changed"
    await run(client.put(got))
    stored_features = pds.value(POST, RKEY)["facets"][0]["features"]
    assert stored_features[0] == {**STORED["facets"][0]["features"][0], "tag": "changed"}
    assert stored_features[1] == STORED["facets"][0]["features"][1]


async def test_replacing_the_whole_value_keeps_the_records_own_unknown_members(
    mode: str, pds: FakePds
) -> None:
    client = client_for(mode, pds)
    got = await _get(client)
    got.value = post.Record(text="rebuilt", created_at=now())
    await run(client.put(got))
    stored = pds.value(POST, RKEY)
    assert stored["text"] == "rebuilt"
    assert stored["futureTop"] == STORED["futureTop"]  # a member of the record itself
    assert "embed" not in stored and "langs" not in stored


async def test_a_bare_value_keeps_what_it_was_read_with(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    got = await _get(client)
    got.value.text = "bare"
    await run(client.put(got.value, rkey=RKEY))  # the value itself carries its unknown members
    stored = pds.value(POST, RKEY)
    assert stored["text"] == "bare"
    assert stored["futureTop"] == STORED["futureTop"]
    rebuilt = post.Record(text="new", created_at=now())  # a new value carries nothing
    await run(client.put(rebuilt, rkey=RKEY))
    assert "futureTop" not in pds.value(POST, RKEY)


async def test_apply_writes_update_is_lossless_too(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    got = await _get(client)
    got.value.text = "batched"
    await run(client.apply_writes([Update(got)]))
    assert pds.value(POST, RKEY) == _expected(text="batched")
    assert pds.bodies[-1]["writes"][0]["rkey"] == RKEY


async def test_listed_records_write_back_losslessly(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    pds.store(POST, "3kzq2nqbbnk2c", {"$type": POST, "text": "no date"})
    page = await run(client.list(post.Record))
    good = next(item for item in page.records if item.rkey == RKEY)
    bad = next(item for item in page.records if not item.valid)
    good.value.text = "from the list"
    await run(client.put(good))
    assert pds.value(POST, RKEY) == _expected(text="from the list")
    with pytest.raises(LexValidationError, match="cannot write back the invalid record"):
        await run(client.put(bad))


async def test_validate_request_checks_the_changed_record(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds, validate_request=True)
    got = await _get(client)
    got.value.text = "x" * 301
    with pytest.raises(LexValidationError, match="300 graphemes") as caught:
        await run(client.put(got))
    assert caught.value.path == "$.record.text"


async def test_a_read_result_is_written_back_where_it_was_read(mode: str, pds: FakePds) -> None:
    other = "did:plc:bob"
    pds.store(POST, RKEY, copy.deepcopy(STORED), repo=other)
    client = client_for(mode, pds)
    got = await run(client.get(post.Record, rkey=RKEY, repo=other))
    assert got.repo == other
    got.value.text = "bob's, edited"
    await run(client.put(got))
    assert pds.bodies[-1]["repo"] == other
    assert pds.value(POST, RKEY, repo=other) == _expected(text="bob's, edited")
    assert pds.value(POST, RKEY) == STORED  # the own copy is untouched
