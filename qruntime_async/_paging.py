"""One paging engine for every list call, with small strategies for the three wire schemes.

A list call returns an :class:`AsyncPager` at once (no request is sent yet). Iterating it with
``async for`` yields items lazily, one page in memory at a time (two with ``read_ahead=True``);
:meth:`AsyncPager.pages` yields :class:`Page` objects whose opaque string tokens let a listing be
resumed later, even in another process.

The engine never sends HTTP itself: :func:`make_pager` is given a ``fetch(params)`` coroutine that
merges the paging parameters with the listing's filters, sends the request and returns the decoded
page, and the page type, which declares its scheme (see :mod:`._paging_schemes`):

* cursor: the page carries the cursor of the next page (IBM workloads);
* offset: ``offset``/``limit`` parameters and a ``count`` of matching items (IBM jobs, IBM
  session jobs);
* page: 1-based ``page``/``page_size`` and a ``total_count`` (Scaleway).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio

from . import _constants as C
from . import _validate as v
from ._page_tokens import _decode_token, _encode_token, _listing_tag, _RecentTokens
from ._paging_schemes import (
    CursorPaging,
    CursorPosition,
    ListPage,
    OffsetPaging,
    PageNumberPaging,
    PagingStrategy,
    strategy_for,
)
from .display import Displayable, View, page_table
from .errors import PagingError

__all__ = [
    "AsyncPager",
    "CursorPaging",
    "OffsetPaging",
    "Page",
    "PageNumberPaging",
    "PagingStrategy",
    "make_pager",
]

T = TypeVar("T")
P = TypeVar("P")
S = TypeVar("S")
X = TypeVar("X")

_DEFAULT_MAX_EMPTY_PAGES = C.PAGING_MAX_EMPTY_PAGES


@dataclass(frozen=True)
class Page(Displayable, Generic[T]):
    """One page of a listing.

    ``token`` fetches this page again and ``next_token`` (None on the last page) fetches the next
    one: pass either as ``page_token=`` to a list call, or as ``start=`` to
    :meth:`AsyncPager.pages`. ``total`` is the number of matching items when the server says so.
    ``raw`` is the decoded page as the provider received it.

    When the pager's ``limit`` ends inside a page, ``items`` holds only the items within the limit
    and ``next_token`` still refers to the following page; resume from ``token`` to see the rest.
    """

    items: Sequence[T]
    token: str
    next_token: str | None
    total: int | None
    raw: Any

    def _view(self) -> View:
        return page_table(self)


def _retrieve(task: asyncio.Future[Any]) -> None:
    # Reading the outcome keeps asyncio from logging errors of pages nobody wants any more.
    if not task.cancelled():
        task.exception()


async def _discard(task: asyncio.Future[Any]) -> None:
    if task.done():
        return
    task.cancel()
    # Shielded so that a cancelled caller still waits for the fetch to unwind.
    with anyio.CancelScope(shield=True):
        await asyncio.wait({task})


class AsyncPager(Generic[T]):
    """A lazy, resumable listing: ``async for item in pager``, or page by page with ``.pages()``.

    Nothing is fetched until iteration starts, and each iteration starts afresh from
    ``page_token`` (or the first page). ``limit`` caps the number of items yielded by each
    iteration. With ``read_ahead=True`` the next page is fetched while the caller works on the
    current one.

    Leaving a loop early is safe: the read-ahead fetch of an abandoned iteration is cancelled when
    the iterator is closed or collected. For a deterministic clean-up use the pager as an async
    context manager (``async with client.jobs.list(...) as jobs:``) or call :meth:`aclose`.

    ``listing`` names what is being listed (resource and filters); tokens remember it, so that a
    token is not resumed against a different listing by mistake. ``max_empty_pages`` is how many
    empty pages in a row are accepted from a server that claims more items before
    :class:`~qruntime_async.errors.PagingError` is raised.
    """

    def __init__(
        self,
        fetch: Callable[[dict[str, Any]], Awaitable[P]],
        strategy: PagingStrategy[P, T, S],
        *,
        limit: int | None = None,
        page_token: str | None = None,
        read_ahead: bool = False,
        listing: str | None = None,
        max_empty_pages: int = _DEFAULT_MAX_EMPTY_PAGES,
    ) -> None:
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0
        ):
            raise ValueError(f"limit must be a positive int or None, got {limit!r}")
        if (
            isinstance(max_empty_pages, bool)
            or not isinstance(max_empty_pages, int)
            or max_empty_pages < 0
        ):
            raise ValueError(f"max_empty_pages must be an int >= 0, got {max_empty_pages!r}")
        self._fetch: Callable[[dict[str, Any]], Awaitable[Any]] = fetch
        self._strategy: PagingStrategy[Any, T, Any] = strategy
        self._listing = _listing_tag(listing)
        self.limit = limit
        self.read_ahead = bool(read_ahead)
        self.max_empty_pages = max_empty_pages
        self._start: Any = self._position(page_token)
        self._iterators: weakref.WeakSet[AsyncGenerator[Any, None]] = weakref.WeakSet()
        self._prefetches: set[asyncio.Future[Any]] = set()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(kind={self._strategy.kind!r}, limit={self.limit!r}, "
            f"read_ahead={self.read_ahead!r})"
        )

    def _position(self, token: str | None) -> Any:
        if token is None:
            return self._strategy.start(self.limit)
        payload = _decode_token(token, self._strategy.kind, self._listing)
        try:
            return self._strategy.load(payload)
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"not a valid page token for this listing: {exc}") from None

    def _token(self, position: Any) -> str:
        return _encode_token(self._strategy.kind, self._listing, self._strategy.dump(position))

    def __aiter__(self) -> AsyncGenerator[T, None]:
        return self._track(self._items(self._start))

    def pages(self, *, start: str | None = None) -> AsyncGenerator[Page[T], None]:
        """Iterate page by page, from ``start`` (a page token), the pager's token, or the start.

        A malformed token, or one of another paging scheme, raises ValueError here.
        """
        position = self._start if start is None else self._position(start)
        return self._track(self._walk(position, read_ahead=self.read_ahead))

    async def first_page(self) -> Page[T]:
        """Fetch only the first page (from the pager's token when it has one)."""
        async with aclosing(self._walk(self._start, read_ahead=False)) as pages:
            async for page in pages:
                return page
        raise PagingError("the listing produced no page")  # pragma: no cover

    async def to_list(self) -> list[T]:
        """Every item (up to ``limit``) in a list. Prefer ``async for`` for long listings."""
        return [item async for item in self]

    async def aclose(self) -> None:
        """Stop every iteration of this pager still open and cancel its read-ahead fetches."""
        for iterator in list(self._iterators):
            if not getattr(iterator, "ag_running", False):
                await iterator.aclose()
        for task in list(self._prefetches):
            await _discard(task)

    async def __aenter__(self) -> AsyncPager[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _track(self, iterator: AsyncGenerator[X, None]) -> AsyncGenerator[X, None]:
        self._iterators.add(iterator)
        return iterator

    async def _items(self, position: Any) -> AsyncGenerator[T, None]:
        async with aclosing(self._walk(position, read_ahead=self.read_ahead)) as pages:
            async for page in pages:
                for item in page.items:
                    yield item

    def _prefetch(self, params: dict[str, Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(self._fetch(params))
        task.add_done_callback(_retrieve)
        self._prefetches.add(task)
        task.add_done_callback(self._prefetches.discard)
        return task

    async def _walk(self, position: Any, *, read_ahead: bool) -> AsyncGenerator[Page[T], None]:
        strategy = self._strategy
        remaining = self.limit
        token = self._token(position)
        recent = _RecentTokens()
        recent.add(token)
        empty_run = 0
        stale_run = 0
        seen: set[int] = set()
        params = strategy.params(position, remaining)
        pending: asyncio.Future[Any] | None = None
        try:
            while True:
                if pending is not None:
                    raw = await pending
                    pending = None
                else:
                    raw = await self._fetch(dict(params))
                items = strategy.items(raw)
                following = strategy.advance(position, params, raw)
                if remaining is not None:
                    if len(items) >= remaining:
                        items = items[:remaining]
                    remaining -= len(items)
                next_token: str | None = None
                problem: PagingError | None = None
                if following is not None:
                    next_token = self._token(following)
                    empty_run = empty_run + 1 if not items else 0
                    stale_run = stale_run + 1 if items and not _brings_news(items, seen) else 0
                    if next_token in recent:
                        problem = PagingError(
                            "the server sent a next-page cursor it had already sent; stopping "
                            f"instead of listing forever (page token {next_token})"
                        )
                    elif stale_run > self.max_empty_pages:
                        problem = PagingError(
                            f"the server sent {stale_run} pages in a row that held only items "
                            "it had already listed; stopping instead of listing forever "
                            f"(page token {next_token})"
                        )
                    elif empty_run > self.max_empty_pages:
                        problem = PagingError(
                            f"the server sent {empty_run} empty pages in a row while claiming "
                            "more items; stopping instead of listing forever "
                            f"(page token {next_token})"
                        )
                page = Page(
                    items=items,
                    token=token,
                    next_token=next_token,
                    total=strategy.total(raw),
                    raw=raw,
                )
                if following is None or next_token is None or remaining == 0:
                    yield page
                    return
                if problem is not None:
                    yield page
                    raise problem
                next_params = strategy.params(following, remaining)
                if read_ahead:
                    pending = self._prefetch(dict(next_params))
                yield page
                position, token, params = following, next_token, next_params
                recent.add(token)
        finally:
            if pending is not None:
                await _discard(pending)


def _brings_news(items: Sequence[Any], seen: set[int]) -> bool:
    """Whether a page holds an item not listed before (items without an ``id`` always count).

    A server that ignores the paging parameters, or cycles through more cursors than the
    pager remembers, sends pages of items already listed; their ids (hashed, to keep memory
    small on long listings) tell.
    """
    before = len(seen)
    add = seen.add
    for item in items:
        rid = getattr(item, "id", None)
        if not isinstance(rid, str):
            return True
        add(hash(rid))
    return len(seen) > before


def make_pager(
    fetch: Callable[[dict[str, Any]], Awaitable[ListPage[T]]],
    page_type: type[ListPage[T]],
    *,
    path: str,
    filters: Mapping[str, Any],
    page_size: int | None,
    limit: int | None,
    page_token: str | None,
    read_ahead: bool,
    first: CursorPosition = None,
    other_params: Sequence[str] = (),
) -> AsyncPager[T]:
    """The pager of one listing: ``GET path`` with ``filters``, paged as ``page_type`` declares.

    ``page_size`` (items a request, at most ``page_type.max_page_size``) and ``limit`` (items in
    all) are checked here, before any request. Filters that are None are not sent and do not
    count in the listing's identity (which page tokens remember).
    """
    if page_size is not None:
        v.positive_int("page_size", page_size, maximum=page_type.max_page_size)
    if limit is not None:
        v.positive_int("limit", limit)
    sent = {name: value for name, value in filters.items() if value is not None}
    listing = path + "?" + "&".join(f"{k}={sent[k]}" for k in sorted(sent))
    strategy = strategy_for(page_type, page_size=page_size, first=first, other_params=other_params)

    async def fetch_page(params: dict[str, Any]) -> ListPage[T]:
        return await fetch({**sent, **params})

    return AsyncPager(
        fetch_page,
        strategy,
        limit=limit,
        page_token=page_token,
        read_ahead=read_ahead,
        listing=listing,
    )
