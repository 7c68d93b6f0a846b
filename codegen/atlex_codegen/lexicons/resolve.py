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

Steps 2 and 3 are :mod:`atlex.identity`'s (the one resolver of handles, DIDs and their
documents): DNS through dnspython, pointed at particular servers with
``ResolverConfig.dns_servers`` (``atlex lexicons install --dns-server``), which is how the tests
answer from 127.0.0.1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import msgspec

from atlex.errors import (
    DidDocumentError,
    DidNotFoundError,
    IdentityError,
    IdentityUnreachableError,
    InvalidIdentifierError,
)
from atlex.identity import DEFAULT_PLC_URL, DidDocument, IdentityResolver, ResolverOptions
from atlex.identity._options import parse_nameserver
from atlex.syntax import check_format
from atlex_codegen.lexicons.cid import DagCborError, cid_for_data

__all__ = [
    "DEFAULT_PLC_URL",
    "LEXICON_COLLECTION",
    "LexiconResolver",
    "ResolutionError",
    "Resolved",
    "ResolverConfig",
    "authority_of",
    "check_nsid",
    "lexicon_uri",
    "parse_dns_server",
    "parse_lexicon_uri",
]

LEXICON_COLLECTION = "com.atproto.lexicon.schema"


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

    def identity_options(self) -> ResolverOptions:
        servers = tuple(
            f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            for host, port in self.dns_servers
        )
        return ResolverOptions(plc_url=self.plc_url, nameservers=servers, timeout=self.timeout)


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
    return parse_nameserver(text)


# --- the resolver ---------------------------------------------------------------------------


class LexiconResolver:
    """Resolves NSIDs to published lexicon documents. Close it (or use ``with``) when done."""

    def __init__(
        self,
        config: ResolverConfig | None = None,
        *,
        http: httpx.Client | None = None,
        identity: IdentityResolver | None = None,
    ) -> None:
        self.config = config or ResolverConfig()
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=self.config.timeout, follow_redirects=True)
        self._owns_identity = identity is None
        self._identity = identity or IdentityResolver(
            self.config.identity_options(), http=self._http
        )

    def __enter__(self) -> LexiconResolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_identity:
            self._identity.close()
        if self._owns_http:
            self._http.close()

    # -- steps ----------------------------------------------------------------------------

    def authority_did(self, nsid: str) -> str:
        """The DID published at ``_lexicon.<authority>`` for ``nsid``."""
        name = f"_lexicon.{authority_of(nsid)}"
        hint = (
            f"the owner of {authority_of(nsid)} must publish one TXT record "
            f"'did=<did>' at {name}; or install from an at:// URI instead of the NSID"
        )
        try:
            did = self._identity.lookup_did_txt(name)
        except IdentityUnreachableError as exc:
            raise ResolutionError(
                nsid,
                "dns",
                f"no DNS server answered for {name} ({exc.reason})",
                "check your network, or name a DNS server with --dns-server / ATLEX_DNS_SERVER",
                unreachable=True,
            ) from None
        except IdentityError as exc:
            raise ResolutionError(nsid, "dns", exc.reason, hint) from None
        if did is None:
            raise ResolutionError(nsid, "dns", f"no TXT record 'did=…' at {name}", hint)
        return did

    def did_document(self, did: str, nsid: str) -> DidDocument:
        """The DID document of ``did`` (``did:plc`` from the PLC directory, or ``did:web``)."""
        try:
            return self._identity.resolve_did(did)
        except InvalidIdentifierError as exc:
            raise ResolutionError(
                nsid,
                "did",
                exc.message,
                "ask the lexicon authority to publish under a did:plc or a did:web of a host",
            ) from None
        except IdentityUnreachableError as exc:
            raise ResolutionError(
                nsid,
                "did",
                f"could not fetch the DID document of {did}: {exc.reason}",
                "check the network and the server address, then retry",
                unreachable=True,
            ) from None
        except DidNotFoundError as exc:
            raise ResolutionError(
                nsid,
                "did",
                f"the DID document of {did} was not found ({exc.reason})",
                "the DID may be mistyped in the DNS record, or the wrong --plc-url is used",
            ) from None
        except (DidDocumentError, IdentityError) as exc:
            raise ResolutionError(
                nsid,
                "did",
                f"the DID document of {did} is unusable: {exc.reason}",
                "the PLC directory or host answered something else: check --plc-url",
            ) from None

    def fetch(self, uri: str) -> Resolved:
        """The lexicon record at ``uri`` from its PDS, checked (type, id, CID)."""
        did, nsid = parse_lexicon_uri(uri)
        pds = self.did_document(did, nsid).pds_endpoint
        if pds is None:
            raise ResolutionError(
                nsid,
                "did",
                f"the DID document of {did} is unusable: it names no #atproto_pds service of "
                "type AtprotoPersonalDataServer with an http(s) URL",
                "the lexicon authority's DID document must name its PDS",
            )
        url = httpx.URL(
            f"{pds}/xrpc/com.atproto.repo.getRecord",
            params={"repo": did, "collection": LEXICON_COLLECTION, "rkey": nsid},
        )
        body = self._get_record(url, nsid, f"the record {uri}")
        return self._check_record(nsid, uri, body)

    def resolve(self, nsid: str) -> Resolved:
        """DNS, then the DID document, then the record."""
        return self.fetch(lexicon_uri(self.authority_did(nsid), nsid))

    # -- internals ------------------------------------------------------------------------

    def _get_record(self, url: httpx.URL, nsid: str, what: str) -> Any:
        headers = {"Cache-Control": "no-cache"} if self.config.no_cache else {}
        try:
            response = self._http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise ResolutionError(
                nsid,
                "fetch",
                f"could not fetch {what} from {url}: {exc or type(exc).__name__}",
                "check the network and the server address, then retry",
                unreachable=True,
            ) from None
        if response.status_code == 400 and b"RecordNotFound" in response.content:
            raise ResolutionError(
                nsid,
                "fetch",
                f"{what} does not exist",
                "the authority has not published this lexicon (check the NSID's spelling)",
            )
        if response.status_code >= 400:
            raise ResolutionError(
                nsid,
                "fetch",
                f"{url} answered HTTP {response.status_code} for {what}: {response.text[:200]}",
                "retry later; if it persists the server is misconfigured",
                unreachable=response.status_code >= 500,
            )
        try:
            return msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            raise ResolutionError(
                nsid,
                "fetch",
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
