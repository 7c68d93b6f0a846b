"""Helpers for atlex.identity unit tests: a fake web, DID documents, sync/async twins.

``world`` is a dict of ``url -> (status, content type, body)`` served by an ``httpx.MockTransport``
(unknown URLs: a connection error, as for a host that does not exist) and records every request;
``dns`` answers TXT questions on 127.0.0.1. ``twin`` builds an ``IdentityResolver`` or an
``AsyncIdentityResolver`` (driven through an anyio blocking portal) over both, so each test runs
against the two shells of the one core.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

PLC = "https://plc.test"
ALICE_DID = "did:plc:alice" + "a" * 19
BOB_DID = "did:plc:bob" + "b" * 21
P256_KEY = "zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo"
K256_KEY = "zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc"


def did_doc(
    did: str,
    handle: str | None = None,
    *,
    pds: str | None = "https://pds.example.com",
    key: str | None = K256_KEY,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "alsoKnownAs": [f"at://{handle}"] if handle else [],
        "verificationMethod": [],
        "service": [],
    }
    if key is not None:
        document["verificationMethod"].append(
            {
                "id": f"{did}#atproto",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key,
            }
        )
    if pds is not None:
        document["service"].append(
            {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds}
        )
    return document


@dataclass
class World:
    pages: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    hang: set[str] = field(default_factory=set)

    def document(self, did: str, document: dict[str, Any], *, base: str = PLC) -> None:
        url = f"{base}/{did}" if did.startswith("did:plc:") else base
        self.pages[url] = (200, "application/json", json.dumps(document).encode())

    def well_known(
        self, handle: str, body: str, *, status: int = 200, ctype: str = "text/plain"
    ) -> None:
        self.pages[f"https://{handle}/.well-known/atproto-did"] = (status, ctype, body.encode())

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.requests.append(url)
        if url in self.hang:
            raise httpx.ReadTimeout("timed out", request=request)
        page = self.pages.get(url)
        if page is None:
            raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)
        status, ctype, body = page
        return httpx.Response(status, headers={"content-type": ctype}, content=body)


class Twin:
    """One resolver (sync or async) with blocking methods, for tests that run on both."""

    def __init__(self, kind: str, resolver: Any, portal: Any) -> None:
        self.kind = kind
        self.resolver = resolver
        self._portal = portal

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.resolver, name)
        if self._portal is None or name == "purge":
            return method
        return lambda *args, **kwargs: self._portal.call(lambda: method(*args, **kwargs))

    def settle(self) -> None:
        """Wait for background revalidations to finish."""
        if self._portal is None:
            import threading

            for thread in threading.enumerate():
                if thread.name.startswith("atlex-identity"):
                    thread.join(5)
        else:

            async def wait() -> None:
                for task in list(self.resolver._tasks):  # pyright: ignore[reportPrivateUsage]
                    await task

            self._portal.call(wait)


MakeTwin = Callable[..., Twin]
