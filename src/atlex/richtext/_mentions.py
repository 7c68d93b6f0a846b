"""Mention resolution: the handles detection found become DIDs, asked of the client's PDS with
``com.atproto.identity.resolveHandle`` as ``RichText.detectFacets(agent)`` does upstream.

A handle the server cannot resolve (an error answer with status 400: unknown or malformed
handle) loses its mention facet, as the Bluesky app strips mentions left without a DID. Any
other failure (network, 5xx, auth) is raised: dropping mentions because a request timed out
would silently change the post.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import msgspec

from atlex.errors import XrpcResponseError
from atlex.lex.app.bsky.richtext import facet as _facet

if TYPE_CHECKING:
    from atlex import AsyncClient, Client

__all__ = ["handles_to_resolve", "resolve_mentions", "resolve_mentions_async", "with_dids"]


def _unresolved(feature: object) -> str | None:
    if isinstance(feature, _facet.Mention) and not feature.did.startswith("did:"):
        return feature.did
    return None


def handles_to_resolve(facets: list[_facet.Main]) -> list[str]:
    """The distinct handles held by mention features, in order of appearance."""
    found = (_unresolved(f) for facet in facets for f in facet.features)
    return list(dict.fromkeys(h for h in found if h is not None))


def with_dids(facets: list[_facet.Main], dids: Mapping[str, str | None]) -> list[_facet.Main]:
    """The facets with each handle replaced by its DID; mentions of handles that did not
    resolve (None) are removed, and facets left without features with them."""
    resolved: list[_facet.Main] = []
    for facet in facets:
        features: list[object] = []
        for feature in facet.features:
            handle = _unresolved(feature)
            if handle is None:
                features.append(feature)
            elif (did := dids.get(handle)) is not None:
                features.append(_facet.Mention(did=did))
        if features:
            resolved.append(msgspec.structs.replace(facet, features=features))
    return resolved


def _unresolvable(exc: XrpcResponseError) -> bool:
    return exc.status == 400


def resolve_mentions(facets: list[_facet.Main], client: Client) -> list[_facet.Main]:
    dids: dict[str, str | None] = {}
    for handle in handles_to_resolve(facets):
        try:
            dids[handle] = client.com.atproto.identity.resolve_handle(handle=handle).did
        except XrpcResponseError as exc:
            if not _unresolvable(exc):
                raise
            dids[handle] = None
    return with_dids(facets, dids)


async def resolve_mentions_async(
    facets: list[_facet.Main], client: AsyncClient
) -> list[_facet.Main]:
    import anyio

    dids: dict[str, str | None] = {}
    failures: list[Exception] = []

    async def resolve(handle: str) -> None:
        try:
            dids[handle] = (await client.com.atproto.identity.resolve_handle(handle=handle)).did
        except XrpcResponseError as exc:
            if not _unresolvable(exc):
                failures.append(exc)
            dids[handle] = None
        except Exception as exc:  # raised below as itself, not wrapped in an ExceptionGroup
            failures.append(exc)

    async with anyio.create_task_group() as group:
        for handle in handles_to_resolve(facets):
            group.start_soon(resolve, handle)
    if failures:
        raise failures[0]
    return with_dids(facets, dids)
