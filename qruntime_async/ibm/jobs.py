"""IBM runtime jobs: submit, follow, list, cancel, fetch results."""

from __future__ import annotations

import builtins
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from .. import _validate as v
from .._paging import AsyncPager
from .._polling import PollPolicy, WatchGroup, listing_lookup, wait, watch
from .._submit import idempotency_tag, new_idempotency_key, submit_exactly_once
from .models import (
    CreateJobRequest,
    CreateJobResponse,
    Job,
    JobMetrics,
    JobsPage,
    JobStatus,
    JobTagsRequest,
    sampler_counts,
)
from .workloads import check_instance

if TYPE_CHECKING:
    from .client import IBMRuntimeClient

__all__ = ["Jobs", "job_hint", "job_is_final"]

logger = logging.getLogger("qruntime_async")

_SORTS = frozenset({"ASC", "DESC"})
_LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
_MAX_PAGE_SIZE = 200
_DEFAULT_PAGE_SIZE = 50
# A change of either is news: the reason and reason code live in ``state``.
_WATCH_FIELDS = ("status", "state")
# Any JSON value, decoded without a target type (``object`` would be handed to the decode hook).
_ANY_JSON = cast("type[Any]", Any)


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


class Jobs:
    """``client.jobs``: the runtime jobs of your instances."""

    def __init__(self, client: IBMRuntimeClient) -> None:
        self._client = client

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
            await client._submit_slot()
            return await client._request("POST", "/jobs", json=body, cast_to=CreateJobResponse)

        async def find() -> CreateJobResponse | None:
            page = await client._request(
                "GET",
                "/jobs",
                params={
                    "tags": [tag],
                    "session_id": body.session_id,
                    "limit": 10,
                    "exclude_params": True,
                },
                cast_to=JobsPage,
            )
            for job in page.jobs:
                if job.tags and tag in job.tags:
                    return CreateJobResponse(
                        id=job.id, backend=job.backend, session_id=job.session_id
                    )
            return None

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
        return await self._client._request(
            "GET",
            "/jobs/{job_id}",
            path_params={"job_id": v.resource_id("job_id", job_id)},
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
        sort: str | None = None,
        exclude_params: bool | None = None,
        page_size: int = _DEFAULT_PAGE_SIZE,
        limit: int | None = None,
        page_token: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncPager[Job]:
        """``GET /jobs``: your jobs, filtered, offset-paged (``page_size`` per request)."""
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
        if sort is not None:
            filters["sort"] = v.choice("sort", _upper(sort), _SORTS)
        return self._client._offset_pager(
            "/jobs", None, filters, page_size, limit, page_token, read_ahead
        )

    async def cancel(self, job_id: str) -> None:
        """``POST /jobs/{id}/cancel``. A job already final raises ConflictError (409)."""
        await self._client._request(
            "POST",
            "/jobs/{job_id}/cancel",
            path_params={"job_id": v.resource_id("job_id", job_id)},
            idempotent=True,
            response="none",
        )

    async def delete(self, job_id: str) -> None:
        """``DELETE /jobs/{id}``."""
        await self._client._request(
            "DELETE",
            "/jobs/{job_id}",
            path_params={"job_id": v.resource_id("job_id", job_id)},
            response="none",
        )

    async def results(self, job_id: str) -> Any:
        """``GET /jobs/{id}/results``: the program's result document, decoded from JSON."""
        return await self._client._request(
            "GET",
            "/jobs/{job_id}/results",
            path_params={"job_id": v.resource_id("job_id", job_id)},
            cast_to=_ANY_JSON,
        )

    async def counts(self, job_id: str) -> builtins.list[dict[str, int]] | None:
        """The per-circuit count distributions of a sampler job's results (None otherwise)."""
        return sampler_counts(await self.results(job_id))

    async def logs(self, job_id: str) -> str:
        """``GET /jobs/{id}/logs``: the job's log text."""
        return await self._client._request(
            "GET",
            "/jobs/{job_id}/logs",
            path_params={"job_id": v.resource_id("job_id", job_id)},
            response="text",
        )

    async def metrics(self, job_id: str) -> JobMetrics:
        """``GET /jobs/{id}/metrics``: timestamps and usage."""
        return await self._client._request(
            "GET",
            "/jobs/{job_id}/metrics",
            path_params={"job_id": v.resource_id("job_id", job_id)},
            cast_to=JobMetrics,
        )

    async def set_tags(self, job_id: str, tags: Sequence[str]) -> None:
        """``PUT /jobs/{id}/tags``: replace the job's tags."""
        await self._client._request(
            "PUT",
            "/jobs/{job_id}/tags",
            path_params={"job_id": v.resource_id("job_id", job_id)},
            json=JobTagsRequest(tags=v.string_list("tags", tags)),
            response="none",
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
        job_id = v.resource_id("job_id", job_id)
        return watch(
            lambda: self.get(job_id),
            is_final=job_is_final,
            fields=fields,
            policy=policy,
            timeout=timeout,
            hint=job_hint,
            resource_id=job_id,
            sleep=self._client._sleep,
        )

    async def wait(
        self, job_id: str, *, timeout: float | None = None, policy: PollPolicy | None = None
    ) -> Job:
        """Poll until the job is final and return it; WaitTimeoutError carries the last state."""
        job_id = v.resource_id("job_id", job_id)
        return await wait(
            lambda: self.get(job_id),
            is_final=job_is_final,
            fields=_WATCH_FIELDS,
            policy=policy,
            timeout=timeout,
            hint=job_hint,
            resource_id=job_id,
            sleep=self._client._sleep,
        )

    def watch_many(
        self,
        job_ids: Iterable[str] = (),
        *,
        session_id: str | None = None,
        fields: Sequence[str] = _WATCH_FIELDS,
        policy: PollPolicy | None = None,
        timeout: float | None = None,
        concurrency: int = 16,
        expect_more: bool = False,
    ) -> WatchGroup[Job]:
        """Follow many jobs; a WatchEvent ``(id, snapshot)`` on every change, until all are final.

        With ``session_id`` (the jobs belong to that session) each tick is one listing of the
        session's jobs (``GET /jobs?session_id=...``, up to 200 jobs a request) instead of one
        request per job; a job missing from the listing is fetched on its own. More ids can be
        added with ``group.add(...)`` while it runs.
        """
        if isinstance(job_ids, str):
            raise TypeError("job_ids must be a list of job ids, not a single string")
        ids = [v.resource_id("job_ids", job_id) for job_id in job_ids]
        list_many = None
        if session_id is not None:
            list_many = self._session_lister(v.resource_id("session_id", session_id))
        return WatchGroup(
            ids,
            get_one=lambda job_id: self.get(job_id, exclude_params=True),
            list_many=list_many,
            is_final=job_is_final,
            fields=fields,
            policy=policy,
            timeout=timeout,
            hint=job_hint,
            concurrency=concurrency,
            sleep=self._client._sleep,
            expect_more=expect_more,
        )

    def _session_lister(
        self, session_id: str
    ) -> Callable[[frozenset[str]], Awaitable[Mapping[str, Job]]]:
        filters = {"session_id": session_id, "exclude_params": True}
        return listing_lookup(
            lambda: self._client._offset_pager(
                "/jobs", None, filters, _MAX_PAGE_SIZE, None, None, True
            ),
            lambda job: job.id,
        )
