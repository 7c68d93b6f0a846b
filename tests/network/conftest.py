"""Fixtures for tests against the real reference services (see refnet.py).

* ``network``          session-scoped ``ReferenceNetwork``: PLC + PDS + AppView on 127.0.0.1.
                       ``network.info`` holds the URLs; ``network.create_account("alice")`` an account.
* ``short_token_pds``  session-scoped ``LonePds`` whose access tokens expire after
                       ``SHORT_ACCESS_TTL``; it shares the network's PLC and AppView (its
                       ``app.bsky.*`` calls are proxied there, but the AppView indexes only the
                       main PDS, so posts made here do not show up in timelines).

Accounts: ``network.create_account(name)`` / ``short_token_pds.create_account(name)`` return a
``refnet_xrpc.Account`` (handle, did, email, password, access_jwt, refresh_jwt, pds URL), made
with a raw ``com.atproto.server.createAccount``; on the main network it is already indexed by
the AppView when returned. ``info.jwt_secret`` lets a test forge tokens.

Both start on first use and stop at the end of the session, leaving no process behind. A service
that dies mid-run fails the running test with a message naming it, instead of odd socket errors.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from refnet import LonePds, ReferenceNetwork

SHORT_ACCESS_TTL = "3s"


@pytest.fixture(scope="session")
def network() -> Iterator[ReferenceNetwork]:
    with ReferenceNetwork() as running:
        yield running


@pytest.fixture(scope="session")
def short_token_pds(network: ReferenceNetwork) -> Iterator[LonePds]:
    info = network.info
    with LonePds(
        access_ttl=SHORT_ACCESS_TTL,
        plc_url=info.plc,
        appview_url=info.appview,
        appview_did=info.appview_did,
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def _services_stay_alive(request: pytest.FixtureRequest) -> Iterator[None]:
    """Before and after each test that uses them, check that the services still run."""
    used = [
        request.getfixturevalue(name)
        for name in ("network", "short_token_pds")
        if name in request.fixturenames
    ]
    for controller in used:
        controller.check_alive()
    yield
    for controller in used:
        controller.check_alive()
