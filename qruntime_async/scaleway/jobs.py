"""Scaleway QaaS jobs: create in a session, follow, list, cancel, read circuits and results."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from .. import _constants as C
from .. import _validate as v
from .._paging import AsyncPager
from .._poll_policy import PollPolicy
from .._resource import APIResource, Watchable
from .._submit import (
    idempotency_tag,
    new_idempotency_key,
    submission_slot,
    submit_exactly_once,
)
from .._watch_group import WatchGroup
from ..progress import ProgressOption
from ._job_inputs import create_body, make_circuit
from ._job_inputs import duration as duration
from ._job_inputs import parameters_text as parameters_text
from ._job_results import final_result_text
from .models import (
    Job,
    JobCircuit,
    JobResult,
    ListJobResultsOrderBy,
    ListJobResultsResponse,
    ListJobsOrderBy,
    ListJobsResponse,
    Platform,
    UpdateJobRequest,
)
from .payloads import QuantumProgram, job_parameters, model_payload
from .results import result_counts, result_memory

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
_WATCH_FIELDS = ("status",)


def job_is_final(job: Job) -> bool:
    """Completed, error or cancelled (``cancelling`` is not final: the job may still finish)."""
    return job.is_final


class Jobs(APIResource["ScalewayQaaSClient"]):
    """``client.jobs``: the jobs of your sessions."""

    def __init__(self, client: ScalewayQaaSClient) -> None:
        super().__init__(client)
        self._watchable = Watchable(
            get=self.get,
            is_final=job_is_final,
            fields=_WATCH_FIELDS,
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
        starting with ``:PCVL:``, or ``perceval_circuit=``), or a :class:`JobCircuit`; it may be
        left out when ``model_id`` names a computation model (see :meth:`submit`).
        ``parameters`` (a mapping) is sent as the JSON string the API expects. ``name`` defaults
        to a generated ``qjob-xxxxxxxx`` (the API requires one).

        The job carries a reserved tag with ``idempotency_key`` (random by default): when the
        answer to the create request is lost, the session's jobs are searched for that tag and
        an existing job is returned instead of creating a second one (see the README).
        """
        key = idempotency_key if idempotency_key is not None else new_idempotency_key()
        tag = idempotency_tag(key)
        body = create_body(
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
            return await self.find_by_idempotency_key(key, session_id=body.session_id)

        return await submit_exactly_once(
            create_once,
            find,
            key=key,
            policy=client.submit_policy,
            what="Scaleway job",
            sleep=client._sleep,
        )

    async def submit(
        self,
        session_id: str,
        circuits: str | QuantumProgram | Iterable[str | QuantumProgram],
        *,
        shots: int,
        memory: bool = False,
        platform: Platform | str | None = None,
        backend_options: Mapping[str, Any] | None = None,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        max_duration: float | timedelta | None = None,
        project_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Run ``circuits`` with ``shots`` shots each in the session, as the official provider does.

        The circuits (OpenQASM 2 or 3 text, or :class:`~qruntime_async.scaleway.payloads.
        QuantumProgram` objects) become a computation model (``POST /models``, programs
        compressed with zlib); the job then names that model and carries its parameters
        (``{"shots": N, "options": {"memory": ...}}``) instead of a ``circuit``.
        ``memory=True`` asks for per-shot readouts (:meth:`memory`). ``platform`` (a
        :class:`Platform` or its backend name) fills the model's backend; by default it is the
        session's platform, looked up once. The job itself is created exactly once, as with
        :meth:`create`; a model left over from a retried submission is harmless.
        """
        v.resource_id("session_id", session_id)
        parameters = job_parameters(shots, memory=memory)
        if platform is None:
            session = await self._client.sessions.get(session_id)
            if not session.platform_id:
                raise ValueError(f"session {session_id} names no platform; pass platform=...")
            platform = await self._client.platforms.get(session.platform_id)
        payload = model_payload(circuits, platform=platform, options=backend_options)
        model = await self._client.models.create(payload, project_id=project_id)
        return await self.create(
            session_id,
            name=name,
            tags=tags,
            max_duration=max_duration,
            model_id=model.id,
            parameters=parameters,
            idempotency_key=idempotency_key,
        )

    async def find_by_idempotency_key(
        self, idempotency_key: str, *, session_id: str | None = None
    ) -> Job | None:
        """The job submitted with ``idempotency_key`` (in ``session_id`` if given), or None.

        Use it to recover a job whose :meth:`create`/:meth:`submit` was interrupted (cancelled,
        or the process stopped) before its answer arrived: pass the key you gave the submission.
        """
        tag = idempotency_tag(idempotency_key)
        filters: dict[str, Any] = {"tags": [tag], "page_size": 10}
        if session_id is not None:
            filters["session_id"] = v.resource_id("session_id", session_id)
        else:
            filters["project_id"] = self._client._project(None, what="finding a job")
        page = await self._get("/jobs", params=filters, cast_to=ListJobsResponse)
        # Only a job that really carries the key is ours, whatever the filter matched.
        return next((job for job in page.jobs if job.tags and tag in job.tags), None)

    async def final_result(self, job_id: str, *, max_bytes: int | None = None) -> str:
        """The text of the job's latest result, fetched from its ``url`` when not inline.

        A result served by ``url`` is downloaded without the Scaleway secret (it lives in object
        storage, which must never see it), over https (or http to loopback), and at most
        ``max_bytes`` long (default: the client's ``max_response_bytes``). A job without a
        result raises :class:`~qruntime_async.errors.ResponseDecodeError`.
        """
        return await final_result_text(self, job_id, max_bytes=max_bytes)

    async def counts(
        self, job_id: str, *, max_bytes: int | None = None
    ) -> builtins.list[dict[str, int]]:
        """Counts of each circuit of a finished job, keyed as qiskit's ``Result.get_counts()``.

        Reads the latest result (see :meth:`final_result`): the program-result envelope (either
        compression) or a bare qiskit ``Result`` document. Registers are separated by spaces.
        """
        return result_counts(await self.final_result(job_id, max_bytes=max_bytes))

    async def memory(
        self, job_id: str, *, max_bytes: int | None = None
    ) -> builtins.list[builtins.list[str]]:
        """Per-shot readouts of each circuit (jobs submitted with ``memory=True``)."""
        return result_memory(await self.final_result(job_id, max_bytes=max_bytes))

    async def get(self, job_id: str) -> Job:
        """``GET /jobs/{id}``."""
        return await self._get("/jobs/{job_id}", path_params={"job_id": job_id}, cast_to=Job)

    def list(
        self,
        *,
        session_id: str | None = None,
        project_id: str | None = None,
        tags: Sequence[str] | None = None,
        order_by: JobOrder | ListJobsOrderBy | None = None,
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
        order_by: ResultOrder | ListJobResultsOrderBy | None = None,
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
        fields: Sequence[str] = _WATCH_FIELDS,
        policy: PollPolicy | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[Job, None]:
        """Yield the job when first seen and on every change of ``fields``, until it is final.

        Final means ``completed``, ``error`` or ``cancelled``; ``cancelling`` is not final.
        ``timeout`` (seconds) raises WaitTimeoutError carrying the last state.
        """
        return self._watchable.watch(job_id, fields=fields, policy=policy, timeout=timeout)

    async def wait(
        self,
        job_id: str,
        *,
        timeout: float | None = None,
        policy: PollPolicy | None = None,
        progress: ProgressOption = None,
    ) -> Job:
        """Poll until the job is completed, in error or cancelled, and return it.

        ``progress=True`` shows the job's state live (the ``progress`` extra).
        """
        return await self._watchable.wait(job_id, policy=policy, timeout=timeout, progress=progress)

    def watch_many(
        self,
        job_ids: Iterable[str] = (),
        *,
        session_id: str | None = None,
        fields: Sequence[str] = _WATCH_FIELDS,
        policy: PollPolicy | None = None,
        timeout: float | None = None,
        concurrency: int = C.DEFAULT_WATCH_CONCURRENCY,
        expect_more: bool = False,
        progress: ProgressOption = None,
    ) -> WatchGroup[Job]:
        """Follow many jobs: a :class:`WatchEvent` on every change, until all are final.

        With ``session_id`` (the jobs belong to that session) each tick is one
        ``GET /jobs?session_id=...`` listing instead of one request per job; a job missing from
        the listing is fetched alone. More ids can be added with ``group.add(...)``.
        ``progress=True`` shows the jobs by state, the elapsed time and the requests made, live
        (the ``progress`` extra).
        """
        return self._watchable.watch_many(
            job_ids,
            session_id=session_id,
            fields=fields,
            policy=policy,
            timeout=timeout,
            concurrency=concurrency,
            expect_more=expect_more,
            progress=progress,
        )

    def _session_listing(self, session_id: str) -> AsyncPager[Job]:
        return self.list(
            session_id=session_id, page_size=C.SCALEWAY_WATCH_PAGE_SIZE, read_ahead=True
        )


def _job_id(job: Job) -> str:
    return job.id
