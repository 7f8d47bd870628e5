"""Retry policy: an immutable value with pure decision functions (no I/O)."""

from __future__ import annotations

import dataclasses
import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timezone

from . import _constants as C

__all__ = ["RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried.

    ``max_retries`` retries follow the first attempt. The pause before retry ``n`` (0-based) is a
    uniformly random time in ``[0, min(backoff_max, backoff_initial * backoff_multiplier**n)]``
    ("full jitter"), unless the server sent ``Retry-After``, which is honoured up to
    ``retry_after_cap`` seconds (a longer one makes the call fail at once). ``deadline`` bounds the
    total time spent on one call, retries included.

    Instances are immutable: the ``with_...`` methods return modified copies.
    """

    max_retries: int = C.DEFAULT_MAX_RETRIES
    backoff_initial: float = C.DEFAULT_BACKOFF_INITIAL
    backoff_multiplier: float = C.DEFAULT_BACKOFF_MULTIPLIER
    backoff_max: float = C.DEFAULT_BACKOFF_MAX
    jitter: bool = True
    deadline: float | None = None
    retry_after_cap: float = C.DEFAULT_RETRY_AFTER_CAP
    retry_statuses: frozenset[int] = C.RETRYABLE_STATUSES

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise TypeError("max_retries must be an int")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        for name in ("backoff_initial", "backoff_max", "retry_after_cap"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.backoff_multiplier < 1:
            raise ValueError(f"backoff_multiplier must be >= 1, got {self.backoff_multiplier}")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError(f"deadline must be > 0 seconds or None, got {self.deadline}")

    # -- modified copies ---------------------------------------------------------------------
    def with_max_retries(self, max_retries: int) -> RetryPolicy:
        """A copy with another number of retries (0 disables retrying)."""
        return dataclasses.replace(self, max_retries=max_retries)

    def with_backoff(
        self,
        initial: float | None = None,
        *,
        multiplier: float | None = None,
        maximum: float | None = None,
        jitter: bool | None = None,
    ) -> RetryPolicy:
        """A copy with another backoff schedule."""
        return dataclasses.replace(
            self,
            backoff_initial=self.backoff_initial if initial is None else initial,
            backoff_multiplier=self.backoff_multiplier if multiplier is None else multiplier,
            backoff_max=self.backoff_max if maximum is None else maximum,
            jitter=self.jitter if jitter is None else jitter,
        )

    def with_deadline(self, deadline: float | None) -> RetryPolicy:
        """A copy whose calls give up after ``deadline`` seconds in total (None: no deadline)."""
        return dataclasses.replace(self, deadline=deadline)

    def with_retry_after_cap(self, cap: float) -> RetryPolicy:
        """A copy that waits at most ``cap`` seconds for a server's Retry-After."""
        return dataclasses.replace(self, retry_after_cap=cap)

    def with_retry_statuses(self, statuses: frozenset[int] | set[int]) -> RetryPolicy:
        """A copy that retries these HTTP statuses."""
        return dataclasses.replace(self, retry_statuses=frozenset(statuses))

    # -- decisions (pure) --------------------------------------------------------------------
    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """The pause before retry ``retry_number`` (0 for the first retry)."""
        ceiling = min(
            self.backoff_max, self.backoff_initial * self.backoff_multiplier**retry_number
        )
        if not self.jitter:
            return ceiling
        return (rng or random).uniform(0.0, ceiling)

    def is_retryable_status(self, status: int, *, idempotent: bool) -> bool:
        """Whether an answer with this status may be retried."""
        if status not in self.retry_statuses:
            return False
        return idempotent or status in C.NOT_ACTED_STATUSES

    def delay_for(
        self,
        retry_number: int,
        *,
        retry_after: float | None,
        elapsed: float,
        rng: random.Random | None = None,
    ) -> float | None:
        """The pause before retry ``retry_number``, or None when the call must fail now.

        None is returned when retries are used up, when the server asks to wait longer than the
        cap, or when the pause would cross the deadline.
        """
        if retry_number >= self.max_retries:
            return None
        if retry_after is not None:
            if retry_after > self.retry_after_cap:
                return None
            delay = max(retry_after, 0.0)
        else:
            delay = self.backoff(retry_number, rng)
        if self.deadline is not None and elapsed + delay >= self.deadline:
            return None
        return delay


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (delta seconds or HTTP date).

    Returns None when the headers carry no usable hint. A date in the past gives 0.
    """
    raw_ms = _get(headers, "retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms)
        except ValueError:
            value = -1.0
        if value >= 0 and value == value and value != float("inf"):
            return value / 1000.0
    raw = _get(headers, "retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds in (float("inf"), float("-inf")) or seconds < 0:
            return None
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def _get(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        # Plain dicts are case-sensitive; aiohttp's CIMultiDict is not.
        for key, item in headers.items():
            if key.lower() == name:
                return item
    return value
