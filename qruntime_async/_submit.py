"""Exactly-once job submission and client-wide rate limiting of submissions.

A create request whose answer is lost (read timeout, connection dropped mid-response, 5xx after
the server acted) leaves the caller not knowing whether the job exists. Every submission
therefore carries a client-generated idempotency key, stored where both services keep it (a
reserved tag). After an ambiguous failure :func:`submit_exactly_once` looks the key up: an existing
job is adopted; only when the lookup finds nothing, repeatedly over a settle window, is the job
submitted again.

The limits of that guarantee: a create request that reaches the server after the settle window
has passed can still create a second job; a job whose reserved tag is removed by someone else
cannot be found again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from . import _constants as C
from .errors import (
    APIConnectionError,
    APIStatusError,
    QRuntimeError,
    ResponseDecodeError,
    ServerError,
    SubmissionError,
)

__all__ = [
    "IDEMPOTENCY_TAG_PREFIX",
    "RateLimiter",
    "SubmitPolicy",
    "idempotency_tag",
    "is_ambiguous",
    "new_idempotency_key",
    "submission_slot",
    "submit_exactly_once",
]

if TYPE_CHECKING:
    from ._transport import BaseClient

logger = logging.getLogger("qruntime_async")

T = TypeVar("T")

#: Jobs submitted by this SDK carry one tag ``qruntime-idempotency-key:<key>``.
IDEMPOTENCY_TAG_PREFIX = "qruntime-idempotency-key:"


def new_idempotency_key() -> str:
    """A fresh random key."""
    return uuid.uuid4().hex


def idempotency_tag(key: str) -> str:
    """The reserved tag that carries ``key``."""
    # split() differs from [key] exactly when the key is empty or holds whitespace.
    if len(key) > 64 or key.split() != [key]:
        raise ValueError("idempotency_key must be 1-64 characters without spaces")
    return IDEMPOTENCY_TAG_PREFIX + key


def is_ambiguous(error: BaseException) -> bool:
    """True when a failed create may nevertheless have created the resource."""
    if isinstance(error, APIConnectionError):
        return error.sent is not False
    if isinstance(error, ServerError):
        # Every 5xx, 503 included: gateways answer 503 when the upstream reset after acting.
        return True
    # A success answer whose body was lost or garbled: the server did act.
    return isinstance(error, ResponseDecodeError)


@dataclass(frozen=True)
class SubmitPolicy:
    """How ambiguous submissions are reconciled.

    ``attempts``: create requests at most. ``settle``: seconds over which a lookup must keep
    finding nothing before the job is considered absent (a create still in flight on the server
    side has that long to land). ``lookups``: lookups spread over the settle window.
    """

    attempts: int = C.SUBMIT_ATTEMPTS
    settle: float = C.SUBMIT_SETTLE
    lookups: int = C.SUBMIT_LOOKUPS

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be >= 1")
        if self.settle < 0:
            raise ValueError("settle must be >= 0 seconds")
        if self.lookups < 1:
            raise ValueError("lookups must be >= 1")


async def submit_exactly_once(
    create: Callable[[], Awaitable[T]],
    find: Callable[[], Awaitable[T | None]],
    *,
    key: str,
    policy: SubmitPolicy,
    what: str = "job",
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
) -> T:
    """Create once: on an ambiguous failure, adopt what ``find`` finds, or create again.

    A job is created again only when the lookups over the settle window found nothing and the
    last of them answered. When that last lookup failed, whether the job exists is unknown:
    :class:`~qruntime_async.errors.SubmissionError` is raised with the idempotency key, so the
    caller can look it up later instead of risking a duplicate.
    """
    last: QRuntimeError | None = None
    for attempt in range(1, policy.attempts + 1):
        try:
            return await create()
        except QRuntimeError as exc:
            if not is_ambiguous(exc):
                raise
            last = exc
            logger.warning(
                "%s submission with idempotency key %s had an ambiguous failure (%s); "
                "looking it up",
                what,
                key,
                type(exc).__name__,
            )
        found, lookup_error = await _settled_lookup(find, policy, sleep)
        if found is not None:
            logger.info("%s with idempotency key %s exists: adopting it", what, key)
            return found
        if lookup_error is not None:
            raise SubmissionError(
                f"the {what} may or may not exist: the lookup of idempotency key {key} failed "
                f"({lookup_error}); look it up later rather than submitting again",
                idempotency_key=key,
            ) from lookup_error
        if attempt < policy.attempts:
            logger.warning("%s with idempotency key %s is absent: submitting again", what, key)
    raise SubmissionError(
        f"the {what} could not be submitted after {policy.attempts} attempts "
        f"(idempotency key {key}); last error: {last}",
        idempotency_key=key,
    ) from last


async def _settled_lookup(
    find: Callable[[], Awaitable[T | None]],
    policy: SubmitPolicy,
    sleep: Callable[[float], Awaitable[None]],
) -> tuple[T | None, QRuntimeError | None]:
    """``(found, None)``, ``(None, None)`` when certainly absent, ``(None, error)`` when unknown."""
    pause = policy.settle / policy.lookups
    failure: QRuntimeError | None = None
    for _ in range(policy.lookups):
        if pause > 0:
            await sleep(pause)
        try:
            found = await find()
        except (APIConnectionError, APIStatusError, ResponseDecodeError) as exc:
            # This lookup is inconclusive; a later one may still answer.
            failure = exc
            continue
        if found is not None:
            return found, None
        failure = None  # a lookup that answered at the end of the window is conclusive
    return None, failure


class RateLimiter:
    """At most ``rate`` acquisitions per ``per`` seconds, shared by every task of a client.

    A token bucket: bursts up to ``rate`` pass at once, then acquisitions are spaced evenly.
    Waiting is cancellable. ``clock`` (monotonic seconds) and ``sleep`` may be replaced, e.g.
    by a test's virtual time.
    """

    def __init__(
        self,
        rate: int,
        per: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
            raise ValueError(f"rate must be an int >= 1, got {rate!r}")
        if not per > 0:
            raise ValueError(f"per must be > 0 seconds, got {per!r}")
        self.rate = rate
        self.per = float(per)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(rate)
        self._updated = clock()
        self._lock: anyio.Lock | None = None

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate}, per={self.per:g})"

    async def acquire(self) -> None:
        """Wait until one more acquisition fits within the rate."""
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            while True:
                now = self._clock()
                self._tokens = min(
                    float(self.rate), self._tokens + (now - self._updated) * self.rate / self.per
                )
                self._updated = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await self._sleep((1.0 - self._tokens) * self.per / self.rate)


async def submission_slot(client: BaseClient) -> None:
    """Wait for the client-wide submission rate limit, when the client has one.

    Closing the client ends the wait with ClientClosedError.
    """
    limiter = client.submit_rate_limit
    if limiter is not None:
        await client._until_closed(limiter.acquire, "a submission")
