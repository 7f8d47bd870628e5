"""IBM routes about devices and usage: ``/backends`` and its documents, ``/instances/usage``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from .._context import Context
from .._util import json_response, rfc3339_ms
from ..config import IbmBackend
from . import devices, views
from .auth import Authenticator, Principal
from .errors import IbmErrors
from .state import job_state
from .store import IbmStore

#: Monthly QPU seconds of an open-plan instance.
OPEN_PLAN_SECONDS = 600


class BackendRoutes:
    """``GET /backends`` and ``/backends/{name}/{configuration,properties,status}``; usage."""

    def __init__(
        self, ctx: Context, store: IbmStore, authenticate: Authenticator, errors: IbmErrors
    ) -> None:
        self.ctx = ctx
        self.store = store
        self.authenticate = authenticate
        self.errors = errors
        self._calibrated = ctx.now()

    def add_routes(self, app: web.Application, prefix: str) -> None:
        """Register the routes under ``prefix``."""
        r = app.router
        r.add_get(prefix + "/backends", self.list_backends)
        r.add_get(prefix + "/backends/{name}/status", self.backend_status)
        r.add_get(prefix + "/backends/{name}/configuration", self.configuration)
        r.add_get(prefix + "/backends/{name}/properties", self.properties)
        r.add_get(prefix + "/instances/usage", self.usage)

    def _backend(self, request: web.Request) -> IbmBackend:
        self.authenticate(request)
        name = request.match_info["name"]
        b = self.store.backends.get(name)
        if b is None:
            raise self.errors.backend_not_found(name)
        return b

    async def list_backends(self, request: web.Request) -> web.Response:
        """``GET /backends``: ``{"devices": [...]}``."""
        p = self.authenticate(request)
        provider = request.query.get("provider")
        if provider and not p.can_see(provider):
            raise self.errors.forbidden(f"no access to {provider}")
        now = self.ctx.now()
        devices_ = [
            views.backend_json(b, self.store.queue_length(b.name, now))
            for b in self.store.backends.values()
        ]
        return json_response({"devices": devices_})

    async def backend_status(self, request: web.Request) -> web.Response:
        """``GET /backends/{name}/status``."""
        b = self._backend(request)
        queued = self.store.queue_length(b.name, self.ctx.now())
        return json_response(devices.status_json(b, queued))

    async def configuration(self, request: web.Request) -> web.Response:
        """``GET /backends/{name}/configuration``."""
        return json_response(devices.configuration_json(self._backend(request)))

    async def properties(self, request: web.Request) -> web.Response:
        """``GET /backends/{name}/properties`` (simulators have none: ``{}``)."""
        b = self._backend(request)
        if b.simulator:
            return json_response({})
        return json_response(devices.properties_json(b, self._calibrated))

    async def usage(self, request: web.Request) -> web.Response:
        """``GET /instances/usage``: QPU seconds used this month by the caller's instance."""
        p = self.authenticate(request)
        name = self._instance_of(p)
        inst = self.store.instances[name]
        now = self.ctx.now()
        start, end = _month(now)
        consumed = 0.0
        for job in self.store.jobs.values():
            if job.instance != name:
                continue
            st = job_state(job, now)
            if st.started is not None and st.ended is not None and start <= st.ended < end:
                consumed += st.ended - st.started
        out: dict[str, Any] = {
            "instance_id": inst.crn or inst.name,
            "plan_id": inst.plan,
            "usage_consumed_seconds": round(consumed, 3),
            "usage_period": {"start_time": rfc3339_ms(start), "end_time": rfc3339_ms(end)},
            "usage_limit_reached": False,
        }
        if inst.plan == "open":
            remaining = max(0.0, OPEN_PLAN_SECONDS - consumed)
            out["usage_limit_seconds"] = OPEN_PLAN_SECONDS
            out["usage_remaining_seconds"] = round(remaining, 3)
            out["usage_limit_reached"] = remaining <= 0
        return json_response(out)

    def _instance_of(self, p: Principal) -> str:
        if p.scope is not None:
            return p.scope
        if not p.user.instances:
            raise self.errors.forbidden("the user belongs to no instance")
        return p.user.instances[0]


def _month(now: float) -> tuple[float, float]:
    """The calendar month (UTC) holding ``now``: its start and end, POSIX seconds."""
    day = dt.datetime.fromtimestamp(now, dt.timezone.utc)
    start = day.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        end = start.replace(year=start.year + 1, month=1)
    else:
        end = start.replace(month=start.month + 1)
    return start.timestamp(), end.timestamp()
