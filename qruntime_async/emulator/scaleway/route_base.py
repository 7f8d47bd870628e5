"""What every Scaleway route handler relies on: the service's parts and the steps they share."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .._context import Context
from .._util import read_json_object
from ..config import ScalewayProject
from . import parse, views
from .errors import bad_body, denied, invalid, unauthenticated
from .parse import Paging, uuid
from .state import ScwJob, ScwSession, Timing, job_counts, job_state, session_state
from .store import ScalewayStore


class RouteBase:
    """The parts of :class:`~.routes.ScalewayService` its handlers use, and their shared steps."""

    ctx: Context
    store: ScalewayStore
    timing: Timing

    def authenticate(self, request: web.Request) -> ScalewayProject:
        """The project of the ``X-Auth-Token`` secret key; 401 otherwise."""
        key = request.headers.get("X-Auth-Token")
        project = self.store.projects.get(key) if key else None
        if project is None:
            raise unauthenticated(key)
        return project

    async def _body(self, request: web.Request) -> dict[str, Any]:
        body, problem = await read_json_object(request)
        if body is None:
            raise bad_body(problem or "invalid body")
        return body

    def _paging(self, q: Any, orders: set[str], default: str) -> Paging:
        return parse.paging(q, self.ctx.config, orders, default)

    def _project_param(self, project: ScalewayProject, project_id: str) -> None:
        uuid(project_id, "project_id")
        if project_id.lower() != project.project_id:
            raise denied("project")

    def _required_project_param(self, project: ScalewayProject, query: Any) -> None:
        """The listing's ``project_id`` query parameter: present, and the caller's project."""
        project_id = query.get("project_id")
        if not project_id:
            raise invalid({"project_id": "required"})
        self._project_param(project, project_id)

    def _count(self, n: int, *, in_session: bool) -> int | str:
        mode = self.ctx.config.scaleway_uint64_as_string
        if mode == "all" or (mode == "session" and in_session):
            return str(n)
        return n

    def _job_of(self, request: web.Request) -> ScwJob:
        return self.store.own_job(self.authenticate(request), request.match_info["job_id"])

    def _session_of(self, request: web.Request) -> ScwSession:
        project = self.authenticate(request)
        return self.store.own_session(project, request.match_info["session_id"])

    def _job_json(self, job: ScwJob, now: float) -> dict[str, Any]:
        st = job_state(job, now, self.timing)
        result = self.store.inline_result(job) if st.status == "completed" else None
        return views.job_json(job, st, result)

    def _session_json(self, s: ScwSession, now: float) -> dict[str, Any]:
        st = session_state(s, now, self.timing)
        waiting, finished = job_counts(s, now, self.timing)
        return views.session_json(
            s,
            st,
            self._count(waiting, in_session=True),
            self._count(finished, in_session=True),
        )

    async def _ensure_results(self, jobs: list[ScwJob], now: float) -> None:
        """Compute, in a worker thread, the results of completed jobs that have none yet."""
        for job in self.store.missing_results(jobs, now):
            result = await asyncio.to_thread(self.store.compute, job)
            self.store.keep_result(job, result)
