"""Memory and request counts of a WatchGroup following many jobs at once.

A fake in-process server answers realistic IBM-style job documents (decoded with msgspec into a
small struct, as the SDK does); time is simulated, so the run takes seconds, not minutes. Each job
is queued, then runs, then completes (a few fail), at times drawn from a seeded random source.

    python benchmarks/watch_memory.py                  # 10,000 jobs, one list request a tick
    python benchmarks/watch_memory.py --mode single    # one GET a job, bounded concurrency
    python benchmarks/watch_memory.py --jobs 50000
    python benchmarks/watch_memory.py --trace          # also count Python allocations exactly
    python benchmarks/watch_memory.py --mode single --no-reset   # no restart after a change

RSS is read from /proc/self/status (VmRSS, VmHWM), falling back to getrusage's peak. RSS also
counts memory the allocator keeps after the fake server's large answers are freed; ``--trace``
adds tracemalloc's exact count of what stays allocated (slower, and it inflates RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import resource
import sys
import time
import tracemalloc
from datetime import datetime

import msgspec

from qruntime_async._poll_policy import PollPolicy
from qruntime_async._watch_group import WatchGroup

FINAL = frozenset({"Completed", "Failed", "Cancelled"})


class State(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    reason: str | None = None
    reason_code: int | None = None


class Program(msgspec.Struct, frozen=True, kw_only=True):
    id: str


class Usage(msgspec.Struct, frozen=True, kw_only=True):
    seconds: float | None = None


class Job(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    backend: str
    status: str
    state: State
    program: Program
    created: datetime
    ended: datetime | None = None
    session_id: str | None = None
    tags: list[str] = []
    usage: Usage | None = None
    estimated_running_time_seconds: float | None = None
    estimated_start_time_seconds: float | None = None
    private: bool = False
    user_id: str | None = None


class JobList(msgspec.Struct, frozen=True, kw_only=True):
    jobs: list[Job]
    count: int
    limit: int
    offset: int


_decode_job = msgspec.json.Decoder(Job).decode
_decode_list = msgspec.json.Decoder(JobList).decode


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class FakeServer:
    """Job states are a function of the simulated time; nothing per request is kept."""

    def __init__(self, jobs: int, clock: FakeTime, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.clock = clock
        self.ids = [f"d{index:019x}" for index in range(jobs)]
        self.index = {rid: index for index, rid in enumerate(self.ids)}
        self.starts = [rng.uniform(0.0, 60.0) for _ in range(jobs)]
        self.ends = [start + rng.uniform(1.0, 90.0) for start in self.starts]
        self.fails = [rng.random() < 0.05 for _ in range(jobs)]
        self.list_calls = 0
        self.get_calls = 0

    def _document(self, index: int) -> str:
        # Formatted text rather than dict + encode: the fake server should not dominate the run.
        now = self.clock.now
        done = now >= self.ends[index]
        if done:
            status = "Failed" if self.fails[index] else "Completed"
        elif now >= self.starts[index]:
            status = "Running"
        else:
            status = "Queued"
        ended = '"2024-07-04T16:20:01.000Z"' if done else "null"
        usage = '{"seconds":3.0}' if done else "null"
        eta = max(self.starts[index] - now, 0.0)
        return (
            f'{{"id":"{self.ids[index]}","hub":"ibm-q","group":"open","project":"main",'
            f'"backend":"ibm_brisbane","state":{{"status":"{status}","reason":null}},'
            f'"status":"{status}","params":{{"version":2}},"program":{{"id":"sampler"}},'
            f'"created":"2024-07-04T16:13:56.562Z","ended":{ended},"runtime":"","cost":600,'
            f'"tags":["benchmark","batch-{index % 10}"],"session_id":"cq1session0000000000",'
            f'"usage":{usage},"estimated_running_time_seconds":4.2,'
            f'"estimated_start_time_seconds":{eta:.3f},"private":false,'
            f'"user_id":"66b151c0456fa30442933700"}}'
        )

    async def list_many(self, ids: frozenset[str]) -> dict[str, Job]:
        # One request for every job of the session, decoded like a real answer.
        self.list_calls += 1
        wanted = sorted(self.index[rid] for rid in ids)
        # One buffer, as a client reading a response body would hold.
        body = bytearray(b'{"jobs":[')
        for position, index in enumerate(wanted):
            if position:
                body += b","
            body += self._document(index).encode()
        body += f'],"count":{len(wanted)},"limit":{len(wanted)},"offset":0}}'.encode()
        await asyncio.sleep(0)
        return {job.id: job for job in _decode_list(body).jobs}

    async def get_one(self, rid: str) -> Job:
        self.get_calls += 1
        body = self._document(self.index[rid]).encode()
        await asyncio.sleep(0)
        return _decode_job(body)


def rss_kib() -> tuple[int, int]:
    """(current RSS, peak RSS) in KiB."""
    current = peak = 0
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    current = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1])
    except OSError:
        pass
    if not peak:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if sys.platform == "darwin":
            peak //= 1024
    return current or peak, peak


def mib(kib: int) -> str:
    return f"{kib / 1024:8.1f} MiB"


async def run(
    jobs: int, mode: str, concurrency: int, *, trace: bool = False, reset: bool = True
) -> None:
    fake = FakeTime()
    server = FakeServer(jobs, fake)
    gc.collect()
    if trace:
        tracemalloc.start()
    before, _ = rss_kib()
    traced = 0

    group = WatchGroup(
        server.ids,
        get_one=server.get_one,
        list_many=server.list_many if mode == "list" else None,
        is_final=lambda job: job.status in FINAL,
        policy=PollPolicy(reset_on_change=reset),
        hint=lambda job: job.estimated_start_time_seconds if job.status == "Queued" else None,
        concurrency=concurrency,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    watching, finals, errors = 0, 0, 0
    started = time.perf_counter()
    async with group:
        async for event in group:
            if event.error is not None:
                errors += 1
            elif event.final:
                finals += 1
            if group.stats.ticks == 1 and watching == 0:
                gc.collect()
                watching, _ = rss_kib()
                if trace:
                    traced = tracemalloc.get_traced_memory()[0]
    wall = time.perf_counter() - started
    gc.collect()
    after, peak = rss_kib()

    stats = group.stats
    restarts = "never with a listing" if mode == "list" else str(reset)
    print(f"jobs watched          {jobs:>10,}   mode: {mode}   restart on change: {restarts}")
    print(f"RSS before the group  {mib(before)}")
    print(f"RSS while watching    {mib(watching)}   (after the first tick, all snapshots held)")
    print(f"RSS at the end        {mib(after)}")
    print(f"peak RSS (VmHWM)      {mib(peak)}")
    print(f"growth while watching {mib(watching - before)}")
    print(f"bytes per job         {(watching - before) * 1024 / jobs:10,.0f}")
    print(f"peak growth per job   {(peak - before) * 1024 / jobs:10,.0f}")
    if trace:
        print(f"traced while watching {mib(traced // 1024)}   ({traced / jobs:,.0f} bytes a job)")
    print(f"final events          {finals:>10,}   errors: {errors}")
    print(
        f"ticks {stats.ticks:,}  list requests {stats.list_requests:,}  "
        f"single requests {stats.single_requests:,}  events {stats.events:,}"
    )
    print(f"simulated time        {fake.now:10.1f} s   wall time {wall:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--mode", choices=("list", "single"), default="list")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--trace", action="store_true", help="measure with tracemalloc too")
    parser.add_argument("--no-reset", action="store_true", help="policy.reset_on_change=False")
    args = parser.parse_args()
    asyncio.run(
        run(args.jobs, args.mode, args.concurrency, trace=args.trace, reset=not args.no_reset)
    )


if __name__ == "__main__":
    main()
