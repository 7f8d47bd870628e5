"""The time limits of the attempts in flight on one event loop, kept by a single timer.

Each attempt has up to two limits (:class:`~qruntime_async._config.Timeout`): ``total``, a fixed
moment from the start, and ``read``, the longest wait for the next bytes, which starts when the
attempt has its connection (as aiohttp's own read timeout does: neither the wait for a free
connection nor connecting counts) and starts again whenever bytes arrive. Rather than arming
and cancelling timers per request, :class:`Deadlines` keeps the attempts in a table and one
timer armed at the earliest limit. When it goes off it cancels the attempts that are late,
marking why, and arms itself for the next earliest limit; an attempt that makes progress only
writes a number. In steady traffic the timer goes off about once per ``read`` interval, not
per call.

The client's connector (:class:`TimedConnector`) reports when an attempt has its connection.
The task of a late attempt is cancelled with a message of its own; :meth:`Attempt.timed_out`
tells the attempt's code that a cancellation was this timer's alone, so that it becomes a
timeout error while any other cancellation stays one.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import aiohttp

__all__ = ["Attempt", "Deadlines", "TimedConnector"]

_NEVER = math.inf
# A limit this close is taken as reached (the loop may wake a timer a hair before its time).
_SLACK = 0.001
# The message of the timer's cancellations (how Python 3.10, without Task.uncancel, tells
# them from others).
_TIMEOUT_MESSAGE = "qruntime_async: attempt timed out"


class Attempt:
    """One attempt's limits: when it must end, and when bytes must next arrive."""

    __slots__ = ("end_at", "expired", "read", "read_at", "task")

    def __init__(self, task: asyncio.Task[Any], read: float | None, end_at: float) -> None:
        self.task = task
        self.read = read
        # Not before the attempt has its connection.
        self.read_at = _NEVER
        self.end_at = end_at
        #: "read" or "total" once the timer cancelled the attempt.
        self.expired: str | None = None

    def progress(self, now: float) -> None:
        """Bytes arrived (or the connection is there) at ``now``: the read limit starts again."""
        if self.read is not None:
            self.read_at = now + self.read

    def timed_out(self, error: asyncio.CancelledError) -> bool:
        """Whether ``error``, being handled, is this attempt's timeout and nothing else.

        On Python 3.11+ the timer's cancellation request is withdrawn, and the answer is True
        only when no other cancellation is pending; on 3.10 it goes by the error's message.
        """
        if self.expired is None:
            return False
        uncancel = getattr(self.task, "uncancel", None)
        if uncancel is not None:
            return bool(uncancel() == 0)
        return error.args == (_TIMEOUT_MESSAGE,)


class Deadlines:
    """The table of attempts in flight on ``loop`` and its one timer."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._attempts: dict[asyncio.Task[Any], Attempt] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = _NEVER

    def start(self, read: float | None, total: float | None) -> Attempt | None:
        """Register the running task's attempt; None when it has no limit at all."""
        if read is None and total is None:
            return None
        task = asyncio.current_task(self.loop)
        if task is None:  # pragma: no cover - calls always run in a task
            return None
        end_at = _NEVER if total is None else self.loop.time() + total
        attempt = Attempt(task, read, end_at)
        self._attempts[task] = attempt
        if end_at < self._timer_at:
            self._arm(end_at)
        return attempt

    def connected(self) -> None:
        """The running task's attempt has its connection: its read limit starts."""
        attempt = self._attempts.get(asyncio.current_task(self.loop))  # type: ignore[arg-type]
        if attempt is not None and attempt.read is not None:
            attempt.progress(self.loop.time())
            if attempt.read_at < self._timer_at:
                self._arm(attempt.read_at)

    def finish(self, attempt: Attempt) -> None:
        """The attempt is over (answered, failed or cancelled)."""
        if self._attempts.get(attempt.task) is attempt:
            del self._attempts[attempt.task]

    def close(self) -> None:
        """Stop the timer (the client is closed or moved to another loop)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = _NEVER
        self._attempts.clear()

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
        for attempt in self._attempts.values():
            due = min(attempt.read_at, attempt.end_at)
            if due <= now:
                late.append(attempt)
            elif due < earliest:
                earliest = due
        for attempt in late:
            del self._attempts[attempt.task]
            if _cancellation_pending(attempt.task):
                continue  # it ends anyway, as the other cancellation says
            attempt.expired = "total" if attempt.end_at <= now else "read"
            attempt.task.cancel(_TIMEOUT_MESSAGE)
        if earliest < _NEVER:
            self._arm(earliest)


def _cancellation_pending(task: asyncio.Task[Any]) -> bool:
    cancelling = getattr(task, "cancelling", None)
    if cancelling is not None:
        return bool(cancelling())
    # Python 3.10: a cancel() already requested but not yet delivered.
    waiter = getattr(task, "_fut_waiter", None)
    return bool(getattr(task, "_must_cancel", False)) or (waiter is not None and waiter.cancelled())


class TimedConnector(aiohttp.TCPConnector):
    """aiohttp's TCP connector, telling :class:`Deadlines` when an attempt has its connection."""

    def __init__(self, *args: Any, deadlines: Deadlines, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadlines = deadlines

    async def connect(self, *args: Any, **kwargs: Any) -> Any:
        connection = await super().connect(*args, **kwargs)
        self._deadlines.connected()
        return connection
