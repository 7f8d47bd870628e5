"""How many simple GETs a second one emulator process serves.

Starts ``python -m qruntime_async.emulator`` in a child process, creates one IBM job and one
Scaleway job, then drives ``GET /runtime/jobs/{id}`` and ``GET /qaas/v1alpha1/jobs/{id}`` with raw
aiohttp at a fixed concurrency for a few seconds each, and prints requests per second.

    python benchmarks/emulator_capacity.py [--concurrency 48] [--duration 5]

The load generator shares the machine with the server, so the numbers are a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass

import aiohttp

from qruntime_async.emulator import (
    IBM_BACKEND,
    IBM_TOKEN,
    SCALEWAY_AER_PLATFORM_ID,
    SCALEWAY_PROJECT_ID,
    SCALEWAY_SECRET_KEY,
)

BELL = (
    'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; '
    "h q[0]; cx q[0],q[1]; measure q -> c;"
)


@dataclass
class Outcome:
    """The result of one timed run."""

    name: str
    requests: int
    errors: int
    seconds: float
    server_cpu: float | None = None
    client_cpu: float = 0.0

    @property
    def rate(self) -> float:
        """Successful requests a second."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def server_capacity(self) -> float | None:
        """Requests a second the server would serve with one core to itself."""
        total = self.requests + self.errors
        if self.server_cpu is None or self.server_cpu <= 0 or total == 0:
            return None
        return total / self.server_cpu


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux ``/proc``), or None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, ValueError, IndexError):
        return None


async def start_server(speed: float) -> tuple[asyncio.subprocess.Process, str]:
    """Start the emulator in a child process; return it and its base URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "qruntime_async.emulator",
        "--port",
        "0",
        "--speed",
        str(speed),
        "--quiet",
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    if not line.startswith(b"qruntime emulator listening on "):
        proc.kill()
        await proc.wait()
        raise RuntimeError(f"the emulator did not start: {line!r}")
    return proc, line.decode().rsplit(" ", 1)[1].strip()


async def prepare(session: aiohttp.ClientSession, base: str) -> tuple[str, str]:
    """Create one IBM job and one Scaleway job; return their GET URLs."""
    ibm_headers = {"Authorization": f"Bearer {IBM_TOKEN}"}
    body = {"program_id": "sampler", "backend": IBM_BACKEND, "params": {"pubs": [BELL]}}
    async with session.post(f"{base}/runtime/jobs", json=body, headers=ibm_headers) as r:
        r.raise_for_status()
        ibm_job = (await r.json())["id"]
    scw_headers = {"X-Auth-Token": SCALEWAY_SECRET_KEY}
    async with session.post(
        f"{base}/qaas/v1alpha1/sessions",
        json={"project_id": SCALEWAY_PROJECT_ID, "platform_id": SCALEWAY_AER_PLATFORM_ID},
        headers=scw_headers,
    ) as r:
        r.raise_for_status()
        scw_session = (await r.json())["id"]
    async with session.post(
        f"{base}/qaas/v1alpha1/jobs",
        json={"name": "bench", "session_id": scw_session, "circuit": {"qiskit_circuit": BELL}},
        headers=scw_headers,
    ) as r:
        r.raise_for_status()
        scw_job = (await r.json())["id"]
    return f"{base}/runtime/jobs/{ibm_job}", f"{base}/qaas/v1alpha1/jobs/{scw_job}"


async def drive(
    session: aiohttp.ClientSession,
    server_pid: int,
    name: str,
    targets: list[tuple[str, dict[str, str]]],
    concurrency: int,
    duration: float,
    max_requests: int,
) -> Outcome:
    """GET the targets in turn from ``concurrency`` workers until time or budget runs out."""
    done = 0
    errors = 0
    deadline = time.perf_counter() + duration

    async def worker(offset: int) -> None:
        nonlocal done, errors
        i = offset
        while time.perf_counter() < deadline and done + errors < max_requests:
            url, headers = targets[i % len(targets)]
            i += 1
            try:
                async with session.get(url, headers=headers) as r:
                    await r.read()
                    if r.status == 200:
                        done += 1
                    else:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1

    cpu0 = process_cpu_seconds(server_pid)
    client0 = time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - start
    cpu1 = process_cpu_seconds(server_pid)
    server_cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    return Outcome(name, done, errors, elapsed, server_cpu, time.process_time() - client0)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per scenario")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per scenario")
    parser.add_argument("--speed", type=float, default=1.0)
    args = parser.parse_args(argv)
    proc, base = await start_server(args.speed)
    try:
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            ibm_url, scw_url = await prepare(session, base)
            ibm = (ibm_url, {"Authorization": f"Bearer {IBM_TOKEN}"})
            scw = (scw_url, {"X-Auth-Token": SCALEWAY_SECRET_KEY})
            await drive(session, proc.pid, "warm-up", [ibm, scw], args.concurrency, 1.0, 5_000)
            outcomes = []
            for name, targets in (
                ("IBM GET /runtime/jobs/{id}", [ibm]),
                ("Scaleway GET /qaas/v1alpha1/jobs/{id}", [scw]),
                ("mixed", [ibm, scw]),
            ):
                outcomes.append(
                    await drive(
                        session,
                        proc.pid,
                        name,
                        targets,
                        args.concurrency,
                        args.duration,
                        args.max_requests,
                    )
                )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except asyncio.TimeoutError:
            proc.kill()
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()
    print(f"emulator capacity, concurrency {args.concurrency}, {args.duration:g} s per scenario")
    print(f"  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    for o in outcomes:
        print(
            f"  {o.name:<40} {o.rate:8.0f} req/s  ({o.requests} ok, {o.errors} errors, "
            f"{o.seconds:.2f} s)"
        )
        if o.server_capacity is not None and o.server_cpu is not None:
            print(
                f"  {'':<40} server CPU {1e6 * o.server_cpu / max(1, o.requests):.0f} us/request "
                f"-> {o.server_capacity:.0f} req/s per server core; "
                f"load generator CPU {o.client_cpu:.2f} s"
            )


if __name__ == "__main__":
    asyncio.run(main())
