"""The resolver's I/O whose sync and async forms differ, written here in both forms.

The resolver is written once, async (``identity/_async.py``); ``tools/unasync.py`` writes its
sync twin and maps each async name below to its sync counterpart (``async_fetch`` -> ``fetch``,
``AsyncBackground`` -> ``ThreadBackground``). They differ in how a slow answer is cut off (a
cancel scope; a deadline checked between chunks) and where a revalidation runs (a task; a
thread).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
import httpx

from atlex.identity._core import MAX_ANSWER_BYTES, Fetch, FetchFailed, Reply

__all__ = ["AsyncBackground", "ThreadBackground", "async_fetch", "describe_http_error", "fetch"]


async def async_fetch(http: httpx.AsyncClient, effect: Fetch, timeout: float) -> Reply:
    """GET ``effect.url`` (at most :data:`MAX_ANSWER_BYTES` read), whole within ``timeout``."""
    try:
        with anyio.fail_after(timeout):
            async with http.stream(
                "GET",
                effect.url,
                headers={"Accept": effect.accept},
                timeout=timeout,
                follow_redirects=True,
            ) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        break
                return _reply(response, body)
    except (TimeoutError, httpx.TimeoutException):
        raise FetchFailed(f"no answer within {timeout}s", timeout=True) from None
    except httpx.HTTPError as exc:
        raise FetchFailed(describe_http_error(exc)) from None


def fetch(http: httpx.Client, effect: Fetch, timeout: float) -> Reply:
    """GET ``effect.url`` (at most :data:`MAX_ANSWER_BYTES` read), whole within ``timeout``."""
    deadline = time.monotonic() + timeout
    try:
        with http.stream(
            "GET",
            effect.url,
            headers={"Accept": effect.accept},
            timeout=timeout,
            follow_redirects=True,
        ) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    break
                if time.monotonic() > deadline:
                    raise FetchFailed(f"no complete answer within {timeout}s", timeout=True)
            return _reply(response, body)
    except httpx.TimeoutException:
        raise FetchFailed(f"no answer within {timeout}s", timeout=True) from None
    except httpx.HTTPError as exc:
        raise FetchFailed(describe_http_error(exc)) from None


def _reply(response: httpx.Response, body: bytearray) -> Reply:
    return Reply(
        response.status_code,
        response.headers.get("content-type", ""),
        bytes(body[:MAX_ANSWER_BYTES]),
        too_large=len(body) > MAX_ANSWER_BYTES,
    )


def describe_http_error(exc: httpx.HTTPError) -> str:
    detail = str(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


class AsyncBackground(set["asyncio.Task[None]"]):
    """The revalidations running as tasks of their own (under asyncio)."""

    async def start(self, work: Callable[[], Coroutine[Any, Any, None]], name: str) -> None:
        """Run ``work`` in the background; under trio (no task group to borrow) run it now."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): refresh inline
            await work()
            return
        task = loop.create_task(work(), name=name)
        self.add(task)
        task.add_done_callback(self.discard)

    def cancel(self) -> None:
        """Cancel the revalidations still running."""
        for task in list(self):
            task.cancel()


class ThreadBackground:
    """The revalidations running as daemon threads."""

    def start(self, work: Callable[[], None], name: str) -> None:
        """Run ``work`` on a daemon thread named ``name``."""
        threading.Thread(target=work, name=name, daemon=True).start()

    def cancel(self) -> None:
        """Nothing to do: a thread cannot be cancelled; a revalidation ends with its request."""
