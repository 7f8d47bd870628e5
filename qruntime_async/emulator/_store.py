"""What both services keep the same way: record ids, sequence numbers, cached renderings and
read-only copies for snapshots."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from typing import Any, NamedTuple, Protocol, TypeVar

import msgspec

from ._context import Context
from ._util import encode


class RenderCache(NamedTuple):
    """The last rendering of one resource and how long it stays right."""

    #: ``Context.epoch`` when rendered: any state change since makes it stale.
    epoch: int
    #: The virtual instant at which the resource may change by itself.
    valid_until: float
    #: Which rendering it is (e.g. with or without the job's params).
    variant: bool
    body: bytes

    def serves(self, epoch: int, now: float, variant: bool = False) -> bool:
        """True when this rendering is still the answer."""
        return self.epoch == epoch and now < self.valid_until and self.variant == variant


class Sequenced(Protocol):
    """A record numbered in creation order."""

    @property
    def seq(self) -> int: ...


S = TypeVar("S", bound=Sequenced)


class Store:
    """Ids and creation numbers of one service's records."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._seq = 0

    def next_seq(self) -> int:
        """The next creation number (never reused, even across resets)."""
        self._seq += 1
        return self._seq

    @staticmethod
    def new_id(make: Callable[[], str], *taken: Container[str]) -> str:
        """A fresh id from ``make`` that no table in ``taken`` holds."""
        value = make()
        while any(value in table for table in taken):
            value = make()
        return value

    def cached(self, cache: RenderCache | None, now: float, variant: bool = False) -> bytes | None:
        """The cached rendering if it is still the answer, else None."""
        if cache is not None and cache.serves(self.ctx.epoch, now, variant):
            return cache.body
        return None

    def render(
        self, obj: Any, valid_until: float, variant: bool = False
    ) -> tuple[bytes, RenderCache]:
        """Encode ``obj`` and the cache entry that remembers it."""
        body = encode(obj)
        return body, RenderCache(self.ctx.epoch, valid_until, variant, body)


def oldest_first(items: Iterable[S]) -> list[S]:
    """Records in creation order."""
    return sorted(items, key=seq_of)


def seq_of(item: Sequenced) -> int:
    """The creation number of a record (a sort key)."""
    return item.seq


def detached(value: Any) -> Any:
    """A deep copy of a JSON value, so that a snapshot cannot change the stored record."""
    return msgspec.json.decode(encode(value))
