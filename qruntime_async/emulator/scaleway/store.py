"""The Scaleway records: sessions, jobs and models, with the platforms and projects."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from .._circuits import CircuitError, parse_qasm
from .._context import Context
from .._store import Store, oldest_first
from ..config import ScalewayPlatform, ScalewayProject
from .errors import invalid, not_found
from .parse import JobRequest, SessionRequest, uuid
from .programs import Model, ModelError, read_model, read_parameters
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
    programs: list[str]
    photonic: bool
    memory: bool


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
        #: Results served by download id, as object storage would.
        self.blobs: dict[str, ScwJob] = {}

    def reset(self) -> None:
        """Drop every session, job and model (creation numbers keep counting)."""
        self.sessions.clear()
        self.jobs.clear()
        self.models.clear()
        self.blobs.clear()

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
        """The job's ``result`` text (computed on first use)."""
        if job.result is None:
            self.keep_result(job, self.compute(job))
        assert job.result is not None
        return job.result

    def compute(self, job: ScwJob) -> str:
        """The job's ``result`` text (slow: call it off the event loop)."""
        cfg = self.ctx.config
        return compute_result(job, self.ctx.result_seed(job.id), cfg.scaleway_result_compress_bytes)

    def keep_result(self, job: ScwJob, text: str) -> None:
        """Store a computed result; one too large to inline gets a download id."""
        if job.result is not None:
            return
        job.result = text
        limit = self.ctx.config.scaleway_result_url_bytes
        if limit is not None and len(text) > limit:
            job.blob_id = secrets.token_urlsafe(24)
            self.blobs[job.blob_id] = job

    def inline_result(self, job: ScwJob) -> str | None:
        """The ``result`` as the job and its results show it (None when served by url)."""
        text = self.result(job)
        return None if job.blob_id is not None else text

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
        """What the job runs, its shots and fate; 400 when it asks for too many shots."""
        kinds = req.circuit
        qiskit, perceval = kinds["qiskit_circuit"], kinds["perceval_circuit"]
        params = read_parameters(req.parameters)
        shots = params.shots or find_shots(req.parameters)
        failure: str | None = None
        if qiskit is None and perceval is None:
            model = Model()
            try:
                model = read_model(self.models[req.model_id or ""].payload)
            except (ModelError, KeyError) as exc:
                failure = f"invalid computation model: {exc}"
            programs, photonic = model.qasm, model.perceval > 0 and not model.qasm
            shots = shots or model.shots
            memory = model.memory if params.memory is None else params.memory
        else:
            programs, photonic = qasm_texts(qiskit or ""), perceval is not None
            shots = shots or find_shots(qiskit)
            memory = bool(params.memory)
        shots = shots or DEFAULT_SHOTS
        if shots > platform.max_shot_count:
            raise invalid({"parameters": f"at most {platform.max_shot_count} shots"})
        if failure is None:
            failure = _fate(platform, programs, photonic)
        return JobPlan(shots, max(1, len(programs)), failure, programs, photonic, memory)

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
            programs=plan.programs,
            photonic=plan.photonic,
            memory=plan.memory,
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


def _fate(platform: ScalewayPlatform, programs: list[str], photonic: bool) -> str | None:
    """Why the job will fail on this platform (None: it can run)."""
    if not photonic and platform.technology == "photonic":
        return f"platform {platform.name} cannot run Qiskit circuits"
    if photonic and platform.technology != "photonic":
        return f"platform {platform.name} cannot run Perceval circuits"
    for text in programs:
        try:
            parse_qasm(text)
        except CircuitError as exc:
            return f"invalid circuit: {exc}"
    return None
