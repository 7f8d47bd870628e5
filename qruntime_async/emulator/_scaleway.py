"""The Scaleway QaaS v1alpha1 side of the emulator: platforms, sessions, jobs, results, models.

Session and job states are derived from timestamps in virtual time when read; terminate, cancel,
update and delete change the stored records.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from ._circuits import (
    Circuit,
    CircuitError,
    find_qasm,
    parse_qasm,
    qiskit_result_dict,
    sample_circuit,
    synthetic_sample,
)
from ._context import Context
from ._util import (
    ApiError,
    encode,
    format_duration,
    json_response,
    multi_values,
    no_content,
    parse_duration,
    read_json_object,
    rfc3339_us,
)
from .config import ScalewayPlatform, ScalewayProject

PREFIX = "/qaas/v1alpha1"
DEFAULT_SHOTS = 1024

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)

JOB_ORDER = {
    "created_at_desc",
    "created_at_asc",
    "status_asc",
    "status_desc",
    "platform_name_asc",
    "platform_name_desc",
    "name_asc",
    "name_desc",
    "session_name_asc",
    "session_name_desc",
}
SESSION_ORDER = {
    "name_asc",
    "name_desc",
    "started_at_asc",
    "started_at_desc",
    "status_asc",
    "status_desc",
    "created_at_desc",
    "created_at_asc",
}
PLATFORM_ORDER = {
    "name_asc",
    "name_desc",
    "provider_name_asc",
    "provider_name_desc",
    "type_asc",
    "type_desc",
    "technology_asc",
    "technology_desc",
    "backend_name_asc",
    "backend_name_desc",
}
CREATED_ORDER = {"created_at_desc", "created_at_asc"}
PLATFORM_TYPES = {"unknown_type", "simulator", "qpu"}
PLATFORM_TECHNOLOGIES = {
    "unknown_technology",
    "photonic",
    "general_purpose",
    "trapped_ion",
    "superconducting",
    "neutral_atom",
}
FINAL_JOB = frozenset({"completed", "error", "cancelled"})


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
    result: str | None = None
    #: (epoch, valid until, rendering) of the last GET answer.
    cache: tuple[int, float, bytes] | None = None


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


@dataclass(frozen=True, slots=True)
class ScalewayJobSnapshot:
    """A read-only view of one Scaleway job as the server holds it (for tests)."""

    id: str
    project_id: str
    session_id: str
    name: str
    tags: tuple[str, ...]
    status: str
    created: float
    circuit: dict[str, str | None]
    parameters: str | None


@dataclass(frozen=True, slots=True)
class ScalewaySessionSnapshot:
    """A read-only view of one Scaleway session (for tests)."""

    id: str
    project_id: str
    platform_id: str
    name: str
    status: str
    deduplication_id: str
    job_ids: tuple[str, ...]
    created: float


class ScalewayService:
    """Routes and state of the Scaleway QaaS emulation."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        cfg = ctx.config
        self.projects: dict[str, ScalewayProject] = {p.secret_key: p for p in cfg.scaleway_projects}
        self.platforms: dict[str, ScalewayPlatform] = {p.id: p for p in cfg.scaleway_platforms}
        self.sessions: dict[str, ScwSession] = {}
        self.jobs: dict[str, ScwJob] = {}
        self.models: dict[str, ScwModel] = {}
        self._seq = 0
        self._platform_json = {p.id: self._render_platform(p) for p in cfg.scaleway_platforms}

    def reset(self) -> None:
        """Drop every session, job and model."""
        self.sessions.clear()
        self.jobs.clear()
        self.models.clear()

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

    # --- errors -------------------------------------------------------------------------------

    @staticmethod
    def invalid(fields: dict[str, str]) -> ApiError:
        """400 ``Validation Error`` naming the fields at fault."""
        return ApiError(
            400,
            {
                "message": "Validation Error",
                "type": "invalid_arguments",
                "fields": {name: [msg] for name, msg in fields.items()},
                "details": [
                    {"argument_name": name, "reason": "constraint", "help_message": msg}
                    for name, msg in fields.items()
                ],
            },
        )

    @staticmethod
    def bad_body(reason: str) -> ApiError:
        """400 for a body that is not a JSON object."""
        return ApiError(
            400, {"message": reason, "type": "invalid_arguments", "fields": {}, "details": []}
        )

    @staticmethod
    def not_found(resource: str, resource_id: str) -> ApiError:
        """404 in Scaleway's format."""
        return ApiError(
            404,
            {
                "message": "resource is not found",
                "type": "not_found",
                "resource": resource,
                "resource_id": resource_id,
            },
        )

    @staticmethod
    def denied(resource: str) -> ApiError:
        """403 ``permissions_denied``."""
        return ApiError(
            403,
            {
                "message": "insufficient permissions",
                "type": "permissions_denied",
                "details": [{"resource": resource, "action": "read"}],
            },
        )

    @staticmethod
    def precondition(help_message: str, precondition: str) -> ApiError:
        """412 ``precondition_failed``."""
        return ApiError(
            412,
            {
                "message": "precondition is not respected",
                "type": "precondition_failed",
                "precondition": precondition,
                "help_message": help_message,
            },
        )

    # --- auth ---------------------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> ScalewayProject:
        """The project of the ``X-Auth-Token`` secret key; 401 otherwise."""
        key = request.headers.get("X-Auth-Token")
        project = self.projects.get(key) if key else None
        if project is None:
            raise ApiError(
                401,
                {
                    "message": "authentication is denied",
                    "method": "api_key",
                    "reason": "not_found" if not key else "invalid_argument",
                    "type": "denied_authentication",
                },
            )
        return project

    def _uuid(self, value: Any, name: str) -> str:
        if not isinstance(value, str) or not _UUID_RE.match(value):
            raise self.invalid({name: "must be a valid UUID"})
        return value.lower()

    def _own_session(self, project: ScalewayProject, session_id: str) -> ScwSession:
        sid = self._uuid(session_id, "session_id")
        s = self.sessions.get(sid)
        if s is None or s.project_id != project.project_id:
            raise self.not_found("session", session_id)
        return s

    def _own_job(self, project: ScalewayProject, job_id: str) -> ScwJob:
        jid = self._uuid(job_id, "job_id")
        job = self.jobs.get(jid)
        if job is None or job.session.project_id != project.project_id:
            raise self.not_found("job", job_id)
        return job

    def _count(self, n: int, *, in_session: bool) -> int | str:
        mode = self.ctx.config.scaleway_uint64_as_string
        if mode == "all" or (mode == "session" and in_session):
            return str(n)
        return n

    # --- paging -------------------------------------------------------------------------------

    def _paging(self, q: Any, order_values: set[str], default_order: str) -> tuple[int, int, str]:
        cfg = self.ctx.config
        errors: dict[str, str] = {}
        page, size = 1, cfg.scaleway_default_page_size
        raw = q.get("page")
        if raw not in (None, ""):
            try:
                page = int(raw)
            except ValueError:
                errors["page"] = "must be an integer"
            else:
                if page < 1:
                    errors["page"] = "must be greater than or equal to 1"
        raw = q.get("page_size")
        if raw not in (None, ""):
            try:
                size = int(raw)
            except ValueError:
                errors["page_size"] = "must be an integer"
            else:
                if not 1 <= size <= cfg.scaleway_max_page_size:
                    errors["page_size"] = f"must be between 1 and {cfg.scaleway_max_page_size}"
        order = q.get("order_by") or default_order
        if order not in order_values:
            errors["order_by"] = f"must be one of {', '.join(sorted(order_values))}"
        if errors:
            raise self.invalid(errors)
        return page, size, order

    def _page(self, items: list[Any], page: int, size: int) -> list[Any]:
        return items[(page - 1) * size : page * size]

    # --- derivations --------------------------------------------------------------------------

    def _job_natural(self, job: ScwJob) -> tuple[float, float | None, str | None]:
        """(natural end, cancel instant or None, failure) ignoring the session's cut-off."""
        run = job.run_seconds
        failure = job.failure
        if job.max_duration is not None and run > job.max_duration:
            run = job.max_duration
            failure = failure or "the job exceeded its max_duration"
        return job.start + run, job.cancelled_at, failure

    def session_state(self, s: ScwSession, now: float) -> ScwSessionState:
        """Derive the session's state at ``now``."""
        cfg = self.ctx.config
        cancel_s = cfg.scaleway_cancel_seconds
        last_activity = s.ready
        for j in s.jobs:
            end, cancel, _ = self._job_natural(j)
            if cancel is not None and cancel < end:
                end = cancel + cancel_s
            last_activity = max(last_activity, end)
        stop_at = min(last_activity + s.max_idle, s.ready + s.max_duration)
        if s.terminated_at is not None:
            stop_at = min(stop_at, s.terminated_at)
        stopped_at = stop_at + cfg.scaleway_stop_seconds
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

    def job_state(self, job: ScwJob, now: float) -> ScwJobState:
        """Derive the job's state at ``now``."""
        cancel_s = self.ctx.config.scaleway_cancel_seconds
        s = job.session
        end, cancel, failure = self._job_natural(job)
        message: str | None = None
        cut = s.ready + s.max_duration
        if cut < end and (cancel is None or cut < cancel):
            cancel, message = max(cut, job.created), "the session reached its max_duration"
        if cancel is not None and cancel < end:
            started = job.start if job.start < cancel else None
            if now < cancel:
                if now < job.start:
                    return ScwJobState("waiting", None, None, None, job.updated)
                return ScwJobState(
                    "running", job.start, None, "running", max(job.updated, job.start)
                )
            done = cancel + cancel_s
            if now < done:
                return ScwJobState("cancelling", started, None, message or "cancelling", cancel)
            return ScwJobState("cancelled", started, done, message or "cancelled", done)
        if now < job.start:
            return ScwJobState("waiting", None, None, None, job.updated)
        if now < end:
            return ScwJobState("running", job.start, None, "running", max(job.updated, job.start))
        if failure is not None:
            return ScwJobState("error", job.start, end, failure, max(job.updated, end))
        return ScwJobState("completed", job.start, end, "completed", max(job.updated, end))

    # --- JSON views ---------------------------------------------------------------------------

    def session_json(self, s: ScwSession, now: float) -> dict[str, Any]:
        """The Session object."""
        st = self.session_state(s, now)
        waiting = finished = 0
        for j in s.jobs:
            if self.job_state(j, now).status in FINAL_JOB:
                finished += 1
            else:
                waiting += 1
        return {
            "id": s.id,
            "name": s.name,
            "platform_id": s.platform.id,
            "created_at": rfc3339_us(s.created),
            "started_at": rfc3339_us(st.started),
            "updated_at": rfc3339_us(st.changed),
            "terminated_at": rfc3339_us(st.terminated),
            "max_idle_duration": format_duration(s.max_idle),
            "max_duration": format_duration(s.max_duration),
            "waiting_job_count": self._count(waiting, in_session=True),
            "finished_job_count": self._count(finished, in_session=True),
            "status": st.status,
            "project_id": s.project_id,
            "tags": list(s.tags or ()),
            "deduplication_id": s.deduplication_id,
            "origin_type": "customer",
            "origin_id": None,
            "progress_message": None,
            "booking_id": None,
            "model_id": s.model_id,
            "parameters": s.parameters,
        }

    def job_json(self, job: ScwJob, now: float) -> dict[str, Any]:
        """The Job object."""
        st = self.job_state(job, now)
        duration = None
        if st.started is not None and st.ended is not None:
            duration = format_duration(round(max(0.0, st.ended - st.started), 6))
        result = None
        if st.status == "completed":
            result = self._result(job)
        return {
            "id": job.id,
            "name": job.name,
            "tags": list(job.tags or ()),
            "session_id": job.session.id,
            "created_at": rfc3339_us(job.created),
            "started_at": rfc3339_us(st.started),
            "updated_at": rfc3339_us(st.changed),
            "status": st.status,
            "progress_message": st.message,
            "job_duration": duration,
            "result_distribution": result,
            "model_id": job.model_id,
            "parameters": job.parameters,
        }

    @staticmethod
    def _render_platform(p: ScalewayPlatform) -> dict[str, Any]:
        def price(units: int, nanos: int) -> dict[str, Any]:
            return {"currency_code": "EUR", "units": units, "nanos": nanos}

        return {
            "id": p.id,
            "version": p.version,
            "name": p.name,
            "provider_name": p.provider_name,
            "backend_name": p.backend_name,
            "type": p.type,
            "technology": p.technology,
            "max_qubit_count": p.max_qubit_count,
            "max_shot_count": p.max_shot_count,
            "max_circuit_count": p.max_circuit_count,
            "availability": p.availability,
            "metadata": p.metadata,
            "price_per_hour": price(p.price_per_hour_units, p.price_per_hour_nanos),
            "price_per_shot": price(0, p.price_per_shot_nanos),
            "price_per_circuit": price(0, p.price_per_circuit_nanos),
            "hardware": {
                "name": p.hardware_name,
                "vcpus": p.vcpus,
                "gpus": p.gpus,
                "gpus_network": p.gpus_network,
                "ram": p.ram,
                "vram": p.vram,
            },
            "booking_requirement": {
                "min_duration": "3600s" if p.is_bookable else None,
                "max_duration": "14400s" if p.is_bookable else None,
                "max_cancellation_duration": "86400s" if p.is_bookable else None,
                "max_planification_duration": "2592000s" if p.is_bookable else None,
                "min_planification_duration": "3600s" if p.is_bookable else None,
                "max_booking_per_week": 2 if p.is_bookable else 0,
                "max_booking_per_day": 1 if p.is_bookable else 0,
            },
            "description": p.description,
            "documentation_url": p.documentation_url,
            "is_bookable": p.is_bookable,
        }

    def _model_json(self, m: ScwModel) -> dict[str, Any]:
        return {
            "id": m.id,
            "created_at": rfc3339_us(m.created),
            "url": None,
            "project_id": m.project_id,
        }

    # --- results ------------------------------------------------------------------------------

    def _result(self, job: ScwJob) -> str:
        if job.result is None:
            job.result = encode(self._compute_result(job)).decode()
        return job.result

    async def _ensure_results(self, jobs: list[ScwJob], now: float) -> None:
        """Compute, in a worker thread, the results of completed jobs that have none yet."""
        for job in jobs:
            if job.result is None and self.job_state(job, now).status == "completed":
                result = await asyncio.to_thread(self._compute_result, job)
                if job.result is None:
                    job.result = encode(result).decode()

    def _compute_result(self, job: ScwJob) -> dict[str, Any]:
        seed = self.ctx.result_seed(job.id)
        qiskit = job.circuit.get("qiskit_circuit")
        if qiskit:
            texts = _qasm_texts(qiskit)
            samples = []
            for i, text in enumerate(texts):
                try:
                    samples.append(sample_circuit(text, job.shots, seed + i))
                except CircuitError:
                    samples.append(
                        synthetic_sample(_opaque_circuit(), job.shots, random.Random(seed + i))
                    )
            if not samples:
                samples.append(synthetic_sample(_opaque_circuit(), job.shots, random.Random(seed)))
            synthetic = any(s.synthetic for s in samples)
            return qiskit_result_dict(
                samples,
                backend_name=job.session.platform.backend_name,
                job_id=job.id,
                synthetic=synthetic,
            )
        rng = random.Random(seed)
        modes, photons = 4, 2
        states: dict[str, float] = {}
        for _ in range(6):
            occupation = [0] * modes
            for _p in range(photons):
                occupation[rng.randrange(modes)] += 1
            states["|" + ",".join(map(str, occupation)) + ">"] = 0.2 + rng.random()
        keys = list(states)
        drawn = rng.choices(keys, [states[k] for k in keys], k=job.shots)
        counts: dict[str, int] = {}
        for k in drawn:
            counts[k] = counts.get(k, 0) + 1
        return {
            "results": dict(sorted(counts.items())),
            "physical_perf": 1.0,
            "logical_perf": 1.0,
            "metadata": {"synthetic": True, "shots": job.shots},
        }

    # --- jobs ---------------------------------------------------------------------------------

    async def create_job(self, request: web.Request) -> web.Response:
        """``POST /jobs``."""
        project = self.authenticate(request)
        body, problem = await read_json_object(request)
        if body is None:
            raise self.bad_body(problem or "invalid body")
        errors: dict[str, str] = {}
        name = body.get("name")
        if not isinstance(name, str) or not name:
            errors["name"] = "required, a non-empty string"
        session_id = body.get("session_id")
        if not isinstance(session_id, str) or not session_id:
            errors["session_id"] = "required"
        circuit = body.get("circuit")
        kinds: dict[str, str | None] = {"perceval_circuit": None, "qiskit_circuit": None}
        if not isinstance(circuit, dict):
            errors["circuit"] = "required, an object with perceval_circuit or qiskit_circuit"
        else:
            given = {k: v for k, v in circuit.items() if k in kinds and v is not None}
            if len(given) != 1 or not all(isinstance(v, str) and v for v in given.values()):
                errors["circuit"] = "exactly one of perceval_circuit or qiskit_circuit is required"
            else:
                kinds.update(given)
        tags = body.get("tags")
        if tags is not None and (
            not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)
        ):
            errors["tags"] = "must be a list of strings"
        max_duration: float | None = None
        if body.get("max_duration") is not None:
            try:
                max_duration = parse_duration(body["max_duration"])
            except (ValueError, TypeError):
                errors["max_duration"] = 'must be a duration such as "60s"'
        parameters = body.get("parameters")
        if parameters is not None and not isinstance(parameters, str):
            errors["parameters"] = "must be a string"
        model_id = body.get("model_id")
        if model_id is not None and not isinstance(model_id, str):
            errors["model_id"] = "must be a string"
        if errors:
            raise self.invalid(errors)
        assert isinstance(session_id, str)
        assert isinstance(name, str)
        session = self._own_session(project, session_id)
        if isinstance(model_id, str):
            m = self.models.get(model_id)
            if m is None or m.project_id != project.project_id:
                raise self.not_found("model", model_id)
        now = self.ctx.stamp()
        st = self.session_state(session, now)
        if st.status in ("stopping", "stopped"):
            raise self.precondition(
                f"session {session.id} is {st.status}: jobs can no longer be added to it",
                "resource_not_usable",
            )
        platform = session.platform
        shots = _find_shots(parameters) or _find_shots(kinds["qiskit_circuit"]) or DEFAULT_SHOTS
        if shots > platform.max_shot_count:
            raise self.invalid({"parameters": f"at most {platform.max_shot_count} shots"})
        failure: str | None = None
        if kinds["qiskit_circuit"] is not None and platform.technology == "photonic":
            failure = f"platform {platform.name} cannot run Qiskit circuits"
        elif kinds["perceval_circuit"] is not None and platform.technology != "photonic":
            failure = f"platform {platform.name} cannot run Perceval circuits"
        elif kinds["qiskit_circuit"] is not None:
            for text in _qasm_texts(kinds["qiskit_circuit"]):
                try:
                    parse_qasm(text)
                except CircuitError as exc:
                    failure = f"invalid circuit: {exc}"
                    break
        circuits = max(1, len(_qasm_texts(kinds["qiskit_circuit"] or "")))
        rng = self.ctx.plan_rng
        run = platform.setup_seconds + shots * circuits * platform.seconds_per_shot
        if failure is None and rng.random() < self.ctx.config.job_failure_rate:
            failure = "internal error while executing the job"
        start = max(now, session.ready)
        for other in session.jobs:
            end, cancel, _ = self._job_natural(other)
            if cancel is not None and cancel < end:
                end = cancel
            start = max(start, end)
        job_id = self.ctx.ids.uuid4()
        while job_id in self.jobs:
            job_id = self.ctx.ids.uuid4()
        self._seq += 1
        job = ScwJob(
            id=job_id,
            seq=self._seq,
            session=session,
            name=name,
            tags=list(tags) if isinstance(tags, list) else None,
            created=now,
            updated=now,
            start=start,
            run_seconds=run,
            max_duration=max_duration,
            circuit=kinds,
            model_id=model_id if isinstance(model_id, str) else session.model_id,
            parameters=parameters if isinstance(parameters, str) else None,
            shots=shots,
            failure=failure,
        )
        self.jobs[job_id] = job
        session.jobs.append(job)
        return json_response(self.job_json(job, now))

    async def list_jobs(self, request: web.Request) -> web.Response:
        """``GET /jobs`` by ``session_id`` or ``project_id``."""
        project = self.authenticate(request)
        q = request.query
        page, size, order = self._paging(q, JOB_ORDER, "created_at_desc")
        session_id = q.get("session_id")
        project_id = q.get("project_id")
        if not session_id and not project_id:
            raise self.invalid({"session_id": "one of session_id or project_id is required"})
        if project_id:
            self._uuid(project_id, "project_id")
            if project_id.lower() != project.project_id:
                raise self.denied("project")
        tags = multi_values(q, "tags", "tags[]")
        if session_id:
            candidates = [j for j in self._own_session(project, session_id).jobs]
        else:
            candidates = [
                j for j in self.jobs.values() if j.session.project_id == project.project_id
            ]
        now = self.ctx.now()
        selected = [
            j
            for j in candidates
            if j.id in self.jobs and (not tags or all(t in (j.tags or []) for t in tags))
        ]
        key: Callable[[ScwJob], Any]
        field_name, _, direction = order.rpartition("_")
        if field_name == "created_at":
            key = _seq_key
        elif field_name == "status":
            key = lambda j: (self.job_state(j, now).status, j.seq)  # noqa: E731
        elif field_name == "platform_name":
            key = lambda j: (j.session.platform.name, j.seq)  # noqa: E731
        elif field_name == "name":
            key = lambda j: (j.name, j.seq)  # noqa: E731
        else:
            key = lambda j: (j.session.name, j.seq)  # noqa: E731
        selected.sort(key=key, reverse=direction == "desc")
        shown = self._page(selected, page, size)
        await self._ensure_results(shown, now)
        return json_response(
            {
                "total_count": self._count(len(selected), in_session=False),
                "jobs": [self.job_json(j, now) for j in shown],
            }
        )

    async def get_job(self, request: web.Request) -> web.Response:
        """``GET /jobs/{job_id}``."""
        project = self.authenticate(request)
        job = self._own_job(project, request.match_info["job_id"])
        now = self.ctx.now()
        if job.result is None:
            await self._ensure_results([job], now)
        epoch = self.ctx.epoch
        cached = job.cache
        if cached is not None and cached[0] == epoch and now < cached[1]:
            body = cached[2]
        else:
            body = encode(self.job_json(job, now))
            job.cache = (epoch, self._next_change(job, now), body)
        return web.Response(body=body, content_type="application/json")

    def _next_change(self, job: ScwJob, now: float) -> float:
        """The next instant at which the job's rendering may change by itself."""
        cancel_s = self.ctx.config.scaleway_cancel_seconds
        s = job.session
        end, cancel, _ = self._job_natural(job)
        cut = s.ready + s.max_duration
        times = [job.start, end, s.ready, cut, cut + cancel_s]
        if cancel is not None:
            times += [cancel, cancel + cancel_s]
        return min((t for t in times if t > now), default=math.inf)

    async def update_job(self, request: web.Request) -> web.Response:
        """``PATCH /jobs/{job_id}`` with ``name`` and/or ``tags``."""
        project = self.authenticate(request)
        job = self._own_job(project, request.match_info["job_id"])
        body, problem = await read_json_object(request)
        if body is None:
            raise self.bad_body(problem or "invalid body")
        errors: dict[str, str] = {}
        name = body.get("name")
        if name is not None and (not isinstance(name, str) or not name):
            errors["name"] = "must be a non-empty string"
        tags = body.get("tags")
        if tags is not None and (
            not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)
        ):
            errors["tags"] = "must be a list of strings"
        if errors:
            raise self.invalid(errors)
        now = self.ctx.now()
        await self._ensure_results([job], now)
        if isinstance(name, str):
            job.name = name
        if isinstance(tags, list):
            job.tags = list(tags)
        job.updated = now
        return json_response(self.job_json(job, now))

    async def delete_job(self, request: web.Request) -> web.Response:
        """``DELETE /jobs/{job_id}``."""
        project = self.authenticate(request)
        job = self._own_job(project, request.match_info["job_id"])
        now = self.ctx.now()
        if self.job_state(job, now).status not in FINAL_JOB:
            job.cancelled_at = now
        del self.jobs[job.id]
        return no_content()

    async def cancel_job(self, request: web.Request) -> web.Response:
        """``POST /jobs/{job_id}/cancel``: the job goes cancelling, then cancelled."""
        project = self.authenticate(request)
        job = self._own_job(project, request.match_info["job_id"])
        body, problem = await read_json_object(request)
        if body is None:
            raise self.bad_body(problem or "invalid body")
        now = self.ctx.now()
        st = self.job_state(job, now)
        if st.status in FINAL_JOB:
            raise self.precondition(
                f"job {job.id} is already {st.status} and cannot be cancelled",
                "resource_not_usable",
            )
        if st.status != "cancelling":
            job.cancelled_at = now
            job.updated = now
        return json_response(self.job_json(job, now))

    async def job_circuit(self, request: web.Request) -> web.Response:
        """``GET /jobs/{job_id}/circuit``."""
        project = self.authenticate(request)
        job = self._own_job(project, request.match_info["job_id"])
        return json_response(dict(job.circuit))

    async def job_results(self, request: web.Request) -> web.Response:
        """``GET /jobs/{job_id}/results``: the result once completed, else an empty list."""
        project = self.authenticate(request)
        job = self._own_job(project, request.match_info["job_id"])
        page, size, _order = self._paging(request.query, CREATED_ORDER, "created_at_desc")
        now = self.ctx.now()
        await self._ensure_results([job], now)
        st = self.job_state(job, now)
        results: list[dict[str, Any]] = []
        if st.status == "completed":
            results.append(
                {
                    "job_id": job.id,
                    "result": self._result(job),
                    "url": None,
                    "created_at": rfc3339_us(st.ended),
                }
            )
        return json_response(
            {
                "total_count": self._count(len(results), in_session=False),
                "job_results": self._page(results, page, size),
            }
        )

    # --- sessions -----------------------------------------------------------------------------

    async def create_session(self, request: web.Request) -> web.Response:
        """``POST /sessions`` (with ``deduplication_id`` reuse)."""
        project = self.authenticate(request)
        body, problem = await read_json_object(request)
        if body is None:
            raise self.bad_body(problem or "invalid body")
        cfg = self.ctx.config
        errors: dict[str, str] = {}
        project_id = body.get("project_id")
        if not isinstance(project_id, str) or not _UUID_RE.match(project_id):
            errors["project_id"] = "required, a UUID"
        platform_id = body.get("platform_id")
        if not isinstance(platform_id, str) or not platform_id:
            errors["platform_id"] = "required"
        name = body.get("name")
        if name is not None and not isinstance(name, str):
            errors["name"] = "must be a string"
        durations: dict[str, float] = {
            "max_idle_duration": cfg.scaleway_default_max_idle_duration,
            "max_duration": cfg.scaleway_default_max_duration,
        }
        for key in durations:
            if body.get(key) is not None:
                try:
                    value = parse_duration(body[key])
                except (ValueError, TypeError):
                    errors[key] = 'must be a duration such as "600s"'
                    continue
                if value <= 0:
                    errors[key] = "must be positive"
                durations[key] = value
        tags = body.get("tags")
        if tags is not None and (
            not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)
        ):
            errors["tags"] = "must be a list of strings"
        dedup = body.get("deduplication_id")
        if dedup is not None and not isinstance(dedup, str):
            errors["deduplication_id"] = "must be a string"
        model_id = body.get("model_id")
        if model_id is not None and not isinstance(model_id, str):
            errors["model_id"] = "must be a string"
        parameters = body.get("parameters")
        if parameters is not None and not isinstance(parameters, str):
            errors["parameters"] = "must be a string"
        if errors:
            raise self.invalid(errors)
        assert isinstance(project_id, str)
        assert isinstance(platform_id, str)
        if project_id.lower() != project.project_id:
            raise self.denied("project")
        platform = self.platforms.get(platform_id.lower())
        if platform is None:
            raise self.not_found("platform", platform_id)
        if platform.availability == "maintenance":
            raise self.precondition(
                f"platform {platform.name} is under maintenance", "resource_not_usable"
            )
        if isinstance(model_id, str):
            m = self.models.get(model_id)
            if m is None or m.project_id != project.project_id:
                raise self.not_found("model", model_id)
        now = self.ctx.stamp()
        if dedup:
            for s in sorted(self.sessions.values(), key=_seq_key):
                if (
                    s.project_id == project.project_id
                    and s.deduplication_id == dedup
                    and self.session_state(s, now).status not in ("stopping", "stopped")
                ):
                    return json_response(self.session_json(s, now))
        session_id = self.ctx.ids.uuid4()
        while session_id in self.sessions:
            session_id = self.ctx.ids.uuid4()
        self._seq += 1
        s = ScwSession(
            id=session_id,
            seq=self._seq,
            project_id=project.project_id,
            platform=platform,
            name=name or f"qs-{session_id[:8]}",
            created=now,
            ready=now + platform.startup_seconds,
            max_idle=durations["max_idle_duration"],
            max_duration=durations["max_duration"],
            tags=list(tags) if isinstance(tags, list) else None,
            deduplication_id=dedup or "",
            model_id=model_id if isinstance(model_id, str) else None,
            parameters=parameters if isinstance(parameters, str) else None,
            updated=now,
        )
        self.sessions[session_id] = s
        return json_response(self.session_json(s, now))

    async def list_sessions(self, request: web.Request) -> web.Response:
        """``GET /sessions`` (``project_id`` required)."""
        project = self.authenticate(request)
        q = request.query
        page, size, order = self._paging(q, SESSION_ORDER, "name_asc")
        project_id = q.get("project_id")
        if not project_id:
            raise self.invalid({"project_id": "required"})
        self._uuid(project_id, "project_id")
        if project_id.lower() != project.project_id:
            raise self.denied("project")
        platform_id = q.get("platform_id")
        tags = multi_values(q, "tags", "tags[]")
        now = self.ctx.now()
        selected = [
            s
            for s in self.sessions.values()
            if s.project_id == project.project_id
            and (not platform_id or s.platform.id == platform_id.lower())
            and (not tags or all(t in (s.tags or []) for t in tags))
        ]
        field_name, _, direction = order.rpartition("_")
        key: Callable[[ScwSession], Any]
        if field_name == "name":
            key = lambda s: (s.name, s.seq)  # noqa: E731
        elif field_name == "started_at":
            key = lambda s: (  # noqa: E731
                self.session_state(s, now).started or math.inf,
                s.seq,
            )
        elif field_name == "status":
            key = lambda s: (self.session_state(s, now).status, s.seq)  # noqa: E731
        else:
            key = _seq_key
        selected.sort(key=key, reverse=direction == "desc")
        return json_response(
            {
                "total_count": self._count(len(selected), in_session=False),
                "sessions": [self.session_json(s, now) for s in self._page(selected, page, size)],
            }
        )

    async def get_session(self, request: web.Request) -> web.Response:
        """``GET /sessions/{session_id}``."""
        project = self.authenticate(request)
        s = self._own_session(project, request.match_info["session_id"])
        return json_response(self.session_json(s, self.ctx.now()))

    async def update_session(self, request: web.Request) -> web.Response:
        """``PATCH /sessions/{session_id}``."""
        project = self.authenticate(request)
        s = self._own_session(project, request.match_info["session_id"])
        body, problem = await read_json_object(request)
        if body is None:
            raise self.bad_body(problem or "invalid body")
        errors: dict[str, str] = {}
        changes: dict[str, Any] = {}
        name = body.get("name")
        if name is not None:
            if not isinstance(name, str) or not name:
                errors["name"] = "must be a non-empty string"
            else:
                changes["name"] = name
        for key, attr in (("max_idle_duration", "max_idle"), ("max_duration", "max_duration")):
            if body.get(key) is not None:
                try:
                    value = parse_duration(body[key])
                except (ValueError, TypeError):
                    errors[key] = 'must be a duration such as "600s"'
                    continue
                if value <= 0:
                    errors[key] = "must be positive"
                changes[attr] = value
        tags = body.get("tags")
        if tags is not None:
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                errors["tags"] = "must be a list of strings"
            else:
                changes["tags"] = list(tags)
        if errors:
            raise self.invalid(errors)
        now = self.ctx.now()
        if self.session_state(s, now).status == "stopped" and (
            "max_idle" in changes or "max_duration" in changes
        ):
            raise self.precondition(f"session {s.id} is stopped", "resource_not_usable")
        for attr, value in changes.items():
            setattr(s, attr, value)
        s.updated = now
        return json_response(self.session_json(s, now))

    async def delete_session(self, request: web.Request) -> web.Response:
        """``DELETE /sessions/{session_id}``: the session and all its jobs go."""
        project = self.authenticate(request)
        s = self._own_session(project, request.match_info["session_id"])
        for j in s.jobs:
            self.jobs.pop(j.id, None)
        del self.sessions[s.id]
        return no_content()

    async def terminate_session(self, request: web.Request) -> web.Response:
        """``POST /sessions/{session_id}/terminate``: stop it and cancel its unfinished jobs."""
        project = self.authenticate(request)
        s = self._own_session(project, request.match_info["session_id"])
        body, problem = await read_json_object(request)
        if body is None:
            raise self.bad_body(problem or "invalid body")
        now = self.ctx.now()
        st = self.session_state(s, now)
        if st.status in ("starting", "running"):
            for j in s.jobs:
                if self.job_state(j, now).status in ("waiting", "running"):
                    j.cancelled_at = now
                    j.updated = now
            s.terminated_at = now
            s.updated = now
        return json_response(self.session_json(s, now))

    async def session_acls(self, request: web.Request) -> web.Response:
        """``GET /sessions/{session_id}/acls``: the key's project has full access."""
        project = self.authenticate(request)
        self._own_session(project, request.match_info["session_id"])
        return json_response({"total_count": self._count(1, in_session=False), "acls": ["full"]})

    # --- platforms, models, applications ------------------------------------------------------

    async def list_platforms(self, request: web.Request) -> web.Response:
        """``GET /platforms`` with every documented filter."""
        self.authenticate(request)
        q = request.query
        page, size, order = self._paging(q, PLATFORM_ORDER, "name_asc")
        ptype = q.get("platform_type")
        tech = q.get("platform_technology")
        errors: dict[str, str] = {}
        if ptype is not None and ptype not in PLATFORM_TYPES:
            errors["platform_type"] = f"must be one of {', '.join(sorted(PLATFORM_TYPES))}"
        if tech is not None and tech not in PLATFORM_TECHNOLOGIES:
            errors["platform_technology"] = (
                f"must be one of {', '.join(sorted(PLATFORM_TECHNOLOGIES))}"
            )
        if errors:
            raise self.invalid(errors)
        provider = q.get("provider_name")
        backend = q.get("backend_name")
        name = q.get("name")
        selected = [
            p
            for p in self.platforms.values()
            if (not provider or p.provider_name == provider)
            and (not backend or p.backend_name == backend)
            and (not name or p.name == name)
            and (not ptype or ptype == "unknown_type" or p.type == ptype)
            and (not tech or tech == "unknown_technology" or p.technology == tech)
        ]
        field_name, _, direction = order.rpartition("_")
        attr = {"name": "name", "provider_name": "provider_name", "type": "type"}.get(
            field_name, field_name
        )
        if attr == "technology":
            selected.sort(key=lambda p: (p.technology, p.name), reverse=direction == "desc")
        else:
            selected.sort(key=lambda p: (getattr(p, attr), p.name), reverse=direction == "desc")
        return json_response(
            {
                "total_count": self._count(len(selected), in_session=False),
                "platforms": [self._platform_json[p.id] for p in self._page(selected, page, size)],
            }
        )

    async def get_platform(self, request: web.Request) -> web.Response:
        """``GET /platforms/{platform_id}``."""
        self.authenticate(request)
        pid = self._uuid(request.match_info["platform_id"], "platform_id")
        if pid not in self._platform_json:
            raise self.not_found("platform", request.match_info["platform_id"])
        return json_response(self._platform_json[pid])

    async def create_model(self, request: web.Request) -> web.Response:
        """``POST /models``."""
        project = self.authenticate(request)
        body, problem = await read_json_object(request)
        if body is None:
            raise self.bad_body(problem or "invalid body")
        project_id = body.get("project_id")
        payload = body.get("payload")
        errors: dict[str, str] = {}
        if not isinstance(project_id, str) or not _UUID_RE.match(project_id):
            errors["project_id"] = "required, a UUID"
        if payload is not None and not isinstance(payload, str):
            errors["payload"] = "must be a string"
        if errors:
            raise self.invalid(errors)
        assert isinstance(project_id, str)
        if project_id.lower() != project.project_id:
            raise self.denied("project")
        model_id = self.ctx.ids.uuid4()
        self._seq += 1
        m = ScwModel(
            id=model_id,
            seq=self._seq,
            project_id=project.project_id,
            payload=payload if isinstance(payload, str) else None,
            created=self.ctx.stamp(),
        )
        self.models[model_id] = m
        return json_response(self._model_json(m))

    async def list_models(self, request: web.Request) -> web.Response:
        """``GET /models`` (``project_id`` required)."""
        project = self.authenticate(request)
        q = request.query
        page, size, order = self._paging(q, CREATED_ORDER, "created_at_desc")
        project_id = q.get("project_id")
        if not project_id:
            raise self.invalid({"project_id": "required"})
        self._uuid(project_id, "project_id")
        if project_id.lower() != project.project_id:
            raise self.denied("project")
        selected = sorted(
            (m for m in self.models.values() if m.project_id == project.project_id),
            key=_seq_key,
            reverse=order == "created_at_desc",
        )
        return json_response(
            {
                "total_count": self._count(len(selected), in_session=False),
                "models": [self._model_json(m) for m in self._page(selected, page, size)],
            }
        )

    async def get_model(self, request: web.Request) -> web.Response:
        """``GET /models/{model_id}``."""
        project = self.authenticate(request)
        mid = self._uuid(request.match_info["model_id"], "model_id")
        m = self.models.get(mid)
        if m is None or m.project_id != project.project_id:
            raise self.not_found("model", request.match_info["model_id"])
        return json_response(self._model_json(m))

    async def list_applications(self, request: web.Request) -> web.Response:
        """``GET /applications``: none are offered by the emulator."""
        self.authenticate(request)
        return json_response({"total_count": self._count(0, in_session=False), "applications": []})

    # --- snapshots for tests ------------------------------------------------------------------

    def job_snapshots(self) -> list[ScalewayJobSnapshot]:
        """Every stored job with its current status, oldest first."""
        now = self.ctx.now()
        return [
            ScalewayJobSnapshot(
                id=j.id,
                project_id=j.session.project_id,
                session_id=j.session.id,
                name=j.name,
                tags=tuple(j.tags or ()),
                status=self.job_state(j, now).status,
                created=j.created,
                circuit=dict(j.circuit),
                parameters=j.parameters,
            )
            for j in sorted(self.jobs.values(), key=_seq_key)
        ]

    def session_snapshots(self) -> list[ScalewaySessionSnapshot]:
        """Every stored session with its current status, oldest first."""
        now = self.ctx.now()
        return [
            ScalewaySessionSnapshot(
                id=s.id,
                project_id=s.project_id,
                platform_id=s.platform.id,
                name=s.name,
                status=self.session_state(s, now).status,
                deduplication_id=s.deduplication_id,
                job_ids=tuple(j.id for j in s.jobs if j.id in self.jobs),
                created=s.created,
            )
            for s in sorted(self.sessions.values(), key=_seq_key)
        ]


def _seq_key(item: ScwJob | ScwSession | ScwModel) -> int:
    return item.seq


def _opaque_circuit() -> Circuit:
    return Circuit(qubits=2, qregs={"q": (0, 2)}, cregs=[("c", 2)])


def _qasm_texts(payload: str) -> list[str]:
    """OpenQASM texts inside a ``qiskit_circuit`` payload (plain text or JSON wrapping)."""
    if not payload:
        return []
    stripped = payload.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return find_qasm(msgspec.json.decode(payload))
        except msgspec.DecodeError:
            return []
    if "OPENQASM" in payload[:200] or "qreg" in payload:
        return [payload]
    return []


def _find_shots(text: str | None) -> int | None:
    """A ``shots`` value anywhere inside a JSON string."""
    if not text or not text.lstrip().startswith(("{", "[")):
        return None
    try:
        data = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            value = item.get("shots")
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
