"""The bare data path against the reference PDS (issue 15): a record written by a raw
``createRecord`` with members no lexicon defines, read back with ``atlex.decode``, re-encoded
with ``atlex.encode``, has the very CID the PDS computed."""

from __future__ import annotations

import httpx
import pytest
from refnet import ReferenceNetwork
from refnet_xrpc import now

import atlex
from atlex.lex.app.bsky.feed import like, post
from atlex_codegen.lexicons.cid import cid_for_data

pytestmark = pytest.mark.network


def _stored(account_pds: str, uri: str) -> bytes:
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    response = httpx.get(
        f"{account_pds}/xrpc/com.atproto.repo.getRecord",
        params={"repo": repo, "collection": collection, "rkey": rkey},
    )
    response.raise_for_status()
    return response.content


def test_a_record_with_unknown_members_re_encodes_to_the_same_cid(
    network: ReferenceNetwork,
) -> None:
    account = network.create_account("lossless")
    target = account.create_record(
        "app.bsky.feed.post", {"$type": "app.bsky.feed.post", "text": "t", "createdAt": now()}
    )
    ref = {"uri": target["uri"], "cid": target["cid"]}
    record = {
        "$type": "app.bsky.feed.post",
        "text": "hello #tag",
        "createdAt": now(),
        "futureTop": {"nested": [1, "two", {"three": None}], "flag": False},
        "reply": {"root": ref, "parent": {"$type": "com.atproto.repo.strongRef", **ref}},
        "facets": [
            {
                "index": {"byteStart": 6, "byteEnd": 10, "futureIndex": 7},
                "features": [
                    {"$type": "app.bsky.richtext.facet#tag", "tag": "tag", "futureTag": "x"},
                    {"$type": "com.example.future#feature", "anything": [1]},
                ],
            }
        ],
        "embed": {"$type": "app.bsky.embed.record", "record": ref, "futureEmbed": 1},
        "langs": ["en"],
    }
    created = account.create_record("app.bsky.feed.post", record)
    body = _stored(account.pds, created["uri"])
    answer = atlex.decode(body, dict[str, object])  # any JSON: the getRecord envelope
    value_json = atlex.encode(answer["value"])
    typed = atlex.decode(value_json, post.Record)
    assert typed.text == "hello #tag"
    again = atlex.encode(typed)
    assert cid_for_data(atlex.decode(again, dict[str, object])) == created["cid"]

    # a like whose subject has no $type stays without one
    liked = account.create_record(
        "app.bsky.feed.like", {"$type": "app.bsky.feed.like", "subject": ref, "createdAt": now()}
    )
    stored_like = atlex.decode(_stored(account.pds, liked["uri"]), dict[str, object])["value"]
    typed_like = atlex.convert(stored_like, like.Record)
    assert cid_for_data(atlex.decode(atlex.encode(typed_like), dict[str, object])) == liked["cid"]
