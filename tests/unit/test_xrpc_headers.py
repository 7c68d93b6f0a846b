"""Request headers: atproto-proxy, atproto-accept-labelers, accept, extra headers, timeout."""

from __future__ import annotations

import httpx
import pytest
from _fake_lex.harness import Harness, json_response, run

from atlex import CallOptions

pytestmark = pytest.mark.anyio

APPVIEW = "did:web:api.bsky.app#bsky_appview"
OTHER = "did:web:other.test#svc"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def net(request: pytest.FixtureRequest) -> Harness:
    h = Harness(request.param)
    h.handler = lambda _req: json_response({"feed": []})
    return h


async def timeline(net: Harness, options: CallOptions | None = None, **client: object) -> None:
    await run(net.client(**client).test.feed.get_timeline(options=options))


def sent(net: Harness, name: str) -> str | None:
    return net.requests[-1].headers.get(name)


async def test_client_proxy_sets_atproto_proxy(net: Harness) -> None:
    await timeline(net, proxy=APPVIEW)
    assert sent(net, "atproto-proxy") == APPVIEW


async def test_per_call_proxy_overrides_and_none_removes(net: Harness) -> None:
    await timeline(net, CallOptions(proxy=OTHER), proxy=APPVIEW)
    assert sent(net, "atproto-proxy") == OTHER
    await timeline(net, CallOptions(proxy=None), proxy=APPVIEW)
    assert sent(net, "atproto-proxy") is None


async def test_valid_proxy_header_on_the_call_becomes_the_service(net: Harness) -> None:
    await timeline(net, CallOptions(headers={"atproto-proxy": OTHER}), proxy=APPVIEW)
    assert sent(net, "atproto-proxy") == OTHER


async def test_invalid_proxy_header_on_the_call_is_replaced_by_the_default(net: Harness) -> None:
    await timeline(net, CallOptions(headers={"atproto-proxy": "nonsense"}), proxy=APPVIEW)
    assert sent(net, "atproto-proxy") == APPVIEW
    await timeline(net, CallOptions(headers={"atproto-proxy": "nonsense"}))
    assert sent(net, "atproto-proxy") is None


async def test_valid_proxy_in_client_headers_is_the_default_service(net: Harness) -> None:
    client = net.client(headers={"Atproto-Proxy": APPVIEW})
    assert client.proxy == APPVIEW
    await run(client.test.feed.get_timeline())
    assert sent(net, "atproto-proxy") == APPVIEW


def test_invalid_proxy_values_are_rejected_at_construction() -> None:
    with pytest.raises(ValueError, match="proxy"):
        CallOptions(proxy="did:web:x")  # no #service fragment
    with pytest.raises(ValueError, match="proxy"):
        Harness("sync").client(proxy="did:web:x#a")  # fragment shorter than 2


async def test_no_labelers_means_no_header(net: Harness) -> None:
    await timeline(net)
    assert sent(net, "atproto-accept-labelers") is None


async def test_labelers_merge_in_upstream_order(net: Harness) -> None:
    options = CallOptions(headers={"atproto-accept-labelers": "did:plc:h1, did:plc:c1,  "})
    await timeline(
        net, options, labelers=["did:plc:c1", "did:plc:c2"], app_labelers=["did:plc:app"]
    )
    assert sent(net, "atproto-accept-labelers") == (
        "did:plc:app;redact, did:plc:c1, did:plc:c2, did:plc:h1"
    )


async def test_per_call_labelers_replace_the_client_ones(net: Harness) -> None:
    await timeline(net, CallOptions(labelers=["did:plc:x"]), labelers=["did:plc:c1"])
    assert sent(net, "atproto-accept-labelers") == "did:plc:x"


async def test_labelers_none_drops_header_labelers_but_keeps_app_labelers(net: Harness) -> None:
    options = CallOptions(labelers=None, headers={"atproto-accept-labelers": "did:plc:h"})
    await timeline(net, options, labelers=["did:plc:c"], app_labelers=["did:plc:app"])
    assert sent(net, "atproto-accept-labelers") == "did:plc:app;redact"
    await timeline(net, options, labelers=["did:plc:c"])
    assert sent(net, "atproto-accept-labelers") is None


async def test_client_labeler_management(net: Harness) -> None:
    client = net.client(labelers=["did:plc:a"])
    client.add_labelers(["did:plc:b", "did:plc:a"])
    assert client.labelers == ("did:plc:a", "did:plc:b")
    await run(client.test.feed.get_timeline())
    assert sent(net, "atproto-accept-labelers") == "did:plc:a, did:plc:b"
    client.clear_labelers()
    await run(client.test.feed.get_timeline())
    assert sent(net, "atproto-accept-labelers") is None
    with pytest.raises(ValueError, match="labeler"):
        client.set_labelers(["not-a-did"])


def test_class_wide_app_labelers() -> None:
    from _fake_lex.client import Client

    try:
        Client.configure(app_labelers=["did:plc:mod"])
        assert Client("https://x.test")._settings.app_labelers == ("did:plc:mod",)  # pyright: ignore[reportPrivateUsage]
        assert Client("https://x.test", app_labelers=None)._settings.app_labelers == ()  # pyright: ignore[reportPrivateUsage]
    finally:
        Client.configure(app_labelers=())


async def test_accept_follows_the_declared_output_encoding(net: Harness) -> None:
    net.handler = lambda _req: httpx.Response(
        200, content=b"raw", headers={"content-type": "image/png"}
    )
    await run(net.client(headers={"accept": "text/html"}).test.misc.get_blob(did="d", cid="c"))
    assert sent(net, "accept") == "*/*"


async def test_accept_json_for_json_outputs(net: Harness) -> None:
    await timeline(net)
    assert sent(net, "accept") == "application/json"


async def test_extra_headers_merge_and_the_call_wins(net: Harness) -> None:
    await timeline(
        net, CallOptions(headers={"X-Trace": "call", "X-Call": "1"}), headers={"x-trace": "client"}
    )
    assert sent(net, "x-trace") == "call"
    assert sent(net, "x-call") == "1"
    assert (sent(net, "user-agent") or "").startswith("atlex/")


async def test_timeout_per_call_then_client(net: Harness) -> None:
    await timeline(net, CallOptions(timeout=3.5), timeout=9.0)
    assert net.requests[-1].extensions["timeout"]["read"] == 3.5
    await timeline(net, timeout=9.0)
    assert net.requests[-1].extensions["timeout"]["read"] == 9.0
