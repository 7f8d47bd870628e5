"""The Scaleway records: sessions, jobs and models, with the platforms and projects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._circuits import CircuitError, parse_qasm
from .._context import Context
from .._store import Store, oldest_first
from .._util import encode
from ..config import ScalewayPlatform, ScalewayProject
from .errors import invalid, not_found
from .parse import JobRequest, SessionRequest, uuid
from .results import DEFAULT_SHOTS, compute_result, find_shots, qasm_texts
from .state import (
    ENDING_SESSION,
    ScwJob,
    ScwModel,
    ScwSession,
    Timing,
    job_start,
    job_state,
    session_state,
)
from .views import (
    ScalewayJobSnapshot,
    ScalewaySessionSnapshot,
    job_snapshot,
    platform_json,
    session_snapshot,
)


@dataclass(slots=True)
class JobPlan:
    """What a new job will do: its shot count and, if it will fail, why."""

    shots: int
    circuits: int
    failure: str | None


class ScalewayStore(Store):
    """Every Scaleway record the emulator holds."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        cfg = ctx.config
        self.timing = Timing.of(cfg)
        self.projects: dict[str, ScalewayProject] = {p.secret_key: p for p in cfg.scaleway_projects}
        self.platforms: dict[str, ScalewayPlatform] = {p.id: p for p in cfg.scaleway_platforms}
        self.platform_json = {p.id: platform_json(p) for p in cfg.scaleway_platforms}
        self.sessions: dict[str, ScwSession] = {}
        self.jobs: dict[str, ScwJob] = {}
        self.models: dict[str, ScwModel] = {}

    def reset(self) -> None:
        """Drop every session, job and model (creation numbers keep counting)."""
        self.sessions.clear()
        self.jobs.clear()
        self.models.clear()

    # --- look-ups ------------------------------------------------------------------------------

    def own_session(self, project: ScalewayProject, session_id: str) -> ScwSession:
        """The project's session, else 400 (not a UUID) or 404."""
        s = self.sessions.get(uuid(session_id, "session_id"))
        if s is None or s.project_id != project.project_id:
            raise not_found("session", session_id)
        return s

    def own_job(self, project: ScalewayProject, job_id: str) -> ScwJob:
        """The project's job, else 400 (not a UUID) or 404."""
        job = self.jobs.get(uuid(job_id, "job_id"))
        if job is None or job.session.project_id != project.project_id:
            raise not_found("job", job_id)
        return job

    def check_model(self, project: ScalewayProject, model_id: str | None) -> None:
        """404 unless ``model_id`` is absent or one of the project's models."""
        if model_id is None:
            return
        m = self.models.get(model_id)
        if m is None or m.project_id != project.project_id:
            raise not_found("model", model_id)

    # --- results -------------------------------------------------------------------------------

    def result(self, job: ScwJob) -> str:
        """The job's result distribution (computed on first use)."""
        if job.result is None:
            job.result = encode(self.compute(job)).decode()
        return job.result

    def compute(self, job: ScwJob) -> dict[str, Any]:
        """The job's result document (slow: call it off the event loop)."""
        return compute_result(job, self.ctx.result_seed(job.id))

    def missing_results(self, jobs: list[ScwJob], now: float) -> list[ScwJob]:
        """The completed jobs whose result is not computed yet."""
        return [
            j
            for j in jobs
            if j.result is None and job_state(j, now, self.timing).status == "completed"
        ]

    # --- sessions ------------------------------------------------------------------------------

    def reusable_session(self, project_id: str, dedup: str, now: float) -> ScwSession | None:
        """The project's live session with this deduplication id, the oldest first."""
        for s in oldest_first(self.sessions.values()):
            if (
                s.project_id == project_id
                and s.deduplication_id == dedup
                and session_state(s, now, self.timing).status not in ENDING_SESSION
            ):
                return s
        return None

    def open_session(
        self, project_id: str, platform: ScalewayPlatform, req: SessionRequest, now: float
    ) -> ScwSession:
        """Store a new session."""
        session_id = self.new_id(self.ctx.ids.uuid4, self.sessions)
        s = ScwSession(
            id=session_id,
            seq=self.next_seq(),
            project_id=project_id,
            platform=platform,
            name=req.name or f"qs-{session_id[:8]}",
            created=now,
            ready=now + platform.startup_seconds,
            max_idle=req.max_idle,
            max_duration=req.max_duration,
            tags=req.tags,
            deduplication_id=req.deduplication_id or "",
            model_id=req.model_id,
            parameters=req.parameters,
            updated=now,
        )
        self.sessions[session_id] = s
        return s

    def delete_session(self, s: ScwSession) -> None:
        """Forget the session and all its jobs."""
        for j in s.jobs:
            self.jobs.pop(j.id, None)
        del self.sessions[s.id]

    # --- jobs ----------------------------------------------------------------------------------

    def plan(self, req: JobRequest, platform: ScalewayPlatform) -> JobPlan:
        """Shots and fate of a job; 400 when it asks for too many shots."""
        kinds = req.circuit
        qiskit = kinds["qiskit_circuit"]
        shots = find_shots(req.parameters) or find_shots(qiskit) or DEFAULT_SHOTS
        if shots > platform.max_shot_count:
            raise invalid({"parameters": f"at most {platform.max_shot_count} shots"})
        failure: str | None = None
        if qiskit is not None and platform.technology == "photonic":
            failure = f"platform {platform.name} cannot run Qiskit circuits"
        elif kinds["perceval_circuit"] is not None and platform.technology != "photonic":
            failure = f"platform {platform.name} cannot run Perceval circuits"
        elif qiskit is not None:
            failure = _invalid_circuit(qiskit)
        return JobPlan(shots, max(1, len(qasm_texts(qiskit or ""))), failure)

    def submit(self, req: JobRequest, session: ScwSession, plan: JobPlan, now: float) -> ScwJob:
        """Store a new job at the end of the session's queue (its fate drawn here)."""
        platform = session.platform
        run = platform.setup_seconds + plan.shots * plan.circuits * platform.seconds_per_shot
        failure = plan.failure
        if failure is None and self.ctx.plan_rng.random() < self.ctx.config.job_failure_rate:
            failure = "internal error while executing the job"
        start = job_start(session, now)
        job = ScwJob(
            id=self.new_id(self.ctx.ids.uuid4, self.jobs),
            seq=self.next_seq(),
            session=session,
            name=req.name,
            tags=req.tags,
            created=now,
            updated=now,
            start=start,
            run_seconds=run,
            max_duration=req.max_duration,
            circuit=req.circuit,
            model_id=req.model_id if req.model_id is not None else session.model_id,
            parameters=req.parameters,
            shots=plan.shots,
            failure=failure,
        )
        self.jobs[job.id] = job
        session.jobs.append(job)
        return job

    def add_model(self, project_id: str, payload: str | None) -> ScwModel:
        """Store a new model."""
        m = ScwModel(
            id=self.ctx.ids.uuid4(),
            seq=self.next_seq(),
            project_id=project_id,
            payload=payload,
            created=self.ctx.stamp(),
        )
        self.models[m.id] = m
        return m

    # --- snapshots -----------------------------------------------------------------------------

    def job_snapshots(self) -> list[ScalewayJobSnapshot]:
        """Every stored job with its current status, oldest first."""
        now = self.ctx.now()
        return [
            job_snapshot(j, job_state(j, now, self.timing).status)
            for j in oldest_first(self.jobs.values())
        ]

    def session_snapshots(self) -> list[ScalewaySessionSnapshot]:
        """Every stored session with its current status, oldest first."""
        now = self.ctx.now()
        return [
            session_snapshot(
                s,
                session_state(s, now, self.timing).status,
                tuple(j.id for j in s.jobs if j.id in self.jobs),
            )
            for s in oldest_first(self.sessions.values())
        ]


def _invalid_circuit(payload: str) -> str | None:
    for text in qasm_texts(payload):
        try:
            parse_qasm(text)
        except CircuitError as exc:
            return f"invalid circuit: {exc}"
    return None
