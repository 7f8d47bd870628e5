"""Live progress of :func:`~qruntime_async.wait` and :class:`~qruntime_async.WatchGroup`.

Progress is opt-in: ``WatchGroup(..., progress=True)``, ``group.with_progress()``,
``wait(..., progress=True)``, or every wait and watch group inside a ``with show_progress():``
block. It is drawn by tqdm (the ``progress`` extra: ``pip install 'qruntime-async[progress]'``):
``tqdm.auto`` updates one line in place in a terminal and a widget in a notebook. The bar counts
the resources that reached a final state; its text gives how many are in each state and how many
HTTP requests the polling made; tqdm adds the elapsed time and rate.

Asking for progress without tqdm installed raises :class:`ModuleNotFoundError` naming the extra;
not asking imports nothing. Any callable ``(label, unit) -> ProgressDisplay`` can stand in for
tqdm (``progress=my_factory``): it gets a :class:`ProgressState` at most every ``interval``
seconds, and once more at the end.
"""

from __future__ import annotations

import importlib
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "EXTRA",
    "ProgressDisplay",
    "ProgressFactory",
    "ProgressOption",
    "ProgressState",
    "TqdmProgress",
    "show_progress",
]

#: How to install what progress needs.
EXTRA = "pip install 'qruntime-async[progress]'"
#: Seconds between two redraws (the last state is always drawn).
DEFAULT_INTERVAL = 0.1


@dataclass(frozen=True)
class ProgressState:
    """What a progress display shows.

    ``total`` resources are followed, ``done`` of them reached a final state (or failed to be
    fetched); ``states`` counts the resources by their last state (``new``: not seen yet);
    ``requests`` is the number of HTTP requests the polling made; ``elapsed`` is in seconds.
    """

    label: str
    total: int
    done: int
    states: Mapping[str, int]
    requests: int
    elapsed: float
    finished: bool = False

    def describe(self) -> str:
        """The states and requests as one line: ``Completed 12 · Running 3 · 48 requests``."""
        parts = [
            f"{state} {count}"
            for state, count in sorted(self.states.items(), key=lambda pair: (-pair[1], pair[0]))
            if count
        ]
        parts.append(f"{self.requests} request{'s' if self.requests != 1 else ''}")
        return " · ".join(parts)


class ProgressDisplay(Protocol):
    """Draws :class:`ProgressState` updates; :meth:`close` is called once at the end."""

    def update(self, state: ProgressState) -> None: ...

    def close(self) -> None: ...


#: Makes a display for a ``label`` (``jobs``, a job id...) counting ``unit`` (``job``).
ProgressFactory = Callable[[str, str], ProgressDisplay]
#: ``True`` (tqdm), ``False`` (none, even inside :func:`show_progress`), ``None`` (as the
#: enclosing :func:`show_progress` block says), or a :data:`ProgressFactory`.
ProgressOption = bool | ProgressFactory | None

_CURRENT: ContextVar[ProgressFactory | None] = ContextVar("qruntime_async_progress", default=None)


def _tqdm_class() -> Any:
    try:
        module = importlib.import_module("tqdm.auto")
    except ImportError:
        raise ModuleNotFoundError(
            f"progress display needs tqdm, which is not installed: {EXTRA}", name="tqdm"
        ) from None
    return module.tqdm


class TqdmProgress:
    """A ``tqdm.auto`` bar: ``done`` of ``total``, with the states and requests as postfix.

    ``options`` go to ``tqdm`` (for example ``file=``, ``leave=False``, ``ncols=``).
    """

    def __init__(self, label: str, unit: str = "job", **options: Any) -> None:
        self._class = _tqdm_class()
        self._settings: dict[str, Any] = {"desc": label, "unit": unit, "leave": True}
        self._settings.update(options)
        self._bar: Any = None

    def update(self, state: ProgressState) -> None:
        bar = self._bar
        if bar is None:
            # Made at the first update, so that it starts with the right total.
            bar = self._bar = self._class(total=state.total, **self._settings)
        elif bar.total != state.total:
            bar.total = state.total
        bar.n = state.done
        bar.set_postfix_str(state.describe(), refresh=False)
        bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def tqdm_factory(**options: Any) -> ProgressFactory:
    """A :data:`ProgressFactory` of :class:`TqdmProgress` bars with these tqdm ``options``.

    Raises ModuleNotFoundError at once when tqdm is not installed.
    """
    _tqdm_class()

    def make(label: str, unit: str) -> ProgressDisplay:
        return TqdmProgress(label, unit, **options)

    return make


def resolve(option: ProgressOption) -> ProgressFactory | None:
    """The factory ``option`` asks for (None: no progress); checks tqdm is installed for True."""
    if option is None:
        return _CURRENT.get()
    if option is False:
        return None
    if option is True:
        return tqdm_factory()
    if callable(option):
        return option
    raise TypeError(f"progress must be True, False, None or a factory, got {option!r}")


@contextmanager
def show_progress(
    factory: ProgressFactory | None = None, **options: Any
) -> Iterator[ProgressFactory]:
    """Show progress of every wait and watch group run inside the block.

    ``factory`` makes the displays (default: tqdm bars, with ``options`` passed to tqdm). Raises
    ModuleNotFoundError naming the ``progress`` extra when tqdm is needed and not installed.
    The setting follows the task (and the tasks it starts), like any context variable.
    """
    chosen = factory if factory is not None else tqdm_factory(**options)
    token = _CURRENT.set(chosen)
    try:
        yield chosen
    finally:
        _CURRENT.reset(token)


class ProgressTracker:
    """The states of the followed resources, pushed to a display at most every ``interval`` s."""

    __slots__ = (
        "_clock",
        "_closed",
        "_display",
        "_interval",
        "_label",
        "_last_push",
        "_started",
        "_state_of",
        "_states",
        "done",
        "requests",
    )

    def __init__(
        self,
        display: ProgressDisplay,
        label: str,
        *,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._display = display
        self._label = label
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._last_push = -float("inf")
        self._state_of: dict[str, str] = {}
        self._states: Counter[str] = Counter()
        self._closed = False
        self.done = 0
        self.requests = 0

    @classmethod
    def open(cls, option: ProgressOption, label: str, unit: str = "job") -> ProgressTracker | None:
        """A tracker drawing on the display ``option`` asks for, or None."""
        factory = resolve(option)
        if factory is None:
            return None
        return cls(factory(label, unit), label)

    def add(self, resource_id: str) -> None:
        """Follow one more resource (its state is ``new`` until seen)."""
        if resource_id not in self._state_of:
            self._state_of[resource_id] = "new"
            self._states["new"] += 1

    def forget(self, resource_id: str) -> None:
        """Stop counting a resource that is no longer followed (and not done)."""
        state = self._state_of.pop(resource_id, None)
        if state is not None:
            self._states[state] -= 1

    def set(self, resource_id: str, state: str, *, done: bool = False) -> None:
        """Record the state of a resource; ``done`` when it will not change any more."""
        previous = self._state_of.get(resource_id)
        if previous is not None:
            self._states[previous] -= 1
        self._state_of[resource_id] = state
        self._states[state] += 1
        if done:
            self.done += 1

    def state(self, *, finished: bool = False) -> ProgressState:
        """What the display shows now."""
        return ProgressState(
            label=self._label,
            total=len(self._state_of),
            done=self.done,
            states={state: n for state, n in self._states.items() if n > 0},
            requests=self.requests,
            elapsed=self._clock() - self._started,
            finished=finished,
        )

    def push(self, *, force: bool = False) -> None:
        """Redraw, unless the last redraw was less than ``interval`` seconds ago."""
        if self._closed:
            return
        now = self._clock()
        if not force and now - self._last_push < self._interval:
            return
        self._last_push = now
        self._display.update(self.state())

    def close(self) -> None:
        """Draw the last state and close the display (once)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._display.update(self.state(finished=True))
        finally:
            self._display.close()


def state_text(key: object) -> str:
    """A state key as watch compares it (a value, or a tuple whose first value is the state)."""
    if type(key) is tuple:
        key = key[0] if key else None
    if key is None:
        return "unknown"
    return str(key)
