"""The Scaleway QaaS v1alpha1 service: its records and its route table.

The handlers (read the request, check the caller, act, render) are in :mod:`.job_routes`,
:mod:`.session_routes` and :mod:`.catalog_routes`.
"""

from __future__ import annotations

from aiohttp import web

from .._context import Context
from . import views
from .catalog_routes import CatalogRoutes
from .job_routes import BLOB_PREFIX, JobRoutes
from .session_routes import SessionRoutes
from .state import ScwJob, ScwModel, ScwSession
from .store import ScalewayStore

PREFIX = "/qaas/v1alpha1"


class ScalewayService(JobRoutes, SessionRoutes, CatalogRoutes):
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

    # --- snapshots -----------------------------------------------------------------------------

    def job_snapshots(self) -> list[views.ScalewayJobSnapshot]:
        """Every stored job with its current status, oldest first."""
        return self.store.job_snapshots()

    def session_snapshots(self) -> list[views.ScalewaySessionSnapshot]:
        """Every stored session with its current status, oldest first."""
        return self.store.session_snapshots()
