"""An in-memory PDS for the record helper tests: the com.atproto.repo endpoints the helpers
call, behind ``httpx.MockTransport``, plus agents that carry a DID (as a session does)."""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
from typing import Any

import httpx

from atlex._agent import XrpcRequest
from atlex._tid import next_tid
from atlex.lex.client import AsyncClient, Client

SERVICE = "https://pds.test"
DID = "did:plc:alice"


def cid_for(data: bytes, codec: int = 0x71) -> str:
    """A real CIDv1 (sha-256) in base32: dag-cbor (0x71) for records, raw (0x55) for blobs."""
    digest = hashlib.sha256(data).digest()
    raw = bytes([0x01, codec, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def _answer(body: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )


def _error(name: str, message: str, status: int = 400) -> httpx.Response:
    return _answer({"error": name, "message": message}, status)


class FakePds:
    """Stores records as JSON by (repo, collection, rkey); answers like the reference PDS."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str, str], tuple[str, dict[str, Any]]] = {}
        self.requests: list[httpx.Request] = []
        self.bodies: list[Any] = []
        self.blobs: dict[str, bytes] = {}
        self.page_cursor_override: str | None = None
        self.head = cid_for(b"genesis")

    # --- seeding and inspection ---

    def store(self, collection: str, rkey: str, value: dict[str, Any], repo: str = DID) -> str:
        cid = cid_for(json.dumps(value, sort_keys=True).encode())
        self.records[(repo, collection, rkey)] = (cid, value)
        self.head = cid_for(self.head.encode() + cid.encode())
        return cid

    def value(self, collection: str, rkey: str, repo: str = DID) -> dict[str, Any]:
        return self.records[(repo, collection, rkey)][1]

    @property
    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    # --- endpoints ---

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        name = request.url.path.removeprefix("/xrpc/")
        if request.method == "GET":
            params = dict(request.url.params.multi_items())
            self.bodies.append(params)
            return getattr(self, "q_" + name.rsplit(".", 1)[1])(params)
        content = request.read()
        if name == "com.atproto.repo.uploadBlob":
            self.bodies.append(content)
            return self.upload_blob(request, content)
        body = json.loads(content)
        self.bodies.append(body)
        return getattr(self, "p_" + name.rsplit(".", 1)[1])(body)

    def _uri(self, repo: str, collection: str, rkey: str) -> str:
        return f"at://{repo}/{collection}/{rkey}"

    def _swap_commit(self, body: dict[str, Any]) -> httpx.Response | None:
        swap = body.get("swapCommit")
        if swap is not None and swap != self.head:
            return _error("InvalidSwap", "Commit was at " + self.head)
        return None

    def p_createRecord(self, body: dict[str, Any]) -> httpx.Response:
        if (failure := self._swap_commit(body)) is not None:
            return failure
        repo, collection = body["repo"], body["collection"]
        rkey = body.get("rkey") or next_tid()
        if (repo, collection, rkey) in self.records:
            return _error("InvalidRequest", "Record already exists")
        cid = self.store(collection, rkey, body["record"], repo)
        return _answer({"uri": self._uri(repo, collection, rkey), "cid": cid})

    def p_putRecord(self, body: dict[str, Any]) -> httpx.Response:
        if (failure := self._swap_commit(body)) is not None:
            return failure
        repo, collection, rkey = body["repo"], body["collection"], body["rkey"]
        current = self.records.get((repo, collection, rkey))
        if "swapRecord" in body and (current is None or current[0] != body["swapRecord"]):
            return _error("InvalidSwap", "Record was at another CID")
        cid = self.store(collection, rkey, body["record"], repo)
        return _answer({"uri": self._uri(repo, collection, rkey), "cid": cid})

    def p_deleteRecord(self, body: dict[str, Any]) -> httpx.Response:
        key = (body["repo"], body["collection"], body["rkey"])
        current = self.records.get(key)
        if "swapRecord" in body and (current is None or current[0] != body["swapRecord"]):
            return _error("InvalidSwap", "Record was at another CID")
        self.records.pop(key, None)
        return _answer({})

    def p_applyWrites(self, body: dict[str, Any]) -> httpx.Response:
        if (failure := self._swap_commit(body)) is not None:
            return failure
        repo = body["repo"]
        results: list[dict[str, Any]] = []
        for op in body["writes"]:
            kind = op["$type"].rsplit("#", 1)[1]
            collection = op["collection"]
            rkey = op.get("rkey") or next_tid()
            if kind == "delete":
                self.records.pop((repo, collection, rkey), None)
                results.append({"$type": "com.atproto.repo.applyWrites#deleteResult"})
                continue
            cid = self.store(collection, rkey, op["value"], repo)
            results.append(
                {
                    "$type": f"com.atproto.repo.applyWrites#{kind}Result",
                    "uri": self._uri(repo, collection, rkey),
                    "cid": cid,
                }
            )
        return _answer({"results": results})

    def q_getRecord(self, params: dict[str, str]) -> httpx.Response:
        key = (params["repo"], params["collection"], params["rkey"])
        if key not in self.records:
            return _error("RecordNotFound", "Could not locate record")
        cid, value = self.records[key]
        return _answer({"uri": self._uri(*key), "cid": cid, "value": value})

    def q_listRecords(self, params: dict[str, str]) -> httpx.Response:
        repo, collection = params["repo"], params["collection"]
        limit = int(params.get("limit", "50"))
        oldest_first = params.get("reverse") == "true"
        keys = sorted(
            (k for k in self.records if k[0] == repo and k[1] == collection),
            key=lambda k: k[2],
            reverse=not oldest_first,
        )
        cursor = params.get("cursor")
        if cursor is not None:
            keys = [k for k in keys if (k[2] > cursor if oldest_first else k[2] < cursor)]
        page = keys[:limit]
        out: dict[str, Any] = {
            "records": [
                {"uri": self._uri(*k), "cid": self.records[k][0], "value": self.records[k][1]}
                for k in page
            ]
        }
        if self.page_cursor_override is not None:
            out["cursor"] = self.page_cursor_override
        elif len(page) == limit and len(keys) > limit:
            out["cursor"] = page[-1][2]
        return _answer(out)

    def upload_blob(self, request: httpx.Request, content: bytes) -> httpx.Response:
        cid = cid_for(content, codec=0x55)
        self.blobs[cid] = content
        mime = request.headers["content-type"]
        blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(content)}
        return _answer({"blob": blob})


class _Agent:
    def __init__(self, pds: FakePds, did: str | None) -> None:
        self._did = did
        self._http = httpx.Client(base_url=SERVICE, transport=httpx.MockTransport(pds.handle))

    @property
    def did(self) -> str | None:
        return self._did

    def send(self, request: XrpcRequest) -> httpx.Response:
        built = self._http.build_request(
            request.method, request.path, headers=request.headers, content=request.content
        )
        return self._http.send(built)


class _AsyncAgent:
    def __init__(self, pds: FakePds, did: str | None) -> None:
        self._did = did
        self._http = httpx.AsyncClient(base_url=SERVICE, transport=httpx.MockTransport(pds.handle))

    @property
    def did(self) -> str | None:
        return self._did

    async def send(self, request: XrpcRequest) -> httpx.Response:
        built = self._http.build_request(
            request.method, request.path, headers=request.headers, content=request.content
        )
        return await self._http.send(built)


def client_for(mode: str, pds: FakePds, did: str | None = DID, **options: Any) -> Any:
    """A generated ``Client`` / ``AsyncClient`` signed in as ``did`` (None: anonymous)."""
    if mode == "sync":
        return Client(_Agent(pds, did), **options)
    return AsyncClient(_AsyncAgent(pds, did), **options)


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def collect(iterable: Any) -> list[Any]:
    """Items of a sync iterator or an async iterator."""
    if hasattr(iterable, "__aiter__"):
        return [item async for item in iterable]
    return list(iterable)
