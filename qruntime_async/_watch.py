"""Following one resource until it reaches a final state: :func:`watch` and :func:`wait`.

:func:`watch` yields the resource on the first observation and on every change; :func:`wait`
returns its final state. :class:`ChangeTracker` holds what the snapshots of one resource mean
(news or not, and when to poll next), without any I/O. The drivers never send HTTP themselves:
the provider passes the coroutines that fetch.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Mapping, Sequence
from contextlib import aclosing
from typing import Any, TypeVar, cast

import anyio
import anyio.lowlevel

from ._poll_policy import PollPolicy, _effective_policy
from .errors import WaitTimeoutError
from .progress import ProgressOption, ProgressTracker, state_text

__all__ = ["ChangeTracker", "wait", "watch"]

R = TypeVar("R")

Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]

_DEFAULT_FIELDS = ("status",)
# Sleeping "until the deadline" can land a hair short of it in floating point.
_DEADLINE_SLACK = 1e-6


def _hard_deadline(start: float, timeout: float) -> float:
    """When a wait of ``timeout`` seconds begun at ``start`` (anyio's clock) gives up a fetch.

    A fetch under way at the deadline gets a little longer to answer, so that the last poll
    can still report a final state; it is never left to run for the transport's full timeout.
    """
    return start + timeout + min(max(0.1 * timeout, 0.05), 1.0)


def _past_deadline(elapsed: float, timeout: float) -> bool:
    return elapsed >= timeout - _DEADLINE_SLACK


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


def _timeout_error(
    resource_id: str | None, last: object, timeout: float, why: str
) -> WaitTimeoutError:
    rid = resource_id or _resource_id(last)
    return WaitTimeoutError(
        f"{rid or 'the resource'} did not reach a final state within {timeout:g} s ({why})",
        last=last,
        resource_id=rid,
    )


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
    chosen = _checked_policy(fetch, is_final, policy, timeout)
    return _watch(fetch, is_final, key_of, chosen, hint, resource_id, sleep, clock)


def _checked_policy(
    fetch: object, is_final: object, policy: PollPolicy | None, timeout: float | None
) -> PollPolicy:
    chosen = _effective_policy(policy, timeout)
    if not callable(fetch) or not callable(is_final):
        raise ValueError("fetch and is_final must be callables")
    return chosen


async def _watch(
    fetch: Callable[[], Awaitable[R]],
    is_final: Callable[[R], bool],
    key_of: Callable[[Any], Any],
    policy: PollPolicy,
    hint: Callable[[R], float | None] | None,
    resource_id: str | None,
    sleep: Sleep,
    clock: Clock,
    report: Callable[[R, Any, bool], None] | None = None,
) -> AsyncGenerator[R, None]:
    # ``report(snapshot, key, final)``, when given, sees every snapshot fetched (progress).
    started = clock()
    tracker = ChangeTracker()
    estimate: float | None = None
    hard_deadline = None
    if policy.timeout is not None:
        hard_deadline = _hard_deadline(anyio.current_time(), policy.timeout)
    while True:
        pause = tracker.delay(policy, clock() - started, estimate)
        if pause > 0:
            await sleep(pause)
        else:
            await anyio.lowlevel.checkpoint()
        answered, snapshot = await _bounded(fetch, hard_deadline)
        if not answered:
            assert policy.timeout is not None
            raise _timeout_error(
                resource_id,
                tracker.snapshot,
                policy.timeout,
                "the last poll did not answer in time",
            )
        key = key_of(snapshot)
        final = is_final(snapshot)
        if report is not None:
            report(snapshot, key, final)
        if tracker.observe(snapshot, key, final=final, reset=policy.reset_on_change):
            yield snapshot
        if final:
            return
        estimate = hint(snapshot) if hint is not None else None
        if policy.timeout is not None and _past_deadline(clock() - started, policy.timeout):
            raise _timeout_error(resource_id, snapshot, policy.timeout, f"last state: {key!r}")


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
    progress: ProgressOption = None,
) -> R:
    """Poll until the resource is final and return that final snapshot (see :func:`watch`).

    ``progress=True`` shows its state, the time waited and the requests made, updated in place
    (tqdm, the ``progress`` extra; see :mod:`qruntime_async.progress`); by default progress is
    shown only inside a :func:`~qruntime_async.progress.show_progress` block.
    """
    key_of = _key_function(state_key, fields)
    label = resource_id or "resource"
    tracker = ProgressTracker.open(progress, label)
    if tracker is None:
        chosen = _checked_policy(fetch, is_final, policy, timeout)
        return await _wait(_watch(fetch, is_final, key_of, chosen, hint, resource_id, sleep, clock))

    async def counted() -> R:
        tracker.requests += 1
        return await fetch()

    def report(snapshot: R, key: Any, final: bool) -> None:
        tracker.set(label, state_text(key), done=final)
        tracker.push(force=final)

    try:
        tracker.add(label)
        tracker.push(force=True)
        chosen = _checked_policy(fetch, is_final, policy, timeout)
        return await _wait(
            _watch(counted, is_final, key_of, chosen, hint, resource_id, sleep, clock, report)
        )
    finally:
        tracker.close()


async def _wait(events: AsyncGenerator[R, None]) -> R:
    # A watch ends right after yielding its first final snapshot (or raises): that is the last.
    last: Any = _UNSEEN
    async with aclosing(events) as snapshots:
        async for snapshot in snapshots:
            last = snapshot
    if last is _UNSEEN:  # pragma: no cover
        raise RuntimeError("the watch ended without a final state")
    return cast("R", last)
