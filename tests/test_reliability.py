"""Reliability: rate limiting, client-wide slow-down, cancellation without leaks, no secrets."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import pytest
from aioresponses import aioresponses

from qruntime_async import (
    IBMRuntimeClient,
    PollPolicy,
    RateLimiter,
    RetryPolicy,
    ScalewayQaaSClient,
    errors,
)
from qruntime_async.cli import main
from qruntime_async.emulator import (
    IBM_API_KEY,
    IBM_SERVICE_CRN,
    IBM_TOKEN,
    SCALEWAY_SECRET_KEY,
    Emulator,
    EmulatorConfig,
)

QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nh q[0];\nmeasure q -> c;\n'
SLOW_POLL = PollPolicy(interval=0.05, max_interval=0.1, min_interval=0.01)


# -- Rate limiter (fake clock) ---------------------------------------------------------------------
class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


async def test_rate_limiter_allows_a_burst_then_spaces_acquisitions(fake_time: FakeTime) -> None:
    limiter = RateLimiter(5, per=60.0, clock=fake_time.monotonic, sleep=fake_time.sleep)
    for _ in range(5):
        await limiter.acquire()
    assert fake_time.sleeps == []  # the burst passes at once
    await limiter.acquire()
    await limiter.acquire()
    assert fake_time.sleeps == [pytest.approx(12.0), pytest.approx(12.0)]  # 60 s / 5


async def test_rate_limiter_is_shared_by_concurrent_tasks(fake_time: FakeTime) -> None:
    limiter = RateLimiter(2, per=1.0, clock=fake_time.monotonic, sleep=fake_time.sleep)
    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(limiter.acquire)
    # 2 immediately, then 4 more at 0.5 s each: the tasks did not each get their own budget.
    assert sum(fake_time.sleeps) == pytest.approx(2.0)


def test_rate_limiter_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(0)
    with pytest.raises(ValueError, match="per"):
        RateLimiter(5, per=0)


async def test_submissions_wait_for_the_clients_rate_limit() -> None:
    acquired: list[str] = []

    class Recording(RateLimiter):
        async def acquire(self) -> None:
            acquired.append("slot")
            await super().acquire()

    with aioresponses() as mocked:
        mocked.post(re.compile(r".*/jobs$"), payload={"id": "j"}, repeat=True)
        async with IBMRuntimeClient(
            token="t", instance="h/g/p", base_url="https://ibm.test", submit_rate_limit=Recording(5)
        ) as client:
            await asyncio.gather(*(client.jobs.submit("sampler", backend="b") for _ in range(3)))
            view = client.with_options(max_retries=0)
            await view.jobs.submit("sampler", backend="b")
    assert acquired == ["slot"] * 4


# -- A 429 slows the whole client down -------------------------------------------------------------
async def test_a_429_pauses_every_task_of_the_client() -> None:
    waits: list[float] = []
    with aioresponses() as mocked:
        mocked.get("https://ibm.test/jobs/a", status=429, headers={"retry-after-ms": "300"})
        mocked.get("https://ibm.test/jobs/a", payload={"id": "a"})
        mocked.get("https://ibm.test/jobs/b", payload={"id": "b"})
        async with IBMRuntimeClient(token="t", base_url="https://ibm.test") as client:
            original = client._sleep

            async def record(delay: float) -> None:
                waits.append(delay)
                await original(delay)

            client._sleep = record  # type: ignore[method-assign]
            first = asyncio.create_task(client.jobs.get("a"))
            await asyncio.sleep(0.05)  # "a" got its 429 and is waiting
            second = await client.jobs.get("b")  # another task: it waits too
            assert second.id == "b"
            assert (await first).id == "a"
    # "a" waited for its Retry-After; "b" waited for the rest of the same pause.
    assert waits[0] == pytest.approx(0.3)
    assert 0.1 < waits[1] < 0.3


# -- Cancellation leaves nothing behind ------------------------------------------------------------
@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(EmulatorConfig(speed=0.0)) as emu:  # frozen: jobs never finish
        yield emu


def _open_connections(client: Any) -> int:
    connector = client._session().connector
    assert isinstance(connector, aiohttp.TCPConnector)
    return len(connector._acquired)


def _other_tasks() -> list[asyncio.Task[Any]]:
    # The in-process emulator's own connection handlers are the server's, not the client's.
    return [
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task()
        and not t.get_coro().__qualname__.startswith("RequestHandler")  # type: ignore[union-attr]
    ]


async def test_cancelling_wait_watch_and_watch_many_leaks_nothing(emulator: Emulator) -> None:
    async with IBMRuntimeClient(
        token=emulator.ibm_token, instance=emulator.ibm_instance, base_url=emulator.ibm_url
    ) as ibm:
        ids = [
            (await ibm.jobs.submit("sampler", backend=emulator.ibm_backend)).id for _ in range(3)
        ]
        baseline = set(_other_tasks())

        # wait, cancelled by a task cancel
        task = asyncio.create_task(ibm.jobs.wait(ids[0], policy=SLOW_POLL))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        # watch, cancelled by an anyio cancel scope
        seen = []
        with anyio.move_on_after(0.2):
            async for job in ibm.jobs.watch(ids[1], policy=SLOW_POLL):
                seen.append(job)
        assert [job.id for job in seen] == [ids[1]]

        # watch_many inside a task group that gets cancelled
        async def follow() -> None:
            async with ibm.jobs.watch_many(ids, policy=SLOW_POLL) as group:
                async for _ in group:
                    pass

        async with anyio.create_task_group() as tg:
            tg.start_soon(follow)
            await anyio.sleep(0.2)
            tg.cancel_scope.cancel()

        await asyncio.sleep(0)
        assert set(_other_tasks()) <= baseline
        assert _open_connections(ibm) == 0


async def test_closing_the_client_ends_a_wait_in_flight(emulator: Emulator) -> None:
    ibm = IBMRuntimeClient(
        token=emulator.ibm_token, instance=emulator.ibm_instance, base_url=emulator.ibm_url
    )
    job = await ibm.jobs.submit("sampler", backend=emulator.ibm_backend)
    waiting = asyncio.create_task(ibm.jobs.wait(job.id, policy=SLOW_POLL))
    await asyncio.sleep(0.2)
    await ibm.aclose()
    with anyio.fail_after(5), pytest.raises(errors.ClientClosedError):
        await waiting


# -- No secret ever printed ------------------------------------------------------------------------
async def test_no_secret_appears_in_logs_reprs_errors_or_cli_output(
    emulator: Emulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [IBM_TOKEN, IBM_API_KEY, SCALEWAY_SECRET_KEY]
    texts: list[str] = []
    emulator.set_faults(error_rate=0.3, error_statuses=(500, 503), seed=5)
    fast = RetryPolicy(max_retries=8, backoff_initial=0.001, backoff_max=0.01)
    async with (
        IBMRuntimeClient(
            token=IBM_TOKEN,
            instance=emulator.ibm_instance,
            base_url=emulator.ibm_url,
            retry=fast,
        ) as ibm,
        IBMRuntimeClient(
            api_key=IBM_API_KEY,
            service_crn=IBM_SERVICE_CRN,
            iam_url=emulator.url,
            base_url=emulator.ibm_url,
            retry=fast,
        ) as cloud,
        ScalewayQaaSClient(
            secret_key=SCALEWAY_SECRET_KEY,
            project_id=emulator.scaleway_project_id,
            base_url=emulator.scaleway_url,
            retry=fast,
        ) as scw,
    ):
        texts += [repr(ibm), repr(cloud), repr(scw), repr(ibm._auth), repr(cloud._auth)]
        texts += [str(vars(ibm)), str(vars(scw)), str(vars(cloud))]
        job = await ibm.jobs.submit("sampler", backend=emulator.ibm_backend)
        texts.append(repr(await ibm.jobs.get(job.id)))
        texts.append(repr([b async for b in cloud.workloads.list_mine(limit=5)]))
        texts.append(repr([p async for p in scw.platforms.list(limit=5)]))
        for call in (
            ibm.jobs.get("does-not-exist"),
            cloud.sessions.get("does-not-exist"),
            scw.jobs.get("00000000-0000-4000-8000-000000000000"),
            ibm.workloads.list_admin(instance="ibm-q").to_list(),
        ):
            with pytest.raises(errors.APIStatusError) as info:
                await call
            texts += [str(info.value), repr(info.value), str(vars(info.value))]
    emulator.set_faults()
    watch_args = ["ibm", "jobs", "watch", "nope", "--url", emulator.ibm_url, "--token", IBM_TOKEN]
    assert await anyio.to_thread.run_sync(main, watch_args) == 1
    list_args = [
        "scaleway",
        "jobs",
        "list",
        "--url",
        emulator.scaleway_url,
        "--secret-key",
        "wrong-" + SCALEWAY_SECRET_KEY,
        "--project-id",
        emulator.scaleway_project_id,
    ]
    assert await anyio.to_thread.run_sync(main, list_args) == 1
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    assert any("retrying" in text for text in texts)  # the logs really were captured
    for secret in secrets:
        assert not [text for text in texts if secret in text], secret
