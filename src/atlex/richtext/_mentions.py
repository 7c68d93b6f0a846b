"""Mention resolution: the handles detection found become DIDs, asked of the client's PDS with
``com.atproto.identity.resolveHandle`` as ``RichText.detectFacets(agent)`` does upstream (the
PDS resolves any handle, including ones only it knows, and its answer is what the network will
accept).

A handle the server cannot resolve (an error answer with status 400: unknown or malformed
handle) loses its mention facet, as the Bluesky app strips mentions left without a DID. Any
other failure (network, 5xx, auth) is raised: dropping mentions because a request timed out
would silently change the post.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from atlex._flow import Batch, Flow
from atlex._pds_calls import resolve_handle_plan
from atlex.errors import XrpcResponseError
from atlex.lex.app.bsky.richtext import facet as _facet

__all__ = ["handles_to_resolve", "resolve_mentions_flow", "with_dids"]


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


def resolve_mentions_flow(facets: list[_facet.Main]) -> Flow[list[_facet.Main]]:
    """Resolve every mentioned handle (one batch: concurrent on an async client)."""
    handles = handles_to_resolve(facets)
    if not handles:
        return facets
    results: list[object] = yield Batch(tuple(resolve_handle_plan(h) for h in handles))
    dids: dict[str, str | None] = {}
    for handle, result in zip(handles, results, strict=True):
        if isinstance(result, XrpcResponseError) and result.status == 400:
            dids[handle] = None  # unknown or malformed handle
        elif isinstance(result, Exception):
            raise result
        else:
            dids[handle] = str(result)
    return with_dids(facets, dids)
