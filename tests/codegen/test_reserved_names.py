"""The generator's list of client attributes (names a root namespace must not take) matches the
runtime clients, without the generator importing them."""

from __future__ import annotations

from atlex import _ns
from atlex_codegen.naming import CLIENT_ATTRIBUTES


def _public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def test_client_attributes_cover_both_clients() -> None:
    actual = _public(_ns.Client) | _public(_ns.AsyncClient)
    missing = sorted(actual - CLIENT_ATTRIBUTES)
    assert not missing, f"add {missing} to atlex_codegen.naming.CLIENT_ATTRIBUTES"
    stale = sorted(CLIENT_ATTRIBUTES - actual)
    assert not stale, f"remove {stale} from atlex_codegen.naming.CLIENT_ATTRIBUTES"
