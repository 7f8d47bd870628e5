"""Scaleway sessions, jobs and models as stored, and their states at any virtual instant.

States are derived from timestamps when read; terminate, cancel, update and delete change the
stored records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .._store import RenderCache
from ..config import EmulatorConfig, ScalewayPlatform

FINAL_JOB = frozenset({"completed", "error", "cancelled"})
#: Session statuses in which jobs can no longer be added.
ENDING_SESSION = frozenset({"stopping", "stopped"})


@dataclass(frozen=True, slots=True)
class Timing:
    """How long the platform takes to stop a session and to cancel a job."""

    stop_seconds: float
    cancel_seconds: float

    @classmethod
    def of(cls, config: EmulatorConfig) -> Timing:
        """The timings of a configuration."""
        return cls(config.scaleway_stop_seconds, config.scaleway_cancel_seconds)


@dataclass(slots=True, eq=False)
class ScwSession:
    """A stored Scaleway session."""

    id: str
    seq: int
    project_id: str
    platform: ScalewayPlatform
    name: str
    created: float
    ready: float
    max_idle: float
    max_duration: float
    tags: list[str] | None
    deduplication_id: str
    model_id: str | None
    parameters: str | None
    updated: float
    terminated_at: float | None = None
    jobs: list[ScwJob] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class ScwJob:
    """A stored Scaleway job."""

    id: str
    seq: int
    session: ScwSession
    name: str
    tags: list[str] | None
    created: float
    updated: float
    start: float
    run_seconds: float
    max_duration: float | None
    circuit: dict[str, str | None]
    model_id: str | None
    parameters: str | None
    shots: int
    failure: str | None
    cancelled_at: float | None = None
    #: The OpenQASM programs to run (from the circuit or the model); none for Perceval jobs.
    programs: list[str] = field(default_factory=list)
    photonic: bool = False
    #: True when the per-shot memory was asked for.
    memory: bool = False
    #: The ``result`` text once computed.
    result: str | None = None
    #: Id of the download route serving a result too large to inline (None: inlined).
    blob_id: str | None = None
    cache: RenderCache | None = None


@dataclass(slots=True, eq=False)
class ScwModel:
    """A stored computation model."""

    id: str
    seq: int
    project_id: str
    payload: str | None
    created: float


@dataclass(slots=True)
class ScwJobState:
    """A job's derived state."""

    status: str
    started: float | None
    ended: float | None
    message: str | None
    changed: float


@dataclass(slots=True)
class ScwSessionState:
    """A session's derived state."""

    status: str
    started: float | None
    terminated: float | None
    changed: float
    stop_at: float


def job_natural(job: ScwJob) -> tuple[float, float | None, str | None]:
    """(natural end, cancel instant or None, failure) ignoring the session's cut-off."""
    run = job.run_seconds
    failure = job.failure
    if job.max_duration is not None and run > job.max_duration:
        run = job.max_duration
        failure = failure or "the job exceeded its max_duration"
    return job.start + run, job.cancelled_at, failure


def session_state(s: ScwSession, now: float, timing: Timing) -> ScwSessionState:
    """The session's state at ``now``."""
    last_activity = s.ready
    for j in s.jobs:
        end, cancel, _ = job_natural(j)
        if cancel is not None and cancel < end:
            end = cancel + timing.cancel_seconds
        last_activity = max(last_activity, end)
    stop_at = min(last_activity + s.max_idle, s.ready + s.max_duration)
    if s.terminated_at is not None:
        stop_at = min(stop_at, s.terminated_at)
    stopped_at = stop_at + timing.stop_seconds
    changed = s.updated
    if now < min(s.ready, stop_at):
        status = "starting"
    elif now < stop_at:
        status = "running"
        changed = max(changed, s.ready)
    elif now < stopped_at:
        status = "stopping"
        changed = max(changed, stop_at)
    else:
        status = "stopped"
        changed = max(changed, stopped_at)
    started = s.ready if s.ready <= now and s.ready < stop_at else None
    terminated = stop_at if now >= stop_at else None
    return ScwSessionState(status, started, terminated, changed, stop_at)


def job_state(job: ScwJob, now: float, timing: Timing) -> ScwJobState:
    """The job's state at ``now``."""
    s = job.session
    end, cancel, failure = job_natural(job)
    message: str | None = None
    cut = s.ready + s.max_duration
    if cut < end and (cancel is None or cut < cancel):
        cancel, message = max(cut, job.created), "the session reached its max_duration"
    if cancel is not None and cancel < end:
        return _cancelled_state(job, now, cancel, message, timing)
    if now < job.start:
        return ScwJobState("waiting", None, None, None, job.updated)
    if now < end:
        return ScwJobState("running", job.start, None, "running", max(job.updated, job.start))
    if failure is not None:
        return ScwJobState("error", job.start, end, failure, max(job.updated, end))
    return ScwJobState("completed", job.start, end, "completed", max(job.updated, end))


def _cancelled_state(
    job: ScwJob, now: float, cancel: float, message: str | None, timing: Timing
) -> ScwJobState:
    started = job.start if job.start < cancel else None
    if now < cancel:
        if now < job.start:
            return ScwJobState("waiting", None, None, None, job.updated)
        return ScwJobState("running", job.start, None, "running", max(job.updated, job.start))
    done = cancel + timing.cancel_seconds
    if now < done:
        return ScwJobState("cancelling", started, None, message or "cancelling", cancel)
    return ScwJobState("cancelled", started, done, message or "cancelled", done)


def next_change(job: ScwJob, now: float, timing: Timing) -> float:
    """The next instant at which the job's rendering may change by itself."""
    s = job.session
    end, cancel, _ = job_natural(job)
    cut = s.ready + s.max_duration
    times = [job.start, end, s.ready, cut, cut + timing.cancel_seconds]
    if cancel is not None:
        times += [cancel, cancel + timing.cancel_seconds]
    return min((t for t in times if t > now), default=math.inf)


def job_start(s: ScwSession, now: float) -> float:
    """When a job added to the session at ``now`` starts: after every job already in it."""
    start = max(now, s.ready)
    for other in s.jobs:
        end, cancel, _ = job_natural(other)
        if cancel is not None and cancel < end:
            end = cancel
        start = max(start, end)
    return start


def job_counts(s: ScwSession, now: float, timing: Timing) -> tuple[int, int]:
    """(waiting, finished) jobs of the session at ``now``."""
    waiting = finished = 0
    for j in s.jobs:
        if job_state(j, now, timing).status in FINAL_JOB:
            finished += 1
        else:
            waiting += 1
    return waiting, finished
