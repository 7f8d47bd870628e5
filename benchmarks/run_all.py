"""Run every benchmark and write benchmarks/results.md.

Each benchmark script runs in its own process (``--json`` hands its rows back); then the two
colleague scripts, ``watch_memory.py`` and ``emulator_capacity.py``, run as they are and their
output is included. A failing script is reported and the others still run.

    python benchmarks/run_all.py            # the full run, a few minutes
    python benchmarks/run_all.py --quick    # smaller counts, about a minute
    python benchmarks/run_all.py --only calls,decode
    python benchmarks/run_all.py --also-python /path/to/venv-newest/bin/python \
        --peer-python /path/to/venv-with-qiskit/bin/python

``--also-python`` runs the call-overhead benchmark once more under another interpreter (a venv
with another aiohttp: the rows name the version they ran on); ``--peer-python`` runs the
result-decoding benchmark under an interpreter that has qiskit-ibm-runtime and NumPy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import HERE, ROOT, machine_info

BENCHMARKS: list[tuple[str, str, str]] = [
    ("calls", "bench_calls.py", "1. call overhead"),
    ("loop", "bench_loop_health.py", "2. event-loop health"),
    ("decode", "bench_decode.py", "3. decode"),
    ("submit", "bench_submit.py", "3b. exactly-once submission"),
    ("results", "bench_results.py", "3c. result decoding"),
    ("watch", "bench_watch.py", "4. watching"),
    ("paging", "bench_paging.py", "5. paging"),
    ("import", "bench_import.py", "6. import time"),
]
CAPACITY_TARGET = 3000.0
SCRIPT_TIMEOUT = 900


def run(cmd: Sequence[str], timeout: float) -> tuple[int, str, float]:
    """(exit code, combined output, seconds) of one child process."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            list(cmd),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        code, output = done.returncode, done.stdout
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        code, output = -1, (out if isinstance(out, str) else out.decode()) + "\n[timed out]"
    return code, output, time.perf_counter() - started


def interpreter_versions(python: str) -> str:
    """``PATH (python X, aiohttp Y, ...)`` of another interpreter, for the machine line."""
    code = (
        "import importlib.metadata as m, platform\n"
        "def v(d):\n"
        "    try:\n"
        "        return m.version(d)\n"
        "    except m.PackageNotFoundError:\n"
        "        return None\n"
        "parts = ['python ' + platform.python_version()]\n"
        "for d in ('aiohttp', 'msgspec', 'qiskit-ibm-runtime', 'numpy'):\n"
        "    if v(d):\n"
        "        parts.append(d + ' ' + v(d))\n"
        "print(', '.join(parts))\n"
    )
    code_, output, _ = run([python, "-c", code], 60)
    return f"{python} ({output.strip() if code_ == 0 else 'not runnable'})"


def met_text(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[met]


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def ratio_text(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def watch_memory_row(output: str) -> dict[str, Any] | None:
    growth = re.search(r"growth while watching\s+([\d.,]+) MiB", output)
    per_job = re.search(r"bytes per job\s+([\d,]+)", output)
    jobs = re.search(r"jobs watched\s+([\d,]+)", output)
    if not (growth and per_job and jobs):
        return None
    requests = re.search(r"list requests ([\d,]+)", output)
    extra = f", {requests.group(1)} list requests (every page)" if requests else ""
    return {
        "benchmark": f"RSS of {jobs.group(1)} watched jobs (watch_memory.py, simulated time)",
        "ours": f"+{growth.group(1)} MiB while watching ({per_job.group(1)} B a job{extra})",
        "others": "-",
        "ratio": None,
        "target": "report",
        "met": None,
    }


def capacity_row(output: str) -> dict[str, Any] | None:
    found = re.findall(r"^\s+(IBM GET|Scaleway GET|mixed)\S*.*?([\d.]+) req/s", output, re.M)
    if not found:
        return None
    parts = [f"{name.split()[0]} {float(value):,.0f} req/s" for name, value in found]
    lowest = min(float(value) for _, value in found)
    return {
        "benchmark": "emulator capacity, simple GETs (emulator_capacity.py)",
        "ours": "; ".join(parts),
        "others": "(one emulator process, load generator on the same machine)",
        "ratio": None,
        "target": f">= {CAPACITY_TARGET:,.0f} GET/s",
        "met": lowest >= CAPACITY_TARGET,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, about a minute")
    parser.add_argument(
        "--only", help="comma-separated subset: " + ",".join(key for key, _, _ in BENCHMARKS)
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    parser.add_argument(
        "--skip-colleagues",
        action="store_true",
        help="do not run watch_memory.py and emulator_capacity.py",
    )
    parser.add_argument(
        "--output", default=str(HERE / "results.md"), help="where to write the Markdown"
    )
    parser.add_argument(
        "--also-python",
        action="append",
        default=[],
        metavar="PATH",
        help="also run the call-overhead benchmark under this interpreter (repeatable)",
    )
    parser.add_argument(
        "--peer-python",
        metavar="PATH",
        help="run the result-decoding benchmark under this interpreter (qiskit-ibm-runtime, NumPy)",
    )
    args = parser.parse_args(argv)
    wanted = set(args.only.split(",")) if args.only else {key for key, _, _ in BENCHMARKS}

    command = "python benchmarks/run_all.py" + (" --quick" if args.quick else "")
    if args.only:
        command += f" --only {args.only}"
    for extra_python in args.also_python:
        command += f" --also-python {extra_python}"
    if args.peer_python:
        command += f" --peer-python {args.peer_python}"
    started_at = dt.datetime.now(dt.timezone.utc)
    info = machine_info()
    for index, extra_python in enumerate(args.also_python, 2):
        info[f"interpreter {index}"] = interpreter_versions(extra_python)
    if args.peer_python:
        info["peer interpreter"] = interpreter_versions(args.peer_python)
    total_start = time.perf_counter()
    sections: list[dict[str, Any]] = []
    failures: list[str] = []
    colleague_outputs: list[tuple[str, str]] = []

    with tempfile.TemporaryDirectory(prefix="qruntime-bench-") as tmp:
        runs: list[tuple[str, str, str, str]] = []
        for key, script, title in BENCHMARKS:
            if key not in wanted:
                continue
            python = args.peer_python if key == "results" and args.peer_python else sys.executable
            runs.append((key, script, title, python))
            if key == "calls":
                for index, extra_python in enumerate(args.also_python, 2):
                    runs.append((f"calls{index}", script, f"{title} ({index})", extra_python))
        for key, script, title, python in runs:
            out = Path(tmp) / f"{key}.json"
            cmd = [python, str(HERE / script), "--json", str(out)]
            if args.quick:
                cmd.append("--quick")
            if args.no_pin:
                cmd.append("--no-pin")
            print(f"== {title}: {script} ({python})", flush=True)
            code, output, seconds = run(cmd, SCRIPT_TIMEOUT)
            sys.stdout.write(output)
            print(f"   ({seconds:.1f} s, exit {code})", flush=True)
            data: dict[str, Any] = {"name": title, "rows": [], "notes": []}
            if out.exists():
                data = json.loads(out.read_text(encoding="utf-8"))
                data["name"] = title
            if code != 0:
                tail = "\n".join(output.strip().splitlines()[-5:])
                failures.append(f"{script} ({python}) exited with {code}: {tail}")
            data["seconds"] = seconds
            sections.append(data)

        if not args.skip_colleagues:
            colleague_rows: list[dict[str, Any]] = []
            for script, extra, parse in (
                (
                    "watch_memory.py",
                    ["--jobs", "2000"] if args.quick else [],
                    watch_memory_row,
                ),
                (
                    "emulator_capacity.py",
                    ["--duration", "1"] if args.quick else [],
                    capacity_row,
                ),
            ):
                path = HERE / script
                if not path.exists():
                    failures.append(f"{script} is missing")
                    continue
                print(f"== 7. {script}", flush=True)
                code, output, seconds = run([sys.executable, str(path), *extra], SCRIPT_TIMEOUT)
                sys.stdout.write(output)
                print(f"   ({seconds:.1f} s, exit {code})", flush=True)
                shown = " ".join(["python", f"benchmarks/{script}", *extra])
                colleague_outputs.append((shown, output.strip()))
                row = parse(output) if code == 0 else None
                if row is not None:
                    colleague_rows.append(row)
                elif code != 0:
                    failures.append(f"{script} exited with {code}")
            sections.append(
                {
                    "name": "7. colleagues' scripts",
                    "rows": colleague_rows,
                    "notes": [],
                    "seconds": 0.0,
                }
            )

    total = time.perf_counter() - total_start
    text = render(args, command, info, started_at, total, sections, failures, colleague_outputs)
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"\nwrote {args.output} ({total:.0f} s in all)")
    return 1 if failures else 0


def render(
    args: argparse.Namespace,
    command: str,
    info: dict[str, str],
    started_at: dt.datetime,
    total: float,
    sections: list[dict[str, Any]],
    failures: list[str],
    colleague_outputs: list[tuple[str, str]],
) -> str:
    rows = [row for section in sections for row in section["rows"]]
    judged = [row for row in rows if row["met"] is not None]
    met = sum(1 for row in judged if row["met"])
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {started_at:%Y-%m-%d %H:%M} UTC "
        f"({'quick run' if args.quick else 'full run'}, {total:.0f} s).",
        "",
        "Machine: "
        + ", ".join(
            f"{key} {value}"
            for key, value in info.items()
            if key not in ("scaleway-async", "qiskit-ibm-runtime", "load average")
            and not key.startswith(("interpreter ", "peer interpreter"))
        )
        + ".",
        *(
            f"Also run under {key}: {value}."
            for key, value in info.items()
            if key.startswith(("interpreter ", "peer interpreter"))
        ),
        f"Peers: scaleway-async {info.get('scaleway-async')}, "
        f"qiskit-ibm-runtime {info.get('qiskit-ibm-runtime')}. "
        f"Load average at the start: {info.get('load average', '?')}.",
        "The emulator runs in a child process; the client and the emulator are "
        + ("not pinned." if args.no_pin else "pinned to separate CPUs."),
        "",
        f"Targets met: {met} of {len(judged)}.",
        "",
        "| benchmark | ours | floor / peers | ratio | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for section in sections:
        for row in section["rows"]:
            lines.append(
                "| "
                + " | ".join(
                    [
                        cell(row["benchmark"]),
                        cell(row["ours"]),
                        cell(row["others"]),
                        ratio_text(row["ratio"]),
                        cell(row["target"]),
                        met_text(row["met"]),
                    ]
                )
                + " |"
            )
    lines += [
        "",
        "Ratios (lower is better against the floor, higher against a peer): calls, our client "
        "CPU per call over the floor's, the median over 16 alternating pairs of 250-call chunks "
        "(process CPU time, so other processes on the machine count less than in wall time); "
        "decoding, our CPU time over the floor's (best of several loops, in turns); submission, "
        "our wall time over the raw POSTs', the median over alternating chunk pairs; against a "
        "peer, how many times faster ours is; watching, per-job polling requests over the "
        "group watcher's; session creation, the last chunk's time over the first's.",
        "",
    ]
    notes = [(section["name"], note) for section in sections for note in section["notes"]]
    if notes:
        lines += ["## Notes", ""]
        lines += [f"- {name}: {note}" for name, note in notes]
        lines.append("")
    if failures:
        lines += ["## Failures", ""]
        lines += [f"- {cell(item)}" for item in failures]
        lines.append("")
    if colleague_outputs:
        lines += ["## Output of the colleagues' scripts", ""]
        for shown, output in colleague_outputs:
            lines += [f"`{shown}`:", "", "```", output, "```", ""]
    durations = ", ".join(
        f"{section['name']} {section['seconds']:.0f} s"
        for section in sections
        if section["seconds"]
    )
    lines += [f"Durations: {durations}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
