"""Cancel a caller at a chosen point, by each of the ways async Python cancels (issue 18).

A *point* holds an operation somewhere (before its request leaves, while the server holds the
answer, inside a hook) until the test releases it; :func:`cancel_at` starts the operation as
its own caller, waits until the point is reached, cancels the caller and releases the point. No
timing decides anything: events place the cancellation.

Kinds: ``task.cancel`` (``Task.cancel()``), ``wait_for`` (an ``asyncio.wait_for`` out of time),
``timeout`` (an ``asyncio.timeout`` block expiring, 3.11+) and ``anyio scope`` (a cancelled
``anyio.CancelScope``, the only one trio has).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import httpx
import pytest

from atlex.session import SessionData

__all__ = [
    "BACKENDS_AND_KINDS",
    "Hooks",
    "TaskPoint",
    "ThreadPoint",
    "cancel_at",
    "hold_requests",
]

ASYNCIO_KINDS = ["task.cancel", "wait_for", "timeout"]
BACKENDS_AND_KINDS = [
    *(pytest.param("asyncio", kind, id=f"asyncio-{kind}") for kind in ASYNCIO_KINDS),
    pytest.param("asyncio", "anyio scope", id="asyncio-anyio scope"),
    pytest.param("trio", "anyio scope", id="trio-anyio scope"),
]
"""``(anyio_backend, kind)``: every kind on asyncio, and trio's only one."""

_GUARD_SECONDS = 30
"""A point never reached fails the test after this long instead of hanging the suite."""


class TaskPoint:
    """A point inside the event loop (a hook, an httpx event hook)."""

    def __init__(self) -> None:
        self._reached = anyio.Event()
        self._released = anyio.Event()

    async def hold(self) -> None:
        self._reached.set()
        await self._released.wait()

    async def wait_reached(self) -> None:
        with anyio.fail_after(_GUARD_SECONDS):
            await self._reached.wait()

    def release(self) -> None:
        self._released.set()


class ThreadPoint:
    """A point on another thread (a server holding its answer); made in the event loop."""

    def __init__(self) -> None:
        self._loop = anyio.lowlevel.current_token()
        self._reached = anyio.Event()
        self._released = threading.Event()

    def hold(self) -> None:
        anyio.from_thread.run_sync(self._reached.set, token=self._loop)
        assert self._released.wait(_GUARD_SECONDS), "the test never released the point"

    async def wait_reached(self) -> None:
        with anyio.fail_after(_GUARD_SECONDS):
            await self._reached.wait()

    def release(self) -> None:
        self._released.set()


Point = TaskPoint | ThreadPoint


def hold_requests(http: httpx.AsyncClient, nsid: str, point: TaskPoint) -> None:
    """Hold every request for ``nsid`` at ``point`` before it leaves ``http``."""

    async def on_request(request: httpx.Request) -> None:
        if request.url.path == f"/xrpc/{nsid}":
            await point.hold()

    http.event_hooks = {"request": [on_request], "response": []}


class Hooks:
    """The four session hooks: each run is recorded once it returns; one may hold at a point."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, SessionData]] = []
        self.interrupted: list[tuple[str, BaseException]] = []
        self.hold_in: str | None = None
        self.point: TaskPoint | None = None

    def hold(self, name: str) -> TaskPoint:
        self.hold_in, self.point = name, TaskPoint()
        return self.point

    def names(self) -> list[str]:
        return [name for name, _ in self.runs]

    async def _run(self, name: str, data: SessionData) -> None:
        try:
            if self.hold_in == name and self.point is not None:
                self.hold_in = None  # only the first run holds
                await self.point.hold()
            await anyio.lowlevel.checkpoint()  # a cancellable await, as real hooks have
        except BaseException as exc:
            self.interrupted.append((name, exc))
            raise
        self.runs.append((name, data))

    async def on_updated(self, data: SessionData) -> None:
        await self._run("on_updated", data)

    async def on_update_failure(self, data: SessionData, failure: Exception) -> None:
        await self._run("on_update_failure", data)

    async def on_deleted(self, data: SessionData) -> None:
        await self._run("on_deleted", data)

    async def on_delete_failure(self, data: SessionData, failure: Exception) -> None:
        await self._run("on_delete_failure", data)

    def kwargs(self) -> dict[str, Any]:
        return {
            "on_updated": self.on_updated,
            "on_update_failure": self.on_update_failure,
            "on_deleted": self.on_deleted,
            "on_delete_failure": self.on_delete_failure,
        }


async def cancel_at(
    kind: str,
    operation: Callable[[], Awaitable[object]],
    point: Point,
    *,
    prompt: bool = True,
    before_release: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run ``operation`` as a caller, cancel it by ``kind`` at ``point``, then release ``point``
    (after awaiting ``before_release``, if given).

    Asserts the caller ended by that cancellation. With ``prompt`` (and an asyncio kind) the
    caller must have ended before the point is released: a cancelled caller stops waiting at
    once while the session finishes its work on its own.
    """

    async def release() -> None:
        if before_release is not None:
            await before_release()
        point.release()

    with anyio.fail_after(_GUARD_SECONDS):
        if kind == "anyio scope":
            await _cancel_by_scope(operation, point, release)
        else:
            await _cancel_by_asyncio(kind, operation, point, release, prompt=prompt)


async def _cancel_by_scope(
    operation: Callable[[], Awaitable[object]],
    point: Point,
    release: Callable[[], Awaitable[None]],
) -> None:
    outcome: list[str] = []
    scope = anyio.CancelScope()

    async def caller() -> None:
        with scope:
            await operation()
            # trio lets a shielded operation finish: its cancellation lands at the next await
            await anyio.lowlevel.checkpoint()
            outcome.append("finished")
        outcome.append("cancelled" if scope.cancelled_caught else "not cancelled")

    async with anyio.create_task_group() as tg:
        tg.start_soon(caller)
        await point.wait_reached()
        scope.cancel()
        await release()
    assert outcome == ["cancelled"]


async def _cancel_by_asyncio(
    kind: str,
    operation: Callable[[], Awaitable[object]],
    point: Point,
    release: Callable[[], Awaitable[None]],
    *,
    prompt: bool,
) -> None:
    timeouts: list[Any] = []

    async def caller() -> object:
        if kind != "timeout":
            return await operation()
        async with asyncio.timeout(None) as deadline:  # type: ignore[attr-defined]  # 3.11+
            timeouts.append(deadline)
            return await operation()

    task = asyncio.ensure_future(caller())
    await point.wait_reached()
    loop = asyncio.get_running_loop()
    expected: type[BaseException]
    if kind == "task.cancel":
        task.cancel()
        ended: asyncio.Future[Any] = task
        expected = asyncio.CancelledError
    elif kind == "wait_for":
        # time is up at once: wait_for cancels the task and waits for it (the path a positive
        # timeout takes when it runs out); the task is held at the point, so it lands there
        ended = asyncio.ensure_future(asyncio.wait_for(task, 0))
        expected = asyncio.TimeoutError
    else:
        timeouts[0].reschedule(loop.time())  # expire now
        ended = task
        expected = asyncio.TimeoutError
    await asyncio.sleep(0)  # one loop turn: the timeout or wait_for has cancelled the task now
    assert task.done() or task.cancelling(), "the cancellation was not delivered yet"
    if prompt:
        await asyncio.wait([ended])
        assert task.done(), "the cancelled caller still waits for the session's work"
    await release()
    with pytest.raises(expected):
        await ended
