"""One paging engine for every list call, with small strategies for the three wire schemes.

A list call returns an :class:`AsyncPager` at once (no request is sent yet). Iterating it with
``async for`` yields items lazily, one page in memory at a time (two with ``read_ahead=True``);
:meth:`AsyncPager.pages` yields :class:`Page` objects whose opaque string tokens let a listing be
resumed later, even in another process.

The engine never sends HTTP itself: the provider module passes a ``fetch(params)`` coroutine that
merges the paging parameters with its own filters, sends the request and returns the decoded page,
and a strategy that knows how to read that page:

* :class:`CursorPaging`: the page carries the cursor of the next page (IBM workloads);
* :class:`OffsetPaging`: ``offset``/``limit`` parameters and a ``count`` of matching items (IBM
  jobs, IBM session jobs);
* :class:`PageNumberPaging`: 1-based ``page``/``page_size`` and a ``total_count`` (Scaleway).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import weakref
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeGuard, TypeVar

import anyio
import msgspec

from .errors import PagingError

__all__ = [
    "AsyncPager",
    "CursorPaging",
    "OffsetPaging",
    "Page",
    "PageNumberPaging",
    "PagingStrategy",
]

T = TypeVar("T")
P = TypeVar("P")
S = TypeVar("S")
X = TypeVar("X")
T_co = TypeVar("T_co", covariant=True)
P_contra = TypeVar("P_contra", contravariant=True)

_TOKEN_VERSION = 1
# Enough to catch a server cycling through a handful of cursors without keeping every token of a
# very long listing in memory.
_RECENT_TOKENS = 256
_DEFAULT_MAX_EMPTY_PAGES = 3


@dataclass(frozen=True)
class Page(Generic[T]):
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


class PagingStrategy(Protocol[P_contra, T_co, S]):
    """How one wire scheme reads a decoded page of type ``P`` and moves to the next one.

    ``S`` is the strategy's position in the listing (a cursor, an offset, a page number). It must
    round-trip through :meth:`dump` and :meth:`load` as a small JSON-compatible mapping: the pager
    turns it into the opaque string tokens users see.
    """

    @property
    def kind(self) -> str:
        """A short name of the scheme, written into tokens so that schemes cannot be mixed."""
        ...

    def start(self, want: int | None) -> S:
        """The position of the first page; ``want`` is the item limit, if any."""
        ...

    def params(self, position: S, want: int | None) -> dict[str, Any]:
        """The query parameters that fetch the page at ``position``.

        ``want`` is how many more items the caller will take (None: all), so a strategy may ask
        for a smaller page.
        """
        ...

    def items(self, page: P_contra) -> Sequence[T_co]:
        """The items of a decoded page."""
        ...

    def total(self, page: P_contra) -> int | None:
        """The number of matching items, when the page says."""
        ...

    def advance(self, position: S, sent: Mapping[str, Any], page: P_contra) -> S | None:
        """The position of the page after ``page`` (fetched with ``sent``), or None at the end."""
        ...

    def dump(self, position: S) -> dict[str, Any]:
        """``position`` as a JSON-compatible mapping."""
        ...

    def load(self, data: Mapping[str, Any]) -> S:
        """The position saved by :meth:`dump`; raises ValueError when ``data`` is not one."""
        ...


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def _param_name(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _count(value: object) -> int | None:
    # Counts are uint64 on Scaleway and may arrive as numeric strings.
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


class CursorPaging(Generic[P, T]):
    """Opaque cursors: each page names the cursor of the next one; no cursor means the end.

    ``param`` is the query parameter carrying the cursor (``next`` for IBM workloads). When
    ``page_size`` is set it is sent as ``size_param`` (smaller near the pager's limit).
    """

    kind = "cursor"

    def __init__(
        self,
        *,
        items: Callable[[P], Sequence[T]],
        next_cursor: Callable[[P], str | None],
        param: str = "next",
        page_size: int | None = None,
        size_param: str = "limit",
        total: Callable[[P], object] | None = None,
    ) -> None:
        self._items = items
        self._next_cursor = next_cursor
        self.param = _param_name("param", param)
        self.page_size = None if page_size is None else _positive_int("page_size", page_size)
        self.size_param = _param_name("size_param", size_param)
        self._total = total

    def start(self, want: int | None) -> str | None:
        return None

    def params(self, position: str | None, want: int | None) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if position is not None:
            params[self.param] = position
        if self.page_size is not None:
            params[self.size_param] = self.page_size if want is None else min(self.page_size, want)
        return params

    def items(self, page: P) -> Sequence[T]:
        return self._items(page)

    def total(self, page: P) -> int | None:
        return None if self._total is None else _count(self._total(page))

    def advance(self, position: str | None, sent: Mapping[str, Any], page: P) -> str | None:
        cursor = self._next_cursor(page)
        return cursor or None

    def dump(self, position: str | None) -> dict[str, Any]:
        return {"cursor": position}

    def load(self, data: Mapping[str, Any]) -> str | None:
        cursor = data.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise ValueError("the cursor must be a string")
        return cursor


class OffsetPaging(Generic[P, T]):
    """``offset``/``limit`` parameters and a ``count`` of all matching items.

    The listing ends when ``offset + len(items)`` reaches the count, or on a page shorter than
    the limit asked for (or than the limit the server says it applied, read by
    ``served_limit``, so that a server capping the page size does not end the listing early).
    """

    kind = "offset"

    def __init__(
        self,
        *,
        items: Callable[[P], Sequence[T]],
        count: Callable[[P], object] | None = None,
        page_size: int = 50,
        offset_param: str = "offset",
        limit_param: str = "limit",
        served_limit: Callable[[P], object] | None = None,
    ) -> None:
        self._items = items
        self._count = count
        self.page_size = _positive_int("page_size", page_size)
        self.offset_param = _param_name("offset_param", offset_param)
        self.limit_param = _param_name("limit_param", limit_param)
        self._served_limit = served_limit

    def start(self, want: int | None) -> int:
        return 0

    def params(self, position: int, want: int | None) -> dict[str, Any]:
        size = self.page_size if want is None else min(self.page_size, want)
        return {self.offset_param: position, self.limit_param: size}

    def items(self, page: P) -> Sequence[T]:
        return self._items(page)

    def total(self, page: P) -> int | None:
        return None if self._count is None else _count(self._count(page))

    def advance(self, position: int, sent: Mapping[str, Any], page: P) -> int | None:
        received = len(self._items(page))
        asked = int(sent[self.limit_param])
        if self._served_limit is not None:
            served = _count(self._served_limit(page))
            if served is not None and 0 < served < asked:
                asked = served
        if received == 0 or received < asked:
            return None
        count = self.total(page)
        if count is not None and position + received >= count:
            return None
        return position + received

    def dump(self, position: int) -> dict[str, Any]:
        return {"offset": position}

    def load(self, data: Mapping[str, Any]) -> int:
        offset = data.get("offset")
        if not _is_count(offset) or offset < 0:
            raise ValueError("the offset must be an int >= 0")
        return offset


class PageNumberPaging(Generic[P, T]):
    """1-based ``page`` numbers of ``page_size`` items and a ``total_count`` (Scaleway).

    The listing ends on a short page or once ``page * page_size`` reaches the total. A position
    remembers its page size: page numbers only mean something for one size, so a resumed
    listing keeps the size it started with.
    """

    kind = "page"

    def __init__(
        self,
        *,
        items: Callable[[P], Sequence[T]],
        total_count: Callable[[P], object] | None = None,
        page_size: int = 50,
        page_param: str = "page",
        size_param: str = "page_size",
    ) -> None:
        self._items = items
        self._total_count = total_count
        self.page_size = _positive_int("page_size", page_size)
        self.page_param = _param_name("page_param", page_param)
        self.size_param = _param_name("size_param", size_param)

    def start(self, want: int | None) -> tuple[int, int]:
        # A small limit asks for one small page; later pages keep that size.
        return (1, self.page_size if want is None else min(self.page_size, want))

    def params(self, position: tuple[int, int], want: int | None) -> dict[str, Any]:
        number, size = position
        return {self.page_param: number, self.size_param: size}

    def items(self, page: P) -> Sequence[T]:
        return self._items(page)

    def total(self, page: P) -> int | None:
        return None if self._total_count is None else _count(self._total_count(page))

    def advance(
        self, position: tuple[int, int], sent: Mapping[str, Any], page: P
    ) -> tuple[int, int] | None:
        number, size = position
        if len(self._items(page)) < size:
            return None
        total = self.total(page)
        if total is not None and number * size >= total:
            return None
        return (number + 1, size)

    def dump(self, position: tuple[int, int]) -> dict[str, Any]:
        return {"page": position[0], "size": position[1]}

    def load(self, data: Mapping[str, Any]) -> tuple[int, int]:
        number, size = data.get("page"), data.get("size")
        if not (_is_count(number) and _is_count(size)) or number < 1 or size < 1:
            raise ValueError("the page number and size must be ints >= 1")
        return (number, size)


def _listing_tag(listing: str | None) -> str | None:
    if listing is None:
        return None
    return hashlib.sha256(listing.encode()).hexdigest()[:12]


def _encode_token(kind: str, listing: str | None, payload: dict[str, Any]) -> str:
    envelope: dict[str, Any] = {"v": _TOKEN_VERSION, "k": kind, "p": payload}
    if listing is not None:
        envelope["l"] = listing
    return base64.urlsafe_b64encode(msgspec.json.encode(envelope)).rstrip(b"=").decode("ascii")


def _decode_token(token: object, kind: str, listing: str | None) -> dict[str, Any]:
    if not isinstance(token, str) or not token:
        raise ValueError(f"a page token must be a non-empty string, got {token!r}")
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        envelope = msgspec.json.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise ValueError(f"not a page token: {token!r}") from None
    if (
        not isinstance(envelope, dict)
        or envelope.get("v") != _TOKEN_VERSION
        or not isinstance(envelope.get("k"), str)
        or not isinstance(envelope.get("p"), dict)
    ):
        raise ValueError(f"not a page token: {token!r}")
    if envelope["k"] != kind:
        raise ValueError(
            f"this page token belongs to a listing paged by {envelope['k']}, "
            f"but this listing is paged by {kind}"
        )
    saved = envelope.get("l")
    if listing is not None and saved is not None and saved != listing:
        raise ValueError(
            "this page token belongs to another listing (another resource or other filters)"
        )
    payload: dict[str, Any] = envelope["p"]
    return payload


class _RecentTokens:
    """The last few tokens fetched, to notice a server that sends a listing round in circles."""

    __slots__ = ("_order", "_set")

    def __init__(self) -> None:
        self._order: deque[str] = deque()
        self._set: set[str] = set()

    def __contains__(self, token: str) -> bool:
        return token in self._set

    def add(self, token: str) -> None:
        self._order.append(token)
        self._set.add(token)
        if len(self._order) > _RECENT_TOKENS:
            self._set.discard(self._order.popleft())


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
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise ValueError(f"limit must be a positive int or None, got {limit!r}")
        if limit is not None and limit <= 0:
            raise ValueError(f"limit must be a positive int or None, got {limit!r}")
        if isinstance(max_empty_pages, bool) or not isinstance(max_empty_pages, int):
            raise ValueError(f"max_empty_pages must be an int >= 0, got {max_empty_pages!r}")
        if max_empty_pages < 0:
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
                    if next_token in recent:
                        problem = PagingError(
                            "the server sent a next-page cursor it had already sent; stopping "
                            f"instead of listing forever (page token {next_token})"
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
