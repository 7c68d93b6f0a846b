"""One typed client for your own lexicons and the upstream ones: a generated package's client
extends the clients of the packages it references (the bundled atlex.lex by default)."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from _codegen_support import LEXICONS

import atlex.lex.client
from atlex_codegen.pipeline import generate, load_external
from atlex_codegen.write import write_files

OWN = LEXICONS / "own-app"


def _generate(tmp: Path, dirs: list[Path], package: str, bundled: bool = True) -> None:
    externals = [(load_external("atlex.lex"), "atlex.lex")] if bundled else []
    gen = generate(dirs, package, externals)
    assert not gen.problems
    write_files(gen.files, tmp, package)


@pytest.fixture(scope="module")
def composed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ModuleType]]:
    tmp = tmp_path_factory.mktemp("composed")
    _generate(tmp, [OWN], "myapp")
    records = tmp / "records-lex" / "com" / "example" / "feed"
    records.mkdir(parents=True)
    shutil.copy(OWN / "com/example/feed/thing.json", records)
    _generate(tmp, [tmp / "records-lex"], "myrecords")
    sys.path.insert(0, str(tmp))
    try:
        yield tmp, importlib.import_module("myapp.client")
    finally:
        sys.path.remove(str(tmp))
        for name in [m for m in sys.modules if m.split(".")[0] in ("myapp", "myrecords")]:
            del sys.modules[name]


def test_one_client_has_own_and_upstream_namespaces(composed: tuple[Path, ModuleType]) -> None:
    _, client_module = composed
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path.endswith("getThings"):
            return httpx.Response(200, json={"things": []})
        return httpx.Response(200, json={"feed": []})

    client = client_module.Client("https://pds.test", transport=httpx.MockTransport(handler))
    assert isinstance(client, atlex.lex.client.Client)
    assert client.com.example.feed.get_things(limit=3).things == []
    assert client.app.bsky.feed.get_timeline(limit=3).feed == []
    assert callable(client.com.atproto.repo.get_record)  # com is merged, not replaced
    assert seen == ["/xrpc/com.example.feed.getThings", "/xrpc/app.bsky.feed.getTimeline"]
    assert issubclass(client_module.AsyncClient, atlex.lex.client.AsyncClient)


def test_a_package_without_methods_keeps_its_client(composed: tuple[Path, ModuleType]) -> None:
    tmp, _ = composed
    assert (tmp / "myrecords" / "client.py").is_file()
    records_client = importlib.import_module("myrecords.client")
    assert issubclass(records_client.Client, atlex.lex.client.Client)
    assert issubclass(records_client.AsyncClient, atlex.lex.client.AsyncClient)


def test_without_the_bundled_set_a_method_less_package_still_has_a_client(tmp_path: Path) -> None:
    lex = tmp_path / "lex" / "com" / "example" / "feed"
    lex.mkdir(parents=True)
    shutil.copy(OWN / "com/example/feed/thing.json", lex)
    gen = generate([tmp_path / "lex"], "alone")  # no externals: thing's strongRef is unresolved
    assert "alone/client.py" in gen.files
    assert "class Client(_ns.Client):" in gen.files["alone/client.py"]


def test_composed_client_is_pyright_strict_clean_and_typed(
    composed: tuple[Path, ModuleType],
) -> None:
    tmp, _ = composed
    usage = tmp / "usage.py"
    usage.write_text(
        "from typing import assert_type\n\n"
        "from atlex.lex.app.bsky.feed import get_timeline\n"
        "from myapp.client import AsyncClient, Client\n"
        "from myapp.com.example.feed import get_things\n\n\n"
        "def sync(client: Client) -> None:\n"
        "    assert_type(client.com.example.feed.get_things(limit=1), get_things.Output)\n"
        "    assert_type(client.app.bsky.feed.get_timeline(limit=1), get_timeline.Output)\n"
        "    client.com.atproto.repo.get_record\n\n\n"
        "async def run(client: AsyncClient) -> None:\n"
        "    assert_type(await client.com.example.feed.get_things(), get_things.Output)\n"
        "    assert_type(await client.app.bsky.feed.get_timeline(), get_timeline.Output)\n"
    )
    (tmp / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.11"})
    )
    pyright = Path(sys.executable).with_name("pyright")
    proc = subprocess.run(
        [str(pyright), "--pythonpath", sys.executable, "--outputjson", "."],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(proc.stdout)
    errors = [
        f"{Path(d['file']).name}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert errors == []
