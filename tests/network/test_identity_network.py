"""atlex.identity against the real reference services: the PDS's well-known, the local PLC, a DNS
server and a did:web host on 127.0.0.1 (issue 11 acceptance). Nothing leaves loopback: the web
transport (``HostRoutes``) only routes the names a test gives it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dns_test_server import TxtServer
from loopback_web import HostRoutes, WebServer
from plc_ops import PlcIdentity, did_key, new_key
from refnet import ReferenceNetwork

from atlex._agent import XrpcRequest
from atlex.errors import (
    DidDeactivatedError,
    DidNotFoundError,
    HandleAmbiguousError,
    HandleNotFoundError,
    InvalidIdentifierError,
    MissingPdsError,
)
from atlex.identity import (
    INVALID_HANDLE,
    AsyncIdentityResolver,
    IdentityResolver,
    ResolverOptions,
    parse_did_key,
)
from atlex.session import AsyncPasswordSession, PasswordSession, extract_pds_endpoint

pytestmark = pytest.mark.network


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def dns() -> Iterator[TxtServer]:
    with TxtServer() as server:
        yield server


@pytest.fixture(scope="module")
def web() -> Iterator[WebServer]:
    with WebServer() as server:
        yield server


@pytest.fixture
def routes() -> HostRoutes:
    return HostRoutes()


@pytest.fixture
def resolver(
    network: ReferenceNetwork, dns: TxtServer, routes: HostRoutes
) -> Iterator[IdentityResolver]:
    options = ResolverOptions(
        plc_url=network.info.plc,
        nameservers=(dns.address,),
        timeout=5,
        allow_insecure_loopback=True,
    )
    with IdentityResolver(options, http=httpx.Client(transport=routes)) as made:
        yield made


def _web_did(web: WebServer) -> str:
    return f"did:web:127.0.0.1%3A{web.port}"


def _serve_document(web: WebServer, document: dict[str, Any]) -> None:
    web.pages[("127.0.0.1", "/.well-known/did.json")] = (
        200,
        "application/json",
        json.dumps(document).encode(),
    )


def _web_document(did: str, handle: str, key: str, pds: str | None) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "alsoKnownAs": [f"at://{handle}"],
        "verificationMethod": [
            {
                "id": f"{did}#atproto",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.removeprefix("did:key:"),
            }
        ],
        "service": []
        if pds is None
        else [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds}],
    }


def test_handle_via_the_pds_well_known(
    network: ReferenceNetwork, resolver: IdentityResolver, routes: HostRoutes, dns: TxtServer
) -> None:
    account = network.create_account("idwk")
    routes.routes[account.handle] = account.pds  # https://<handle>/.well-known/atproto-did
    who = resolver.resolve(account.handle)  # DNS: NXDOMAIN, then the PDS's well-known
    assert f"_atproto.{account.handle}" in dns.queries
    assert (who.did, who.handle) == (account.did, account.handle)
    assert who.pds.rsplit(":", 1)[1] == account.pds.rsplit(":", 1)[1]  # localhost vs 127.0.0.1
    credentials = httpx.get(
        f"{account.pds}/xrpc/com.atproto.identity.getRecommendedDidCredentials",
        headers={"Authorization": f"Bearer {account.access_jwt}"},
    ).json()
    assert who.signing_key == parse_did_key(credentials["verificationMethods"]["atproto"])


@pytest.mark.anyio
async def test_handle_via_loopback_dns(network: ReferenceNetwork, dns: TxtServer) -> None:
    account = network.create_account("iddns")
    dns.records[f"_atproto.{account.handle}"] = ["some other record", f"did={account.did}"]
    options = ResolverOptions(plc_url=network.info.plc, nameservers=(dns.address,), timeout=5)
    async with AsyncIdentityResolver(options, http=httpx.AsyncClient(transport=HostRoutes())) as r:
        who = await r.resolve(account.handle)
        assert (who.did, who.handle) == (account.did, account.handle)
        assert (await r.resolve(account.did)).handle == account.handle  # and back from the DID


def test_did_plc_against_the_local_plc(
    network: ReferenceNetwork, resolver: IdentityResolver
) -> None:
    account = network.create_account("idplc")
    document = resolver.resolve_did(account.did)
    assert document.id == account.did
    assert document.handle == account.handle
    assert document.pds_endpoint is not None and document.signing_key is not None
    with pytest.raises(DidNotFoundError) as caught:
        resolver.resolve_did("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
    assert caught.value.identifier == "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"


def test_did_web_on_loopback(
    network: ReferenceNetwork, resolver: IdentityResolver, web: WebServer, dns: TxtServer
) -> None:
    did, key = _web_did(web), did_key(new_key())
    _serve_document(web, _web_document(did, "webby.test", key, network.info.pds))
    dns.records["_atproto.webby.test"] = [f"did={did}"]
    who = resolver.resolve(did)
    assert (who.did, who.handle, who.signing_key.did_key) == (did, "webby.test", key)
    assert who.pds == network.info.pds
    # the dev option is what allows http:// here
    with (
        IdentityResolver(ResolverOptions(plc_url=network.info.plc)) as strict,
        pytest.raises(InvalidIdentifierError, match="allow_insecure_loopback"),
    ):
        strict.resolve_did(did)


def test_handle_not_claimed_by_the_document(
    network: ReferenceNetwork, resolver: IdentityResolver, dns: TxtServer
) -> None:
    account = network.create_account("idclaim")
    dns.records["_atproto.impostor.test"] = [f"did={account.did}"]
    who = resolver.resolve("impostor.test")
    assert (who.did, who.handle) == (account.did, INVALID_HANDLE)


def test_rotated_plc_key_is_picked_up_after_purge(
    network: ReferenceNetwork, resolver: IdentityResolver
) -> None:
    identity = PlcIdentity(network.info.plc)
    first, second = did_key(new_key()), did_key(new_key())
    identity.update(handle="rotating.test", signing_key=first, pds=network.info.pds)
    assert resolver.resolve_signing_key(identity.did).did_key == first
    identity.update(handle="rotating.test", signing_key=second, pds=network.info.pds)
    assert resolver.resolve_signing_key(identity.did).did_key == first  # cached
    resolver.purge(identity.did)
    assert resolver.resolve_signing_key(identity.did).did_key == second


def test_plc_tombstone(network: ReferenceNetwork, resolver: IdentityResolver) -> None:
    identity = PlcIdentity(network.info.plc)
    identity.update(handle="gone.test", signing_key=did_key(new_key()), pds=network.info.pds)
    identity.tombstone()
    with pytest.raises(DidDeactivatedError) as caught:
        resolver.resolve(identity.did)
    assert caught.value.identifier == identity.did and "deactivated" in caught.value.reason


def test_document_without_pds(network: ReferenceNetwork, resolver: IdentityResolver) -> None:
    identity = PlcIdentity(network.info.plc)
    identity.update(handle="nopds.test", signing_key=did_key(new_key()), pds=None)
    with pytest.raises(MissingPdsError) as caught:
        resolver.resolve(identity.did)
    assert caught.value.identifier == identity.did


def test_bad_handles(
    network: ReferenceNetwork,
    resolver: IdentityResolver,
    dns: TxtServer,
    web: WebServer,
    routes: HostRoutes,
) -> None:
    a, b = network.create_account("idamb1"), network.create_account("idamb2")
    dns.records["_atproto.twice.test"] = [f"did={a.did}", f"did={b.did}"]
    with pytest.raises(HandleAmbiguousError, match="2 different DIDs"):
        resolver.resolve("twice.test")
    with pytest.raises(HandleNotFoundError, match="NXDOMAIN") as caught:
        resolver.resolve("nxdomain.test")
    assert caught.value.identifier == "nxdomain.test"
    routes.routes["html.test"] = web.origin
    web.pages[("html.test", "/.well-known/atproto-did")] = (200, "text/html", b"<!doctype html>")
    with pytest.raises(HandleNotFoundError, match=r"text/html\) is not a DID"):
        resolver.resolve("html.test")
    with pytest.raises(InvalidIdentifierError, match="invalid handle"):
        resolver.resolve("under_score.test")
    with pytest.raises(InvalidIdentifierError, match="24 base32"):
        resolver.resolve("did:plc:UPPER")


def test_session_logs_in_by_handle_and_routes_to_the_documents_pds(
    network: ReferenceNetwork, resolver: IdentityResolver, dns: TxtServer
) -> None:
    account = network.create_account("idlogin")
    dns.records[f"_atproto.{account.handle}"] = [f"did={account.did}"]
    pds = resolver.resolve(account.handle).pds
    with PasswordSession.login(
        identifier=account.handle, password=account.password, resolver=resolver
    ) as session:
        assert session.session.service == pds  # found through the handle, no service given
        # routing: the didDoc the PDS returned (if any) names the same PDS
        assert extract_pds_endpoint(session.session.did_doc) in (None, pds)
        answer = session.send(XrpcRequest("GET", "/xrpc/com.atproto.server.getSession"))
        assert answer.status_code == 200 and answer.json()["did"] == account.did
        assert str(answer.url).startswith(pds)


@pytest.mark.anyio
async def test_async_session_logs_in_by_did(network: ReferenceNetwork, dns: TxtServer) -> None:
    account = network.create_account("idlogina")
    options = ResolverOptions(plc_url=network.info.plc, nameservers=(dns.address,), timeout=5)
    async with AsyncIdentityResolver(options, http=httpx.AsyncClient(transport=HostRoutes())) as r:
        session = await AsyncPasswordSession.login(
            identifier=account.did, password=account.password, resolver=r
        )
        async with session:
            assert session.did == account.did
            assert session.session.service == (await r.resolve_did(account.did)).pds_endpoint


def test_login_by_email_still_needs_a_service() -> None:
    with pytest.raises(TypeError, match="missing service"):
        PasswordSession.login(identifier="alice@example.com", password="x")
