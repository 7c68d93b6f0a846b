"""The session primitives whose sync and async forms differ, written here in both forms.

The password and OAuth sessions are written once, async (``session/_async.py``,
``oauth/_async.py``); ``tools/unasync.py`` writes their sync twins and maps each async name
below to its sync counterpart (``async_run_to_end`` -> ``run_to_end``, ``AsyncEvent`` ->
``ThreadEvent``, ...). What has no sync counterpart -- asyncio shielding, trio's shielded scope,
hooks and stores that may be coroutines -- lives here and nowhere else; the sync forms say why
they are plain.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import anyio
import httpx

from atlex.errors import XrpcError
from atlex.session._data import SessionData
from atlex.session._wire import HttpCall

__all__ = [
    "AsyncDataHook",
    "AsyncEvent",
    "AsyncFailureHook",
    "DataHook",
    "FailureHook",
    "ThreadEvent",
    "async_awaited",
    "async_call_hook",
    "async_http_send",
    "async_run_to_end",
    "awaited",
    "call_hook",
    "http_send",
    "run_to_end",
]

P = ParamSpec("P")
T = TypeVar("T")

AsyncEvent = anyio.Event
"""The signal a ticket sets when it settles, for tasks (asyncio or trio)."""
ThreadEvent = threading.Event
"""The signal a ticket sets when it settles, for threads."""

DataHook = Callable[[SessionData], object]
"""``on_updated(data)`` / ``on_deleted(data)``."""
FailureHook = Callable[[SessionData, XrpcError], object]
"""``on_update_failure(data, failure)`` / ``on_delete_failure(data, failure)``."""
AsyncDataHook = Callable[[SessionData], Awaitable[object] | object]
"""``on_updated(data)`` / ``on_deleted(data)``: a coroutine function or a plain function."""
AsyncFailureHook = Callable[[SessionData, XrpcError], Awaitable[object] | object]
"""``on_update_failure(data, failure)`` / ``on_delete_failure(data, failure)``."""


# -- critical sections ----------------------------------------------------------------------------

_RUNNING: set[asyncio.Task[Any]] = set()
"""Critical sections whose caller was cancelled: asyncio keeps only weak references to tasks."""


async def async_run_to_end(
    fn: Callable[P, Coroutine[Any, Any, T]], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Await ``fn(*args, **kwargs)`` such that cancelling the caller cannot interrupt it.

    On asyncio the work runs as a task of its own, awaited through :func:`asyncio.shield`: a
    cancelled caller (``Task.cancel()``, ``asyncio.timeout``, ``wait_for``, an anyio scope)
    stops waiting at once while the work goes on. An anyio shielded scope would not do: asyncio
    delivers ``Task.cancel()`` through it. Trio cancels only through scopes, which a shielded
    scope holds off (the caller then sees its cancellation once the work ends).
    """
    work = fn(*args, **kwargs)
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio (trio)
        loop = None
    if loop is None:
        return await _shielded(work)
    task = loop.create_task(work)
    _RUNNING.add(task)
    task.add_done_callback(_finished)
    return await asyncio.shield(task)


def run_to_end(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call ``fn``: nothing cancels a thread from outside, so it always runs to its end."""
    return fn(*args, **kwargs)


async def _shielded(work: Coroutine[Any, Any, T]) -> T:
    with anyio.CancelScope(shield=True):
        return await work
    raise AssertionError("unreachable: a shielded scope is never cancelled")  # for pyright


def _finished(task: asyncio.Task[Any]) -> None:
    _RUNNING.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it once a cancelled caller left


# -- hooks and stores that may be coroutines -----------------------------------------------------


async def async_call_hook(hook: Callable[..., object], args: tuple[Any, ...]) -> None:
    """Call ``hook(*args)``, awaiting it when it is a coroutine function."""
    result = hook(*args)
    if inspect.isawaitable(result):
        await result


def call_hook(hook: Callable[..., object], args: tuple[Any, ...]) -> None:
    """Call ``hook(*args)`` (sync hooks are plain functions)."""
    hook(*args)


async def async_awaited(value: Any) -> Any:
    """The value, awaited when a store, resolver or hook returned an awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


def awaited(value: T) -> T:
    """The value as it is (sync stores, resolvers and hooks return it directly)."""
    return value


# -- HTTP ---------------------------------------------------------------------------------------


async def async_http_send(http: httpx.AsyncClient, call: HttpCall) -> httpx.Response:
    """Send ``call`` (streamed when it says so)."""
    return await http.send(_request(http, call), stream=call.stream)


def http_send(http: httpx.Client, call: HttpCall) -> httpx.Response:
    """Send ``call`` (streamed when it says so); an async iterable body needs the async twin."""
    if isinstance(call.content, AsyncIterable):
        raise TypeError(
            "PasswordSession cannot send an async iterable body; use AsyncPasswordSession"
        )
    return http.send(_request(http, call), stream=call.stream)


def _request(http: httpx.Client | httpx.AsyncClient, call: HttpCall) -> httpx.Request:
    return http.build_request(
        call.method,
        call.url,
        headers=call.headers,
        content=call.content,
        timeout=call.timeout if call.timeout is not None else httpx.USE_CLIENT_DEFAULT,
    )
