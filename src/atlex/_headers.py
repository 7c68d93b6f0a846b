"""Request headers for one call: client and per-call options, ``atproto-proxy``,
``atproto-accept-labelers`` and ``accept`` (upstream util.ts buildXrpcRequestHeaders and
client.ts buildXrpcOptions)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import msgspec
from msgspec import UNSET, UnsetType

from atlex._method import Method
from atlex._retry import NO_RETRY, RetryPolicy

__all__ = [
    "CallOptions",
    "CallSettings",
    "build_headers",
    "check_labeler",
    "check_service",
    "is_service",
]


class CallOptions(msgspec.Struct, frozen=True, kw_only=True):
    """Per-call options. ``UNSET`` inherits the client's setting; ``None`` removes it.

    * ``headers``: extra request headers (they win over the client's).
    * ``proxy``: the ``atproto-proxy`` service, e.g. ``did:web:api.bsky.app#bsky_appview``.
    * ``labelers``: labeler DIDs for ``atproto-accept-labelers``.
    * ``timeout``: seconds for the whole request.
    """

    headers: Mapping[str, str] | None = None
    proxy: str | UnsetType | None = UNSET
    labelers: Iterable[str] | UnsetType | None = UNSET
    timeout: float | UnsetType | None = UNSET

    def __post_init__(self) -> None:
        if isinstance(self.proxy, str):
            check_service(self.proxy)
        if self.labelers is not None and not isinstance(self.labelers, UnsetType):
            labelers = tuple(self.labelers)
            for did in labelers:
                check_labeler(did)
            msgspec.structs.force_setattr(self, "labelers", labelers)  # iterables are read once


class CallSettings(msgspec.Struct, frozen=True, kw_only=True):
    """A client's defaults for every call (fixed at construction except ``labelers``)."""

    headers: tuple[tuple[str, str], ...] = ()
    proxy: str | None = None
    labelers: tuple[str, ...] = ()
    app_labelers: tuple[str, ...] = ()
    timeout: float | None = None
    retry: RetryPolicy = NO_RETRY


_SERVICE = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]#[^#\s]{2,}$")


def is_service(value: str) -> bool:
    """``did:...#fragment`` with a fragment of at least two characters (upstream isService)."""
    return _SERVICE.match(value) is not None


def check_service(value: str) -> str:
    if not is_service(value):
        raise ValueError(
            f"invalid proxy service {value!r}: expected '<did>#<service id>', "
            "e.g. 'did:web:api.bsky.app#bsky_appview'"
        )
    return value


def check_labeler(value: str) -> str:
    if not isinstance(value, str) or not value.startswith("did:") or any(c in value for c in ",; "):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ValueError(f"invalid labeler {value!r}: expected a DID such as 'did:plc:...'")
    return value


def _merge(base: Iterable[tuple[str, str]], overrides: Iterable[tuple[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in (*base, *overrides):
        merged[name.lower()] = value
    return merged


def build_headers(
    method: Method, settings: CallSettings, options: CallOptions | None
) -> list[tuple[str, str]]:
    """The request headers for one call: client headers, then per-call headers, then the
    ``atproto-proxy`` / ``atproto-accept-labelers`` / ``accept`` rules."""
    call_headers = tuple((options.headers or {}).items()) if options else ()
    headers = _merge(settings.headers, call_headers)
    if "content-type" in headers:  # upstream: TypeError; a bad value is a ValueError here
        raise ValueError(
            f"unexpected content-type header ({headers['content-type']}): the body decides it"
        )

    # proxy: an explicit option wins, then a valid atproto-proxy header on this call, then the
    # client's default; None removes the header.
    proxy: str | UnsetType | None = options.proxy if options else UNSET
    if isinstance(proxy, UnsetType):
        from_call = dict((k.lower(), v) for k, v in call_headers).get("atproto-proxy")
        proxy = from_call if from_call is not None and is_service(from_call) else settings.proxy
    if proxy is None:
        headers.pop("atproto-proxy", None)
    else:
        headers["atproto-proxy"] = proxy

    # labelers: app labelers (with ;redact), then labelers, then those already in the header
    # unless labelers is None.
    labelers: Iterable[str] | UnsetType | None = options.labelers if options else UNSET
    if isinstance(labelers, UnsetType):
        labelers = settings.labelers
    combined: dict[str, None] = dict.fromkeys(f"{did};redact" for did in settings.app_labelers)
    if labelers is not None:
        combined.update(dict.fromkeys(labelers))
        existing = headers.get("atproto-accept-labelers", "")
        combined.update(dict.fromkeys(p.strip() for p in existing.split(",") if p.strip()))
    if combined:
        headers["atproto-accept-labelers"] = ", ".join(combined)
    else:
        headers.pop("atproto-accept-labelers", None)

    if method.output_encoding:
        headers["accept"] = method.output_encoding
    return list(headers.items())
