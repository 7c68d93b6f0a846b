"""Multi-call helpers written once, as generators: a flow yields a :class:`~atlex._records.Plan`
(one XRPC call) and receives its result, or yields a :class:`Batch` and receives every
result, an exception standing in for a call that failed. A call that fails alone is raised
inside the flow. ``run_flow`` drives a flow with a sync client, ``run_flow_async`` with an
async one (a batch then runs concurrently)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from atlex._records import Plan

if TYPE_CHECKING:
    from atlex import AsyncClient, Client

__all__ = ["Batch", "Flow", "drive", "drive_async", "run_flow", "run_flow_async"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Batch:
    """Independent calls; the flow receives ``list[result | Exception]`` in the same order."""

    plans: tuple[Plan[Any], ...]


Flow: TypeAlias = Generator["Plan[Any] | Batch", Any, T]


def run_flow(flow: Flow[T], run: Callable[[Plan[Any]], Any]) -> T:
    reply: Any = None
    error: Exception | None = None
    while True:
        try:
            step = flow.send(reply) if error is None else flow.throw(error)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        reply, error = None, None
        if isinstance(step, Batch):
            results: list[Any] = []
            for plan in step.plans:
                try:
                    results.append(run(plan))
                except Exception as exc:
                    results.append(exc)
            reply = results
        else:
            try:
                reply = run(step)
            except Exception as exc:
                error = exc


async def run_flow_async(flow: Flow[T], run: Callable[[Plan[Any]], Awaitable[Any]]) -> T:
    reply: Any = None
    error: Exception | None = None
    while True:
        try:
            step = flow.send(reply) if error is None else flow.throw(error)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        reply, error = None, None
        if isinstance(step, Batch):
            reply = await _gather(step.plans, run)
        else:
            try:
                reply = await run(step)
            except Exception as exc:
                error = exc


async def _gather(plans: tuple[Plan[Any], ...], run: Callable[[Plan[Any]], Awaitable[Any]]) -> Any:
    import anyio

    results: list[Any] = [None] * len(plans)

    async def one(i: int) -> None:
        try:
            results[i] = await run(plans[i])
        except Exception as exc:  # handed to the flow, not raised as an ExceptionGroup
            results[i] = exc

    async with anyio.create_task_group() as group:
        for i in range(len(plans)):
            group.start_soon(one, i)
    return results


def drive(flow: Flow[T], client: Client) -> T:
    """Run ``flow`` with ``client`` (record-helper calls: always to the account's PDS)."""
    return run_flow(flow, lambda plan: client._run(plan, None))  # pyright: ignore[reportPrivateUsage]


async def drive_async(flow: Flow[T], client: AsyncClient) -> T:
    """Run ``flow`` with an async ``client`` (batches concurrently)."""
    return await run_flow_async(flow, lambda plan: client._run(plan, None))  # pyright: ignore[reportPrivateUsage]
