"""Following IBM jobs until they are final: watch, wait and watch_many."""

from __future__ import annotations

from typing import Any

import pytest

from qruntime_async import PollPolicy, WatchEvent, errors
from qruntime_async.ibm.client import IBMRuntimeClient
from qruntime_async.ibm.models import Job

from .test_ibm_client import FAST_POLL, FakeAPI, Reply, _clean_env, api, client, job_json

__all__ = ["_clean_env", "api", "client"]

RAN_TOO_LONG = job_json(
    status="Cancelled - Ran too long",
    state={"status": "Cancelled", "reason": "Ran too long", "reason_code": 1305},
)
CANCELLED_1305 = job_json(
    status="Cancelled",
    state={"status": "Cancelled", "reason": "Ran too long", "reason_code": 1305},
)


@pytest.mark.parametrize(
    ("final", "completed", "failed", "cancelled", "ran_too_long"),
    [
        pytest.param(job_json(status="Completed"), True, False, False, False, id="completed"),
        pytest.param(job_json(status="Failed"), False, True, False, False, id="failed"),
        pytest.param(job_json(status="Cancelled"), False, False, True, False, id="cancelled"),
        pytest.param(RAN_TOO_LONG, False, False, True, True, id="ran-too-long"),
        pytest.param(CANCELLED_1305, False, False, True, True, id="reason-code-1305"),
    ],
)
async def test_watch_ends_on_each_final_state(
    client: IBMRuntimeClient,
    api: FakeAPI,
    final: dict[str, Any],
    completed: bool,
    failed: bool,
    cancelled: bool,
    ran_too_long: bool,
) -> None:
    api.on("GET", "/jobs/j1", job_json(status="Queued"), job_json(status="Running"), final)
    seen = [job async for job in client.jobs.watch("j1", policy=FAST_POLL)]
    assert [j.status for j in seen] == ["Queued", "Running", final["status"]]
    last = seen[-1]
    assert last.is_final
    assert (last.is_completed, last.is_failed, last.is_cancelled, last.ran_too_long) == (
        completed,
        failed,
        cancelled,
        ran_too_long,
    )
    assert len(api.sent) == 3  # no poll after the final state
    assert all(s.path == "/runtime/jobs/j1" and s.method == "GET" for s in api.sent)


async def test_wait_returns_the_final_job_even_when_it_ran_too_long(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on("GET", "/jobs/j1", job_json(status="Running"), RAN_TOO_LONG)
    job = await client.jobs.wait("j1", policy=FAST_POLL)
    assert job.ran_too_long
    assert job.status == "Cancelled - Ran too long"
    assert len(api.sent) == 2


async def test_unchanged_snapshots_are_not_yielded_again(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on(
        "GET",
        "/jobs/j1",
        job_json(status="Queued"),
        job_json(status="Queued", estimated_running_time_seconds=0.001),
        job_json(status="Queued"),
        job_json(status="Running"),
        job_json(status="Running"),
        job_json(status="Completed"),
    )
    seen = [job.status async for job in client.jobs.watch("j1", policy=FAST_POLL)]
    assert seen == ["Queued", "Running", "Completed"]
    assert len(api.sent) == 6


async def test_a_new_reason_is_news(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on(
        "GET",
        "/jobs/j1",
        job_json(status="Queued"),
        job_json(status="Queued", state={"status": "Queued", "reason": "waiting for backend"}),
        job_json(status="Completed"),
    )
    seen = [job async for job in client.jobs.watch("j1", policy=FAST_POLL)]
    assert [j.state.reason if j.state else None for j in seen] == [
        None,
        "waiting for backend",
        None,
    ]
    only_status = [
        job.status async for job in client.jobs.watch("j1", fields=["status"], policy=FAST_POLL)
    ]
    assert only_status == ["Completed"]


async def test_wait_timeout_carries_the_last_job(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/jobs/j1", job_json(status="Queued"), job_json(status="Running"))
    with pytest.raises(errors.WaitTimeoutError) as caught:
        await client.jobs.wait("j1", policy=FAST_POLL, timeout=0.05)
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert isinstance(error.last, Job)
    assert error.last.status == "Running"
    assert error.resource_id == "j1"
    assert "j1" in str(error)


async def test_watch_timeout_keeps_what_was_yielded(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/jobs/j1", job_json(status="Queued"))
    seen: list[str | None] = []

    async def follow() -> None:
        async for job in client.jobs.watch("j1", policy=FAST_POLL.with_timeout(0.05)):
            seen.append(job.status)

    with pytest.raises(errors.WaitTimeoutError) as caught:
        await follow()
    assert seen == ["Queued"]
    assert caught.value.last.status == "Queued"


async def test_a_missing_job_ends_the_watch(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/jobs/j1", Reply(status=404, json={"errors": [{"message": "no such job"}]}))
    with pytest.raises(errors.NotFoundError, match="no such job"):
        await client.jobs.wait("j1", policy=FAST_POLL)
    assert len(api.sent) == 1


def session_listing(statuses: dict[str, str]) -> dict[str, Any]:
    jobs = [job_json(job_id, status) for job_id, status in statuses.items()]
    return {"jobs": jobs, "count": len(jobs), "limit": 200, "offset": 0}


async def test_watch_many_in_a_session_lists_once_per_tick(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on(
        "GET",
        "/jobs",
        session_listing({"j1": "Queued", "j2": "Queued", "j3": "Running", "other": "Running"}),
        session_listing({"j1": "Running", "j2": "Queued", "j3": "Completed", "other": "Running"}),
        session_listing({"j1": "Completed", "j2": "Failed", "other": "Running"}),
    )
    api.on("GET", "/jobs/j3", job_json("j3", "Completed"))
    events: list[WatchEvent[Job]] = []
    async with client.jobs.watch_many(["j1", "j2", "j3"], session_id="s1", policy=FAST_POLL) as g:
        async for event in g:
            events.append(event)
        stats = g.stats
    finals = {e.id: e.snapshot.status for e in events if e.final and e.snapshot is not None}
    assert finals == {"j1": "Completed", "j2": "Failed", "j3": "Completed"}
    assert all(e.ok for e in events)
    listings = api.to("GET", "/jobs")
    assert stats.single_requests == 0
    assert api.to("GET", "/jobs/j3") == []
    assert len(listings) == stats.list_requests == stats.ticks
    assert all(
        s.query
        == {"session_id": ["s1"], "exclude_params": ["true"], "limit": ["200"], "offset": ["0"]}
        for s in listings
    )


async def test_watch_many_fetches_a_job_missing_from_the_listing(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on("GET", "/jobs", session_listing({"j1": "Completed"}))
    api.on("GET", "/jobs/j2", job_json("j2", "Cancelled - Ran too long"))
    group = client.jobs.watch_many(["j1", "j2"], session_id="s1", policy=FAST_POLL)
    async with group:
        events = [event async for event in group]
    assert {e.id for e in events if e.final} == {"j1", "j2"}
    (single,) = api.to("GET", "/jobs/j2")
    assert single.query == {"exclude_params": ["true"]}


async def test_watch_many_without_a_session_polls_each_job(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on("GET", "/jobs/a", job_json("a", "Running"), job_json("a", "Completed"))
    api.on("GET", "/jobs/b", job_json("b", "Failed"))
    policy = PollPolicy(interval=0.001, min_interval=0.0, jitter=0)
    async with client.jobs.watch_many(["a", "b"], policy=policy) as group:
        events = [(e.id, e.snapshot.status if e.snapshot else None) async for e in group]
    assert sorted(events) == [("a", "Completed"), ("a", "Running"), ("b", "Failed")]
    assert [s.path for s in api.sent].count("/runtime/jobs/a") == 2
    assert [s.path for s in api.sent].count("/runtime/jobs/b") == 1
