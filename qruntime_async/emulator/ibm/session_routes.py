"""The IBM session routes: ``/sessions`` and ``/sessions/{id}`` with its jobs."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._util import json_response, no_content
from . import views
from .auth import Principal
from .route_base import RouteBase, _created_order
from .state import CLOSED_SESSION_STATES, cancel, job_state, session_phase


class SessionRoutes(RouteBase):
    """``POST /sessions``, ``GET|PATCH /sessions/{id}``, its close, extended view and jobs."""

    async def create_session(self, request: web.Request) -> web.Response:
        """``POST /sessions``."""
        p = self.authenticate(request)
        body = await self._body(request)
        backend = body.get("backend")
        if not isinstance(backend, str) or not backend:
            raise self.errors.invalid("backend is required")
        if backend not in self.store.backends:
            raise self.errors.backend_not_found(backend)
        instance = self._session_instance(p, body.get("instance"))
        max_ttl = self.parse.max_ttl(body)
        mode = body.get("mode", "dedicated")
        if mode not in ("batch", "dedicated"):
            raise self.errors.invalid("mode must be batch or dedicated")
        s = self.store.open_session(p.user.user_id, instance, backend, mode, max_ttl)
        out: dict[str, Any] = {"id": s.id}
        if mode == "dedicated" and self.store.instances[instance].plan == "open":
            out["messages"] = [{"level": "warn", "data": views.OPEN_PLAN_DEDICATED_WARNING}]
        return json_response(out)

    def _session_instance(self, p: Principal, given: Any) -> str:
        if given is None and p.scope is not None:
            given = p.scope
        if not isinstance(given, str) or not given:
            raise self.errors.invalid("instance is required (hub/group/project or CRN)")
        instance = self.authenticate.instance_named(given)
        if instance not in self.store.instances:
            raise self.errors.not_found(f"Instance not found: {instance}")
        if not p.may_create_in(instance):
            raise self.errors.forbidden(f"no access to {instance}")
        return instance

    async def get_session(self, request: web.Request) -> web.Response:
        """``GET /sessions/{id}``."""
        s = self._session_of(request)
        return json_response(views.session_json(s, self.ctx.now(), extended=False))

    async def get_session_extended(self, request: web.Request) -> web.Response:
        """``GET /sessions/{id}/extended``."""
        s = self._session_of(request)
        return json_response(views.session_json(s, self.ctx.now(), extended=True))

    async def update_session(self, request: web.Request) -> web.Response:
        """``PATCH /sessions/{id}`` with ``{"accepting_jobs": bool}``."""
        s = self._session_of(request)
        body = await self._body(request)
        accepting = body.get("accepting_jobs")
        if not isinstance(accepting, bool):
            raise self.errors.invalid("accepting_jobs (boolean) is required")
        now = self.ctx.now()
        state = session_phase(s, now)
        if state in CLOSED_SESSION_STATES:
            if accepting:
                raise self.errors.session_closed(f"Session {s.id} is {state}")
            return no_content()
        if accepting:
            s.accepting_jobs = True
            s.not_accepting_since = None
        elif s.accepting_jobs:
            s.accepting_jobs = False
            s.not_accepting_since = now
        self.ctx.epoch += 1
        return no_content()

    async def close_session(self, request: web.Request) -> web.Response:
        """``DELETE /sessions/{id}/close``: cancel the session and its queued jobs."""
        s = self._session_of(request)
        now = self.ctx.now()
        if session_phase(s, now) in CLOSED_SESSION_STATES:
            return no_content()
        # decide every job's fate before cancelling any (a cancel moves no other job)
        queued = [j for j in s.jobs if job_state(j, now).state_status == "Queued"]
        for j in queued:
            cancel(j, now, "Session cancelled")
        s.cancelled_at = now
        s.accepting_jobs = False
        self.ctx.epoch += 1
        if s.not_accepting_since is None:
            s.not_accepting_since = now
        return no_content()

    async def session_jobs(self, request: web.Request) -> web.Response:
        """``GET /sessions/{id}/jobs`` with offset paging."""
        s = self._session_of(request)
        limit, offset, descending = self.parse.offset_page(request.query)
        now = self.ctx.now()
        jobs = [j for j in s.jobs if j.id in self.store.jobs]
        jobs.sort(key=_created_order, reverse=descending)
        return json_response(
            {
                "jobs": [views.job_json(j, now) for j in jobs[offset : offset + limit]],
                "count": len(jobs),
                "limit": limit,
                "offset": offset,
            }
        )
