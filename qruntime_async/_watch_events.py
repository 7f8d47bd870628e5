"""What a :class:`~qruntime_async.WatchGroup` reports, and the listing it can poll with.

:class:`WatchEvent` is one change (or error) of one resource, :class:`WatchStats` the group's
counters; :func:`listing_lookup` builds a ``list_many`` that scans one listing for the watched ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Generic, TypeVar

from ._paging import AsyncPager
from .display import Card, Displayable, View, status_of

__all__ = ["Listed", "WatchEvent", "WatchStats", "listing_lookup"]

R = TypeVar("R")


@dataclass(frozen=True)
class WatchEvent(Displayable, Generic[R]):
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

    def _view(self) -> View:
        snapshot = self.snapshot
        shown = snapshot._view() if isinstance(snapshot, Displayable) else None
        rows: list[tuple[str, object]] = []
        if self.error is not None:
            rows.append(("error", f"{type(self.error).__name__}: {self.error}"))
        rows.append(("final", self.final))
        if isinstance(shown, Card):
            rows.extend(shown.rows)
            kind = f"{shown.kind} event"
            status = shown.status
        else:
            kind = "watch event"
            status = status_of(snapshot) if snapshot is not None else None
        if self.error is not None:
            status = "error"
        return Card(kind, self.id, status, rows=rows)


@dataclass
class WatchStats:
    """Counters of a :class:`WatchGroup`: ticks, HTTP requests made, events yielded.

    ``list_requests`` counts every page of every listing; ``single_requests`` the fetches of one
    resource each.
    """

    ticks: int = 0
    list_requests: int = 0
    single_requests: int = 0
    events: int = 0
    errors: int = 0


class Listed(dict[str, R]):
    """What a listing found, by id, and how many HTTP requests (pages) it took."""

    requests: int = 0


def listing_lookup(
    make_pager: Callable[[], AsyncPager[R]], id_of: Callable[[R], str]
) -> Callable[[frozenset[str]], Awaitable[Mapping[str, R]]]:
    """A :class:`WatchGroup` ``list_many`` that scans one listing for the watched ids.

    ``make_pager()`` opens the listing (e.g. a session's jobs, best with ``read_ahead=True`` so
    the next page is on its way while one is scanned); the scan stops as soon as every watched
    id has been seen, and the pager is always closed.
    """

    async def lookup(wanted: frozenset[str]) -> Mapping[str, R]:
        found: Listed[R] = Listed()
        async with make_pager() as pager, aclosing(pager.pages()) as pages:
            async for page in pages:
                found.requests += 1
                for item in page.items:
                    rid = id_of(item)
                    if rid in wanted:
                        found[rid] = item
                if len(found) == len(wanted):
                    break
        return found

    return lookup
