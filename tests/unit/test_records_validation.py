"""``validate_request`` (params, inputs and the records inside them, before anything is sent) and
``validate_response`` (outputs, opt-in) on both clients."""

from __future__ import annotations

from typing import Any

import pytest
from _records_pds import DID, FakePds, cid_for, client_for, run

from atlex import grapheme_len, now, utf8_len
from atlex.errors import LexValidationError, XrpcResponseValidationError
from atlex.lex.app.bsky.feed import post
from atlex.lex.com.atproto.repo import get_record, list_records
from atlex.records import Create

pytestmark = pytest.mark.anyio

POST = "app.bsky.feed.post"
# 300 extended grapheme clusters in 2,500 UTF-8 bytes: combining sequences (5 bytes each) and
# emoji ZWJ sequences
_FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 1 grapheme, 25 bytes
LONG_300 = ("e\u0301\u0323" * 5 + _FAMILY) * 50


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pds() -> FakePds:
    return FakePds()


def test_the_long_text_is_what_the_tests_claim() -> None:
    assert grapheme_len(LONG_300) == 300
    assert utf8_len(LONG_300) == 2500
    assert len(LONG_300) > 300


async def test_a_300_grapheme_post_is_accepted_and_301_rejected(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds, validate_request=True)
    await run(client.create(post.Record(text=LONG_300, created_at=now())))
    assert len(pds.requests) == 1
    with pytest.raises(LexValidationError, match="300 graphemes") as caught:
        await run(client.create(post.Record(text=LONG_300 + "e\u0301", created_at=now())))
    assert caught.value.path == "$.record.text"
    assert len(pds.requests) == 1


async def test_without_validate_request_the_server_decides(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds)
    assert client.validate_request is False
    await run(client.create(post.Record(text="x" * 301, created_at="yesterday")))
    assert len(pds.requests) == 1


async def test_records_in_apply_writes_are_checked_with_their_path(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds, validate_request=True)
    bad = post.Record(text="hi", created_at=now(), langs=["en", "not a language!"])
    with pytest.raises(LexValidationError, match="invalid language") as caught:
        await run(
            client.apply_writes([Create(post.Record(text="ok", created_at=now())), Create(bad)])
        )
    assert caught.value.path == "$.writes[1].value.langs[1]"
    assert pds.requests == []


async def test_generated_stub_inputs_are_checked(mode: str, pds: FakePds) -> None:
    client = client_for(mode, pds, validate_request=True)
    repo = client.com.atproto.repo
    with pytest.raises(LexValidationError, match="invalid at-identifier") as bad_repo:
        await run(repo.create_record(repo="not a repo", collection=POST, record={"$type": POST}))
    assert bad_repo.value.path == "$.repo"
    assert "com.atproto.repo.createRecord" in str(bad_repo.value)
    typed = post.Record(text="y" * 3001, created_at=now())
    with pytest.raises(LexValidationError, match="3000 bytes") as inside:
        await run(repo.create_record(repo=DID, collection=POST, record=typed))
    assert inside.value.path == "$.record.text"
    with pytest.raises(LexValidationError, match="invalid cid") as swap:
        await run(
            repo.delete_record(repo=DID, collection=POST, rkey="3kzq2nqbbnk2a", swap_record="x")
        )
    assert swap.value.path == "$.swapRecord"
    assert pds.requests == []


async def test_params_are_checked_against_their_constraints(mode: str, pds: FakePds) -> None:
    strict = client_for(mode, pds, validate_request=True)
    with pytest.raises(LexValidationError, match="maximum 100") as caught:
        await run(strict.com.atproto.repo.list_records(repo=DID, collection=POST, limit=1000))
    assert caught.value.path == "$.limit"
    with pytest.raises(LexValidationError, match="invalid nsid") as collection:
        await run(strict.com.atproto.repo.list_records(repo=DID, collection="no"))
    assert collection.value.path == "$.collection"
    assert pds.requests == []
    out = await run(strict.com.atproto.repo.list_records(repo=DID, collection=POST, limit=100))
    assert isinstance(out, list_records.Output)
    assert len(pds.requests) == 1


async def test_helpers_reject_out_of_range_limits_when_validating(mode: str, pds: FakePds) -> None:
    strict = client_for(mode, pds, validate_request=True)
    with pytest.raises(LexValidationError) as caught:
        await run(strict.list(post.Record, limit=0))
    assert caught.value.path == "$.limit"
    assert pds.requests == []
    lenient = client_for(mode, pds)
    out = await run(lenient.com.atproto.repo.list_records(repo=DID, collection=POST, limit=1000))
    assert isinstance(out, list_records.Output)  # the fake server does not mind


async def test_response_validation_is_opt_in(
    mode: str, pds: FakePds, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    def broken(params: dict[str, str]) -> httpx.Response:
        value = {"$type": POST, "text": "hi", "createdAt": now()}
        return httpx.Response(
            200, json={"uri": "not an at-uri", "cid": cid_for(b"x"), "value": value}
        )

    monkeypatch.setattr(pds, "q_getRecord", broken)
    args: dict[str, Any] = {"repo": DID, "collection": POST, "rkey": "3kzq2nqbbnk2a"}
    lenient = client_for(mode, pds)
    assert lenient.validate_response is False
    out = await run(lenient.com.atproto.repo.get_record(**args))
    assert isinstance(out, get_record.Output) and out.uri == "not an at-uri"
    strict = client_for(mode, pds, validate_response=True)
    with pytest.raises(XrpcResponseValidationError, match="invalid at-uri") as caught:
        await run(strict.com.atproto.repo.get_record(**args))
    assert caught.value.nsid == "com.atproto.repo.getRecord"
    assert isinstance(caught.value.__cause__, LexValidationError)
    assert caught.value.__cause__.path == "$.uri"
