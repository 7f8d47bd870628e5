"""Every fault the emulator injects is survived by the SDK's retries on reading calls."""

from __future__ import annotations

from typing import Any

import pytest

from qruntime_async import (
    APIConnectionError,
    IBMRuntimeClient,
    RateLimitError,
    ScalewayQaaSClient,
    ServerError,
    Timeout,
)
from qruntime_async.emulator import (
    IBM_BACKEND,
    SCALEWAY_AER_PLATFORM_ID,
    Emulator,
    EmulatorConfig,
    FaultConfig,
)
from qruntime_async.ibm import JobStatus
from qruntime_async.scaleway import JobStatus as ScalewayJobStatus

from .conftest import BELL, FAST, QUICK_RETRY, SPEED, ibm_for, sampler_params, scaleway_for

#: Each kind of fault, with the counter the emulator keeps for it. Only GETs are faulted.
FAULTS: dict[str, dict[str, Any]] = {
    "error": {"error_rate": 0.35},
    "rate_limit": {"rate_limit_rate": 0.35, "retry_after": 0.02},
    "latency_spike": {"spike_rate": 0.2, "spike_latency": 0.4},
    "disconnect": {"disconnect_rate": 0.35},
    "truncate": {"truncate_rate": 0.35},
    "malformed": {"malformed_rate": 0.35},
}
#: Short enough that a latency spike counts as a lost answer.
SHORT_READ = Timeout(connect=2.0, read=0.1)


async def _ibm_reads(client: IBMRuntimeClient, job_ids: list[str], session_id: str) -> None:
    for job_id in job_ids:
        job = await client.jobs.get(job_id)
        assert job.id == job_id
    assert {j.id async for j in client.jobs.list(page_size=2)} >= set(job_ids)
    assert (await client.sessions.get(session_id)).id == session_id
    assert (await client.sessions.details(session_id)).id == session_id
    assert len([w async for w in client.workloads.list_mine(page_size=2)]) == len(job_ids) + 1
    assert IBM_BACKEND in (await client.backends.list()).names
    counts = await client.jobs.counts(job_ids[0])
    assert counts is not None
    assert sum(counts[0].values()) == 100


async def _scaleway_reads(client: ScalewayQaaSClient, job_ids: list[str], session_id: str) -> None:
    for job_id in job_ids:
        job = await client.jobs.get(job_id)
        assert job.id == job_id
    listed = [j.id async for j in client.jobs.list(session_id=session_id, page_size=2)]
    assert sorted(listed) == sorted(job_ids)
    assert (await client.sessions.get(session_id)).id == session_id
    assert len(await client.platforms.list(page_size=2).to_list()) == 4
    assert (await client.platforms.get(SCALEWAY_AER_PLATFORM_ID)).id == SCALEWAY_AER_PLATFORM_ID
    (result,) = await client.jobs.results(job_ids[0]).to_list()
    assert result.job_id == job_ids[0]
    (counts,) = await client.jobs.counts(job_ids[0])
    assert sum(counts.values()) == 1024


@pytest.mark.parametrize("kind", list(FAULTS))
async def test_reading_calls_survive_each_fault(kind: str) -> None:
    async with (
        Emulator(EmulatorConfig(speed=SPEED, seed=5)) as emu,
        ibm_for(emu, retry=QUICK_RETRY) as ibm,
        scaleway_for(emu, retry=QUICK_RETRY) as scw,
    ):
        ibm_session = await ibm.sessions.create(backend=IBM_BACKEND, mode="batch")
        ibm_jobs = [
            (await ibm.jobs.submit("sampler", backend=IBM_BACKEND, params=sampler_params())).id
            for _ in range(4)
        ]
        scw_session = await scw.sessions.create(SCALEWAY_AER_PLATFORM_ID)
        scw_jobs = [(await scw.jobs.create(scw_session.id, BELL)).id for _ in range(4)]
        for job_id in ibm_jobs:
            assert (await ibm.jobs.wait(job_id, policy=FAST, timeout=10)).is_completed
        for job_id in scw_jobs:
            assert (await scw.jobs.wait(job_id, policy=FAST, timeout=10)).is_completed

        emu.set_faults(FaultConfig(methods=("GET",), seed=17, **FAULTS[kind]))
        ibm = ibm.with_options(timeout=SHORT_READ)
        scw = scw.with_options(timeout=SHORT_READ)
        await _ibm_reads(ibm, ibm_jobs, ibm_session.id)
        await _scaleway_reads(scw, scw_jobs, scw_session.id)
        # Following jobs to their end goes through the faults too.
        assert (await ibm.jobs.wait(ibm_jobs[-1], policy=FAST, timeout=10)).status == (
            JobStatus.COMPLETED
        )
        assert (await scw.jobs.wait(scw_jobs[-1], policy=FAST, timeout=10)).status == (
            ScalewayJobStatus.COMPLETED
        )

        stats = emu.stats()
        injected = stats["faults"]["by_kind"]
        assert set(injected) == {kind}
        assert injected[kind] >= 3, injected
        by_provider = {(d["provider"], d["status"]) for d in stats["requests"]["detail"]}
        if kind == "error":
            statuses = {status for _, status in by_provider}
            assert statuses & {500, 502, 503}
        if kind == "rate_limit":
            assert ("ibm", 429) in by_provider
            assert ("scaleway", 429) in by_provider


async def test_faults_on_every_request_exhaust_the_retries() -> None:
    config = EmulatorConfig(speed=SPEED, faults=FaultConfig(error_rate=1.0, error_statuses=(503,)))
    async with Emulator(config) as emu, ibm_for(emu, retry=QUICK_RETRY) as ibm:
        with pytest.raises(ServerError) as info:
            await ibm.backends.list()
        assert info.value.status == 503
        assert info.value.attempts == QUICK_RETRY.max_retries + 1
        assert emu.stats()["faults"]["by_kind"] == {"error": QUICK_RETRY.max_retries + 1}


async def test_a_retry_after_past_the_cap_fails_at_once() -> None:
    faults = FaultConfig(rate_limit_rate=1.0, retry_after=30)
    async with (
        Emulator(EmulatorConfig(speed=SPEED, faults=faults)) as emu,
        scaleway_for(emu, retry=QUICK_RETRY.with_retry_after_cap(1.0)) as scw,
    ):
        with pytest.raises(RateLimitError) as info:
            await scw.platforms.get(SCALEWAY_AER_PLATFORM_ID)
        assert info.value.retry_after == 30
        assert info.value.attempts == 1


async def test_dropped_connections_on_every_request_become_a_connection_error() -> None:
    faults = FaultConfig(disconnect_rate=1.0, methods=("GET",))
    async with (
        Emulator(EmulatorConfig(speed=SPEED, faults=faults)) as emu,
        ibm_for(emu, retry=QUICK_RETRY.with_max_retries(2)) as ibm,
    ):
        with pytest.raises(APIConnectionError) as info:
            await ibm.backends.list()
        assert info.value.attempts == 3
        assert emu.stats()["faults"]["by_kind"] == {"disconnect": 3}
