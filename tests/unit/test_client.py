"""The client shells: construction, agent seam, lazy namespaces, import cost, sync/async parity."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from _fake_lex import get_timeline
from _fake_lex.client import AsyncClient, Client
from _fake_lex.harness import json_response

from atlex import _ns
from atlex._agent import XrpcRequest
from atlex.errors import XrpcFetchError, XrpcInternalError

pytestmark = pytest.mark.anyio

UNIT_DIR = Path(__file__).resolve().parent
SRC_DIR = UNIT_DIR.parents[1] / "src"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class RecordingAgent:
    """A minimal third-party agent: owns the origin and the Authorization header."""

    def __init__(self) -> None:
        self.requests: list[XrpcRequest] = []

    @property
    def did(self) -> str | None:
        return "did:plc:alice"

    def send(self, request: XrpcRequest) -> httpx.Response:
        self.requests.append(request)
        return json_response({"feed": []})


class AsyncRecordingAgent(RecordingAgent):
    async def send(self, request: XrpcRequest) -> httpx.Response:  # type: ignore[override]
        return RecordingAgent.send(self, request)


async def test_any_agent_receives_a_relative_request() -> None:
    agent = RecordingAgent()
    client = Client(agent, proxy="did:web:api.test#svc")
    out = client.test.feed.get_timeline(limit=2)
    assert isinstance(out, get_timeline.Output)
    (request,) = agent.requests
    assert request.method == "GET"
    assert request.path == "/xrpc/test.feed.getTimeline?limit=2"
    assert ("atproto-proxy", "did:web:api.test#svc") in request.headers
    assert request.replayable and request.content is None
    assert client.did == client.assert_did == "did:plc:alice"


async def test_async_agent() -> None:
    agent = AsyncRecordingAgent()
    client = AsyncClient(agent)
    out = await client.test.feed.get_timeline()
    assert isinstance(out, get_timeline.Output)
    assert agent.requests[0].path == "/xrpc/test.feed.getTimeline?limit=50"
    assert client.agent is agent


def test_service_url_gives_an_unauthenticated_agent() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response({"feed": []})

    client = Client("https://pds.test/", transport=httpx.MockTransport(handle))
    assert client.did is None
    with pytest.raises(RuntimeError, match="not authenticated"):
        _ = client.assert_did
    client.test.feed.get_timeline()
    assert str(seen[0].url) == "https://pds.test/xrpc/test.feed.getTimeline?limit=50"
    assert "authorization" not in seen[0].headers


@pytest.mark.parametrize("url", ["pds.test", "ftp://pds.test", "https://", "https://h/?q=1"])
def test_bad_service_urls_are_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="service URL"):
        Client(url)
    with pytest.raises(ValueError, match="service URL"):
        AsyncClient(url)


def test_wrong_agent_kinds_are_rejected() -> None:
    with pytest.raises(TypeError, match="AsyncClient"):
        Client(AsyncRecordingAgent())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="AsyncAgent"):
        AsyncClient(RecordingAgent())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Client(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="transport"):
        Client(RecordingAgent(), transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    with pytest.raises(ValueError, match="timeout"):
        Client("https://x.test", timeout=0)


def test_child_namespaces_are_cached_per_client() -> None:
    client = Client(RecordingAgent())
    assert client.test is client.test
    assert client.test.feed is client.test.feed
    assert Client(RecordingAgent()).test is not client.test


async def test_context_managers_close_owned_connections() -> None:
    transport = httpx.MockTransport(lambda _r: json_response({"feed": []}))
    with Client("https://x.test", transport=transport) as client:
        client.test.feed.get_timeline()
        http = cast(httpx.Client, client.agent.http)  # type: ignore[attr-defined]
    assert http.is_closed
    with pytest.raises(XrpcInternalError, match="closed"):
        client.test.feed.get_timeline()
    async with AsyncClient("https://x.test", transport=transport) as aclient:
        await aclient.test.feed.get_timeline()
        ahttp = cast(httpx.AsyncClient, aclient.agent.http)  # type: ignore[attr-defined]
    assert ahttp.is_closed
    with pytest.raises(XrpcInternalError, match="closed"):
        await aclient.test.feed.get_timeline()


def test_constructing_a_client_defers_the_http_client() -> None:
    client = Client("https://x.test")
    assert client.agent._http is None  # type: ignore[attr-defined]
    client.close()  # closing an unused client is fine


def _public(cls: type) -> dict[str, object]:
    names = {n for n in dir(cls) if not n.startswith("_")}
    return {n: inspect.getattr_static(cls, n) for n in names}


def _shape(member: Any) -> object:
    if isinstance(member, property):
        return "property"
    if isinstance(member, classmethod):
        member = cast(Any, member).__func__
    if callable(member):
        sig = inspect.signature(member)
        return [(p.name, p.kind, p.default) for p in sig.parameters.values()]
    return type(cast(object, member)).__name__


_AWAITED = {"call", "create", "get", "put", "delete", "list", "apply_writes", "upload_blob"}
_AWAITED |= {"post", "like", "unlike", "repost", "unrepost", "follow", "unfollow", "block"}
_AWAITED |= {"unblock", "delete_post"}  # the everyday actions (atlex._actions_async)
_ASYNC_ITERATORS = {"list_all"}


def test_clients_expose_the_same_public_api() -> None:
    renamed = {"close": "aclose"}
    sync_api = _public(_ns.Client)
    async_api = _public(_ns.AsyncClient)
    assert {renamed.get(n, n) for n in sync_api} == set(async_api)
    for name, member in sync_api.items():
        twin = async_api[renamed.get(name, name)]
        assert _shape(member) == _shape(twin), name
        if inspect.isfunction(member) and name not in renamed:
            assert inspect.iscoroutinefunction(twin) == (name in _AWAITED), name
            assert inspect.isasyncgenfunction(twin) == (name in _ASYNC_ITERATORS), name
    assert _shape(_ns.Client.__init__) == _shape(_ns.AsyncClient.__init__)


def test_namespaces_expose_the_same_call_hooks() -> None:
    for name in ("_call", "_child"):
        sync_hook = getattr(_ns.SyncNamespace, name)
        async_hook = getattr(_ns.AsyncNamespace, name)
        assert _shape(sync_hook) == _shape(async_hook)
    assert inspect.iscoroutinefunction(_ns.AsyncNamespace._call)  # pyright: ignore[reportPrivateUsage]


def _modules_after(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC_DIR), str(UNIT_DIR)])}
    script = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    return set(out.stdout.split())


def test_constructing_a_client_imports_no_generated_module() -> None:
    loaded = _modules_after("import atlex, atlex._ns\natlex._ns.Client('https://x.test')")
    assert not {m for m in loaded if m.startswith("atlex.lex")}
    assert "atlex._tolerant" not in loaded
    assert not {m for m in loaded if m.startswith("atlex_codegen")}


def test_namespaces_and_type_modules_load_on_first_use() -> None:
    loaded = _modules_after("from _fake_lex.client import Client\nClient('https://x.test')")
    assert "_fake_lex.ns" not in loaded
    loaded = _modules_after(
        "from _fake_lex.client import Client\nClient('https://x.test').test.feed"
    )
    assert "_fake_lex.ns" in loaded
    assert "_fake_lex.get_timeline" not in loaded


class EndedSession(RecordingAgent):
    """Like a logged-out PasswordSession: ``did`` raises, ``send`` raises an internal error."""

    @property
    def did(self) -> str | None:
        raise XrpcInternalError("Logged out")

    def send(self, request: XrpcRequest) -> httpx.Response:
        raise XrpcInternalError("Logged out")


def test_an_ended_session_is_still_an_agent_and_its_error_surfaces() -> None:
    client = Client(EndedSession())  # constructing must not read ``did``
    with pytest.raises(XrpcInternalError, match="Logged out"):
        _ = client.did
    with pytest.raises(XrpcInternalError, match="Logged out") as info:
        client.test.feed.get_timeline()
    assert not isinstance(info.value, XrpcFetchError)


def test_stream_asks_the_agent_for_an_unread_response() -> None:
    agent = RecordingAgent()
    with Client(agent).stream("x.example.get", {"n": 1}) as response:
        assert response.status_code == 200
    (request,) = agent.requests
    assert request.stream is True
    assert request.path == "/xrpc/x.example.get?n=1"
    assert Client(agent).call("x.example.get") == {"feed": []}
    assert agent.requests[-1].stream is False


def test_request_repr_hides_headers_and_body() -> None:
    request = XrpcRequest("POST", "/xrpc/a.b.c", [("authorization", "Bearer s3cret")], b"pw")
    assert "s3cret" not in repr(request) and "pw" not in repr(request)
