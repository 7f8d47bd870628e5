"""IBM runtime jobs and backends through the SDK, against the emulator over HTTP."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from datetime import datetime, timedelta, timezone

import pytest

from qruntime_async import (
    BadRequestError,
    ConflictError,
    IBMRuntimeClient,
    NotFoundError,
    RateLimitError,
    WaitTimeoutError,
)
from qruntime_async.emulator import IBM_BACKEND, IBM_BUSY_BACKEND, Emulator, EmulatorConfig
from qruntime_async.errors import ResponseDecodeError
from qruntime_async.ibm import EstimatorResult, JobStatus

from .conftest import BROKEN_QASM, FAST, SPEED, ibm_for, sampler_params, user_tags

OTHER_BACKEND = "ibm_kyiv"


async def test_submit_get_and_read_every_view_of_a_completed_job(
    ibm_client: IBMRuntimeClient,
) -> None:
    answer = await ibm_client.jobs.submit(
        "sampler",
        backend=IBM_BACKEND,
        params=sampler_params(shots=200),
        tags=["integration", "bell"],
        log_level="info",
    )
    assert answer.backend == IBM_BACKEND
    assert answer.session_id is None

    fresh = await ibm_client.jobs.get(answer.id)
    assert fresh.id == answer.id
    assert fresh.current_status in (JobStatus.QUEUED, JobStatus.RUNNING)
    assert not fresh.is_final
    assert fresh.instance == ibm_client.instance
    assert fresh.program_id == "sampler"
    assert user_tags(fresh.tags) == ["integration", "bell"]
    assert fresh.params == sampler_params(shots=200)

    done = await ibm_client.jobs.wait(answer.id, policy=FAST, timeout=10)
    assert done.is_completed
    assert done.is_final
    assert not done.ran_too_long
    assert done.status == JobStatus.COMPLETED
    assert done.ended is not None
    assert done.created is not None
    assert done.ended > done.created
    assert done.usage is not None
    assert done.usage.seconds is not None
    assert done.usage.seconds > 0

    counts = await ibm_client.jobs.counts(answer.id)
    assert counts is not None
    assert len(counts) == 1
    assert set(counts[0]) <= {"00", "11"}
    assert sum(counts[0].values()) == 200

    results = await ibm_client.jobs.results(answer.id)
    assert results["metadata"]["job_id"] == answer.id
    assert results["results"][0]["metadata"]["shots"] == 200

    logs = await ibm_client.jobs.logs(answer.id)
    assert answer.id in logs
    assert "Completed" in logs.splitlines()[-1]

    metrics = await ibm_client.jobs.metrics(answer.id)
    assert metrics.timestamps is not None
    created, running, finished = (
        metrics.timestamps.created,
        metrics.timestamps.running,
        metrics.timestamps.finished,
    )
    assert created is not None
    assert running is not None
    assert finished is not None
    assert created <= running < finished
    assert metrics.usage is not None
    assert metrics.usage.seconds is not None
    assert metrics.usage.seconds > 0
    assert metrics.position_in_queue is None

    without = await ibm_client.jobs.get(answer.id, exclude_params=True)
    assert without.params is None
    assert without.status == JobStatus.COMPLETED


async def test_estimator_results_are_computed_from_the_circuit(
    ibm_client: IBMRuntimeClient,
) -> None:
    answer = await ibm_client.jobs.submit(
        "estimator",
        backend=IBM_BACKEND,
        params={"pubs": [[sampler_params()["pubs"][0][0], ["ZZ", "XX", "ZI"]]], "version": 2},
    )
    await ibm_client.jobs.wait(answer.id, policy=FAST, timeout=10)
    results = await ibm_client.jobs.results(answer.id)
    assert results["results"][0]["data"]["evs"] == pytest.approx([1.0, 1.0, 0.0], abs=1e-9)
    decoded = await ibm_client.jobs.result(answer.id)
    assert isinstance(decoded, EstimatorResult)
    assert decoded.pubs[0].evs == pytest.approx([1.0, 1.0, 0.0], abs=1e-9)
    with pytest.raises(ResponseDecodeError):
        await ibm_client.jobs.counts(answer.id)


async def test_set_tags_replaces_the_tags(ibm_client: IBMRuntimeClient) -> None:
    answer = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BACKEND, params=sampler_params(), tags=["a"]
    )
    await ibm_client.jobs.set_tags(answer.id, ["b", "c"])
    assert (await ibm_client.jobs.get(answer.id)).tags == ["b", "c"]
    await ibm_client.jobs.set_tags(answer.id, [])
    assert (await ibm_client.jobs.get(answer.id)).tags == []


async def test_cancel_a_queued_job_then_cancel_again_is_a_conflict(
    ibm_client: IBMRuntimeClient,
) -> None:
    answer = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BUSY_BACKEND, params=sampler_params()
    )
    metrics = await ibm_client.jobs.metrics(answer.id)
    assert metrics.position_in_queue is not None
    assert metrics.position_in_queue >= 1
    assert metrics.estimated_start_time is not None
    assert metrics.timestamps is not None
    assert metrics.timestamps.running is None
    await ibm_client.jobs.cancel(answer.id)
    job = await ibm_client.jobs.wait(answer.id, policy=FAST, timeout=5)
    assert job.is_cancelled
    assert job.is_final
    assert not job.ran_too_long
    assert job.status == JobStatus.CANCELLED
    with pytest.raises(ConflictError) as info:
        await ibm_client.jobs.cancel(answer.id)
    assert info.value.status == 409
    with pytest.raises(BadRequestError, match="no result"):
        await ibm_client.jobs.results(answer.id)


async def test_watch_a_running_job_until_it_is_cancelled(ibm_client: IBMRuntimeClient) -> None:
    # 100 000 shots keep the job running for 50 virtual seconds (a quarter of a real second).
    answer = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BACKEND, params=sampler_params(shots=100_000)
    )
    seen: list[str | None] = []
    async with aclosing(ibm_client.jobs.watch(answer.id, policy=FAST, timeout=10)) as events:
        async for job in events:
            seen.append(job.status)
            if job.status == JobStatus.RUNNING:
                await ibm_client.jobs.cancel(answer.id)
    assert seen[-1] == JobStatus.CANCELLED
    assert JobStatus.RUNNING in seen
    assert seen.index(JobStatus.RUNNING) < seen.index(JobStatus.CANCELLED)
    assert len(seen) == len(set(seen)), "a watch yields each state once"
    final = await ibm_client.jobs.get(answer.id)
    assert final.state is not None
    assert final.state.reason == "Cancelled by user"


async def test_a_job_past_its_max_execution_time_ran_too_long(
    ibm_client: IBMRuntimeClient,
) -> None:
    # 20 000 shots take 12 virtual seconds; the job may run for 1.
    answer = await ibm_client.jobs.submit(
        "sampler",
        backend=IBM_BACKEND,
        params=sampler_params(shots=20_000),
        max_execution_time=timedelta(seconds=1),
    )
    statuses = []
    async with aclosing(ibm_client.jobs.watch(answer.id, policy=FAST, timeout=10)) as events:
        async for job in events:
            statuses.append(job.status)
    assert statuses[-1] == JobStatus.CANCELLED_RAN_TOO_LONG
    job = await ibm_client.jobs.wait(answer.id, policy=FAST, timeout=5)
    assert job.ran_too_long
    assert job.is_final
    assert job.is_cancelled
    assert job.state is not None
    assert job.state.reason_code == 1305
    assert job.cost == 1
    with pytest.raises(BadRequestError):
        await ibm_client.jobs.results(answer.id)


async def test_jobs_that_fail_end_failed() -> None:
    config = EmulatorConfig(speed=SPEED, job_failure_rate=1.0)
    async with Emulator(config) as emu, ibm_for(emu) as client:
        answer = await client.jobs.submit("sampler", backend=IBM_BACKEND, params=sampler_params())
        job = await client.jobs.wait(answer.id, policy=FAST, timeout=10)
        assert job.is_failed
        assert job.is_final
        assert not job.is_completed
        assert job.status == JobStatus.FAILED
        assert job.state is not None
        assert job.state.reason
        with pytest.raises(BadRequestError):
            await client.jobs.results(answer.id)


async def test_an_unreadable_circuit_fails_the_job(ibm_client: IBMRuntimeClient) -> None:
    answer = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BACKEND, params=sampler_params(circuit=BROKEN_QASM)
    )
    job = await ibm_client.jobs.wait(answer.id, policy=FAST, timeout=10)
    assert job.is_failed
    assert job.state is not None
    assert "out of range" in (job.state.reason or "")


async def test_wait_timeout_carries_the_last_state(ibm_client: IBMRuntimeClient) -> None:
    answer = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BUSY_BACKEND, params=sampler_params()
    )
    with pytest.raises(WaitTimeoutError) as info:
        await ibm_client.jobs.wait(answer.id, policy=FAST, timeout=0.15)
    assert info.value.resource_id == answer.id
    assert info.value.last is not None
    assert info.value.last.status == JobStatus.QUEUED
    await ibm_client.jobs.cancel(answer.id)


async def test_delete_removes_the_job(ibm_client: IBMRuntimeClient) -> None:
    answer = await ibm_client.jobs.submit("sampler", backend=IBM_BACKEND, params=sampler_params())
    await ibm_client.jobs.delete(answer.id)
    with pytest.raises(NotFoundError) as info:
        await ibm_client.jobs.get(answer.id)
    assert info.value.status == 404
    assert answer.id not in {job.id async for job in ibm_client.jobs.list()}


async def test_list_filters(ibm_client: IBMRuntimeClient) -> None:
    first = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BACKEND, params=sampler_params(), tags=["red"]
    )
    await asyncio.sleep(0.01)
    second = await ibm_client.jobs.submit(
        "estimator",
        backend=OTHER_BACKEND,
        params={"pubs": [[sampler_params()["pubs"][0][0], "ZZ"]]},
        tags=["red", "blue"],
    )
    await asyncio.sleep(0.01)
    third = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BUSY_BACKEND, params=sampler_params(), tags=["blue"]
    )

    async def ids(**filters: object) -> list[str]:
        return [job.id async for job in ibm_client.jobs.list(**filters)]  # type: ignore[arg-type]

    assert await ids() == [third.id, second.id, first.id]
    assert await ids(order="asc") == [first.id, second.id, third.id]
    assert await ids(backend=OTHER_BACKEND) == [second.id]
    assert await ids(program="sampler") == [third.id, first.id]
    assert await ids(tags=["red"]) == [second.id, first.id]
    assert await ids(tags=["red", "blue"]) == [second.id]

    await ibm_client.jobs.wait(first.id, policy=FAST, timeout=10)
    await ibm_client.jobs.wait(second.id, policy=FAST, timeout=10)
    assert await ids(pending=True) == [third.id]
    assert await ids(pending=False) == [second.id, first.id]

    created = (await ibm_client.jobs.get(second.id)).created
    assert created is not None
    assert await ids(created_after=created, order="asc") == [second.id, third.id]
    assert await ids(created_before=created) == [second.id, first.id]
    future = datetime.now(timezone.utc) + timedelta(days=365)
    assert await ids(created_after=future) == []

    listed = [job async for job in ibm_client.jobs.list(exclude_params=True)]
    assert listed
    assert all(job.params is None for job in listed)
    await ibm_client.jobs.cancel(third.id)


async def test_offset_paging_over_120_jobs(ibm_client: IBMRuntimeClient) -> None:
    answers = await asyncio.gather(
        *(
            ibm_client.jobs.submit(
                "sampler", backend=IBM_BACKEND, params=sampler_params(), tags=[f"n{i}"]
            )
            for i in range(120)
        )
    )
    created = {a.id for a in answers}
    assert len(created) == 120

    pager = ibm_client.jobs.list(page_size=25)
    pages = [page async for page in pager.pages()]
    assert [len(page.items) for page in pages] == [25, 25, 25, 25, 20]
    assert all(page.total == 120 for page in pages)
    assert pages[-1].next_token is None
    listed = [job.id for page in pages for job in page.items]
    assert len(listed) == len(set(listed)) == 120
    assert set(listed) == created

    # The same listing item by item, read ahead, gives the same order.
    assert [job.id async for job in ibm_client.jobs.list(page_size=25, read_ahead=True)] == listed

    # Resuming from a saved token goes on exactly where that page started.
    resumed = [job.id async for job in ibm_client.jobs.list(page_token=pages[2].token)]
    assert resumed == listed[50:]
    token = pages[1].next_token
    assert token is not None
    later = ibm_client.jobs.list(page_size=25)
    resumed_pages = [page async for page in later.pages(start=token)]
    assert [job.id for page in resumed_pages for job in page.items] == listed[50:]

    limited = [job.id async for job in ibm_client.jobs.list(page_size=25, limit=30)]
    assert limited == listed[:30]

    # A token of another listing is refused rather than misread.
    with pytest.raises(ValueError, match="another listing"):
        ibm_client.jobs.list(backend=OTHER_BACKEND, page_token=pages[1].token)


async def test_watch_many_jobs_outside_a_session(ibm_client: IBMRuntimeClient) -> None:
    answers = [
        await ibm_client.jobs.submit("sampler", backend=IBM_BACKEND, params=sampler_params())
        for _ in range(4)
    ]
    ids = {a.id for a in answers}
    finals: dict[str, str | None] = {}
    async with ibm_client.jobs.watch_many(ids, policy=FAST, timeout=10) as group:
        async for event in group:
            assert event.ok
            if event.final:
                assert event.snapshot is not None
                finals[event.id] = event.snapshot.status
    assert finals == dict.fromkeys(ids, JobStatus.COMPLETED)
    assert group.stats.list_requests == 0
    assert group.stats.single_requests >= 4


async def test_watch_many_reports_a_job_deleted_meanwhile(ibm_client: IBMRuntimeClient) -> None:
    keep = await ibm_client.jobs.submit("sampler", backend=IBM_BACKEND, params=sampler_params())
    gone = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BUSY_BACKEND, params=sampler_params()
    )
    await ibm_client.jobs.delete(gone.id)
    events = {}
    async with ibm_client.jobs.watch_many([keep.id, gone.id], policy=FAST, timeout=10) as group:
        async for event in group:
            if event.final or not event.ok:
                events[event.id] = event
    assert events[keep.id].ok
    assert events[keep.id].final
    assert isinstance(events[gone.id].error, NotFoundError)


async def test_backends_list(ibm_client: IBMRuntimeClient) -> None:
    backends = await ibm_client.backends.list()
    names = backends.names
    assert IBM_BACKEND in names
    assert IBM_BUSY_BACKEND in names
    assert len(names) == len(set(names)) == 4
    scoped = await ibm_client.backends.list(provider=ibm_client.instance)
    assert scoped.names == names


async def test_a_private_job_hides_its_params(ibm_client: IBMRuntimeClient) -> None:
    answer = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BACKEND, params=sampler_params(), private=True
    )
    assert answer.private is True
    job = await ibm_client.jobs.wait(answer.id, policy=FAST, timeout=10)
    assert job.private is True
    assert job.params == {}
    assert job.is_completed


async def test_job_creation_over_the_rate_limit_is_a_rate_limit_error() -> None:
    config = EmulatorConfig(speed=SPEED, ibm_job_rate_limit=2)
    async with Emulator(config) as emu, ibm_for(emu) as client:
        for _ in range(2):
            await client.jobs.submit("sampler", backend=IBM_BACKEND, params=sampler_params())
        # The server asks to come back in about a minute: more than this client waits for.
        impatient = client.with_options(retry=client.retry_policy.with_retry_after_cap(1.0))
        with pytest.raises(RateLimitError) as info:
            await impatient.jobs.submit("sampler", backend=IBM_BACKEND, params=sampler_params())
        assert info.value.status == 429
        assert info.value.retry_after is not None
        assert 1 < info.value.retry_after <= 60
        assert len(await client.jobs.list().to_list()) == 2


async def test_leaving_a_read_ahead_listing_early_leaves_nothing_running(
    ibm_client: IBMRuntimeClient,
) -> None:
    for _ in range(12):
        await ibm_client.jobs.submit("sampler", backend=IBM_BACKEND, params=sampler_params())
    seen = []
    async with ibm_client.jobs.list(page_size=5, read_ahead=True) as pager:
        async for job in pager:
            seen.append(job.id)
            if len(seen) == 7:
                break
    assert len(set(seen)) == 7
    # The client is still usable and the pager starts afresh when iterated again.
    assert len(await pager.to_list()) == 12
