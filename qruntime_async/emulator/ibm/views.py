"""IBM resources as the API renders them, and read-only snapshots for tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._store import detached
from .._util import ibm_job_time, rfc3339_ms
from ..config import IbmBackend
from .state import IbmJob, IbmSession, JobState, job_state, session_state

OPEN_PLAN_DEDICATED_WARNING = (
    "Dedicated session execution mode is not supported in the open plan. "
    "Jobs will run in job mode instead.."
)

JOB_WORKLOAD_STATUS = {
    "Queued": "pending",
    "Running": "in_progress",
    "Completed": "completed",
    "Cancelled": "canceled",
    "Failed": "failed",
}
SESSION_WORKLOAD_STATUS = {
    "open": "pending",
    "active": "in_progress",
    "inactive": "in_progress",
    "closed": "completed",
    "canceled": "canceled",
}


@dataclass(frozen=True, slots=True)
class IbmJobSnapshot:
    """A read-only view of one job as the server holds it (for tests)."""

    id: str
    user_id: str
    instance: str
    backend: str
    program_id: str
    session_id: str | None
    tags: tuple[str, ...]
    params: dict[str, Any]
    status: str
    created: float
    started: float | None
    ended: float | None
    private: bool


@dataclass(frozen=True, slots=True)
class IbmSessionSnapshot:
    """A read-only view of one session as the server holds it (for tests)."""

    id: str
    user_id: str
    instance: str
    backend: str
    mode: str
    state: str
    accepting_jobs: bool
    job_ids: tuple[str, ...]
    created: float


# --- jobs --------------------------------------------------------------------------------------


def job_json(job: IbmJob, now: float, *, exclude_params: bool = False) -> dict[str, Any]:
    """The job as ``GET /jobs/{id}`` answers it."""
    st = job_state(job, now)
    hub, group, project = job.hub_group_project
    state: dict[str, Any] = {"status": st.state_status}
    if st.reason is not None:
        state["reason"] = st.reason
    if st.reason_code is not None:
        state["reason_code"] = st.reason_code
    usage = 0.0
    if st.started is not None:
        usage = (st.ended if st.ended is not None else now) - st.started
    out: dict[str, Any] = {
        "id": job.id,
        "hub": hub,
        "group": group,
        "project": project,
        "backend": job.backend,
        "state": state,
        "status": st.status,
        "program": {"id": job.program_id},
        "created": ibm_job_time(job.created),
        "ended": ibm_job_time(st.ended),
        "runtime": "ibmq-runtime-emulator:1.0",
        "cost": job.max_execution,
        "tags": list(job.tags),
        "session_id": job.session_id,
        "usage": {"seconds": round(usage, 3) if st.ended is not None else 0},
        "estimated_running_time_seconds": round(job.run_seconds, 3),
        "estimated_max_running_time_seconds": job.max_execution,
        "private": job.private,
        "user_id": job.user_id,
        "log_level": job.log_level,
    }
    if not exclude_params:
        out["params"] = {} if job.private else job.params
    return out


def created_job_json(job: IbmJob, messages: list[dict[str, str]]) -> dict[str, Any]:
    """The answer to ``POST /jobs``."""
    out: dict[str, Any] = {"id": job.id, "backend": job.backend}
    if job.session is not None:
        out["session_id"] = job.session.id
    if job.private:
        out["private"] = True
    if messages:
        out["messages"] = messages
    return out


def job_logs(job: IbmJob, now: float) -> str:
    """``GET /jobs/{id}/logs``: plain text."""
    st = job_state(job, now)
    lines = [f"{ibm_job_time(job.created)} INFO job {job.id} queued on {job.backend}"]
    if st.started is not None:
        lines.append(f"{ibm_job_time(st.started)} INFO job {job.id} running")
    if st.ended is not None:
        detail = f" ({st.reason})" if st.reason else ""
        lines.append(f"{ibm_job_time(st.ended)} INFO job {job.id} {st.status}{detail}")
    return "\n".join(lines) + "\n"


def job_metrics(job: IbmJob, st: JobState, position: int | None) -> dict[str, Any]:
    """``GET /jobs/{id}/metrics`` (``position``: the place in the backend's queue)."""
    usage = 0.0
    if st.started is not None and st.ended is not None:
        usage = st.ended - st.started
    queued = st.state_status == "Queued"
    return {
        "timestamps": {
            "created": rfc3339_ms(job.created),
            "running": rfc3339_ms(st.started),
            "finished": rfc3339_ms(st.ended),
        },
        "bss": {"seconds": round(usage, 3)},
        "usage": {
            "seconds": round(usage, 3),
            "quantum_seconds": round(usage, 3),
            "qpu_charge_time_seconds": round(usage, 3),
            "status": "completed" if st.final else "pending",
        },
        "executions": job.circuits,
        "num_circuits": job.circuits,
        "num_qubits": [],
        "qiskit_version": "emulator",
        "estimated_start_time": rfc3339_ms(job.start) if queued else None,
        "estimated_completion_time": rfc3339_ms(job.start + job.run_seconds)
        if not st.final
        else None,
        "position_in_queue": position,
        "position_in_provider": position,
    }


def job_workload(job: IbmJob, now: float) -> dict[str, Any]:
    """A job outside any session, as a workload."""
    st = job_state(job, now)
    final = st.final
    start_in: float | None = None
    if st.state_status == "Queued":
        start_in = max(0.0, job.start - now)
    elif st.started is not None:
        start_in = 0.0
    usage = round(st.ended - st.started, 3) if final and st.started and st.ended else None
    if final and usage is None:
        usage = 0.0
    return {
        "id": job.id,
        "created": rfc3339_ms(job.created),
        "ended": rfc3339_ms(st.ended),
        "backend": job.backend,
        "instance": job.instance,
        "user_id": job.user_id,
        "accepting_jobs": None,
        "mode": "job",
        "status": JOB_WORKLOAD_STATUS[st.state_status],
        "status_reason": st.reason,
        "tags": list(job.tags),
        "usage_seconds": usage,
        "estimated_running_time_seconds": round(job.run_seconds, 3),
        "estimated_start_time_seconds": None if start_in is None else round(start_in, 3),
    }


def job_snapshot(job: IbmJob, now: float) -> IbmJobSnapshot:
    """A detached copy of the job and its state."""
    st = job_state(job, now)
    return IbmJobSnapshot(
        id=job.id,
        user_id=job.user_id,
        instance=job.instance,
        backend=job.backend,
        program_id=job.program_id,
        session_id=job.session_id,
        tags=tuple(job.tags),
        params=detached(job.params),
        status=st.status,
        created=job.created,
        started=st.started,
        ended=st.ended,
        private=job.private,
    )


# --- sessions ----------------------------------------------------------------------------------


def session_json(s: IbmSession, now: float, *, extended: bool) -> dict[str, Any]:
    """The session as ``GET /sessions/{id}`` (or ``/extended``) answers it."""
    st = session_state(s, now)
    out: dict[str, Any] = {"id": s.id}
    if extended:
        out["user_id"] = s.user_id
    out["backend_name"] = s.backend
    if extended:
        out["instance"] = s.instance
    out.update(
        {
            "started_at": rfc3339_ms(st.started_at),
            "created_at": rfc3339_ms(s.created),
            "activated_at": rfc3339_ms(st.activated_at),
            "closed_at": rfc3339_ms(st.closed_at),
            "last_job_started": rfc3339_ms(st.last_job_started),
            "last_job_completed": rfc3339_ms(st.last_job_completed),
            "interactive_ttl": s.interactive_ttl,
            "max_ttl": s.max_ttl,
            "active_ttl": s.max_ttl,
        }
    )
    if extended:
        out["status"] = SESSION_WORKLOAD_STATUS[st.state]
        out["status_reason"] = st.status_reason
    else:
        out["state"] = st.state
    out["accepting_jobs"] = s.accepting_jobs and st.closed_at is None
    out["mode"] = s.mode
    out["elapsed_time"] = round(st.elapsed, 3)
    if extended:
        out["session_remaining_time_seconds"] = round(st.remaining, 3)
        events = [{"status": "pending", "date": rfc3339_ms(s.created)}]
        if st.started_at is not None:
            events.append({"status": "in_progress", "date": rfc3339_ms(st.started_at)})
        if st.closed_at is not None:
            events.append(
                {"status": SESSION_WORKLOAD_STATUS[st.state], "date": rfc3339_ms(st.closed_at)}
            )
        out["timestamps"] = events
    return out


def session_workload(s: IbmSession, now: float) -> dict[str, Any]:
    """A session as a workload."""
    st = session_state(s, now)
    tags: list[str] = []
    return {
        "id": s.id,
        "created": rfc3339_ms(s.created),
        "ended": rfc3339_ms(st.closed_at),
        "backend": s.backend,
        "instance": s.instance,
        "user_id": s.user_id,
        "accepting_jobs": s.accepting_jobs and st.closed_at is None,
        "mode": "session" if s.mode == "dedicated" else "batch",
        "status": SESSION_WORKLOAD_STATUS[st.state],
        "status_reason": st.status_reason,
        "tags": tags,
        "usage_seconds": round(st.elapsed, 3),
        "estimated_running_time_seconds": None,
        "estimated_start_time_seconds": None,
    }


def workload_json(w: IbmJob | IbmSession, now: float) -> dict[str, Any]:
    """A job or a session, as a workload."""
    if isinstance(w, IbmJob):
        return job_workload(w, now)
    return session_workload(w, now)


def session_snapshot(s: IbmSession, now: float, live: dict[str, IbmJob]) -> IbmSessionSnapshot:
    """A detached copy of the session and its state (``live``: the jobs not deleted)."""
    return IbmSessionSnapshot(
        id=s.id,
        user_id=s.user_id,
        instance=s.instance,
        backend=s.backend,
        mode=s.mode,
        state=session_state(s, now).state,
        accepting_jobs=s.accepting_jobs,
        job_ids=tuple(j.id for j in s.jobs if j.id in live),
        created=s.created,
    )


# --- backends ----------------------------------------------------------------------------------


def backend_json(b: IbmBackend, queued: int) -> dict[str, Any]:
    """A device of ``GET /backends``."""
    return {
        "name": b.name,
        "status": {"name": b.status, "reason": "available" if b.status == "online" else ""},
        "qubits": b.num_qubits,
        "processor_type": {"family": b.processor_type.split(" ")[0], "revision": 1},
        "clops": {"type": "hardware", "value": b.clops},
        "queue_length": queued,
        "simulator": b.simulator,
    }
