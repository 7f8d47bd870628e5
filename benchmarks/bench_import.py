"""Import time of qruntime_async and of each peer, in fresh interpreters (best of several).

Each measurement is a new ``python -c`` process that times its own ``import`` statement, so the
interpreter's start-up is left out and nothing is cached in memory between runs. Bytecode is
cached for every package alike in a temporary ``PYTHONPYCACHEPREFIX`` (written by a first,
discarded run), whether or not the environment allows writing ``__pycache__`` folders.

    python benchmarks/bench_import.py [--quick] [--json PATH]
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence

from _common import ROOT, Report, Row, parse_args

MODULES: list[tuple[str, str]] = [
    ("qruntime_async", "import qruntime_async"),
    ("aiohttp + msgspec (the floor)", "import aiohttp, msgspec"),
    ("scaleway-async (QaaS API)", "import scaleway_async.qaas.v1alpha1"),
    ("qiskit-ibm-runtime", "import qiskit_ibm_runtime"),
]

SNIPPET = "import time\nt0 = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t0)\n"


def import_seconds(statement: str, env: dict[str, str]) -> float:
    """One fresh interpreter's time for ``statement``; NaN when it fails."""
    done = subprocess.run(
        [sys.executable, "-c", SNIPPET.format(statement=statement)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        return math.nan
    return float(done.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    runs = 3 if args.quick else 7
    report = Report("import time")
    best: dict[str, float] = {}
    cache = tempfile.TemporaryDirectory(prefix="qruntime-bench-pycache-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache.name
    for label, statement in MODULES:
        import_seconds(statement, env)  # writes the bytecode, warms the file cache
        times = [import_seconds(statement, env) for _ in range(runs)]
        ok = [t for t in times if math.isfinite(t)]
        best[label] = min(ok) if ok else math.nan
        shown = ", ".join(f"{t * 1e3:.0f}" for t in times)
        print(f"  {label:32} best {best[label] * 1e3:8.1f} ms   (runs: {shown} ms)")
    cache.cleanup()
    ours = best["qruntime_async"]
    for label, _ in MODULES[1:]:
        peer = best[label]
        if not math.isfinite(peer):
            report.note(f"{label}: import failed (not installed?)")
        report.add(
            Row(
                benchmark=f"import time vs {label}",
                ours=f"{ours * 1e3:.0f} ms",
                others=f"{label} {peer * 1e3:.0f} ms" if math.isfinite(peer) else f"{label}: n/a",
                ratio=peer / ours if math.isfinite(peer) else None,
                target="report",
                met=None,
            )
        )
    report.finish(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
