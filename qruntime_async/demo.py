"""The demo workload: many jobs on both services, submitted concurrently and watched to the end.

:func:`run_demo` starts the emulator in process on a free loopback port (unless given the URLs of
a running one), opens an IBM batch session and a Scaleway session, submits ``jobs`` jobs split
between them with at most ``concurrency`` submissions in flight, follows every job to a final
state with one listing request per session per tick, and reports what happened.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import anyio

from ._config import RequestEvent
from ._poll_policy import PollPolicy
from ._watch_group import WatchGroup
from .ibm.pubs import sampler_params

if TYPE_CHECKING:
    from .emulator import Emulator
    from .ibm import IBMRuntimeClient
    from .scaleway import ScalewayQaaSClient

__all__ = ["DemoReport", "DemoProgress", "run_demo", "BELL_QASM", "ISA_BELL_QASM"]

#: A Bell pair in OpenQASM 3 (for Scaleway, sent as a computation model).
BELL_QASM = (
    'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\n'
    "h q[0];\ncx q[0], q[1];\nc = measure q;\n"
)
#: The same pair on an IBM Eagle's instruction set (ecr, rz, sx, x) and physical qubits, as
#: qiskit's transpiler writes it: IBM runs circuits already transpiled to the backend.
ISA_BELL_QASM = (
    'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[2] meas;\n'
    "rz(pi/2) $0;\nsx $0;\nrz(-pi) $1;\nsx $1;\nrz(-pi) $1;\necr $0, $1;\nx $0;\n"
    "meas[0] = measure $0;\nmeas[1] = measure $1;\n"
)

#: How often the demo polls: fast enough to notice changes promptly on the emulator.
DEMO_POLL_POLICY = PollPolicy(interval=0.1, multiplier=1.5, max_interval=0.5, min_interval=0.05)


@dataclass
class DemoProgress:
    """Live counts while the demo runs (read by the CLI's progress display)."""

    total: int = 0
    submitted: int = 0
    final: int = 0
    states: Counter[str] = field(default_factory=Counter)
    requests: int = 0


@dataclass
class DemoReport:
    """What the demo did."""

    jobs: int
    by_provider_state: dict[str, dict[str, int]]
    wall_seconds: float
    http_requests: int
    notice_latencies: list[float]
    ibm_session_id: str | None
    scaleway_session_id: str | None
    #: The counts of one completed job per provider, decoded from its result document.
    sample_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def final_jobs(self) -> int:
        return sum(sum(states.values()) for states in self.by_provider_state.values())

    def percentile(self, p: float) -> float | None:
        """The ``p``-th percentile (0-100) of the time from a job turning final to noticing it."""
        data = self.notice_latencies
        if not data:
            return None
        if len(data) == 1:
            return data[0]
        cuts = statistics.quantiles(data, n=100, method="inclusive")
        index = min(max(round(p) - 1, 0), 98)
        return cuts[index]

    def as_dict(self) -> dict[str, Any]:
        return {
            "jobs": self.jobs,
            "final_jobs": self.final_jobs,
            "by_provider_state": self.by_provider_state,
            "wall_seconds": round(self.wall_seconds, 3),
            "http_requests": self.http_requests,
            "notice_latency_p50_seconds": _round(self.percentile(50)),
            "notice_latency_p95_seconds": _round(self.percentile(95)),
            "ibm_session_id": self.ibm_session_id,
            "scaleway_session_id": self.scaleway_session_id,
            "sample_counts": self.sample_counts,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


class _Timeline:
    """Maps the emulator's virtual timestamps to this process's monotonic clock."""

    def __init__(self, emulator: Emulator) -> None:
        self.speed = emulator.config.speed
        self.virtual0 = emulator.now()
        self.mono0 = time.monotonic()

    def real(self, when: datetime | None) -> float | None:
        if when is None or self.speed <= 0:
            return None
        return self.mono0 + (when.timestamp() - self.virtual0) / self.speed


async def run_demo(
    *,
    jobs: int = 200,
    concurrency: int = 32,
    speed: float = 120.0,
    seed: int = 7,
    failure_rate: float = 0.03,
    shots: int = 1024,
    progress: Callable[[DemoProgress], None] | None = None,
) -> DemoReport:
    """Run the demo against an in-process emulator and return the report."""
    from .emulator import Emulator, EmulatorConfig

    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    config = EmulatorConfig(speed=speed, seed=seed, job_failure_rate=failure_rate)
    async with Emulator(config) as emulator:
        return await _run(emulator, jobs, concurrency, shots, progress)


@dataclass
class _RunState:
    progress: DemoProgress
    timeline: _Timeline
    limiter: anyio.CapacityLimiter
    on_progress: Callable[[DemoProgress], None] | None
    by_state: dict[str, Counter[str]] = field(
        default_factory=lambda: {"ibm": Counter(), "scaleway": Counter()}
    )
    latencies: list[float] = field(default_factory=list)
    ids: dict[str, str | None] = field(default_factory=lambda: {"ibm": None, "scaleway": None})
    #: One job per provider that completed, whose counts the report shows.
    completed: dict[str, str] = field(default_factory=dict)

    def tick(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress)


@contextlib.asynccontextmanager
async def _clients(
    emulator: Emulator, on_request: Callable[[RequestEvent], None] | None = None
) -> AsyncIterator[tuple[IBMRuntimeClient, ScalewayQaaSClient]]:
    """A client of each service of ``emulator``."""
    from .ibm import IBMRuntimeClient
    from .scaleway import ScalewayQaaSClient

    async with (
        IBMRuntimeClient(
            token=emulator.ibm_token,
            instance=emulator.ibm_instance,
            base_url=emulator.ibm_url,
            on_request=on_request,
        ) as ibm,
        ScalewayQaaSClient(
            secret_key=emulator.scaleway_secret_key,
            project_id=emulator.scaleway_project_id,
            base_url=emulator.scaleway_url,
            on_request=on_request,
        ) as scw,
    ):
        yield ibm, scw


async def _run(
    emulator: Emulator,
    jobs: int,
    concurrency: int,
    shots: int,
    progress: Callable[[DemoProgress], None] | None,
) -> DemoReport:
    run = _RunState(
        progress=DemoProgress(total=jobs),
        timeline=_Timeline(emulator),
        limiter=anyio.CapacityLimiter(concurrency),
        on_progress=progress,
    )

    def count(event: RequestEvent) -> None:
        run.progress.requests += 1

    ibm_jobs = (jobs + 1) // 2
    scw_jobs = jobs - ibm_jobs
    started = time.monotonic()
    async with (
        _clients(emulator, on_request=count) as (ibm, scw),
        anyio.create_task_group() as group,
    ):
        run.tick()
        if ibm_jobs:
            group.start_soon(_ibm_part, ibm, emulator, ibm_jobs, shots, run)
        if scw_jobs:
            group.start_soon(_scaleway_part, scw, emulator, scw_jobs, shots, run)
    # Other clients, so that the requests the report counts are those of the workload alone.
    async with _clients(emulator) as (ibm, scw):
        samples: dict[str, dict[str, int]] = {}
        if "ibm" in run.completed:
            samples["ibm"] = (await ibm.jobs.counts(run.completed["ibm"]))[0]
        if "scaleway" in run.completed:
            samples["scaleway"] = (await scw.jobs.counts(run.completed["scaleway"]))[0]
    return DemoReport(
        jobs=jobs,
        by_provider_state={name: dict(c) for name, c in run.by_state.items() if c},
        wall_seconds=time.monotonic() - started,
        http_requests=run.progress.requests,
        notice_latencies=run.latencies,
        ibm_session_id=run.ids["ibm"],
        scaleway_session_id=run.ids["scaleway"],
        sample_counts=samples,
    )


async def _follow(
    group: WatchGroup[Any],
    provider: str,
    status_of: Callable[[Any], str],
    final_time_of: Callable[[Any], datetime | None],
    run: _RunState,
) -> None:
    """Consume a watch group's events, keeping counts and notice latencies."""
    current: dict[str, str] = {}
    async with group:
        async for event in group:
            noticed = time.monotonic()
            job = event.snapshot
            if event.error is not None:
                status = f"error: {type(event.error).__name__}"
            else:
                status = status_of(job)
            previous = current.get(event.id)
            if previous is not None:
                run.progress.states[f"{provider} {previous}"] -= 1
            current[event.id] = status
            run.progress.states[f"{provider} {status}"] += 1
            if event.final or event.error is not None:
                run.by_state[provider][status] += 1
                if event.error is None and status.lower() == "completed":
                    run.completed.setdefault(provider, event.id)
                run.progress.final += 1
                turned_final = run.timeline.real(final_time_of(job) if job is not None else None)
                if turned_final is not None:
                    run.latencies.append(max(noticed - turned_final, 0.0))
            run.tick()


def _ibm_status(job: Any) -> str:
    if job.ran_too_long:
        return "Cancelled - Ran too long"
    return str(job.status or "unknown")


async def _submit_and_follow(
    session: Any,
    provider: str,
    count: int,
    submit: Callable[[int], Awaitable[str]],
    status_of: Callable[[Any], str],
    final_time_of: Callable[[Any], datetime | None],
    run: _RunState,
) -> None:
    """Submit ``count`` jobs in ``session`` (bounded by the run's limiter) while following them."""
    run.ids[provider] = session.id
    group: WatchGroup[Any] = session.watch_jobs(policy=DEMO_POLL_POLICY, expect_more=True)

    async def one(index: int) -> None:
        async with run.limiter:
            job_id = await submit(index)
        group.add(job_id)
        run.progress.submitted += 1
        run.tick()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_follow, group, provider, status_of, final_time_of, run)
        async with anyio.create_task_group() as submitters:
            for index in range(count):
                submitters.start_soon(one, index)
        group.done_adding()


async def _ibm_part(
    ibm: IBMRuntimeClient, emulator: Emulator, count: int, shots: int, run: _RunState
) -> None:
    params = sampler_params([ISA_BELL_QASM], shots=shots)
    async with ibm.session(backend=emulator.ibm_backend, mode="batch") as session:

        async def submit(index: int) -> str:
            answer = await session.submit("sampler", params=params, tags=["demo", f"demo-{index}"])
            return answer.id

        await _submit_and_follow(
            session, "ibm", count, submit, _ibm_status, lambda job: job.ended, run
        )


async def _scaleway_part(
    scw: ScalewayQaaSClient, emulator: Emulator, count: int, shots: int, run: _RunState
) -> None:
    async with scw.session(platform_id=emulator.scaleway_platform_id) as session:

        async def submit(index: int) -> str:
            job = await session.submit(BELL_QASM, shots=shots, name=f"demo-{index}", tags=["demo"])
            return job.id

        await _submit_and_follow(
            session,
            "scaleway",
            count,
            submit,
            lambda job: str(job.status),
            lambda job: job.updated_at,
            run,
        )
