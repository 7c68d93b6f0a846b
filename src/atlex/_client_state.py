"""Per-client call settings (headers, proxy, labelers, timeout, retries, validation) and the
state both clients share; no I/O here.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

import msgspec
from msgspec import UnsetType

from atlex._agent import Agent, AsyncAgent
from atlex._nodes import Node
from atlex._retry import RetryPolicy
from atlex._xrpc import CallSettings, check_labeler, check_service, is_service

__all__ = [
    "ClientState",
    "agent_kind",
    "async_sleep",
    "check_agent",
    "client_settings",
    "not_authenticated",
    "sleep",
]


def client_settings(
    *,
    headers: Mapping[str, str] | None,
    proxy: str | None,
    labelers: Iterable[str],
    app_labelers: Iterable[str],
    timeout: float | None,
    max_retries: int,
) -> CallSettings:
    header_items = tuple((name.lower(), value) for name, value in (headers or {}).items())
    if proxy is not None:
        check_service(proxy)
    else:  # a valid atproto-proxy among the headers is the default service (upstream client.ts)
        proxy = next((v for k, v in header_items if k == "atproto-proxy" and is_service(v)), None)
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
    return CallSettings(
        headers=header_items,
        proxy=proxy,
        labelers=tuple(check_labeler(d) for d in labelers),
        app_labelers=tuple(check_labeler(d) for d in app_labelers),
        timeout=timeout,
        retry=RetryPolicy(max_retries=max_retries),
    )


class ClientState(Node):
    """Settings and labeler management shared by both clients (no I/O)."""

    app_labelers: ClassVar[tuple[str, ...]] = ()
    """Labelers every instance asks for with ``;redact`` unless it passes its own."""

    _settings: CallSettings

    @classmethod
    def configure(cls, *, app_labelers: Iterable[str]) -> None:
        """Set the class-wide ``app_labelers`` (upstream ``Client.configure``)."""
        cls.app_labelers = tuple(check_labeler(d) for d in app_labelers)

    def _owner(self) -> Any:
        return self

    @property
    def agent(self) -> Agent | AsyncAgent:
        """The agent requests go through (each client narrows the type)."""
        raise NotImplementedError

    @property
    def did(self) -> str | None:
        """The authenticated account's DID, if the agent has one."""
        return self.agent.did

    @property
    def assert_did(self) -> str:
        """The DID, or RuntimeError when the client is not authenticated."""
        did = self.agent.did
        if did is None:
            raise not_authenticated()
        return did

    def _did(self) -> str:
        return self.assert_did

    def _init_state(
        self,
        headers: Mapping[str, str] | None,
        proxy: str | None,
        labelers: Iterable[str],
        app_labelers: Iterable[str] | UnsetType | None,
        timeout: float | None,
        max_retries: int,
        validate_request: bool = False,
        validate_response: bool = False,
    ) -> None:
        self._validate_request = bool(validate_request)
        self._validate_response = bool(validate_response)
        if isinstance(app_labelers, UnsetType):
            app_labelers = type(self).app_labelers
        self._children = {}
        self._settings = client_settings(
            headers=headers,
            proxy=proxy,
            labelers=labelers,
            app_labelers=app_labelers or (),
            timeout=timeout,
            max_retries=max_retries,
        )

    @property
    def validate_request(self) -> bool:
        """Whether params, inputs and records are checked against their lexicons before sending."""
        return self._validate_request

    @property
    def validate_response(self) -> bool:
        """Whether decoded outputs are checked against their lexicons' constraints."""
        return self._validate_response

    @property
    def headers(self) -> dict[str, str]:
        """Headers sent with every call (lower-cased names)."""
        return dict(self._settings.headers)

    @property
    def proxy(self) -> str | None:
        """The default ``atproto-proxy`` service."""
        return self._settings.proxy

    @property
    def labelers(self) -> tuple[str, ...]:
        """The default labelers for ``atproto-accept-labelers``."""
        return self._settings.labelers

    def set_labelers(self, labelers: Iterable[str]) -> None:
        """Replace the default labelers."""
        found = tuple(dict.fromkeys(check_labeler(d) for d in labelers))
        self._settings = msgspec.structs.replace(self._settings, labelers=found)

    def add_labelers(self, labelers: Iterable[str]) -> None:
        """Add to the default labelers."""
        self.set_labelers((*self._settings.labelers, *labelers))

    def clear_labelers(self) -> None:
        """Ask for no labelers by default."""
        self.set_labelers(())


def agent_kind(agent: object) -> Literal["sync", "async"] | None:
    """Whether ``agent`` is a sync or an async agent, without reading ``did`` (a logged-out
    session raises there; ``isinstance`` against the protocol would call it on Python < 3.12)."""
    try:
        inspect.getattr_static(agent, "did")
    except AttributeError:
        return None
    send = getattr(agent, "send", None)
    if not callable(send):
        return None
    return "async" if inspect.iscoroutinefunction(send) else "sync"


def check_agent(agent: object, *, asynchronous: bool) -> None:
    """TypeError unless ``agent`` is an agent of the client's kind."""
    kind = agent_kind(agent)
    if asynchronous and kind != "async":
        raise TypeError(
            f"expected an AsyncAgent (async send) or a service URL, got {type(agent).__name__}"
        )
    if not asynchronous and kind == "async":
        raise TypeError(f"{type(agent).__name__} is an async agent: use AsyncClient")
    if kind is None:
        raise TypeError(f"expected an Agent or a service URL, got {type(agent).__name__}")


sleep = time.sleep  # the clients' waits between retries (tests replace them to observe)


async def async_sleep(seconds: float) -> None:
    import anyio  # httpx depends on it; loaded only when a retry actually waits

    await anyio.sleep(seconds)


def not_authenticated() -> RuntimeError:
    return RuntimeError("Client is not authenticated: use an agent with a session")
