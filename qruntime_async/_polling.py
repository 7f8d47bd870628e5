"""Waiting for resources to reach a final state: the polling API in one import.

* :class:`PollPolicy` (:mod:`._poll_policy`) decides how long to wait before the next poll. It
  is an immutable value with a pure :meth:`PollPolicy.delay` function (no clock, no I/O,
  injectable randomness).
* :func:`watch` (:mod:`._watch`) follows one resource and yields it on the first observation and
  on every change; :func:`wait` returns its final state.
* :class:`WatchGroup` (:mod:`._watch_group`) follows many resources at once with as few requests
  as the API allows: one list request a tick when the provider can list them together, else
  bounded concurrent GETs.

The drivers never send HTTP themselves: the provider passes the coroutines that fetch.
"""

from __future__ import annotations

from ._poll_policy import PollPolicy
from ._watch import wait, watch
from ._watch_group import WatchEvent, WatchGroup, WatchStats, listing_lookup

__all__ = [
    "PollPolicy",
    "WatchEvent",
    "WatchGroup",
    "WatchStats",
    "listing_lookup",
    "wait",
    "watch",
]
