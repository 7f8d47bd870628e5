"""The IBM Quantum Runtime routes: read the request, check the caller, act, render."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .._context import Context
from .._util import encode, json_response, no_content, parse_bool, read_json_object
from ..config import IbmBackend
from . import views
from .auth import Authenticator, Principal
from .backends import BackendRoutes
from .cloud import CloudRoutes
from .errors import CODE_JOB_FINAL, CODE_NO_RESULT, CODE_RATE_LIMITED, IbmErrors
from .iam import Iam
from .parse import IbmParser, JobsQuery, WorkloadsQuery
from .qiskit_pubs import isa_problem as encoded_isa_problem
from .qiskit_pubs import submission_problem
from .results import compute_result
from .state import (
    CLOSED_SESSION_STATES,
    IbmJob,
    IbmSession,
    cancel,
    job_state,
    next_change,
    session_phase,
)
from .store import IbmStore, Placement, isa_problem
from .workloads import Page, page_of

JSON = "application/json"


class IbmService:
    """Routes and records of the IBM Quantum Runtime emulation (and IBM Cloud IAM)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        cfg = ctx.config
        self.errors = IbmErrors(ctx)
        self.iam = Iam(ctx)
        self.authenticate = Authenticator(cfg.ibm_users, cfg.ibm_instances, self.iam, self.errors)
        self.parse = IbmParser(cfg, self.errors, ctx.cursors)
        self.store = IbmStore(ctx)
        self.devices = BackendRoutes(ctx, self.store, self.authenticate, self.errors)
        self.cloud = CloudRoutes(ctx, self.iam, cfg.ibm_users)

    @property
    def jobs(self) -> dict[str, IbmJob]:
        """Every job not deleted, by id."""
        return self.store.jobs

    @property
    def sessions(self) -> dict[str, IbmSession]:
        """Every session, by id."""
        return self.store.sessions

    def reset(self) -> None:
        """Drop every job, session and IAM token."""
        self.store.reset()
        self.iam.reset()

    def add_routes(self, app: web.Application, prefix: str = "/runtime") -> None:
        """Register every IBM route under ``prefix`` and the IAM token route."""
        r = app.router
        r.add_post(prefix + "/jobs", self.create_job)
        r.add_get(prefix + "/jobs", self.list_jobs)
        r.add_get(prefix + "/jobs/{job_id}", self.get_job)
        r.add_delete(prefix + "/jobs/{job_id}", self.delete_job)
        r.add_post(prefix + "/jobs/{job_id}/cancel", self.cancel_job)
        r.add_get(prefix + "/jobs/{job_id}/results", self.job_results)
        r.add_get(prefix + "/jobs/{job_id}/logs", self.job_logs)
        r.add_get(prefix + "/jobs/{job_id}/metrics", self.job_metrics)
        r.add_put(prefix + "/jobs/{job_id}/tags", self.replace_tags)
        r.add_post(prefix + "/sessions", self.create_session)
        r.add_get(prefix + "/sessions/{session_id}", self.get_session)
        r.add_patch(prefix + "/sessions/{session_id}", self.update_session)
        r.add_delete(prefix + "/sessions/{session_id}/close", self.close_session)
        r.add_get(prefix + "/sessions/{session_id}/extended", self.get_session_extended)
        r.add_get(prefix + "/sessions/{session_id}/jobs", self.session_jobs)
        r.add_get(prefix + "/workloads/me", self.workloads_me)
        r.add_get(prefix + "/workloads/admin", self.workloads_admin)
        r.add_post("/identity/token", self.iam.token)
        self.devices.add_routes(app, prefix)
        self.cloud.add_routes(app)

    # --- shared steps --------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> dict[str, Any]:
        body, problem = await read_json_object(request)
        if body is None:
            raise self.errors.invalid(problem or "invalid body")
        return body

    def _visible_job(self, p: Principal, job_id: str) -> IbmJob:
        job = self.store.jobs.get(job_id)
        if job is None or not p.can_see(job.instance):
            raise self.errors.job_not_found(job_id)
        return job

    def _visible_session(self, p: Principal, session_id: str) -> IbmSession:
        s = self.store.sessions.get(session_id)
        if s is None or not p.can_see(s.instance):
            raise self.errors.session_not_found(session_id)
        return s

    def _job_of(self, request: web.Request) -> IbmJob:
        p = self.authenticate(request)
        return self._visible_job(p, request.match_info["job_id"])

    def _session_of(self, request: web.Request) -> IbmSession:
        p = self.authenticate(request)
        return self._visible_session(p, request.match_info["session_id"])

    # --- jobs ----------------------------------------------------------------------------------

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

    # --- sessions ------------------------------------------------------------------------------

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

    # --- workloads -----------------------------------------------------------------------------

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

    # --- seeding and snapshots -----------------------------------------------------------------

    def job_snapshots(self) -> list[views.IbmJobSnapshot]:
        """Every stored job with its current status, oldest first."""
        return self.store.job_snapshots()

    def session_snapshots(self) -> list[views.IbmSessionSnapshot]:
        """Every stored session with its current state, oldest first."""
        return self.store.session_snapshots()


def _created_order(j: IbmJob) -> tuple[float, int]:
    return (j.created, j.seq)


def _of_user(keep: Callable[[str, str], bool], user_id: str) -> Callable[[str, str], bool]:
    return lambda inst, uid: uid == user_id and keep(inst, uid)


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
