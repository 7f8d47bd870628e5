"""The paging engine against fake fetchers: stop rules, limits, tokens, guards, read-ahead."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from contextlib import aclosing
from typing import Any

import anyio
import anyio.lowlevel
import msgspec
import pytest

from qruntime_async._paging import (
    AsyncPager,
    CursorPaging,
    OffsetPaging,
    Page,
    PageNumberPaging,
)
from qruntime_async.errors import PagingError

from .conftest import only_this_task

# -- fake servers ------------------------------------------------------------------------------


class WorkloadList(msgspec.Struct):
    workloads: list[int]
    next: str | None = None
    count: int | None = None


class JobList(msgspec.Struct):
    jobs: list[int]
    count: int
    limit: int
    offset: int


class ScwJobList(msgspec.Struct):
    jobs: list[int]
    total_count: int | str


class CursorServer:
    """Cursors are opaque strings; ``next`` is absent on the last page."""

    def __init__(self, total: int, page_size: int = 4) -> None:
        self.data = list(range(total))
        self.page_size = page_size
        self.calls: list[dict[str, Any]] = []

    async def fetch(self, params: dict[str, Any]) -> WorkloadList:
        self.calls.append(params)
        start = int(params["next"].removeprefix("after-")) if "next" in params else 0
        size = int(params.get("limit", self.page_size))
        chunk = self.data[start : start + size]
        more = start + size < len(self.data)
        return WorkloadList(
            workloads=chunk, next=f"after-{start + size}" if more else None, count=len(self.data)
        )


class OffsetServer:
    """IBM-style ``offset``/``limit``; ``max_limit`` mimics a server capping the page size."""

    def __init__(self, total: int, *, claimed: int | None = None, max_limit: int = 1000) -> None:
        self.data = list(range(total))
        self.claimed = claimed
        self.max_limit = max_limit
        self.calls: list[dict[str, Any]] = []

    async def fetch(self, params: dict[str, Any]) -> JobList:
        self.calls.append(params)
        offset, limit = params["offset"], min(params["limit"], self.max_limit)
        count = len(self.data) if self.claimed is None else self.claimed
        return JobList(
            jobs=self.data[offset : offset + limit], count=count, limit=limit, offset=offset
        )


class PageServer:
    """Scaleway-style 1-based ``page``/``page_size`` with a ``total_count`` sent as a string."""

    def __init__(self, total: int) -> None:
        self.data = list(range(total))
        self.calls: list[dict[str, Any]] = []

    async def fetch(self, params: dict[str, Any]) -> ScwJobList:
        self.calls.append(params)
        page, size = params["page"], params["page_size"]
        chunk = self.data[(page - 1) * size : page * size]
        return ScwJobList(jobs=chunk, total_count=str(len(self.data)))


def cursor_strategy(page_size: int | None = 4) -> CursorPaging[WorkloadList, int]:
    return CursorPaging[WorkloadList, int](
        items=lambda p: p.workloads,
        next_cursor=lambda p: p.next,
        param="next",
        page_size=page_size,
        total=lambda p: p.count,
    )


def offset_strategy(page_size: int = 5, *, served: bool = True) -> OffsetPaging[JobList, int]:
    return OffsetPaging[JobList, int](
        items=lambda p: p.jobs,
        count=lambda p: p.count,
        page_size=page_size,
        served_limit=(lambda p: p.limit) if served else None,
    )


def page_strategy(page_size: int = 5) -> PageNumberPaging[ScwJobList, int]:
    return PageNumberPaging[ScwJobList, int](
        items=lambda p: p.jobs, total_count=lambda p: p.total_count, page_size=page_size
    )


async def collect(pager: AsyncPager[int], into: list[int]) -> None:
    async for item in pager:
        into.append(item)


# -- stop rules --------------------------------------------------------------------------------


async def test_cursor_listing_stops_when_no_next_cursor() -> None:
    server = CursorServer(10, page_size=4)
    pager = AsyncPager(server.fetch, cursor_strategy())

    assert [item async for item in pager] == list(range(10))
    assert server.calls == [
        {"limit": 4},
        {"next": "after-4", "limit": 4},
        {"next": "after-8", "limit": 4},
    ]


@pytest.mark.parametrize(("total", "requests"), [(10, 2), (11, 3), (3, 1), (0, 1)])
async def test_offset_listing_stops_on_count_without_fetching_an_empty_page(
    total: int, requests: int
) -> None:
    server = OffsetServer(total)
    pager = AsyncPager(server.fetch, offset_strategy(5))

    assert await pager.to_list() == list(range(total))
    assert len(server.calls) == requests
    assert [c["offset"] for c in server.calls] == [5 * i for i in range(requests)]


async def test_offset_listing_stops_on_a_short_page_even_if_count_claims_more() -> None:
    server = OffsetServer(7, claimed=100)
    pager = AsyncPager(server.fetch, offset_strategy(5))

    assert await pager.to_list() == list(range(7))
    assert len(server.calls) == 2


async def test_offset_listing_stops_on_an_empty_page_that_claims_more_items() -> None:
    server = OffsetServer(0, claimed=50)
    pager = AsyncPager(server.fetch, offset_strategy(5))

    assert await pager.to_list() == []
    assert len(server.calls) == 1


async def test_offset_listing_continues_when_the_server_caps_the_page_size() -> None:
    server = OffsetServer(12, max_limit=5)
    pager = AsyncPager(server.fetch, offset_strategy(10))

    assert await pager.to_list() == list(range(12))
    assert [c["offset"] for c in server.calls] == [0, 5, 10]


@pytest.mark.parametrize(("total", "requests"), [(10, 2), (12, 3), (4, 1), (0, 1)])
async def test_page_number_listing_stops_on_total_or_short_page(total: int, requests: int) -> None:
    server = PageServer(total)
    pager = AsyncPager(server.fetch, page_strategy(5))

    assert await pager.to_list() == list(range(total))
    assert [c["page"] for c in server.calls] == list(range(1, requests + 1))
    assert all(c["page_size"] == 5 for c in server.calls)


async def test_items_are_fetched_lazily() -> None:
    server = OffsetServer(100)
    pager = AsyncPager(server.fetch, offset_strategy(10))
    assert server.calls == []

    async with aclosing(pager.__aiter__()) as items:
        assert await anext(items) == 0
        assert len(server.calls) == 1


async def test_each_iteration_starts_again_from_the_beginning() -> None:
    server = PageServer(7)
    pager = AsyncPager(server.fetch, page_strategy(5))

    assert await pager.to_list() == await pager.to_list() == list(range(7))


# -- pages and limit ---------------------------------------------------------------------------


async def test_pages_expose_tokens_total_and_raw_page() -> None:
    server = OffsetServer(8)
    pager = AsyncPager(server.fetch, offset_strategy(5))

    pages = [page async for page in pager.pages()]

    assert [list(p.items) for p in pages] == [[0, 1, 2, 3, 4], [5, 6, 7]]
    assert all(isinstance(p.token, str) and p.token for p in pages)
    assert pages[0].next_token == pages[1].token
    assert pages[1].next_token is None
    assert [p.total for p in pages] == [8, 8]
    assert isinstance(pages[0].raw, JobList)
    assert pages[1].raw.offset == 5


async def test_first_page_fetches_a_single_page() -> None:
    server = CursorServer(10)
    pager = AsyncPager(server.fetch, cursor_strategy(), read_ahead=True)

    page = await pager.first_page()

    assert isinstance(page, Page)
    assert list(page.items) == [0, 1, 2, 3]
    assert page.total == 10
    assert len(server.calls) == 1
    assert only_this_task()


async def test_limit_caps_items_and_asks_for_smaller_pages() -> None:
    server = OffsetServer(100)
    pager = AsyncPager(server.fetch, offset_strategy(10), limit=13)

    assert await pager.to_list() == list(range(13))
    assert server.calls == [{"offset": 0, "limit": 10}, {"offset": 10, "limit": 3}]


async def test_limit_on_page_numbers_keeps_one_page_size() -> None:
    server = PageServer(100)
    small = AsyncPager(server.fetch, page_strategy(50), limit=3)
    assert await small.to_list() == [0, 1, 2]
    assert server.calls == [{"page": 1, "page_size": 3}]

    server.calls.clear()
    pager = AsyncPager(server.fetch, page_strategy(5), limit=7)
    pages = [page async for page in pager.pages()]
    assert [list(p.items) for p in pages] == [[0, 1, 2, 3, 4], [5, 6]]
    assert server.calls == [{"page": 1, "page_size": 5}, {"page": 2, "page_size": 5}]
    # The cut page still points at the page after it, and resuming from its own token shows it
    # in full.
    rest = AsyncPager(server.fetch, page_strategy(5), page_token=pages[1].token)
    assert (await rest.first_page()).items == [5, 6, 7, 8, 9]


@pytest.mark.parametrize("limit", [0, -1, True, 1.5, "3"])
def test_limit_must_be_a_positive_int(limit: Any) -> None:
    server = PageServer(1)
    with pytest.raises(ValueError, match="limit"):
        AsyncPager(server.fetch, page_strategy(), limit=limit)


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: OffsetPaging[JobList, int](items=lambda p: p.jobs, page_size=0), "page_size"),
        (
            lambda: PageNumberPaging[ScwJobList, int](items=lambda p: p.jobs, page_size=-2),
            "page_size",
        ),
        (
            lambda: CursorPaging[WorkloadList, int](
                items=lambda p: p.workloads, next_cursor=lambda p: p.next, param=""
            ),
            "param",
        ),
    ],
)
def test_strategies_validate_their_settings(build: Callable[[], object], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        build()


# -- tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_server", "make_strategy"),
    [
        (lambda: CursorServer(11), cursor_strategy),
        (lambda: OffsetServer(11), lambda: offset_strategy(4)),
        (lambda: PageServer(11), lambda: page_strategy(4)),
    ],
)
async def test_listing_resumes_from_a_page_token(
    make_server: Callable[[], Any], make_strategy: Callable[[], Any]
) -> None:
    first_server = make_server()
    pager = AsyncPager(first_server.fetch, make_strategy())
    first = await pager.first_page()
    assert first.next_token is not None

    # A fresh pager (as another process would build it) continues from the saved string.
    saved = str(first.next_token)
    later_server = make_server()
    resumed = AsyncPager(later_server.fetch, make_strategy(), page_token=saved)
    assert await resumed.to_list() == list(range(4, 11))

    again = [page async for page in pager.pages(start=saved)]
    assert [item for page in again for item in page.items] == list(range(4, 11))
    assert again[0].token == saved


async def test_a_token_of_another_scheme_is_refused_clearly() -> None:
    offset_token = (await AsyncPager(OffsetServer(20).fetch, offset_strategy(5)).first_page()).token
    cursor_pager = AsyncPager(CursorServer(20).fetch, cursor_strategy())

    with pytest.raises(ValueError, match=r"offset.*cursor"):
        cursor_pager.pages(start=offset_token)
    with pytest.raises(ValueError, match=r"offset.*cursor"):
        AsyncPager(CursorServer(20).fetch, cursor_strategy(), page_token=offset_token)


@pytest.mark.parametrize("token", ["", "not a token", "eyJ2IjoxfQ", "!!!", "bnVsbA"])
def test_a_malformed_token_is_a_value_error(token: str) -> None:
    with pytest.raises(ValueError, match="token"):
        AsyncPager(OffsetServer(1).fetch, offset_strategy(), page_token=token)


async def test_a_token_of_another_listing_is_refused() -> None:
    server = OffsetServer(20)
    mine = AsyncPager(server.fetch, offset_strategy(5), listing="jobs?backend=a")
    token = (await mine.first_page()).next_token
    assert token is not None

    AsyncPager(server.fetch, offset_strategy(5), listing="jobs?backend=a", page_token=token)
    with pytest.raises(ValueError, match="another listing"):
        AsyncPager(server.fetch, offset_strategy(5), listing="jobs?backend=b", page_token=token)


# -- guards against misbehaving servers --------------------------------------------------------


async def test_a_repeated_cursor_raises_paging_error_after_the_good_items() -> None:
    calls = 0

    async def fetch(params: dict[str, Any]) -> WorkloadList:
        nonlocal calls
        calls += 1
        return WorkloadList(workloads=[calls], next="same")

    seen: list[int] = []
    with pytest.raises(PagingError, match="already sent"):
        await collect(AsyncPager(fetch, cursor_strategy(None)), seen)
    assert seen == [1, 2]
    assert calls == 2


async def test_cursors_going_round_in_a_circle_raise_paging_error() -> None:
    cycle = {None: "a", "a": "b", "b": "a"}
    calls = 0

    async def fetch(params: dict[str, Any]) -> WorkloadList:
        nonlocal calls
        calls += 1
        return WorkloadList(workloads=[calls], next=cycle[params.get("next")])

    with pytest.raises(PagingError):
        await AsyncPager(fetch, cursor_strategy(None)).to_list()
    assert calls == 3


async def test_endless_empty_pages_with_new_cursors_raise_paging_error() -> None:
    calls = 0

    async def fetch(params: dict[str, Any]) -> WorkloadList:
        nonlocal calls
        calls += 1
        return WorkloadList(workloads=[], next=f"c{calls}")

    with pytest.raises(PagingError, match="empty pages"):
        await AsyncPager(fetch, cursor_strategy(None), max_empty_pages=2).to_list()
    assert calls == 3


async def test_a_few_empty_pages_in_a_cursor_listing_are_skipped() -> None:
    script = [WorkloadList(workloads=[], next="a"), WorkloadList(workloads=[1, 2], next=None)]

    async def fetch(params: dict[str, Any]) -> WorkloadList:
        return script.pop(0)

    assert await AsyncPager(fetch, cursor_strategy(None)).to_list() == [1, 2]


# -- read-ahead --------------------------------------------------------------------------------


class GatedServer:
    """Page 1 answers at once; later pages wait until released, and record cancellation."""

    def __init__(self, pages: int = 3) -> None:
        self.pages = pages
        self.started: list[int] = []
        self.cancelled: list[int] = []
        self.release = asyncio.Event()

    async def fetch(self, params: dict[str, Any]) -> ScwJobList:
        page = params["page"]
        self.started.append(page)
        if page > 1:
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancelled.append(page)
                raise
        if page == 99:
            raise RuntimeError("boom")
        size = params["page_size"]
        first = (page - 1) * size
        return ScwJobList(jobs=list(range(first, first + size)), total_count=self.pages * size)


async def test_read_ahead_fetches_the_next_page_while_the_caller_works() -> None:
    server = GatedServer()
    pager = AsyncPager(server.fetch, page_strategy(2), read_ahead=True)

    async with pager:
        async for item in pager:
            if item == 0:
                await asyncio.sleep(0)
                # Page 2 is already on its way while the caller still holds page 1.
                assert server.started == [1, 2]
                server.release.set()
    assert server.started == [1, 2, 3]


async def test_without_read_ahead_the_next_page_waits_for_the_caller() -> None:
    server = GatedServer()
    server.release.set()
    pager = AsyncPager(server.fetch, page_strategy(2))

    async for item in pager:
        if item == 0:
            await asyncio.sleep(0)
            assert server.started == [1]


async def test_breaking_out_cancels_and_awaits_the_read_ahead_fetch() -> None:
    server = GatedServer()
    pager = AsyncPager(server.fetch, page_strategy(2), read_ahead=True)

    async with pager:
        async for _ in pager:
            await asyncio.sleep(0)
            break

    assert server.cancelled == [2]
    assert only_this_task()


async def test_closing_a_page_iterator_cancels_the_read_ahead_fetch() -> None:
    server = GatedServer()
    pager = AsyncPager(server.fetch, page_strategy(2), read_ahead=True)

    async with aclosing(pager.pages()) as pages:
        async for _ in pages:
            await asyncio.sleep(0)
            break

    assert server.cancelled == [2]
    assert only_this_task()


async def test_an_abandoned_loop_leaves_no_task_behind() -> None:
    server = GatedServer()
    pager = AsyncPager(server.fetch, page_strategy(2), read_ahead=True)

    async for _ in pager:
        await asyncio.sleep(0)
        break
    gc.collect()
    # The event loop finalizes the abandoned generator on its next iterations.
    for _ in range(20):
        if only_this_task():
            break
        await asyncio.sleep(0)

    assert server.cancelled == [2]
    assert only_this_task()


async def test_an_exception_in_the_loop_body_cancels_the_read_ahead_fetch() -> None:
    server = GatedServer()
    pager = AsyncPager(server.fetch, page_strategy(2), read_ahead=True)

    async def consume() -> None:
        async with pager:
            async for _ in pager:
                await asyncio.sleep(0)
                raise KeyError("caller failed")

    with pytest.raises(KeyError):
        await consume()

    assert server.cancelled == [2]
    assert only_this_task()


async def test_cancelling_the_consumer_cancels_the_read_ahead_fetch() -> None:
    server = GatedServer()
    pager = AsyncPager(server.fetch, page_strategy(2), read_ahead=True)
    got_first = asyncio.Event()

    async def consume() -> None:
        async with pager:
            async for _ in pager:
                got_first.set()
                await asyncio.sleep(3600)

    task = asyncio.create_task(consume())
    await got_first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert server.cancelled == [2]
    assert only_this_task()


async def test_an_anyio_cancel_scope_around_a_read_ahead_loop_leaves_nothing_behind() -> None:
    server = GatedServer()
    pager = AsyncPager(server.fetch, page_strategy(2), read_ahead=True)
    seen: list[int] = []

    with anyio.CancelScope() as scope:
        async with pager:
            async for item in pager:
                seen.append(item)
                if item == 1:
                    scope.cancel()
                await anyio.lowlevel.checkpoint()

    assert scope.cancelled_caught
    assert seen == [0, 1]
    assert server.cancelled == [2]
    assert only_this_task()


async def test_an_error_of_a_read_ahead_fetch_surfaces_on_that_page() -> None:
    class FailingOnPage2(GatedServer):
        async def fetch(self, params: dict[str, Any]) -> ScwJobList:
            if params["page"] == 2:
                await asyncio.sleep(0)
                raise RuntimeError("page 2 failed")
            return await super().fetch(params)

    server = FailingOnPage2()
    pager = AsyncPager(server.fetch, page_strategy(2), read_ahead=True)
    seen: list[int] = []

    with pytest.raises(RuntimeError, match="page 2 failed"):
        await collect(pager, seen)
    assert seen == [0, 1]
    assert only_this_task()


# -- servers that repeat what they already listed ---------------------------------------------


class Item(msgspec.Struct):
    id: str


class ItemPage(msgspec.Struct):
    jobs: list[Item]
    count: int | None = None
    next: str | None = None


async def test_a_server_ignoring_the_offset_ends_with_a_paging_error() -> None:
    calls = 0

    async def fetch(params: dict[str, Any]) -> ItemPage:
        nonlocal calls
        calls += 1
        # Always the first page, whatever the offset, while claiming many more items.
        return ItemPage(jobs=[Item(id=f"j{i}") for i in range(5)], count=1_000_000)

    pager = AsyncPager(fetch, OffsetPaging(items=lambda p: p.jobs, page_size=5))
    seen: list[str] = []

    async def collect() -> None:
        async for item in pager:
            seen.append(item.id)

    with pytest.raises(PagingError, match="already listed"):
        await collect()
    assert calls < 10
    assert seen[:5] == [f"j{i}" for i in range(5)]


async def test_a_cursor_cycle_longer_than_the_remembered_tokens_is_stopped() -> None:
    cycle = 1000  # more cursors than the pager remembers (256)

    async def fetch(params: dict[str, Any]) -> ItemPage:
        n = int(params.get("next", "0"))
        following = (n + 1) % cycle
        return ItemPage(jobs=[Item(id=f"i{n}")], next=str(following))

    pager = AsyncPager(fetch, CursorPaging(items=lambda p: p.jobs, next_cursor=lambda p: p.next))
    seen: list[str] = []

    async def collect() -> None:
        async for item in pager:
            seen.append(item.id)

    with pytest.raises(PagingError, match="already listed"):
        await collect()
    assert cycle <= len(seen) <= cycle + 10  # every item once, then it stops


async def test_a_few_repeated_items_between_pages_are_not_an_error() -> None:
    # Items shifting between pages (new jobs arriving while listing) repeat a few ids.
    pages = [["a", "b", "c"], ["c", "d", "e"], ["e", "f"]]

    async def fetch(params: dict[str, Any]) -> ItemPage:
        index = int(params.get("next", "0"))
        nxt = str(index + 1) if index + 1 < len(pages) else None
        return ItemPage(jobs=[Item(id=i) for i in pages[index]], next=nxt)

    pager = AsyncPager(fetch, CursorPaging(items=lambda p: p.jobs, next_cursor=lambda p: p.next))
    assert [item.id for item in await pager.to_list()] == ["a", "b", "c", "c", "d", "e", "e", "f"]
