"""Waiting for resources to reach a final state: a pure schedule and small async drivers.

* :class:`PollPolicy` decides how long to wait before the next poll. It is an immutable value
  with a pure :meth:`PollPolicy.delay` function (no clock, no I/O, injectable randomness).
* :func:`watch` follows one resource and yields it on the first observation and on every change;
  :func:`wait` returns its final state.
* :class:`WatchGroup` follows many resources at once with as few requests as the API allows: one
  list request a tick when the provider can list them together, else bounded concurrent GETs.

The drivers never send HTTP themselves: the provider passes the coroutines that fetch.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Mapping,
    Sequence,
)
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar, cast

import anyio
import anyio.lowlevel

from . import _constants as C
from ._paging import AsyncPager
from .errors import WaitTimeoutError

__all__ = [
    "PollPolicy",
    "WatchEvent",
    "WatchGroup",
    "WatchStats",
    "listing_lookup",
    "wait",
    "watch",
]

R = TypeVar("R")

Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]

_DEFAULT_FIELDS = ("status",)
_DEFAULT_CONCURRENCY = C.DEFAULT_WATCH_CONCURRENCY
# Beyond this the growth is capped anyway; it keeps ``multiplier ** n`` from overflowing.
_MAX_EXPONENT = 200
# Sleeping "until the deadline" can land a hair short of it in floating point.
_DEADLINE_SLACK = 1e-6


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


def _fetch_grace(timeout: float) -> float:
    # A fetch under way at the deadline gets a little longer to answer, so that the last poll
    # can still report a final state; it is never left to run for the transport's full timeout.
    return min(max(0.1 * timeout, 0.05), 1.0)


async def _bounded(fetch: Callable[[], Awaitable[R]], deadline: float | None) -> tuple[bool, Any]:
    """``(True, result)`` of ``fetch()``, or ``(False, None)`` when ``deadline`` passed first.

    ``deadline`` is on anyio's clock (real time), so that a request hanging on the network
    cannot hold a wait past its timeout.
    """
    if deadline is None:
        return True, await fetch()
    with anyio.move_on_after(max(deadline - anyio.current_time(), 0.0)):
        return True, await fetch()
    return False, None


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

    def with_timeout(self, seconds: float | None) -> PollPolicy:
        """A copy that gives up ``seconds`` after the start (None: never)."""
        return dataclasses.replace(self, timeout=seconds)

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


def _key_function(
    state_key: Callable[[Any], Hashable] | None, fields: Sequence[str] | None
) -> Callable[[Any], Any]:
    if state_key is not None and fields is not None:
        raise ValueError("give either state_key or fields, not both")
    if state_key is not None:
        if not callable(state_key):
            raise ValueError("state_key must be a callable")
        return state_key
    names = tuple(_DEFAULT_FIELDS if fields is None else fields)
    if isinstance(fields, str) or not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"fields must be a non-empty sequence of field names, got {fields!r}")
    if len(names) == 1:
        (name,) = names
        return lambda obj: _read_field(obj, name)
    return lambda obj: tuple(_read_field(obj, name) for name in names)


def _read_field(obj: object, name: str) -> Any:
    # Plain dicts first and structs next: both are much cheaper to test than the Mapping ABC.
    if type(obj) is dict:
        return obj.get(name)
    try:
        return getattr(obj, name)
    except AttributeError:
        if isinstance(obj, Mapping):
            return obj.get(name)
        raise


def _policy_state(key: Any) -> Any:
    # For several fields the first one is the state the policy may know intervals for.
    if type(key) is tuple:
        return key[0] if key else None
    return key


def _resource_id(snapshot: object) -> str | None:
    try:
        value = _read_field(snapshot, "id")
    except AttributeError:
        return None
    return value if isinstance(value, str) else None


def _effective_policy(policy: PollPolicy | None, timeout: float | None) -> PollPolicy:
    if policy is not None and not isinstance(policy, PollPolicy):
        raise ValueError(f"policy must be a PollPolicy, got {type(policy).__name__}")
    chosen = DEFAULT_POLICY if policy is None else policy
    timeout = _validate_timeout("timeout", timeout)
    return chosen if timeout is None else chosen.with_timeout(timeout)


class ChangeTracker:
    """What the snapshots of one resource mean, without any I/O: news or not, and when next.

    Shared by :func:`watch` and :class:`WatchGroup`. :meth:`observe` records a snapshot and
    says whether it is news (first seen, changed, or final); :meth:`delay` is the pause the
    policy asks for before the next poll.
    """

    __slots__ = ("attempt", "due", "key", "snapshot")

    def __init__(self, due: float = -math.inf) -> None:
        self.key: Any = _UNSEEN
        self.attempt = 0
        self.due = due
        self.snapshot: Any = None

    @property
    def seen(self) -> bool:
        """True once a snapshot was observed."""
        return self.key is not _UNSEEN

    def observe(self, snapshot: Any, key: Any, *, final: bool, reset: bool) -> bool:
        """Record ``snapshot`` (whose state is ``key``); True when it is news.

        With ``reset`` a change restarts the poll schedule (the next pause is the shortest).
        """
        changed = self.key is _UNSEEN or key != self.key
        if changed and self.key is not _UNSEEN and reset:
            self.attempt = 1
        else:
            self.attempt += 1
        self.key = key
        self.snapshot = snapshot
        return changed or final

    def delay(self, policy: PollPolicy, elapsed: float, estimate: float | None) -> float:
        """Seconds to wait before polling again, by ``policy``."""
        state = _policy_state(self.key) if self.key is not _UNSEEN else None
        return policy._delay(self.attempt, elapsed, state, estimate, None)


_UNSEEN: Any = object()


def watch(
    fetch: Callable[[], Awaitable[R]],
    *,
    is_final: Callable[[R], bool],
    state_key: Callable[[R], Hashable] | None = None,
    fields: Sequence[str] | None = None,
    policy: PollPolicy | None = None,
    timeout: float | None = None,
    hint: Callable[[R], float | None] | None = None,
    resource_id: str | None = None,
    sleep: Sleep = anyio.sleep,
    clock: Clock = time.monotonic,
) -> AsyncGenerator[R, None]:
    """Follow one resource: yield it when first seen and whenever its state changes.

    ``fetch()`` returns the current snapshot. The state compared between polls is
    ``state_key(snapshot)``, or the values of ``fields`` (attributes, or keys of a mapping;
    default: ``status``). Unchanged
    snapshots are not yielded. Iteration ends after yielding the first snapshot for which
    ``is_final`` is true.

    ``timeout`` (seconds, measured with ``clock``; overrides ``policy.timeout``) raises
    :class:`~qruntime_async.errors.WaitTimeoutError` carrying the last snapshot when the
    resource is still not final at the deadline; a last poll is made at the deadline itself.
    ``hint(snapshot)`` gives the server's estimate in seconds of the next change. Errors raised
    by ``fetch`` (for example NotFoundError) end the watch and propagate. Nothing runs in the
    background: cancelling the caller stops everything.
    """
    key_of = _key_function(state_key, fields)
    chosen = _effective_policy(policy, timeout)
    if not callable(fetch) or not callable(is_final):
        raise ValueError("fetch and is_final must be callables")
    return _watch(fetch, is_final, key_of, chosen, hint, resource_id, sleep, clock)


async def _watch(
    fetch: Callable[[], Awaitable[R]],
    is_final: Callable[[R], bool],
    key_of: Callable[[Any], Any],
    policy: PollPolicy,
    hint: Callable[[R], float | None] | None,
    resource_id: str | None,
    sleep: Sleep,
    clock: Clock,
) -> AsyncGenerator[R, None]:
    started = clock()
    tracker = ChangeTracker()
    estimate: float | None = None
    hard_deadline = None
    if policy.timeout is not None:
        hard_deadline = anyio.current_time() + policy.timeout + _fetch_grace(policy.timeout)
    while True:
        pause = tracker.delay(policy, clock() - started, estimate)
        if pause > 0:
            await sleep(pause)
        else:
            await anyio.lowlevel.checkpoint()
        answered, snapshot = await _bounded(fetch, hard_deadline)
        if not answered:
            assert policy.timeout is not None
            last = tracker.snapshot
            rid = resource_id or (_resource_id(last) if tracker.seen else None)
            raise WaitTimeoutError(
                f"{rid or 'the resource'} did not reach a final state within "
                f"{policy.timeout:g} s (the last poll did not answer in time)",
                last=last,
                resource_id=rid,
            )
        key = key_of(snapshot)
        final = is_final(snapshot)
        if tracker.observe(snapshot, key, final=final, reset=policy.reset_on_change):
            yield snapshot
        if final:
            return
        estimate = hint(snapshot) if hint is not None else None
        if policy.timeout is not None and clock() - started >= policy.timeout - _DEADLINE_SLACK:
            rid = resource_id or _resource_id(snapshot)
            name = rid or "the resource"
            raise WaitTimeoutError(
                f"{name} did not reach a final state within {policy.timeout:g} s "
                f"(last state: {key!r})",
                last=snapshot,
                resource_id=rid,
            )


async def wait(
    fetch: Callable[[], Awaitable[R]],
    *,
    is_final: Callable[[R], bool],
    state_key: Callable[[R], Hashable] | None = None,
    fields: Sequence[str] | None = None,
    policy: PollPolicy | None = None,
    timeout: float | None = None,
    hint: Callable[[R], float | None] | None = None,
    resource_id: str | None = None,
    sleep: Sleep = anyio.sleep,
    clock: Clock = time.monotonic,
) -> R:
    """Poll until the resource is final and return that final snapshot (see :func:`watch`)."""
    events = watch(
        fetch,
        is_final=is_final,
        state_key=state_key,
        fields=fields,
        policy=policy,
        timeout=timeout,
        hint=hint,
        resource_id=resource_id,
        sleep=sleep,
        clock=clock,
    )
    async with aclosing(events) as snapshots:
        async for snapshot in snapshots:
            if is_final(snapshot):
                return snapshot
    raise RuntimeError("the watch ended without a final state")  # pragma: no cover


@dataclass(frozen=True)
class WatchEvent(Generic[R]):
    """What a :class:`WatchGroup` reports about one resource.

    A change: ``snapshot`` is the new state and ``error`` is None; ``final`` tells whether the
    resource is done (it is then no longer watched). A failure to fetch this one resource (for
    example NotFoundError): ``error`` is the exception, ``snapshot`` the last state seen (or
    None), and the resource is no longer watched. Other resources are not affected.
    """

    id: str
    snapshot: R | None
    final: bool = False
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True unless this event reports an error."""
        return self.error is None


@dataclass
class WatchStats:
    """Counters of a :class:`WatchGroup`: ticks, requests made, events yielded."""

    ticks: int = 0
    list_requests: int = 0
    single_requests: int = 0
    events: int = 0
    errors: int = 0


class WatchGroup(Generic[R]):
    """Follow many resources at once and yield a :class:`WatchEvent` for each change.

    ``get_one(id)`` fetches one resource. ``list_many(ids)``, when the API can list the
    resources together (e.g. all jobs of one session), returns a mapping ``id -> snapshot`` for
    the ids still watched: then each tick costs one list request, and only ids absent from the
    listing are fetched one by one. Single fetches run ``concurrency`` at a time (and also hold
    ``limiter``, when given, to share a bound with other work).

    Each resource follows its own :class:`PollPolicy` schedule; the group polls when the first
    one is due. A listing counts as a poll of every resource, and with ``list_many`` a change of
    state does not restart a schedule (``policy.reset_on_change`` applies to resources fetched
    one by one): otherwise any change among thousands of resources would keep the whole group
    polling at the shortest interval.

    A resource leaves the group once final, or after an error fetching it, which is reported as
    an event carrying the error (the others go on). :meth:`add` may be called while
    the group is being iterated; iteration ends once nothing is left to watch. ``timeout``
    bounds the whole group: :class:`~qruntime_async.errors.WaitTimeoutError` is raised with
    ``last`` mapping each unfinished id to its last snapshot.

    With ``expect_more=True`` the iteration does not end when everything watched is final:
    it waits for more :meth:`add` calls until :meth:`done_adding` is called (useful to follow
    jobs while they are still being submitted).

    An error of ``list_many`` (the transport has already retried what it could) ends the
    iteration. Use ``async with`` (or :meth:`aclose`) so that an abandoned iteration is closed at
    once.
    """

    def __init__(
        self,
        ids: Iterable[str] = (),
        *,
        get_one: Callable[[str], Awaitable[R]],
        list_many: Callable[[frozenset[str]], Awaitable[Mapping[str, R]]] | None = None,
        is_final: Callable[[R], bool],
        state_key: Callable[[R], Hashable] | None = None,
        fields: Sequence[str] | None = None,
        policy: PollPolicy | None = None,
        timeout: float | None = None,
        hint: Callable[[R], float | None] | None = None,
        concurrency: int = _DEFAULT_CONCURRENCY,
        limiter: anyio.CapacityLimiter | None = None,
        expect_more: bool = False,
        sleep: Sleep = anyio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")
        if not callable(get_one) or not callable(is_final):
            raise ValueError("get_one and is_final must be callables")
        if list_many is not None and not callable(list_many):
            raise ValueError("list_many must be a callable or None")
        self._get_one = get_one
        self._list_many = list_many
        self._is_final = is_final
        self._key_of = _key_function(state_key, fields)
        self._policy = _effective_policy(policy, timeout)
        self._hint = hint
        self._concurrency = concurrency
        self._limiter = limiter
        self._sleep = sleep
        self._clock = clock
        self._entries: dict[str, ChangeTracker] = {}
        self._nap_scope: anyio.CancelScope | None = None
        self._iterator: AsyncGenerator[WatchEvent[R], None] | None = None
        self._closed = False
        self._started: float | None = None
        self._real_started: float | None = None
        self._expect_more = bool(expect_more)
        self._finished = False
        self.stats = WatchStats()
        self.add(*ids)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(watching={len(self._entries)}, stats={self.stats!r})"

    @property
    def pending(self) -> frozenset[str]:
        """The ids still watched (not final, no error)."""
        return frozenset(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def latest(self, resource_id: str) -> R | None:
        """The last snapshot seen of a resource still watched, or None."""
        entry = self._entries.get(resource_id)
        return None if entry is None else cast("R", entry.snapshot)

    def add(self, *ids: str) -> None:
        """Watch more resources; they are polled at once, even while the group is sleeping."""
        if self._closed or self._finished:
            raise RuntimeError("the watch group is closed (its iteration has ended)")
        fresh = False
        for resource_id in ids:
            if not isinstance(resource_id, str) or not resource_id:
                raise ValueError(f"a resource id must be a non-empty string, got {resource_id!r}")
            if resource_id not in self._entries:
                self._entries[resource_id] = ChangeTracker()
                fresh = True
        if fresh and self._nap_scope is not None:
            self._nap_scope.cancel()

    def done_adding(self) -> None:
        """No more ids will be added: iteration ends once every watched resource is final.

        Only needed for a group made with ``expect_more=True``, which otherwise keeps waiting
        for new ids when everything it watches is final.
        """
        self._expect_more = False
        if self._nap_scope is not None:
            self._nap_scope.cancel()

    def discard(self, *ids: str) -> None:
        """Stop watching these resources (unknown ids are ignored)."""
        for resource_id in ids:
            self._entries.pop(resource_id, None)

    def __aiter__(self) -> AsyncIterator[WatchEvent[R]]:
        if self._closed:
            raise RuntimeError("the watch group is closed")
        if self._iterator is not None:
            raise RuntimeError("the watch group is already being iterated")
        self._iterator = self._run()
        return self._iterator

    async def aclose(self) -> None:
        """Stop watching: close the iteration (if any) and refuse further use."""
        self._closed = True
        iterator = self._iterator
        if self._nap_scope is not None:
            self._nap_scope.cancel()
        if iterator is not None and not getattr(iterator, "ag_running", False):
            await iterator.aclose()
        self._iterator = None

    async def __aenter__(self) -> WatchGroup[R]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- the loop ----------------------------------------------------------------------------
    async def _run(self) -> AsyncGenerator[WatchEvent[R], None]:
        clock = self._clock
        if self._started is None:
            self._started = clock()
        started = self._started
        timeout = self._policy.timeout
        # Ids due within this window share a tick instead of each waking the loop.
        window = self._policy.min_interval / 2
        try:
            while (self._entries or self._expect_more) and not self._closed:
                if not self._entries:
                    # Waiting for add() or done_adding(), which wake this nap; a timeout still
                    # bounds the wait.
                    if timeout is None:
                        await self._nap(math.inf)
                        continue
                    left = timeout - (clock() - started)
                    if left <= _DEADLINE_SLACK:
                        raise self._timeout_error(timeout)
                    await self._nap(left)
                    continue
                now = clock()
                if (
                    timeout is not None
                    and now - started >= timeout - _DEADLINE_SLACK
                    and self._polled_all()
                ):
                    raise self._timeout_error(timeout)
                due = [rid for rid, entry in self._entries.items() if entry.due <= now + window]
                if not due:
                    wake = min(entry.due for entry in self._entries.values())
                    await self._nap(wake - now)
                    continue
                answered, events = await _bounded(
                    functools.partial(self._tick, due, started), self._hard_deadline()
                )
                if not answered:
                    assert timeout is not None
                    raise self._timeout_error(timeout)
                for event in events:
                    yield event
                if (
                    timeout is not None
                    and self._entries
                    and clock() - started >= timeout - _DEADLINE_SLACK
                ):
                    raise self._timeout_error(timeout)
        finally:
            self._iterator = None
            self._finished = not self._entries or self._closed

    def _hard_deadline(self) -> float | None:
        # On anyio's (real) clock: when the group's timeout, plus a little grace, runs out.
        timeout = self._policy.timeout
        if timeout is None:
            return None
        if self._real_started is None:
            self._real_started = anyio.current_time()
        return self._real_started + timeout + _fetch_grace(timeout)

    def _polled_all(self) -> bool:
        return all(entry.attempt > 0 for entry in self._entries.values())

    def _timeout_error(self, timeout: float) -> WaitTimeoutError:
        last = {rid: entry.snapshot for rid, entry in self._entries.items()}
        only = next(iter(last)) if len(last) == 1 else None
        return WaitTimeoutError(
            f"{len(last)} watched resource(s) did not reach a final state within {timeout:g} s",
            last=last,
            resource_id=only,
        )

    async def _nap(self, seconds: float) -> None:
        if seconds <= 0:
            await anyio.lowlevel.checkpoint()
            return
        # add() and aclose() cancel this scope to wake the loop early.
        with anyio.CancelScope() as scope:
            self._nap_scope = scope
            try:
                await self._sleep(seconds)
            finally:
                self._nap_scope = None

    async def _tick(self, due: list[str], started: float) -> list[WatchEvent[R]]:
        self.stats.ticks += 1
        # The next polls are planned from when this tick began, not from when its (possibly
        # several) requests ended, so the period stays the policy's interval.
        tick_started = self._clock()
        results: dict[str, R] = {}
        errors: dict[str, Exception] = {}
        singles = due
        if self._list_many is not None:
            watched = frozenset(self._entries)
            self.stats.list_requests += 1
            listed = await self._list_many(watched)
            for rid in watched:
                snapshot = listed.get(rid, _UNSEEN)
                if snapshot is not _UNSEEN:
                    results[rid] = snapshot
            singles = [rid for rid in due if rid not in results]
        if singles:
            await self._fetch_each(singles, results, errors)
        return self._observe(results, errors, started, tick_started)

    async def _fetch_each(
        self, ids: list[str], results: dict[str, R], errors: dict[str, Exception]
    ) -> None:
        queue = iter(ids)
        limiter = self._limiter

        async def worker() -> None:
            # Workers share one iterator, so at most ``concurrency`` fetches (and tasks) exist.
            for rid in queue:
                if rid not in self._entries:
                    continue
                self.stats.single_requests += 1
                try:
                    if limiter is None:
                        results[rid] = await self._get_one(rid)
                    else:
                        async with limiter:
                            results[rid] = await self._get_one(rid)
                except Exception as exc:
                    errors[rid] = exc

        async with anyio.create_task_group() as group:
            for _ in range(min(self._concurrency, len(ids))):
                group.start_soon(worker)

    def _observe(
        self,
        results: dict[str, R],
        errors: dict[str, Exception],
        started: float,
        tick_started: float,
    ) -> list[WatchEvent[R]]:
        policy = self._policy
        key_of, is_final, hint = self._key_of, self._is_final, self._hint
        entries = self._entries
        # A listing serves every resource at once: one resource changing must not make the
        # whole group poll fast again, so with list_many the schedules never restart.
        reset = policy.reset_on_change and self._list_many is None
        floor = policy.min_interval
        now = self._clock()
        elapsed = now - started
        events: list[WatchEvent[R]] = []
        for rid in [rid for rid in entries if rid in results or rid in errors]:
            entry = entries[rid]
            error = errors.get(rid)
            if error is not None:
                del entries[rid]
                events.append(WatchEvent(rid, entry.snapshot, error=error))
                self.stats.errors += 1
                continue
            snapshot = results[rid]
            final = is_final(snapshot)
            if entry.observe(snapshot, key_of(snapshot), final=final, reset=reset):
                events.append(WatchEvent(rid, snapshot, final=final))
            if final:
                del entries[rid]
                continue
            estimate = hint(snapshot) if hint is not None else None
            # A fixed rate from the tick's start, but never less than the policy's floor of
            # rest after a slow tick: a struggling server is not polled back to back.
            entry.due = max(tick_started + entry.delay(policy, elapsed, estimate), now + floor)
        self.stats.events += len(events)
        return events


def listing_lookup(
    make_pager: Callable[[], AsyncPager[R]], id_of: Callable[[R], str]
) -> Callable[[frozenset[str]], Awaitable[Mapping[str, R]]]:
    """A :class:`WatchGroup` ``list_many`` that scans one listing for the watched ids.

    ``make_pager()`` opens the listing (e.g. a session's jobs, best with ``read_ahead=True`` so
    the next page is on its way while one is scanned); the scan stops as soon as every watched
    id has been seen, and the pager is always closed.
    """

    async def lookup(wanted: frozenset[str]) -> Mapping[str, R]:
        found: dict[str, R] = {}
        async with make_pager() as pager:
            async for item in pager:
                rid = id_of(item)
                if rid in wanted:
                    found[rid] = item
                    if len(found) == len(wanted):
                        break
        return found

    return lookup
