"""The generated subscription stubs (``client.com.atproto.sync.subscribe_repos(...)`` and any
lexicon's ``subscription``) against a scripted websocket server on 127.0.0.1: they open the
runtime's streams on the client's service, pass params and settings through, and a user
lexicon's stream keeps unknown frames as data and raises its declared errors."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import subprocess
import sys
import typing
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from _stream_frames import error_frame, frame, identity_frame
from _stream_server import Script, scripted_server

from atlex import AsyncClient, Client
from atlex._stream_settings import StreamSettings
from atlex.lex.com.atproto.label import subscribe_labels
from atlex.lex.com.atproto.sync import subscribe_repos as repos_lex
from atlex.session import PasswordSession, SessionData
from atlex.streams import AsyncStream, Stream, StreamConnectionError, StreamOptions
from atlex.streams._open import service_of
from atlex_codegen.pipeline import generate
from atlex_codegen.write import write_files

FAST: Any = {"backoff_initial": 0.01, "backoff_max": 0.05}
REPOS_PATH = "/xrpc/com.atproto.sync.subscribeRepos"


def _take(stream: Stream[Any], count: int) -> list[Any]:
    out: list[Any] = []
    with stream:
        for message in stream:
            out.append(message)
            if len(out) == count:
                break
    return out


async def _atake(stream: AsyncStream[Any], count: int) -> list[Any]:
    out: list[Any] = []
    async with stream:
        async for message in stream:
            out.append(message)
            if len(out) == count:
                break
    return out


def test_sync_stub_streams_from_the_client_service_with_the_cursor() -> None:
    script = Script([[("send", identity_frame(6)), ("send", identity_frame(7))]])
    with scripted_server(script) as url:
        stream = Client(url).com.atproto.sync.subscribe_repos(cursor=5, **FAST)
        assert isinstance(stream, Stream)
        got = _take(stream, 2)
    assert [type(m) for m in got] == [repos_lex.Identity, repos_lex.Identity]
    assert [m.seq for m in got] == [6, 7]
    assert script.paths == [REPOS_PATH + "?cursor=5"]


def test_async_stub_is_an_async_iterator_not_a_coroutine() -> None:
    script = Script([[("send", identity_frame(1)), ("close", 1011)], [("send", identity_frame(2))]])

    async def run(url: str) -> list[Any]:
        async with AsyncClient(url) as client:
            stream = client.com.atproto.sync.subscribe_repos(**FAST)
            assert isinstance(stream, AsyncStream)
            return await _atake(stream, 2)

    with scripted_server(script) as url:
        got = asyncio.run(run(url))
    assert [m.seq for m in got] == [1, 2]  # reconnected from the cursor seen
    assert script.paths == [REPOS_PATH, REPOS_PATH + "?cursor=1"]


def test_settings_reach_the_stream() -> None:
    script = Script([[("send", identity_frame(3)), ("close", 1011)]])
    with scripted_server(script) as url:
        stream = Client("http://127.0.0.1:9").com.atproto.sync.subscribe_repos(
            service=url, reconnect=False, max_queue=3, options=StreamOptions(idle_timeout=9.0)
        )
        assert (stream.core.options.max_queue, stream.core.options.idle_timeout) == (3, 9.0)
        with stream, pytest.raises(StreamConnectionError) as caught:
            for _ in stream:
                pass
    assert caught.value.cursor == 3
    assert script.paths == [REPOS_PATH]  # service= wins over the client's URL


def test_labels_stub() -> None:
    labels = frame(
        "#labels",
        {"seq": 4, "labels": [{"src": "did:plc:lab", "uri": "at://did:plc:x", "val": "spam",
                               "cts": "2026-01-01T00:00:00.000Z"}]},
    )  # fmt: skip
    script = Script([[("send", labels)]])
    with scripted_server(script) as url:
        (got,) = _take(Client(url).com.atproto.label.subscribe_labels(cursor=2, **FAST), 1)
    assert isinstance(got, subscribe_labels.Labels)
    assert got.labels[0].val == "spam"
    assert script.paths == ["/xrpc/com.atproto.label.subscribeLabels?cursor=2"]


def test_the_service_is_the_logged_in_pds() -> None:
    doc = {
        "id": "did:plc:x",
        "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                     "serviceEndpoint": "https://pds.test"}],
    }  # fmt: skip
    data = SessionData(
        access_jwt="a", refresh_jwt="r", handle="h.test", did="did:plc:x",
        service="https://entryway.test", did_doc=doc,
    )  # fmt: skip
    assert service_of(PasswordSession(data)) == "https://pds.test"
    assert service_of(PasswordSession(dataclasses.replace(data, did_doc=None))) == (
        "https://entryway.test"
    )
    oauth_like = SimpleNamespace(session=SimpleNamespace(pds="https://oauth-pds.test"))
    assert service_of(oauth_like) == "https://oauth-pds.test"
    with pytest.raises(TypeError, match="pass service="):
        service_of(object())


def test_settings_cover_every_stream_option() -> None:
    fields = {f.name for f in dataclasses.fields(StreamOptions)}
    assert set(StreamSettings.__annotations__) == fields | {"service", "options"}


# --- a user's own lexicon ---------------------------------------------------------------------

OWN_LEXICON = {
    "lexicon": 1,
    "id": "com.example.feed.subscribeThings",
    "defs": {
        "main": {
            "type": "subscription",
            "parameters": {
                "type": "params",
                "properties": {"cursor": {"type": "integer"}, "kind": {"type": "string"}},
            },
            "message": {"schema": {"type": "union", "refs": ["#thing"]}},
            "errors": [{"name": "Broken"}],
        },
        "thing": {
            "type": "object",
            "required": ["seq", "name"],
            "properties": {"seq": {"type": "integer"}, "name": {"type": "string"}},
        },
    },
}


@pytest.fixture(scope="module")
def own_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("own_lex")
    source = root / "lexicons" / "subscribeThings.json"
    source.parent.mkdir()
    source.write_text(json.dumps(OWN_LEXICON))
    package = "own_stream_lex"
    write_files(generate([source.parent], package).files, root / "out", package)
    sys.path.insert(0, str(root / "out"))
    try:
        yield package
    finally:
        sys.path.remove(str(root / "out"))
        for name in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[name]


def _import(name: str) -> ModuleType:
    return importlib.import_module(name)


def test_a_user_lexicon_subscription_gets_a_typed_stub(own_package: str) -> None:
    lex = _import(f"{own_package}.com.example.feed.subscribe_things")
    client_cls: Any = _import(f"{own_package}.client").Client
    script = Script(
        [[
            ("send", frame("#thing", {"seq": 1, "name": "a"})),
            ("send", frame("#later", {"seq": 2, "shiny": True})),  # not in the local lexicon
            ("send", error_frame("Broken", "it broke")),
        ]]
    )  # fmt: skip
    with scripted_server(script) as url:
        stream = client_cls(url).com.example.feed.subscribe_things(cursor=0, kind="x", **FAST)
        got: list[Any] = []
        with stream, pytest.raises(lex.BrokenError) as caught:
            for message in stream:
                got.append(message)
    assert isinstance(got[0], lex.Thing) and got[0].name == "a"
    assert got[1] == {"seq": 2, "shiny": True, "$type": "com.example.feed.subscribeThings#later"}
    assert caught.value.message == "it broke"
    assert stream.cursor == 2
    assert script.paths == ["/xrpc/com.example.feed.subscribeThings?kind=x&cursor=0"]


def test_the_stub_module_is_importable_without_the_stream_runtime() -> None:
    # the namespace module names the stream types in annotations only: loading it (with every
    # other call of the namespace) must not load websockets or the stream code
    code = (
        "import sys; import atlex.lex._ns.com.atproto.sync as ns; "
        "print('websockets' in sys.modules, 'atlex.streams' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_stub_annotations_resolve_at_run_time() -> None:
    from atlex.lex._ns.com.atproto.sync import ComAtprotoSync

    hints = typing.get_type_hints(ComAtprotoSync.subscribe_repos)
    assert hints["return"].__origin__ is Stream
