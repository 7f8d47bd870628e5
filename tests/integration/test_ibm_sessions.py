"""IBM runtime sessions through the SDK, against the emulator over HTTP."""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing

import pytest

from qruntime_async import BadRequestError, IBMRuntimeClient, NotFoundError
from qruntime_async.emulator import IBM_BACKEND, IBM_BUSY_BACKEND
from qruntime_async.ibm import JobStatus, SessionState, WorkloadStatus

from .conftest import FAST, VERY_FAST, Control, sampler_params


async def test_create_get_details_and_the_open_plan_warning(
    ibm_client: IBMRuntimeClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="qruntime_async"):
        created = await ibm_client.sessions.create(
            backend=IBM_BACKEND, mode="dedicated", max_ttl=600
        )
    # The default instance is on the open plan, which runs dedicated sessions as jobs.
    assert [n.level for n in created.notices] == ["warn"]
    assert "open plan" in (created.notices[0].data or "")
    assert any("open plan" in r.getMessage() for r in caplog.records)

    session = await ibm_client.sessions.get(created.id)
    assert session.id == created.id
    assert session.state == SessionState.OPEN
    assert not session.is_final
    assert session.backend_name == IBM_BACKEND
    assert session.mode == "dedicated"
    assert session.max_ttl == 600
    assert session.accepting_jobs is True
    assert session.started_at is None
    assert session.created_at is not None

    details = await ibm_client.sessions.details(created.id)
    assert details.id == created.id
    assert details.instance == ibm_client.instance
    assert details.status == WorkloadStatus.PENDING
    assert not details.is_final
    assert details.session_remaining_time_seconds is not None
    assert 0 < details.session_remaining_time_seconds <= 600
    assert details.timestamps is not None
    assert [t.status for t in details.timestamps] == ["pending"]
    await ibm_client.sessions.cancel(created.id)


async def test_jobs_of_a_session_and_a_gentle_close(ibm_client: IBMRuntimeClient) -> None:
    created = await ibm_client.sessions.create(backend=IBM_BACKEND, mode="batch")
    assert created.notices == []
    ids = [
        (
            await ibm_client.jobs.submit(
                "sampler", backend=IBM_BACKEND, params=sampler_params(), session_id=created.id
            )
        ).id
        for _ in range(3)
    ]
    listed = [job async for job in ibm_client.sessions.jobs(created.id, page_size=2)]
    assert sorted(job.id for job in listed) == sorted(ids)
    assert all(job.session_id == created.id for job in listed)

    await ibm_client.sessions.close(created.id)
    closing = await ibm_client.sessions.get(created.id)
    assert closing.accepting_jobs is False
    with pytest.raises(BadRequestError) as info:
        await ibm_client.jobs.submit(
            "sampler", backend=IBM_BACKEND, params=sampler_params(), session_id=created.id
        )
    assert info.value.status == 400
    assert "closed" in info.value.message.lower()

    # The jobs already queued still run, then the session closes by itself.
    closed = await ibm_client.sessions.wait(created.id, policy=FAST, timeout=10)
    assert closed.state == SessionState.CLOSED
    assert closed.is_final
    for job_id in ids:
        assert (await ibm_client.jobs.get(job_id)).status == JobStatus.COMPLETED
    details = await ibm_client.sessions.details(created.id)
    assert details.status == WorkloadStatus.COMPLETED
    assert details.status_reason == "session_closed_no_more_jobs"
    with pytest.raises(BadRequestError):
        await ibm_client.sessions.update(created.id, accepting_jobs=True)


async def test_update_stops_and_resumes_accepting_jobs(ibm_client: IBMRuntimeClient) -> None:
    created = await ibm_client.sessions.create(backend=IBM_BUSY_BACKEND, mode="batch")
    queued = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BUSY_BACKEND, params=sampler_params(), session_id=created.id
    )
    await ibm_client.sessions.update(created.id, accepting_jobs=False)
    assert (await ibm_client.sessions.get(created.id)).accepting_jobs is False
    await ibm_client.sessions.update(created.id, accepting_jobs=True)
    assert (await ibm_client.sessions.get(created.id)).accepting_jobs is True
    again = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BUSY_BACKEND, params=sampler_params(), session_id=created.id
    )
    assert again.session_id == created.id

    await ibm_client.sessions.cancel(created.id)
    canceled = await ibm_client.sessions.wait(created.id, policy=FAST, timeout=5)
    assert canceled.state == SessionState.CANCELED
    assert canceled.is_final
    assert canceled.accepting_jobs is False
    for job_id in (queued.id, again.id):
        job = await ibm_client.jobs.wait(job_id, policy=FAST, timeout=5)
        assert job.is_cancelled
    details = await ibm_client.sessions.details(created.id)
    assert details.status == WorkloadStatus.CANCELED
    assert details.is_final


async def test_session_context_closes_gently_on_a_normal_exit(
    ibm_client: IBMRuntimeClient,
) -> None:
    async with ibm_client.session(backend=IBM_BACKEND, mode="batch") as session:
        first = await session.submit("sampler", params=sampler_params())
        second = await session.submit("sampler", params=sampler_params(), tags=["two"])
        assert first.session_id == second.session_id == session.id
        assert (await session.get()).accepting_jobs is True
        assert (await session.details()).instance == ibm_client.instance
        assert {job.id async for job in session.jobs()} == {first.id, second.id}
    after = await ibm_client.sessions.get(session.id)
    assert after.accepting_jobs is False
    assert after.state != SessionState.CANCELED
    closed = await ibm_client.sessions.wait(session.id, policy=FAST, timeout=10)
    assert closed.state == SessionState.CLOSED
    for job_id in (first.id, second.id):
        assert (await ibm_client.jobs.get(job_id)).status == JobStatus.COMPLETED


async def test_session_context_cancels_on_an_error(ibm_client: IBMRuntimeClient) -> None:
    opened: dict[str, str] = {}

    async def block() -> None:
        async with ibm_client.session(backend=IBM_BUSY_BACKEND, mode="batch") as session:
            opened["session"] = session.id
            opened["job"] = (await session.submit("sampler", params=sampler_params())).id
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await block()
    canceled = await ibm_client.sessions.get(opened["session"])
    assert canceled.state == SessionState.CANCELED
    job = await ibm_client.jobs.get(opened["job"])
    assert job.status == JobStatus.CANCELLED
    assert job.state is not None
    assert job.state.reason == "Session cancelled"


async def test_session_context_can_keep_the_session_on_an_error(
    ibm_client: IBMRuntimeClient,
) -> None:
    opened: dict[str, str] = {}

    async def block() -> None:
        async with ibm_client.session(
            backend=IBM_BUSY_BACKEND, mode="batch", cancel_on_error=False
        ) as session:
            opened["session"] = session.id
            opened["job"] = (await session.submit("sampler", params=sampler_params())).id
            raise KeyError("x")

    with pytest.raises(KeyError):
        await block()
    # Closed gently instead: no new jobs, but the queued one is still there to run.
    kept = await ibm_client.sessions.get(opened["session"])
    assert kept.state != SessionState.CANCELED
    assert kept.accepting_jobs is False
    assert (await ibm_client.jobs.get(opened["job"])).status == JobStatus.QUEUED
    await ibm_client.sessions.cancel(opened["session"])


async def test_watch_jobs_of_a_session_with_one_listing_a_tick(
    ibm_client: IBMRuntimeClient,
) -> None:
    async with ibm_client.session(backend=IBM_BACKEND, mode="batch") as session:
        ids = [(await session.submit("sampler", params=sampler_params())).id for _ in range(5)]
        finals = {}
        async with session.watch_jobs(ids, policy=FAST, timeout=15) as group:
            async for event in group:
                assert event.ok
                if event.final:
                    assert event.snapshot is not None
                    finals[event.id] = event.snapshot.status
    assert finals == dict.fromkeys(ids, JobStatus.COMPLETED)
    assert group.stats.list_requests >= 1
    assert group.stats.single_requests == 0


async def test_ttl_transitions_open_active_inactive_closed(ibm_client: IBMRuntimeClient) -> None:
    # max_ttl runs from the first job's start: 150 virtual seconds are 0.75 real seconds, past
    # the 60 s interactive TTL that follows the job (active -> inactive).
    created = await ibm_client.sessions.create(backend=IBM_BACKEND, mode="batch", max_ttl=150)
    assert (await ibm_client.sessions.get(created.id)).state == SessionState.OPEN
    await ibm_client.jobs.submit(
        "sampler", backend=IBM_BACKEND, params=sampler_params(), session_id=created.id
    )
    states: list[str | None] = []
    async with aclosing(
        ibm_client.sessions.watch(created.id, fields=("state",), policy=VERY_FAST, timeout=10)
    ) as events:
        async for session in events:
            states.append(session.state)
    assert [s for s in states if s != SessionState.OPEN] == [
        SessionState.ACTIVE,
        SessionState.INACTIVE,
        SessionState.CLOSED,
    ]
    details = await ibm_client.sessions.details(created.id)
    assert details.status == WorkloadStatus.COMPLETED
    assert details.status_reason == "session_max_ttl_expired"
    assert details.closed_at is not None
    assert details.started_at is not None
    assert details.timestamps is not None
    assert [t.status for t in details.timestamps] == ["pending", "in_progress", "completed"]


async def test_ttl_states_step_by_step_on_a_frozen_clock(
    ibm_client: IBMRuntimeClient, control: Control
) -> None:
    await control.clock(speed=0)
    created = await ibm_client.sessions.create(backend=IBM_BACKEND, mode="batch", max_ttl=300)
    # 20 000 shots: the job runs for 12 virtual seconds once out of the queue (1.5 to 4.5 s).
    job = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BACKEND, params=sampler_params(shots=20_000), session_id=created.id
    )

    async def state() -> str | None:
        return (await ibm_client.sessions.get(created.id)).state

    assert await state() == SessionState.OPEN
    await control.clock(advance=5)  # past the queue: the job runs
    assert (await ibm_client.jobs.get(job.id)).status == JobStatus.RUNNING
    assert await state() == SessionState.ACTIVE
    await control.clock(advance=30)  # the job is done; the interactive TTL (60 s) runs
    assert (await ibm_client.jobs.get(job.id)).status == JobStatus.COMPLETED
    assert await state() == SessionState.ACTIVE
    await control.clock(advance=60)
    assert await state() == SessionState.INACTIVE
    details = await ibm_client.sessions.details(created.id)
    assert details.status_reason == "session_inactivated_by_interactive_ttl"
    await control.clock(advance=300)
    assert await state() == SessionState.CLOSED


async def test_unknown_session_is_not_found(ibm_client: IBMRuntimeClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await ibm_client.sessions.get("cnotasession000000000")
    assert info.value.status == 404
    with pytest.raises(NotFoundError):
        await ibm_client.sessions.cancel("cnotasession000000000")


async def test_a_cancelled_block_still_cancels_its_session(ibm_client: IBMRuntimeClient) -> None:
    opened: dict[str, str] = {}
    inside = asyncio.Event()

    async def block() -> None:
        async with ibm_client.session(backend=IBM_BUSY_BACKEND, mode="batch") as session:
            opened["session"] = session.id
            opened["job"] = (await session.submit("sampler", params=sampler_params())).id
            inside.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(block())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await ibm_client.sessions.get(opened["session"])).state == SessionState.CANCELED
    assert (await ibm_client.jobs.get(opened["job"])).status == JobStatus.CANCELLED
