"""The base of every resource (``client.jobs``, ``client.sessions``...): requests, lists, watches.

A resource names paths, parameters and types; it never sends, retries, pages or polls by itself.
It calls :meth:`APIResource._get` / ``_post`` / ``_patch`` / ``_put`` / ``_delete`` (path
parameters are checked and quoted by the transport), :meth:`APIResource._list` for listings (the
page type declares its paging scheme), and, for resources that reach a final state, declares a
:class:`Watchable` from which ``watch``, ``wait`` and ``watch_many`` follow.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from . import _constants as C
from . import _validate as v
from ._paging import AsyncPager, make_pager
from ._paging_schemes import CursorPosition, ListPage
from ._poll_policy import PollPolicy
from ._watch import wait, watch
from ._watch_group import WatchGroup, listing_lookup
from .progress import ProgressOption

if TYPE_CHECKING:
    from ._transport import BaseClient

__all__ = ["ANY_JSON", "APIResource", "Watchable"]

T = TypeVar("T")
R = TypeVar("R")
ClientT = TypeVar("ClientT", bound="BaseClient")

#: Any JSON value, decoded without a target type (``object`` would go to the decode hook).
ANY_JSON = cast("type[Any]", Any)
_NO_CONTENT: type[None] = type(None)


class APIResource(Generic[ClientT]):
    """A group of endpoints bound to one client (or one ``with_options`` view of it)."""

    def __init__(self, client: ClientT) -> None:
        self._client = client

    def _get(
        self,
        path: str,
        *,
        cast_to: type[T],
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Awaitable[T]:
        # Returns the transport's coroutine itself: no extra coroutine layer per call.
        return self._client._request(
            "GET", path, cast_to=cast_to, path_params=path_params, params=params
        )

    def _post(
        self,
        path: str,
        *,
        cast_to: type[T],
        path_params: Mapping[str, object] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Awaitable[T]:
        return self._client._request(
            "POST", path, cast_to=cast_to, path_params=path_params, json=json, idempotent=idempotent
        )

    def _patch(
        self,
        path: str,
        *,
        json: Any,
        cast_to: type[T],
        path_params: Mapping[str, object] | None = None,
    ) -> Awaitable[T]:
        return self._client._request(
            "PATCH", path, cast_to=cast_to, path_params=path_params, json=json
        )

    async def _put(
        self, path: str, *, json: Any, path_params: Mapping[str, object] | None = None
    ) -> None:
        await self._client._request(
            "PUT", path, cast_to=_NO_CONTENT, path_params=path_params, json=json
        )

    async def _delete(self, path: str, *, path_params: Mapping[str, object] | None = None) -> None:
        await self._client._request("DELETE", path, cast_to=_NO_CONTENT, path_params=path_params)

    def _list(
        self,
        path: str,
        page: type[ListPage[T]],
        *,
        path_params: Mapping[str, object] | None = None,
        filters: Mapping[str, Any] | None = None,
        page_size: int | None,
        limit: int | None,
        page_token: str | None,
        read_ahead: bool,
        first: CursorPosition = None,
        other_params: Sequence[str] = (),
    ) -> AsyncPager[T]:
        """A lazy pager over ``GET path`` with ``filters``, paged as the ``page`` type declares."""

        def fetch(params: dict[str, Any]) -> Awaitable[ListPage[T]]:
            return self._get(path, cast_to=page, path_params=path_params, params=params)

        listing = path.format_map(dict(path_params)) if path_params else path
        return make_pager(
            fetch,
            page,
            path=listing,
            filters=filters or {},
            page_size=page_size,
            limit=limit,
            page_token=page_token,
            read_ahead=read_ahead,
            first=first,
            other_params=other_params,
        )


@dataclass(frozen=True)
class Watchable(Generic[R]):
    """How to follow one kind of resource until it is final.

    ``get(id)`` fetches one; ``is_final`` says when to stop; ``fields`` are the fields whose
    change is news; ``hint`` reads the server's estimate (seconds) of the next change;
    ``list_in_session(session_id)`` lists the resources of one session together (so a group of
    them costs one listing a tick); ``id_name`` names the id argument in error messages.
    """

    get: Callable[[str], Awaitable[R]]
    is_final: Callable[[R], bool]
    fields: tuple[str, ...]
    sleep: Callable[[float], Awaitable[Any]]
    hint: Callable[[R], float | None] | None = None
    list_in_session: Callable[[str], AsyncPager[R]] | None = None
    id_of: Callable[[R], str] | None = None
    id_name: str = "id"

    def watch(
        self,
        resource_id: str,
        *,
        fields: Sequence[str] | None = None,
        policy: PollPolicy | None = None,
        timeout: float | None = None,
        is_final: Callable[[R], bool] | None = None,
    ) -> AsyncGenerator[R, None]:
        """Yield the resource when first seen and on every change, until it is final."""
        rid = v.resource_id(self.id_name, resource_id)
        return watch(
            lambda: self.get(rid),
            is_final=is_final or self.is_final,
            fields=self.fields if fields is None else fields,
            policy=policy,
            timeout=timeout,
            hint=self.hint,
            resource_id=rid,
            sleep=self.sleep,
        )

    async def wait(
        self,
        resource_id: str,
        *,
        policy: PollPolicy | None = None,
        timeout: float | None = None,
        is_final: Callable[[R], bool] | None = None,
        progress: ProgressOption = None,
    ) -> R:
        """Poll until the resource is final and return it (``progress=True`` shows it live)."""
        rid = v.resource_id(self.id_name, resource_id)
        return await wait(
            lambda: self.get(rid),
            is_final=is_final or self.is_final,
            fields=self.fields,
            policy=policy,
            timeout=timeout,
            hint=self.hint,
            resource_id=rid,
            sleep=self.sleep,
            progress=progress,
        )

    def watch_many(
        self,
        ids: Iterable[str],
        *,
        session_id: str | None = None,
        fields: Sequence[str] | None = None,
        policy: PollPolicy | None = None,
        timeout: float | None = None,
        concurrency: int = C.DEFAULT_WATCH_CONCURRENCY,
        expect_more: bool = False,
        get_one: Callable[[str], Awaitable[R]] | None = None,
        progress: ProgressOption = None,
    ) -> WatchGroup[R]:
        """A :class:`WatchGroup` over ``ids``; with ``session_id``, one listing a tick."""
        if isinstance(ids, str):
            raise TypeError(f"{self.id_name}s must be a list of ids, not a single string")
        checked = [v.resource_id(f"{self.id_name}s", rid) for rid in ids]
        list_many = None
        if session_id is not None:
            if self.list_in_session is None or self.id_of is None:
                raise TypeError("these resources cannot be listed by session")
            sid = v.resource_id("session_id", session_id)
            lister = self.list_in_session
            list_many = listing_lookup(lambda: lister(sid), self.id_of)
        return WatchGroup(
            checked,
            get_one=get_one or self.get,
            list_many=list_many,
            is_final=self.is_final,
            fields=self.fields if fields is None else fields,
            policy=policy,
            timeout=timeout,
            hint=self.hint,
            concurrency=concurrency,
            sleep=self.sleep,
            expect_more=expect_more,
            progress=progress,
        )
