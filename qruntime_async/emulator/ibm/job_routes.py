"""The IBM job routes: ``/jobs`` and ``/jobs/{id}`` with its results, logs, metrics and tags."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from aiohttp import web

from .._util import encode, json_response, no_content, parse_bool
from ..config import IbmBackend
from . import views
from .auth import Principal
from .errors import CODE_JOB_FINAL, CODE_NO_RESULT, CODE_RATE_LIMITED
from .parse import JobsQuery
from .qiskit_pubs import isa_problem as encoded_isa_problem
from .qiskit_pubs import submission_problem
from .results import compute_result
from .route_base import RouteBase, _created_order
from .state import (
    CLOSED_SESSION_STATES,
    IbmJob,
    IbmSession,
    cancel,
    job_state,
    next_change,
    session_phase,
)
from .store import Placement, isa_problem

JSON = "application/json"


class JobRoutes(RouteBase):
    """``POST|GET /jobs``, ``GET|DELETE /jobs/{id}`` and what hangs off one job."""

    async def create_job(self, request: web.Request) -> web.Response:
        """``POST /jobs``."""
        p = self.authenticate(request)
        body = await self._body(request)
        req = self.parse.job(body)
        session = None if req.session_id is None else self._visible_session(p, req.session_id)
        backend = self._backend_for(body.get("backend"), session)
        instance = self._instance_for_create(p, body, session)
        now = self.ctx.stamp()
        messages = [] if session is None else self._admit(session, backend, instance, now)
        measure = self.parse.measure(req.program, req.params)
        if measure.shots > backend.max_shots * max(1, measure.circuits):
            raise self.errors.invalid(f"Too many shots: at most {backend.max_shots} a circuit")
        if measure.circuits > backend.max_experiments:
            raise self.errors.invalid(f"Too many circuits: at most {backend.max_experiments}")
        measure.failure, names = submission_problem(req.program, req.params)
        if self.ctx.config.ibm_strict_isa:
            problem = isa_problem(measure.texts, backend.basis_gates)
            problem = problem or encoded_isa_problem(names, backend.basis_gates)
            if problem is not None:
                raise self.errors.invalid(problem)
        self._check_rate(p)
        at = Placement(p.user.user_id, instance, backend, session, now)
        job = self.store.submit(req, at, measure)
        return json_response(views.created_job_json(job, messages))

    def _backend_for(self, name: Any, session: IbmSession | None) -> IbmBackend:
        if name is None and session is not None:
            name = session.backend
        if not isinstance(name, str) or not name:
            raise self.errors.invalid("backend is required")
        backend = self.store.backends.get(name)
        if backend is None:
            raise self.errors.backend_not_found(name)
        return backend

    def _instance_for_create(
        self, p: Principal, body: dict[str, Any], session: IbmSession | None
    ) -> str:
        parts = [body.get("hub"), body.get("group"), body.get("project")]
        if any(x is not None for x in parts):
            if not all(isinstance(x, str) and x for x in parts):
                raise self.errors.invalid("hub, group and project must be given together")
            wanted = "/".join(str(x) for x in parts)
            if wanted not in self.store.instances or not p.may_create_in(wanted):
                raise self.errors.forbidden(f"no access to {wanted}")
            if session is not None and session.instance != wanted:
                raise self.errors.invalid("the job's instance differs from its session's")
            return wanted
        if session is not None:
            return session.instance
        if p.scope is not None:
            return p.scope
        if not p.user.instances:
            raise self.errors.forbidden("the user belongs to no instance")
        return p.user.instances[0]

    def _admit(
        self, session: IbmSession, backend: IbmBackend, instance: str, now: float
    ) -> list[dict[str, str]]:
        """Check that the session takes the job; the warnings to send with it."""
        if session.backend != backend.name:
            raise self.errors.invalid(
                f"Session {session.id} runs on {session.backend}, not {backend.name}"
            )
        state = session_phase(session, now)
        if state in CLOSED_SESSION_STATES or not session.accepting_jobs:
            raise self.errors.session_closed(
                f"Session {session.id} is {state} and not accepting new jobs"
            )
        if session.mode == "dedicated" and self.store.instances[instance].plan == "open":
            return [{"level": "warn", "data": views.OPEN_PLAN_DEDICATED_WARNING}]
        return []

    def _check_rate(self, p: Principal) -> None:
        limit = self.ctx.config.ibm_job_rate_limit
        wait = self.store.rate_wait(p.user.user_id, limit)
        if wait is not None:
            raise self.errors.error(
                429,
                CODE_RATE_LIMITED,
                f"Job creation rate limit reached ({limit} jobs a minute); retry later",
                {"Retry-After": str(wait)},
            )

    async def list_jobs(self, request: web.Request) -> web.Response:
        """``GET /jobs`` with offset paging and every documented filter."""
        p = self.authenticate(request)
        q = self.parse.jobs_query(request.query)
        now = self.ctx.now()
        selected = [j for j in self.store.jobs.values() if _job_matches(p, q, j, now)]
        selected.sort(key=_created_order, reverse=q.descending)
        page = selected[q.offset : q.offset + q.limit]
        return json_response(
            {
                "jobs": [views.job_json(j, now, exclude_params=q.exclude_params) for j in page],
                "count": len(selected),
                "limit": q.limit,
                "offset": q.offset,
            }
        )

    async def get_job(self, request: web.Request) -> web.Response:
        """``GET /jobs/{id}`` (cached until the job may change)."""
        job = self._job_of(request)
        query = request.query
        exclude = bool(query and parse_bool(query.get("exclude_params", "false")))
        now = self.ctx.now()
        body = self.store.cached(job.cache, now, exclude)
        if body is None:
            rendering = views.job_json(job, now, exclude_params=exclude)
            body, job.cache = self.store.render(rendering, next_change(job, now), exclude)
        return web.Response(body=body, content_type=JSON)

    async def delete_job(self, request: web.Request) -> web.Response:
        """``DELETE /jobs/{id}``."""
        self.store.delete(self._job_of(request))
        return no_content()

    async def cancel_job(self, request: web.Request) -> web.Response:
        """``POST /jobs/{id}/cancel``: 204, or 409 when already final."""
        job = self._job_of(request)
        now = self.ctx.now()
        st = job_state(job, now)
        if st.final:
            raise self.errors.error(
                409, CODE_JOB_FINAL, f"Job {job.id} cannot be cancelled: it is {st.status}"
            )
        cancel(job, now, "Cancelled by user")
        self.ctx.epoch += 1
        return no_content()

    async def job_results(self, request: web.Request) -> web.Response:
        """``GET /jobs/{id}/results``: the raw result JSON once Completed."""
        job = self._job_of(request)
        st = job_state(job, self.ctx.now())
        if st.state_status != "Completed":
            raise self.errors.error(
                400,
                CODE_NO_RESULT,
                f"Job {job.id} has no result: its status is {st.status}"
                + (f" ({st.reason})" if st.reason else ""),
            )
        if job.result is None:
            seed_for = functools.partial(self.ctx.result_seed, job.id)
            result = await asyncio.to_thread(compute_result, job, seed_for)
            job.result = encode(result)
        return web.Response(body=job.result, content_type=JSON)

    async def job_logs(self, request: web.Request) -> web.Response:
        """``GET /jobs/{id}/logs``: plain text."""
        job = self._job_of(request)
        return web.Response(text=views.job_logs(job, self.ctx.now()), content_type="text/plain")

    async def job_metrics(self, request: web.Request) -> web.Response:
        """``GET /jobs/{id}/metrics``."""
        job = self._job_of(request)
        now = self.ctx.now()
        st = job_state(job, now)
        position = None
        if st.state_status == "Queued":
            position = 1 + self.store.queued_before(job, now)
        return json_response(views.job_metrics(job, st, position))

    async def replace_tags(self, request: web.Request) -> web.Response:
        """``PUT /jobs/{id}/tags``."""
        job = self._job_of(request)
        body = await self._body(request)
        tags = body.get("tags")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise self.errors.invalid("tags must be a list of strings")
        job.tags = list(tags)
        self.ctx.epoch += 1
        return no_content()


def _job_matches(p: Principal, q: JobsQuery, job: IbmJob, now: float) -> bool:
    """True when ``GET /jobs`` lists the job."""
    return (
        p.can_see(job.instance)
        and not (q.provider and job.instance != q.provider)
        and not (q.backend and job.backend != q.backend)
        and not (q.program and job.program_id != q.program)
        and not (q.session_id and job.session_id != q.session_id)
        and not (q.after is not None and job.created < q.after - 1e-6)
        and not (q.before is not None and job.created > q.before + 1e-6)
        and not (q.tags and not all(t in job.tags for t in q.tags))
        and not (q.pending is not None and job_state(job, now).final == q.pending)
    )
