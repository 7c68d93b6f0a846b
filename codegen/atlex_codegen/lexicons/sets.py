"""Pinned lexicon sets: pull them from registry packages, check their hashes.

``lexicons/lexicons.json`` names each set, the registry package it comes from, the pinned
version, the sha256 of the downloaded package and the sha256 of the extracted documents.
Nothing pulled is committed; a mismatch anywhere fails loudly.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import msgspec

__all__ = [
    "LexiconSetError",
    "Manifest",
    "SetSpec",
    "content_digest",
    "load_manifest",
    "pull_set",
    "verify_set",
]

MARKER = ".atlex-pulled"  # not *.json: it is not part of the content hash


class LexiconSetError(Exception):
    """A lexicon set could not be pulled or does not match its pinned hashes."""


class SetSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    description: str
    registry: Literal["npm", "pypi"]
    package: str
    version: str
    extract: Literal["atproto-api-schemas", "wheel-dir"]
    """How documents are found: evaluating @atproto/api's ``schemaDict``, or JSON files in a
    folder of a wheel (``path``)."""
    path: str = ""
    exclude_prefixes: list[str] = msgspec.field(default_factory=lambda: [])
    """NSID prefixes left out (e.g. the upstream namespaces, pulled from their own source)."""
    package_sha256: str
    content_sha256: str
    documents: int


class Manifest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sets: dict[str, SetSpec]


@dataclass(frozen=True)
class PullResult:
    name: str
    documents: int
    skipped: bool


def load_manifest(path: Path) -> Manifest:
    try:
        return msgspec.json.decode(path.read_bytes(), type=Manifest)
    except FileNotFoundError:
        raise LexiconSetError(f"{path}: manifest not found") from None
    except msgspec.ValidationError as e:
        raise LexiconSetError(f"{path}: invalid manifest: {e}") from None


def content_digest(root: Path) -> tuple[str, int]:
    """sha256 over every ``*.json`` below ``root`` (sorted relative path, NUL, bytes, NUL)."""
    h = hashlib.sha256()
    files = sorted(p for p in root.rglob("*.json") if p.is_file())
    for p in files:
        h.update(p.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest(), len(files)


def verify_set(name: str, spec: SetSpec, root: Path) -> None:
    """Raise LexiconSetError unless ``root`` holds exactly the pinned documents."""
    if not root.is_dir():
        raise LexiconSetError(f"lexicon set {name!r}: {root} is missing; run `make lexicons`")
    digest, count = content_digest(root)
    if digest != spec.content_sha256 or count != spec.documents:
        raise LexiconSetError(
            f"lexicon set {name!r} in {root} does not match lexicons.json: "
            f"content sha256 {digest} ({count} documents), expected {spec.content_sha256} "
            f"({spec.documents} documents). Delete the folder and run `make lexicons` again; "
            "if the pin was changed on purpose, update the hashes in lexicons.json."
        )


def pull_set(
    name: str,
    spec: SetSpec,
    dest: Path,
    cache: Path,
    *,
    update_pins: bool = False,
    log: Callable[[str], None] = print,
) -> tuple[SetSpec, PullResult]:
    """Download, check and extract one set into ``dest``. Returns the (possibly re-pinned) spec.

    With ``update_pins`` the hashes are recorded instead of checked (for bumping a version).
    """
    marker = dest / MARKER
    if not update_pins and marker.is_file() and _marker_matches(marker, spec):
        try:
            verify_set(name, spec, dest)
            return spec, PullResult(name, spec.documents, skipped=True)
        except LexiconSetError:
            pass  # modified by hand: pull again
    archive = _download(spec, cache, log)
    got = hashlib.sha256(archive).hexdigest()
    if not update_pins and got != spec.package_sha256:
        raise LexiconSetError(
            f"lexicon set {name!r}: {spec.registry} package {spec.package}@{spec.version} has "
            f"sha256 {got}, lexicons.json pins {spec.package_sha256}. Refusing to use it."
        )
    docs = _extract(spec, archive)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        staging = Path(tmp) / "set"
        for rel, data in docs.items():
            out = staging / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        digest, count = content_digest(staging)
        if update_pins:
            spec = msgspec.structs.replace(
                spec, package_sha256=got, content_sha256=digest, documents=count
            )
        elif digest != spec.content_sha256 or count != spec.documents:
            raise LexiconSetError(
                f"lexicon set {name!r}: extracted content has sha256 {digest} ({count} "
                f"documents), lexicons.json pins {spec.content_sha256} ({spec.documents})."
            )
        (staging / MARKER).write_bytes(msgspec.json.encode(_marker(spec)))
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(dest)
    log(f"{name}: {count} documents from {spec.package}@{spec.version}")
    return spec, PullResult(name, count, skipped=False)


def _marker(spec: SetSpec) -> dict[str, Any]:
    return {"package": spec.package, "version": spec.version, "content_sha256": spec.content_sha256}


def _marker_matches(marker: Path, spec: SetSpec) -> bool:
    try:
        return json.loads(marker.read_bytes()) == _marker(spec)
    except ValueError:
        return False


def _download(spec: SetSpec, cache: Path, log: Callable[[str], None]) -> bytes:
    cache.mkdir(parents=True, exist_ok=True)
    safe = spec.package.replace("@", "").replace("/", "-")
    cached = cache / f"{spec.registry}-{safe}-{spec.version}"
    if cached.is_file() and hashlib.sha256(cached.read_bytes()).hexdigest() == spec.package_sha256:
        return cached.read_bytes()
    log(f"downloading {spec.package}@{spec.version} from {spec.registry} ...")
    with tempfile.TemporaryDirectory() as tmp:
        if spec.registry == "npm":
            cmd = ["npm", "pack", f"{spec.package}@{spec.version}", "--pack-destination", tmp]
        else:
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--only-binary", ":all:", "-d", tmp, f"{spec.package}=={spec.version}"]  # fmt: skip
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        except FileNotFoundError:
            raise LexiconSetError(
                f"`{cmd[0]}` is not installed; it is needed to fetch {spec.package} "
                f"(install Node.js/npm for npm packages)"
            ) from None
        except subprocess.TimeoutExpired:
            raise LexiconSetError(f"timed out fetching {spec.package}@{spec.version}") from None
        if proc.returncode != 0:
            raise LexiconSetError(
                f"fetching {spec.package}@{spec.version} failed (exit {proc.returncode}):\n"
                f"{proc.stderr.strip()[-2000:]}"
            )
        files = [p for p in Path(tmp).iterdir() if p.is_file()]
        if len(files) != 1:
            raise LexiconSetError(f"expected one downloaded file, got {[p.name for p in files]}")
        data = files[0].read_bytes()
    cached.write_bytes(data)
    return data


def _excluded(nsid: str, spec: SetSpec) -> bool:
    return any(nsid == p.rstrip(".") or nsid.startswith(p) for p in spec.exclude_prefixes)


def _canonical(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def _extract(spec: SetSpec, archive: bytes) -> dict[str, bytes]:
    """Relative path -> document bytes."""
    if spec.extract == "atproto-api-schemas":
        return _extract_atproto_api(spec, archive)
    return _extract_wheel_dir(spec, archive)


def _extract_atproto_api(spec: SetSpec, archive: bytes) -> dict[str, bytes]:
    member = "package/dist/client/lexicons.js"
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        f = tar.extractfile(member)
        if f is None:
            raise LexiconSetError(f"{spec.package}@{spec.version} has no {member}")
        source = f.read()
    script = Path(__file__).with_name("_extract_schemas.mjs")
    with tempfile.TemporaryDirectory() as tmp:
        js = Path(tmp) / "lexicons.js"
        js.write_bytes(source)
        try:
            proc = subprocess.run(["node", str(script), str(js)], capture_output=True, timeout=300)
        except FileNotFoundError:
            raise LexiconSetError(
                "`node` is not installed; it is needed to read the lexicons that "
                f"{spec.package} exports (any Node.js >= 18)"
            ) from None
    if proc.returncode != 0:
        raise LexiconSetError(f"reading schemas failed:\n{proc.stderr.decode()[-2000:]}")
    docs: list[Any] = json.loads(proc.stdout)
    out: dict[str, bytes] = {}
    for doc in docs:
        nsid = cast("dict[str, Any]", doc).get("id") if isinstance(doc, dict) else None
        if not isinstance(nsid, str) or not nsid:
            raise LexiconSetError(f"{spec.package}: a schema has no id")
        if _excluded(nsid, spec):
            continue
        out["/".join(nsid.split(".")) + ".json"] = _canonical(_strip_lex_uris(doc))
    return out


def _strip_lex_uris(node: Any) -> Any:
    """@atproto/api rewrites every ref as a ``lex:`` URI for its own resolver; the published
    documents (and the spec) use plain ``nsid#def`` refs, so undo exactly that rewrite."""
    if isinstance(node, list):
        return [_strip_lex_uris(v) for v in node]  # pyright: ignore[reportUnknownVariableType]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {k: _strip_lex_uris(v) for k, v in node.items()}  # pyright: ignore[reportUnknownVariableType]
    kind = out.get("type")
    if kind == "ref" and isinstance(out.get("ref"), str):
        out["ref"] = out["ref"].removeprefix("lex:")
    if kind == "union" and isinstance(out.get("refs"), list):
        out["refs"] = [r.removeprefix("lex:") if isinstance(r, str) else r for r in out["refs"]]
    return out


def _extract_wheel_dir(spec: SetSpec, archive: bytes) -> dict[str, bytes]:
    prefix = spec.path.rstrip("/") + "/"
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for name in zf.namelist():
            if not name.startswith(prefix) or not name.endswith(".json"):
                continue
            rel = name[len(prefix) :]
            # paths are kept as the package has them: a path that disagrees with the document id
            # is for the loader to report, not for us to hide
            nsid = rel[: -len(".json")].replace("/", ".")
            if _excluded(nsid, spec):
                continue
            out[rel] = zf.read(name)
    return out
