"""The three wire paging schemes, and the page types that declare which one they use.

A page type (a decoded list answer) declares what the paging engine needs to know about it:

* ``page_items()``: the items of the page, and ``page_total()``: how many items match, if known;
* the class attributes ``paging`` (``"cursor"``, ``"offset"`` or ``"page"``) and
  ``max_page_size`` (the largest page the server serves);
* for cursor paging ``next_cursor()``; for offset paging optionally ``served_limit()`` (the page
  size the server says it applied).

A strategy reads those; custom callables may replace them (for pages of other shapes).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeGuard, TypeVar

__all__ = [
    "CursorPaging",
    "ListPage",
    "OffsetPaging",
    "PageNumberPaging",
    "PagingScheme",
    "PagingStrategy",
    "strategy_for",
]

T = TypeVar("T")
P = TypeVar("P")
S = TypeVar("S")
T_co = TypeVar("T_co", covariant=True)
P_contra = TypeVar("P_contra", contravariant=True)

PagingScheme = Literal["cursor", "offset", "page"]


class ListPage(Protocol[T_co]):
    """What every decoded list answer declares (see the module docstring)."""

    paging: ClassVar[PagingScheme]
    max_page_size: ClassVar[int]

    def page_items(self) -> Sequence[T_co]:
        """The items of this page."""
        ...

    def page_total(self) -> int | None:
        """How many items match the listing, when the server says."""
        ...


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


def _declared_items(page: Any) -> Sequence[Any]:
    items: Sequence[Any] = page.page_items()
    return items


def _optional_declaration(name: str) -> Callable[[Any], object]:
    """Reads what a page declares through its method ``name``, or None when it has none."""

    def read(page: Any) -> object:
        reader = getattr(page, name, None)
        return None if reader is None else reader()

    return read


_declared_total = _optional_declaration("page_total")


class _Reader(Generic[P, T]):
    """Reads items and totals from a page: the page's own declarations unless overridden."""

    def __init__(
        self,
        items: Callable[[P], Sequence[T]] | None,
        total: Callable[[P], object] | None,
    ) -> None:
        self._items: Callable[[P], Sequence[T]] = items or _declared_items
        self._total: Callable[[P], object] = total or _declared_total

    def items(self, page: P) -> Sequence[T]:
        return self._items(page)

    def total(self, page: P) -> int | None:
        return _count(self._total(page))


#: A cursor position: ``(query parameter, cursor)``, or None for the first page.
CursorPosition = tuple[str, str] | None


class CursorPaging(_Reader[P, T]):
    """Opaque cursors: each page names the cursor of the next one; no cursor means the end.

    ``param`` is the query parameter carrying the cursor (``next`` for IBM workloads). When
    ``page_size`` is set it is sent as ``size_param`` (smaller near the pager's limit). A listing
    may start from a cursor sent in another parameter (``first=("previous", cursor)``, one of
    ``other_params``) and goes on forward through ``param`` from there.
    """

    kind = "cursor"

    def __init__(
        self,
        *,
        items: Callable[[P], Sequence[T]] | None = None,
        next_cursor: Callable[[P], str | None] | None = None,
        param: str = "next",
        page_size: int | None = None,
        size_param: str = "limit",
        total: Callable[[P], object] | None = None,
        first: CursorPosition = None,
        other_params: Collection[str] = (),
    ) -> None:
        super().__init__(items, total)
        self._next_cursor: Callable[[P], str | None] = next_cursor or _declared_next_cursor
        self.param = _param_name("param", param)
        self.page_size = None if page_size is None else _positive_int("page_size", page_size)
        self.size_param = _param_name("size_param", size_param)
        self._params = frozenset({self.param, *other_params})
        if first is not None and first[0] not in self._params:
            raise ValueError(f"a first cursor must be sent in one of {sorted(self._params)}")
        self._first = first

    def start(self, want: int | None) -> CursorPosition:
        return self._first

    def params(self, position: CursorPosition, want: int | None) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if position is not None:
            params[position[0]] = position[1]
        if self.page_size is not None:
            params[self.size_param] = self.page_size if want is None else min(self.page_size, want)
        return params

    def advance(self, position: CursorPosition, sent: Mapping[str, Any], page: P) -> CursorPosition:
        cursor = self._next_cursor(page)
        return (self.param, cursor) if cursor else None

    def dump(self, position: CursorPosition) -> dict[str, Any]:
        if position is None:
            return {"cursor": None}
        param, cursor = position
        return {"cursor": cursor} if param == self.param else {"cursor": cursor, "param": param}

    def load(self, data: Mapping[str, Any]) -> CursorPosition:
        cursor = data.get("cursor")
        param = data.get("param", self.param)
        if cursor is None:
            return None
        if not isinstance(cursor, str) or param not in self._params:
            raise ValueError("the cursor must be a string")
        return (param, cursor)


def _declared_next_cursor(page: Any) -> str | None:
    cursor: str | None = page.next_cursor()
    return cursor


_declared_served_limit = _optional_declaration("served_limit")


class OffsetPaging(_Reader[P, T]):
    """``offset``/``limit`` parameters and a ``count`` of all matching items.

    The listing ends when ``offset + len(items)`` reaches the count, or on a page shorter than
    the limit asked for (or than the limit the server says it applied, read by
    ``served_limit``, so that a server capping the page size does not end the listing early).
    """

    kind = "offset"

    def __init__(
        self,
        *,
        items: Callable[[P], Sequence[T]] | None = None,
        count: Callable[[P], object] | None = None,
        page_size: int = 50,
        offset_param: str = "offset",
        limit_param: str = "limit",
        served_limit: Callable[[P], object] | None = None,
    ) -> None:
        super().__init__(items, count)
        self.page_size = _positive_int("page_size", page_size)
        self.offset_param = _param_name("offset_param", offset_param)
        self.limit_param = _param_name("limit_param", limit_param)
        self._served_limit: Callable[[P], object] = served_limit or _declared_served_limit

    def start(self, want: int | None) -> int:
        return 0

    def params(self, position: int, want: int | None) -> dict[str, Any]:
        size = self.page_size if want is None else min(self.page_size, want)
        return {self.offset_param: position, self.limit_param: size}

    def advance(self, position: int, sent: Mapping[str, Any], page: P) -> int | None:
        received = len(self.items(page))
        asked = int(sent[self.limit_param])
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


class PageNumberPaging(_Reader[P, T]):
    """1-based ``page`` numbers of ``page_size`` items and a ``total_count`` (Scaleway).

    The listing ends on a short page or once ``page * page_size`` reaches the total. A position
    remembers its page size: page numbers only mean something for one size, so a resumed
    listing keeps the size it started with.
    """

    kind = "page"

    def __init__(
        self,
        *,
        items: Callable[[P], Sequence[T]] | None = None,
        total_count: Callable[[P], object] | None = None,
        page_size: int = 50,
        page_param: str = "page",
        size_param: str = "page_size",
    ) -> None:
        super().__init__(items, total_count)
        self.page_size = _positive_int("page_size", page_size)
        self.page_param = _param_name("page_param", page_param)
        self.size_param = _param_name("size_param", size_param)

    def start(self, want: int | None) -> tuple[int, int]:
        # A small limit asks for one small page; later pages keep that size.
        return (1, self.page_size if want is None else min(self.page_size, want))

    def params(self, position: tuple[int, int], want: int | None) -> dict[str, Any]:
        number, size = position
        return {self.page_param: number, self.size_param: size}

    def advance(
        self, position: tuple[int, int], sent: Mapping[str, Any], page: P
    ) -> tuple[int, int] | None:
        number, size = position
        if len(self.items(page)) < size:
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


def strategy_for(
    page_type: type[ListPage[T]],
    *,
    page_size: int | None,
    first: CursorPosition = None,
    other_params: Collection[str] = (),
) -> PagingStrategy[Any, T, Any]:
    """The strategy of the scheme ``page_type`` declares, with ``page_size`` items a page.

    ``page_size`` may be None only for cursor paging (the server's default size is used).
    """
    scheme = page_type.paging
    if scheme == "cursor":
        return CursorPaging(page_size=page_size, first=first, other_params=other_params)
    if page_size is None:
        raise ValueError(f"{scheme} paging needs a page size")
    if scheme == "offset":
        return OffsetPaging(page_size=page_size)
    if scheme == "page":
        return PageNumberPaging(page_size=page_size)
    raise ValueError(f"unknown paging scheme {scheme!r}")  # pragma: no cover
