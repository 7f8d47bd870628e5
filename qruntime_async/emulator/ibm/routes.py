"""The IBM Quantum Runtime service: its parts, its records and its route table.

The handlers (read the request, check the caller, act, render) are in :mod:`.job_routes`,
:mod:`.session_routes` and :mod:`.workload_routes`.
"""

from __future__ import annotations

from aiohttp import web

from .._context import Context
from . import views
from .auth import Authenticator
from .backends import BackendRoutes
from .cloud import CloudRoutes
from .errors import IbmErrors
from .iam import Iam
from .job_routes import JobRoutes
from .parse import IbmParser
from .session_routes import SessionRoutes
from .state import IbmJob, IbmSession
from .store import IbmStore
from .workload_routes import WorkloadRoutes


class IbmService(JobRoutes, SessionRoutes, WorkloadRoutes):
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

    # --- seeding and snapshots -----------------------------------------------------------------

    def job_snapshots(self) -> list[views.IbmJobSnapshot]:
        """Every stored job with its current status, oldest first."""
        return self.store.job_snapshots()

    def session_snapshots(self) -> list[views.IbmSessionSnapshot]:
        """Every stored session with its current state, oldest first."""
        return self.store.session_snapshots()
