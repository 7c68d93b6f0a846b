"""``atlex lexicons install``: resolve lexicons by NSID, follow their references, lock the set.

The algorithm of ``@atproto/lex-installer``:

1. the roots are the NSIDs (or ``at://`` URIs) given now plus the roots already in the lock; a
   root in the lock is fetched from its locked URI, a new one is resolved by its NSID;
2. a document already under the lexicons folder is reused (its CID computed locally) unless
   ``update`` is set; otherwise it is fetched (``resolve.LexiconResolver``);
3. every NSID the documents refer to is installed the same way until the set is closed
   (a dependency in the old lock is fetched from its locked URI);
4. the new lock lists the roots and the URI and CID of every document.

Nothing is written here: the caller gets the new lock and the fetched documents and decides
(``--ci`` writes nothing when the lock would change).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from atlex_codegen.lexicons.cid import DagCborError, cid_for_data
from atlex_codegen.lexicons.lock import LockFile, Resolution, document_path, document_refs
from atlex_codegen.lexicons.resolve import (
    LexiconResolver,
    ResolutionError,
    Resolved,
    check_nsid,
    lexicon_uri,
    parse_lexicon_uri,
)

__all__ = ["InstallError", "InstallResult", "install", "write_documents"]


class InstallError(Exception):
    """The request or the files on disk do not allow an install; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str, *, bad_argument: bool = False) -> None:
        self.hint = hint
        self.bad_argument = bad_argument
        """The command line is at fault (not the files or the network)."""
        super().__init__(message)


@dataclass
class InstallResult:
    lock: LockFile
    fetched: dict[str, Resolved] = field(default_factory=lambda: {})
    """Documents fetched from the network, by NSID (to be written)."""
    reused: list[str] = field(default_factory=lambda: [])
    """NSIDs whose document on disk was used as it is."""


def install(
    additions: Iterable[str],
    previous: LockFile | None,
    lexicons_dir: Path,
    resolver: LexiconResolver,
    *,
    update: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> InstallResult:
    """Compute the closed set for ``additions`` plus the roots of ``previous``."""
    roots: dict[str, str | None] = {}  # nsid -> the URI to fetch it from, or None: resolve
    for item in additions:
        nsid, uri = _parse_addition(item)
        if nsid in roots:
            raise InstallError(
                f"{nsid} is named twice ({roots[nsid] or nsid} and {item})",
                "name it once",
                bad_argument=True,
            )
        roots[nsid] = uri
    old = previous or LockFile()
    for nsid in old.lexicons:
        if nsid not in roots:
            locked = old.resolutions.get(nsid)
            roots[nsid] = locked.uri if locked else None
    result = InstallResult(LockFile(sorted(roots), {}))
    documents: dict[str, dict[str, Any]] = {}

    def take(nsid: str, uri: str | None, why: str) -> None:
        document, resolution = _obtain(nsid, uri, lexicons_dir, resolver, update, result, log, why)
        documents[nsid] = document
        result.lock.resolutions[nsid] = resolution

    for nsid, uri in roots.items():
        take(nsid, uri, "root")
    while True:
        missing = sorted(
            {ref for doc in documents.values() for ref in document_refs(doc)} - set(documents)
        )
        if not missing:
            break
        for nsid in missing:
            locked = old.resolutions.get(nsid)
            referrers = sorted(k for k, d in documents.items() if nsid in document_refs(d))
            take(nsid, locked.uri if locked else None, f"needed by {', '.join(referrers)}")
    result.lock = result.lock.normalised()
    return result


def _parse_addition(item: str) -> tuple[str, str | None]:
    try:
        if item.startswith("at://"):
            _did, nsid = parse_lexicon_uri(item)
            return nsid, item
        check_nsid(item)
    except ResolutionError as exc:
        raise InstallError(str(exc), exc.hint, bad_argument=True) from None
    return item, None


def _obtain(
    nsid: str,
    uri: str | None,
    lexicons_dir: Path,
    resolver: LexiconResolver,
    update: bool,
    result: InstallResult,
    log: Callable[[str], None],
    why: str,
) -> tuple[dict[str, Any], Resolution]:
    path = document_path(lexicons_dir, nsid)
    if not update and path.is_file():
        document = _read_local(path, nsid)
        if uri is None:  # on disk but not locked: the URI still comes from DNS
            uri = _uri_for(nsid, resolver, log)
        try:
            cid = cid_for_data(document)
        except DagCborError as exc:
            raise InstallError(f"{path}: {exc}", "fix or delete the file, then retry") from None
        result.reused.append(nsid)
        log(f"  {nsid}: using {path} ({why})")
        return document, Resolution(uri, cid)
    log(f"  {nsid}: fetching {'from ' + uri if uri else 'by NSID'} ({why})")
    resolved = resolver.fetch(uri) if uri is not None else resolver.resolve(nsid)
    if resolved.nsid != nsid:
        raise InstallError(
            f"{uri} holds {resolved.nsid}, not {nsid}", "correct the URI in the lock file"
        )
    result.fetched[nsid] = resolved
    log(f"  {nsid}: {resolved.uri} cid {resolved.cid}")
    for problem in resolved.problems:
        log(f"  warning: {problem}")
    return resolved.document, Resolution(resolved.uri, resolved.cid)


def _uri_for(nsid: str, resolver: LexiconResolver, log: Callable[[str], None]) -> str:
    did = resolver.authority_did(nsid)
    log(f"  {nsid}: authority {did}")
    return lexicon_uri(did, nsid)


def _read_local(path: Path, nsid: str) -> dict[str, Any]:
    try:
        data: Any = json.loads(path.read_bytes())
    except ValueError as exc:
        raise InstallError(
            f"{path}: not JSON ({exc})", "delete the file to fetch it again, or use --update"
        ) from None
    if not isinstance(data, dict) or cast("dict[str, Any]", data).get("id") != nsid:
        raise InstallError(
            f"{path} is not the lexicon document {nsid}",
            "delete the file to fetch it again, or use --update",
        )
    return cast("dict[str, Any]", data)


def write_documents(fetched: Iterable[Resolved], lexicons_dir: Path) -> list[Path]:
    """Write fetched documents as 2-space JSON (what was published, ``$type`` included)."""
    written: list[Path] = []
    for resolved in fetched:
        path = document_path(lexicons_dir, resolved.nsid)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(resolved.document, indent=2, ensure_ascii=False) + "\n"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
