"""When to poll next: :class:`PollPolicy`, an immutable value with a pure schedule.

:meth:`PollPolicy.delay` involves no clock and no I/O, and its randomness is injectable.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from . import _constants as C

__all__ = ["PollPolicy"]

# Beyond this the growth is capped anyway; it keeps ``multiplier ** n`` from overflowing.
_MAX_EXPONENT = 200


def _number(name: str, value: object, *, minimum: float, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < minimum or (strict and value == minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be {relation} {minimum:g}, got {value!r}")
    return float(value)


def _validate_timeout(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = value.total_seconds()
    return _number(name, value, minimum=0.0, strict=True)


@dataclass(frozen=True)
class PollPolicy:
    """When to poll next: first poll at once, then a growing, jittered, capped interval.

    The pause before poll ``n`` (``n`` polls made since the state last changed) is
    ``interval * multiplier ** (n - 1)``, capped at ``max_interval``, multiplied by a random
    factor in ``[1 - jitter, 1 + jitter]`` and kept within ``[min_interval, max_interval]``.

    * A server estimate of when the state may change (``hint``, e.g. IBM's
      ``estimated_start_time_seconds``) stretches the pause up to that estimate, never beyond
      ``max_interval``, when ``use_hints`` is true.
    * ``state_intervals`` gives a minimum pause in some states (e.g. a long queue).
    * A server's Retry-After is always honoured, even above ``max_interval``.
    * With a ``timeout`` the pause never ends after the deadline.

    Instances are immutable; the ``with_...`` methods return modified copies. ``random`` is the
    source of jitter (a function returning a float in ``[0, 1)``), injectable for tests.
    """

    first_delay: float = C.DEFAULT_POLL_INITIAL_DELAY
    interval: float = C.DEFAULT_POLL_INTERVAL
    multiplier: float = C.DEFAULT_POLL_MULTIPLIER
    max_interval: float = C.DEFAULT_POLL_MAX_INTERVAL
    min_interval: float = C.DEFAULT_POLL_MIN_INTERVAL
    jitter: float = C.DEFAULT_POLL_JITTER
    timeout: float | None = None
    use_hints: bool = True
    reset_on_change: bool = True
    state_intervals: tuple[tuple[Hashable, float], ...] = ()
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    if TYPE_CHECKING:
        # The generated __init__: ``timeout`` may also be a timedelta, stored as seconds.
        def __init__(
            self,
            first_delay: float = C.DEFAULT_POLL_INITIAL_DELAY,
            interval: float = C.DEFAULT_POLL_INTERVAL,
            multiplier: float = C.DEFAULT_POLL_MULTIPLIER,
            max_interval: float = C.DEFAULT_POLL_MAX_INTERVAL,
            min_interval: float = C.DEFAULT_POLL_MIN_INTERVAL,
            jitter: float = C.DEFAULT_POLL_JITTER,
            timeout: float | timedelta | None = None,
            use_hints: bool = True,
            reset_on_change: bool = True,
            state_intervals: tuple[tuple[Hashable, float], ...] = (),
            random: Callable[[], float] = ...,
        ) -> None: ...

    def __post_init__(self) -> None:
        _number("first_delay", self.first_delay, minimum=0.0)
        _number("interval", self.interval, minimum=0.0, strict=True)
        _number("multiplier", self.multiplier, minimum=1.0)
        _number("min_interval", self.min_interval, minimum=0.0)
        _number("max_interval", self.max_interval, minimum=0.0, strict=True)
        if self.max_interval < self.min_interval:
            raise ValueError(
                f"max_interval ({self.max_interval:g}) must be >= "
                f"min_interval ({self.min_interval:g})"
            )
        jitter = _number("jitter", self.jitter, minimum=0.0)
        if jitter >= 1.0:
            raise ValueError(f"jitter must be < 1, got {self.jitter!r}")
        object.__setattr__(self, "timeout", _validate_timeout("timeout", self.timeout))
        if not isinstance(self.state_intervals, tuple):
            raise ValueError("state_intervals must be a tuple of (state, seconds) pairs")
        for pair in self.state_intervals:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise ValueError("state_intervals must be a tuple of (state, seconds) pairs")
            _number("state_intervals", pair[1], minimum=0.0)
        if not callable(self.random):
            raise ValueError("random must be a callable returning a float in [0, 1)")

    # -- modified copies ---------------------------------------------------------------------
    def with_first_delay(self, seconds: float) -> PollPolicy:
        """A copy that waits ``seconds`` before the first poll."""
        return dataclasses.replace(self, first_delay=seconds)

    def with_interval(self, seconds: float) -> PollPolicy:
        """A copy whose second poll comes ``seconds`` after the first."""
        return dataclasses.replace(self, interval=seconds)

    def with_multiplier(self, multiplier: float) -> PollPolicy:
        """A copy whose interval grows by ``multiplier`` after each poll (1: constant)."""
        return dataclasses.replace(self, multiplier=multiplier)

    def with_max_interval(self, seconds: float) -> PollPolicy:
        """A copy that never waits longer than ``seconds`` between polls (Retry-After aside)."""
        return dataclasses.replace(self, max_interval=seconds)

    def with_min_interval(self, seconds: float) -> PollPolicy:
        """A copy that never waits less than ``seconds`` between polls."""
        return dataclasses.replace(self, min_interval=seconds)

    def with_jitter(self, fraction: float) -> PollPolicy:
        """A copy that varies each interval by up to ``fraction`` of it, either way."""
        return dataclasses.replace(self, jitter=fraction)

    def with_timeout(self, seconds: float | timedelta | None) -> PollPolicy:
        """A copy that gives up ``seconds`` after the start (None: never)."""
        # __post_init__ stores a timedelta as seconds.
        return dataclasses.replace(self, timeout=cast("float | None", seconds))

    def with_hints(self, use: bool) -> PollPolicy:
        """A copy that follows (or ignores) the server's estimates of when a state changes."""
        return dataclasses.replace(self, use_hints=use)

    def with_reset_on_change(self, reset: bool) -> PollPolicy:
        """A copy that restarts (or not) from ``interval`` after each change of state."""
        return dataclasses.replace(self, reset_on_change=reset)

    def with_state_interval(self, state: Hashable, seconds: float) -> PollPolicy:
        """A copy that waits at least ``seconds`` (up to ``max_interval``) while in ``state``."""
        kept = tuple(pair for pair in self.state_intervals if pair[0] != state)
        return dataclasses.replace(self, state_intervals=(*kept, (state, seconds)))

    def with_random(self, source: Callable[[], float]) -> PollPolicy:
        """A copy drawing its jitter from ``source`` (a function returning a float in [0, 1))."""
        return dataclasses.replace(self, random=source)

    # -- the schedule (pure) -----------------------------------------------------------------
    def delay(
        self,
        attempt: int,
        *,
        elapsed: float = 0.0,
        state: Hashable | None = None,
        hint: float | None = None,
        retry_after: float | None = None,
    ) -> float:
        """Seconds to wait before the next poll.

        ``attempt`` is the number of polls made since the state last changed (0 before the first
        poll), ``elapsed`` the seconds since waiting started, ``state`` the last state observed,
        ``hint`` the server's estimate in seconds of when that state may change, and
        ``retry_after`` the server's Retry-After in seconds.
        """
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 0:
            raise ValueError(f"attempt must be an int >= 0, got {attempt!r}")
        return self._delay(attempt, elapsed, state, hint, retry_after)

    def _delay(
        self,
        attempt: int,
        elapsed: float,
        state: object,
        hint: float | None,
        retry_after: float | None,
    ) -> float:
        if attempt == 0:
            pause = self.first_delay
        else:
            base = self.interval * self.multiplier ** min(attempt - 1, _MAX_EXPONENT)
            base = min(base, self.max_interval)
            if self.use_hints and hint is not None and math.isfinite(hint) and hint > base:
                base = min(hint, self.max_interval)
            floor = self._state_floor(state)
            if floor is not None and floor > base:
                base = min(floor, self.max_interval)
            if self.jitter:
                base *= 1.0 + self.jitter * (2.0 * self.random() - 1.0)
            pause = min(max(base, self.min_interval), self.max_interval)
        if retry_after is not None and math.isfinite(retry_after) and retry_after > pause:
            pause = retry_after
        if self.timeout is not None:
            pause = min(pause, max(self.timeout - elapsed, 0.0))
        return pause

    def _state_floor(self, state: object) -> float | None:
        if state is None or not self.state_intervals:
            return None
        for known, seconds in self.state_intervals:
            if known == state:
                return seconds
        return None


DEFAULT_POLICY = PollPolicy()


def _effective_policy(policy: PollPolicy | None, timeout: float | None) -> PollPolicy:
    if policy is not None and not isinstance(policy, PollPolicy):
        raise ValueError(f"policy must be a PollPolicy, got {type(policy).__name__}")
    chosen = DEFAULT_POLICY if policy is None else policy
    timeout = _validate_timeout("timeout", timeout)
    return chosen if timeout is None else chosen.with_timeout(timeout)
