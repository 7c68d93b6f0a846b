"""Where requests go: the PDS from the DID document (``atlex.identity``), URL joining, the
login-URL form."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from atlex.identity._document import extract_pds_endpoint

__all__ = ["LoginUrl", "check_service", "extract_pds_endpoint", "origin_url", "parse_login_url"]


def origin_url(base: str, path: str) -> str:
    """``new URL(path, base)`` for an absolute ``path``: the base's origin followed by ``path``."""
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}{path}"


def check_service(service: object, *, argument: str = "service") -> str:
    """The service URL as a string, or a clear error naming the argument."""
    if not isinstance(service, str):
        raise TypeError(f"{argument} must be a URL string, got {type(service).__name__}")
    try:
        parts = urlsplit(service)
    except ValueError as exc:
        raise ValueError(f"{argument} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{argument} must be an http(s) URL with a host, got {service!r}")
    if parts.username is not None or parts.password is not None:
        # keep credentials out of the stored SessionData (and out of this message)
        raise ValueError(f"{argument} must not contain credentials; pass the URL to login()")
    return service


@dataclass(frozen=True, slots=True, repr=False)
class LoginUrl:
    service: str
    identifier: str
    password: str


def parse_login_url(url: str) -> LoginUrl:
    """Split ``https://<identifier>:<password>@<host>`` (values taken as written, not decoded).

    Error messages never repeat the URL: it holds a password.
    """
    form = "login URL must look like https://<identifier>:<password>@<host>"
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        port = parts.port
    except ValueError:
        raise ValueError(f"{form}: it does not parse as a URL") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise ValueError(f"{form}: it needs an http(s) scheme and a host")
    if parts.path not in ("", "/"):
        raise ValueError(f"{form}: it must have no path")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ValueError(f"{form}: it must have no query or fragment")
    if not parts.username or not parts.password:
        raise ValueError(f"{form}: both identifier and password are required")
    host_port = parts.netloc.rpartition("@")[2]
    del port  # parsed only to reject a malformed port above
    return LoginUrl(f"{parts.scheme}://{host_port}", parts.username, parts.password)
