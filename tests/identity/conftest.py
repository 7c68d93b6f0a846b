"""Fixtures for atlex.identity unit tests (helpers in identity_support.py).

``world`` serves a fake web (``World``), ``dns`` answers TXT questions on 127.0.0.1, and ``twin``
builds an ``IdentityResolver`` or an ``AsyncIdentityResolver`` (driven through an anyio blocking
portal) over both, so each test runs against the two shells of the one core.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio.from_thread
import httpx
import pytest
from dns_test_server import TxtServer
from identity_support import PLC, MakeTwin, Twin, World

from atlex.identity import AsyncIdentityResolver, IdentityResolver, ResolverOptions


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture(scope="session")
def dns() -> Iterator[TxtServer]:
    with TxtServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _clean_dns(dns: TxtServer) -> None:
    dns.records.clear()
    dns.queries.clear()


@pytest.fixture(params=["sync", "async"])
def twin(request: pytest.FixtureRequest, world: World, dns: TxtServer) -> Iterator[MakeTwin]:
    made: list[Twin] = []
    with anyio.from_thread.start_blocking_portal() as portal:

        def make(clock: Callable[[], float] | None = None, **options: Any) -> Twin:
            options.setdefault("plc_url", PLC)
            options.setdefault("nameservers", (dns.address,))
            options.setdefault("timeout", 2.0)
            opts = ResolverOptions(**options)
            extra: dict[str, Any] = {} if clock is None else {"clock": clock}
            transport = httpx.MockTransport(world.handler)
            if request.param == "sync":
                resolver: Any = IdentityResolver(
                    opts, http=httpx.Client(transport=transport), **extra
                )
                twin = Twin("sync", resolver, None)
            else:
                http = httpx.AsyncClient(transport=transport)
                resolver = AsyncIdentityResolver(opts, http=http, **extra)
                twin = Twin("async", resolver, portal)
            made.append(twin)
            return twin

        yield make
        for twin in made:
            if twin.kind == "async":
                portal.call(twin.resolver.aclose)
            else:
                twin.resolver.close()
