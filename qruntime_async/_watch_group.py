"""Following many resources at once: :class:`WatchGroup`.

A group polls with as few requests as the API allows: one list request a tick when the provider
can list the resources together (see :func:`listing_lookup`), else bounded concurrent GETs. What
it reports (:class:`WatchEvent`, :class:`WatchStats`) lives in :mod:`._watch_events`.
"""

from __future__ import annotations

import functools
import math
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
from typing import Generic, TypeVar, cast

import anyio
import anyio.lowlevel

from . import _constants as C
from ._poll_policy import PollPolicy, _effective_policy
from ._watch import (
    _DEADLINE_SLACK,
    _UNSEEN,
    ChangeTracker,
    Clock,
    Sleep,
    _bounded,
    _hard_deadline,
    _key_function,
    _past_deadline,
)
from ._watch_events import WatchEvent, WatchStats, listing_lookup
from .errors import WaitTimeoutError
from .progress import ProgressOption, ProgressTracker, resolve, state_text

__all__ = ["WatchEvent", "WatchGroup", "WatchStats", "listing_lookup"]

R = TypeVar("R")

_DEFAULT_CONCURRENCY = C.DEFAULT_WATCH_CONCURRENCY


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

    ``progress=True`` (or :meth:`with_progress`, or iterating inside
    :func:`~qruntime_async.progress.show_progress`) draws the resources by state, the elapsed
    time and the requests made, updated in place in a terminal or a notebook (tqdm, the
    ``progress`` extra).
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
        progress: ProgressOption = None,
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
        self._progress: ProgressOption = None
        self._progress_label = "jobs"
        self._tracker: ProgressTracker | None = None
        self.stats = WatchStats()
        if progress is not None:
            self.with_progress(progress)
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
                if self._tracker is not None:
                    self._tracker.add(resource_id)
        if fresh and self._tracker is not None:
            self._tracker.push()
        if fresh and self._nap_scope is not None:
            self._nap_scope.cancel()

    def with_progress(
        self, progress: ProgressOption = True, *, label: str | None = None
    ) -> WatchGroup[R]:
        """Show live progress while the group is iterated; returns the group itself.

        ``progress``: True for a tqdm bar (the ``progress`` extra), False for none even inside
        :func:`~qruntime_async.progress.show_progress`, or a factory of displays (see
        :mod:`qruntime_async.progress`). Without tqdm installed, True raises
        ModuleNotFoundError naming the extra, here and now. ``label`` names the bar (``jobs``).
        """
        if self._iterator is not None:
            raise RuntimeError("progress must be chosen before the iteration starts")
        if progress is True:
            self._progress = resolve(True)
        else:
            resolve(progress)
            self._progress = progress
        if label is not None:
            self._progress_label = label
        return self

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
            if self._entries.pop(resource_id, None) is not None and self._tracker is not None:
                self._tracker.forget(resource_id)

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
        tracker: ProgressTracker | None = None
        try:
            tracker = self._tracker = ProgressTracker.open(self._progress, self._progress_label)
            if tracker is not None:
                for rid in self._entries:
                    tracker.add(rid)
                tracker.push(force=True)
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
                    and _past_deadline(now - started, timeout)
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
                if tracker is not None:
                    stats = self.stats
                    tracker.requests = stats.list_requests + stats.single_requests
                    tracker.push()
                for event in events:
                    yield event
                if (
                    timeout is not None
                    and self._entries
                    and _past_deadline(clock() - started, timeout)
                ):
                    raise self._timeout_error(timeout)
        finally:
            self._iterator = None
            self._finished = not self._entries or self._closed
            self._tracker = None
            if tracker is not None:
                tracker.close()

    def _hard_deadline(self) -> float | None:
        # On anyio's (real) clock: when the group's timeout, plus a little grace, runs out.
        timeout = self._policy.timeout
        if timeout is None:
            return None
        if self._real_started is None:
            self._real_started = anyio.current_time()
        return _hard_deadline(self._real_started, timeout)

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
            listed = await self._list_many(watched)
            # A listing of several pages is several requests.
            self.stats.list_requests += getattr(listed, "requests", 1)
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
        progress = self._tracker
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
                if progress is not None:
                    progress.set(rid, "error", done=True)
                continue
            snapshot = results[rid]
            final = is_final(snapshot)
            key = key_of(snapshot)
            if entry.observe(snapshot, key, final=final, reset=reset):
                events.append(WatchEvent(rid, snapshot, final=final))
                if progress is not None and snapshot is not None:
                    progress.set(rid, state_text(key), done=final)
            if final:
                del entries[rid]
                continue
            estimate = hint(snapshot) if hint is not None else None
            # A fixed rate from the tick's start, but never less than the policy's floor of
            # rest after a slow tick: a struggling server is not polled back to back.
            entry.due = max(tick_started + entry.delay(policy, elapsed, estimate), now + floor)
        self.stats.events += len(events)
        return events
