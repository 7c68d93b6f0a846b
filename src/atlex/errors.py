"""Errors raised by atlex clients (upstream ``@atproto/lex-client`` errors.ts, lex-data LexError).

Every error carries an XRPC ``error`` code and a ``message``. The hierarchy::

    LexError
    ├── LexValidationError          invalid data on our side (e.g. a wrong parameter), ValueError too
    ├── LexAuthFactorError          login needs a second factor (raised by the password session)
    └── XrpcError                   anything that went wrong during an XRPC call
        ├── XrpcResponseError       the server answered with an error status (>= 400)
        │   ├── XrpcAuthenticationError   401, with the parsed WWW-Authenticate header
        │   ├── XrpcProxyError            the PDS cannot reach the atproto-proxy service
        │   └── <generated>         one subclass per lexicon-declared error (put_record.InvalidSwapError)
        ├── XrpcInvalidResponseError      the answer is not what the method declares
        │   └── XrpcResponseValidationError   the JSON does not match the output schema
        └── XrpcInternalError       the call could not be made
            └── XrpcFetchError      the agent failed to send (network, timeout): retryable

Generated type modules import this module, so it must stay import-light (no httpx).

One job in a little over 400 lines: the one error hierarchy every part of atlex raises from (the
XRPC errors above, then the identity errors), each class with the docs a user reads when catching
it. The ``WWW-Authenticate`` parser lives in :mod:`atlex._www_authenticate` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atlex._www_authenticate import parse_www_authenticate

__all__ = [
    "RETRYABLE_STATUSES",
    "LexAuthFactorError",
    "LexError",
    "LexValidationError",
    "XrpcAuthenticationError",
    "XrpcError",
    "XrpcFetchError",
    "XrpcInternalError",
    "XrpcInvalidResponseError",
    "XrpcProxyError",
    "XrpcResponseError",
    "XrpcResponseValidationError",
    "parse_www_authenticate",
    "status_error_code",
]

RETRYABLE_STATUSES: frozenset[int] = frozenset({408, 425, 429, 500, 502, 503, 504, 522, 524})
"""Statuses that signal a transient failure (upstream ``RETRYABLE_HTTP_STATUS_CODES``)."""

_STATUS_CODES: dict[int, str] = {
    400: "InvalidRequest",
    401: "AuthenticationRequired",
    403: "Forbidden",
    404: "XRPCNotSupported",
    406: "NotAcceptable",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    429: "RateLimitExceeded",
    500: "InternalServerError",
    501: "MethodNotImplemented",
    502: "UpstreamFailure",
    503: "NotEnoughResources",
    504: "UpstreamTimeout",
}


def status_error_code(status: int) -> str:
    """The XRPC error code for a status whose body is not an XRPC error object."""
    code = _STATUS_CODES.get(status)
    if code is not None:
        return code
    return "UpstreamFailure" if status >= 500 else "InvalidRequest"


def _rebuild(cls: type[LexError], args: tuple[Any, ...], state: dict[str, Any]) -> LexError:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class LexError(Exception):
    """Base of every atlex error: an XRPC-style ``error`` code plus a human ``message``."""

    def __reduce__(self) -> tuple[Any, ...]:
        # subclasses take keyword-only arguments, which Exception's default pickling drops
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))

    error: str
    message: str

    def __init__(self, error: str, message: str | None = None) -> None:
        self.error = error
        self.message = message if message is not None else f"{error} Lexicon RPC error"
        super().__init__(self._describe())

    def _describe(self) -> str:
        return f"{self.error}: {self.message}"

    def to_json(self) -> dict[str, str]:
        """The ``{"error", "message"}`` body a server would send for this error."""
        return {"error": self.error, "message": self.message}


class LexValidationError(LexError, ValueError):
    """Data we were about to send is invalid; ``path`` names where (e.g. ``limit``)."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__("InvalidRequest", message)


class LexAuthFactorError(LexError):
    """Login needs the second factor (``AuthFactorTokenRequired``): ask the user for the emailed
    code and log in again with it. ``__cause__`` is the failure that carried the request."""

    def __init__(self, failure: XrpcError) -> None:
        message = failure.message if failure.message else "Auth factor token required"
        super().__init__(failure.error, message)
        self.failure = failure
        self.__cause__ = failure


class XrpcError(LexError):
    """Any failure of an XRPC call. ``nsid`` names the method, when known."""

    def __init__(self, error: str, message: str | None = None, *, nsid: str | None = None) -> None:
        self.nsid = nsid
        super().__init__(error, message)

    def _describe(self) -> str:
        where = f" ({self.nsid})" if self.nsid else ""
        return f"{self.error}: {self.message}{where}"

    def should_retry(self) -> bool:
        """Whether the failure is transient, so that sending the same request again may work."""
        return False


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works for httpx.Headers and plain dicts alike."""
    value = headers.get(name)
    if value is not None:
        return value
    for key, item in headers.items():
        if key.lower() == name:
            return item
    return None


class XrpcResponseError(XrpcError):
    """The server answered with an error status.

    ``error`` and ``message`` come from the body when it is an XRPC error object, otherwise from
    the status (see :func:`status_error_code`). ``body`` is the parsed JSON body, the raw bytes
    when it was not JSON, or None when it was empty.
    """

    def __init__(
        self,
        error: str,
        message: str | None = None,
        *,
        status: int,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        nsid: str | None = None,
    ) -> None:
        self.status = status
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        self.body = body
        super().__init__(error, message, nsid=nsid)

    def _describe(self) -> str:
        where = f" from {self.nsid}" if self.nsid else ""
        return f"{self.error}: {self.message} (HTTP {self.status}{where})"

    def should_retry(self) -> bool:
        return self.status in RETRYABLE_STATUSES

    def header(self, name: str) -> str | None:
        """A response header, case-insensitively."""
        return _header(self.headers, name.lower())


class XrpcAuthenticationError(XrpcResponseError):
    """A 401: authentication is missing or was refused. Never retried as such."""

    _www_authenticate: dict[str, str | dict[str, str]] | None = None

    def should_retry(self) -> bool:
        return False

    @property
    def www_authenticate(self) -> dict[str, str | dict[str, str]]:
        """The parsed ``WWW-Authenticate`` header, e.g. ``{"Bearer": {"realm": "x"}}``;
        empty when absent or malformed."""
        if self._www_authenticate is None:
            raw = self.header("www-authenticate")
            self._www_authenticate = parse_www_authenticate(raw) if raw is not None else {}
            if self._www_authenticate is None:
                self._www_authenticate = {}
        return self._www_authenticate


class XrpcProxyError(XrpcResponseError):
    """The PDS could not forward the call to the service named by ``atproto-proxy``
    (``Client(proxy=...)`` / ``CallOptions(proxy=...)``): it cannot resolve that DID or the DID
    document names no such service. ``str()`` says what to do."""

    HINT = (
        "the PDS cannot reach the atproto-proxy service (Client(proxy=...) or "
        "CallOptions(proxy=...)); a local PDS cannot resolve Bluesky's did:web:api.bsky.app: "
        "pass the AppView DID that `make network-up` prints (ending in #bsky_appview), or no "
        "proxy at all (a PDS forwards app.bsky.* to its own AppView)"
    )

    def _describe(self) -> str:
        return f"{super()._describe()}: {self.HINT}"


class XrpcInvalidResponseError(XrpcError):
    """The response does not follow the XRPC rules or the method's declaration
    (unexpected status, wrong content type, unparsable body)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        nsid: str | None = None,
    ) -> None:
        self.status = status
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        self.body = body
        super().__init__("InvalidResponse", message, nsid=nsid)

    def should_retry(self) -> bool:
        return self.status in RETRYABLE_STATUSES


class XrpcResponseValidationError(XrpcInvalidResponseError):
    """The response JSON does not match the method's output schema."""


class XrpcInternalError(XrpcError):
    """The call could not be made (invalid request data, a closed session ...)."""

    def __init__(self, message: str | None = None, *, nsid: str | None = None) -> None:
        super().__init__(
            "InternalServerError",
            message if message is not None else "Unable to fulfill XRPC request",
            nsid=nsid,
        )


class XrpcFetchError(XrpcInternalError):
    """The agent could not send the request or read the answer (connection refused, timeout).

    Optimistically retryable, like upstream: most transport failures are transient.
    """

    def __init__(self, cause: BaseException, *, nsid: str | None = None) -> None:
        super().__init__(_describe_transport_failure(cause), nsid=nsid)
        self.__cause__ = cause

    def should_retry(self) -> bool:
        return True


# what went wrong, by the transport exception's class (httpx's names; checked by name so that
# this module need not import httpx)
_TRANSPORT_FAILURES = (
    ("ConnectTimeout", "timed out connecting to the server"),
    ("ConnectError", "could not connect to the server"),
    ("TimeoutException", "the server did not answer in time"),
    ("RemoteProtocolError", "the server closed the connection or answered with broken HTTP"),
    ("ReadError", "the connection broke while reading the answer"),
    ("WriteError", "the connection broke while sending the request"),
    ("ProxyError", "the HTTP proxy refused the request"),
    ("UnsupportedProtocol", "the service URL is not http:// or https://"),
    ("TimeoutError", "the server did not answer in time"),
    ("ConnectionError", "could not connect to the server"),
)


def _describe_transport_failure(cause: BaseException) -> str:
    """A sentence a user understands: what failed, where, and the transport's own words."""
    names = {cls.__name__ for cls in type(cause).__mro__}
    what = next(
        (text for name, text in _TRANSPORT_FAILURES if name in names),
        "could not send the request or read the answer",
    )
    where = ""
    try:
        request: Any = getattr(cause, "request")  # noqa: B009  # httpx.RequestError; raises if unset
        url: Any = request.url
        scheme: object = url.scheme
        host: object = url.host
        port: object = url.port
        where = f" at {scheme}://{host}" + (f":{port}" if port else "")
    except Exception:  # no request attached: say nothing about where (never the full URL)
        pass
    detail = str(cause) or type(cause).__name__
    return f"{what}{where} ({detail})"


# --- identity: handles, DIDs, keys (atlex.identity) --------------------------------------------
#
#    LexError
#    └── IdentityError              ``identifier`` names the handle / DID / key, ``reason`` says why
#        ├── InvalidIdentifierError      malformed handle or DID, unsupported DID method (ValueError)
#        ├── InvalidKeyError             a did:key / Multikey that is not a P-256 or secp256k1 key
#        ├── HandleNotFoundError         neither DNS TXT nor HTTPS well-known names a DID
#        ├── HandleAmbiguousError        DNS names two different DIDs
#        ├── DidNotFoundError            the PLC directory or the did:web host has no document
#        ├── DidDeactivatedError         the DID was tombstoned / deactivated
#        ├── DidDocumentError            the document is malformed or lacks what atproto needs
#        │   ├── MissingPdsError             no usable #atproto_pds service
#        │   └── MissingSigningKeyError      no usable #atproto verification method
#        └── IdentityUnreachableError    a server did not answer in time (retryable)

__all__ += [
    "DidDeactivatedError",
    "DidDocumentError",
    "DidNotFoundError",
    "HandleAmbiguousError",
    "HandleNotFoundError",
    "IdentityError",
    "IdentityUnreachableError",
    "InvalidIdentifierError",
    "InvalidKeyError",
    "MissingPdsError",
    "MissingSigningKeyError",
]


class IdentityError(LexError):
    """A handle, DID or key could not be resolved or used.

    ``identifier`` is what was asked for (as given), ``reason`` why it failed; the message is
    ``"<identifier>: <reason>"``.
    """

    code = "IdentityError"

    def __init__(self, identifier: str, reason: str) -> None:
        self.identifier = identifier
        self.reason = reason
        super().__init__(self.code, f"{identifier}: {reason}")

    def should_retry(self) -> bool:
        """Whether asking again later may succeed (a server did not answer)."""
        return False


class InvalidIdentifierError(IdentityError, ValueError):
    """Not a valid handle or DID (or a DID method atproto does not resolve)."""

    code = "InvalidIdentifier"


class InvalidKeyError(IdentityError, ValueError):
    """A ``did:key`` or Multikey that is malformed or not a P-256 / secp256k1 public key."""

    code = "InvalidKey"


class HandleNotFoundError(IdentityError):
    """No DID is published for the handle (DNS TXT ``_atproto.<handle>`` nor HTTPS well-known)."""

    code = "HandleNotFound"


class HandleAmbiguousError(IdentityError):
    """DNS names more than one DID for the handle (or another TXT name, such as a lexicon
    authority's); the spec says resolution must fail."""

    code = "HandleAmbiguous"


class DidNotFoundError(IdentityError):
    """The PLC directory or the ``did:web`` host has no document for the DID."""

    code = "DidNotFound"


class DidDeactivatedError(IdentityError):
    """The DID exists but was deactivated (a PLC tombstone, HTTP 410)."""

    code = "DidDeactivated"


class DidDocumentError(IdentityError):
    """The DID document is malformed, is for another DID, or lacks what atproto needs."""

    code = "InvalidDidDocument"


class MissingPdsError(DidDocumentError):
    """The DID document names no usable ``#atproto_pds`` service."""

    code = "MissingPds"


class MissingSigningKeyError(DidDocumentError):
    """The DID document names no usable ``#atproto`` signing key."""

    code = "MissingSigningKey"


class IdentityUnreachableError(IdentityError):
    """A DNS server, PLC directory or web host did not answer (timeout, refused, 5xx)."""

    code = "IdentityUnreachable"

    def should_retry(self) -> bool:
        return True
