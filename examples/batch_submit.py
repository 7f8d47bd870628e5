"""Submit a large batch of jobs to both services, exactly once, and report what happened.

Runs against the emulator embedded in this process, so it needs no account::

    python examples/batch_submit.py                 # 2000 jobs, half on each service
    python examples/batch_submit.py --jobs 20       # a quick run
    python examples/batch_submit.py --progress      # live progress (the progress extra)

Each job is submitted with its own ``idempotency_key`` (the run id and the job's index): when an
answer is lost, or a submission is tried again after an error, the job already created is found
and returned instead of a second one. At most ``--concurrency`` submissions are in flight at a
time; every job is followed to a final state with one listing request per session per tick while
the others are still being submitted. At the end the script checks that each key made exactly
one job, prints a summary, and exits with status 1 if any job is missing or duplicated.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from qruntime_async import (
    APIError,
    IBMRuntimeClient,
    PollPolicy,
    RequestEvent,
    ScalewayQaaSClient,
    WatchGroup,
)
from qruntime_async.emulator import Emulator, EmulatorConfig
from qruntime_async.ibm import sampler_params

BELL = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""

IDEMPOTENCY_TAG_PREFIX = "qruntime-idempotency-key:"
#: Polling tuned for the emulator's fast clock.
POLICY = PollPolicy(interval=0.2, multiplier=1.5, max_interval=1.0, min_interval=0.1)
#: Times a submission that failed is tried again (with the same key: never a second job).
SUBMIT_ATTEMPTS = 3


@dataclass
class Part:
    """What happened on one service."""

    service: str
    jobs: int
    keys: dict[str, int] = field(default_factory=dict)
    final: Counter[str] = field(default_factory=Counter)
    submit_failures: list[str] = field(default_factory=list)
    listed_keys: Counter[str] = field(default_factory=Counter)
    session_id: str | None = None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000, help="jobs in all (default 2000)")
    parser.add_argument(
        "--service",
        choices=["both", "ibm", "scaleway"],
        default="both",
        help="where to submit (default: half on each)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=64, help="submissions in flight at most (default 64)"
    )
    parser.add_argument(
        "--speed", type=float, default=2000.0, help="emulator virtual seconds per real second"
    )
    parser.add_argument("--shots", type=int, default=256, help="shots per job (default 256)")
    parser.add_argument(
        "--failure-rate", type=float, default=0.01, help="share of jobs the emulator fails"
    )
    parser.add_argument("--progress", action="store_true", help="show live progress (tqdm)")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.concurrency < 1 or args.shots < 1:
        parser.error("--jobs, --concurrency and --shots must be at least 1")
    return args


async def submit_all(
    part: Part,
    group: WatchGroup[Any],
    submit: Callable[[int, str], Awaitable[str]],
    limiter: anyio.CapacityLimiter,
    run_id: str,
) -> None:
    """Submit ``part.jobs`` jobs, ``limiter`` bounding how many are in flight; add each to
    ``group`` as soon as it exists."""

    async def one(index: int) -> None:
        key = f"{run_id}-{part.service}-{index}"
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            try:
                async with limiter:
                    job_id = await submit(index, key)
            except APIError as error:
                if attempt == SUBMIT_ATTEMPTS:
                    part.submit_failures.append(f"job {index}: {error}")
                    return
                continue
            part.keys[key] = index
            group.add(job_id)
            return

    try:
        async with anyio.create_task_group() as tasks:
            for index in range(part.jobs):
                tasks.start_soon(one, index)
    finally:
        group.done_adding()


async def follow(part: Part, group: WatchGroup[Any], status_of: Callable[[Any], str]) -> None:
    """Count the final state of every job of the group."""
    async with group:
        async for event in group:
            if event.error is not None:
                part.final[f"unreadable ({type(event.error).__name__})"] += 1
            elif event.final:
                part.final[status_of(event.snapshot)] += 1


def count_keys(part: Part, tags: list[str] | None) -> None:
    for tag in tags or ():
        if tag.startswith(IDEMPOTENCY_TAG_PREFIX):
            part.listed_keys[tag[len(IDEMPOTENCY_TAG_PREFIX) :]] += 1


async def run_in_session(
    session: Any,
    part: Part,
    submit: Callable[[int, str], Awaitable[str]],
    status_of: Callable[[Any], str],
    args: argparse.Namespace,
    limiter: anyio.CapacityLimiter,
    run_id: str,
    *,
    label: str,
    page_size: int,
) -> None:
    """Submit the part's jobs in ``session`` while following them to a final state, then count
    the idempotency keys of the jobs the session lists."""
    part.session_id = session.id
    group = session.watch_jobs(policy=POLICY, expect_more=True)
    if args.progress:
        group.with_progress(label=label)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(follow, part, group, status_of)
        await submit_all(part, group, submit, limiter, run_id)
    async for job in session.jobs(page_size=page_size):
        count_keys(part, job.tags)


async def run_ibm(
    ibm: IBMRuntimeClient,
    emulator: Emulator,
    part: Part,
    args: argparse.Namespace,
    limiter: anyio.CapacityLimiter,
    run_id: str,
) -> None:
    params = sampler_params([BELL], shots=args.shots)
    async with ibm.session(backend=emulator.ibm_backend, mode="batch") as session:

        async def submit(index: int, key: str) -> str:
            answer = await session.submit(
                "sampler", params=params, tags=["batch"], idempotency_key=key
            )
            return answer.id

        await run_in_session(
            session,
            part,
            submit,
            lambda job: str(job.current_status),
            args,
            limiter,
            run_id,
            label="IBM jobs",
            page_size=200,
        )


async def run_scaleway(
    scw: ScalewayQaaSClient,
    emulator: Emulator,
    part: Part,
    args: argparse.Namespace,
    limiter: anyio.CapacityLimiter,
    run_id: str,
) -> None:
    # The emulator's clock runs fast: give the session a day of virtual time.
    async with scw.session(
        platform_id=emulator.scaleway_platform_id,
        max_duration=86400,
        max_idle_duration=3600,
    ) as session:

        async def submit(index: int, key: str) -> str:
            job = await session.submit(
                [BELL], shots=args.shots, name=f"batch-{index}", idempotency_key=key
            )
            return job.id

        await run_in_session(
            session,
            part,
            submit,
            lambda job: str(job.status),
            args,
            limiter,
            run_id,
            label="Scaleway jobs",
            page_size=100,
        )


def report(parts: list[Part], seconds: float, requests: int) -> bool:
    """Print the summary; True when every job was made exactly once and reached a final state."""
    total = sum(part.jobs for part in parts)
    print(f"\n{total} jobs in {seconds:.1f} s ({total / seconds:.0f} jobs/s), {requests} requests")
    ok = True
    for part in parts:
        final = sum(part.final.values())
        duplicates = sum(n - 1 for n in part.listed_keys.values() if n > 1)
        missing = [key for key in part.keys if key not in part.listed_keys]
        states = ", ".join(f"{state} {n}" for state, n in part.final.most_common())
        print(f"  {part.service} (session {part.session_id}):")
        print(f"    submitted {len(part.keys)}/{part.jobs}, final {final}: {states or '-'}")
        print(
            f"    exactly once: {len(part.listed_keys)} jobs listed for {len(part.keys)} keys, "
            f"{duplicates} duplicates, {len(missing)} missing"
        )
        for failure in part.submit_failures[:5]:
            print(f"    failed to submit: {failure}")
        if part.submit_failures or duplicates or missing or final != len(part.keys):
            ok = False
    print("OK" if ok else "FAILED")
    return ok


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    services = ["ibm", "scaleway"] if args.service == "both" else [args.service]
    shares = [
        args.jobs // len(services) + (1 if i < args.jobs % len(services) else 0)
        for i in range(len(services))
    ]
    parts = [Part(service, jobs) for service, jobs in zip(services, shares, strict=True) if jobs]
    run_id = uuid.uuid4().hex[:12]
    requests = 0

    def count(event: RequestEvent) -> None:
        nonlocal requests
        requests += 1

    config = EmulatorConfig(speed=args.speed, seed=7, job_failure_rate=args.failure_rate)
    limiter = anyio.CapacityLimiter(args.concurrency)
    started = time.monotonic()
    async with (
        Emulator(config) as emulator,
        IBMRuntimeClient(
            token=emulator.ibm_token,
            instance=emulator.ibm_instance,
            base_url=emulator.ibm_url,
            on_request=count,
        ) as ibm,
        ScalewayQaaSClient(
            secret_key=emulator.scaleway_secret_key,
            project_id=emulator.scaleway_project_id,
            base_url=emulator.scaleway_url,
            on_request=count,
        ) as scw,
    ):
        print(
            f"submitting {args.jobs} jobs ({', '.join(f'{p.service} {p.jobs}' for p in parts)}), "
            f"at most {args.concurrency} at a time, run {run_id}"
        )
        async with anyio.create_task_group() as tasks:
            for part in parts:
                if part.service == "ibm":
                    tasks.start_soon(run_ibm, ibm, emulator, part, args, limiter, run_id)
                else:
                    tasks.start_soon(run_scaleway, scw, emulator, part, args, limiter, run_id)
    return 0 if report(parts, time.monotonic() - started, requests) else 1


if __name__ == "__main__":
    sys.exit(anyio.run(main))
