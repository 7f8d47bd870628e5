"""The IBM records: jobs, sessions, the workloads index, the backends' queues, rate windows."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from .._circuits import CircuitError, parse_qasm
from .._context import Context
from .._store import Store, oldest_first
from ..config import IbmBackend, IbmInstance
from .backend_load import BackendLoad
from .parse import JobRequest, Measure
from .state import IbmJob, IbmSession, add_job, cancel, job_state, session_start
from .views import IbmJobSnapshot, IbmSessionSnapshot, job_snapshot, session_snapshot
from .workloads import WorkloadIndex

#: Why seeded jobs are made: they are finished and listed, nothing more.
SEED_PROGRAM = "sampler"


@dataclass(slots=True)
class Placement:
    """Who submits a job, where it runs, and when it was submitted."""

    user_id: str
    instance: str
    backend: IbmBackend
    session: IbmSession | None
    now: float


class IbmStore(Store):
    """Every IBM record the emulator holds."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        cfg = ctx.config
        self.instances: dict[str, IbmInstance] = {i.name: i for i in cfg.ibm_instances}
        self.backends: dict[str, IbmBackend] = {b.name: b for b in cfg.ibm_backends}
        self.jobs: dict[str, IbmJob] = {}
        self.sessions: dict[str, IbmSession] = {}
        self.workloads = WorkloadIndex()
        self.load = BackendLoad()
        self._rate: dict[str, deque[float]] = {}

    def reset(self) -> None:
        """Drop every job and session (ids and creation numbers keep counting)."""
        self.jobs.clear()
        self.sessions.clear()
        self.workloads.clear()
        self.load.clear()
        self._rate.clear()

    def _new_id(self) -> str:
        return self.new_id(self.ctx.ids.xid, self.jobs, self.sessions)

    # --- jobs ----------------------------------------------------------------------------------

    def rate_wait(self, user_id: str, limit: int | None) -> int | None:
        """Seconds to wait before ``user_id`` may create another job (None: go ahead, counted)."""
        if limit is None:
            return None
        now = time.monotonic()
        window = self._rate.setdefault(user_id, deque())
        while window and now - window[0] >= 60.0:
            window.popleft()
        if len(window) >= limit:
            return max(1, math.ceil(60.0 - (now - window[0])))
        window.append(now)
        return None

    def submit(self, req: JobRequest, at: Placement, measure: Measure) -> IbmJob:
        """Plan and store a new job (its queue wait, run time and fate are drawn here)."""
        backend, now, session = at.backend, at.now, at.session
        failure = measure.failure or _invalid_circuit(measure.texts)
        rng = self.ctx.plan_rng
        waiting = self.load.waiting(backend.name, now)
        # each job already waiting on the backend lengthens the queue a little
        queue = backend.queue_seconds * (0.5 + rng.random()) * (1.0 + 0.1 * waiting)
        run = backend.setup_seconds + measure.shots * backend.seconds_per_shot
        if failure is None and rng.random() < self.ctx.config.job_failure_rate:
            failure = "Internal error while executing the job; please retry"
        start = now + queue if session is None else session_start(session, now, queue)
        self.load.add(backend.name, start)
        cost = req.cost
        job = IbmJob(
            id=self._new_id(),
            seq=self.next_seq(),
            user_id=at.user_id,
            instance=at.instance,
            backend=backend.name,
            program_id=req.program,
            params=req.params,
            tags=req.tags,
            session=session,
            log_level=req.log_level,
            private=req.private,
            max_execution=float(cost)
            if cost is not None
            else self.ctx.config.ibm_default_max_execution_time,
            created=now,
            start=start,
            run_seconds=run,
            will_fail=failure is not None,
            failure_reason=failure,
            shots=measure.shots,
            circuits=measure.circuits,
        )
        self._store_job(job)
        return job

    def _store_job(self, job: IbmJob) -> None:
        self.jobs[job.id] = job
        if job.session is not None:
            add_job(job.session, job)
        else:
            self.workloads.add(job)
        self.ctx.epoch += 1

    def delete(self, job: IbmJob) -> None:
        """Forget a job; a job of a session stays in the session's history, cancelled if it had
        not finished."""
        del self.jobs[job.id]
        if job.session is None:
            self.workloads.discard(job)
        else:
            now = self.ctx.now()
            if not job_state(job, now).final:
                cancel(job, now, "Deleted by user")
        self.ctx.epoch += 1

    def queued_before(self, job: IbmJob, now: float) -> int:
        """How many queued jobs start on the job's backend before it."""
        return sum(
            1
            for other in self.jobs.values()
            if other.backend == job.backend
            and other.start < job.start
            and job_state(other, now).state_status == "Queued"
        )

    def queue_length(self, backend: str, now: float) -> int:
        """Jobs of the backend still to start and not cancelled."""
        queued = 0
        for j in self.jobs.values():
            if j.backend == backend and j.start > now and j.cancelled_at is None:
                queued += 1
        return queued

    # --- sessions ------------------------------------------------------------------------------

    def open_session(
        self, user_id: str, instance: str, backend: str, mode: str, max_ttl: float
    ) -> IbmSession:
        """Store a new session."""
        s = IbmSession(
            id=self._new_id(),
            seq=self.next_seq(),
            user_id=user_id,
            instance=instance,
            backend=backend,
            mode=mode,
            created=self.ctx.stamp(),
            max_ttl=max_ttl,
            interactive_ttl=self.ctx.config.ibm_session_interactive_ttl,
        )
        self.sessions[s.id] = s
        self.workloads.add(s)
        return s

    # --- seeding and snapshots -----------------------------------------------------------------

    def seed_jobs(
        self,
        count: int,
        user_id: str,
        instance: str,
        backend: str,
        spacing: float,
        tags: Sequence[str],
    ) -> list[IbmJob]:
        """Store ``count`` finished jobs created ``spacing`` seconds apart, the last one
        ``spacing`` seconds ago; each ran for half the spacing and completed."""
        now = self.ctx.now()
        max_execution = self.ctx.config.ibm_default_max_execution_time
        made = []
        for i in range(count):
            created = math.floor((now - (count - i) * spacing) * 1000) / 1000
            job = IbmJob(
                id=self._new_id(),
                seq=self.next_seq(),
                user_id=user_id,
                instance=instance,
                backend=backend,
                program_id=SEED_PROGRAM,
                params={},
                tags=list(tags),
                session=None,
                log_level=None,
                private=False,
                max_execution=max_execution,
                created=created,
                start=created,
                run_seconds=spacing / 2,
                will_fail=False,
                failure_reason=None,
                shots=0,
                circuits=0,
            )
            self.jobs[job.id] = job
            self.workloads.add(job)
            made.append(job)
        self.ctx.epoch += 1
        return made

    def job_snapshots(self) -> list[IbmJobSnapshot]:
        """Every stored job with its current status, oldest first."""
        now = self.ctx.now()
        return [job_snapshot(j, now) for j in oldest_first(self.jobs.values())]

    def session_snapshots(self) -> list[IbmSessionSnapshot]:
        """Every stored session with its current state, oldest first."""
        now = self.ctx.now()
        return [session_snapshot(s, now, self.jobs) for s in oldest_first(self.sessions.values())]


def _invalid_circuit(texts: list[str]) -> str | None:
    """Why the job will fail because of its circuits (None: they parse)."""
    for i, text in enumerate(texts):
        if not text:
            continue
        try:
            parse_qasm(text)
        except CircuitError as exc:
            return f"Invalid circuit in pub {i}: {exc}"
    return None


def isa_problem(texts: list[str], basis: tuple[str, ...]) -> str | None:
    """Why the circuits are not in the backend's instruction set (None: they are, or cannot be
    read, which fails the job later)."""
    for i, text in enumerate(texts):
        if not text:
            continue
        try:
            gates = parse_qasm(text).gates
        except CircuitError:
            continue
        outside = sorted(gates.difference(basis))
        if outside:
            return (
                f"The instruction {outside[0]} in pub {i} is not supported by the target "
                f"device (basis gates: {', '.join(basis)}). Circuits must be transpiled to "
                "the backend's instruction set architecture (ISA) before submission."
            )
    return None
