"""The IBM Quantum Runtime side of the emulator: jobs, sessions, workloads, backends, IAM.

States are derived lazily from timestamps in virtual time when a resource is read; only
explicit acts (cancel, close, accepting_jobs=false, delete) change stored records.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from ._circuits import CircuitError, expectation_values, parse_qasm, sample_circuit
from ._context import Context
from ._util import (
    ApiError,
    encode,
    ibm_job_time,
    json_response,
    multi_values,
    no_content,
    parse_bool,
    parse_timestamp,
    read_json_object,
    rfc3339_ms,
)
from .config import IbmBackend, IbmInstance, IbmUser

MORE_INFO = "https://cloud.ibm.com/apidocs/quantum-computing#error-handling"

#: Error codes used in IBM error bodies.
CODE_INVALID = "1201"
CODE_UNAUTHORIZED = "1219"
CODE_FORBIDDEN = "1220"
CODE_JOB_NOT_FOUND = "1291"
CODE_SESSION_NOT_FOUND = "1292"
CODE_BACKEND_NOT_FOUND = "1216"
CODE_SESSION_CLOSED = "1217"
CODE_JOB_FINAL = "1235"
CODE_NO_RESULT = "1236"
CODE_RATE_LIMITED = "1300"
CODE_NOT_FOUND = "1404"
CODE_METHOD = "1405"
CODE_INTERNAL = "1500"
CODE_UNAVAILABLE = "1503"

REASON_RAN_TOO_LONG = "Ran too long"
REASON_CODE_RAN_TOO_LONG = 1305
REASON_CODE_CANCELLED = 1304
REASON_CODE_SESSION_CLOSED = 1217
REASON_CODE_FAILED = 1517

PROGRAMS = frozenset({"sampler", "estimator", "circuit-runner", "qasm3-runner", "noise-learner"})
LOG_LEVELS = frozenset({"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"})
WORKLOAD_STATUSES = frozenset({"pending", "in_progress", "completed", "canceled", "failed"})
WORKLOAD_MODES = frozenset({"job", "session", "batch"})
OPEN_PLAN_DEDICATED_WARNING = (
    "Dedicated session execution mode is not supported in the open plan. "
    "Jobs will run in job mode instead.."
)
DEFAULT_SAMPLER_SHOTS = 4096
DEFAULT_ESTIMATOR_SHOTS = 4096
SESSION_DISPATCH_SECONDS = 0.2

_JOB_WORKLOAD_STATUS = {
    "Queued": "pending",
    "Running": "in_progress",
    "Completed": "completed",
    "Cancelled": "canceled",
    "Failed": "failed",
}
_SESSION_WORKLOAD_STATUS = {
    "open": "pending",
    "active": "in_progress",
    "inactive": "in_progress",
    "closed": "completed",
    "canceled": "canceled",
}


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
    session_id: str | None
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
    #: (epoch, valid until, exclude_params, rendering) of the last GET answer.
    cache: tuple[int, float, bool, bytes] | None = None

    @property
    def hub_group_project(self) -> tuple[str, str, str]:
        """The instance split in its three parts."""
        hub, group, project = self.instance.split("/")
        return hub, group, project


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
    deadline_cache: tuple[int, float] | None = None


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
        return self.state_status in ("Completed", "Cancelled", "Failed")


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
class Principal:
    """Who is calling: the user and, for IAM tokens, the single instance of the Service-CRN."""

    user: IbmUser
    scope: str | None = None


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


class IbmService:
    """Routes and state of the IBM Quantum Runtime emulation."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        cfg = ctx.config
        self.users_by_token: dict[str, IbmUser] = {u.token: u for u in cfg.ibm_users}
        self.users_by_apikey: dict[str, IbmUser] = {
            key: u for u in cfg.ibm_users for key in u.api_keys
        }
        self.instances: dict[str, IbmInstance] = {i.name: i for i in cfg.ibm_instances}
        self.instances_by_crn: dict[str, IbmInstance] = {
            i.crn: i for i in cfg.ibm_instances if i.crn
        }
        self.backends: dict[str, IbmBackend] = {b.name: b for b in cfg.ibm_backends}
        self.jobs: dict[str, IbmJob] = {}
        self.sessions: dict[str, IbmSession] = {}
        self.iam_tokens: dict[str, tuple[IbmUser, float]] = {}
        self._seq = 0
        self._rate: dict[str, deque[float]] = {}
        #: Planned start times of jobs not yet started, per backend (the backend's load).
        self._pending_starts: dict[str, list[float]] = {}

    def reset(self) -> None:
        """Drop every job, session and IAM token."""
        self.jobs.clear()
        self.sessions.clear()
        self.iam_tokens.clear()
        self._rate.clear()
        self._pending_starts.clear()

    # --- routing ------------------------------------------------------------------------------

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
        r.add_get(prefix + "/backends", self.list_backends)
        r.add_get(prefix + "/backends/{name}/status", self.backend_status)
        r.add_post(prefix + "/sessions", self.create_session)
        r.add_get(prefix + "/sessions/{session_id}", self.get_session)
        r.add_patch(prefix + "/sessions/{session_id}", self.update_session)
        r.add_delete(prefix + "/sessions/{session_id}/close", self.close_session)
        r.add_get(prefix + "/sessions/{session_id}/extended", self.get_session_extended)
        r.add_get(prefix + "/sessions/{session_id}/jobs", self.session_jobs)
        r.add_get(prefix + "/workloads/me", self.workloads_me)
        r.add_get(prefix + "/workloads/admin", self.workloads_admin)
        r.add_post("/identity/token", self.iam_token)

    # --- errors -------------------------------------------------------------------------------

    def error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> ApiError:
        """An error in the configured IBM error format."""
        return ApiError(status, self.error_body(status, code, message), headers)

    def error_body(self, status: int, code: str, message: str) -> dict[str, Any]:
        """The JSON body of an IBM error."""
        if self.ctx.config.ibm_error_style == "legacy":
            return {"error": {"code": int(code), "message": message, "status": status}}
        return {
            "errors": [{"code": code, "message": message, "more_info": MORE_INFO}],
            "trace": self.ctx.trace_id(),
            "status_code": status,
        }

    def _invalid(self, message: str) -> ApiError:
        return self.error(400, CODE_INVALID, message)

    def _job_not_found(self, job_id: str) -> ApiError:
        return self.error(404, CODE_JOB_NOT_FOUND, f"Job not found. Job ID: {job_id}")

    def _session_not_found(self, session_id: str) -> ApiError:
        return self.error(
            404, CODE_SESSION_NOT_FOUND, f"Session not found. Session ID: {session_id}"
        )

    # --- auth ---------------------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> Principal:
        """The caller, from ``Authorization: Bearer``; 401/403 otherwise."""
        header = request.headers.get("Authorization")
        if not header or not header.startswith("Bearer "):
            raise self.error(401, CODE_UNAUTHORIZED, "Unauthorized: missing bearer token")
        token = header[7:].strip()
        user = self.users_by_token.get(token)
        if user is not None:
            crn = request.headers.get("Service-CRN")
            if crn:
                return Principal(user, self._scope_for(user, crn))
            return Principal(user)
        entry = self.iam_tokens.get(token)
        if entry is None:
            raise self.error(401, CODE_UNAUTHORIZED, "Unauthorized: invalid token")
        user, expires = entry
        if time.time() >= expires:
            raise self.error(401, CODE_UNAUTHORIZED, "Unauthorized: the access token expired")
        crn = request.headers.get("Service-CRN")
        if not crn:
            raise self.error(
                400, CODE_INVALID, "The Service-CRN header is required with an IAM access token"
            )
        return Principal(user, self._scope_for(user, crn))

    def _scope_for(self, user: IbmUser, crn: str) -> str:
        inst = self.instances_by_crn.get(crn)
        if inst is None:
            raise self.error(403, CODE_FORBIDDEN, "Forbidden: unknown service instance CRN")
        if inst.name not in user.instances and inst.hub not in user.admin_hubs:
            raise self.error(403, CODE_FORBIDDEN, "Forbidden: no access to this instance")
        return inst.name

    def _can_see(self, p: Principal, instance: str) -> bool:
        if p.scope is not None:
            return instance == p.scope
        return instance in p.user.instances or instance.split("/")[0] in p.user.admin_hubs

    def _visible_job(self, p: Principal, job_id: str) -> IbmJob:
        job = self.jobs.get(job_id)
        if job is None or not self._can_see(p, job.instance):
            raise self._job_not_found(job_id)
        return job

    def _visible_session(self, p: Principal, session_id: str) -> IbmSession:
        s = self.sessions.get(session_id)
        if s is None or not self._can_see(p, s.instance):
            raise self._session_not_found(session_id)
        return s

    # --- IAM ----------------------------------------------------------------------------------

    async def iam_token(self, request: web.Request) -> web.Response:
        """``POST /identity/token``: exchange an API key for an access token."""
        form = await request.post()
        grant = form.get("grant_type")
        apikey = form.get("apikey")
        if grant != "urn:ibm:params:oauth:grant-type:apikey":
            raise ApiError(
                400,
                {
                    "errorCode": "BXNIM0109E",
                    "errorMessage": "Property missing or empty: grant_type",
                    "context": {"requestId": self.ctx.trace_id()},
                },
            )
        user = self.users_by_apikey.get(apikey) if isinstance(apikey, str) else None
        if user is None:
            raise ApiError(
                400,
                {
                    "errorCode": "BXNIM0415E",
                    "errorMessage": "Provided API key could not be found.",
                    "context": {"requestId": self.ctx.trace_id()},
                },
            )
        lifetime = self.ctx.config.iam_token_lifetime
        token = "emu-iam-" + secrets.token_urlsafe(24)
        now = time.time()
        self.iam_tokens[token] = (user, now + lifetime)
        return json_response(
            {
                "access_token": token,
                "refresh_token": "not_supported",
                "token_type": "Bearer",
                "expires_in": int(lifetime),
                "expiration": int(now + lifetime),
                "scope": "ibm openid",
            }
        )

    # --- derivations --------------------------------------------------------------------------

    def _session_deadline(self, s: IbmSession) -> float:
        """When the session reaches its max TTL (counted from its first activation)."""
        epoch = self.ctx.epoch
        if s.deadline_cache is not None and s.deadline_cache[0] == epoch:
            return s.deadline_cache[1]
        value = self._compute_deadline(s)
        s.deadline_cache = (epoch, value)
        return value

    def _compute_deadline(self, s: IbmSession) -> float:
        limit = s.created + s.max_ttl
        first = None
        for j in s.jobs:
            if j.start >= limit:
                continue
            if j.cancelled_at is not None and j.cancelled_at <= j.start:
                continue
            if first is None or j.start < first:
                first = j.start
        return (first if first is not None else s.created) + s.max_ttl

    def job_state(self, job: IbmJob, now: float) -> JobState:
        """Derive the job's state at ``now``."""
        cancel_at = job.cancelled_at
        reason = job.cancel_reason
        code: int | None = REASON_CODE_CANCELLED if cancel_at is not None else None
        if job.session_id is not None:
            s = self.sessions.get(job.session_id)
            if s is not None:
                deadline = self._session_deadline(s)
                if job.start >= deadline and (cancel_at is None or deadline < cancel_at):
                    cancel_at, reason, code = deadline, "Session closed", REASON_CODE_SESSION_CLOSED
        start = job.start
        too_long = job.run_seconds > job.max_execution
        natural_end = start + (job.max_execution if too_long else job.run_seconds)
        if cancel_at is not None and cancel_at <= start:
            if now >= cancel_at:
                return JobState("Cancelled", "Cancelled", reason, code, None, cancel_at)
            return JobState("Queued", "Queued", None, None, None, None)
        if cancel_at is not None and cancel_at < natural_end:
            if now < start:
                return JobState("Queued", "Queued", None, None, None, None)
            if now < cancel_at:
                return JobState("Running", "Running", None, None, start, None)
            return JobState("Cancelled", "Cancelled", reason, code, start, cancel_at)
        if now < start:
            return JobState("Queued", "Queued", None, None, None, None)
        if now < natural_end:
            return JobState("Running", "Running", None, None, start, None)
        if too_long:
            return JobState(
                "Cancelled - Ran too long",
                "Cancelled",
                REASON_RAN_TOO_LONG,
                REASON_CODE_RAN_TOO_LONG,
                start,
                natural_end,
            )
        if job.will_fail:
            return JobState(
                "Failed", "Failed", job.failure_reason, REASON_CODE_FAILED, start, natural_end
            )
        return JobState("Completed", "Completed", None, None, start, natural_end)

    def _job_final_time(self, job: IbmJob) -> float:
        st = self.job_state(job, math.inf)
        return st.ended if st.ended is not None else math.inf

    def session_state(self, s: IbmSession, now: float) -> SessionState:
        """Derive the session's state at ``now``."""
        ttl = s.interactive_ttl
        intervals: list[tuple[float, float]] = []
        for j in s.jobs:
            st = self.job_state(j, math.inf)
            if st.started is not None and st.ended is not None:
                intervals.append((st.started, st.ended))
        intervals.sort()
        deadline = self._session_deadline(s)
        closed_at: float | None = None
        reason: str | None = None
        if s.cancelled_at is not None:
            closed_at, reason = s.cancelled_at, "canceled"
        if (closed_at is None or deadline < closed_at) and now >= deadline:
            closed_at, reason = deadline, "session_max_ttl_expired"
        if not s.accepting_jobs and s.not_accepting_since is not None:
            gentle = max([s.not_accepting_since] + [self._job_final_time(j) for j in s.jobs])
            if gentle <= now and (closed_at is None or gentle < closed_at):
                closed_at, reason = gentle, "session_closed_no_more_jobs"
        view_now = now if closed_at is None or closed_at > now else closed_at
        started_at = None
        activated_at = None
        last_started = None
        last_completed = None
        active_until = -math.inf
        running = False
        busy = 0.0
        for a, b in intervals:
            if a > view_now:
                break
            if started_at is None:
                started_at = a
            if a > active_until:
                activated_at = a
            active_until = max(active_until, b + ttl)
            last_started = a
            if b <= view_now:
                last_completed = b if last_completed is None else max(last_completed, b)
            else:
                running = True
            busy += min(b, view_now) - a
        if closed_at is not None and closed_at <= now:
            state = "canceled" if reason == "canceled" else "closed"
        elif started_at is None:
            state = "open"
        elif running or view_now < active_until:
            state = "active"
            reason = None
        else:
            state = "inactive"
            reason = "session_inactivated_by_interactive_ttl"
        if state in ("open",):
            reason = None
        if s.mode == "dedicated" and started_at is not None:
            elapsed = (closed_at if closed_at is not None else view_now) - started_at
        else:
            elapsed = busy
        remaining = 0.0 if closed_at is not None else max(0.0, deadline - now)
        return SessionState(
            state=state,
            started_at=started_at,
            activated_at=activated_at,
            closed_at=closed_at if closed_at is not None and closed_at <= now else None,
            last_job_started=last_started,
            last_job_completed=last_completed,
            elapsed=max(0.0, elapsed),
            remaining=remaining,
            status_reason=reason,
        )

    # --- JSON views ---------------------------------------------------------------------------

    def job_json(self, job: IbmJob, now: float, *, exclude_params: bool = False) -> dict[str, Any]:
        """The job as the API answers it."""
        st = self.job_state(job, now)
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

    def session_json(self, s: IbmSession, now: float, *, extended: bool) -> dict[str, Any]:
        """The session as ``GET /sessions/{id}`` (or ``/extended``) answers it."""
        st = self.session_state(s, now)
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
            out["status"] = _SESSION_WORKLOAD_STATUS[st.state]
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
                    {"status": _SESSION_WORKLOAD_STATUS[st.state], "date": rfc3339_ms(st.closed_at)}
                )
            out["timestamps"] = events
        return out

    def _job_workload(self, job: IbmJob, now: float) -> dict[str, Any]:
        st = self.job_state(job, now)
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
            "status": _JOB_WORKLOAD_STATUS[st.state_status],
            "status_reason": st.reason,
            "tags": list(job.tags),
            "usage_seconds": usage,
            "estimated_running_time_seconds": round(job.run_seconds, 3),
            "estimated_start_time_seconds": None if start_in is None else round(start_in, 3),
        }

    def _session_workload(self, s: IbmSession, now: float) -> dict[str, Any]:
        st = self.session_state(s, now)
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
            "status": _SESSION_WORKLOAD_STATUS[st.state],
            "status_reason": st.status_reason,
            "tags": tags,
            "usage_seconds": round(st.elapsed, 3),
            "estimated_running_time_seconds": None,
            "estimated_start_time_seconds": None,
        }

    # --- jobs ---------------------------------------------------------------------------------

    def _check_rate(self, user: IbmUser) -> None:
        limit = self.ctx.config.ibm_job_rate_limit
        if limit is None:
            return
        now = time.monotonic()
        window = self._rate.setdefault(user.user_id, deque())
        while window and now - window[0] >= 60.0:
            window.popleft()
        if len(window) >= limit:
            wait = max(1, math.ceil(60.0 - (now - window[0])))
            raise self.error(
                429,
                CODE_RATE_LIMITED,
                f"Job creation rate limit reached ({limit} jobs a minute); retry later",
                {"Retry-After": str(wait)},
            )
        window.append(now)

    def _measure_params(self, program: str, params: dict[str, Any]) -> tuple[int, int, list[str]]:
        """(total shots, circuit count, circuit texts) of the params; ApiError if malformed."""
        texts: list[str] = []
        default_shots = params.get("shots")
        options = params.get("options")
        if default_shots is None and isinstance(options, dict):
            default_shots = options.get("default_shots")
        if default_shots is None:
            default_shots = (
                DEFAULT_ESTIMATOR_SHOTS if program == "estimator" else DEFAULT_SAMPLER_SHOTS
            )
        if not _is_count(default_shots):
            raise self._invalid("params.shots must be a positive integer")
        shots_list: list[int] = []
        if "pubs" in params:
            pubs = params["pubs"]
            if not isinstance(pubs, list):
                raise self._invalid("params.pubs must be a list")
            for i, pub in enumerate(pubs):
                circuit, shots = _pub_parts(program, pub)
                if circuit is None:
                    raise self._invalid(f"params.pubs[{i}] is not a valid pub")
                if shots is None:
                    shots = default_shots
                if not _is_count(shots):
                    raise self._invalid(f"params.pubs[{i}] shots must be a positive integer")
                shots_list.append(int(shots))
                texts.append(circuit if isinstance(circuit, str) else "")
        elif "circuits" in params:
            circuits = params["circuits"]
            items = circuits if isinstance(circuits, list) else [circuits]
            for c in items:
                texts.append(c if isinstance(c, str) else "")
                shots_list.append(int(default_shots))
        return sum(shots_list), len(shots_list), texts

    async def create_job(self, request: web.Request) -> web.Response:
        """``POST /jobs``."""
        p = self.authenticate(request)
        body, problem = await read_json_object(request)
        if body is None:
            raise self._invalid(problem or "invalid body")
        program = body.get("program_id")
        if not isinstance(program, str) or not program:
            raise self._invalid("program_id is required")
        if program not in PROGRAMS:
            raise self.error(404, CODE_NOT_FOUND, f"Program not found: {program}")
        params = body.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise self._invalid("params must be an object")
        tags = body.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise self._invalid("tags must be a list of strings")
        log_level = body.get("log_level")
        if log_level is not None and (
            not isinstance(log_level, str) or log_level.upper() not in LOG_LEVELS
        ):
            raise self._invalid(f"log_level must be one of {sorted(LOG_LEVELS)}")
        private = body.get("private", False)
        if not isinstance(private, bool):
            raise self._invalid("private must be a boolean")
        cost = body.get("cost")
        if cost is not None and (
            isinstance(cost, bool) or not isinstance(cost, (int, float)) or cost <= 0
        ):
            raise self._invalid("cost (max execution time in seconds) must be a positive number")
        session: IbmSession | None = None
        session_id = body.get("session_id")
        if session_id is not None:
            if not isinstance(session_id, str):
                raise self._invalid("session_id must be a string")
            session = self._visible_session(p, session_id)
        backend_name = body.get("backend")
        if backend_name is None and session is not None:
            backend_name = session.backend
        if not isinstance(backend_name, str) or not backend_name:
            raise self._invalid("backend is required")
        backend = self.backends.get(backend_name)
        if backend is None:
            raise self.error(404, CODE_BACKEND_NOT_FOUND, f"Backend not found: {backend_name}")
        instance = self._instance_for_create(p, body, session)
        now = self.ctx.stamp()
        messages: list[dict[str, str]] = []
        if session is not None:
            if session.backend != backend.name:
                raise self._invalid(
                    f"Session {session.id} runs on {session.backend}, not {backend.name}"
                )
            st = self.session_state(session, now)
            if st.state in ("closed", "canceled") or not session.accepting_jobs:
                raise self.error(
                    400,
                    CODE_SESSION_CLOSED,
                    f"Session has been closed. Session {session.id} is {st.state} and not "
                    "accepting new jobs",
                )
            if session.mode == "dedicated" and self.instances[instance].plan == "open":
                messages.append({"level": "warn", "data": OPEN_PLAN_DEDICATED_WARNING})
        shots, circuits, texts = self._measure_params(program, params)
        if shots > backend.max_shots * max(1, circuits):
            raise self._invalid(f"Too many shots: at most {backend.max_shots} a circuit")
        if circuits > backend.max_experiments:
            raise self._invalid(f"Too many circuits: at most {backend.max_experiments}")
        self._check_rate(p.user)
        failure: str | None = None
        for i, text in enumerate(texts):
            if not text:
                continue
            try:
                parse_qasm(text)
            except CircuitError as exc:
                failure = f"Invalid circuit in pub {i}: {exc}"
                break
        rng = self.ctx.plan_rng
        pending = [t for t in self._pending_starts.get(backend.name, ()) if t > now]
        # each job already waiting on the backend lengthens the queue a little
        queue = backend.queue_seconds * (0.5 + rng.random()) * (1.0 + 0.1 * len(pending))
        run = backend.setup_seconds + shots * backend.seconds_per_shot
        if failure is None and rng.random() < self.ctx.config.job_failure_rate:
            failure = "Internal error while executing the job; please retry"
        start = now + queue
        if session is not None:
            start = self._session_start(session, now, queue)
        pending.append(start)
        self._pending_starts[backend.name] = pending
        job_id = self.ctx.ids.xid()
        while job_id in self.jobs or job_id in self.sessions:
            job_id = self.ctx.ids.xid()
        self._seq += 1
        job = IbmJob(
            id=job_id,
            seq=self._seq,
            user_id=p.user.user_id,
            instance=instance,
            backend=backend.name,
            program_id=program,
            params=params,
            tags=list(tags),
            session_id=session.id if session is not None else None,
            log_level=log_level.upper() if isinstance(log_level, str) else None,
            private=private,
            max_execution=float(cost)
            if cost is not None
            else self.ctx.config.ibm_default_max_execution_time,
            created=now,
            start=start,
            run_seconds=run,
            will_fail=failure is not None,
            failure_reason=failure,
            shots=shots,
            circuits=circuits,
        )
        self.jobs[job_id] = job
        if session is not None:
            session.jobs.append(job)
        self.ctx.epoch += 1
        out: dict[str, Any] = {"id": job_id, "backend": backend.name}
        if session is not None:
            out["session_id"] = session.id
        if private:
            out["private"] = True
        if messages:
            out["messages"] = messages
        return json_response(out)

    def _instance_for_create(
        self, p: Principal, body: dict[str, Any], session: IbmSession | None
    ) -> str:
        parts = [body.get("hub"), body.get("group"), body.get("project")]
        if any(x is not None for x in parts):
            if not all(isinstance(x, str) and x for x in parts):
                raise self._invalid("hub, group and project must be given together")
            wanted = "/".join(str(x) for x in parts)
            if wanted not in self.instances or not (
                wanted == p.scope or (p.scope is None and wanted in p.user.instances)
            ):
                raise self.error(403, CODE_FORBIDDEN, f"Forbidden: no access to {wanted}")
            if session is not None and session.instance != wanted:
                raise self._invalid("the job's instance differs from its session's")
            return wanted
        if session is not None:
            return session.instance
        if p.scope is not None:
            return p.scope
        if not p.user.instances:
            raise self.error(403, CODE_FORBIDDEN, "Forbidden: the user belongs to no instance")
        return p.user.instances[0]

    def _session_start(self, s: IbmSession, now: float, queue: float) -> float:
        prev_end = -math.inf
        for j in s.jobs:
            st = self.job_state(j, math.inf)
            if st.started is None and st.ended is not None:
                continue
            end = st.ended if st.ended is not None else math.inf
            prev_end = max(prev_end, end)
        st_now = self.session_state(s, now)
        if st_now.state == "active" or prev_end > now:
            return max(now + SESSION_DISPATCH_SECONDS, prev_end + SESSION_DISPATCH_SECONDS)
        return max(now + queue, prev_end)

    async def list_jobs(self, request: web.Request) -> web.Response:
        """``GET /jobs`` with offset paging and every documented filter."""
        p = self.authenticate(request)
        q = request.query
        cfg = self.ctx.config
        limit = self._int_param(q, "limit", cfg.ibm_jobs_default_limit, 1, cfg.ibm_jobs_max_limit)
        offset = self._int_param(q, "offset", 0, 0, None)
        now = self.ctx.now()
        backend = q.get("backend")
        pending: bool | None = None
        if "pending" in q:
            pending = parse_bool(q["pending"])
            if pending is None:
                raise self._invalid("pending must be true or false")
        program = q.get("program") or q.get("program_id")
        tags = multi_values(q, "tags", "tags[]")
        session_id = q.get("session_id")
        after = self._time_param(q, "created_after")
        before = self._time_param(q, "created_before")
        provider = q.get("provider") or q.get("instance")
        sort = q.get("sort", "DESC").upper()
        if sort not in ("ASC", "DESC"):
            raise self._invalid("sort must be ASC or DESC")
        exclude = False
        if "exclude_params" in q:
            flag = parse_bool(q["exclude_params"])
            if flag is None:
                raise self._invalid("exclude_params must be true or false")
            exclude = flag
        selected: list[IbmJob] = []
        for job in self.jobs.values():
            if not self._can_see(p, job.instance):
                continue
            if provider and job.instance != provider:
                continue
            if backend and job.backend != backend:
                continue
            if program and job.program_id != program:
                continue
            if session_id and job.session_id != session_id:
                continue
            if after is not None and job.created < after - 1e-6:
                continue
            if before is not None and job.created > before + 1e-6:
                continue
            if tags and not all(t in job.tags for t in tags):
                continue
            if pending is not None and self.job_state(job, now).final == pending:
                continue
            selected.append(job)
        selected.sort(key=lambda j: (j.created, j.seq), reverse=sort == "DESC")
        page = selected[offset : offset + limit]
        return json_response(
            {
                "jobs": [self.job_json(j, now, exclude_params=exclude) for j in page],
                "count": len(selected),
                "limit": limit,
                "offset": offset,
            }
        )

    def _int_param(self, q: Any, name: str, default: int, low: int, high: int | None) -> int:
        raw = q.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise self._invalid(f"{name} must be an integer") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self._invalid(f"{name} must be {bound}")
        return value

    def _time_param(self, q: Any, name: str) -> float | None:
        raw = q.get(name)
        if raw is None or raw == "":
            return None
        try:
            return parse_timestamp(raw)
        except ValueError:
            raise self._invalid(f"{name} must be an ISO 8601 / RFC 3339 timestamp") from None

    async def get_job(self, request: web.Request) -> web.Response:
        """``GET /jobs/{id}``."""
        p = self.authenticate(request)
        job = self._visible_job(p, request.match_info["job_id"])
        query = request.query
        exclude = bool(query and parse_bool(query.get("exclude_params", "false")))
        now = self.ctx.now()
        epoch = self.ctx.epoch
        cached = job.cache
        if cached is not None and cached[0] == epoch and now < cached[1] and cached[2] == exclude:
            body = cached[3]
        else:
            body = encode(self.job_json(job, now, exclude_params=exclude))
            job.cache = (epoch, self._next_change(job, now), exclude, body)
        return web.Response(body=body, content_type="application/json")

    def _next_change(self, job: IbmJob, now: float) -> float:
        """The next instant at which the job's rendering may change by itself."""
        times = [job.start, job.start + min(job.run_seconds, job.max_execution)]
        if job.cancelled_at is not None:
            times.append(job.cancelled_at)
        if job.session_id is not None:
            s = self.sessions.get(job.session_id)
            if s is not None:
                times.append(self._session_deadline(s))
        return min((t for t in times if t > now), default=math.inf)

    async def delete_job(self, request: web.Request) -> web.Response:
        """``DELETE /jobs/{id}``."""
        p = self.authenticate(request)
        job = self._visible_job(p, request.match_info["job_id"])
        del self.jobs[job.id]
        if job.session_id is not None:
            s = self.sessions.get(job.session_id)
            if s is not None:
                now = self.ctx.now()
                if not self.job_state(job, now).final:
                    job.cancelled_at = now
                    job.cancel_reason = "Deleted by user"
        self.ctx.epoch += 1
        return no_content()

    async def cancel_job(self, request: web.Request) -> web.Response:
        """``POST /jobs/{id}/cancel``: 204, or 409 when already final."""
        p = self.authenticate(request)
        job = self._visible_job(p, request.match_info["job_id"])
        now = self.ctx.now()
        st = self.job_state(job, now)
        if st.final:
            raise self.error(
                409, CODE_JOB_FINAL, f"Job {job.id} cannot be cancelled: it is {st.status}"
            )
        job.cancelled_at = now
        job.cancel_reason = "Cancelled by user"
        self.ctx.epoch += 1
        return no_content()

    async def job_results(self, request: web.Request) -> web.Response:
        """``GET /jobs/{id}/results``: the raw result JSON once Completed."""
        p = self.authenticate(request)
        job = self._visible_job(p, request.match_info["job_id"])
        st = self.job_state(job, self.ctx.now())
        if st.state_status != "Completed":
            raise self.error(
                400,
                CODE_NO_RESULT,
                f"Job {job.id} has no result: its status is {st.status}"
                + (f" ({st.reason})" if st.reason else ""),
            )
        if job.result is None:
            result = await asyncio.to_thread(self._compute_result, job)
            job.result = encode(result)
        return web.Response(body=job.result, content_type="application/json")

    def _compute_result(self, job: IbmJob) -> dict[str, Any]:
        params = job.params
        program = job.program_id
        any_synthetic = False
        results: list[dict[str, Any]] = []
        default_shots = params.get("shots")
        options = params.get("options")
        if default_shots is None and isinstance(options, dict):
            default_shots = options.get("default_shots")
        if default_shots is None:
            default_shots = DEFAULT_SAMPLER_SHOTS
        items: list[Any]
        if "pubs" in params and isinstance(params["pubs"], list):
            items = list(params["pubs"])
        elif "circuits" in params:
            c = params["circuits"]
            items = [[x, None, default_shots] for x in (c if isinstance(c, list) else [c])]
        else:
            items = []
        for i, pub in enumerate(items):
            seed = self.ctx.result_seed(job.id, i)
            circuit, shots = _pub_parts(program, pub)
            text = circuit if isinstance(circuit, str) else None
            shots = int(shots if shots is not None else default_shots)
            if program == "estimator":
                observables = pub[1] if isinstance(pub, list) and len(pub) > 1 else []
                obs_list = observables if isinstance(observables, list) else [observables]
                if text is None:
                    values = [0.0 for _ in obs_list]
                    stds = [0.0 for _ in obs_list]
                    synthetic = True
                else:
                    values, stds, synthetic = expectation_values(text, obs_list, seed)
                any_synthetic = any_synthetic or synthetic
                scalar = not isinstance(observables, list)
                results.append(
                    {
                        "data": {
                            "evs": values[0] if scalar and values else values,
                            "stds": stds[0] if scalar and stds else stds,
                        },
                        "metadata": {"shots": shots, "synthetic": synthetic},
                    }
                )
                continue
            if text is None:
                results.append({"data": {}, "metadata": {"shots": shots, "synthetic": True}})
                any_synthetic = True
                continue
            sample = sample_circuit(text, shots, seed)
            any_synthetic = any_synthetic or sample.synthetic
            data = {
                name: {"counts": sample.counts[name], "num_bits": size}
                for name, size in sample.registers
            }
            results.append(
                {
                    "data": data,
                    "metadata": {
                        "shots": shots,
                        "circuit_metadata": {},
                        "simulator": sample.method,
                        "synthetic": sample.synthetic,
                    },
                }
            )
        return {
            "results": results,
            "metadata": {
                "version": 2,
                "backend": job.backend,
                "job_id": job.id,
                "synthetic": any_synthetic,
                "execution": {"shots": job.shots, "circuits": job.circuits},
            },
        }

    async def job_logs(self, request: web.Request) -> web.Response:
        """``GET /jobs/{id}/logs``: plain text."""
        p = self.authenticate(request)
        job = self._visible_job(p, request.match_info["job_id"])
        st = self.job_state(job, self.ctx.now())
        lines = [f"{ibm_job_time(job.created)} INFO job {job.id} queued on {job.backend}"]
        if st.started is not None:
            lines.append(f"{ibm_job_time(st.started)} INFO job {job.id} running")
        if st.ended is not None:
            detail = f" ({st.reason})" if st.reason else ""
            lines.append(f"{ibm_job_time(st.ended)} INFO job {job.id} {st.status}{detail}")
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")

    async def job_metrics(self, request: web.Request) -> web.Response:
        """``GET /jobs/{id}/metrics``."""
        p = self.authenticate(request)
        job = self._visible_job(p, request.match_info["job_id"])
        now = self.ctx.now()
        st = self.job_state(job, now)
        usage = 0.0
        if st.started is not None and st.ended is not None:
            usage = st.ended - st.started
        position = None
        if st.state_status == "Queued":
            position = 1 + sum(
                1
                for other in self.jobs.values()
                if other.backend == job.backend
                and other.start < job.start
                and self.job_state(other, now).state_status == "Queued"
            )
        return json_response(
            {
                "timestamps": {
                    "created": rfc3339_ms(job.created),
                    "running": rfc3339_ms(st.started),
                    "finished": rfc3339_ms(st.ended),
                },
                "bss": {"seconds": round(usage, 3)},
                "usage": {"seconds": round(usage, 3), "quantum_seconds": round(usage, 3)},
                "executions": job.circuits,
                "num_circuits": job.circuits,
                "num_qubits": [],
                "qiskit_version": "emulator",
                "estimated_start_time": rfc3339_ms(job.start)
                if st.state_status == "Queued"
                else None,
                "estimated_completion_time": rfc3339_ms(job.start + job.run_seconds)
                if not st.final
                else None,
                "position_in_queue": position,
                "position_in_provider": position,
            }
        )

    async def replace_tags(self, request: web.Request) -> web.Response:
        """``PUT /jobs/{id}/tags``."""
        p = self.authenticate(request)
        job = self._visible_job(p, request.match_info["job_id"])
        body, problem = await read_json_object(request)
        if body is None:
            raise self._invalid(problem or "invalid body")
        tags = body.get("tags")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise self._invalid("tags must be a list of strings")
        job.tags = list(tags)
        self.ctx.epoch += 1
        return no_content()

    # --- backends -----------------------------------------------------------------------------

    def _backend_json(self, b: IbmBackend, now: float) -> dict[str, Any]:
        queued = 0
        for j in self.jobs.values():
            if j.backend == b.name and j.start > now and j.cancelled_at is None:
                queued += 1
        return {
            "name": b.name,
            "status": {"name": b.status, "reason": "available" if b.status == "online" else ""},
            "qubits": b.num_qubits,
            "processor_type": {"family": b.processor_type.split(" ")[0], "revision": 1},
            "clops": {"type": "hardware", "value": b.clops},
            "queue_length": queued,
            "simulator": b.simulator,
        }

    async def list_backends(self, request: web.Request) -> web.Response:
        """``GET /backends``: ``{"devices": [...]}``."""
        p = self.authenticate(request)
        provider = request.query.get("provider")
        if provider and not self._can_see(p, provider):
            raise self.error(403, CODE_FORBIDDEN, f"Forbidden: no access to {provider}")
        now = self.ctx.now()
        return json_response(
            {"devices": [self._backend_json(b, now) for b in self.backends.values()]}
        )

    async def backend_status(self, request: web.Request) -> web.Response:
        """``GET /backends/{name}/status``."""
        self.authenticate(request)
        name = request.match_info["name"]
        b = self.backends.get(name)
        if b is None:
            raise self.error(404, CODE_BACKEND_NOT_FOUND, f"Backend not found: {name}")
        info = self._backend_json(b, self.ctx.now())
        return json_response(
            {
                "backend_name": b.name,
                "backend_version": "1.0.0",
                "operational": b.status == "online",
                "pending_jobs": info["queue_length"],
                "status_msg": "active" if b.status == "online" else b.status,
            }
        )

    # --- sessions -----------------------------------------------------------------------------

    async def create_session(self, request: web.Request) -> web.Response:
        """``POST /sessions``."""
        p = self.authenticate(request)
        body, problem = await read_json_object(request)
        if body is None:
            raise self._invalid(problem or "invalid body")
        cfg = self.ctx.config
        backend_name = body.get("backend")
        if not isinstance(backend_name, str) or not backend_name:
            raise self._invalid("backend is required")
        if backend_name not in self.backends:
            raise self.error(404, CODE_BACKEND_NOT_FOUND, f"Backend not found: {backend_name}")
        instance = body.get("instance")
        if instance is None and p.scope is not None:
            instance = p.scope
        if not isinstance(instance, str) or not instance:
            raise self._invalid("instance is required (hub/group/project)")
        if instance not in self.instances:
            raise self.error(404, CODE_NOT_FOUND, f"Instance not found: {instance}")
        if p.scope is not None and instance != p.scope:
            raise self.error(403, CODE_FORBIDDEN, f"Forbidden: no access to {instance}")
        if p.scope is None and instance not in p.user.instances:
            raise self.error(403, CODE_FORBIDDEN, f"Forbidden: no access to {instance}")
        ttl_raw = body.get("max_session_ttl", body.get("max_ttl"))
        max_ttl = cfg.ibm_session_default_max_ttl
        if ttl_raw is not None:
            if isinstance(ttl_raw, bool) or not isinstance(ttl_raw, (int, float)) or ttl_raw <= 0:
                raise self._invalid("max_session_ttl must be a positive number of seconds")
            if ttl_raw > cfg.ibm_session_max_ttl_limit:
                raise self._invalid(
                    f"max_session_ttl cannot exceed {cfg.ibm_session_max_ttl_limit:g} seconds"
                )
            max_ttl = float(ttl_raw)
        mode = body.get("mode", "dedicated")
        if mode not in ("batch", "dedicated"):
            raise self._invalid("mode must be batch or dedicated")
        session_id = self.ctx.ids.xid()
        while session_id in self.sessions or session_id in self.jobs:
            session_id = self.ctx.ids.xid()
        self._seq += 1
        self.sessions[session_id] = IbmSession(
            id=session_id,
            seq=self._seq,
            user_id=p.user.user_id,
            instance=instance,
            backend=backend_name,
            mode=mode,
            created=self.ctx.stamp(),
            max_ttl=max_ttl,
            interactive_ttl=cfg.ibm_session_interactive_ttl,
        )
        out: dict[str, Any] = {"id": session_id}
        if mode == "dedicated" and self.instances[instance].plan == "open":
            out["messages"] = [{"level": "warn", "data": OPEN_PLAN_DEDICATED_WARNING}]
        return json_response(out)

    async def get_session(self, request: web.Request) -> web.Response:
        """``GET /sessions/{id}``."""
        p = self.authenticate(request)
        s = self._visible_session(p, request.match_info["session_id"])
        return json_response(self.session_json(s, self.ctx.now(), extended=False))

    async def get_session_extended(self, request: web.Request) -> web.Response:
        """``GET /sessions/{id}/extended``."""
        p = self.authenticate(request)
        s = self._visible_session(p, request.match_info["session_id"])
        return json_response(self.session_json(s, self.ctx.now(), extended=True))

    async def update_session(self, request: web.Request) -> web.Response:
        """``PATCH /sessions/{id}`` with ``{"accepting_jobs": bool}``."""
        p = self.authenticate(request)
        s = self._visible_session(p, request.match_info["session_id"])
        body, problem = await read_json_object(request)
        if body is None:
            raise self._invalid(problem or "invalid body")
        accepting = body.get("accepting_jobs")
        if not isinstance(accepting, bool):
            raise self._invalid("accepting_jobs (boolean) is required")
        now = self.ctx.now()
        st = self.session_state(s, now)
        if st.state in ("closed", "canceled"):
            if accepting:
                raise self.error(
                    400,
                    CODE_SESSION_CLOSED,
                    f"Session has been closed. Session {s.id} is {st.state}",
                )
            return no_content()
        if accepting:
            s.accepting_jobs = True
            s.not_accepting_since = None
        elif s.accepting_jobs:
            s.accepting_jobs = False
            s.not_accepting_since = now
        self.ctx.epoch += 1
        return no_content()

    async def close_session(self, request: web.Request) -> web.Response:
        """``DELETE /sessions/{id}/close``: cancel the session and its queued jobs."""
        p = self.authenticate(request)
        s = self._visible_session(p, request.match_info["session_id"])
        now = self.ctx.now()
        st = self.session_state(s, now)
        if st.state in ("closed", "canceled"):
            return no_content()
        for j in s.jobs:
            if self.job_state(j, now).state_status == "Queued":
                j.cancelled_at = now
                j.cancel_reason = "Session cancelled"
        s.cancelled_at = now
        s.accepting_jobs = False
        self.ctx.epoch += 1
        if s.not_accepting_since is None:
            s.not_accepting_since = now
        return no_content()

    async def session_jobs(self, request: web.Request) -> web.Response:
        """``GET /sessions/{id}/jobs`` with offset paging."""
        p = self.authenticate(request)
        s = self._visible_session(p, request.match_info["session_id"])
        q = request.query
        cfg = self.ctx.config
        limit = self._int_param(q, "limit", cfg.ibm_jobs_default_limit, 1, cfg.ibm_jobs_max_limit)
        offset = self._int_param(q, "offset", 0, 0, None)
        sort = q.get("sort", "DESC").upper()
        if sort not in ("ASC", "DESC"):
            raise self._invalid("sort must be ASC or DESC")
        now = self.ctx.now()
        jobs = [j for j in s.jobs if j.id in self.jobs]
        jobs.sort(key=lambda j: (j.created, j.seq), reverse=sort == "DESC")
        return json_response(
            {
                "jobs": [self.job_json(j, now) for j in jobs[offset : offset + limit]],
                "count": len(jobs),
                "limit": limit,
                "offset": offset,
            }
        )

    # --- workloads ----------------------------------------------------------------------------

    async def workloads_me(self, request: web.Request) -> web.Response:
        """``GET /workloads/me``: the caller's jobs and sessions, cursor-paged."""
        p = self.authenticate(request)
        q = request.query
        instance = q.get("instance")
        if instance:
            if instance.count("/") != 2:
                raise self._invalid("instance must be hub/group/project")
            if not self._can_see(p, instance) or instance not in p.user.instances:
                raise self.error(403, CODE_FORBIDDEN, f"Forbidden: not a member of {instance}")

        def keep(inst: str, user_id: str) -> bool:
            if user_id != p.user.user_id:
                return False
            if instance and inst != instance:
                return False
            return p.scope is None or inst == p.scope

        return self._workloads(request, keep, allow_user_filter=False)

    async def workloads_admin(self, request: web.Request) -> web.Response:
        """``GET /workloads/admin``: a hub's workloads, for that hub's administrators."""
        p = self.authenticate(request)
        q = request.query
        instance = q.get("instance")
        if not instance:
            raise self._invalid("instance is required (hub, hub/group or hub/group/project)")
        parts = instance.split("/")
        if len(parts) > 3 or not all(parts):
            raise self._invalid("instance must be hub, hub/group or hub/group/project")
        if parts[0] not in p.user.admin_hubs:
            raise self.error(
                403, CODE_FORBIDDEN, f"Forbidden: only administrators of hub {parts[0]} may list"
            )
        prefix = instance + "/"

        def keep(inst: str, user_id: str) -> bool:
            return inst == instance or inst.startswith(prefix)

        return self._workloads(request, keep, allow_user_filter=True)

    def _workload_page(
        self,
        candidates: Iterable[tuple[tuple[float, int], Callable[[], dict[str, Any]]]],
        after: float | None,
        before: float | None,
        order: str,
        limit: int,
        cursor: dict[str, Any] | None,
    ) -> web.Response:
        """One page of workloads when no filter needs a rendered workload."""
        rows = [
            (key, make)
            for key, make in candidates
            if (after is None or key[0] >= after - 1e-6)
            and (before is None or key[0] <= before + 1e-6)
        ]
        rows.sort(key=lambda r: r[0], reverse=order == "desc")
        keys = [r[0] for r in rows]
        begin, end = self._page_bounds(keys, order, limit, cursor)
        page = [(key, make()) for key, make in rows[begin:end]]
        return self._workloads_response(page, len(rows), limit, order, begin, end)

    def _workloads(
        self,
        request: web.Request,
        keep: Callable[[str, str], bool],
        *,
        allow_user_filter: bool,
    ) -> web.Response:
        q = request.query
        cfg = self.ctx.config
        sort = q.get("sort", "createdAt")
        if sort != "createdAt":
            raise self._invalid("sort must be createdAt")
        order = q.get("order", "desc")
        if order not in ("asc", "desc"):
            raise self._invalid("order must be asc or desc")
        limit = self._int_param(
            q, "limit", cfg.ibm_workloads_default_limit, 1, cfg.ibm_workloads_max_limit
        )
        statuses = multi_values(q, "status", "status[]", split=True)
        for s in statuses:
            if s not in WORKLOAD_STATUSES:
                raise self._invalid(f"status must be among {sorted(WORKLOAD_STATUSES)}")
        mode = q.get("mode")
        if mode is not None and mode not in WORKLOAD_MODES:
            raise self._invalid("mode must be job, session or batch")
        after = self._time_param(q, "createdAfter")
        before = self._time_param(q, "createdBefore")
        backend = q.get("backend")
        search = (q.get("search") or "").lower()
        tags = multi_values(q, "tags", "tags[]")
        user_filter = q.get("userId") if allow_user_filter else None
        nxt, prev = q.get("next"), q.get("previous")
        if nxt and prev:
            raise self._invalid("give either next or previous, not both")
        cursor: dict[str, Any] | None = None
        if nxt or prev:
            try:
                cursor = self.ctx.cursors.decode(nxt or prev or "")
            except ValueError:
                raise self._invalid("the paging cursor is not valid") from None
            if cursor.get("d") != ("n" if nxt else "p") or cursor.get("o") != order:
                raise self._invalid("the paging cursor does not match this request")
        now = self.ctx.now()
        rows: list[tuple[tuple[float, int], dict[str, Any]]] = []
        candidates: Iterable[tuple[tuple[float, int], Callable[[], dict[str, Any]]]] = [
            *(
                ((j.created, j.seq), _bind(self._job_workload, j, now))
                for j in self.jobs.values()
                if j.session_id is None
                and keep(j.instance, j.user_id)
                and (user_filter is None or j.user_id == user_filter)
            ),
            *(
                ((s.created, s.seq), _bind(self._session_workload, s, now))
                for s in self.sessions.values()
                if keep(s.instance, s.user_id) and (user_filter is None or s.user_id == user_filter)
            ),
        ]
        renders_to_filter = bool(backend or mode or statuses or tags or search)
        if not renders_to_filter:
            # Only the keys decide the page: render just the workloads on it.
            return self._workload_page(candidates, after, before, order, limit, cursor)
        for key, make in candidates:
            if after is not None and key[0] < after - 1e-6:
                continue
            if before is not None and key[0] > before + 1e-6:
                continue
            w = make()
            if backend and w["backend"] != backend:
                continue
            if mode and w["mode"] != mode:
                continue
            if statuses and w["status"] not in statuses:
                continue
            if tags and not all(t in w["tags"] for t in tags):
                continue
            if (
                search
                and search not in w["id"].lower()
                and not any(search in t.lower() for t in w["tags"])
            ):
                continue
            rows.append((key, w))
        rows.sort(key=lambda r: r[0], reverse=order == "desc")
        keys = [r[0] for r in rows]
        begin, end = self._page_bounds(keys, order, limit, cursor)
        return self._workloads_response(rows[begin:end], len(rows), limit, order, begin, end)

    @staticmethod
    def _page_bounds(
        keys: list[tuple[float, int]], order: str, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[int, int]:
        if cursor is None:
            return 0, min(limit, len(keys))
        ck = (float(cursor["t"]), int(cursor["s"]))
        if cursor["d"] == "n":
            begin = _first_after(keys, ck, order)
            return begin, min(begin + limit, len(keys))
        end = _first_after(keys, ck, order, inclusive=True)
        return max(0, end - limit), end

    def _workloads_response(
        self,
        page: list[tuple[tuple[float, int], dict[str, Any]]],
        total: int,
        limit: int,
        order: str,
        begin: int,
        end: int,
    ) -> web.Response:
        out: dict[str, Any] = {
            "workloads": [w for _, w in page],
            "count": total,
            "limit": limit,
        }
        if page and begin > 0:
            first = page[0][0]
            out["previous"] = self.ctx.cursors.encode(
                {"d": "p", "o": order, "t": first[0], "s": first[1]}
            )
        if page and end < total:
            last = page[-1][0]
            out["next"] = self.ctx.cursors.encode(
                {"d": "n", "o": order, "t": last[0], "s": last[1]}
            )
        return json_response(out)

    # --- snapshots for tests ------------------------------------------------------------------

    def job_snapshots(self) -> list[IbmJobSnapshot]:
        """Every stored job with its current status, oldest first."""
        now = self.ctx.now()
        out = []
        for j in sorted(self.jobs.values(), key=lambda j: j.seq):
            st = self.job_state(j, now)
            out.append(
                IbmJobSnapshot(
                    id=j.id,
                    user_id=j.user_id,
                    instance=j.instance,
                    backend=j.backend,
                    program_id=j.program_id,
                    session_id=j.session_id,
                    tags=tuple(j.tags),
                    params=msgspec.json.decode(encode(j.params)),
                    status=st.status,
                    created=j.created,
                    started=st.started,
                    ended=st.ended,
                    private=j.private,
                )
            )
        return out

    def session_snapshots(self) -> list[IbmSessionSnapshot]:
        """Every stored session with its current state, oldest first."""
        now = self.ctx.now()
        return [
            IbmSessionSnapshot(
                id=s.id,
                user_id=s.user_id,
                instance=s.instance,
                backend=s.backend,
                mode=s.mode,
                state=self.session_state(s, now).state,
                accepting_jobs=s.accepting_jobs,
                job_ids=tuple(j.id for j in s.jobs if j.id in self.jobs),
                created=s.created,
            )
            for s in sorted(self.sessions.values(), key=lambda s: s.seq)
        ]


def _bind(
    fn: Callable[[Any, float], dict[str, Any]], obj: Any, now: float
) -> Callable[[], dict[str, Any]]:
    return lambda: fn(obj, now)


def _first_after(
    keys: list[tuple[float, int]], key: tuple[float, int], order: str, *, inclusive: bool = False
) -> int:
    """Index of the first row strictly after ``key`` in ``order`` (or at it, when inclusive)."""
    for i, k in enumerate(keys):
        if order == "asc":
            if k > key or (inclusive and k == key):
                return i
        elif k < key or (inclusive and k == key):
            return i
    return len(keys)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _pub_parts(program: str, pub: Any) -> tuple[Any, Any]:
    """(circuit, shots) of a pub: a circuit, or ``[circuit, params?, shots?]`` for the sampler,
    or ``[circuit, observables, params?, precision?]`` for the estimator."""
    if isinstance(pub, str):
        return pub, None
    if isinstance(pub, dict):
        return pub.get("circuit"), pub.get("shots")
    if isinstance(pub, list) and pub:
        if program == "estimator":
            return pub[0], None
        shots = pub[2] if len(pub) > 2 else None
        return pub[0], shots
    return None, None
