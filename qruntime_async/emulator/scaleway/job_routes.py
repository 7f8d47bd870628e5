"""The Scaleway job routes: ``/jobs``, ``/jobs/{job_id}`` and its circuit and results, and
the download of large results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from .._store import seq_of
from .._util import json_response, multi_values, no_content, rfc3339_us
from . import parse
from .errors import invalid, precondition
from .parse import CREATED_ORDER, JOB_ORDER
from .route_base import RouteBase
from .state import ENDING_SESSION, FINAL_JOB, ScwJob, job_state, next_change, session_state

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


class JobRoutes(RouteBase):
    """``GET|POST /jobs``, ``GET|PATCH|DELETE /jobs/{job_id}``, its cancel, circuit, results."""

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
