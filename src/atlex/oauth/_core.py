"""The OAuth session's logic on the shared chain (:mod:`atlex.session._chain`): DPoP-bound
requests to the PDS, refresh (one for all concurrent callers), revocation at logout."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx

from atlex._agent import XrpcRequest
from atlex.errors import XrpcError, XrpcFetchError
from atlex.oauth._data import OAuthSessionData
from atlex.oauth._dpop import dpop_proof, is_use_nonce_401
from atlex.oauth._errors import OAuthResponseError
from atlex.oauth._flows import ClientConfig, refresh_tokens, revoke_token
from atlex.oauth._jose import EcKey
from atlex.oauth._metadata import AuthServerMetadata
from atlex.session import _wire
from atlex.session._chain import ChainCore, Close, Flow, Hook, LoggedOutError, Send, Signal
from atlex.session._routing import origin_url

__all__ = ["OAuthCore"]

S = TypeVar("S", bound=Signal)

# token-endpoint errors that mean the grant is gone for good (expired, revoked, replayed)
_FINAL_REFRESH_ERRORS = frozenset({"invalid_grant", "unauthorized_client", "invalid_client"})


class OAuthCore(ChainCore[S, OAuthSessionData]):
    def __init__(
        self,
        data: OAuthSessionData,
        make_signal: Callable[[], S],
        config: ClientConfig,
        server: AuthServerMetadata,
    ) -> None:
        super().__init__(data, make_signal)
        self.config = config
        self.server = server
        self._keys: dict[str, EcKey] = {}

    def key(self, data: OAuthSessionData) -> EcKey:
        x = data.dpop_key.get("x", "")
        key = self._keys.get(x)
        if key is None:
            key = self._keys[x] = EcKey.from_jwk(data.dpop_key)
        return key

    # -- ChainCore -----------------------------------------------------------------------------

    def stale(self, data: OAuthSessionData) -> bool:
        return data.expires_soon()

    def refresh_op(
        self, data: OAuthSessionData, reasons: list[XrpcError]
    ) -> Flow[OAuthSessionData]:
        try:
            fresh = yield from refresh_tokens(self.config, self.server, data)
        except OAuthResponseError as exc:
            if exc.error in _FINAL_REFRESH_ERRORS:
                yield Hook("store_del", (data.did,))
                yield Hook("on_deleted", (data,))
                self.data = None
                raise
            reasons.append(exc)
            yield Hook("on_update_failure", (data, exc))
            return data
        except httpx.HTTPError as exc:
            failure = XrpcFetchError(exc)
            reasons.append(failure)
            yield Hook("on_update_failure", (data, failure))
            return data
        # the rotated refresh token is stored before anything uses it
        yield Hook("store_set", (fresh.did, fresh))
        yield Hook("on_updated", (fresh,))
        self.data = fresh
        return fresh

    def logout_op(self, data: OAuthSessionData, reasons: list[XrpcError]) -> Flow[OAuthSessionData]:
        token = data.refresh_token or data.access_token
        failure: XrpcError | None = None
        try:
            yield from revoke_token(self.config, self.server, self.key(data), token)
        except OAuthResponseError as exc:
            if exc.status >= 500:
                failure = exc
        except httpx.HTTPError as exc:
            failure = XrpcFetchError(exc)
        if failure is not None:
            reasons.append(failure)
            yield Hook("on_delete_failure", (data, failure))
            return data
        yield Hook("store_del", (data.did,))
        yield Hook("on_deleted", (data,))
        self.data = None
        raise LoggedOutError()

    def authorised_send(self, data: OAuthSessionData, request: XrpcRequest) -> Flow[httpx.Response]:
        url = origin_url(data.pds, request.path)
        key = self.key(data)
        nonces = self.config.nonces
        first = True
        while True:
            nonce = nonces.get(url)
            proof = dpop_proof(
                key, request.method, url, nonce=nonce, access_token=data.access_token
            )
            headers = [
                *request.headers,
                ("authorization", f"DPoP {data.access_token}"),
                ("dpop", proof),
            ]
            call = _wire.HttpCall(
                request.method, url, headers, request.content, request.timeout, request.stream
            )
            response: httpx.Response = yield Send(call)
            answered = nonces.learn(url, response)
            retry = first and request.replayable and is_use_nonce_401(response)
            if not retry or answered in (None, nonce):
                return response
            first = False
            yield Close(response)

    def needs_refresh(self, response: httpx.Response) -> Flow[bool]:
        yield from ()  # decided from the headers alone
        return response.status_code == 401 and not is_use_nonce_401(response)

    def same_credentials(self, old: OAuthSessionData, new: OAuthSessionData) -> bool:
        return old.access_token == new.access_token
