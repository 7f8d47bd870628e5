"""Paging: 100,000 IBM workloads through ``client.workloads.list_mine``, items/s and RSS growth.

1. through the emulator (a child process): 100,000 finished jobs stored at once by
   ``POST /_emulator/seed``, then listed with the emulator's largest page (100); target
   >= 20,000 items/s (the emulator keeps its workloads sorted between pages);
2. through ``_page_server.py`` (a child process that serves pages shaped like the emulator's):
   100,000 workloads with pages of 100 and 1,000.

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
EMULATOR_RATE_TARGET = 20_000
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
            started = time.perf_counter()
            async with http.post(emu.url + "/_emulator/seed", json={"ibm_jobs": n}) as resp:
                answer = await resp.json()
                if resp.status != 200 or answer.get("ibm_jobs") != n:
                    raise RuntimeError(f"seeding failed: {resp.status} {answer}")
            seeding = time.perf_counter() - started
        count, seconds, growth = await page_through(emu.ibm_url, EMULATOR_PAGE, n)
    rate = count / seconds
    one_page = seconds / math.ceil(count / EMULATOR_PAGE)
    print(
        f"  emulator: seeded {n:,} finished jobs in {seeding:.2f} s (POST /_emulator/seed); "
        f"listed {count:,} in {seconds:.2f} s ({fmt_rate(rate, 'items/s')}, a page of "
        f"{EMULATOR_PAGE} in {one_page * 1e3:.1f} ms), peak RSS growth {fmt_mib(growth)}"
    )
    report.add(
        Row(
            benchmark=f"page {n:,} workloads through the emulator (pages of {EMULATOR_PAGE}, "
            "list_mine)",
            ours=f"{fmt_rate(rate, 'items/s')} ({seconds:.1f} s), peak RSS +{fmt_mib(growth)}",
            others=f"seeded in {seeding:.1f} s by POST /_emulator/seed",
            ratio=None,
            target=f">= {fmt_rate(EMULATOR_RATE_TARGET, 'items/s')}",
            met=rate >= EMULATOR_RATE_TARGET,
        )
    )
    report.add(
        Row(
            benchmark=f"page {n:,} workloads through the emulator: peak RSS growth",
            ours=f"+{fmt_mib(growth)}",
            others="-",
            ratio=None,
            target=f"< {fmt_mib(RSS_TARGET)}",
            met=growth < RSS_TARGET,
        )
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
    n_emu = 20_000 if args.quick else 100_000
    n_stub = 20_000 if args.quick else 100_000
    await emulator_part(report, n_emu)
    await stub_part(report, n_stub, (100, 1000))
    report.note(
        f"{n_stub:,} workloads also served by benchmarks/_page_server.py (pages shaped like the "
        "emulator's, cursor paging, bearer token checked), to page with 1,000 items a page "
        "(the emulator's largest page is 100)"
    )
    report.finish(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
