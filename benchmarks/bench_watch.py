"""Watching many jobs of one session until they are final: HTTP requests, wall time, delay.

For each provider a session is filled with jobs while the emulator's clock is frozen, then the
clock runs and the jobs finish one after the other. Followed by:

* our group watcher, ``client.jobs.watch_many(ids, session_id=...)`` (one session listing a tick);
* our per-job poller, ``asyncio.gather(*(client.jobs.wait(id) ...))``, with the same PollPolicy;
* the peer's own waiting loop: scaleway-async ``wait_for_job`` (its shortest delay, 1 s, from
  asyncio tasks) and qiskit-ibm-runtime ``RuntimeJobV2.wait_for_final_state`` (poll interval
  0.5 s, from 64 threads; the job objects are built as its service builds them, backend None).

Requests are counted by the emulator (``GET /_emulator/stats``, API paths only). The time to
notice a job is when the watcher reported it final minus when it ended (its end timestamp, in
virtual time, mapped back to this process's clock).

    python benchmarks/bench_watch.py [--quick] [--json PATH]
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import _contenders as k
from _common import (
    Control,
    EmulatorProcess,
    Report,
    Row,
    control_session,
    fmt_ms,
    import_peer,
    parse_args,
    percentile,
)

from qruntime_async import IBMRuntimeClient, PollPolicy, ScalewayQaaSClient
from qruntime_async.emulator import (
    IBM_INSTANCE,
    IBM_TOKEN,
    SCALEWAY_PROJECT_ID,
    SCALEWAY_SECRET_KEY,
)

SPEED = 100.0
INTERVAL = 0.5
POLICY = PollPolicy(
    first_delay=0.0,
    interval=INTERVAL,
    multiplier=1.0,
    max_interval=INTERVAL,
    jitter=0.0,
    use_hints=False,
)
REQUEST_TARGET = 20.0


@dataclass
class Outcome:
    """What one way of watching did."""

    label: str
    jobs: int
    requests: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    noticed: dict[str, float] = field(default_factory=dict)
    ended: dict[str, float] = field(default_factory=dict)
    delays: list[float] = field(default_factory=list)
    ticks: int = 0
    error: str | None = None

    @property
    def p95(self) -> float:
        return percentile(self.delays, 95)

    @property
    def p50(self) -> float:
        return percentile(self.delays, 50)


class Clock:
    """Maps the emulator's virtual timestamps to this process's monotonic clock."""

    def __init__(self, mono0: float, virt0: float, speed: float) -> None:
        self.mono0, self.virt0, self.speed = mono0, virt0, speed

    def to_mono(self, virtual: float) -> float:
        return self.mono0 + (virtual - self.virt0) / self.speed


def epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


Watcher = Callable[[list[str], str, Outcome], Awaitable[None]]


def ibm_ended(job: Any) -> datetime | None:
    return job.ended  # type: ignore[no-any-return]


def scw_ended(job: Any) -> datetime | None:
    return job.updated_at  # type: ignore[no-any-return]


async def scenario(
    ctl: Control,
    provider: str,
    n: int,
    label: str,
    watcher: Watcher,
    ends_after: Callable[[str, Outcome], Awaitable[None]] | None = None,
) -> Outcome:
    """Seed a session with ``n`` jobs (clock frozen), then run the clock and ``watcher``."""
    out = Outcome(label, n)
    await ctl.reset()
    await ctl.set_speed(0.0)
    if provider == "ibm":
        session_id = await ctl.ibm_session()
        ids = await ctl.ibm_jobs(n, session_id=session_id)
    else:
        session_id = await ctl.scaleway_session()
        ids = await ctl.scaleway_jobs(n, session_id)
    before = await ctl.api_requests(provider)
    cpu0 = time.process_time()
    mono0, virt0 = await ctl.set_speed(SPEED)
    try:
        await watcher(ids, session_id, out)
    except Exception as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    out.wall = (max(out.noticed.values()) if out.noticed else time.monotonic()) - mono0
    out.cpu = time.process_time() - cpu0
    out.requests = await ctl.api_requests(provider) - before
    if ends_after is not None and not out.error:
        await ends_after(session_id, out)
    clock = Clock(mono0, virt0, SPEED)
    out.delays = [
        out.noticed[jid] - clock.to_mono(out.ended[jid]) for jid in out.noticed if jid in out.ended
    ]
    last_end = max((clock.to_mono(v) for v in out.ended.values()), default=mono0) - mono0
    print(
        f"  {label:44} {len(out.noticed):>5}/{n} final  {out.requests:>7,} requests  "
        f"wall {out.wall:6.2f} s (last job ended at {last_end:5.2f} s)  "
        f"notice p50 {fmt_ms(out.p50)} p95 {fmt_ms(out.p95)}  client CPU {out.cpu:.2f} s"
        + (f"  ERROR {out.error}" if out.error else "")
    )
    if out.ticks > 1:
        print(
            f"  {'':44} {out.ticks} ticks, one every {out.wall / (out.ticks - 1) * 1e3:.0f} ms "
            f"on average (interval {INTERVAL * 1e3:.0f} ms)"
        )
    return out


async def creation_rows(report: Report, ctl: Control, n: int) -> None:
    """``n`` jobs created in one IBM session, in ten chunks: is each chunk as quick as the first?"""
    await ctl.reset()
    await ctl.set_speed(0.0)
    session_id = await ctl.ibm_session()
    size = max(1, n // 10)
    times: list[float] = []
    for _ in range(10):
        t0 = time.perf_counter()
        await ctl.ibm_jobs(size, session_id=session_id)
        times.append(time.perf_counter() - t0)
    first, last = times[0], times[-1]
    ratio = last / first
    print(
        f"  creating {10 * size} jobs in one IBM session, {size} at a time: "
        + " ".join(f"{t * 1e3:.0f}" for t in times)
        + f" ms per chunk (last/first {ratio:.2f})"
    )
    report.add(
        Row(
            benchmark=f"create {10 * size:,} jobs in one IBM session: time of the last "
            f"{size} vs the first {size}",
            ours=f"{sum(times):.2f} s in all; first chunk {first * 1e3:.0f} ms, "
            f"last {last * 1e3:.0f} ms",
            others="(quadratic creation would make the last chunk about 19x the first)",
            ratio=ratio,
            target="<= 2.0x (linear time)",
            met=ratio <= 2.0,
        )
    )


# -- ours, for either provider -------------------------------------------------------------

Client = IBMRuntimeClient | ScalewayQaaSClient


def group_watcher(
    make_client: Callable[[], Client], ended_of: Callable[[Any], datetime | None], timeout: float
) -> Watcher:
    """Our group watcher: one listing of the session a tick."""

    async def run(ids: list[str], session_id: str, out: Outcome) -> None:
        async with make_client() as client:
            group = client.jobs.watch_many(
                ids, session_id=session_id, policy=POLICY, timeout=timeout
            )
            async with group:
                async for event in group:
                    if event.final and event.snapshot is not None:
                        out.noticed[event.id] = time.monotonic()
                        ended = epoch(ended_of(event.snapshot))
                        if ended is not None:
                            out.ended[event.id] = ended
            out.ticks = group.stats.ticks

    return run


def each_watcher(
    make_client: Callable[[], Client], ended_of: Callable[[Any], datetime | None], timeout: float
) -> Watcher:
    """Per-job polling with our poller and the same policy."""

    async def run(ids: list[str], session_id: str, out: Outcome) -> None:
        async with make_client() as client:

            async def one(job_id: str) -> None:
                job = await client.jobs.wait(job_id, policy=POLICY, timeout=timeout)
                out.noticed[job_id] = time.monotonic()
                ended = epoch(ended_of(job))
                if ended is not None:
                    out.ended[job_id] = ended

            await asyncio.gather(*(one(job_id) for job_id in ids))

    return run


# -- IBM -----------------------------------------------------------------------------------


def ibm_client(emu: EmulatorProcess) -> IBMRuntimeClient:
    return IBMRuntimeClient(token=IBM_TOKEN, instance=IBM_INSTANCE, base_url=emu.ibm_url)


def qiskit_waiter(emu: EmulatorProcess, timeout: float) -> Watcher:
    async def run(ids: list[str], session_id: str, out: Outcome) -> None:
        job_mod, why = import_peer("qiskit_ibm_runtime.runtime_job_v2")
        if job_mod is None:
            raise RuntimeError(f"qiskit-ibm-runtime is not importable: {why}")
        rc = k.qiskit_runtime_client(emu.ibm_url)
        lock = threading.Lock()

        def wait_one(job_id: str) -> None:
            job = job_mod.RuntimeJobV2(
                backend=None,
                api_client=rc,
                service=None,
                job_id=job_id,
                program_id="sampler",
                session_id=session_id,
            )
            job.wait_for_final_state(timeout=timeout, poll_interval=INTERVAL)
            with lock:
                out.noticed[job_id] = time.monotonic()

        def all_jobs() -> None:
            with ThreadPoolExecutor(max_workers=64) as pool:
                for future in [pool.submit(wait_one, job_id) for job_id in ids]:
                    future.result()

        await asyncio.to_thread(all_jobs)

    return run


def ibm_ends(emu: EmulatorProcess) -> Callable[[str, Outcome], Awaitable[None]]:
    async def fetch(session_id: str, out: Outcome) -> None:
        async with (
            ibm_client(emu) as client,
            client.jobs.list(session_id=session_id, page_size=200) as pager,
        ):
            async for job in pager:
                ended = epoch(job.ended)
                if ended is not None:
                    out.ended[job.id] = ended

    return fetch


# -- Scaleway ------------------------------------------------------------------------------


def scw_client(emu: EmulatorProcess) -> ScalewayQaaSClient:
    return ScalewayQaaSClient(
        secret_key=SCALEWAY_SECRET_KEY, project_id=SCALEWAY_PROJECT_ID, base_url=emu.url
    )


def scaleway_async_waiter(emu: EmulatorProcess, timeout: float) -> Watcher:
    async def run(ids: list[str], session_id: str, out: Outcome) -> None:
        waiter, why = import_peer("scaleway_core.utils.waiter")
        if waiter is None:
            raise RuntimeError(f"scaleway-async is not importable: {why}")
        api = k.scaleway_async_api(emu.url)

        async def one(job_id: str) -> None:
            # Its shortest allowed delay is 1 s (min_delay < 1 is refused).
            options: Any = waiter.WaitForOptions(timeout=timeout, min_delay=1, max_delay=1)
            job = await api.wait_for_job(job_id=job_id, options=options)
            out.noticed[job_id] = time.monotonic()
            ended = epoch(job.updated_at)
            if ended is not None:
                out.ended[job_id] = ended

        await asyncio.gather(*(one(job_id) for job_id in ids))

    return run


# -- report --------------------------------------------------------------------------------


def add_rows(
    report: Report, provider: str, n: int, group: Outcome, each: Outcome, peer: Outcome
) -> None:
    def brief(o: Outcome) -> str:
        if o.error and not o.noticed:
            return f"{o.label}: failed ({o.error})"
        return f"{o.label} {o.requests:,} requests, {o.wall:.1f} s"

    ratio = each.requests / group.requests if group.requests else None
    report.add(
        Row(
            benchmark=f"watch {n:,} {provider} jobs of one session: HTTP requests",
            ours=f"{group.requests:,} requests, {group.wall:.1f} s",
            others=f"{brief(each)}; {brief(peer)}",
            ratio=ratio,
            target=f">= {REQUEST_TARGET:g}x fewer than per-job polling",
            met=None if ratio is None or group.error else ratio >= REQUEST_TARGET,
        )
    )

    def delay(o: Outcome) -> str:
        if not o.delays:
            return f"{o.label}: n/a"
        return f"{o.label} p95 {fmt_ms(o.p95)}"

    report.add(
        Row(
            benchmark=f"watch {n:,} {provider} jobs: p95 time to notice a job is final",
            ours=f"p95 {fmt_ms(group.p95)} (p50 {fmt_ms(group.p50)})",
            others=f"{delay(each)}; {delay(peer)}",
            ratio=None,
            target=f"<= one poll interval ({fmt_ms(INTERVAL)})",
            met=None if not group.delays or group.error else group.p95 <= INTERVAL,
        )
    )


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    n_scw = 200 if args.quick else 1000
    n_ibm = 200 if args.quick else 1000
    timeout = 60.0 if args.quick else 120.0
    report = Report("watching")
    print(
        f"poll interval {INTERVAL} s, emulator speed x{SPEED:g}; {n_scw} Scaleway jobs, "
        f"{n_ibm} IBM jobs, each set in one session"
    )
    with EmulatorProcess(speed=SPEED) as emu:
        async with control_session() as http:
            ctl = Control(http, emu.url)
            print("Scaleway:")
            scw = [
                await scenario(
                    ctl,
                    "scaleway",
                    n_scw,
                    "qruntime_async watch_many",
                    group_watcher(lambda: scw_client(emu), scw_ended, timeout),
                ),
                await scenario(
                    ctl,
                    "scaleway",
                    n_scw,
                    "qruntime_async per-job wait",
                    each_watcher(lambda: scw_client(emu), scw_ended, timeout),
                ),
                await scenario(
                    ctl,
                    "scaleway",
                    n_scw,
                    "scaleway-async wait_for_job",
                    scaleway_async_waiter(emu, timeout),
                ),
            ]
            print("IBM:")
            await creation_rows(report, ctl, n_ibm)
            ibm = [
                await scenario(
                    ctl,
                    "ibm",
                    n_ibm,
                    "qruntime_async watch_many",
                    group_watcher(lambda: ibm_client(emu), ibm_ended, timeout),
                ),
                await scenario(
                    ctl,
                    "ibm",
                    n_ibm,
                    "qruntime_async per-job wait",
                    each_watcher(lambda: ibm_client(emu), ibm_ended, timeout),
                ),
                await scenario(
                    ctl,
                    "ibm",
                    n_ibm,
                    "qiskit-ibm-runtime wait_for_final_state",
                    qiskit_waiter(emu, timeout),
                    ends_after=ibm_ends(emu),
                ),
            ]
    add_rows(report, "Scaleway", n_scw, *scw)
    add_rows(report, "IBM", n_ibm, *ibm)
    for o in (scw[0], ibm[0]):
        if o.ticks > 1:
            report.note(
                f"{o.label} ({'Scaleway' if o is scw[0] else 'IBM'}): {o.ticks} ticks, one every "
                f"{o.wall / (o.ticks - 1) * 1e3:.0f} ms on average for a {INTERVAL * 1e3:.0f} ms "
                "interval; a job ending at a random moment waits up to one period, so the p95 "
                "time to notice is about 0.95 x that period plus one listing"
            )
    report.note(
        "qiskit-ibm-runtime: 64 threads, each waiting for one job at a time "
        f"(wait_for_final_state, poll_interval={INTERVAL}); scaleway-async: wait_for_job with "
        "min_delay=max_delay=1 s (its floor) from asyncio tasks, its HTTP calls blocking the loop"
    )
    report.finish(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
