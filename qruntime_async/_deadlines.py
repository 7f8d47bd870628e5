"""The time limits of the attempts in flight on one event loop, kept by a single timer.

Each attempt has up to two limits (:class:`~qruntime_async._config.Timeout`): ``total``, a fixed
moment, and ``read``, which moves whenever bytes of the answer arrive. Rather than arming and
cancelling timers per request, :class:`Deadlines` keeps the attempts in a table and one timer
armed at the earliest limit. When it goes off it cancels the attempts that are late, marking
why, and arms itself for the next earliest limit; an attempt that makes progress only writes a
number. In steady traffic the timer goes off about once per ``read`` interval, not per call.

Like aiohttp's own read timeout, ``read`` does not count the wait for a free connection: when
more attempts are in flight than the pool sends at once (``capacity``), the newest ones are
taken as queued, and each one's read clock starts when an earlier attempt ends (the pool hands
connections over in order). ``total`` counts from the start, queue included.

The task of a late attempt is cancelled; :meth:`Attempt.timed_out` then tells the attempt's
own code that the cancellation was this timer's, so that it can become a timeout error (and
that a cancellation from elsewhere stays one).
"""

from __future__ import annotations

import asyncio
import collections
import math

__all__ = ["Attempt", "Deadlines"]

_NEVER = math.inf
# A limit this close is taken as reached (the loop may wake a timer a hair before its time).
_SLACK = 0.001


class Attempt:
    """One attempt's limits: when it must end, and when bytes must next arrive."""

    __slots__ = ("end_at", "expired", "read", "read_at", "task")

    def __init__(self, task: asyncio.Task[object], now: float, read: float | None, end_at: float):
        self.task = task
        self.read = read
        self.read_at = _NEVER if read is None else now + read
        self.end_at = end_at
        #: "read" or "total" once the timer cancelled the attempt.
        self.expired: str | None = None

    def progress(self, now: float) -> None:
        """Bytes arrived at ``now`` (loop time): the read limit starts again."""
        if self.read is not None:
            self.read_at = now + self.read

    def timed_out(self) -> bool:
        """Whether a cancellation being handled is this attempt's timeout alone.

        Call it while handling ``CancelledError``. On Python 3.11+ the timer's cancellation
        request is withdrawn; True only when no other cancellation is pending.
        """
        if self.expired is None:
            return False
        uncancel = getattr(self.task, "uncancel", None)
        return uncancel is None or uncancel() == 0


class Deadlines:
    """The table of attempts in flight on ``loop`` and its one timer."""

    def __init__(self, loop: asyncio.AbstractEventLoop, capacity: int = 0) -> None:
        self.loop = loop
        #: Requests the pool sends at once (0: no limit).
        self.capacity = capacity
        self._attempts: dict[Attempt, None] = {}
        # Attempts waiting for a connection, oldest first: their read clock has not started.
        self._queued: collections.deque[Attempt] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = _NEVER

    def start(self, read: float | None, total: float | None) -> Attempt | None:
        """Register the running task's attempt; None when it has no limit at all."""
        if read is None and total is None:
            return None
        task = asyncio.current_task(self.loop)
        if task is None:  # pragma: no cover - calls always run in a task
            return None
        now = self.loop.time()
        attempt = Attempt(task, now, read, _NEVER if total is None else now + total)
        if self.capacity and len(self._attempts) >= self.capacity:
            attempt.read_at = _NEVER
            self._queued.append(attempt)
        self._attempts[attempt] = None
        due = min(attempt.read_at, attempt.end_at)
        if due < self._timer_at:
            self._arm(due)
        return attempt

    def finish(self, attempt: Attempt) -> None:
        """The attempt is over (answered, failed or cancelled)."""
        if self._attempts.pop(attempt, 0) is None and self._queued:
            self._next_in_line(attempt)

    def _next_in_line(self, ended: Attempt) -> None:
        # A connection is free: the oldest queued attempt gets it and its read clock starts.
        queued = self._queued
        if ended.read_at == _NEVER and ended in queued:
            queued.remove(ended)  # it ended while still queued
            return
        while queued:
            attempt = queued.popleft()
            if attempt in self._attempts:
                attempt.progress(self.loop.time())
                if attempt.read_at < self._timer_at:
                    self._arm(attempt.read_at)
                return

    def close(self) -> None:
        """Stop the timer (the client is closed or moved to another loop)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = _NEVER
        self._attempts.clear()
        self._queued.clear()

    def __len__(self) -> int:
        return len(self._attempts)

    def _arm(self, due: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = due
        self._timer = self.loop.call_at(due, self._expire)

    def _expire(self) -> None:
        self._timer = None
        self._timer_at = _NEVER
        now = self.loop.time() + _SLACK
        earliest = _NEVER
        late: list[Attempt] = []
        for attempt in self._attempts:
            due = min(attempt.read_at, attempt.end_at)
            if due <= now:
                late.append(attempt)
            elif due < earliest:
                earliest = due
        for attempt in late:
            self.finish(attempt)
            attempt.expired = "total" if attempt.end_at <= now else "read"
            attempt.task.cancel()
        # Promoting queued attempts above may have armed the timer for an earlier limit.
        if earliest < self._timer_at:
            self._arm(earliest)
