"""OAuth errors. None of them ever quotes a token, a code, a verifier or a key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atlex.errors import LexError, XrpcResponseError

__all__ = ["OAuthCallbackError", "OAuthError", "OAuthMetadataError", "OAuthResponseError"]


class OAuthError(LexError):
    """Base of the OAuth client's own errors (``error`` code plus ``message``)."""

    def __init__(self, message: str, *, error: str = "OAuthError") -> None:
        super().__init__(error, message)


class OAuthMetadataError(OAuthError):
    """A server's OAuth metadata is missing, unreadable or unsafe; ``url`` says where."""

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(f"{message} ({url})", error="InvalidMetadata")


class OAuthCallbackError(OAuthError):
    """The redirect back from the authorization server was refused (an ``error`` from the
    server, an unknown ``state``, a wrong ``iss``, a ``sub`` other than the account asked for).

    ``app_state`` is the application's state given to ``authorize()``, when it was known.
    """

    def __init__(self, message: str, *, error: str, app_state: str | None = None) -> None:
        self.app_state = app_state
        super().__init__(message, error=error)


class OAuthResponseError(XrpcResponseError):
    """An OAuth endpoint (PAR, token, revocation) answered with an error (``invalid_grant``...).

    A subclass of :class:`~atlex.errors.XrpcResponseError`, so session hooks see one failure
    type for XRPC and OAuth calls alike.
    """

    def __init__(
        self,
        error: str,
        message: str | None,
        *,
        status: int,
        headers: Mapping[str, str],
        body: Any,
        endpoint: str,
    ) -> None:
        self.endpoint = endpoint
        super().__init__(error, message, status=status, headers=headers, body=body)

    def _describe(self) -> str:
        return f"{self.error}: {self.message} ({self.endpoint})"
