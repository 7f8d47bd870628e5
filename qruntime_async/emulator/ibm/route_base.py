"""What every IBM route handler relies on: the service's parts and the steps they share."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._context import Context
from .._util import read_json_object
from .auth import Authenticator, Principal
from .errors import IbmErrors
from .parse import IbmParser
from .state import IbmJob, IbmSession
from .store import IbmStore


class RouteBase:
    """The parts of :class:`~.routes.IbmService` its handlers use, and their shared steps."""

    ctx: Context
    errors: IbmErrors
    authenticate: Authenticator
    parse: IbmParser
    store: IbmStore

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


def _created_order(j: IbmJob) -> tuple[float, int]:
    return (j.created, j.seq)
