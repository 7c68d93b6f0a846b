"""The README's Python examples, run in order against the local network (one namespace)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dns_test_server import TxtServer
from refnet import ReferenceNetwork

README = Path(__file__).resolve().parents[2] / "README.md"

pytestmark = pytest.mark.network


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples() -> None:
    assert len(_python_blocks()) >= 5


def test_readme_examples_run(
    network: ReferenceNetwork, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    account = network.create_account("readme")
    assert network.info.appview_did
    monkeypatch.setenv("ATLEX_SERVICE", network.info.pds)
    monkeypatch.setenv("ATLEX_HANDLE", account.handle)
    monkeypatch.setenv("ATLEX_PASSWORD", account.password)
    monkeypatch.setenv("ATLEX_APPVIEW", f"{network.info.appview_did}#bsky_appview")
    # the identity example resolves the handle: by DNS on 127.0.0.1, the DID at the local PLC
    dns = TxtServer()
    dns.records[f"_atproto.{account.handle}"] = [f"did={account.did}"]
    monkeypatch.setenv("ATLEX_DNS_SERVER", dns.address)
    monkeypatch.setenv("ATLEX_PLC_URL", network.info.plc)
    namespace: dict[str, object] = {"__name__": "readme"}
    with dns:
        for i, block in enumerate(_python_blocks()):
            try:
                exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
            except Exception as e:  # name the block that failed
                raise AssertionError(f"README python block {i + 1} failed: {e!r}\n{block}") from e
    out = capsys.readouterr().out
    assert account.handle in out
    assert "no such post: RecordNotFound" in out
    assert f"{account.did} {account.handle} " in out  # the identity example
    assert " create at://" in out and "hello from atlex" in out  # the firehose example
    assert re.search(r"^first commit seq: \d+$", out, flags=re.M)  # its async twin
    assert account.password not in out
