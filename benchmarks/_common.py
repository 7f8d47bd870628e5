"""Shared pieces of the benchmarks: the emulator child process, seeding, result rows, machine info.

Every benchmark script imports this module (it sits next to them), prints its own numbers and,
with ``--json PATH``, writes its result rows there for ``run_all.py`` to collect.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import importlib.metadata
import json
import math
import os
import platform
import selectors
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from qruntime_async.emulator import (
    IBM_BACKEND,
    IBM_INSTANCE,
    IBM_TOKEN,
    SCALEWAY_AER_PLATFORM_ID,
    SCALEWAY_PROJECT_ID,
    SCALEWAY_SECRET_KEY,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

BELL = (
    'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; '
    "h q[0]; cx q[0],q[1]; measure q -> c;"
)

IBM_HEADERS = {"Authorization": f"Bearer {IBM_TOKEN}"}
SCW_HEADERS = {"X-Auth-Token": SCALEWAY_SECRET_KEY}

PEERS = {
    "scaleway-async": "scaleway_async",
    "qiskit-ibm-runtime": "qiskit_ibm_runtime",
}


# --------------------------------------------------------------------------------------------
# Result rows


@dataclass
class Row:
    """One line of the results table.

    ``ours`` and ``others`` are already formatted; ``ratio`` is a number (None when there is
    nothing to compare) and ``met`` is True, False or None (no target, or not measurable).
    """

    benchmark: str
    ours: str
    others: str
    ratio: float | None
    target: str
    met: bool | None
    note: str = ""

    def ratio_text(self) -> str:
        if self.ratio is None or not math.isfinite(self.ratio):
            return "n/a"
        return f"{self.ratio:.2f}x"


@dataclass
class Report:
    """Rows and free-form notes of one benchmark script."""

    name: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"note: {text}")

    def finish(self, json_path: str | None) -> None:
        print()
        print(f"== {self.name}: summary")
        for row in self.rows:
            met = {True: "yes", False: "NO", None: "-"}[row.met]
            print(
                f"  {row.benchmark}: ours {row.ours} | {row.others} | ratio {row.ratio_text()} "
                f"| target {row.target} | met {met}"
            )
        if json_path:
            data = {
                "name": self.name,
                "rows": [asdict(r) for r in self.rows],
                "notes": self.notes,
            }
            Path(json_path).write_text(json.dumps(data, indent=2), encoding="utf-8")


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options every benchmark script takes; also pins this process to its CPU.

    ``--quick`` runs smaller counts, ``--json PATH`` writes the result rows there, and
    ``--no-pin`` leaves both processes free to run on any CPU.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a short run with smaller counts")
    parser.add_argument("--json", metavar="PATH", help="write the result rows to this file")
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="do not pin the client and the emulator to separate CPUs",
    )
    args = parser.parse_args(argv)
    if not args.no_pin:
        pin_cpus()
    return args


# --------------------------------------------------------------------------------------------
# CPU pinning: the client on one CPU, the emulator on another, so that neither preempts the
# other in the middle of a measurement (on a 2-core machine they would otherwise share both).

_pinned: tuple[int, int] | None = None


def pin_cpus() -> tuple[int, int] | None:
    """Pin this process to its first allowed CPU and reserve the last one for the emulator."""
    global _pinned
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None
    os.sched_setaffinity(0, {allowed[0]})
    _pinned = (allowed[0], allowed[-1])
    return _pinned


def pinning() -> str:
    """How the processes are placed, for the report."""
    if _pinned is None:
        return "not pinned"
    return f"client on CPU {_pinned[0]}, emulator on CPU {_pinned[1]}"


def _emulator_cpu() -> Callable[[], None] | None:
    if _pinned is None:
        return None
    cpu = _pinned[1]
    return lambda: os.sched_setaffinity(0, {cpu})


def rate(n: float, seconds: float) -> float:
    return n / seconds if seconds > 0 else math.inf


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    if lo == hi:
        return ordered[lo]
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: Iterable[float]) -> float:
    items = list(values)
    return statistics.median(items) if items else math.nan


def loop_count(fn: Callable[[], Any], budget: float) -> int:
    """How many calls of ``fn`` take about ``budget`` seconds of this thread's CPU time."""
    fn()
    t0 = time.thread_time()
    fn()
    once = max(time.thread_time() - t0, 1e-6)
    return max(1, int(budget / once))


def best_times(
    functions: Sequence[tuple[str, Callable[[], Any]]], repeats: int, budget: float = 0.15
) -> dict[str, float]:
    """Best CPU seconds per call of each function, the garbage collector off while timing.

    Each function runs in a loop of about ``budget`` seconds, ``repeats`` times; the functions
    take turns in every repeat, so that all of them meet the same machine.
    """
    counts = {name: loop_count(fn, budget) for name, fn in functions}
    best = dict.fromkeys(counts, math.inf)
    for _ in range(repeats):
        for name, fn in functions:
            number = counts[name]
            gc.collect()
            gc.disable()
            try:
                t0 = time.thread_time()
                for _ in range(number):
                    fn()
                elapsed = time.thread_time() - t0
            finally:
                gc.enable()
            best[name] = min(best[name], elapsed / number)
    return best


def fmt_rate(value: float, unit: str = "calls/s") -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f} {unit}"


def fmt_ms(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "n/a"
    return f"{seconds * 1000:,.1f} ms"


def fmt_mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.1f} MiB"


# --------------------------------------------------------------------------------------------
# Peers


def peer_version(dist: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def import_peer(module: str) -> tuple[Any | None, str | None]:
    """``(module, None)`` or ``(None, why not)``."""
    try:
        return __import__(module, fromlist=["_"]), None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------------------------
# Machine


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, str]:
    """What the numbers were measured on."""
    info = {
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "aiohttp": peer_version("aiohttp") or "?",
        "msgspec": peer_version("msgspec") or "?",
        "qruntime-async": peer_version("qruntime-async") or "?",
    }
    for dist in PEERS:
        info[dist] = peer_version(dist) or "not installed"
    with contextlib.suppress(OSError):
        one, five, fifteen = os.getloadavg()
        info["load average"] = f"{one:.2f} {five:.2f} {fifteen:.2f}"
    return info


# --------------------------------------------------------------------------------------------
# Memory


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss_bytes() -> int | None:
    """VmHWM (peak RSS) of this process, when the kernel reports it."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return None


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs``); False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Event-loop heartbeat


class Heartbeat:
    """A task that sleeps ``period`` seconds in a loop and records how late each wake-up is."""

    def __init__(self, period: float = 0.010) -> None:
        self.period = period
        self.stalls: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._stop = False

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop:
            started = loop.time()
            await asyncio.sleep(self.period)
            self.stalls.append(max(0.0, loop.time() - started - self.period))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stop = True
        if self._task is not None:
            await self._task

    @property
    def worst(self) -> float:
        return max(self.stalls, default=math.nan)


# --------------------------------------------------------------------------------------------
# Servers in child processes


class ServerProcess:
    """A server in a child process that prints ``... listening on URL`` once it listens."""

    banner = "listening on "

    def __init__(self, cmd: Sequence[str]) -> None:
        self.cmd = list(cmd)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 60.0) -> str:
        self.proc = subprocess.Popen(
            self.cmd, stdout=subprocess.PIPE, cwd=ROOT, preexec_fn=_emulator_cpu()
        )
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                self.stop()
                raise RuntimeError(f"{self.cmd[1:3]} did not start in time")
        line = self.proc.stdout.readline().decode()
        if self.banner not in line:
            self.stop()
            raise RuntimeError(f"{self.cmd[1:3]} did not start: {line!r}")
        self.url = line.split(self.banner, 1)[1].strip()
        return self.url

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EmulatorProcess(ServerProcess):
    """``python -m qruntime_async.emulator`` in a child process, on a free loopback port."""

    def __init__(self, *, speed: float = 1.0, extra: Sequence[str] = ()) -> None:
        super().__init__(
            [
                sys.executable,
                "-m",
                "qruntime_async.emulator",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--speed",
                repr(speed),
                "--quiet",
                *extra,
            ]
        )
        self.speed = speed

    @property
    def ibm_url(self) -> str:
        return self.url + "/runtime"

    @property
    def scaleway_url(self) -> str:
        return self.url

    def __enter__(self) -> EmulatorProcess:
        self.start()
        return self


class Control:
    """The emulator's control routes (``/_emulator/...``) and raw seeding calls."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.session.request(method, self.base + path, **kwargs) as resp:
            body = await resp.read()
            if resp.status >= 400:
                raise RuntimeError(f"{method} {path} -> {resp.status}: {body[:300]!r}")
            return json.loads(body) if body else None

    async def stats(self) -> dict[str, Any]:
        return await self._json("GET", "/_emulator/stats")  # type: ignore[no-any-return]

    async def api_requests(self, provider: str) -> int:
        """Requests served so far on one provider's API paths ("ibm" or "scaleway")."""
        stats = await self.stats()
        return int(stats["requests"]["by_provider"].get(provider, 0))

    async def reset(self) -> None:
        await self._json("POST", "/_emulator/reset")

    async def set_speed(self, speed: float) -> tuple[float, float]:
        """Set the virtual-time speed; return ``(monotonic time, virtual epoch)`` at that moment.

        The moment is taken as the middle of the round trip.
        """
        before = time.monotonic()
        answer = await self._json("POST", "/_emulator/clock", json={"speed": speed})
        after = time.monotonic()
        return (before + after) / 2.0, float(answer["epoch"])

    # -- IBM ---------------------------------------------------------------------------------
    async def ibm_session(self) -> str:
        body = {"backend": IBM_BACKEND, "instance": IBM_INSTANCE, "mode": "batch"}
        answer = await self._json("POST", "/runtime/sessions", json=body, headers=IBM_HEADERS)
        return str(answer["id"])

    async def ibm_jobs(
        self, n: int, *, session_id: str | None = None, shots: int = 100, concurrency: int = 16
    ) -> list[str]:
        body: dict[str, Any] = {
            "program_id": "sampler",
            "backend": IBM_BACKEND,
            "params": {"pubs": [[BELL, None, shots]]},
            "tags": ["benchmark"],
        }
        if session_id is not None:
            body["session_id"] = session_id

        async def create() -> str:
            answer = await self._json("POST", "/runtime/jobs", json=body, headers=IBM_HEADERS)
            return str(answer["id"])

        return await bounded_gather([create] * n, concurrency)

    # -- Scaleway ----------------------------------------------------------------------------
    async def scaleway_session(self, *, max_duration: str = "86400s") -> str:
        body = {
            "project_id": SCALEWAY_PROJECT_ID,
            "platform_id": SCALEWAY_AER_PLATFORM_ID,
            "name": "benchmark",
            "max_duration": max_duration,
            "max_idle_duration": max_duration,
        }
        answer = await self._json("POST", "/qaas/v1alpha1/sessions", json=body, headers=SCW_HEADERS)
        return str(answer["id"])

    async def scaleway_jobs(
        self, n: int, session_id: str, *, shots: int = 100, concurrency: int = 16
    ) -> list[str]:
        async def create(index: int) -> str:
            body = {
                "name": f"bench-{index}",
                "session_id": session_id,
                "circuit": {"qiskit_circuit": BELL},
                "parameters": json.dumps({"shots": shots}),
                "tags": ["benchmark"],
            }
            answer = await self._json("POST", "/qaas/v1alpha1/jobs", json=body, headers=SCW_HEADERS)
            return str(answer["id"])

        return await bounded_gather([functools.partial(create, i) for i in range(n)], concurrency)


async def bounded_gather(
    factories: Sequence[Callable[[], Awaitable[Any]]], limit: int
) -> list[Any]:
    """Run the coroutine factories ``limit`` at a time; results in order."""
    results: list[Any] = [None] * len(factories)
    index = 0

    async def worker() -> None:
        nonlocal index
        while index < len(factories):
            mine = index
            index += 1
            results[mine] = await factories[mine]()

    await asyncio.gather(*(worker() for _ in range(max(1, min(limit, len(factories))))))
    return results


def control_session() -> aiohttp.ClientSession:
    """An aiohttp session for control and seeding calls (separate from measured clients)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32))
