"""IBM runtime jobs: submit, follow, list, cancel, fetch results."""

from __future__ import annotations

import builtins
import logging
from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from .. import _constants as C
from .. import _validate as v
from .._paging import AsyncPager
from .._poll_policy import PollPolicy
from .._resource import ANY_JSON, APIResource, Watchable
from .._submit import (
    idempotency_tag,
    new_idempotency_key,
    submission_slot,
    submit_exactly_once,
)
from .._watch_group import WatchGroup
from ..progress import ProgressOption
from .models import (
    CreateJobRequest,
    CreateJobResponse,
    Job,
    JobMetrics,
    JobsPage,
    JobStatus,
    JobTagsRequest,
)
from .results import EstimatorResult, SamplerResult, decode_result, sampler_counts
from .workloads import check_instance

if TYPE_CHECKING:
    from .client import IBMRuntimeClient

__all__ = ["Jobs", "job_hint", "job_is_final"]

logger = logging.getLogger("qruntime_async")

#: Creation-time order, the same words as for workloads (the wire wants ``ASC``/``DESC``).
Order = Literal["asc", "desc"]
_ORDERS = {"asc": "ASC", "desc": "DESC"}
_LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
# A change of either is news: the reason and reason code live in ``state``.
_WATCH_FIELDS = ("status", "state")


def job_is_final(job: Job) -> bool:
    """Completed, Failed, Cancelled, or cancelled for running too long (reason code 1305)."""
    return job.is_final or job.ran_too_long


def _upper(value: object) -> object:
    # The wire wants upper case; accept any case from callers.
    return value.upper() if isinstance(value, str) else value


def _optional_bool(name: str, value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise TypeError(f"{name} must be a bool or None, got {value!r}")


def job_hint(job: Job) -> float | None:
    """The server's estimate of when a job's state may change, in seconds.

    Only a running job's estimated running time says when it will next change; a queued job
    may start at any moment, so it gets no hint (the regular schedule applies).
    """
    if job.current_status != JobStatus.RUNNING:
        return None
    return job.estimated_running_time_seconds


class Jobs(APIResource["IBMRuntimeClient"]):
    """``client.jobs``: the runtime jobs of your instances."""

    def __init__(self, client: IBMRuntimeClient) -> None:
        super().__init__(client)
        self._watchable = Watchable(
            get=self.get,
            is_final=job_is_final,
            fields=_WATCH_FIELDS,
            sleep=client._sleep,
            hint=job_hint,
            list_in_session=self._session_listing,
            id_of=_job_id,
            id_name="job_id",
        )

    async def submit(
        self,
        program_id: str,
        *,
        backend: str,
        params: Mapping[str, Any] | None = None,
        session_id: str | None = None,
        tags: Sequence[str] | None = None,
        max_execution_time: float | timedelta | None = None,
        private: bool | None = None,
        log_level: str | None = None,
        instance: str | None = None,
        idempotency_key: str | None = None,
    ) -> CreateJobResponse:
        """``POST /jobs``: run ``program_id`` (e.g. ``"sampler"``) with ``params`` on ``backend``.

        ``max_execution_time`` (seconds or timedelta) is sent as ``cost``; a job that runs longer
        ends as ``Cancelled - Ran too long``. The instance defaults to the client's. Warnings
        the server returns are logged and kept in the answer's ``messages``.

        Exactly once: the job carries a reserved tag with ``idempotency_key`` (random by
        default). When the answer to the create request is lost, your jobs are searched for
        that tag and the existing job is returned instead of creating a second one.
        """
        key = idempotency_key if idempotency_key is not None else new_idempotency_key()
        tag = idempotency_tag(key)
        user_tags = v.string_list("tags", tags) if tags is not None else []
        body = self._create_body(
            program_id,
            backend=backend,
            params=params,
            session_id=session_id,
            tags=[*user_tags, tag],
            max_execution_time=max_execution_time,
            private=private,
            log_level=log_level,
            instance=instance,
        )
        client = self._client

        async def create_once() -> CreateJobResponse:
            await submission_slot(client)
            return await self._post("/jobs", json=body, cast_to=CreateJobResponse)

        async def find() -> CreateJobResponse | None:
            job = await self.find_by_idempotency_key(key, session_id=body.session_id)
            if job is None:
                return None
            return CreateJobResponse(id=job.id, backend=job.backend, session_id=job.session_id)

        answer = await submit_exactly_once(
            create_once,
            find,
            key=key,
            policy=client.submit_policy,
            what="IBM job",
            sleep=client._sleep,
        )
        for notice in answer.notices:
            logger.warning("job %s: %s", answer.id, notice)
        return answer

    async def find_by_idempotency_key(
        self, idempotency_key: str, *, session_id: str | None = None
    ) -> Job | None:
        """The job submitted with ``idempotency_key`` (in ``session_id`` if given), or None.

        Use it to recover a job whose :meth:`submit` was interrupted (cancelled, or the process
        stopped) before its answer arrived: pass the key you gave the submission.
        """
        tag = idempotency_tag(idempotency_key)
        page = await self._get(
            "/jobs",
            params={
                "tags": [tag],
                "session_id": None
                if session_id is None
                else v.resource_id("session_id", session_id),
                "limit": 10,
                "exclude_params": True,
            },
            cast_to=JobsPage,
        )
        # Only a job that really carries the key is ours, whatever the filter matched.
        return next((job for job in page.jobs if job.tags and tag in job.tags), None)

    def _create_body(
        self,
        program_id: str,
        *,
        backend: str,
        params: Mapping[str, Any] | None,
        session_id: str | None,
        tags: Sequence[str] | None,
        max_execution_time: float | timedelta | None,
        private: bool | None,
        log_level: str | None,
        instance: str | None,
    ) -> CreateJobRequest:
        v.resource_id("program_id", program_id)
        v.resource_id("backend", backend)
        if session_id is not None:
            v.resource_id("session_id", session_id)
        if params is not None and not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping, got {type(params).__name__}")
        cost = None
        if max_execution_time is not None:
            cost = max(round(v.seconds("max_execution_time", max_execution_time)), 1)
        if log_level is not None:
            log_level = v.choice("log_level", _upper(log_level), _LOG_LEVELS)
        if private is not None and not isinstance(private, bool):
            raise TypeError(f"private must be a bool, got {type(private).__name__}")
        hub = group = project = None
        chosen = instance if instance is not None else self._client.instance
        if chosen is not None and not self._client.uses_cloud_auth:
            hub, group, project = check_instance("instance", chosen).split("/")
        return CreateJobRequest(
            program_id=program_id,
            backend=backend,
            params=dict(params) if params is not None else {},
            session_id=session_id,
            tags=v.string_list("tags", tags) if tags is not None else None,
            cost=cost,
            private=private,
            log_level=log_level,
            hub=hub,
            group=group,
            project=project,
        )

    async def get(self, job_id: str, *, exclude_params: bool | None = None) -> Job:
        """``GET /jobs/{id}`` (``exclude_params=True`` leaves the job's inputs out)."""
        _optional_bool("exclude_params", exclude_params)
        return await self._get(
            "/jobs/{job_id}",
            path_params={"job_id": job_id},
            params={"exclude_params": exclude_params},
            cast_to=Job,
        )

    def list(
        self,
        *,
        backend: str | None = None,
        pending: bool | None = None,
        program: str | None = None,
        tags: Sequence[str] | None = None,
        session_id: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        order: Order | None = None,
        exclude_params: bool | None = None,
        page_size: int = C.DEFAULT_PAGE_SIZE,
        limit: int | None = None,
        page_token: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncPager[Job]:
        """``GET /jobs``: your jobs, filtered, offset-paged (``page_size`` per request, at most
        200). ``order`` (``"asc"`` or ``"desc"``, as for workloads) orders them by creation
        time; the server's default is newest first."""
        filters: dict[str, Any] = {
            "backend": v.optional_str("backend", backend),
            "pending": _optional_bool("pending", pending),
            "program": v.optional_str("program", program),
            "exclude_params": _optional_bool("exclude_params", exclude_params),
        }
        if tags is not None:
            filters["tags"] = v.string_list("tags", tags)
        if session_id is not None:
            filters["session_id"] = v.resource_id("session_id", session_id)
        if created_after is not None:
            filters["created_after"] = v.aware_datetime("created_after", created_after)
        if created_before is not None:
            filters["created_before"] = v.aware_datetime("created_before", created_before)
        if order is not None:
            filters["sort"] = _ORDERS[v.choice("order", order, _ORDERS)]
        return self._list(
            "/jobs",
            JobsPage,
            filters=filters,
            page_size=page_size,
            limit=limit,
            page_token=page_token,
            read_ahead=read_ahead,
        )

    async def cancel(self, job_id: str) -> None:
        """``POST /jobs/{id}/cancel``. A job already final raises ConflictError (409)."""
        await self._post(
            "/jobs/{job_id}/cancel",
            path_params={"job_id": job_id},
            idempotent=True,
            cast_to=type(None),
        )

    async def delete(self, job_id: str) -> None:
        """``DELETE /jobs/{id}``."""
        await self._delete("/jobs/{job_id}", path_params={"job_id": job_id})

    async def results(self, job_id: str) -> Any:
        """``GET /jobs/{id}/results``: the program's result document, decoded from JSON."""
        return await self._get(
            "/jobs/{job_id}/results", path_params={"job_id": job_id}, cast_to=ANY_JSON
        )

    async def result(self, job_id: str) -> SamplerResult | EstimatorResult:
        """The job's primitive result, decoded (see :func:`~qruntime_async.ibm.decode_result`).

        Both encodings the service answers in are read: plain JSON, and the Qiskit-encoded form
        of jobs submitted with ``support_qiskit``. A document that is neither a sampler nor an
        estimator result raises :class:`~qruntime_async.errors.ResponseDecodeError` naming the
        JSON path that did not fit.
        """
        return decode_result(await self.results(job_id))

    async def counts(self, job_id: str) -> builtins.list[dict[str, int]]:
        """The counts of each pub of a sampler job, registers joined as qiskit joins them.

        Raises :class:`~qruntime_async.errors.ResponseDecodeError` for a result that is not a
        sampler result (see :func:`~qruntime_async.ibm.sampler_counts`).
        """
        return sampler_counts(await self.results(job_id))

    async def logs(self, job_id: str) -> str:
        """``GET /jobs/{id}/logs``: the job's log text."""
        return await self._get("/jobs/{job_id}/logs", path_params={"job_id": job_id}, cast_to=str)

    async def metrics(self, job_id: str) -> JobMetrics:
        """``GET /jobs/{id}/metrics``: timestamps and usage."""
        return await self._get(
            "/jobs/{job_id}/metrics", path_params={"job_id": job_id}, cast_to=JobMetrics
        )

    async def set_tags(self, job_id: str, tags: Sequence[str]) -> None:
        """``PUT /jobs/{id}/tags``: replace the job's tags."""
        await self._put(
            "/jobs/{job_id}/tags",
            path_params={"job_id": job_id},
            json=JobTagsRequest(tags=v.string_list("tags", tags)),
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

        By default a change is a new ``status`` or ``state`` (status, reason, reason code).
        ``Cancelled - Ran too long`` (reason code 1305) is final: check ``job.ran_too_long``.
        ``timeout`` raises WaitTimeoutError, whose ``last`` is the last job seen.
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
        """Poll until the job is final and return it; WaitTimeoutError carries the last state.

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
        """Follow many jobs; a WatchEvent ``(id, snapshot)`` on every change, until all are final.

        With ``session_id`` (the jobs belong to that session) each tick is one listing of the
        session's jobs (``GET /jobs?session_id=...``, up to 200 jobs a request) instead of one
        request per job; a job missing from the listing is fetched on its own. More ids can be
        added with ``group.add(...)`` while it runs. ``progress=True`` shows the jobs by state,
        the elapsed time and the requests made, live (the ``progress`` extra).
        """
        return self._watchable.watch_many(
            job_ids,
            session_id=session_id,
            fields=fields,
            policy=policy,
            timeout=timeout,
            concurrency=concurrency,
            expect_more=expect_more,
            get_one=lambda job_id: self.get(job_id, exclude_params=True),
            progress=progress,
        )

    def _session_listing(self, session_id: str) -> AsyncPager[Job]:
        return self.list(
            session_id=session_id,
            exclude_params=True,
            page_size=C.IBM_WATCH_PAGE_SIZE,
            read_ahead=True,
        )


def _job_id(job: Job) -> str:
    return job.id
