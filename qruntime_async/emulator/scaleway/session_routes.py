"""The Scaleway session routes: ``/sessions`` and ``/sessions/{session_id}``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .._store import seq_of
from .._util import json_response, multi_values, no_content
from . import parse
from .errors import denied, not_found, precondition
from .parse import SESSION_ORDER
from .route_base import RouteBase
from .state import ScwSession, job_state, session_state


class SessionRoutes(RouteBase):
    """``GET|POST /sessions``, ``GET|PATCH|DELETE /sessions/{session_id}``, terminate, acls."""

    async def create_session(self, request: web.Request) -> web.Response:
        """``POST /sessions`` (with ``deduplication_id`` reuse)."""
        project = self.authenticate(request)
        req = parse.session_request(await self._body(request), self.ctx.config)
        if req.project_id.lower() != project.project_id:
            raise denied("project")
        platform = self.store.platforms.get(req.platform_id.lower())
        if platform is None:
            raise not_found("platform", req.platform_id)
        if platform.availability == "maintenance":
            raise precondition(f"platform {platform.name} is under maintenance")
        self.store.check_model(project, req.model_id)
        now = self.ctx.stamp()
        if req.deduplication_id:
            same = self.store.reusable_session(project.project_id, req.deduplication_id, now)
            if same is not None:
                return json_response(self._session_json(same, now))
        s = self.store.open_session(project.project_id, platform, req, now)
        return json_response(self._session_json(s, now))

    async def list_sessions(self, request: web.Request) -> web.Response:
        """``GET /sessions`` (``project_id`` required)."""
        project = self.authenticate(request)
        q = request.query
        paging = self._paging(q, SESSION_ORDER, "name_asc")
        self._required_project_param(project, q)
        platform_id = q.get("platform_id")
        tags = multi_values(q, "tags", "tags[]")
        now = self.ctx.now()
        selected = [
            s
            for s in self.store.sessions.values()
            if s.project_id == project.project_id
            and (not platform_id or s.platform.id == platform_id.lower())
            and (not tags or all(t in (s.tags or []) for t in tags))
        ]
        selected.sort(key=self._session_order(paging.field, now), reverse=paging.descending)
        return json_response(
            {
                "total_count": self._count(len(selected), in_session=False),
                "sessions": [self._session_json(s, now) for s in paging.cut(selected)],
            }
        )

    def _session_order(self, field: str, now: float) -> Callable[[ScwSession], Any]:
        if field == "name":
            return lambda s: (s.name, s.seq)
        if field == "started_at":
            return lambda s: (session_state(s, now, self.timing).started or math.inf, s.seq)
        if field == "status":
            return lambda s: (session_state(s, now, self.timing).status, s.seq)
        return seq_of

    async def get_session(self, request: web.Request) -> web.Response:
        """``GET /sessions/{session_id}``."""
        s = self._session_of(request)
        return json_response(self._session_json(s, self.ctx.now()))

    async def update_session(self, request: web.Request) -> web.Response:
        """``PATCH /sessions/{session_id}``."""
        s = self._session_of(request)
        changes = parse.session_changes(await self._body(request))
        now = self.ctx.now()
        if session_state(s, now, self.timing).status == "stopped" and (
            "max_idle" in changes or "max_duration" in changes
        ):
            raise precondition(f"session {s.id} is stopped")
        for attr, value in changes.items():
            setattr(s, attr, value)
        s.updated = now
        return json_response(self._session_json(s, now))

    async def delete_session(self, request: web.Request) -> web.Response:
        """``DELETE /sessions/{session_id}``: the session and all its jobs go."""
        self.store.delete_session(self._session_of(request))
        return no_content()

    async def terminate_session(self, request: web.Request) -> web.Response:
        """``POST /sessions/{session_id}/terminate``: stop it and cancel its unfinished jobs."""
        s = self._session_of(request)
        await self._body(request)
        now = self.ctx.now()
        if session_state(s, now, self.timing).status in ("starting", "running"):
            for j in s.jobs:
                if job_state(j, now, self.timing).status in ("waiting", "running"):
                    j.cancelled_at = now
                    j.updated = now
            s.terminated_at = now
            s.updated = now
        return json_response(self._session_json(s, now))

    async def session_acls(self, request: web.Request) -> web.Response:
        """``GET /sessions/{session_id}/acls``: the key's project has full access."""
        self._session_of(request)
        return json_response({"total_count": self._count(1, in_session=False), "acls": ["full"]})
