"""The Scaleway QaaS v1alpha1 routes: read the request, check the caller, act, render."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .._context import Context
from .._store import seq_of
from .._util import json_response, multi_values, no_content, read_json_object, rfc3339_us
from ..config import ScalewayProject
from . import parse, views
from .errors import bad_body, denied, invalid, not_found, precondition, unauthenticated
from .parse import CREATED_ORDER, JOB_ORDER, PLATFORM_ORDER, SESSION_ORDER, Paging, uuid
from .state import (
    ENDING_SESSION,
    FINAL_JOB,
    ScwJob,
    ScwModel,
    ScwSession,
    job_counts,
    job_state,
    next_change,
    session_state,
)
from .store import ScalewayStore

PREFIX = "/qaas/v1alpha1"
JSON = "application/json"
#: Large results are downloaded from here, standing in for the object storage of the service.
BLOB_PREFIX = "/_emulator/blobs/"


def _s3_error(status: int, code: str, message: str) -> web.Response:
    """An error as object storage words it (XML, not the API's JSON)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return web.Response(status=status, text=body, content_type="application/xml")


class ScalewayService:
    """Routes and records of the Scaleway QaaS emulation."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ScalewayStore(ctx)
        self.timing = self.store.timing

    @property
    def jobs(self) -> dict[str, ScwJob]:
        """Every job not deleted, by id."""
        return self.store.jobs

    @property
    def sessions(self) -> dict[str, ScwSession]:
        """Every session not deleted, by id."""
        return self.store.sessions

    @property
    def models(self) -> dict[str, ScwModel]:
        """Every model, by id."""
        return self.store.models

    def reset(self) -> None:
        """Drop every session, job and model."""
        self.store.reset()

    def add_routes(self, app: web.Application) -> None:
        """Register every Scaleway route."""
        r = app.router
        p = PREFIX
        r.add_get(p + "/jobs", self.list_jobs)
        r.add_post(p + "/jobs", self.create_job)
        r.add_get(p + "/jobs/{job_id}", self.get_job)
        r.add_patch(p + "/jobs/{job_id}", self.update_job)
        r.add_delete(p + "/jobs/{job_id}", self.delete_job)
        r.add_post(p + "/jobs/{job_id}/cancel", self.cancel_job)
        r.add_get(p + "/jobs/{job_id}/circuit", self.job_circuit)
        r.add_get(p + "/jobs/{job_id}/results", self.job_results)
        r.add_get(p + "/sessions", self.list_sessions)
        r.add_post(p + "/sessions", self.create_session)
        r.add_get(p + "/sessions/{session_id}", self.get_session)
        r.add_patch(p + "/sessions/{session_id}", self.update_session)
        r.add_delete(p + "/sessions/{session_id}", self.delete_session)
        r.add_post(p + "/sessions/{session_id}/terminate", self.terminate_session)
        r.add_get(p + "/sessions/{session_id}/acls", self.session_acls)
        r.add_get(p + "/platforms", self.list_platforms)
        r.add_get(p + "/platforms/{platform_id}", self.get_platform)
        r.add_get(p + "/models", self.list_models)
        r.add_post(p + "/models", self.create_model)
        r.add_get(p + "/models/{model_id}", self.get_model)
        r.add_get(p + "/applications", self.list_applications)
        r.add_get(BLOB_PREFIX + "{blob_id}", self.download_result)

    # --- shared steps --------------------------------------------------------------------------

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
        for job in jobs:
            if job.result is None and job_state(job, now, self.timing).status == "completed":
                result = await asyncio.to_thread(self.store.compute, job)
                self.store.keep_result(job, result)

    # --- jobs ----------------------------------------------------------------------------------

    async def create_job(self, request: web.Request) -> web.Response:
        """``POST /jobs``."""
        project = self.authenticate(request)
        req = parse.job_request(await self._body(request))
        session = self.store.own_session(project, req.session_id)
        self.store.check_model(project, req.model_id)
        now = self.ctx.stamp()
        status = session_state(session, now, self.timing).status
        if status in ENDING_SESSION:
            raise precondition(
                f"session {session.id} is {status}: jobs can no longer be added to it"
            )
        plan = self.store.plan(req, session.platform)
        job = self.store.submit(req, session, plan, now)
        return json_response(self._job_json(job, now))

    async def list_jobs(self, request: web.Request) -> web.Response:
        """``GET /jobs`` by ``session_id`` or ``project_id``."""
        project = self.authenticate(request)
        q = request.query
        paging = self._paging(q, JOB_ORDER, "created_at_desc")
        session_id = q.get("session_id")
        project_id = q.get("project_id")
        if not session_id and not project_id:
            raise invalid({"session_id": "one of session_id or project_id is required"})
        if project_id:
            self._project_param(project, project_id)
        tags = multi_values(q, "tags", "tags[]")
        if session_id:
            candidates = list(self.store.own_session(project, session_id).jobs)
        else:
            candidates = [
                j for j in self.store.jobs.values() if j.session.project_id == project.project_id
            ]
        now = self.ctx.now()
        live = self.store.jobs
        selected = [
            j
            for j in candidates
            if j.id in live and (not tags or all(t in (j.tags or []) for t in tags))
        ]
        selected.sort(key=self._job_order(paging.field, now), reverse=paging.descending)
        shown = paging.cut(selected)
        await self._ensure_results(shown, now)
        return json_response(
            {
                "total_count": self._count(len(selected), in_session=False),
                "jobs": [self._job_json(j, now) for j in shown],
            }
        )

    def _job_order(self, field: str, now: float) -> Callable[[ScwJob], Any]:
        if field == "created_at":
            return seq_of
        if field == "status":
            return lambda j: (job_state(j, now, self.timing).status, j.seq)
        if field == "platform_name":
            return lambda j: (j.session.platform.name, j.seq)
        if field == "name":
            return lambda j: (j.name, j.seq)
        return lambda j: (j.session.name, j.seq)

    async def get_job(self, request: web.Request) -> web.Response:
        """``GET /jobs/{job_id}`` (cached until the job may change)."""
        job = self._job_of(request)
        now = self.ctx.now()
        if job.result is None:
            await self._ensure_results([job], now)
        body = self.store.cached(job.cache, now)
        if body is None:
            rendering = self._job_json(job, now)
            body, job.cache = self.store.render(rendering, next_change(job, now, self.timing))
        return web.Response(body=body, content_type=JSON)

    async def update_job(self, request: web.Request) -> web.Response:
        """``PATCH /jobs/{job_id}`` with ``name`` and/or ``tags``."""
        job = self._job_of(request)
        name, tags = parse.job_changes(await self._body(request))
        now = self.ctx.now()
        await self._ensure_results([job], now)
        if name is not None:
            job.name = name
        if tags is not None:
            job.tags = tags
        job.updated = now
        return json_response(self._job_json(job, now))

    async def delete_job(self, request: web.Request) -> web.Response:
        """``DELETE /jobs/{job_id}``."""
        job = self._job_of(request)
        now = self.ctx.now()
        if job_state(job, now, self.timing).status not in FINAL_JOB:
            job.cancelled_at = now
        del self.store.jobs[job.id]
        return no_content()

    async def cancel_job(self, request: web.Request) -> web.Response:
        """``POST /jobs/{job_id}/cancel``: the job goes cancelling, then cancelled."""
        job = self._job_of(request)
        await self._body(request)
        now = self.ctx.now()
        st = job_state(job, now, self.timing)
        if st.status in FINAL_JOB:
            raise precondition(f"job {job.id} is already {st.status} and cannot be cancelled")
        if st.status != "cancelling":
            job.cancelled_at = now
            job.updated = now
        return json_response(self._job_json(job, now))

    async def job_circuit(self, request: web.Request) -> web.Response:
        """``GET /jobs/{job_id}/circuit``."""
        return json_response(dict(self._job_of(request).circuit))

    def _blob_url(self, request: web.Request, job: ScwJob) -> str | None:
        if job.blob_id is None:
            return None
        return f"{request.url.origin()}{BLOB_PREFIX}{job.blob_id}"

    async def download_result(self, request: web.Request) -> web.Response:
        """A large result's text, as object storage serves it: never with the API secret."""
        if "X-Auth-Token" in request.headers:
            # object storage must never receive the Scaleway secret key
            return _s3_error(403, "AccessDenied", "requests carrying X-Auth-Token are refused")
        job = self.store.blobs.get(request.match_info["blob_id"])
        if job is None or job.result is None or job.id not in self.store.jobs:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return web.Response(text=job.result, content_type=JSON)

    async def job_results(self, request: web.Request) -> web.Response:
        """``GET /jobs/{job_id}/results``: the result once completed, else an empty list."""
        job = self._job_of(request)
        paging = self._paging(request.query, CREATED_ORDER, "created_at_desc")
        now = self.ctx.now()
        await self._ensure_results([job], now)
        st = job_state(job, now, self.timing)
        results: list[dict[str, Any]] = []
        if st.status == "completed":
            results.append(
                {
                    "job_id": job.id,
                    "result": self.store.inline_result(job),
                    "url": self._blob_url(request, job),
                    "created_at": rfc3339_us(st.ended),
                }
            )
        return json_response(
            {
                "total_count": self._count(len(results), in_session=False),
                "job_results": paging.cut(results),
            }
        )

    # --- sessions ------------------------------------------------------------------------------

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
        project_id = q.get("project_id")
        if not project_id:
            raise invalid({"project_id": "required"})
        self._project_param(project, project_id)
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

    # --- platforms, models, applications -------------------------------------------------------

    async def list_platforms(self, request: web.Request) -> web.Response:
        """``GET /platforms`` with every documented filter."""
        self.authenticate(request)
        q = request.query
        paging = self._paging(q, PLATFORM_ORDER, "name_asc")
        ptype, tech = parse.platform_filters(q)
        provider = q.get("provider_name")
        backend = q.get("backend_name")
        name = q.get("name")
        selected = [
            p
            for p in self.store.platforms.values()
            if (not provider or p.provider_name == provider)
            and (not backend or p.backend_name == backend)
            and (not name or p.name == name)
            and (not ptype or ptype == "unknown_type" or p.type == ptype)
            and (not tech or tech == "unknown_technology" or p.technology == tech)
        ]
        field = paging.field
        selected.sort(key=lambda p: (getattr(p, field), p.name), reverse=paging.descending)
        shown = [self.store.platform_json[p.id] for p in paging.cut(selected)]
        return json_response(
            {"total_count": self._count(len(selected), in_session=False), "platforms": shown}
        )

    async def get_platform(self, request: web.Request) -> web.Response:
        """``GET /platforms/{platform_id}``."""
        self.authenticate(request)
        raw = request.match_info["platform_id"]
        rendering = self.store.platform_json.get(uuid(raw, "platform_id"))
        if rendering is None:
            raise not_found("platform", raw)
        return json_response(rendering)

    async def create_model(self, request: web.Request) -> web.Response:
        """``POST /models``."""
        project = self.authenticate(request)
        body = await self._body(request)
        project_id = body.get("project_id")
        payload = body.get("payload")
        errors: dict[str, str] = {}
        if not isinstance(project_id, str) or not parse.UUID_RE.match(project_id):
            errors["project_id"] = "required, a UUID"
        if payload is not None and not isinstance(payload, str):
            errors["payload"] = "must be a string"
        if errors:
            raise invalid(errors)
        assert isinstance(project_id, str)
        if project_id.lower() != project.project_id:
            raise denied("project")
        m = self.store.add_model(project.project_id, payload)
        return json_response(views.model_json(m))

    async def list_models(self, request: web.Request) -> web.Response:
        """``GET /models`` (``project_id`` required)."""
        project = self.authenticate(request)
        q = request.query
        paging = self._paging(q, CREATED_ORDER, "created_at_desc")
        project_id = q.get("project_id")
        if not project_id:
            raise invalid({"project_id": "required"})
        self._project_param(project, project_id)
        selected = sorted(
            (m for m in self.store.models.values() if m.project_id == project.project_id),
            key=seq_of,
            reverse=paging.order == "created_at_desc",
        )
        return json_response(
            {
                "total_count": self._count(len(selected), in_session=False),
                "models": [views.model_json(m) for m in paging.cut(selected)],
            }
        )

    async def get_model(self, request: web.Request) -> web.Response:
        """``GET /models/{model_id}``."""
        project = self.authenticate(request)
        raw = request.match_info["model_id"]
        m = self.store.models.get(uuid(raw, "model_id"))
        if m is None or m.project_id != project.project_id:
            raise not_found("model", raw)
        return json_response(views.model_json(m))

    async def list_applications(self, request: web.Request) -> web.Response:
        """``GET /applications``: none are offered by the emulator."""
        self.authenticate(request)
        return json_response({"total_count": self._count(0, in_session=False), "applications": []})

    # --- snapshots -----------------------------------------------------------------------------

    def job_snapshots(self) -> list[views.ScalewayJobSnapshot]:
        """Every stored job with its current status, oldest first."""
        return self.store.job_snapshots()

    def session_snapshots(self) -> list[views.ScalewaySessionSnapshot]:
        """Every stored session with its current status, oldest first."""
        return self.store.session_snapshots()
