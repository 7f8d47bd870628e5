"""Paging: 100,000 IBM workloads through ``client.workloads.list_mine``, items/s and RSS growth.

The emulator has no fast way to hold 100,000 workloads: it offers no seeding route (its control
routes are stats, reset, faults, clock, config and health), creating them one ``POST /jobs`` at a
time runs at a few hundred a second, and its ``GET /workloads/me`` renders and sorts every
workload of the user for each page, so one page costs time proportional to all workloads. So:

1. against the emulator (a child process): a few thousand workloads seeded over HTTP, paged
   through with the emulator's largest page (100), to show the real path and its per-page cost;
2. against ``_page_server.py`` (a child process that serves pages shaped like the emulator's in
   time proportional to the page): 100,000 workloads with pages of 100 and 1,000.

Peak RSS growth is VmHWM (reset just before iterating) minus the RSS before iterating; nothing
is kept from the iteration but a count.

    python benchmarks/bench_paging.py [--quick] [--json PATH]
"""

from __future__ import annotations

import asyncio
import gc
import math
import sys
import time
from collections.abc import Sequence

from _common import (
    Control,
    EmulatorProcess,
    Report,
    Row,
    ServerProcess,
    control_session,
    fmt_mib,
    fmt_rate,
    parse_args,
    peak_rss_bytes,
    reset_peak_rss,
    rss_bytes,
)

from qruntime_async import IBMRuntimeClient
from qruntime_async.emulator import IBM_INSTANCE, IBM_TOKEN

RSS_TARGET = 30 * 2**20
EMULATOR_PAGE = 100


async def page_through(base_url: str, page_size: int, expect: int) -> tuple[int, float, int]:
    """(items, seconds, peak RSS growth in bytes) of one full listing."""
    async with IBMRuntimeClient(
        token=IBM_TOKEN, instance=IBM_INSTANCE, base_url=base_url
    ) as client:
        # Warm up: connection, decoders, the first page.
        await client.workloads.list_mine(page_size=page_size).first_page()
        gc.collect()
        baseline = rss_bytes()
        exact = reset_peak_rss()
        sampled = baseline
        count = 0
        started = time.perf_counter()
        async with client.workloads.list_mine(page_size=page_size) as pager:
            async for _ in pager:
                count += 1
                if count % page_size == 0:
                    sampled = max(sampled, rss_bytes())
        seconds = time.perf_counter() - started
        peak = peak_rss_bytes() if exact else None
        growth = (peak if peak is not None else max(sampled, rss_bytes())) - baseline
    if count != expect:
        raise RuntimeError(f"listed {count} workloads, expected {expect}")
    return count, seconds, growth


async def emulator_part(report: Report, n: int) -> None:
    with EmulatorProcess(speed=1.0) as emu:
        async with control_session() as http:
            ctl = Control(http, emu.url)
            started = time.perf_counter()
            await ctl.ibm_jobs(n, concurrency=32)
            seeding = time.perf_counter() - started
        count, seconds, growth = await page_through(emu.ibm_url, EMULATOR_PAGE, n)
    per_item = seconds / count
    one_page = seconds / math.ceil(count / EMULATOR_PAGE)
    # Each page renders every workload, so its cost grows in proportion to the total.
    estimate = (100_000 / EMULATOR_PAGE) * one_page * (100_000 / n)
    print(
        f"  emulator: seeded {n:,} workloads in {seeding:.1f} s "
        f"({fmt_rate(n / seeding, 'jobs/s')}); "
        f"a page of {EMULATOR_PAGE} takes {one_page * 1e3:.0f} ms on average at this size"
    )
    print(
        f"  emulator: listed {count:,} in {seconds:.2f} s ({fmt_rate(count / seconds, 'items/s')}, "
        f"{per_item * 1e6:.0f} us an item), peak RSS growth {fmt_mib(growth)}"
    )
    report.add(
        Row(
            benchmark=f"page {n:,} workloads from the emulator (pages of {EMULATOR_PAGE})",
            ours=f"{fmt_rate(count / seconds, 'items/s')}, peak RSS +{fmt_mib(growth)}",
            others="(emulator-bound: every page sorts all workloads)",
            ratio=None,
            target="report",
            met=None,
        )
    )
    report.note(
        f"emulator: seeding over HTTP ran at {n / seeding:,.0f} jobs/s (100,000 would take "
        f"{100_000 / (n / seeding) / 60:.1f} min), and a page of {EMULATOR_PAGE} took "
        f"{one_page * 1e3:.0f} ms on average with {n:,} workloads, growing with the total: "
        f"listing 100,000 would take about {estimate / 60:.0f} min. Needed: a seeding route or "
        "option (e.g. POST /_emulator/seed or --seed-workloads N) and a sorted index of "
        "workloads kept between pages (each page still sorts every workload)"
    )


async def stub_part(report: Report, n: int, page_sizes: Sequence[int]) -> None:
    server = ServerProcess(
        [sys.executable, "benchmarks/_page_server.py", "--items", str(n), "--port", "0"]
    )
    with server:
        base = server.url + "/runtime"
        for size in page_sizes:
            count, seconds, growth = await page_through(base, size, n)
            rate = count / seconds
            print(
                f"  page server: {count:,} workloads, pages of {size}: {seconds:.2f} s "
                f"({fmt_rate(rate, 'items/s')}), peak RSS growth {fmt_mib(growth)}"
            )
            report.add(
                Row(
                    benchmark=f"page {n:,} workloads (pages of {size}, list_mine): peak RSS growth",
                    ours=f"+{fmt_mib(growth)}; {fmt_rate(rate, 'items/s')} ({seconds:.1f} s)",
                    others="-",
                    ratio=None,
                    target=f"< {fmt_mib(RSS_TARGET)}",
                    met=growth < RSS_TARGET,
                )
            )


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    report = Report("paging")
    n_emu = 500 if args.quick else 2000
    n_stub = 20_000 if args.quick else 100_000
    await emulator_part(report, n_emu)
    await stub_part(report, n_stub, (100, 1000))
    report.note(
        f"{n_stub:,} workloads served by benchmarks/_page_server.py (pages shaped like the "
        "emulator's, cursor paging, bearer token checked), as the emulator cannot hold them"
    )
    report.finish(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
