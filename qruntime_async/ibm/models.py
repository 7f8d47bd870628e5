"""Typed models of the IBM Quantum Runtime REST API (responses and request bodies).

Status, state and mode fields are plain ``str`` so that a value the server adds later still decodes
and stays visible; compare them with the ``(str, Enum)`` classes below (members equal the wire
strings) or use the ``is_final``-style properties. Timestamps read as aware UTC datetimes whichever
of IBM's two spellings the server used (converted when first read).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

import msgspec

from .. import _constants as C
from .._codec import Model
from .._paging_schemes import PagingScheme
from ..display import Card, Displayable, Table, View, elapsed, user_tags

__all__ = [
    "JobStatus",
    "SessionState",
    "SessionMode",
    "WorkloadStatus",
    "WorkloadMode",
    "SortOrder",
    "FINAL_JOB_STATUSES",
    "FINAL_SESSION_STATES",
    "FINAL_WORKLOAD_STATUSES",
    "RAN_TOO_LONG_REASON_CODE",
    "Workload",
    "WorkloadsPage",
    "Session",
    "SessionTimestamp",
    "SessionDetails",
    "SessionMessage",
    "CreateSessionResponse",
    "JobState",
    "JobProgram",
    "JobUsage",
    "Job",
    "JobsPage",
    "CreateJobResponse",
    "JobMetricsTimestamps",
    "JobMetricsUsage",
    "JobMetricsBss",
    "JobMetrics",
    "BackendDeviceStatus",
    "BackendDevice",
    "BackendsResponse",
    "CreateSessionRequest",
    "UpdateSessionRequest",
    "CreateJobRequest",
    "JobTagsRequest",
]


class _WireEnum(str, Enum):
    # Hash and print like the wire string, so members and raw strings mix in sets and dicts.
    __hash__ = str.__hash__

    def __str__(self) -> str:
        return str.__str__(self)


class JobStatus(_WireEnum):
    """Values of ``Job.status`` and ``Job.state.status``."""

    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"
    FAILED = "Failed"
    #: Only in the top-level ``status``: the job was stopped for exceeding its time limit.
    CANCELLED_RAN_TOO_LONG = "Cancelled - Ran too long"


class SessionState(_WireEnum):
    """Values of ``Session.state``."""

    OPEN = "open"
    ACTIVE = "active"
    INACTIVE = "inactive"
    CLOSED = "closed"
    CANCELED = "canceled"


class SessionMode(_WireEnum):
    """Execution mode of a session."""

    BATCH = "batch"
    DEDICATED = "dedicated"


class WorkloadStatus(_WireEnum):
    """Values of ``Workload.status``, ``SessionDetails.status`` and ``SessionTimestamp.status``."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELED = "canceled"
    FAILED = "failed"
    UNKNOWN = "unknown"


class WorkloadMode(_WireEnum):
    """Values of ``Workload.mode``."""

    JOB = "job"
    SESSION = "session"
    BATCH = "batch"


class SortOrder(_WireEnum):
    """Sort direction of the workload listings (``order`` query parameter)."""

    ASC = "asc"
    DESC = "desc"


FINAL_JOB_STATUSES: frozenset[str] = frozenset(
    {
        JobStatus.COMPLETED,
        JobStatus.CANCELLED,
        JobStatus.CANCELLED_RAN_TOO_LONG,
        JobStatus.FAILED,
    }
)
FINAL_SESSION_STATES: frozenset[str] = frozenset({SessionState.CLOSED, SessionState.CANCELED})
FINAL_WORKLOAD_STATUSES: frozenset[str] = frozenset(
    {WorkloadStatus.COMPLETED, WorkloadStatus.CANCELED, WorkloadStatus.FAILED}
)

#: ``Job.state.reason_code`` of a job cancelled because it ran past its time limit.
RAN_TOO_LONG_REASON_CODE = 1305

_RAN_TOO_LONG_REASON = "ran too long"


def _seconds(value: float | None) -> str | None:
    return None if value is None else f"{value:g} s"


def _is_cancelled_status(status: str | None) -> bool:
    # The top-level status carries the reason after the word: "Cancelled - Ran too long".
    return status is not None and status.startswith(JobStatus.CANCELLED.value)


# --------------------------------------------------------------------------------------------
# Workloads


class Workload(Model, Displayable, frozen=True):
    """One job or session of ``GET /workloads/me`` or ``GET /workloads/admin``."""

    id: str
    created: datetime | None = None
    ended: datetime | None = None
    backend: str | None = None
    instance: str | None = None
    user_id: str | None = None
    #: Sessions only (``None`` for jobs); documented as a number, sent as ``true``/``false``.
    accepting_jobs: bool | None = None
    #: See :class:`WorkloadMode`.
    mode: str | None = None
    #: See :class:`WorkloadStatus`.
    status: str | None = None
    status_reason: str | None = None
    tags: list[str] | None = None
    usage_seconds: float | None = None
    estimated_running_time_seconds: float | None = None
    estimated_start_time_seconds: float | None = None

    @property
    def is_final(self) -> bool:
        """True once the workload is completed, canceled or failed."""
        return self.status in FINAL_WORKLOAD_STATUSES

    @property
    def is_job(self) -> bool:
        """True for a job run outside any session."""
        return self.mode == WorkloadMode.JOB

    @property
    def is_session(self) -> bool:
        """True for a session (dedicated or batch)."""
        return self.mode in (WorkloadMode.SESSION, WorkloadMode.BATCH)

    def _view(self) -> View:
        return Card(
            "IBM workload",
            self.id,
            self.status,
            rows=[
                ("mode", self.mode),
                ("backend", self.backend),
                ("created", self.created),
                ("ended", self.ended),
            ],
            extra=[
                ("usage", _seconds(self.usage_seconds)),
                ("reason", self.status_reason),
                ("instance", self.instance),
                ("tags", user_tags(self.tags)),
            ],
        )


class WorkloadsPage(Model, Displayable, frozen=True):
    """A page of workloads; ``next`` is the cursor of the following page (absent on the last)."""

    paging: ClassVar[PagingScheme] = "cursor"
    max_page_size: ClassVar[int] = C.IBM_WORKLOADS_MAX_PAGE_SIZE

    workloads: list[Workload] = msgspec.field(default_factory=list)
    count: int | None = None
    limit: int | None = None
    previous: str | None = None
    next: str | None = None

    def page_items(self) -> list[Workload]:
        """The workloads of this page."""
        return self.workloads

    def page_total(self) -> int | None:
        """How many workloads match the listing."""
        return self.count

    def next_cursor(self) -> str | None:
        """The cursor of the following page (None on the last)."""
        return self.next

    @property
    def has_next(self) -> bool:
        """True when another page follows this one."""
        return bool(self.next)

    def _view(self) -> View:
        return Table.of("IBM workloads", self.workloads, total=self.count, more=self.has_next)


# --------------------------------------------------------------------------------------------
# Sessions


class _SessionFields(Model, Displayable, frozen=True):
    id: str
    backend_name: str | None = None
    #: When the first job of the session started.
    started_at: datetime | None = None
    created_at: datetime | None = None
    activated_at: datetime | None = None
    closed_at: datetime | None = None
    last_job_started: datetime | None = None
    last_job_completed: datetime | None = None
    #: Seconds the session stays active waiting for the next job.
    interactive_ttl: int | None = None
    #: Maximum lifetime of the session, in seconds.
    max_ttl: int | None = None
    active_ttl: int | None = None
    #: False once the session refuses new jobs (it closes when its queued jobs are done).
    accepting_jobs: bool | None = None
    #: See :class:`SessionMode`.
    mode: str | None = None
    #: Seconds of usage so far.
    elapsed_time: float | None = None

    def _session_card(self, status: str | None) -> Card:
        return Card(
            "IBM session",
            self.id,
            status,
            rows=[
                ("mode", self.mode),
                ("backend", self.backend_name),
                ("created", self.created_at),
                ("closed", self.closed_at),
            ],
            extra=[
                ("started", self.started_at),
                ("accepting jobs", self.accepting_jobs),
                ("usage", _seconds(self.elapsed_time)),
                ("max ttl", _seconds(self.max_ttl)),
                ("interactive ttl", _seconds(self.interactive_ttl)),
            ],
        )


class Session(_SessionFields, frozen=True):
    """A session as answered by ``GET /sessions/{id}``."""

    #: See :class:`SessionState`.
    state: str | None = None

    @property
    def is_final(self) -> bool:
        """True once the session is closed or canceled."""
        return self.state in FINAL_SESSION_STATES

    @property
    def is_active(self) -> bool:
        """True while jobs of the session are being run."""
        return self.state == SessionState.ACTIVE

    def _view(self) -> View:
        return self._session_card(self.state)


class SessionTimestamp(Model, frozen=True):
    """One status change in ``SessionDetails.timestamps``."""

    #: See :class:`WorkloadStatus`.
    status: str | None = None
    date: datetime | None = None


class SessionDetails(_SessionFields, frozen=True):
    """A session as answered by ``GET /sessions/{id}/extended``."""

    user_id: str | None = None
    instance: str | None = None
    #: See :class:`WorkloadStatus`.
    status: str | None = None
    status_reason: str | None = None
    session_remaining_time_seconds: float | None = None
    timestamps: list[SessionTimestamp] | None = None

    @property
    def is_final(self) -> bool:
        """True once the session is completed, canceled or failed."""
        return self.status in FINAL_WORKLOAD_STATUSES

    def _view(self) -> View:
        return self._session_card(self.status)


class SessionMessage(Model, frozen=True):
    """A notice returned with a creation, e.g. ``{"level": "warn", "data": "..."}``."""

    level: str | None = None
    data: str | None = None

    def __str__(self) -> str:
        text = self.data or ""
        return f"{self.level}: {text}" if self.level else text


def _as_messages(raw: list[SessionMessage | str] | None) -> list[SessionMessage]:
    if not raw:
        return []
    return [m if isinstance(m, SessionMessage) else SessionMessage(data=m) for m in raw]


class CreateSessionResponse(Model, frozen=True):
    """Answer of ``POST /sessions``."""

    id: str
    #: Warnings, sent as ``{"level", "data"}`` objects or as plain strings.
    messages: list[SessionMessage | str] | None = None

    @property
    def notices(self) -> list[SessionMessage]:
        """``messages`` with plain strings turned into :class:`SessionMessage` (no level)."""
        return _as_messages(self.messages)


# --------------------------------------------------------------------------------------------
# Jobs


class JobState(Model, frozen=True):
    """``Job.state``: the status with its reason."""

    #: See :class:`JobStatus`.
    status: str | None = None
    reason: str | None = None
    reason_code: int | None = None


class JobProgram(Model, frozen=True):
    """``Job.program``: which primitive or program the job runs."""

    id: str | None = None


class JobUsage(Model, frozen=True):
    """``Job.usage``: time billed for the job."""

    seconds: float | None = None
    quantum_seconds: float | None = None


class Job(Model, Displayable, frozen=True):
    """A runtime job: ``GET /jobs/{id}``, items of ``GET /jobs`` and ``GET /sessions/{id}/jobs``."""

    id: str
    hub: str | None = None
    group: str | None = None
    project: str | None = None
    backend: str | None = None
    state: JobState | None = None
    #: See :class:`JobStatus`; may carry a reason, e.g. ``"Cancelled - Ran too long"``.
    status: str | None = None
    params: dict[str, Any] | None = None
    program: JobProgram | None = None
    created: datetime | None = None
    ended: datetime | None = None
    runtime: str | None = None
    #: Maximum execution time allowed, in seconds.
    cost: int | None = None
    tags: list[str] | None = None
    session_id: str | None = None
    usage: JobUsage | None = None
    estimated_running_time_seconds: float | None = None
    estimated_max_running_time_seconds: float | None = None
    private: bool | None = None
    user_id: str | None = None

    @property
    def current_status(self) -> str | None:
        """``state.status`` when sent, else the top-level ``status``."""
        state = self.state
        if state is not None and state.status is not None:
            return state.status
        return self.status

    @property
    def is_final(self) -> bool:
        """True once the job is completed, failed or cancelled (including "ran too long")."""
        state = self.state
        if state is not None and state.status in FINAL_JOB_STATUSES:
            return True
        return self.status in FINAL_JOB_STATUSES or _is_cancelled_status(self.status)

    @property
    def ran_too_long(self) -> bool:
        """True when the job was cancelled because it exceeded its time limit."""
        if self.status == JobStatus.CANCELLED_RAN_TOO_LONG:
            return True
        state = self.state
        if state is None:
            return False
        if state.reason_code == RAN_TOO_LONG_REASON_CODE:
            return True
        return (
            state.status == JobStatus.CANCELLED
            and (state.reason or "").strip().lower() == _RAN_TOO_LONG_REASON
        )

    @property
    def is_completed(self) -> bool:
        """True when the job finished successfully."""
        return self.current_status == JobStatus.COMPLETED

    @property
    def is_failed(self) -> bool:
        """True when the job failed."""
        return self.current_status == JobStatus.FAILED

    @property
    def is_cancelled(self) -> bool:
        """True when the job was cancelled, by a user or for running too long."""
        return _is_cancelled_status(self.current_status) or _is_cancelled_status(self.status)

    @property
    def instance(self) -> str | None:
        """``hub/group/project`` when the job carries all three."""
        if self.hub and self.group and self.project:
            return f"{self.hub}/{self.group}/{self.project}"
        return None

    @property
    def program_id(self) -> str | None:
        """The id of the program (``sampler``, ``estimator``...)."""
        return self.program.id if self.program is not None else None

    def _view(self) -> View:
        state = self.state
        status = JobStatus.CANCELLED_RAN_TOO_LONG.value if self.ran_too_long else None
        usage = self.usage.seconds if self.usage is not None else None
        return Card(
            "IBM job",
            self.id,
            status or self.current_status,
            rows=[
                ("program", self.program_id),
                ("backend", self.backend),
                ("created", self.created),
                ("ended", self.ended),
                ("session", self.session_id),
            ],
            extra=[
                ("created to ended", elapsed(self.created, self.ended)),
                ("usage", _seconds(usage)),
                ("reason", state.reason if state is not None else None),
                ("instance", self.instance),
                ("tags", user_tags(self.tags)),
            ],
        )


class JobsPage(Model, Displayable, frozen=True):
    """A page of jobs (``GET /jobs`` and ``GET /sessions/{id}/jobs``, offset paging)."""

    paging: ClassVar[PagingScheme] = "offset"
    max_page_size: ClassVar[int] = C.IBM_JOBS_MAX_PAGE_SIZE

    jobs: list[Job] = msgspec.field(default_factory=list)
    count: int | None = None
    limit: int | None = None
    offset: int | None = None

    def page_items(self) -> list[Job]:
        """The jobs of this page."""
        return self.jobs

    def page_total(self) -> int | None:
        """How many jobs match the listing."""
        return self.count

    def served_limit(self) -> int | None:
        """The page size the server says it applied."""
        return self.limit

    def _view(self) -> View:
        offset = self.offset or 0
        more = self.count is not None and offset + len(self.jobs) < self.count
        return Table.of("IBM jobs", self.jobs, total=self.count, more=more)


class CreateJobResponse(Model, Displayable, frozen=True):
    """Answer of ``POST /jobs``."""

    id: str
    backend: str | None = None
    session_id: str | None = None
    private: bool | None = None
    messages: list[SessionMessage | str] | None = None

    @property
    def notices(self) -> list[SessionMessage]:
        """``messages`` with plain strings turned into :class:`SessionMessage` (no level)."""
        return _as_messages(self.messages)

    def _view(self) -> View:
        return Card(
            "IBM job submitted",
            self.id,
            rows=[("backend", self.backend), ("session", self.session_id)],
            extra=[("notice", str(notice)) for notice in self.notices],
        )


class JobMetricsTimestamps(Model, frozen=True):
    """When the job was created, started running and finished."""

    created: datetime | None = None
    running: datetime | None = None
    finished: datetime | None = None


class JobMetricsUsage(Model, frozen=True):
    """Time billed for the job."""

    seconds: float | None = None
    quantum_seconds: float | None = None


class JobMetricsBss(Model, frozen=True):
    """Time spent on the backend."""

    seconds: float | None = None


class JobMetrics(Model, frozen=True):
    """Answer of ``GET /jobs/{id}/metrics``."""

    timestamps: JobMetricsTimestamps | None = None
    usage: JobMetricsUsage | None = None
    bss: JobMetricsBss | None = None
    executions: int | None = None
    num_circuits: int | None = None
    num_qubits: list[int] | None = None
    circuit_depths: list[int] | None = None
    qiskit_version: str | None = None
    estimated_start_time: datetime | None = None
    estimated_completion_time: datetime | None = None
    position_in_queue: int | None = None
    position_in_provider: int | None = None


# --------------------------------------------------------------------------------------------
# Backends


class BackendDeviceStatus(Model, frozen=True):
    """Status of a backend when the listing sends it as an object."""

    name: str | None = None
    reason: str | None = None


class BackendDevice(Model, frozen=True):
    """A backend sent as an object in ``GET /backends``."""

    name: str | None = None
    status: BackendDeviceStatus | str | None = None
    qubits: int | None = None
    queue_length: int | None = None


class BackendsResponse(Model, frozen=True):
    """Answer of ``GET /backends``: devices as plain names or as objects."""

    devices: list[str | BackendDevice] = msgspec.field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """The name of every device, whichever shape it came in."""
        names: list[str] = []
        for device in self.devices:
            if isinstance(device, str):
                names.append(device)
            elif device.name is not None:
                names.append(device.name)
        return names


# --------------------------------------------------------------------------------------------
# Request bodies


class CreateSessionRequest(Model, frozen=True, omit_defaults=True):
    """Body of ``POST /sessions``."""

    backend: str
    #: ``hub/group/project`` (legacy base; the newer base takes the instance from a header).
    instance: str | None = None
    #: Maximum lifetime in seconds (legacy base spelling).
    max_session_ttl: int | None = None
    #: Maximum lifetime in seconds (newer base spelling).
    max_ttl: int | None = None
    #: See :class:`SessionMode`.
    mode: str | None = None


class UpdateSessionRequest(Model, frozen=True, omit_defaults=True):
    """Body of ``PATCH /sessions/{id}``."""

    accepting_jobs: bool


class CreateJobRequest(Model, frozen=True, omit_defaults=True):
    """Body of ``POST /jobs``."""

    program_id: str
    backend: str | None = None
    params: dict[str, Any] | None = None
    session_id: str | None = None
    tags: list[str] | None = None
    log_level: str | None = None
    #: Maximum execution time in seconds.
    cost: int | None = None
    private: bool | None = None
    hub: str | None = None
    group: str | None = None
    project: str | None = None


class JobTagsRequest(Model, frozen=True, omit_defaults=True):
    """Body of ``PUT /jobs/{id}/tags`` (an empty list removes every tag)."""

    tags: list[str]
