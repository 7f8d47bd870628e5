"""The IBM workload routes: ``/workloads/me`` and ``/workloads/admin``, cursor-paged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from .._util import json_response
from . import views
from .parse import WorkloadsQuery
from .route_base import RouteBase
from .workloads import Page, page_of


class WorkloadRoutes(RouteBase):
    """``GET /workloads/me`` and ``GET /workloads/admin``."""

    async def workloads_me(self, request: web.Request) -> web.Response:
        """``GET /workloads/me``: the caller's jobs and sessions, cursor-paged."""
        p = self.authenticate(request)
        instance = request.query.get("instance")
        if instance:
            if instance.count("/") != 2:
                raise self.errors.invalid("instance must be hub/group/project")
            if not p.can_see(instance) or instance not in p.user.instances:
                raise self.errors.forbidden(f"not a member of {instance}")

        def keep(inst: str, user_id: str) -> bool:
            if user_id != p.user.user_id:
                return False
            if instance and inst != instance:
                return False
            return p.scope is None or inst == p.scope

        return self._workloads(request, keep, allow_user_filter=False)

    async def workloads_admin(self, request: web.Request) -> web.Response:
        """``GET /workloads/admin``: a hub's workloads, for that hub's administrators."""
        p = self.authenticate(request)
        instance = request.query.get("instance")
        if not instance:
            raise self.errors.invalid("instance is required (hub, hub/group or hub/group/project)")
        parts = instance.split("/")
        if len(parts) > 3 or not all(parts):
            raise self.errors.invalid("instance must be hub, hub/group or hub/group/project")
        if parts[0] not in p.user.admin_hubs:
            raise self.errors.forbidden(f"only administrators of hub {parts[0]} may list")
        prefix = instance + "/"

        def keep(inst: str, user_id: str) -> bool:
            return inst == instance or inst.startswith(prefix)

        return self._workloads(request, keep, allow_user_filter=True)

    def _workloads(
        self, request: web.Request, keep: Callable[[str, str], bool], *, allow_user_filter: bool
    ) -> web.Response:
        wq = self.parse.workloads_query(request.query, allow_user_filter=allow_user_filter)
        now = self.ctx.now()
        if wq.user_id is not None:
            keep = _of_user(keep, wq.user_id)
        selection = self.store.workloads.select(keep, wq.after, wq.before)
        if not wq.renders_to_filter:
            # only the keys decide the page: render just the workloads on it
            page = selection.page(wq.order, wq.limit, wq.cursor)
            page.rows = [(key, views.workload_json(w, now)) for key, w in page.rows]
        else:
            rendered = ((key, views.workload_json(w, now)) for key, w in selection.rows())
            rows = [(key, w) for key, w in rendered if _workload_matches(w, wq)]
            page = page_of(rows, wq.order, wq.limit, wq.cursor)
        return json_response(self._workloads_json(page, wq))

    def _workloads_json(self, page: Page, wq: WorkloadsQuery) -> dict[str, Any]:
        out: dict[str, Any] = {
            "workloads": [w for _, w in page.rows],
            "count": page.total,
            "limit": wq.limit,
        }
        if page.rows and page.begin > 0:
            t, s = page.rows[0][0]
            out["previous"] = self.ctx.cursors.encode({"d": "p", "o": wq.order, "t": t, "s": s})
        if page.rows and page.end < page.total:
            t, s = page.rows[-1][0]
            out["next"] = self.ctx.cursors.encode({"d": "n", "o": wq.order, "t": t, "s": s})
        return out


def _of_user(keep: Callable[[str, str], bool], user_id: str) -> Callable[[str, str], bool]:
    return lambda inst, uid: uid == user_id and keep(inst, uid)


def _workload_matches(w: dict[str, Any], q: WorkloadsQuery) -> bool:
    """True when a rendered workload passes the filters on rendered fields."""
    if q.backend and w["backend"] != q.backend:
        return False
    if q.mode and w["mode"] != q.mode:
        return False
    if q.statuses and w["status"] not in q.statuses:
        return False
    if q.tags and not all(t in w["tags"] for t in q.tags):
        return False
    search = q.search
    return not (
        search and search not in w["id"].lower() and not any(search in t.lower() for t in w["tags"])
    )
