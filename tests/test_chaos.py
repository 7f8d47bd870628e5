"""500 jobs through an emulator that fails on purpose: nothing lost, nothing duplicated.

Faults on every API path: about 10% 5xx, 5% 429 with Retry-After, 3% connections dropped
mid-response, latency spikes longer than the client's read timeout, a few truncated and malformed
bodies; half of the faults on a create happen after the server acted (the job exists, the answer is
lost), and gateways answer 503 after the server acted (Envoy's "upstream connect error or
disconnect/reset before headers"). Every job must reach a final state, each submission must exist
exactly once on the server, and nothing may be left running.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import anyio
import pytest

from qruntime_async import (
    IBMRuntimeClient,
    PollPolicy,
    RetryPolicy,
    ScalewayQaaSClient,
    SubmitPolicy,
    Timeout,
)
from qruntime_async._submit import IDEMPOTENCY_TAG_PREFIX
from qruntime_async.emulator import Emulator, EmulatorConfig, FaultConfig

pytestmark = pytest.mark.chaos

JOBS_PER_SERVICE = 250
QASM = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
    "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
)
FAULTS = FaultConfig(
    error_rate=0.10,
    error_statuses=(500, 502, 503),
    rate_limit_rate=0.05,
    retry_after=0.05,
    disconnect_rate=0.03,
    truncate_rate=0.01,
    malformed_rate=0.01,
    gateway_503_rate=0.04,
    spike_rate=0.02,
    spike_latency=0.6,
    after_action_rate=0.5,
    seed=1234,
)
CLIENT_SETTINGS: dict[str, Any] = {
    "timeout": Timeout(connect=2.0, read=0.3),
    "retry": RetryPolicy(max_retries=10, backoff_initial=0.02, backoff_max=0.2),
    # Longer than a latency spike: a create delayed on the server lands before we give up on it.
    "submit_policy": SubmitPolicy(attempts=6, settle=0.9, lookups=3),
}
POLL = PollPolicy(interval=0.05, multiplier=1.5, max_interval=0.3, min_interval=0.02)


def _key(tags: Any) -> str | None:
    keys = [t for t in tags or () if t.startswith(IDEMPOTENCY_TAG_PREFIX)]
    assert len(keys) <= 1
    return keys[0] if keys else None


async def test_every_job_final_none_lost_none_duplicated() -> None:
    config = EmulatorConfig(speed=300.0, seed=99)
    async with (
        Emulator(config) as emu,
        IBMRuntimeClient(
            token=emu.ibm_token,
            instance=emu.ibm_instance,
            base_url=emu.ibm_url,
            **CLIENT_SETTINGS,
        ) as ibm,
        ScalewayQaaSClient(
            secret_key=emu.scaleway_secret_key,
            project_id=emu.scaleway_project_id,
            base_url=emu.scaleway_url,
            **CLIENT_SETTINGS,
        ) as scw,
    ):
        ibm_session = (await ibm.sessions.create(backend=emu.ibm_backend, mode="batch")).id
        scw_session = (
            await scw.sessions.create(
                emu.scaleway_platform_id,
                max_idle_duration=timedelta(hours=2),
                max_duration=timedelta(hours=12),
            )
        ).id
        await scw.sessions.wait(scw_session, until="running", policy=POLL, timeout=30)
        emu.set_faults(FAULTS)

        ibm_ids: list[str] = []
        scw_ids: list[str] = []
        limiter = anyio.CapacityLimiter(32)

        async def submit_ibm(index: int) -> None:
            async with limiter:
                answer = await ibm.jobs.submit(
                    "sampler",
                    backend=emu.ibm_backend,
                    session_id=ibm_session,
                    params={"pubs": [[QASM, None, 100]]},
                    tags=[f"chaos-{index}"],
                )
            ibm_ids.append(answer.id)

        async def submit_scw(index: int) -> None:
            async with limiter:
                job = await scw.jobs.create(scw_session, QASM, name=f"chaos-{index}")
            scw_ids.append(job.id)

        with anyio.fail_after(100):
            async with anyio.create_task_group() as group:
                for index in range(JOBS_PER_SERVICE):
                    group.start_soon(submit_ibm, index)
                    group.start_soon(submit_scw, index)

            finals: dict[str, Any] = {}
            errors: list[BaseException] = []

            async def follow(watcher: Any) -> None:
                async with watcher:
                    async for event in watcher:
                        if event.error is not None:
                            errors.append(event.error)
                        elif event.final:
                            finals[event.id] = event.snapshot

            async with anyio.create_task_group() as group:
                group.start_soon(
                    follow, ibm.jobs.watch_many(ibm_ids, session_id=ibm_session, policy=POLL)
                )
                group.start_soon(
                    follow, scw.jobs.watch_many(scw_ids, session_id=scw_session, policy=POLL)
                )

        stats = emu.stats()
        emu.set_faults()
        await ibm.sessions.close(ibm_session)
        await scw.sessions.terminate(scw_session)

        # The faults really happened.
        injected = stats["faults"]["by_kind"]
        assert stats["faults"]["total"] > 100, injected
        assert injected["gateway_503"] > 10, injected

        # Every job the client returned reached a final state.
        assert errors == []
        assert len(ibm_ids) == len(set(ibm_ids)) == JOBS_PER_SERVICE
        assert len(scw_ids) == len(set(scw_ids)) == JOBS_PER_SERVICE
        assert set(finals) == set(ibm_ids) | set(scw_ids)

        # What the server holds is exactly what the client returned: nothing lost, no duplicate.
        server_ibm = emu.ibm_jobs()
        server_scw = emu.scaleway_jobs()
        assert {job.id for job in server_ibm} == set(ibm_ids)
        assert {job.id for job in server_scw} == set(scw_ids)
        ibm_keys = Counter(_key(job.tags) for job in server_ibm)
        scw_keys = Counter(_key(job.tags) for job in server_scw)
        assert None not in ibm_keys
        assert None not in scw_keys
        assert max(ibm_keys.values()) == 1
        assert max(scw_keys.values()) == 1
        assert len(ibm_keys) == len(scw_keys) == JOBS_PER_SERVICE

    # Nothing left running once the clients and the server are closed.
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftover == []
