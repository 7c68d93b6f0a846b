"""An in-memory lexicon world for offline resolver tests: TXT records (served by a DNS server on
127.0.0.1), a PLC directory and one PDS (through ``httpx.MockTransport``). Network tests use the real services instead."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from dns_test_server import TxtServer

from atlex_codegen.lexicons.cid import cid_for_data
from atlex_codegen.lexicons.resolve import LexiconResolver, ResolverConfig

PLC = "https://plc.test"
PDS = "https://pds.test"
_dns: TxtServer | None = None


def shared_dns_server() -> TxtServer:
    """One DNS server on 127.0.0.1 for every world (tests run one at a time)."""
    global _dns
    if _dns is None:
        _dns = TxtServer().__enter__()  # a daemon thread; the process exit ends it
    return _dns


def lexicon(nsid: str, defs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A lexicon record as published (with its ``$type``)."""
    return {"$type": "com.atproto.lexicon.schema", "lexicon": 1, "id": nsid, "defs": defs, **extra}


def did_document(did: str, pds: str = PDS) -> dict[str, Any]:
    return {
        "id": did,
        "alsoKnownAs": [],
        "service": [
            {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds}
        ],
    }


@dataclass
class World:
    txt: dict[str, list[str]] = field(default_factory=lambda: {})
    did_docs: dict[str, Any] = field(default_factory=lambda: {})
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=lambda: {})
    """(did, rkey) -> record."""
    claimed_cids: dict[tuple[str, str], str] = field(default_factory=lambda: {})
    """Overrides of the CID the PDS claims (to fake a lying PDS)."""
    requests: list[str] = field(default_factory=lambda: [])
    dns_queries: list[str] = field(default_factory=lambda: [])
    down: bool = False

    def publish(self, did: str, record: dict[str, Any], *, authority: bool = True) -> None:
        self.records[(did, record["id"])] = record
        self.did_docs.setdefault(did, did_document(did))
        if authority:
            nsid: str = record["id"]
            name = "_lexicon." + ".".join(reversed(nsid.split(".")[:-1]))
            self.txt[name] = [f"did={did}"]

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        url = urlsplit(str(request.url))
        origin = f"{url.scheme}://{url.netloc}"
        if origin == PLC:
            did = url.path.lstrip("/")
            doc = self.did_docs.get(did)
            return httpx.Response(404) if doc is None else httpx.Response(200, json=doc)
        if origin == PDS and url.path == "/xrpc/com.atproto.repo.getRecord":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            key = (query["repo"], query["rkey"])
            record = self.records.get(key)
            if record is None:
                return httpx.Response(
                    400, json={"error": "RecordNotFound", "message": "Could not locate record"}
                )
            uri = f"at://{key[0]}/{query['collection']}/{key[1]}"
            cid = self.claimed_cids.get(key, cid_for_data(record))
            body = json.dumps({"uri": uri, "cid": cid, "value": record})
            return httpx.Response(200, content=body, headers={"content-type": "application/json"})
        return httpx.Response(404, json={"error": "NotFound"})

    def resolver(self) -> LexiconResolver:
        """A resolver over this world: its TXT records served by a real DNS server on
        127.0.0.1 (names not in ``txt``: NXDOMAIN), HTTP through a MockTransport."""
        dns = shared_dns_server()
        dns.records, dns.queries = self.txt, self.dns_queries  # this world's, shared
        host, port = dns.address.split(":")
        http = httpx.Client(transport=httpx.MockTransport(self.handler))
        config = ResolverConfig(plc_url=PLC, dns_servers=((host, int(port)),), timeout=5)
        return LexiconResolver(config, http=http)
