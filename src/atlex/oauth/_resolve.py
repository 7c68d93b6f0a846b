"""The default identity resolver: ``atlex.identity`` (imported when first needed)."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["default_async_resolver", "default_resolver"]


def _identity_module() -> Any:
    try:
        return importlib.import_module("atlex.identity")
    except ImportError as exc:  # pragma: no cover - depends on the installed version
        raise RuntimeError(
            "resolving a handle or DID needs atlex.identity; pass resolver=... to the OAuth "
            "client, or give authorize() the PDS URL"
        ) from exc


def default_resolver() -> Any:
    """``atlex.identity.IdentityResolver()``: handle/DID → DID, PDS (bidirectionally checked)."""
    return _identity_module().IdentityResolver()


def default_async_resolver() -> Any:
    return _identity_module().AsyncIdentityResolver()
