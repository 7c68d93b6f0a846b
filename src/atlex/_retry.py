"""When to resend a failed XRPC request, and after how long (upstream xrpc.ts getRetryWaitTime).

Opt-in: the default policy never retries. Only failures whose ``should_retry()`` is true qualify
(retryable statuses, transport errors), and a request whose body was a one-shot stream is never
sent twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import msgspec

from atlex.errors import XrpcError, XrpcInvalidResponseError, XrpcResponseError

__all__ = ["NO_RETRY", "RetryPolicy", "delay_from_headers", "retry_delay"]


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How often and how patiently to retry. Delays are in seconds."""

    max_retries: int = 0
    min_delay: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    use_headers: bool = True
    """Take the wait from ``Retry-After`` / ``RateLimit-Reset`` when the server sends them."""

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")


NO_RETRY = RetryPolicy()


def retry_delay(
    policy: RetryPolicy,
    failure: XrpcError,
    attempt: int,
    *,
    replayable: bool,
    now: Callable[[], float] = time.time,
) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or None to give up with ``failure``.

    ``attempt`` counts the attempts made so far (1 after the first send).
    """
    if attempt > policy.max_retries or not replayable or not failure.should_retry():
        return None
    waited: float | None = None
    if policy.use_headers and isinstance(failure, XrpcResponseError | XrpcInvalidResponseError):
        waited = delay_from_headers(failure.headers, now)
    if waited is None:
        waited = policy.min_delay * policy.factor ** (attempt - 1)
    return min(policy.max_delay, waited)


def _get(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    return next((v for k, v in headers.items() if k.lower() == name), None)


def delay_from_headers(
    headers: Mapping[str, str], now: Callable[[], float] = time.time
) -> float | None:
    """The wait a server asks for: ``Retry-After`` (seconds or an HTTP date), else
    ``RateLimit-Reset`` (epoch seconds). None when absent, malformed or already past."""
    retry_after = _get(headers, "retry-after")
    if retry_after:
        text = retry_after.strip()
        wait: float | None = None
        if text.isdigit():
            wait = float(text)
        else:
            try:
                from email.utils import parsedate_to_datetime  # 20 ms to import: only when used

                wait = parsedate_to_datetime(text).timestamp() - now()
            except (TypeError, ValueError, IndexError):
                wait = None
        if wait is not None and wait > 0:
            return wait
    reset = _get(headers, "ratelimit-reset")
    if reset:
        try:
            wait = float(reset.strip()) - now()
        except ValueError:
            return None
        if wait > 0:
            return wait
    return None
