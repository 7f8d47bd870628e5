"""Reading IBM request bodies and query strings into checked values (400 otherwise)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._cursor import CursorCodec
from .._util import multi_values, parse_bool, parse_timestamp
from ..config import EmulatorConfig
from .errors import IbmErrors
from .results import DEFAULT_ESTIMATOR_SHOTS, DEFAULT_SAMPLER_SHOTS, default_shots, pub_parts

PROGRAMS = frozenset({"sampler", "estimator", "circuit-runner", "qasm3-runner", "noise-learner"})
LOG_LEVELS = frozenset({"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"})
WORKLOAD_STATUSES = frozenset({"pending", "in_progress", "completed", "canceled", "failed"})
WORKLOAD_MODES = frozenset({"job", "session", "batch"})


@dataclass(slots=True)
class JobRequest:
    """The checked fields of ``POST /jobs`` (the backend and instance are resolved later)."""

    program: str
    params: dict[str, Any]
    tags: list[str]
    log_level: str | None
    private: bool
    cost: float | None
    session_id: str | None


@dataclass(slots=True)
class Measure:
    """What the params ask of the backend."""

    shots: int
    circuits: int
    #: The circuit texts, "" where a pub's circuit is not text.
    texts: list[str]
    #: Why the job will fail although it is accepted (None: it can run).
    failure: str | None = None


@dataclass(slots=True)
class JobsQuery:
    """The filters of ``GET /jobs``."""

    limit: int
    offset: int
    backend: str | None
    pending: bool | None
    program: str | None
    tags: list[str]
    session_id: str | None
    after: float | None
    before: float | None
    provider: str | None
    descending: bool
    exclude_params: bool


@dataclass(slots=True)
class WorkloadsQuery:
    """The filters and the page of ``GET /workloads/...``."""

    order: str
    limit: int
    statuses: list[str]
    mode: str | None
    after: float | None
    before: float | None
    backend: str | None
    search: str
    tags: list[str]
    user_id: str | None
    cursor: dict[str, Any] | None

    @property
    def renders_to_filter(self) -> bool:
        """True when a filter needs each workload rendered."""
        return bool(self.backend or self.mode or self.statuses or self.tags or self.search)


def is_count(value: object) -> bool:
    """True for a positive integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def is_string_list(value: object) -> bool:
    """True for a list of strings."""
    return isinstance(value, list) and all(isinstance(t, str) for t in value)


class IbmParser:
    """Parses requests, raising IBM-style 400 errors."""

    def __init__(self, config: EmulatorConfig, errors: IbmErrors, cursors: CursorCodec) -> None:
        self.config = config
        self.errors = errors
        self.cursors = cursors

    def job(self, body: dict[str, Any]) -> JobRequest:
        """``POST /jobs``, in the order the fields are checked."""
        invalid = self.errors.invalid
        program = body.get("program_id")
        if not isinstance(program, str) or not program:
            raise invalid("program_id is required")
        if program not in PROGRAMS:
            raise self.errors.not_found(f"Program not found: {program}")
        params = body.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise invalid("params must be an object")
        tags = body.get("tags") or []
        if not is_string_list(tags):
            raise invalid("tags must be a list of strings")
        log_level = body.get("log_level")
        if log_level is not None and (
            not isinstance(log_level, str) or log_level.upper() not in LOG_LEVELS
        ):
            raise invalid(f"log_level must be one of {sorted(LOG_LEVELS)}")
        private = body.get("private", False)
        if not isinstance(private, bool):
            raise invalid("private must be a boolean")
        cost = body.get("cost")
        if cost is not None and (
            isinstance(cost, bool) or not isinstance(cost, (int, float)) or cost <= 0
        ):
            raise invalid("cost (max execution time in seconds) must be a positive number")
        session_id = body.get("session_id")
        if session_id is not None and not isinstance(session_id, str):
            raise invalid("session_id must be a string")
        level = log_level.upper() if isinstance(log_level, str) else None
        return JobRequest(program, params, list(tags), level, private, cost, session_id)

    def measure(self, program: str, params: dict[str, Any]) -> Measure:
        """Total shots, circuit count and circuit texts of the params."""
        fallback = DEFAULT_ESTIMATOR_SHOTS if program == "estimator" else DEFAULT_SAMPLER_SHOTS
        shots = default_shots(params, fallback)
        if not is_count(shots):
            raise self.errors.invalid("params.shots must be a positive integer")
        shots_list: list[int] = []
        texts: list[str] = []
        if "pubs" in params:
            pubs = params["pubs"]
            if not isinstance(pubs, list):
                raise self.errors.invalid("params.pubs must be a list")
            for i, pub in enumerate(pubs):
                circuit, pub_shots = pub_parts(program, pub)
                if circuit is None:
                    raise self.errors.invalid(f"params.pubs[{i}] is not a valid pub")
                if pub_shots is None:
                    pub_shots = shots
                if not is_count(pub_shots):
                    raise self.errors.invalid(f"params.pubs[{i}] shots must be a positive integer")
                shots_list.append(int(pub_shots))
                texts.append(circuit if isinstance(circuit, str) else "")
        elif "circuits" in params:
            circuits = params["circuits"]
            for c in circuits if isinstance(circuits, list) else [circuits]:
                texts.append(c if isinstance(c, str) else "")
                shots_list.append(int(shots))
        return Measure(sum(shots_list), len(shots_list), texts)

    def max_ttl(self, body: dict[str, Any]) -> float:
        """The session's max TTL from ``max_session_ttl`` (or ``max_ttl``)."""
        cfg = self.config
        raw = body.get("max_session_ttl", body.get("max_ttl"))
        if raw is None:
            return cfg.ibm_session_default_max_ttl
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw <= 0:
            raise self.errors.invalid("max_session_ttl must be a positive number of seconds")
        if raw > cfg.ibm_session_max_ttl_limit:
            raise self.errors.invalid(
                f"max_session_ttl cannot exceed {cfg.ibm_session_max_ttl_limit:g} seconds"
            )
        return float(raw)

    # --- query strings -------------------------------------------------------------------------

    def int_param(self, q: Any, name: str, default: int, low: int, high: int | None) -> int:
        """An integer parameter within bounds."""
        raw = q.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise self.errors.invalid(f"{name} must be an integer") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.errors.invalid(f"{name} must be {bound}")
        return value

    def time_param(self, q: Any, name: str) -> float | None:
        """A timestamp parameter."""
        raw = q.get(name)
        if raw is None or raw == "":
            return None
        try:
            return parse_timestamp(raw)
        except ValueError:
            raise self.errors.invalid(f"{name} must be an ISO 8601 / RFC 3339 timestamp") from None

    def bool_param(self, q: Any, name: str) -> bool | None:
        """A true/false parameter (None when absent)."""
        if name not in q:
            return None
        value = parse_bool(q[name])
        if value is None:
            raise self.errors.invalid(f"{name} must be true or false")
        return value

    def offset_page(self, q: Any) -> tuple[int, int, bool]:
        """(limit, offset, descending) of an offset-paged job listing."""
        cfg = self.config
        limit = self.int_param(q, "limit", cfg.ibm_jobs_default_limit, 1, cfg.ibm_jobs_max_limit)
        offset = self.int_param(q, "offset", 0, 0, None)
        return limit, offset, self._descending(q)

    def _descending(self, q: Any) -> bool:
        sort: str = q.get("sort", "DESC").upper()
        if sort not in ("ASC", "DESC"):
            raise self.errors.invalid("sort must be ASC or DESC")
        return sort == "DESC"

    def jobs_query(self, q: Any) -> JobsQuery:
        """``GET /jobs``, in the order the parameters are checked."""
        cfg = self.config
        limit = self.int_param(q, "limit", cfg.ibm_jobs_default_limit, 1, cfg.ibm_jobs_max_limit)
        offset = self.int_param(q, "offset", 0, 0, None)
        backend = q.get("backend")
        pending = self.bool_param(q, "pending")
        program = q.get("program") or q.get("program_id")
        tags = multi_values(q, "tags", "tags[]")
        session_id = q.get("session_id")
        after = self.time_param(q, "created_after")
        before = self.time_param(q, "created_before")
        provider = q.get("provider") or q.get("instance")
        descending = self._descending(q)
        exclude = self.bool_param(q, "exclude_params")
        return JobsQuery(
            limit=limit,
            offset=offset,
            backend=backend,
            pending=pending,
            program=program,
            tags=tags,
            session_id=session_id,
            after=after,
            before=before,
            provider=provider,
            descending=descending,
            exclude_params=bool(exclude),
        )

    def workloads_query(self, q: Any, *, allow_user_filter: bool) -> WorkloadsQuery:
        """``GET /workloads/...``, in the order the parameters are checked."""
        cfg = self.config
        invalid = self.errors.invalid
        if q.get("sort", "createdAt") != "createdAt":
            raise invalid("sort must be createdAt")
        order = q.get("order", "desc")
        if order not in ("asc", "desc"):
            raise invalid("order must be asc or desc")
        limit = self.int_param(
            q, "limit", cfg.ibm_workloads_default_limit, 1, cfg.ibm_workloads_max_limit
        )
        statuses = multi_values(q, "status", "status[]", split=True)
        for s in statuses:
            if s not in WORKLOAD_STATUSES:
                raise invalid(f"status must be among {sorted(WORKLOAD_STATUSES)}")
        mode = q.get("mode")
        if mode is not None and mode not in WORKLOAD_MODES:
            raise invalid("mode must be job, session or batch")
        return WorkloadsQuery(
            order=order,
            limit=limit,
            statuses=statuses,
            mode=mode,
            after=self.time_param(q, "createdAfter"),
            before=self.time_param(q, "createdBefore"),
            backend=q.get("backend"),
            search=(q.get("search") or "").lower(),
            tags=multi_values(q, "tags", "tags[]"),
            user_id=q.get("userId") if allow_user_filter else None,
            cursor=self._cursor(q, order),
        )

    def _cursor(self, q: Any, order: str) -> dict[str, Any] | None:
        nxt, prev = q.get("next"), q.get("previous")
        if nxt and prev:
            raise self.errors.invalid("give either next or previous, not both")
        if not (nxt or prev):
            return None
        try:
            cursor = self.cursors.decode(nxt or prev or "")
        except ValueError:
            raise self.errors.invalid("the paging cursor is not valid") from None
        if cursor.get("d") != ("n" if nxt else "p") or cursor.get("o") != order:
            raise self.errors.invalid("the paging cursor does not match this request")
        return cursor
