"""OAuth scopes: the fixed ones as constants, the granular permission scopes as builders, and
the scopes a lexicon ``permission-set`` grants.

::

    from atlex.oauth import scopes

    scope = scopes.join(
        scopes.ATPROTO,
        scopes.repo("app.bsky.feed.post", actions=["create"]),
        scopes.rpc("app.bsky.actor.getProfile", aud="did:web:api.bsky.app#bsky_appview"),
        scopes.blob("image/*"),
    )
    # a permission set published as a lexicon (the generated module's PERMISSION_SET):
    from atlex.lex.com.example import basic_access        # hypothetical permission-set module
    basic_access.SCOPE                                    # 'include:com.example.basicAccess'
    basic_access.SCOPES                                   # its granular repo: / rpc: scopes
    access = scopes.permission_set(basic_access)          # title, detail, scopes(aud=...)

The string forms follow ``@atproto/oauth-scopes`` (single values positional, several values as
repeated query parameters, sorted, defaults left out).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final, Literal, cast
from urllib.parse import quote, urlencode

__all__ = [
    "ATPROTO",
    "TRANSITION_CHAT_BSKY",
    "TRANSITION_EMAIL",
    "TRANSITION_GENERIC",
    "PermissionSet",
    "account",
    "blob",
    "identity",
    "include",
    "join",
    "permission_set",
    "repo",
    "rpc",
]

ATPROTO: Final = "atproto"
"""Required in every request: the atproto profile of OAuth (the account's DID, nothing more)."""
TRANSITION_GENERIC: Final = "transition:generic"
"""Everything an app password allows (no DMs, no account management)."""
TRANSITION_CHAT_BSKY: Final = "transition:chat.bsky"
"""With ``transition:generic``: Bluesky direct messages."""
TRANSITION_EMAIL: Final = "transition:email"
"""The account's email address (``com.atproto.server.getSession``)."""

# encodeURIComponent / URLSearchParams, then ':/+,@' left readable (as upstream normalises)
_POSITIONAL_SAFE = "!*'():/+,@"
_PARAM_SAFE = "*:/,@"

RepoAction = Literal["create", "update", "delete"]
REPO_ACTIONS: tuple[RepoAction, ...] = ("create", "update", "delete")


def _format(
    prefix: str, positional: str, values: Sequence[str], extra: Iterable[tuple[str, str]]
) -> str:
    """``prefix:value`` for one value, ``prefix?name=a&name=b`` for several; then ``extra``."""
    params = list(extra)
    if len(values) == 1:
        head = f"{prefix}:{quote(values[0], safe=_POSITIONAL_SAFE)}"
    else:
        head = prefix
        params = [(positional, value) for value in values] + params
    if not params:
        return head
    return f"{head}?{urlencode(params, safe=_PARAM_SAFE, quote_via=quote)}"


def _unique_sorted(values: Iterable[str], what: str) -> list[str]:
    items = sorted(set(values))
    if not items:
        raise ValueError(f"{what}: give at least one")
    return ["*"] if "*" in items else items


def repo(*collections: str, actions: Iterable[RepoAction] | None = None) -> str:
    """``repo:<collection>``: write records of these collections (``*``: any); all actions
    unless ``actions`` narrows them."""
    chosen = (
        list(REPO_ACTIONS) if actions is None else [a for a in REPO_ACTIONS if a in set(actions)]
    )
    if not chosen:
        raise ValueError("repo scope: actions must name create, update and/or delete")
    extra = [] if chosen == list(REPO_ACTIONS) else [("action", a) for a in chosen]
    return _format("repo", "collection", _unique_sorted(collections, "repo scope"), extra)


def rpc(*lxm: str, aud: str) -> str:
    """``rpc:<nsid>?aud=<did#service>``: call these methods through the PDS on the service
    ``aud`` (``*``: any method / any service)."""
    return _format("rpc", "lxm", _unique_sorted(lxm, "rpc scope"), [("aud", aud)])


def blob(*accept: str) -> str:
    """``blob:<mime>``: upload blobs of these MIME types (``*/*``, ``image/*``...)."""
    return _format("blob", "accept", _unique_sorted(accept, "blob scope"), [])


def account(attr: Literal["email", "repo", "status"], *, manage: bool = False) -> str:
    """``account:<attr>``: read (or with ``manage`` change) an account attribute."""
    return _format("account", "attr", [attr], [("action", "manage")] if manage else [])


def identity(attr: Literal["handle", "*"]) -> str:
    """``identity:<attr>``: change the handle (or the whole identity with ``*``)."""
    return _format("identity", "attr", [attr], [])


def include(nsid: str, *, aud: str | None = None) -> str:
    """``include:<nsid>``: everything the permission set ``nsid`` grants; ``aud`` fills its
    ``inheritAud`` rpc permissions."""
    return _format("include", "nsid", [nsid], [("aud", aud)] if aud is not None else [])


def join(*scopes: str) -> str:
    """One space-separated scope string, duplicates removed, order kept."""
    seen: dict[str, None] = {}
    for scope in scopes:
        for part in scope.split():
            seen.setdefault(part, None)
    return " ".join(seen)


@dataclass(frozen=True)
class PermissionSet:
    """A lexicon ``permission-set`` def: its ``include:`` scope and the granular scopes."""

    nsid: str
    title: str | None
    detail: str | None
    permissions: tuple[Mapping[str, Any], ...]

    @property
    def scope(self) -> str:
        return include(self.nsid)

    def scopes(self, *, aud: str | None = None) -> list[str]:
        """The ``repo:`` and ``rpc:`` scopes it grants (as the server expands ``include:``);
        ``aud`` is the audience of ``inheritAud`` rpc permissions (left out without it)."""
        out: list[str] = []
        for permission in self.permissions:
            resource = permission.get("resource")
            if resource == "repo":
                collections = _strings(permission.get("collection"))
                actions = permission.get("action")
                chosen = (
                    cast("list[RepoAction]", _strings(actions)) if actions is not None else None
                )
                if collections:
                    out.append(repo(*collections, actions=chosen))
            elif resource == "rpc":
                own = permission.get("aud")
                if own not in (None, "*"):
                    continue  # a set may not name a specific audience
                target = aud if permission.get("inheritAud") is True else own
                lxm = _strings(permission.get("lxm"))
                if target is not None and lxm:
                    out.append(rpc(*lxm, aud=str(target)))
        return out


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in cast("list[Any]", value) if isinstance(item, str)]
    return []


def permission_set(
    source: ModuleType | Mapping[str, Any], nsid: str | None = None
) -> PermissionSet:
    """The permission set of a generated module (its ``NSID`` and ``PERMISSION_SET``), or of a
    def given as a mapping with its ``nsid``."""
    if isinstance(source, ModuleType):
        definition: Any = getattr(source, "PERMISSION_SET", None)
        nsid = nsid or cast("str | None", getattr(source, "NSID", None))
        if definition is None:
            raise ValueError(
                f"{source.__name__} has no PERMISSION_SET (not a permission-set lexicon)"
            )
    else:
        definition = source
    empty: Mapping[str, Any] = {}
    fields = cast("Mapping[str, Any]", definition) if isinstance(definition, Mapping) else empty
    if fields.get("type") != "permission-set":
        raise ValueError("not a permission-set def (its 'type' must be 'permission-set')")
    if not nsid:
        raise ValueError("the permission set's NSID is needed")
    permissions = fields.get("permissions")
    items = cast("list[Any]", permissions) if isinstance(permissions, list) else []
    title, detail = fields.get("title"), fields.get("detail")
    return PermissionSet(
        nsid=nsid,
        title=title if isinstance(title, str) else None,
        detail=detail if isinstance(detail, str) else None,
        permissions=tuple(cast("Mapping[str, Any]", p) for p in items if isinstance(p, Mapping)),
    )
