"""The workloads index: jobs outside sessions, and sessions, kept sorted by creation.

A listing is served from the index without sorting: each (user, instance) pair has its own
sorted list, a listing merges the lists it may see, and paging positions come from binary
searches. Only filters on rendered fields (status, mode, backend, tags, search) walk every
candidate.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .state import IbmJob, IbmSession

#: Workloads sort by (created, seq); seq breaks ties, so keys are unique.
Key = tuple[float, int]
Workload = IbmJob | IbmSession
Row = tuple[Key, Workload]
Owner = tuple[str, str]


def key_of(w: Workload) -> Key:
    """The sort key of a workload."""
    return (w.created, w.seq)


class _Bucket:
    """The workloads of one (user, instance), sorted by key."""

    __slots__ = ("items", "keys")

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self.items: list[Workload] = []

    def insert(self, w: Workload) -> None:
        key = key_of(w)
        i = bisect.bisect_right(self.keys, key)
        self.keys.insert(i, key)
        self.items.insert(i, w)

    def remove(self, w: Workload) -> None:
        i = bisect.bisect_left(self.keys, key_of(w))
        if i < len(self.keys) and self.items[i] is w:
            del self.keys[i]
            del self.items[i]


class WorkloadIndex:
    """Every workload, by owner, in creation order."""

    def __init__(self) -> None:
        self._buckets: dict[Owner, _Bucket] = {}

    def clear(self) -> None:
        """Forget every workload."""
        self._buckets.clear()

    def add(self, w: Workload) -> None:
        """Index a new workload."""
        owner = (w.user_id, w.instance)
        bucket = self._buckets.get(owner)
        if bucket is None:
            bucket = self._buckets[owner] = _Bucket()
        bucket.insert(w)

    def discard(self, w: Workload) -> None:
        """Drop a workload (no-op if it is not indexed)."""
        bucket = self._buckets.get((w.user_id, w.instance))
        if bucket is not None:
            bucket.remove(w)

    def select(
        self, keep: Callable[[str, str], bool], after: float | None, before: float | None
    ) -> Selection:
        """The workloads whose (instance, user id) ``keep`` accepts, created in the bounds."""
        low = (after - 1e-6,) if after is not None else None
        high = (before + 1e-6, math.inf) if before is not None else None
        spans: list[_Span] = []
        for (user_id, instance), bucket in self._buckets.items():
            if not keep(instance, user_id):
                continue
            lo = bisect.bisect_left(bucket.keys, low) if low is not None else 0
            hi = bisect.bisect_right(bucket.keys, high) if high is not None else len(bucket.keys)
            if hi > lo:
                spans.append(_Span(bucket, lo, hi))
        return Selection(spans)


@dataclass(slots=True)
class _Span:
    bucket: _Bucket
    lo: int
    hi: int

    def up(self, start: int) -> Iterator[Row]:
        """Rows from index ``start`` upward."""
        keys, items = self.bucket.keys, self.bucket.items
        return ((keys[i], items[i]) for i in range(max(start, self.lo), self.hi))

    def down(self, stop: int) -> Iterator[Row]:
        """Rows below index ``stop``, downward."""
        keys, items = self.bucket.keys, self.bucket.items
        return ((keys[i], items[i]) for i in range(min(stop, self.hi) - 1, self.lo - 1, -1))

    def position(self, key: Key, *, right: bool) -> int:
        """The bisection index of ``key``, within the span."""
        find = bisect.bisect_right if right else bisect.bisect_left
        return min(max(find(self.bucket.keys, key), self.lo), self.hi)


def _row_key(row: Row) -> Key:
    return row[0]


@dataclass(slots=True)
class Page:
    """One page: its rows in listing order, its place in the listing, the listing's size."""

    rows: list[tuple[Key, Any]]
    begin: int
    end: int
    total: int


class Selection:
    """The workloads a listing may show, not yet rendered."""

    def __init__(self, spans: list[_Span]) -> None:
        self._spans = spans
        self.total = sum(s.hi - s.lo for s in spans)

    def rows(self) -> Iterator[Row]:
        """Every row, oldest first."""
        return heapq.merge(*(s.up(s.lo) for s in self._spans), key=_row_key)

    def page(self, order: str, limit: int, cursor: dict[str, Any] | None) -> Page:
        """The page ``cursor`` asks for (the first page without one)."""
        spans, total = self._spans, self.total
        if cursor is None:
            ascending = order == "asc"
            starts = [s.lo if ascending else s.hi for s in spans]
            return self._take(ascending, starts, 0, min(limit, total))
        ck = (float(cursor["t"]), int(cursor["s"]))
        forward = cursor["d"] == "n"
        # asc: a forward page starts after the cursor; a backward page ends before it.
        # desc: the same, in descending order.
        right = forward == (order == "asc")
        marks = [s.position(ck, right=right) for s in spans]
        below = sum(m - s.lo for m, s in zip(marks, spans, strict=True))
        if order == "asc":
            if forward:
                return self._take(True, marks, below, min(below + limit, total))
            return self._take_back(False, marks, max(0, below - limit), below)
        above = total - below
        if forward:
            return self._take(False, marks, above, min(above + limit, total))
        return self._take_back(True, marks, max(0, above - limit), above)

    def _take(self, ascending: bool, marks: list[int], begin: int, end: int) -> Page:
        """Rows from the marks onward (upward when ascending) at listing places [begin, end)."""
        if ascending:
            runs = [s.up(m) for s, m in zip(self._spans, marks, strict=True)]
        else:
            runs = [s.down(m) for s, m in zip(self._spans, marks, strict=True)]
        merged = heapq.merge(*runs, key=_row_key, reverse=not ascending)
        rows = list(itertools.islice(merged, max(0, end - begin)))
        return Page(rows, begin, end, self.total)

    def _take_back(self, ascending: bool, marks: list[int], begin: int, end: int) -> Page:
        """Rows just before the marks in listing order, at listing places [begin, end)."""
        page = self._take(ascending, marks, begin, end)
        page.rows.reverse()
        return page


def page_of(
    rows: list[tuple[Key, Any]], order: str, limit: int, cursor: dict[str, Any] | None
) -> Page:
    """The page ``cursor`` asks for among ``rows`` (oldest first, already filtered)."""
    keys = [k for k, _ in rows]
    total = len(rows)
    if cursor is None:
        begin, end = 0, min(limit, total)
    else:
        ck = (float(cursor["t"]), int(cursor["s"]))
        forward = cursor["d"] == "n"
        right = forward == (order == "asc")
        below = (bisect.bisect_right if right else bisect.bisect_left)(keys, ck)
        place = below if order == "asc" else total - below
        begin, end = (
            (place, min(place + limit, total)) if forward else (max(0, place - limit), place)
        )
    if order == "asc":
        return Page(rows[begin:end], begin, end, total)
    listing = [rows[total - 1 - i] for i in range(begin, end)]
    return Page(listing, begin, end, total)
