"""IBM jobs and sessions as stored, and their states at any virtual instant.

States are derived from timestamps when read; only explicit acts (cancel, close,
``accepting_jobs=false``, delete) change stored records. What a session's jobs imply
independently of the time (its max-TTL deadline, when its jobs run) is summarised once per
change of its jobs, and updated in place when a job is added, so that adding a job costs the same
however many the session holds.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any

from .._store import RenderCache

REASON_RAN_TOO_LONG = "Ran too long"
REASON_CODE_RAN_TOO_LONG = 1305
REASON_CODE_CANCELLED = 1304
REASON_CODE_SESSION_CLOSED = 1217
REASON_CODE_FAILED = 1517

#: Delay between a job's end and the next one's start while a session is active.
SESSION_DISPATCH_SECONDS = 0.2

FINAL_STATES = frozenset({"Completed", "Cancelled", "Failed"})
CLOSED_SESSION_STATES = frozenset({"closed", "canceled"})


@dataclass(slots=True, eq=False)
class IbmSession:
    """A stored IBM session."""

    id: str
    seq: int
    user_id: str
    instance: str
    backend: str
    mode: str
    created: float
    max_ttl: float
    interactive_ttl: float
    accepting_jobs: bool = True
    not_accepting_since: float | None = None
    cancelled_at: float | None = None
    jobs: list[IbmJob] = field(default_factory=list)
    #: Derived from ``jobs``; None when a job changed since (see :func:`summary_of`).
    summary: SessionSummary | None = None


@dataclass(slots=True, eq=False)
class IbmJob:
    """A stored IBM job; its status is derived from the timestamps when read."""

    id: str
    seq: int
    user_id: str
    instance: str
    backend: str
    program_id: str
    params: dict[str, Any]
    tags: list[str]
    session: IbmSession | None
    log_level: str | None
    private: bool
    max_execution: float
    created: float
    start: float
    run_seconds: float
    will_fail: bool
    failure_reason: str | None
    shots: int
    circuits: int
    cancelled_at: float | None = None
    cancel_reason: str | None = None
    result: bytes | None = None
    cache: RenderCache | None = None

    @property
    def session_id(self) -> str | None:
        """The id of the job's session, if any."""
        return self.session.id if self.session is not None else None

    @property
    def hub_group_project(self) -> tuple[str, str, str]:
        """The instance split in its three parts."""
        hub, group, project = self.instance.split("/")
        return hub, group, project


@dataclass(slots=True)
class JobState:
    """The derived state of a job at one instant."""

    status: str
    state_status: str
    reason: str | None
    reason_code: int | None
    started: float | None
    ended: float | None

    @property
    def final(self) -> bool:
        """True for Completed, Cancelled (any reason) and Failed."""
        return self.state_status in FINAL_STATES


@dataclass(slots=True)
class SessionState:
    """The derived state of a session at one instant."""

    state: str
    started_at: float | None
    activated_at: float | None
    closed_at: float | None
    last_job_started: float | None
    last_job_completed: float | None
    elapsed: float
    remaining: float
    status_reason: str | None


@dataclass(slots=True)
class SessionSummary:
    """What a session's jobs imply whatever the time."""

    #: The earliest start of a job counting towards the max TTL (None: no such job).
    first_start: float | None
    #: When the session reaches its max TTL.
    deadline: float
    #: (started, ended) of every job that runs, sorted.
    intervals: list[tuple[float, float]] = field(default_factory=list)
    #: ``peak_ends[i]``: the latest end among ``intervals[: i + 1]``.
    peak_ends: list[float] = field(default_factory=list)
    #: The latest end of a job that ran (new jobs queue after it).
    prev_end: float = -math.inf
    #: The latest instant at which one of the jobs reaches a final state.
    last_final: float = -math.inf


# --- jobs --------------------------------------------------------------------------------------

_QUEUED = ("Queued", "Queued", None, None, None, None)


def job_state(job: IbmJob, now: float) -> JobState:
    """The job's state at ``now``."""
    deadline = session_deadline(job.session) if job.session is not None else None
    return _derive(job, now, deadline)


def _derive(job: IbmJob, now: float, deadline: float | None) -> JobState:
    cancel_at = job.cancelled_at
    reason = job.cancel_reason
    code: int | None = REASON_CODE_CANCELLED if cancel_at is not None else None
    if (
        deadline is not None
        and job.start >= deadline
        and (cancel_at is None or deadline < cancel_at)
    ):
        cancel_at, reason, code = deadline, "Session closed", REASON_CODE_SESSION_CLOSED
    start = job.start
    too_long = job.run_seconds > job.max_execution
    natural_end = start + (job.max_execution if too_long else job.run_seconds)
    if cancel_at is not None and cancel_at <= start:
        if now >= cancel_at:
            return JobState("Cancelled", "Cancelled", reason, code, None, cancel_at)
        return JobState(*_QUEUED)
    if cancel_at is not None and cancel_at < natural_end:
        if now < start:
            return JobState(*_QUEUED)
        if now < cancel_at:
            return JobState("Running", "Running", None, None, start, None)
        return JobState("Cancelled", "Cancelled", reason, code, start, cancel_at)
    if now < start:
        return JobState(*_QUEUED)
    if now < natural_end:
        return JobState("Running", "Running", None, None, start, None)
    return _natural_end_state(job, start, natural_end, too_long)


def _natural_end_state(job: IbmJob, start: float, end: float, too_long: bool) -> JobState:
    if too_long:
        return JobState(
            "Cancelled - Ran too long",
            "Cancelled",
            REASON_RAN_TOO_LONG,
            REASON_CODE_RAN_TOO_LONG,
            start,
            end,
        )
    if job.will_fail:
        return JobState("Failed", "Failed", job.failure_reason, REASON_CODE_FAILED, start, end)
    return JobState("Completed", "Completed", None, None, start, end)


def cancel(job: IbmJob, at: float, reason: str) -> None:
    """Cancel the job at ``at`` (its session's summary is derived anew when next needed)."""
    job.cancelled_at = at
    job.cancel_reason = reason
    if job.session is not None:
        job.session.summary = None


def next_change(job: IbmJob, now: float) -> float:
    """The next instant at which the job's rendering may change by itself."""
    times = [job.start, job.start + min(job.run_seconds, job.max_execution)]
    if job.cancelled_at is not None:
        times.append(job.cancelled_at)
    if job.session is not None:
        times.append(session_deadline(job.session))
    return min((t for t in times if t > now), default=math.inf)


# --- sessions ----------------------------------------------------------------------------------


def session_deadline(s: IbmSession) -> float:
    """When the session reaches its max TTL (counted from its first activation)."""
    return summary_of(s).deadline


def summary_of(s: IbmSession) -> SessionSummary:
    """The session's summary, derived from its jobs when stale."""
    if s.summary is None:
        s.summary = _summarize(s)
    return s.summary


def _summarize(s: IbmSession) -> SessionSummary:
    limit = s.created + s.max_ttl
    first: float | None = None
    for j in s.jobs:
        if j.start >= limit:
            continue
        if j.cancelled_at is not None and j.cancelled_at <= j.start:
            continue
        if first is None or j.start < first:
            first = j.start
    summary = SessionSummary(first, (first if first is not None else s.created) + s.max_ttl)
    for j in s.jobs:
        _account(summary, _derive(j, math.inf, summary.deadline))
    return summary


def _account(summary: SessionSummary, final: JobState) -> None:
    """Fold one job's final state into the summary."""
    ended = final.ended if final.ended is not None else math.inf
    summary.last_final = max(summary.last_final, ended)
    if final.started is None and final.ended is not None:
        return
    summary.prev_end = max(summary.prev_end, ended)
    if final.started is None or final.ended is None:
        return
    interval = (final.started, final.ended)
    i = bisect.bisect_right(summary.intervals, interval)
    summary.intervals.insert(i, interval)
    peaks = summary.peak_ends
    del peaks[i:]
    peak = peaks[-1] if peaks else -math.inf
    for _, end in summary.intervals[i:]:
        peak = max(peak, end)
        peaks.append(peak)


def add_job(s: IbmSession, job: IbmJob) -> None:
    """Append a new (not cancelled) job to the session, keeping its summary current."""
    s.jobs.append(job)
    summary = s.summary
    if summary is None:
        return
    counts = job.start < s.created + s.max_ttl
    if counts and (summary.first_start is None or job.start < summary.first_start):
        # the deadline moves, and with it every job's state: derive anew when needed
        s.summary = None
        return
    _account(summary, _derive(job, math.inf, summary.deadline))


def _closing(s: IbmSession, summary: SessionSummary, now: float) -> tuple[float | None, str | None]:
    """(when the session closes, why) as far as known at ``now``."""
    closed_at: float | None = None
    reason: str | None = None
    deadline = summary.deadline
    if s.cancelled_at is not None:
        closed_at, reason = s.cancelled_at, "canceled"
    if (closed_at is None or deadline < closed_at) and now >= deadline:
        closed_at, reason = deadline, "session_max_ttl_expired"
    if not s.accepting_jobs and s.not_accepting_since is not None:
        gentle = max(s.not_accepting_since, summary.last_final)
        if gentle <= now and (closed_at is None or gentle < closed_at):
            closed_at, reason = gentle, "session_closed_no_more_jobs"
    return closed_at, reason


def session_phase(s: IbmSession, now: float) -> str:
    """Just ``session_state(s, now).state``, without walking the session's jobs."""
    summary = summary_of(s)
    closed_at, reason = _closing(s, summary, now)
    if closed_at is not None and closed_at <= now:
        return "canceled" if reason == "canceled" else "closed"
    begun = bisect.bisect_right(summary.intervals, now, key=_interval_start)
    if begun == 0:
        return "open"
    peak = summary.peak_ends[begun - 1]
    if peak > now or now < peak + s.interactive_ttl:
        return "active"
    return "inactive"


def _interval_start(interval: tuple[float, float]) -> float:
    return interval[0]


@dataclass(slots=True)
class _Activity:
    """The session's jobs as seen at one instant."""

    started_at: float | None = None
    activated_at: float | None = None
    last_started: float | None = None
    last_completed: float | None = None
    active_until: float = -math.inf
    running: bool = False
    busy: float = 0.0


def _activity(s: IbmSession, summary: SessionSummary, view_now: float) -> _Activity:
    out = _Activity()
    for a, b in summary.intervals:
        if a > view_now:
            break
        if out.started_at is None:
            out.started_at = a
        if a > out.active_until:
            out.activated_at = a
        out.active_until = max(out.active_until, b + s.interactive_ttl)
        out.last_started = a
        if b <= view_now:
            out.last_completed = b if out.last_completed is None else max(out.last_completed, b)
        else:
            out.running = True
        out.busy += min(b, view_now) - a
    return out


def session_state(s: IbmSession, now: float) -> SessionState:
    """The session's state at ``now``."""
    summary = summary_of(s)
    closed_at, reason = _closing(s, summary, now)
    view_now = now if closed_at is None or closed_at > now else closed_at
    act = _activity(s, summary, view_now)
    if closed_at is not None and closed_at <= now:
        state = "canceled" if reason == "canceled" else "closed"
    elif act.started_at is None:
        state, reason = "open", None
    elif act.running or view_now < act.active_until:
        state, reason = "active", None
    else:
        state, reason = "inactive", "session_inactivated_by_interactive_ttl"
    if s.mode == "dedicated" and act.started_at is not None:
        elapsed = (closed_at if closed_at is not None else view_now) - act.started_at
    else:
        elapsed = act.busy
    return SessionState(
        state=state,
        started_at=act.started_at,
        activated_at=act.activated_at,
        closed_at=closed_at if closed_at is not None and closed_at <= now else None,
        last_job_started=act.last_started,
        last_job_completed=act.last_completed,
        elapsed=max(0.0, elapsed),
        remaining=0.0 if closed_at is not None else max(0.0, summary.deadline - now),
        status_reason=reason,
    )


def session_start(s: IbmSession, now: float, queue: float) -> float:
    """When a job added to the session at ``now`` starts (``queue``: the backend's wait)."""
    prev_end = summary_of(s).prev_end
    if session_phase(s, now) == "active" or prev_end > now:
        return max(now + SESSION_DISPATCH_SECONDS, prev_end + SESSION_DISPATCH_SECONDS)
    return max(now + queue, prev_end)
