"""Call overhead: get-job calls per second at concurrency 1 and 64, ours vs the floor and the peers.

The emulator runs in a child process. Contenders, each fetching one finished job:

* qruntime_async: ``client.jobs.get(id)`` (IBM and Scaleway);
* the floor: one ``aiohttp.ClientSession``, the same headers, the body decoded into a plain
  msgspec struct with the same fields;
* scaleway-async: ``QaasV1Alpha1API.get_job`` (its ``async def`` runs a blocking ``requests``
  call, so 64 concurrent tasks run one after the other);
* qiskit-ibm-runtime: ``RuntimeClient.job_get`` (its REST layer over one ``RetrySession``),
  serially for concurrency 1 and from a pool of 64 threads for concurrency 64.

Ours and the floor alternate in chunks (16 chunks of 250 calls each), so that both meet whatever
else the machine is doing at the time. The judged ratio is client CPU per call (process CPU
time over calls; the server is another process): the median over the pairs of adjacent chunks
of our CPU per call over the floor's. The wall-time ratio (median over the pairs, and over all
chunks) is shown too. Rows name the aiohttp version they ran on: ``run_all.py --also-python``
runs this script once more under another interpreter (e.g. a venv with the newest aiohttp).

    python benchmarks/bench_calls.py [--quick] [--json PATH]
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import sys
from collections.abc import Awaitable, Callable, Sequence

import _contenders as k
from _common import (
    Control,
    EmulatorProcess,
    Report,
    Row,
    control_session,
    fmt_rate,
    median,
    parse_args,
)

from qruntime_async import IBMRuntimeClient, ScalewayQaaSClient
from qruntime_async.emulator import (
    IBM_INSTANCE,
    IBM_TOKEN,
    SCALEWAY_PROJECT_ID,
    SCALEWAY_SECRET_KEY,
)

FLOOR_TARGET = 1.15
PEER_TARGET = 3.0
CONCURRENCIES = (1, 64)


async def finished_jobs(emu: EmulatorProcess, ctl: Control) -> tuple[str, str]:
    """One IBM job and one Scaleway job, each waited for until final."""
    (ibm_job,) = await ctl.ibm_jobs(1)
    scw_session = await ctl.scaleway_session()
    (scw_job,) = await ctl.scaleway_jobs(1, scw_session)
    async with IBMRuntimeClient(
        token=IBM_TOKEN, instance=IBM_INSTANCE, base_url=emu.ibm_url
    ) as ibm:
        await ibm.jobs.wait(ibm_job, timeout=60)
    async with ScalewayQaaSClient(
        secret_key=SCALEWAY_SECRET_KEY, project_id=SCALEWAY_PROJECT_ID, base_url=emu.url
    ) as scw:
        await scw.jobs.wait(scw_job, timeout=60)
    return ibm_job, scw_job


def cpu_text(run: k.Run) -> str:
    return f"{run.cpu_per_call * 1e6:,.0f} us CPU/call"


def total(runs: Sequence[k.Run]) -> k.Run:
    return k.Run(
        calls=sum(r.calls for r in runs),
        seconds=sum(r.seconds for r in runs),
        cpu_seconds=sum(r.cpu_seconds for r in runs),
        errors=sum(r.errors for r in runs),
    )


AIOHTTP = importlib.metadata.version("aiohttp")


async def paired(
    ours: k.Contender, floor: k.Contender, calls: int, chunks: int, conc: int
) -> tuple[k.Run, k.Run, list[float], list[float]]:
    """``calls`` calls each, in ``chunks`` alternating chunks; per-pair CPU and time ratios."""
    size = max(1, calls // chunks)
    mine: list[k.Run] = []
    theirs: list[k.Run] = []
    cpu_ratios: list[float] = []
    ratios: list[float] = []
    for index in range(chunks):
        # Alternate which side goes first, so that neither always runs on a warmer machine.
        if index % 2 == 0:
            o = await k.drive(ours, size, conc, 120.0)
            f = await k.drive(floor, size, conc, 120.0)
        else:
            f = await k.drive(floor, size, conc, 120.0)
            o = await k.drive(ours, size, conc, 120.0)
        mine.append(o)
        theirs.append(f)
        cpu_ratios.append(o.cpu_per_call / f.cpu_per_call)
        ratios.append(f.rate / o.rate)
    return total(mine), total(theirs), cpu_ratios, ratios


async def measure(
    report: Report,
    provider: str,
    ours: k.Contender,
    floor: k.Contender,
    peer_factory: Callable[[], Awaitable[k.Contender]],
    peer_label: str,
    *,
    calls: int,
    chunks: int,
    peer_cap: float,
) -> None:
    warm = min(200, calls)
    for contender in (ours, floor):
        await k.drive(contender, warm, 64, 30.0)
    peer: k.Contender | None
    try:
        peer = await peer_factory()
        await k.drive(peer, min(20, calls), 1, 30.0)
    except Exception as exc:
        peer = None
        report.note(f"{peer_label} could not be run against the emulator: {exc}")

    for conc in CONCURRENCIES:
        o, f, cpu_ratios, ratios = await paired(ours, floor, calls, chunks, conc)
        # The median pair resists a chunk that another process happened to slow down.
        cpu_ratio = median(cpu_ratios)
        time_ratio = median(ratios)
        shown = " ".join(f"{r:.2f}" for r in cpu_ratios)
        print(
            f"  {provider:8} c={conc:<3} {ours.name:24} {fmt_rate(o.rate):>16}  {cpu_text(o)}\n"
            f"  {provider:8} c={conc:<3} {floor.name:24} {fmt_rate(f.rate):>16}  {cpu_text(f)}\n"
            f"  {provider:8} c={conc:<3} CPU ratio per chunk pair: {shown}  "
            f"(median {cpu_ratio:.2f}, all chunks {o.cpu_per_call / f.cpu_per_call:.2f}; "
            f"time ratio median {time_ratio:.2f})"
            + (f"  errors {o.errors + f.errors}" if o.errors or f.errors else "")
        )
        report.add(
            Row(
                benchmark=f"{provider} get job, concurrency {conc}, aiohttp {AIOHTTP}: "
                "client CPU per call vs the floor",
                ours=f"{cpu_text(o)} ({fmt_rate(o.rate)})",
                others=f"floor {cpu_text(f)} ({fmt_rate(f.rate)}); all chunks "
                f"{o.cpu_per_call / f.cpu_per_call:.2f}x, time per call {time_ratio:.2f}x",
                ratio=cpu_ratio,
                target=f"<= {FLOOR_TARGET}x floor",
                met=cpu_ratio <= FLOOR_TARGET,
            )
        )
        if peer is None:
            report.add(
                Row(
                    benchmark=f"{provider} get job, concurrency {conc}, aiohttp {AIOHTTP}: "
                    f"vs {peer_label}",
                    ours=fmt_rate(o.rate),
                    others=f"{peer_label}: not run",
                    ratio=None,
                    target=f">= {PEER_TARGET}x faster" if conc == 64 else "report",
                    met=None,
                )
            )
            continue
        p = await k.drive(peer, calls, conc, peer_cap)
        capped = f", stopped after {p.calls} calls" if p.calls < calls else ""
        print(
            f"  {provider:8} c={conc:<3} {peer.name:24} {fmt_rate(p.rate):>16}  "
            f"{cpu_text(p)}{capped}" + (f"  errors {p.errors}" if p.errors else "")
        )
        speedup = o.rate / p.rate
        if peer.call_sync is not None:
            how = "serial" if conc == 1 else f"{conc} threads"
        else:
            how = "1 task" if conc == 1 else f"{conc} asyncio tasks"
        report.add(
            Row(
                benchmark=f"{provider} get job, concurrency {conc}, aiohttp {AIOHTTP}: "
                f"vs {peer_label}",
                ours=fmt_rate(o.rate),
                others=f"{peer_label} {fmt_rate(p.rate)} ({how}{capped}; {cpu_text(p)})",
                ratio=speedup,
                target=f">= {PEER_TARGET}x faster" if conc == 64 else "report",
                met=(speedup >= PEER_TARGET) if conc == 64 else None,
            )
        )
    if peer is not None:
        await peer.aclose()


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    calls = 400 if args.quick else 4000
    chunks = 4 if args.quick else 16
    peer_cap = 6.0 if args.quick else 25.0
    report = Report(f"call overhead (aiohttp {AIOHTTP})")
    print(
        f"get-job calls: {calls} for each client and concurrency; ours and the floor alternate "
        f"in {chunks} chunks of {calls // chunks}"
    )
    with EmulatorProcess(speed=100) as emu:
        async with control_session() as http:
            ctl = Control(http, emu.url)
            ibm_job, scw_job = await finished_jobs(emu, ctl)

        ours = await k.ours_ibm(emu.ibm_url, ibm_job)
        floor = await k.floor_ibm(emu.ibm_url, ibm_job)
        try:
            await measure(
                report,
                "IBM",
                ours,
                floor,
                lambda: k.qiskit_ibm(emu.ibm_url, ibm_job),
                "qiskit-ibm-runtime",
                calls=calls,
                chunks=chunks,
                peer_cap=peer_cap,
            )
        finally:
            await ours.aclose()
            await floor.aclose()

        ours = await k.ours_scaleway(emu.url, scw_job)
        floor = await k.floor_scaleway(emu.url, scw_job)
        try:
            await measure(
                report,
                "Scaleway",
                ours,
                floor,
                lambda: k.scaleway_async(emu.url, scw_job),
                "scaleway-async",
                calls=calls,
                chunks=chunks,
                peer_cap=peer_cap,
            )
        finally:
            await ours.aclose()
            await floor.aclose()
    report.note(
        "qiskit-ibm-runtime: RuntimeClient.job_get (REST adapter over its RetrySession), "
        "serially for concurrency 1 and from 64 threads for concurrency 64; its auth hook "
        "sends the emulator's bearer token (its IAM handler wants JWT access tokens)"
    )
    report.note(
        "scaleway-async: QaasV1Alpha1API.get_job from 1 or 64 asyncio tasks; each call is a "
        "blocking requests.request (a new connection each time), so 64 tasks run serially"
    )
    report.finish(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
