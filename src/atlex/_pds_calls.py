"""Plans for the PDS calls the everyday helpers make beyond the record helpers'."""

from __future__ import annotations

from typing import Any

from atlex._method import Method
from atlex._records import Plan

__all__ = ["resolve_handle_plan"]

RESOLVE_HANDLE = Method(
    nsid="com.atproto.identity.resolveHandle",
    kind="query",
    module="atlex.lex.com.atproto.identity.resolve_handle",
    params=True,
    output="json",
    output_schema=True,
    output_encoding="application/json",
)


def _did_of(output: Any) -> str:
    return str(output.did)


def resolve_handle_plan(handle: str) -> Plan[str]:
    """``com.atproto.identity.resolveHandle``: the handle's DID."""
    return Plan(RESOLVE_HANDLE, {"handle": handle}, None, _did_of)
