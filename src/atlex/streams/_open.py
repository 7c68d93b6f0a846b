"""What generated subscription stubs call: ``client.<ns>.subscribe_x(...)`` opens the stream
through the same functions users call directly (:mod:`atlex.streams._api`), on the client's
service.

The service is, in order: ``service=`` given to the stub; the PDS of a logged-in session
(password or OAuth; the DID document's ``#atproto_pds`` wins over the login URL); the URL of a
``Client("https://...")``. ``https://`` becomes ``wss://``. No credentials are sent: the
protocol's subscriptions are public.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from msgspec import UNSET

from atlex._method import Subscription
from atlex.streams._api import (
    async_subscribe,
    async_subscribe_repos,
    subscribe,
    subscribe_repos,
)

__all__ = ["open_stream", "service_of"]

_REPOS = "com.atproto.sync.subscribeRepos"
"""Specialised by the runtime: typed commit ops and verification (:func:`subscribe_repos`)."""


def service_of(agent: object) -> str:
    """The URL the client's requests go to, or a clear error when the agent does not say."""
    data: Any = getattr(agent, "session", None)
    pds = getattr(data, "pds", None)  # an OAuth session
    if isinstance(pds, str):
        return pds
    if data is not None and isinstance(getattr(data, "service", None), str):  # password
        from atlex.identity._document import extract_pds_endpoint

        found = extract_pds_endpoint(getattr(data, "did_doc", None))
        return found or str(data.service)
    service = getattr(agent, "service", None)  # Client("https://...")
    if isinstance(service, str):
        return service
    raise TypeError(
        f"cannot tell which service a {type(agent).__name__} talks to: pass service='https://...'"
    )


def open_stream(
    client: Any,
    sub: Subscription,
    params: Mapping[str, Any],
    settings: Mapping[str, Any],
    *,
    asynchronous: bool,
) -> Any:
    """A ``Stream`` (or ``AsyncStream``) of ``sub`` for the stub of ``client``'s namespace."""
    kwargs = dict(settings)
    service = kwargs.pop("service", None) or service_of(client.agent)
    # UNSET / None parameters are left out; ``cursor`` is the stream's own resume point
    given = {k: v for k, v in params.items() if v is not None and v is not UNSET}
    cursor = given.pop("cursor", None)
    if sub.nsid == _REPOS:
        opener = async_subscribe_repos if asynchronous else subscribe_repos
        return opener(service, cursor=cursor, **kwargs)
    module = importlib.import_module(sub.module)
    generic = async_subscribe if asynchronous else subscribe
    return generic(service, module, given, cursor=cursor, **kwargs)
