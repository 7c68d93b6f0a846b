"""What users have in hand -> what records need: a strong reference (uri + cid) to a post, a
DID for an account, a record key in the user's own repo. Each is a flow (atlex._flow): when
the CID or DID is not in hand it is read from the PDS."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from atlex._flow import Flow
from atlex._lazy import plain_value
from atlex._pds_calls import resolve_handle_plan
from atlex._records import GET_RECORD, Plan
from atlex.errors import LexValidationError
from atlex.lex.com.atproto.repo import strong_ref

__all__ = [
    "AtUri",
    "HasUriCid",
    "actor_did_flow",
    "check_post_target",
    "parse_at_uri",
    "post_ref_flow",
    "reply_root_of",
]


class HasUriCid(Protocol):
    """Anything with the ``uri`` and ``cid`` of a record: a ``PostView``, a ``strongRef``,
    what ``post``/``create`` returned, a ``RecordResult``."""

    @property
    def uri(self) -> str: ...

    @property
    def cid(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class AtUri:
    repo: str
    collection: str
    rkey: str

    def __str__(self) -> str:
        return f"at://{self.repo}/{self.collection}/{self.rkey}"


def parse_at_uri(uri: str, *, what: str) -> AtUri:
    """``at://repo/collection/rkey`` split, or LexValidationError naming ``what``."""
    from atlex.syntax import is_valid_at_uri

    parts = uri.removeprefix("at://").split("/") if isinstance(uri, str) else []  # pyright: ignore[reportUnnecessaryIsInstance]
    if len(parts) != 3 or not uri.startswith("at://") or not is_valid_at_uri(uri):
        raise LexValidationError(
            f"{what}: expected a record URI at://<repo>/<collection>/<rkey>, got {uri!r}",
            path=what,
        )
    return AtUri(*parts)


def _raw_record_plan(at: AtUri) -> Plan[tuple[str, str, dict[str, Any]]]:
    def finish(output: Any) -> tuple[str, str, dict[str, Any]]:
        return str(output.uri), str(output.cid), dict(plain_value(output, "value"))

    return Plan(
        GET_RECORD, {"repo": at.repo, "collection": at.collection, "rkey": at.rkey}, None, finish
    )


def _field(obj: object, name: str) -> Any:
    """``obj[name]`` of a dict, ``obj.name`` of anything else (None when missing)."""
    if isinstance(obj, Mapping):
        return cast(Mapping[str, Any], obj).get(name)
    return getattr(obj, name, None)


def _uri_cid(target: object) -> tuple[str, str] | None:
    uri, cid = _field(target, "uri"), _field(target, "cid")
    if isinstance(uri, str) and isinstance(cid, str):
        return uri, cid
    return None


def _record_of(target: object) -> Any:
    """The record a post view carries (``PostView.record``), if any."""
    return getattr(target, "record", None)


def reply_root_of(record: Any) -> strong_ref.Main | None:
    """The thread root a post record names in ``reply.root`` (dict or typed record)."""
    found = _uri_cid(_field(_field(record, "reply"), "root"))
    return strong_ref.Main(uri=found[0], cid=found[1]) if found else None


def check_post_target(target: object, *, what: str) -> None:
    """Raise as :func:`post_ref_flow` would for a target that can name no record."""
    found = _uri_cid(target)
    if found is not None:
        parse_at_uri(found[0], what=what)
    elif isinstance(target, str):
        parse_at_uri(target, what=what)
    else:
        raise TypeError(
            f"{what}: expected a post view, a strong ref, a created record (uri and cid) or an "
            f"at:// URI, got {type(target).__name__}"
        )


def post_ref_flow(target: object, *, what: str) -> Flow[tuple[strong_ref.Main, Any]]:
    """A strong reference to the record ``target`` names, and the record when known.

    ``target`` is anything with ``uri`` and ``cid`` (a post view, a strong ref, a created
    record, a dict) or an ``at://`` URI, whose record is then read for its CID.
    """
    found = _uri_cid(target)
    if found is not None:
        parse_at_uri(found[0], what=what)
        return strong_ref.Main(uri=found[0], cid=found[1]), _record_of(target)
    if isinstance(target, str):
        uri, cid, value = yield _raw_record_plan(parse_at_uri(target, what=what))
        return strong_ref.Main(uri=uri, cid=cid), value
    raise TypeError(
        f"{what}: expected a post view, a strong ref, a created record (uri and cid) or an "
        f"at:// URI, got {type(target).__name__}"
    )


def actor_did_flow(actor: object, *, what: str) -> Flow[str]:
    """The DID of ``actor``: a DID, a handle (resolved by the PDS), or a profile view."""
    from atlex.syntax import is_valid_did, is_valid_handle

    did = getattr(actor, "did", None)
    if isinstance(did, str):
        actor = did
    if not isinstance(actor, str):
        raise TypeError(
            f"{what}: expected a DID, a handle or a profile view, got {type(actor).__name__}"
        )
    name = actor.removeprefix("@")
    if name.startswith("did:"):
        if not is_valid_did(name):
            raise LexValidationError(f"{what}: {actor!r} is not a valid DID", path=what)
        return name
    if not is_valid_handle(name):
        raise LexValidationError(f"{what}: {actor!r} is neither a DID nor a handle", path=what)
    resolved: str = yield resolve_handle_plan(name)
    return resolved
