"""IBM workloads: the jobs and sessions of a user or of an instance, cursor-paged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from .. import _validate as v
from .._paging import AsyncPager
from .._paging_schemes import CursorPosition
from .._resource import APIResource
from .models import SortOrder, Workload, WorkloadMode, WorkloadsPage

if TYPE_CHECKING:
    from .client import IBMRuntimeClient

__all__ = ["Workloads"]

_STATUSES = frozenset({"pending", "in_progress", "failed", "completed", "canceled"})
_MODES = frozenset(m.value for m in WorkloadMode)
_ORDERS = frozenset(o.value for o in SortOrder)
_SORTS = frozenset({"createdAt"})
#: How workloads are ordered by creation time.
Order = Literal["asc", "desc"]


def check_instance(name: str, value: object, *, levels: tuple[int, ...] = (3,)) -> str:
    """A ``hub``, ``hub/group`` or ``hub/group/project`` string with as many parts as allowed."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string like 'hub/group/project', got {value!r}")
    parts = value.split("/")
    if len(parts) not in levels or any(not part.strip() for part in parts):
        shapes = " or ".join(["hub", "hub/group", "hub/group/project"][n - 1] for n in levels)
        raise ValueError(f"{name} must look like {shapes}; got {value!r}")
    return value


class Workloads(APIResource["IBMRuntimeClient"]):
    """``client.workloads``: list workloads (jobs and sessions) newest first by default."""

    _client: IBMRuntimeClient

    def list_mine(
        self,
        *,
        instance: str | None = None,
        backend: str | None = None,
        search: str | None = None,
        status: str | Sequence[str] | None = None,
        mode: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        tags: Sequence[str] | None = None,
        sort: str | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        page_token: str | None = None,
        next_cursor: str | None = None,
        previous_cursor: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncPager[Workload]:
        """``GET /workloads/me``: your own workloads, newest first unless ``order="asc"``.

        Filters: ``instance`` (``hub/group/project``), ``backend``, ``search`` (ids or tags),
        ``status`` (one or a list of pending, in_progress, completed, canceled, failed),
        ``mode`` (job, session, batch), ``created_after``/``created_before`` (aware datetimes),
        ``tags``; ``sort`` (createdAt) and ``order`` (asc, desc) sort them.

        ``page_size`` is the wire ``limit`` (items per request); ``limit`` caps how many items the
        iteration yields in total. ``page_token`` resumes a listing from a :class:`Page` token;
        ``next_cursor``/``previous_cursor`` start from a cursor the server sent in a page's
        ``next``/``previous`` (``page.raw``), and go on forward from there.
        """
        if instance is not None:
            check_instance("instance", instance)
        filters = self._filters(
            instance=instance,
            backend=backend,
            search=search,
            status=status,
            mode=mode,
            created_after=created_after,
            created_before=created_before,
            tags=tags,
            sort=sort,
            order=order,
        )
        return self._pager(
            "/workloads/me",
            filters,
            page_size=page_size,
            limit=limit,
            page_token=page_token,
            next_cursor=next_cursor,
            previous_cursor=previous_cursor,
            read_ahead=read_ahead,
        )

    def list_admin(
        self,
        *,
        instance: str,
        backend: str | None = None,
        search: str | None = None,
        status: str | Sequence[str] | None = None,
        mode: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        tags: Sequence[str] | None = None,
        user_id: str | None = None,
        sort: str | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        page_token: str | None = None,
        next_cursor: str | None = None,
        previous_cursor: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncPager[Workload]:
        """``GET /workloads/admin``: every workload of a hub, group or project (hub admins).

        ``instance`` is required: ``hub``, ``hub/group`` or ``hub/group/project``; ``user_id``
        narrows it to one user. The other arguments are those of :meth:`list_mine`.
        """
        check_instance("instance", instance, levels=(1, 2, 3))
        filters = self._filters(
            instance=instance,
            backend=backend,
            search=search,
            status=status,
            mode=mode,
            created_after=created_after,
            created_before=created_before,
            tags=tags,
            sort=sort,
            order=order,
        )
        if user_id is not None:
            filters["userId"] = v.resource_id("user_id", user_id)
        return self._pager(
            "/workloads/admin",
            filters,
            page_size=page_size,
            limit=limit,
            page_token=page_token,
            next_cursor=next_cursor,
            previous_cursor=previous_cursor,
            read_ahead=read_ahead,
        )

    @staticmethod
    def _filters(
        *,
        instance: str | None,
        backend: str | None,
        search: str | None,
        status: str | Sequence[str] | None,
        mode: str | None,
        created_after: datetime | None,
        created_before: datetime | None,
        tags: Sequence[str] | None,
        sort: str | None,
        order: str | None,
    ) -> dict[str, Any]:
        filters: dict[str, Any] = {
            "sort": None if sort is None else v.choice("sort", sort, _SORTS),
            "instance": instance,
            "backend": v.optional_str("backend", backend),
            "search": v.optional_str("search", search),
        }
        if order is not None:
            filters["order"] = v.choice("order", order, _ORDERS)
        if status is not None:
            filters["status"] = v.choices("status", status, _STATUSES)
        if mode is not None:
            filters["mode"] = v.choice("mode", mode, _MODES)
        if created_after is not None:
            filters["createdAfter"] = v.aware_datetime("created_after", created_after)
        if created_before is not None:
            filters["createdBefore"] = v.aware_datetime("created_before", created_before)
        if tags is not None:
            filters["tags"] = v.string_list("tags", tags)
        return filters

    def _pager(
        self,
        path: str,
        filters: dict[str, Any],
        *,
        page_size: int | None,
        limit: int | None,
        page_token: str | None,
        next_cursor: str | None,
        previous_cursor: str | None,
        read_ahead: bool,
    ) -> AsyncPager[Workload]:
        given = [
            name
            for name, value in (
                ("page_token", page_token),
                ("next_cursor", next_cursor),
                ("previous_cursor", previous_cursor),
            )
            if value is not None
        ]
        if len(given) > 1:
            raise ValueError(f"give at most one of {', '.join(given)}")
        first: CursorPosition = None
        if next_cursor is not None:
            first = ("next", _cursor("next_cursor", next_cursor))
        elif previous_cursor is not None:
            first = ("previous", _cursor("previous_cursor", previous_cursor))
        return self._list(
            path,
            WorkloadsPage,
            filters=filters,
            page_size=page_size,
            limit=limit,
            page_token=page_token,
            read_ahead=read_ahead,
            first=first,
            other_params=("previous",),
        )


def _cursor(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string (a cursor the server sent)")
    return value
