"""The clients compared on single calls: ours, the raw aiohttp + msgspec floor, and the peers.

Each contender fetches one job by id. Async contenders expose ``async call()``; the synchronous
qiskit-ibm-runtime layer exposes ``call_sync()`` and is driven from threads.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import msgspec
from _common import IBM_HEADERS, SCW_HEADERS, import_peer

from qruntime_async import IBMRuntimeClient, ScalewayQaaSClient
from qruntime_async._constants import USER_AGENT
from qruntime_async.emulator import (
    IBM_API_KEY,
    IBM_INSTANCE,
    IBM_SERVICE_CRN,
    IBM_TOKEN,
    SCALEWAY_ACCESS_KEY,
    SCALEWAY_PROJECT_ID,
    SCALEWAY_SECRET_KEY,
)

# --------------------------------------------------------------------------------------------
# The floor: plain msgspec structs with the fields of our models, no hooks, no validation.


class FloorJobState(msgspec.Struct, frozen=True, kw_only=True):
    status: str | None = None
    reason: str | None = None
    reason_code: int | None = None


class FloorJobProgram(msgspec.Struct, frozen=True, kw_only=True):
    id: str | None = None


class FloorJobUsage(msgspec.Struct, frozen=True, kw_only=True):
    seconds: float | None = None
    quantum_seconds: float | None = None


class FloorIbmJob(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    hub: str | None = None
    group: str | None = None
    project: str | None = None
    backend: str | None = None
    state: FloorJobState | None = None
    status: str | None = None
    params: dict[str, Any] | None = None
    program: FloorJobProgram | None = None
    created: datetime | None = None
    ended: datetime | None = None
    runtime: str | None = None
    cost: int | None = None
    tags: list[str] | None = None
    session_id: str | None = None
    usage: FloorJobUsage | None = None
    estimated_running_time_seconds: float | None = None
    estimated_max_running_time_seconds: float | None = None
    private: bool | None = None
    user_id: str | None = None


class FloorScwJob(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str | None = None
    tags: list[str] | None = None
    session_id: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None
    status: str = "unknown_status"
    progress_message: str | None = None
    job_duration: str | None = None
    result_distribution: str | None = None
    model_id: str | None = None
    parameters: str | None = None


class FloorWorkload(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    created: datetime | None = None
    ended: datetime | None = None
    backend: str | None = None
    instance: str | None = None
    user_id: str | None = None
    accepting_jobs: bool | None = None
    mode: str | None = None
    status: str | None = None
    status_reason: str | None = None
    tags: list[str] | None = None
    usage_seconds: float | None = None
    estimated_running_time_seconds: float | None = None
    estimated_start_time_seconds: float | None = None


class FloorWorkloadsPage(msgspec.Struct, frozen=True, kw_only=True):
    workloads: list[FloorWorkload] = []
    count: int | None = None
    limit: int | None = None
    previous: str | None = None
    next: str | None = None


class FloorIbmJobsPage(msgspec.Struct, frozen=True, kw_only=True):
    jobs: list[FloorIbmJob] = []
    count: int | None = None
    limit: int | None = None
    offset: int | None = None


class FloorScwJobsPage(msgspec.Struct, frozen=True, kw_only=True):
    total_count: int | None = None
    jobs: list[FloorScwJob] = []


# Lax like ours: IBM sends ``cost`` as 10800.0 for an int field.
_floor_ibm = msgspec.json.Decoder(FloorIbmJob, strict=False)
_floor_scw = msgspec.json.Decoder(FloorScwJob, strict=False)
floor_page_decoders: dict[str, msgspec.json.Decoder[Any]] = {
    "IBM workloads page": msgspec.json.Decoder(FloorWorkloadsPage, strict=False),
    "IBM jobs page": msgspec.json.Decoder(FloorIbmJobsPage, strict=False),
    "Scaleway jobs page": msgspec.json.Decoder(FloorScwJobsPage, strict=False),
}


# --------------------------------------------------------------------------------------------
# Contenders


@dataclass
class Contender:
    """One way of fetching one job. ``call`` (async) or ``call_sync`` (blocking) is set."""

    name: str
    provider: str
    call: Callable[[], Awaitable[Any]] | None = None
    call_sync: Callable[[], Any] | None = None
    close: Callable[[], Awaitable[None]] | None = None
    blocking_in_async: bool = False
    how: str = ""

    async def aclose(self) -> None:
        if self.close is not None:
            await self.close()


async def ours_ibm(ibm_url: str, job_id: str) -> Contender:
    client = IBMRuntimeClient(token=IBM_TOKEN, instance=IBM_INSTANCE, base_url=ibm_url)
    await client.__aenter__()

    async def call() -> Any:
        return await client.jobs.get(job_id, exclude_params=True)

    return Contender("qruntime_async", "ibm", call=call, close=client.aclose, how="asyncio tasks")


async def ours_scaleway(base_url: str, job_id: str) -> Contender:
    client = ScalewayQaaSClient(
        secret_key=SCALEWAY_SECRET_KEY, project_id=SCALEWAY_PROJECT_ID, base_url=base_url
    )
    await client.__aenter__()

    async def call() -> Any:
        return await client.jobs.get(job_id)

    return Contender(
        "qruntime_async", "scaleway", call=call, close=client.aclose, how="asyncio tasks"
    )


def _floor_session() -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=100, limit_per_host=64)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())


async def floor_ibm(ibm_url: str, job_id: str) -> Contender:
    session = _floor_session()
    url = f"{ibm_url}/jobs/{job_id}?exclude_params=true"
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **IBM_HEADERS}
    decode = _floor_ibm.decode

    async def call() -> Any:
        async with session.get(url, headers=headers) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"GET {url} -> {resp.status}")
            return decode(body)

    return Contender(
        "raw aiohttp + msgspec", "ibm", call=call, close=session.close, how="asyncio tasks"
    )


async def floor_scaleway(base_url: str, job_id: str) -> Contender:
    session = _floor_session()
    url = f"{base_url}/qaas/v1alpha1/jobs/{job_id}"
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **SCW_HEADERS}
    decode = _floor_scw.decode

    async def call() -> Any:
        async with session.get(url, headers=headers) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"GET {url} -> {resp.status}")
            return decode(body)

    return Contender(
        "raw aiohttp + msgspec", "scaleway", call=call, close=session.close, how="asyncio tasks"
    )


def scaleway_async_api(base_url: str) -> Any:
    """scaleway-async's QaaS v1alpha1 API class pointed at the emulator."""
    core, why = import_peer("scaleway_core.client")
    if core is None:
        raise RuntimeError(f"scaleway-async is not importable: {why}")
    qaas, why = import_peer("scaleway_async.qaas.v1alpha1")
    if qaas is None:
        raise RuntimeError(f"scaleway-async is not importable: {why}")
    client = core.Client(
        access_key=SCALEWAY_ACCESS_KEY,
        secret_key=SCALEWAY_SECRET_KEY,
        api_url=base_url,
        default_project_id=SCALEWAY_PROJECT_ID,
    )
    return qaas.QaasV1Alpha1API(client)


async def scaleway_async(base_url: str, job_id: str) -> Contender:
    api = scaleway_async_api(base_url)

    async def call() -> Any:
        return await api.get_job(job_id=job_id)

    return Contender(
        "scaleway-async",
        "scaleway",
        call=call,
        blocking_in_async=True,
        how="asyncio tasks (its async def runs a blocking requests call)",
    )


class _Bearer:
    """requests auth hook: the emulator's static IBM token as ``Authorization: Bearer``."""

    def __init__(self, token: str) -> None:
        self.header = f"Bearer {token}"

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = self.header
        return request


def qiskit_runtime_client(ibm_url: str) -> Any:
    """qiskit-ibm-runtime's RuntimeClient (a Runtime adapter over one RetrySession).

    Its IBM Cloud auth handler needs an IAM access token in JWT form, which the emulator does not
    issue, so the session's auth hook is replaced by one that sends the emulator's bearer token.
    Everything else (URL building, headers, retries, JSON decoding) is the library's own.
    """
    client_mod, why = import_peer("qiskit_ibm_runtime.api.client")
    if client_mod is None:
        raise RuntimeError(f"qiskit-ibm-runtime is not importable: {why}")
    params_mod, why = import_peer("qiskit_ibm_runtime.api.client_parameters")
    if params_mod is None:
        raise RuntimeError(f"qiskit-ibm-runtime is not importable: {why}")
    params = params_mod.ClientParameters(
        channel="ibm_cloud",
        token=IBM_API_KEY,
        url=ibm_url,
        instance=IBM_SERVICE_CRN,
        url_resolver=lambda url, instance, private, channel: url,
    )
    rc = client_mod.RuntimeClient(params)
    rc._session.auth = _Bearer(IBM_TOKEN)
    # 64 threads share its connection pool of 10; keep urllib3's "pool is full" notices quiet.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    return rc


async def qiskit_ibm(ibm_url: str, job_id: str) -> Contender:
    rc = qiskit_runtime_client(ibm_url)

    def call_sync() -> Any:
        return rc.job_get(job_id, exclude_params=True)

    return Contender(
        "qiskit-ibm-runtime",
        "ibm",
        call_sync=call_sync,
        how="RuntimeClient.job_get from threads (one shared RetrySession, pool of 10)",
    )


# --------------------------------------------------------------------------------------------
# Drivers


@dataclass
class Run:
    """The outcome of one timed run."""

    calls: int
    seconds: float
    cpu_seconds: float
    errors: int = 0

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else math.nan

    @property
    def cpu_per_call(self) -> float:
        return self.cpu_seconds / self.calls if self.calls else math.nan


async def drive_async(
    call: Callable[[], Awaitable[Any]], n: int, concurrency: int, time_cap: float
) -> Run:
    """``n`` calls from ``concurrency`` tasks (fewer if ``time_cap`` seconds run out)."""
    issued = 0
    done = 0
    errors = 0
    deadline = time.perf_counter() + time_cap

    async def worker() -> None:
        nonlocal issued, done, errors
        while issued < n and time.perf_counter() < deadline:
            issued += 1
            try:
                await call()
                done += 1
            except Exception:
                errors += 1

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Run(done, time.perf_counter() - t0, time.process_time() - cpu0, errors)


def drive_threads(call: Callable[[], Any], n: int, threads: int, time_cap: float) -> Run:
    """``n`` blocking calls from ``threads`` threads (1: one thread, serially)."""
    lock = threading.Lock()
    issued = 0
    done = 0
    errors = 0
    deadline = time.perf_counter() + time_cap

    def worker() -> None:
        nonlocal issued, done, errors
        while True:
            with lock:
                if issued >= n or time.perf_counter() >= deadline:
                    return
                issued += 1
            try:
                call()
                ok = True
            except Exception:
                ok = False
            with lock:
                if ok:
                    done += 1
                else:
                    errors += 1

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    return Run(done, time.perf_counter() - t0, time.process_time() - cpu0, errors)


async def drive(contender: Contender, n: int, concurrency: int, time_cap: float) -> Run:
    """Run a contender the way it is meant to be used."""
    if contender.call is not None:
        return await drive_async(contender.call, n, concurrency, time_cap)
    assert contender.call_sync is not None
    return await asyncio.to_thread(drive_threads, contender.call_sync, n, concurrency, time_cap)
