"""Scaleway QaaS through the SDK, against the emulator over HTTP."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from datetime import timedelta

import pytest

from qruntime_async import (
    APIStatusError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ScalewayQaaSClient,
    WaitTimeoutError,
)
from qruntime_async.emulator import (
    SCALEWAY_AER_PLATFORM,
    SCALEWAY_AER_PLATFORM_ID,
    SCALEWAY_GPU_PLATFORM_ID,
    SCALEWAY_OTHER_PROJECT_ID,
    SCALEWAY_OTHER_SECRET_KEY,
    SCALEWAY_PHOTONIC_PLATFORM_ID,
    SCALEWAY_QPU_PLATFORM_ID,
    Emulator,
    EmulatorConfig,
)
from qruntime_async.scaleway import JobStatus, SessionStatus, SessionStoppedError

from .conftest import BELL, BROKEN_QASM, FAST, SPEED, VERY_FAST, Control, scaleway_for, user_tags

#: One million shots keep a job running for 200 virtual seconds (one real second).
LONG = {"shots": 1_000_000}


async def test_platforms_list_filter_page_and_get(scaleway_client: ScalewayQaaSClient) -> None:
    platforms = await scaleway_client.platforms.list().to_list()
    assert len(platforms) == 4
    names = [p.name or "" for p in platforms]
    assert names == sorted(names)  # the server's default order: name_asc
    by_id = {p.id: p for p in platforms}
    aer = by_id[SCALEWAY_AER_PLATFORM_ID]
    assert aer.name == SCALEWAY_AER_PLATFORM
    assert aer.is_simulator
    assert aer.is_available
    assert not aer.is_qpu
    assert aer.hardware is not None
    assert aer.hardware.vcpus == 16
    assert aer.price_per_hour is not None
    assert str(aer.price_per_hour) == "2.4 EUR"
    assert aer.metadata_dict()["simulator"] == "aer"
    assert by_id[SCALEWAY_QPU_PLATFORM_ID].is_qpu

    listing = scaleway_client.platforms.list
    assert [p.id for p in await listing(platform_type="qpu").to_list()] == [
        SCALEWAY_QPU_PLATFORM_ID
    ]
    photonic = await listing(platform_technology="photonic").to_list()
    assert {p.id for p in photonic} == {SCALEWAY_PHOTONIC_PLATFORM_ID, SCALEWAY_QPU_PLATFORM_ID}
    assert [p.id for p in await listing(name=SCALEWAY_AER_PLATFORM).to_list()] == [aer.id]
    assert len(await listing(provider_name="aer").to_list()) == 2
    descending = await listing(order_by="name_desc").to_list()
    assert [p.name for p in descending] == names[::-1]

    pages = [page async for page in listing(page_size=1).pages()]
    assert [len(page.items) for page in pages] == [1, 1, 1, 1]
    assert [p.id for page in pages for p in page.items] == [p.id for p in platforms]
    assert all(page.total == 4 for page in pages)

    assert await scaleway_client.platforms.get(aer.id) == aer
    with pytest.raises(NotFoundError) as info:
        await scaleway_client.platforms.get("00000000-0000-4000-8000-000000000000")
    assert info.value.status == 404


async def test_session_lifecycle_calls(scaleway_client: ScalewayQaaSClient) -> None:
    sessions = scaleway_client.sessions
    created = await sessions.create(
        SCALEWAY_AER_PLATFORM_ID,
        name="integration",
        max_idle_duration=timedelta(minutes=5),
        max_duration=900,
        tags=["t1"],
        deduplication_id="dedup-1",
        parameters={"method": "statevector"},
    )
    assert created.status == SessionStatus.STARTING
    assert created.is_transient
    assert created.name == "integration"
    assert created.platform_id == SCALEWAY_AER_PLATFORM_ID
    assert created.project_id == scaleway_client.project_id
    assert created.max_idle_duration == timedelta(minutes=5)
    assert created.max_duration == timedelta(seconds=900)
    assert created.tags == ["t1"]
    assert created.parameters_dict() == {"method": "statevector"}
    assert created.waiting_job_count == 0
    assert created.finished_job_count == 0

    again = await sessions.create(SCALEWAY_AER_PLATFORM_ID, deduplication_id="dedup-1")
    assert again.id == created.id, "a deduplication id reuses the live session"
    other = await sessions.create(SCALEWAY_AER_PLATFORM_ID, name="other", tags=["t2"])

    running = await sessions.wait(created.id, until="running", policy=FAST, timeout=5)
    assert running.is_running
    assert running.started_at is not None

    updated = await sessions.update(
        created.id, name="renamed", tags=["t1", "t3"], max_idle_duration=120
    )
    assert updated.name == "renamed"
    assert updated.tags == ["t1", "t3"]
    assert updated.max_idle_duration == timedelta(seconds=120)
    assert (await sessions.get(created.id)).name == "renamed"

    assert {s.id for s in await sessions.list().to_list()} == {created.id, other.id}
    assert [s.id for s in await sessions.list(tags=["t3"]).to_list()] == [created.id]
    assert [s.id for s in await sessions.list(order_by="name_asc").to_list()] == [
        other.id,
        created.id,
    ]
    assert len(await sessions.list(platform_id=SCALEWAY_AER_PLATFORM_ID).to_list()) == 2
    assert await sessions.list(platform_id=SCALEWAY_PHOTONIC_PLATFORM_ID).to_list() == []

    stopping = await sessions.terminate(created.id)
    assert stopping.status in (SessionStatus.STOPPING, SessionStatus.STOPPED)
    stopped = await sessions.wait(created.id, policy=FAST, timeout=5)
    assert stopped.status == SessionStatus.STOPPED
    assert stopped.is_final
    assert stopped.terminated_at is not None
    with pytest.raises(APIStatusError) as info:
        await scaleway_client.jobs.create(created.id, BELL)
    assert info.value.status == 412

    await sessions.delete(created.id)
    with pytest.raises(NotFoundError):
        await sessions.get(created.id)
    assert [s.id for s in await sessions.list().to_list()] == [other.id]


async def test_jobs_calls_and_results(scaleway_client: ScalewayQaaSClient) -> None:
    async with scaleway_client.session(
        platform_id=SCALEWAY_AER_PLATFORM_ID, name="jobs", policy=FAST, start_timeout=5
    ) as session:
        assert session.session is not None
        assert session.session.is_running
        job = await session.submit(BELL, name="bell", tags=["x", "y"], parameters={"shots": 300})
        assert job.session_id == session.id
        assert job.name == "bell"
        assert user_tags(job.tags) == ["x", "y"]
        assert job.parameters_dict() == {"shots": 300}
        assert not job.is_final

        circuit = await scaleway_client.jobs.circuit(job.id)
        assert circuit.qiskit_circuit == BELL
        assert circuit.perceval_circuit is None

        done = await scaleway_client.jobs.wait(job.id, policy=FAST, timeout=10)
        assert done.status == JobStatus.COMPLETED
        assert done.is_completed
        assert done.is_final
        assert done.job_duration is not None
        assert done.job_duration > timedelta(0)
        assert done.result_distribution is not None

        results = await scaleway_client.jobs.results(job.id).to_list()
        assert len(results) == 1
        assert results[0].job_id == job.id
        assert results[0].result  # the program-result envelope, as text
        (counts,) = await scaleway_client.jobs.counts(job.id)
        assert set(counts) <= {"00", "11"}
        assert sum(counts.values()) == 300

        renamed = await scaleway_client.jobs.update(job.id, name="bell-2", tags=["z"])
        assert renamed.name == "bell-2"
        assert renamed.tags == ["z"]
        assert (await scaleway_client.jobs.get(job.id)).name == "bell-2"

        counted = await session.get()
        assert counted.finished_job_count == 1
        assert counted.waiting_job_count == 0

        second = await session.submit(BELL, name="second", tags=["y"])
        assert {j.id for j in await session.jobs().to_list()} == {job.id, second.id}
        listed = await scaleway_client.jobs.list(tags=["y"]).to_list()
        assert [j.id for j in listed] == [second.id]
        by_project = await scaleway_client.jobs.list(order_by="name_asc").to_list()
        assert [j.name for j in by_project] == ["bell-2", "second"]

        await scaleway_client.jobs.delete(second.id)
        with pytest.raises(NotFoundError):
            await scaleway_client.jobs.get(second.id)
        assert [j.id for j in await session.jobs().to_list()] == [job.id]
    # Leaving the block terminates the session.
    assert session.session is not None
    assert session.session.status in (SessionStatus.STOPPING, SessionStatus.STOPPED)


async def test_session_context_terminates_on_an_error(
    scaleway_client: ScalewayQaaSClient,
) -> None:
    opened: dict[str, str] = {}

    async def block() -> None:
        async with scaleway_client.session(
            platform_id=SCALEWAY_AER_PLATFORM_ID, policy=FAST, start_timeout=5
        ) as session:
            opened["session"] = session.id
            opened["job"] = (await session.submit(BELL, parameters=LONG)).id
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await block()
    final = await scaleway_client.jobs.wait(opened["job"], policy=FAST, timeout=5)
    assert final.status == JobStatus.CANCELLED
    stopped = await scaleway_client.sessions.wait(opened["session"], policy=FAST, timeout=5)
    assert stopped.status == SessionStatus.STOPPED


async def test_watch_a_job_to_each_final_state(scaleway_client: ScalewayQaaSClient) -> None:
    async with scaleway_client.session(
        platform_id=SCALEWAY_AER_PLATFORM_ID, policy=FAST, start_timeout=5
    ) as session:
        completed = await session.submit(BELL)
        broken = await session.submit(BROKEN_QASM)
        long = await session.submit(BELL, parameters=LONG)

        async def statuses(job_id: str) -> list[str]:
            seen = []
            watcher = scaleway_client.jobs.watch(job_id, policy=FAST, timeout=10)
            async with aclosing(watcher) as events:
                async for job in events:
                    seen.append(job.status)
                    if job.status == JobStatus.RUNNING and job_id == long.id:
                        await scaleway_client.jobs.cancel(job_id)
            return seen

        assert (await statuses(completed.id))[-1] == JobStatus.COMPLETED
        assert (await statuses(broken.id))[-1] == JobStatus.ERROR
        cancelled = await statuses(long.id)
        assert cancelled[-1] == JobStatus.CANCELLED
        assert JobStatus.RUNNING in cancelled
        error = await scaleway_client.jobs.get(broken.id)
        assert error.is_failed
        assert "out of range" in (error.progress_message or "")
        assert await scaleway_client.jobs.results(broken.id).to_list() == []


async def test_cancelling_is_not_final(
    scaleway_client: ScalewayQaaSClient, control: Control
) -> None:
    async with scaleway_client.session(
        platform_id=SCALEWAY_AER_PLATFORM_ID, policy=FAST, start_timeout=5
    ) as session:
        job = await session.submit(BELL, parameters=LONG)
        assert (await scaleway_client.jobs.get(job.id)).status == JobStatus.RUNNING
        await control.clock(speed=0)
        answer = await scaleway_client.jobs.cancel(job.id)
        assert answer.status == JobStatus.CANCELLING
        assert not answer.is_final
        with pytest.raises(WaitTimeoutError) as info:
            await scaleway_client.jobs.wait(job.id, policy=FAST, timeout=0.2)
        assert info.value.last.status == JobStatus.CANCELLING
        again = await scaleway_client.jobs.cancel(job.id)
        assert again.status == JobStatus.CANCELLING
        await control.clock(advance=5)
        final = await scaleway_client.jobs.wait(job.id, policy=FAST, timeout=5)
        assert final.status == JobStatus.CANCELLED
        assert final.is_cancelled
        assert final.started_at is not None
        with pytest.raises(APIStatusError) as refused:
            await scaleway_client.jobs.cancel(job.id)
        assert refused.value.status == 412


async def test_jobs_that_fail_end_in_error() -> None:
    async with (
        Emulator(EmulatorConfig(speed=SPEED, job_failure_rate=1.0)) as emu,
        scaleway_for(emu) as client,
        client.session(platform_id=SCALEWAY_AER_PLATFORM_ID, policy=FAST) as session,
    ):
        job = await session.submit(BELL)
        final = await client.jobs.wait(job.id, policy=FAST, timeout=10)
        assert final.status == JobStatus.ERROR
        assert final.is_failed
        assert final.progress_message


async def test_a_perceval_job_on_the_photonic_platform(
    scaleway_client: ScalewayQaaSClient,
) -> None:
    async with scaleway_client.session(
        platform_id=SCALEWAY_PHOTONIC_PLATFORM_ID, policy=FAST, start_timeout=5
    ) as session:
        job = await session.submit(perceval_circuit=":PCVL:zip:eJzLSM3JyVcozy/KSQEAGgQEXQ==")
        done = await scaleway_client.jobs.wait(job.id, policy=FAST, timeout=10)
        assert done.is_completed
        circuit = await scaleway_client.jobs.circuit(job.id)
        assert circuit.perceval_circuit is not None
        assert circuit.qiskit_circuit is None
        (result,) = await scaleway_client.jobs.results(job.id).to_list()
        assert sum(result.result_json()["results"].values()) == 1024
        qiskit = await session.submit(BELL)
        assert (await scaleway_client.jobs.wait(qiskit.id, policy=FAST, timeout=10)).is_failed


async def test_watch_many_jobs_of_a_session(scaleway_client: ScalewayQaaSClient) -> None:
    async with scaleway_client.session(
        platform_id=SCALEWAY_AER_PLATFORM_ID, policy=FAST, start_timeout=5
    ) as session:
        ids = [(await session.submit(BELL, name=f"j{i}")).id for i in range(5)]
        finals = {}
        async with session.watch_jobs(ids, policy=FAST, timeout=10) as group:
            async for event in group:
                assert event.ok
                if event.final:
                    assert event.snapshot is not None
                    finals[event.id] = event.snapshot.status
        assert finals == dict.fromkeys(ids, JobStatus.COMPLETED)
        assert group.stats.list_requests >= 1
        assert group.stats.single_requests == 0

        singles = {}
        extra = await session.submit(BELL)
        async with scaleway_client.jobs.watch_many([extra.id], policy=FAST) as one:
            async for event in one:
                singles[event.id] = event.snapshot.status if event.snapshot else None
        assert singles == {extra.id: JobStatus.COMPLETED}
        assert one.stats.single_requests >= 1


async def test_session_states_through_max_idle_duration() -> None:
    # At 100x: starting for 50 ms, running for 200 ms of idleness, stopping for 300 ms.
    config = EmulatorConfig(speed=100, scaleway_stop_seconds=30)
    async with Emulator(config) as emu, scaleway_for(emu) as client:
        created = await client.sessions.create(SCALEWAY_AER_PLATFORM_ID, max_idle_duration=20)
        seen = [created.status]
        watcher = client.sessions.watch(created.id, policy=VERY_FAST, timeout=10)
        async with aclosing(watcher) as events:
            async for session in events:
                if session.status != seen[-1]:
                    seen.append(session.status)
        assert seen == [
            SessionStatus.STARTING,
            SessionStatus.RUNNING,
            SessionStatus.STOPPING,
            SessionStatus.STOPPED,
        ]
        stopped = await client.sessions.get(created.id)
        assert stopped.started_at is not None
        assert stopped.terminated_at is not None
        assert stopped.terminated_at > stopped.started_at


async def test_models_create_list_get(scaleway_client: ScalewayQaaSClient) -> None:
    models = [await scaleway_client.models.create(f'{{"model": {i}}}') for i in range(12)]
    assert all(m.project_id == scaleway_client.project_id for m in models)
    listed = await scaleway_client.models.list(page_size=5).to_list()
    assert [m.id for m in listed] == [m.id for m in reversed(models)]
    oldest_first = await scaleway_client.models.list(order_by="created_at_asc").to_list()
    assert [m.id for m in oldest_first] == [m.id for m in models]
    assert await scaleway_client.models.get(models[3].id) == models[3]
    async with scaleway_client.session(
        platform_id=SCALEWAY_AER_PLATFORM_ID, policy=FAST, model_id=models[0].id
    ) as session:
        job = await session.submit(BELL, model_id=models[1].id)
        assert job.model_id == models[1].id
        assert (await session.get()).model_id == models[0].id


async def test_page_numbers_over_many_jobs(scaleway_client: ScalewayQaaSClient) -> None:
    session = await scaleway_client.sessions.create(SCALEWAY_AER_PLATFORM_ID)
    jobs = await asyncio.gather(
        *(scaleway_client.jobs.create(session.id, BELL, name=f"p{i:02d}") for i in range(45))
    )
    created = {job.id for job in jobs}
    pages = [page async for page in scaleway_client.jobs.list(page_size=10).pages()]
    assert [len(page.items) for page in pages] == [10, 10, 10, 10, 5]
    assert all(page.total == 45 for page in pages)
    listed = [job.id for page in pages for job in page.items]
    assert len(listed) == len(set(listed)) == 45
    assert set(listed) == created
    by_session = scaleway_client.jobs.list(session_id=session.id, page_size=10, read_ahead=True)
    assert [job.id async for job in by_session] == listed

    resumed = scaleway_client.jobs.list(page_size=10, page_token=pages[2].token)
    assert [job.id async for job in resumed] == listed[20:]
    token = pages[3].next_token
    assert token is not None
    assert [job.id async for job in scaleway_client.jobs.list(page_token=token)] == listed[40:]
    limited = scaleway_client.jobs.list(page_size=10, limit=13)
    assert [job.id async for job in limited] == listed[:13]
    by_name = await scaleway_client.jobs.list(order_by="name_asc", page_size=7).to_list()
    assert [job.name for job in by_name] == [f"p{i:02d}" for i in range(45)]


async def test_wrong_key_other_project_and_foreign_listing(
    qruntime_emulator: Emulator, scaleway_client: ScalewayQaaSClient
) -> None:
    async with scaleway_for(qruntime_emulator, "5ca1e0a1-5ec4-4e7a-9b1c-00000000dead") as stranger:
        with pytest.raises(AuthenticationError) as denied:
            await stranger.platforms.list().to_list()
        assert denied.value.status == 401
        assert "dead" not in str(denied.value)

    async with scaleway_for(
        qruntime_emulator, SCALEWAY_OTHER_SECRET_KEY, project_id=SCALEWAY_OTHER_PROJECT_ID
    ) as other:
        theirs = await other.sessions.create(SCALEWAY_AER_PLATFORM_ID)
        their_job = await other.jobs.create(theirs.id, BELL)
        with pytest.raises(NotFoundError):
            await scaleway_client.jobs.get(their_job.id)
        with pytest.raises(NotFoundError):
            await scaleway_client.sessions.get(theirs.id)
        with pytest.raises(NotFoundError):
            await scaleway_client.jobs.create(theirs.id, BELL)
        with pytest.raises(PermissionDeniedError) as forbidden:
            await scaleway_client.sessions.list(project_id=SCALEWAY_OTHER_PROJECT_ID).to_list()
        assert forbidden.value.status == 403
        with pytest.raises(PermissionDeniedError):
            await scaleway_client.jobs.list(project_id=SCALEWAY_OTHER_PROJECT_ID).to_list()
        assert await scaleway_client.jobs.list().to_list() == []
        assert [j.id for j in await other.jobs.list().to_list()] == [their_job.id]


async def test_a_session_stopped_while_starting_never_runs(
    scaleway_client: ScalewayQaaSClient, control: Control
) -> None:
    await control.clock(speed=0)
    created = await scaleway_client.sessions.create(SCALEWAY_GPU_PLATFORM_ID)
    assert created.status == SessionStatus.STARTING
    await scaleway_client.sessions.terminate(created.id)
    with pytest.raises(SessionStoppedError) as info:
        await scaleway_client.sessions.wait(created.id, until="running", policy=FAST, timeout=5)
    assert info.value.session.id == created.id
    assert info.value.session.status in (SessionStatus.STOPPING, SessionStatus.STOPPED)
    assert (await scaleway_client.sessions.get(created.id)).started_at is None


async def test_a_job_past_its_max_duration_ends_in_error(
    scaleway_client: ScalewayQaaSClient,
) -> None:
    async with scaleway_client.session(
        platform_id=SCALEWAY_AER_PLATFORM_ID, policy=FAST, start_timeout=5
    ) as session:
        job = await session.submit(BELL, parameters=LONG, max_duration=timedelta(seconds=10))
        final = await scaleway_client.jobs.wait(job.id, policy=FAST, timeout=5)
        assert final.status == JobStatus.ERROR
        assert "max_duration" in (final.progress_message or "")
        assert final.job_duration == timedelta(seconds=10)


async def test_a_session_past_its_max_duration_cancels_its_jobs(
    scaleway_client: ScalewayQaaSClient,
) -> None:
    async with scaleway_client.session(
        platform_id=SCALEWAY_AER_PLATFORM_ID, max_duration=30, policy=FAST, start_timeout=5
    ) as session:
        job = await session.submit(BELL, parameters=LONG)
        final = await scaleway_client.jobs.wait(job.id, policy=FAST, timeout=5)
        assert final.status == JobStatus.CANCELLED
        assert "max_duration" in (final.progress_message or "")
        stopped = await scaleway_client.sessions.wait(session.id, policy=FAST, timeout=5)
        assert stopped.status == SessionStatus.STOPPED
        with pytest.raises(APIStatusError) as info:
            await session.submit(BELL)
        assert info.value.status == 412


async def test_a_session_that_does_not_start_in_time_is_terminated(
    scaleway_client: ScalewayQaaSClient, control: Control
) -> None:
    await control.clock(speed=0)  # the session stays "starting"
    with pytest.raises(WaitTimeoutError) as info:
        async with scaleway_client.session(
            platform_id=SCALEWAY_AER_PLATFORM_ID, policy=FAST, start_timeout=0.1
        ):
            pytest.fail("the block must not run")
    last = info.value.last
    assert last is not None
    assert last.status == SessionStatus.STARTING
    left = await scaleway_client.sessions.get(last.id)
    assert left.status in (SessionStatus.STOPPING, SessionStatus.STOPPED)


async def test_a_cancelled_block_still_terminates_its_session(
    scaleway_client: ScalewayQaaSClient,
) -> None:
    opened: dict[str, str] = {}
    inside = asyncio.Event()

    async def block() -> None:
        async with scaleway_client.session(
            platform_id=SCALEWAY_AER_PLATFORM_ID, policy=FAST, start_timeout=5
        ) as session:
            opened["session"] = session.id
            opened["job"] = (await session.submit(BELL, parameters=LONG)).id
            inside.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(block())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    job = await scaleway_client.jobs.wait(opened["job"], policy=FAST, timeout=5)
    assert job.status == JobStatus.CANCELLED
    session = await scaleway_client.sessions.wait(opened["session"], policy=FAST, timeout=5)
    assert session.status == SessionStatus.STOPPED
