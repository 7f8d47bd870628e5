"""Scaleway QaaS jobs: create in a session, follow, list, cancel, read circuits and results."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from .. import _constants as C
from .. import _validate as v
from .._paging import AsyncPager
from .._polling import PollPolicy, WatchGroup
from .._resource import APIResource, Watchable
from .._submit import (
    idempotency_tag,
    new_idempotency_key,
    submission_slot,
    submit_exactly_once,
)
from .models import (
    CreateJobRequest,
    Job,
    JobCircuit,
    JobResult,
    ListJobResultsOrderBy,
    ListJobResultsResponse,
    ListJobsOrderBy,
    ListJobsResponse,
    UpdateJobRequest,
    encode_parameters,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from .client import ScalewayQaaSClient

__all__ = ["Jobs", "job_is_final", "make_circuit"]

#: How ``GET /jobs`` orders jobs (the values of :class:`ListJobsOrderBy`).
JobOrder = Literal[
    "created_at_asc",
    "created_at_desc",
    "status_asc",
    "status_desc",
    "platform_name_asc",
    "platform_name_desc",
    "name_asc",
    "name_desc",
    "session_name_asc",
    "session_name_desc",
]
#: How ``GET /jobs/{id}/results`` orders results.
ResultOrder = Literal["created_at_asc", "created_at_desc"]
_JOB_ORDERS = frozenset(o.value for o in ListJobsOrderBy)
_RESULT_ORDERS = frozenset(o.value for o in ListJobResultsOrderBy)
_PERCEVAL_PREFIX = ":PCVL:"


def job_is_final(job: Job) -> bool:
    """Completed, error or cancelled (``cancelling`` is not final: the job may still finish)."""
    return job.is_final


def _default_job_name() -> str:
    return f"qjob-{secrets.token_hex(4)}"


def make_circuit(
    circuit: str | JobCircuit | None = None, *, perceval_circuit: str | None = None
) -> JobCircuit:
    """The ``circuit`` object of a job: exactly one serialisation.

    A string is OpenQASM text (``qiskit_circuit``), unless it is a Perceval payload (it starts
    with ``:PCVL:``); ``perceval_circuit=`` names a Perceval payload explicitly; a
    :class:`JobCircuit` is taken as it is.
    """
    if (circuit is None) == (perceval_circuit is None):
        raise ValueError(
            "give exactly one of circuit (OpenQASM text or JobCircuit) or perceval_circuit"
        )
    if perceval_circuit is not None:
        if not isinstance(perceval_circuit, str) or not perceval_circuit.strip():
            raise ValueError("perceval_circuit must be a non-empty string")
        return JobCircuit(perceval_circuit=perceval_circuit)
    if isinstance(circuit, JobCircuit):
        chosen = [c for c in (circuit.qiskit_circuit, circuit.perceval_circuit) if c]
        if len(chosen) != 1:
            raise ValueError(
                "a JobCircuit must set exactly one of qiskit_circuit or perceval_circuit"
            )
        return circuit
    if not isinstance(circuit, str):
        raise TypeError(
            f"circuit must be OpenQASM text (str) or a JobCircuit, got {type(circuit).__name__}"
        )
    if not circuit.strip():
        raise ValueError("circuit must not be empty")
    if circuit.startswith(_PERCEVAL_PREFIX):
        return JobCircuit(perceval_circuit=circuit)
    return JobCircuit(qiskit_circuit=circuit)


def parameters_text(name: str, parameters: Mapping[str, Any] | str | None) -> str | None:
    """Execution parameters as the JSON string the API carries (a mapping is serialised)."""
    if parameters is None:
        return None
    if isinstance(parameters, str):
        try:
            msgspec.json.decode(parameters)
        except msgspec.DecodeError:
            raise ValueError(f"{name} given as a string must be JSON text") from None
        return parameters
    if not isinstance(parameters, Mapping):
        raise TypeError(f"{name} must be a mapping (or JSON text), got {type(parameters).__name__}")
    try:
        return encode_parameters(parameters)
    except (TypeError, msgspec.EncodeError) as exc:
        raise TypeError(f"{name} cannot be serialised as JSON: {exc}") from None


def duration(name: str, value: float | timedelta | None) -> timedelta | None:
    """None, or a positive number of seconds / timedelta as a timedelta."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        v.seconds(name, value)
        return value
    return timedelta(seconds=v.seconds(name, value))


class Jobs(APIResource["ScalewayQaaSClient"]):
    """``client.jobs``: the jobs of your sessions."""

    def __init__(self, client: ScalewayQaaSClient) -> None:
        super().__init__(client)
        self._watchable = Watchable(
            get=self.get,
            is_final=job_is_final,
            fields=("status",),
            sleep=client._sleep,
            list_in_session=self._session_listing,
            id_of=_job_id,
            id_name="job_id",
        )

    async def create(
        self,
        session_id: str,
        circuit: str | JobCircuit | None = None,
        *,
        perceval_circuit: str | None = None,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        max_duration: float | timedelta | None = None,
        model_id: str | None = None,
        parameters: Mapping[str, Any] | str | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """``POST /jobs``: run ``circuit`` in the session ``session_id``, exactly once.

        ``circuit`` is OpenQASM text (sent as ``qiskit_circuit``), a Perceval payload (a string
        starting with ``:PCVL:``, or ``perceval_circuit=``), or a :class:`JobCircuit`.
        ``parameters`` (a mapping) is sent as the JSON string the API expects. ``name`` defaults
        to a generated ``qjob-xxxxxxxx`` (the API requires one).

        The job carries a reserved tag with ``idempotency_key`` (random by default): when the
        answer to the create request is lost, the session's jobs are searched for that tag and
        an existing job is returned instead of creating a second one (see the README).
        """
        key = idempotency_key if idempotency_key is not None else new_idempotency_key()
        tag = idempotency_tag(key)
        body = self._create_body(
            session_id,
            circuit,
            perceval_circuit=perceval_circuit,
            name=name,
            tags=[*v.string_list("tags", tags), tag] if tags is not None else [tag],
            max_duration=max_duration,
            model_id=model_id,
            parameters=parameters,
        )
        client = self._client

        async def create_once() -> Job:
            await submission_slot(client)
            return await self._post("/jobs", json=body, cast_to=Job)

        async def find() -> Job | None:
            page = await self._get(
                "/jobs",
                params={"session_id": body.session_id, "tags": [tag], "page_size": 10},
                cast_to=ListJobsResponse,
            )
            # Only a job that really carries the key is ours, whatever the filter matched.
            return next((job for job in page.jobs if job.tags and tag in job.tags), None)

        return await submit_exactly_once(
            create_once,
            find,
            key=key,
            policy=client.submit_policy,
            what="Scaleway job",
            sleep=client._sleep,
        )

    @staticmethod
    def _create_body(
        session_id: str,
        circuit: str | JobCircuit | None,
        *,
        perceval_circuit: str | None,
        name: str | None,
        tags: Sequence[str] | None,
        max_duration: float | timedelta | None,
        model_id: str | None,
        parameters: Mapping[str, Any] | str | None,
    ) -> CreateJobRequest:
        sid = v.resource_id("session_id", session_id)
        return CreateJobRequest(
            name=v.optional_str("name", name) or _default_job_name(),
            session_id=sid,
            circuit=make_circuit(circuit, perceval_circuit=perceval_circuit),
            tags=v.string_list("tags", tags) if tags is not None else None,
            max_duration=duration("max_duration", max_duration),
            model_id=v.resource_id("model_id", model_id) if model_id is not None else None,
            parameters=parameters_text("parameters", parameters),
        )

    async def get(self, job_id: str) -> Job:
        """``GET /jobs/{id}``."""
        return await self._get("/jobs/{job_id}", path_params={"job_id": job_id}, cast_to=Job)

    def list(
        self,
        *,
        session_id: str | None = None,
        project_id: str | None = None,
        tags: Sequence[str] | None = None,
        order_by: JobOrder | None = None,
        page_size: int = C.DEFAULT_PAGE_SIZE,
        limit: int | None = None,
        page_token: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncPager[Job]:
        """``GET /jobs``: the jobs of one session, or of a project (default: the client's).

        Paged by page number (``page_size`` per request, at most 100); ``limit`` caps how many
        jobs the iteration yields. ``order_by`` is one of :class:`ListJobsOrderBy`.
        """
        filters: dict[str, Any] = {}
        if session_id is not None:
            if project_id is not None:
                raise ValueError("give either session_id or project_id, not both")
            filters["session_id"] = v.resource_id("session_id", session_id)
        else:
            filters["project_id"] = self._client._project(project_id, what="listing jobs")
        if tags is not None:
            filters["tags"] = v.string_list("tags", tags)
        if order_by is not None:
            filters["order_by"] = v.choice("order_by", order_by, _JOB_ORDERS)
        return self._list(
            "/jobs",
            ListJobsResponse,
            filters=filters,
            page_size=page_size,
            limit=limit,
            page_token=page_token,
            read_ahead=read_ahead,
        )

    async def update(
        self,
        job_id: str,
        *,
        name: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Job:
        """``PATCH /jobs/{id}``: rename the job and/or replace its tags; returns the job."""
        body = UpdateJobRequest(
            name=v.optional_str("name", name),
            tags=v.string_list("tags", tags) if tags is not None else None,
        )
        return await self._patch(
            "/jobs/{job_id}", path_params={"job_id": job_id}, json=body, cast_to=Job
        )

    async def delete(self, job_id: str) -> None:
        """``DELETE /jobs/{id}``."""
        await self._delete("/jobs/{job_id}", path_params={"job_id": job_id})

    async def cancel(self, job_id: str) -> Job:
        """``POST /jobs/{id}/cancel``; returns the job (usually ``cancelling`` at first)."""
        return await self._post(
            "/jobs/{job_id}/cancel",
            path_params={"job_id": job_id},
            json={},
            # Asking twice to cancel has the same effect as asking once.
            idempotent=True,
            cast_to=Job,
        )

    async def circuit(self, job_id: str) -> JobCircuit:
        """``GET /jobs/{id}/circuit``: the circuit the job runs."""
        return await self._get(
            "/jobs/{job_id}/circuit", path_params={"job_id": job_id}, cast_to=JobCircuit
        )

    def results(
        self,
        job_id: str,
        *,
        order_by: ResultOrder | None = None,
        page_size: int = C.DEFAULT_PAGE_SIZE,
        limit: int | None = None,
        page_token: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncPager[JobResult]:
        """``GET /jobs/{id}/results``: the intermediate and final results of a job, paged.

        ``order_by`` is ``created_at_desc`` (the server's default) or ``created_at_asc``.
        """
        jid = v.resource_id("job_id", job_id)
        filters: dict[str, Any] = {}
        if order_by is not None:
            filters["order_by"] = v.choice("order_by", order_by, _RESULT_ORDERS)
        return self._list(
            "/jobs/{job_id}/results",
            ListJobResultsResponse,
            path_params={"job_id": jid},
            filters=filters,
            page_size=page_size,
            limit=limit,
            page_token=page_token,
            read_ahead=read_ahead,
        )

    def watch(
        self,
        job_id: str,
        *,
        fields: Sequence[str] = ("status",),
        policy: PollPolicy | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[Job, None]:
        """Yield the job when first seen and on every change of ``fields``, until it is final.

        Final means ``completed``, ``error`` or ``cancelled``; ``cancelling`` is not final.
        ``timeout`` (seconds) raises WaitTimeoutError carrying the last state.
        """
        return self._watchable.watch(job_id, fields=fields, policy=policy, timeout=timeout)

    async def wait(
        self, job_id: str, *, timeout: float | None = None, policy: PollPolicy | None = None
    ) -> Job:
        """Poll until the job is completed, in error or cancelled, and return it."""
        return await self._watchable.wait(job_id, policy=policy, timeout=timeout)

    def watch_many(
        self,
        job_ids: Iterable[str] = (),
        *,
        session_id: str | None = None,
        fields: Sequence[str] = ("status",),
        policy: PollPolicy | None = None,
        timeout: float | None = None,
        concurrency: int = C.DEFAULT_WATCH_CONCURRENCY,
        expect_more: bool = False,
    ) -> WatchGroup[Job]:
        """Follow many jobs: a :class:`WatchEvent` on every change, until all are final.

        With ``session_id`` (the jobs belong to that session) each tick is one
        ``GET /jobs?session_id=...`` listing instead of one request per job; a job missing from
        the listing is fetched alone. More ids can be added with ``group.add(...)``.
        """
        return self._watchable.watch_many(
            job_ids,
            session_id=session_id,
            fields=fields,
            policy=policy,
            timeout=timeout,
            concurrency=concurrency,
            expect_more=expect_more,
        )

    def _session_listing(self, session_id: str) -> AsyncPager[Job]:
        return self.list(
            session_id=session_id, page_size=C.SCALEWAY_WATCH_PAGE_SIZE, read_ahead=True
        )


def _job_id(job: Job) -> str:
    return job.id
