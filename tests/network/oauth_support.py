"""Shared by the OAuth network tests: a resolver for the local network and a sign-in helper."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from oauth_browser import query_of, sign_in_and_consent

from atlex.oauth import OAuthClient, OAuthSession, Resolved
from atlex.session import extract_pds_endpoint


class LocalResolver:
    """Handle → DID through the PDS that hosts it, DID → PDS through the local PLC.

    Stands in for ``atlex.identity`` whose real handle resolution (DNS / HTTPS on the handle's
    domain) cannot reach ``*.test`` handles on this machine.
    """

    def __init__(self, pds: str, plc: str) -> None:
        self.pds, self.plc = pds, plc
        self.calls = 0

    def resolve(self, identifier: str) -> Resolved:
        self.calls += 1
        did = identifier
        if not identifier.startswith("did:"):
            answer = httpx.get(
                f"{self.pds}/xrpc/com.atproto.identity.resolveHandle",
                params={"handle": identifier},
            )
            answer.raise_for_status()
            did = str(answer.json()["did"])
        document: Mapping[str, Any] = httpx.get(f"{self.plc}/{did}").raise_for_status().json()
        pds = extract_pds_endpoint(document)
        assert pds is not None, f"{did} has no PDS"
        return Resolved(did=did, pds=pds)


class AsyncLocalResolver:
    def __init__(self, pds: str, plc: str) -> None:
        self._sync = LocalResolver(pds, plc)

    async def resolve(self, identifier: str) -> Resolved:
        return self._sync.resolve(identifier)


def sign_in(client: OAuthClient, handle: str, password: str, **authorize: Any) -> OAuthSession:
    """authorize → the provider's sign-in and consent → callback."""
    url = client.authorize(handle, **authorize)
    redirect = sign_in_and_consent(url, handle, password)
    return client.callback(query_of(redirect))
