"""``SessionData``: what a password session persists, in the TypeScript package's JSON shape.

The TypeScript ``SessionData`` is the ``com.atproto.server.createSession`` output plus ``service``
(the URL the user logged in to). Its JSON, key for key::

    {"accessJwt": "...", "refreshJwt": "...", "handle": "alice.test", "did": "did:plc:...",
     "didDoc": {...}, "email": "...", "emailConfirmed": true, "emailAuthFactor": false,
     "active": true, "status": "takendown", "service": "https://pds.example"}

Only the first four keys and ``service`` are required; absent optional keys are left out (None
here), never written as ``null``. Keys a server adds beyond the lexicon are kept in ``extra`` and
written back, as the TypeScript object spread keeps them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import msgspec

__all__ = ["SessionData", "SessionDataError"]

# wire key -> (attribute, expected type, required)
_FIELDS: tuple[tuple[str, str, type, bool], ...] = (
    ("accessJwt", "access_jwt", str, True),
    ("refreshJwt", "refresh_jwt", str, True),
    ("handle", "handle", str, True),
    ("did", "did", str, True),
    ("didDoc", "did_doc", dict, False),
    ("email", "email", str, False),
    ("emailConfirmed", "email_confirmed", bool, False),
    ("emailAuthFactor", "email_auth_factor", bool, False),
    ("active", "active", bool, False),
    ("status", "status", str, False),
    ("service", "service", str, True),
)
_KNOWN = frozenset(wire for wire, *_ in _FIELDS)
_SECRET = frozenset({"accessJwt", "refreshJwt"})


class SessionDataError(ValueError):
    """Session data (saved JSON or a server response) that does not have the required shape."""


@dataclasses.dataclass(frozen=True, slots=True, repr=False, kw_only=True)
class SessionData:
    """One authenticated session: tokens, account and the entryway it was created on.

    Immutable: a refresh produces a new instance (``dataclasses.replace`` works too). ``repr`` and
    ``str`` never show the tokens.
    """

    access_jwt: str
    refresh_jwt: str
    handle: str
    did: str
    service: str
    """The URL used to log in (the entryway); refresh and logout always go there."""
    did_doc: dict[str, Any] | None = None
    """The account's DID document; its ``#atproto_pds`` service receives the data requests."""
    email: str | None = None
    email_confirmed: bool | None = None
    email_auth_factor: bool | None = None
    active: bool | None = None
    status: str | None = None
    """``takendown``, ``suspended``, ``deactivated`` or another value a server chose."""
    extra: Mapping[str, Any] = dataclasses.field(default_factory=lambda: {})
    """Keys of the persisted JSON that this version does not know, kept for the round trip."""

    # -- conversions ---------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "session data") -> SessionData:
        """Build from the TypeScript-shaped mapping; raises :class:`SessionDataError`."""
        if not isinstance(data, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise SessionDataError(f"{where}: expected a JSON object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for wire, attr, kind, required in _FIELDS:
            value = data.get(wire)
            if value is None:
                if required:
                    raise SessionDataError(f"{where}: missing required key {wire!r}")
                continue
            if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
                # never echo the value: it may be a token
                expected, got = _kind_name(kind), type(value).__name__
                raise SessionDataError(f"{where}: key {wire!r} must be a {expected}, got {got}")
            if kind is str and not value and wire in ("handle", "did", "service"):
                raise SessionDataError(f"{where}: key {wire!r} must not be empty")
            values[attr] = value
        extra = {k: v for k, v in data.items() if k not in _KNOWN}
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """The TypeScript-shaped mapping (absent optional keys left out, ``service`` last)."""
        out: dict[str, Any] = {}
        for wire, attr, _kind, _required in _FIELDS:
            if wire == "service":
                continue
            value = getattr(self, attr)
            if value is not None:
                out[wire] = value
        for key, value in self.extra.items():
            out.setdefault(key, value)
        out["service"] = self.service
        return out

    @classmethod
    def from_json(cls, text: str | bytes) -> SessionData:
        """Parse the JSON the TypeScript package (or :meth:`to_json`) wrote."""
        try:
            decoded: Any = msgspec.json.decode(text)
        except msgspec.DecodeError as exc:
            raise SessionDataError(f"session data: not valid JSON ({exc})") from None
        return cls.from_dict(decoded)

    def to_json(self) -> str:
        """Serialise to the TypeScript package's JSON shape (contains the tokens: store safely)."""
        return msgspec.json.encode(self.to_dict()).decode()

    # -- display without secrets --------------------------------------------------------------

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{attr}=<redacted>" if wire in _SECRET else f"{attr}={getattr(self, attr)!r}"
            for wire, attr, _kind, _required in _FIELDS
            if wire in _SECRET or wire in ("handle", "did", "service")
        )
        return f"SessionData({shown})"

    __str__ = __repr__


def _kind_name(kind: type) -> str:
    return {str: "string", bool: "boolean", dict: "JSON object"}.get(kind, kind.__name__)
