"""Exactly-once submission on the happy path: ``jobs.submit`` calls vs the same POSTs raw.

``client.jobs.submit("sampler", ...)`` tags each job with a fresh idempotency key and would, if
an answer were lost, look the job up by that tag instead of creating it again. When nothing is
lost that machinery should cost nothing: one ``POST /jobs`` per job, and the wall time of the
same POSTs (same body, tag included) sent with a raw ``aiohttp.ClientSession``.

Both sides submit 10,000 jobs (at least the 1,000 of the target, in 20 chunks of 500 long
enough to time) from 16 tasks to an emulator in a child process; they alternate in chunks
(ours first in even chunks, raw first in odd ones) and the ratio is the median over the pairs of
our wall time over the raw one's. Requests are counted by the emulator (API paths only).

    python benchmarks/bench_submit.py [--quick] [--json PATH]
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from _common import (
    BELL,
    IBM_HEADERS,
    Control,
    EmulatorProcess,
    Report,
    Row,
    control_session,
    median,
    parse_args,
)

from qruntime_async import IBMRuntimeClient
from qruntime_async._constants import USER_AGENT
from qruntime_async._submit import idempotency_tag, new_idempotency_key
from qruntime_async.emulator import IBM_BACKEND, IBM_INSTANCE, IBM_TOKEN

TIME_TARGET = 1.1
CONCURRENCY = 16
PARAMS = {"pubs": [[BELL, None, 100]]}


async def timed(n: int, submit: Callable[[], Awaitable[Any]]) -> float:
    """Wall seconds of ``n`` submissions from CONCURRENCY tasks."""
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await submit()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - t0


async def main_async(quick: bool) -> Report:
    report = Report("exactly-once submission")
    total = 400 if quick else 10000
    chunks = 4 if quick else 20
    size = total // chunks
    with EmulatorProcess(speed=1000) as emu:
        async with (
            control_session() as http,
            IBMRuntimeClient(token=IBM_TOKEN, instance=IBM_INSTANCE, base_url=emu.ibm_url) as ours,
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100, limit_per_host=64),
                cookie_jar=aiohttp.DummyCookieJar(),
            ) as raw,
        ):
            ctl = Control(http, emu.url)
            url = f"{emu.ibm_url}/jobs"
            headers = {
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
                "Content-Type": "application/json",
                **IBM_HEADERS,
            }

            async def submit_ours() -> Any:
                return await ours.jobs.submit("sampler", backend=IBM_BACKEND, params=PARAMS)

            async def submit_raw() -> Any:
                body = {
                    "program_id": "sampler",
                    "backend": IBM_BACKEND,
                    "params": PARAMS,
                    "tags": [idempotency_tag(new_idempotency_key())],
                }
                async with raw.post(url, json=body, headers=headers) as resp:
                    data = await resp.read()
                    if resp.status >= 300:
                        raise RuntimeError(f"POST /jobs -> {resp.status}: {data[:200]!r}")
                    return data

            # Warm up both (connections, decoders); not counted.
            await timed(2 * CONCURRENCY, submit_ours)
            await timed(2 * CONCURRENCY, submit_raw)
            ratios: list[float] = []
            seconds = {"ours": 0.0, "raw": 0.0}
            requests = {"ours": 0, "raw": 0}
            for index in range(chunks):
                order = [("ours", submit_ours), ("raw", submit_raw)]
                if index % 2:
                    order.reverse()
                took: dict[str, float] = {}
                for name, fn in order:
                    before = await ctl.api_requests("ibm")
                    took[name] = await timed(size, fn)
                    requests[name] += await ctl.api_requests("ibm") - before
                    seconds[name] += took[name]
                ratios.append(took["ours"] / took["raw"])
    ratio = median(ratios)
    print(
        f"{total} submissions each from {CONCURRENCY} tasks, {chunks} alternating chunks:\n"
        f"  jobs.submit  {seconds['ours']:.2f} s, {requests['ours']} requests\n"
        f"  raw POST     {seconds['raw']:.2f} s, {requests['raw']} requests\n"
        f"  time ratio per chunk pair: {' '.join(f'{r:.2f}' for r in ratios)} "
        f"(median {ratio:.2f})"
    )
    report.add(
        Row(
            benchmark=f"{total:,} IBM submissions, jobs.submit vs raw POST: wall time",
            ours=f"{seconds['ours']:.2f} s ({total / seconds['ours']:,.0f} jobs/s)",
            others=f"raw POST {seconds['raw']:.2f} s ({total / seconds['raw']:,.0f} jobs/s)",
            ratio=ratio,
            target=f"<= {TIME_TARGET}x raw",
            met=ratio <= TIME_TARGET,
        )
    )
    report.add(
        Row(
            benchmark=f"{total:,} IBM submissions: requests per job (emulator's count)",
            ours=f"{requests['ours']} requests, {requests['ours'] / total:.2f} per job",
            others=f"raw POST {requests['raw']} requests",
            ratio=None,
            target="exactly 1 per job",
            met=requests["ours"] == total,
        )
    )
    report.note(
        "submission: ratio is the median over chunk pairs of our wall time over the raw one's; "
        f"{CONCURRENCY} tasks each side, emulator at speed x1000"
    )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    report = asyncio.run(main_async(args.quick))
    report.finish(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
