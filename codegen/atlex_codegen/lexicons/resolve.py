"""Resolve a lexicon NSID over the network, as the Lexicon spec defines it.

1. authority: every NSID segment but the last, reversed (``app.bsky.feed.post`` -> ``feed.bsky.app``);
2. DNS: the TXT records at ``_lexicon.<authority>``; exactly one entry ``did=<did>`` (no walk up
   to parent domains);
3. the DID document (``did:plc`` from a PLC directory, ``did:web`` from the host) names the PDS
   (the ``#atproto_pds`` service of type ``AtprotoPersonalDataServer``);
4. the PDS serves the record ``at://<did>/com.atproto.lexicon.schema/<nsid>``
   (``com.atproto.repo.getRecord``), whose ``id`` must be the NSID.

The record's CID is recomputed from its content (DAG-CBOR), so a PDS that answers another CID
than what it sent is caught. Unlike ``@atproto/lex-resolver`` the commit signature and MST proof
of ``com.atproto.sync.getRecord`` are not checked (that needs secp256k1/P-256 and a CAR reader).

DNS goes through dnspython. Point it at a particular server with ``ResolverConfig.dns_servers``
(``atlex lexicons install --dns-server``), which is how the tests answer from 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote, unquote, urlsplit

import httpx
import msgspec

from atlex.syntax import check_format
from atlex_codegen.lexicons.cid import DagCborError, cid_for_data

__all__ = [
    "DEFAULT_PLC_URL",
    "LEXICON_COLLECTION",
    "DnsUnreachable",
    "LexiconResolver",
    "ResolutionError",
    "Resolved",
    "ResolverConfig",
    "authority_of",
    "check_nsid",
    "did_from_txt",
    "did_web_url",
    "dnspython_lookup",
    "lexicon_uri",
    "parse_dns_server",
    "parse_lexicon_uri",
    "pds_endpoint",
]

DEFAULT_PLC_URL = "https://plc.directory"
LEXICON_COLLECTION = "com.atproto.lexicon.schema"

TxtLookup = Callable[[str], list[str]]
"""``lookup(name)`` -> the TXT strings at ``name`` (chunks joined); [] when there are none."""


class ResolutionError(Exception):
    """An NSID could not be resolved. ``stage`` is ``dns``, ``did``, ``fetch`` or ``verify``;
    ``unreachable`` is true when a server could not be reached at all (worth retrying)."""

    def __init__(
        self, nsid: str, stage: str, message: str, hint: str, *, unreachable: bool = False
    ) -> None:
        self.nsid = nsid
        self.stage = stage
        self.hint = hint
        self.unreachable = unreachable
        super().__init__(f"{nsid}: {message}")


@dataclass(frozen=True)
class ResolverConfig:
    plc_url: str = DEFAULT_PLC_URL
    """The PLC directory that serves ``did:plc`` documents."""
    dns_servers: tuple[tuple[str, int], ...] = ()
    """``(address, port)`` of the DNS servers to ask; empty: the system's resolver."""
    timeout: float = 10.0
    """Seconds for each DNS lookup and HTTP request."""
    no_cache: bool = False
    """Send ``Cache-Control: no-cache`` with the record fetch (``--update``)."""


@dataclass(frozen=True)
class Resolved:
    """A lexicon document fetched from its authority's PDS."""

    nsid: str
    uri: str
    cid: str
    document: dict[str, Any] = field(repr=False)
    """The record as published (with its ``$type``): what is written to disk."""
    problems: tuple[str, ...] = ()
    """What the generator's loader found wrong in parts of the document (usable otherwise)."""


# --- pure helpers ---------------------------------------------------------------------------


def check_nsid(nsid: str) -> None:
    problem = check_format("nsid", nsid)
    if problem is not None:
        raise ResolutionError(
            nsid, "dns", problem, "an NSID looks like com.example.feed.post (reversed domain)"
        )


def authority_of(nsid: str) -> str:
    """``app.bsky.feed.post`` -> ``feed.bsky.app``."""
    check_nsid(nsid)
    return ".".join(reversed(nsid.split(".")[:-1])).lower()


def lexicon_uri(did: str, nsid: str) -> str:
    return f"at://{did}/{LEXICON_COLLECTION}/{nsid}"


def parse_lexicon_uri(uri: str) -> tuple[str, str]:
    """``at://<did>/com.atproto.lexicon.schema/<nsid>`` -> ``(did, nsid)``."""
    match = re.fullmatch(r"at://([^/]+)/([^/]+)/([^/?#]+)", uri)
    hint = f"a lexicon URI looks like at://did:plc:…/{LEXICON_COLLECTION}/com.example.thing"
    if match is None:
        raise ResolutionError(uri, "fetch", "not a lexicon record URI", hint)
    did, collection, nsid = match.groups()
    if collection != LEXICON_COLLECTION:
        raise ResolutionError(uri, "fetch", f"collection is {collection!r}", hint)
    if check_format("did", did) is not None:
        raise ResolutionError(
            uri, "fetch", f"{did!r} is not a DID (handles are not resolved)", hint
        )
    check_nsid(nsid)
    return did, nsid


def parse_dns_server(text: str) -> tuple[str, int]:
    """``127.0.0.1``, ``127.0.0.1:5353``, ``::1`` or ``[::1]:5353`` -> ``(address, port)``."""
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ValueError(f"{text!r} is not ADDRESS or ADDRESS:PORT")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if not host or (port_text and not port_text.isdigit()):
        raise ValueError(f"{text!r} is not ADDRESS or ADDRESS:PORT")
    port = int(port_text) if port_text else 53
    if not 0 < port < 65536:
        raise ValueError(f"{text!r}: port {port} is out of range")
    return host, port


def did_web_url(did: str) -> str:
    """Where a ``did:web`` document lives: ``did:web:example.com`` ->
    ``https://example.com/.well-known/did.json`` (``%3A`` encodes a port)."""
    rest = did.removeprefix("did:web:")
    if ":" in rest:
        raise ValueError(f"{did}: did:web with a path is not used by atproto")
    host = unquote(rest)
    if not host or "/" in host:
        raise ValueError(f"{did}: no host name")
    return f"https://{host}/.well-known/did.json"


def pds_endpoint(did: str, document: Mapping[str, Any]) -> str:
    """The ``#atproto_pds`` service endpoint of a DID document (type checked, absolute URL)."""
    if document.get("id") != did:
        raise ValueError(f"the DID document is for {document.get('id')!r}, not {did}")
    services: Any = document.get("service")
    for entry in cast("list[Any]", services) if isinstance(services, list) else []:
        if not isinstance(entry, dict):
            continue
        service = cast("dict[str, Any]", entry)
        if service.get("id") not in ("#atproto_pds", f"{did}#atproto_pds"):
            continue
        endpoint = service.get("serviceEndpoint")
        if service.get("type") != "AtprotoPersonalDataServer":
            raise ValueError(f"its #atproto_pds service has type {service.get('type')!r}")
        if not isinstance(endpoint, str):
            raise ValueError("its #atproto_pds service has no URL")
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"its #atproto_pds endpoint {endpoint!r} is not an http(s) URL")
        return endpoint.rstrip("/")
    raise ValueError("it names no #atproto_pds service")


def did_from_txt(name: str, entries: Sequence[str]) -> str:
    """The DID of the single ``did=`` entry among a name's TXT strings (ValueError otherwise)."""
    dids = [entry[4:] for entry in entries if entry.startswith("did=")]
    if not dids:
        raise ValueError(f"no TXT record 'did=…' at {name}")
    if len(dids) > 1:
        raise ValueError(f"{len(dids)} TXT records 'did=…' at {name} (exactly one is allowed)")
    problem = check_format("did", dids[0])
    if problem is not None:
        raise ValueError(f"the TXT record at {name} holds {problem}")
    return dids[0]


# --- DNS ------------------------------------------------------------------------------------


class DnsUnreachable(Exception):
    """No DNS server answered."""


def dnspython_lookup(servers: Sequence[tuple[str, int]], timeout: float) -> TxtLookup:
    """A TXT lookup through dnspython: the given servers, or the system's configuration."""
    import dns.exception
    import dns.nameserver
    import dns.resolver

    if servers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(a, port=p) for a, p in servers]
    else:
        resolver = dns.resolver.Resolver()
    resolver.lifetime = timeout

    def lookup(name: str) -> list[str]:
        try:
            answer = resolver.resolve(name, "TXT", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.resolver.NoNameservers, dns.exception.Timeout) as exc:
            raise DnsUnreachable(str(exc)) from None
        texts: list[str] = []
        for rdata in answer:
            chunks = cast("tuple[bytes, ...]", rdata.strings)  # pyright: ignore[reportAttributeAccessIssue]
            texts.append(b"".join(chunks).decode("utf-8", "replace"))
        return texts

    return lookup


# --- the resolver ---------------------------------------------------------------------------


class LexiconResolver:
    """Resolves NSIDs to published lexicon documents. Close it (or use ``with``) when done."""

    def __init__(
        self,
        config: ResolverConfig | None = None,
        *,
        txt_lookup: TxtLookup | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.config = config or ResolverConfig()
        self._lookup = txt_lookup or dnspython_lookup(self.config.dns_servers, self.config.timeout)
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=self.config.timeout, follow_redirects=True)
        self._did_documents: dict[str, dict[str, Any]] = {}

    def __enter__(self) -> LexiconResolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- steps ----------------------------------------------------------------------------

    def authority_did(self, nsid: str) -> str:
        """The DID published at ``_lexicon.<authority>`` for ``nsid``."""
        name = f"_lexicon.{authority_of(nsid)}"
        try:
            entries = self._lookup(name)
        except DnsUnreachable as exc:
            raise ResolutionError(
                nsid,
                "dns",
                f"no DNS server answered for {name} ({exc})",
                "check your network, or name a DNS server with --dns-server / ATLEX_DNS_SERVER",
                unreachable=True,
            ) from None
        try:
            return did_from_txt(name, entries)
        except ValueError as exc:
            raise ResolutionError(
                nsid,
                "dns",
                str(exc),
                f"the owner of {authority_of(nsid)} must publish one TXT record "
                f"'did=<did>' at {name}; or install from an at:// URI instead of the NSID",
            ) from None

    def did_document(self, did: str, nsid: str) -> dict[str, Any]:
        """The DID document of ``did`` (``did:plc`` from the PLC directory, or ``did:web``)."""
        cached = self._did_documents.get(did)
        if cached is not None:
            return cached
        if did.startswith("did:plc:"):
            url = f"{self.config.plc_url.rstrip('/')}/{quote(did, safe=':')}"
        elif did.startswith("did:web:"):
            try:
                url = did_web_url(did)
            except ValueError as exc:
                raise ResolutionError(
                    nsid, "did", str(exc), "use a did:web of a host name"
                ) from None
        else:
            raise ResolutionError(
                nsid,
                "did",
                f"{did}: only did:plc and did:web are supported",
                "ask the lexicon authority to publish under a did:plc or did:web",
            )
        data = self._get_json(url, nsid, "did", f"the DID document of {did}")
        if not isinstance(data, dict):
            raise ResolutionError(
                nsid,
                "did",
                f"the DID document of {did} at {url} is not a JSON object",
                "the PLC directory or host answered something else: check --plc-url",
            )
        document = cast("dict[str, Any]", data)
        self._did_documents[did] = document
        return document

    def fetch(self, uri: str) -> Resolved:
        """The lexicon record at ``uri`` from its PDS, checked (type, id, CID)."""
        did, nsid = parse_lexicon_uri(uri)
        document = self.did_document(did, nsid)
        try:
            pds = pds_endpoint(did, document)
        except ValueError as exc:
            raise ResolutionError(
                nsid,
                "did",
                f"the DID document of {did} is unusable: {exc}",
                "the lexicon authority's DID document must name its PDS",
            ) from None
        url = httpx.URL(
            f"{pds}/xrpc/com.atproto.repo.getRecord",
            params={"repo": did, "collection": LEXICON_COLLECTION, "rkey": nsid},
        )
        body = self._get_json(url, nsid, "fetch", f"the record {uri}", record=True)
        return self._check_record(nsid, uri, body)

    def resolve(self, nsid: str) -> Resolved:
        """DNS, then the DID document, then the record."""
        return self.fetch(lexicon_uri(self.authority_did(nsid), nsid))

    # -- internals ------------------------------------------------------------------------

    def _get_json(
        self, url: str | httpx.URL, nsid: str, stage: str, what: str, *, record: bool = False
    ) -> Any:
        headers = {"Cache-Control": "no-cache"} if self.config.no_cache else {}
        try:
            response = self._http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise ResolutionError(
                nsid,
                stage,
                f"could not fetch {what} from {url}: {exc or type(exc).__name__}",
                "check the network and the server address, then retry",
                unreachable=True,
            ) from None
        if record and response.status_code == 400 and b"RecordNotFound" in response.content:
            raise ResolutionError(
                nsid,
                stage,
                f"{what} does not exist",
                "the authority has not published this lexicon (check the NSID's spelling)",
            )
        if response.status_code == 404 and not record:
            raise ResolutionError(
                nsid,
                stage,
                f"{what} was not found ({url}: HTTP 404)",
                "the DID may be mistyped in the DNS record, or the wrong --plc-url is used",
            )
        if response.status_code >= 400:
            raise ResolutionError(
                nsid,
                stage,
                f"{url} answered HTTP {response.status_code} for {what}: {response.text[:200]}",
                "retry later; if it persists the server is misconfigured",
                unreachable=response.status_code >= 500,
            )
        try:
            return msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            raise ResolutionError(
                nsid,
                stage,
                f"{url} answered with something that is not JSON for {what}",
                "check that the address points at the right kind of server",
            ) from None

    def _check_record(self, nsid: str, uri: str, body: Any) -> Resolved:
        def bad(why: str) -> ResolutionError:
            return ResolutionError(
                nsid,
                "verify",
                f"the record at {uri} is not a valid lexicon: {why}",
                "the authority published a broken lexicon; tell its owner",
            )

        if not isinstance(body, dict):
            raise bad("the PDS answer is not a JSON object")
        answer = cast("dict[str, Any]", body)
        value = answer.get("value")
        if not isinstance(value, dict):
            raise bad("the PDS answer has no record 'value'")
        record = cast("dict[str, Any]", value)
        if record.get("$type") != LEXICON_COLLECTION:
            raise bad(f"$type is {record.get('$type')!r}, not {LEXICON_COLLECTION!r}")
        if record.get("lexicon") != 1:
            raise bad(f"'lexicon' is {record.get('lexicon')!r}, not 1")
        if record.get("id") != nsid:
            raise bad(f"its id is {record.get('id')!r}, not {nsid!r}")
        if not isinstance(record.get("defs"), dict):
            raise bad("it has no 'defs' object")
        try:
            cid = cid_for_data(record)
        except DagCborError as exc:
            raise bad(str(exc)) from None
        claimed = answer.get("cid")
        if claimed is not None and claimed != cid:
            raise ResolutionError(
                nsid,
                "verify",
                f"the PDS says the record at {uri} has CID {claimed}, but its "
                f"content hashes to {cid}",
                "the PDS answered inconsistent data; retry later or tell its operator",
            )
        from atlex_codegen.load import load_bytes

        loaded, problems = load_bytes(msgspec.json.encode(record), uri)
        if loaded is None:
            raise bad("; ".join(p.message for p in problems) or "nothing in it is usable")
        return Resolved(
            nsid=nsid, uri=uri, cid=cid, document=record, problems=tuple(map(str, problems))
        )
