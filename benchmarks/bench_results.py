"""Result decoding: counts of a 10,000-shot, 100-bit sampler result, ours vs qiskit-ibm-runtime.

The document is a Qiskit-encoded ``PrimitiveResult`` (what ``GET /jobs/{id}/results`` answers
when the job was submitted with ``support_qiskit``), made by the emulator's encoder: one pub, one
100-bit register ``meas``, 10,000 random shots (a base64 zlib ``.npy`` array inside JSON).

* ours: ``qruntime_async.ibm.results.sampler_counts(body)`` (bytes in, counts out);
* qiskit-ibm-runtime: ``json.loads(body, cls=RuntimeDecoder)`` then
  ``result[0].data.meas.get_counts()`` (NumPy and Qiskit);
* ours again in a child interpreter where ``import numpy`` fails (the no-NumPy figure).

Times are CPU time of the decoding thread, best of several loops taken in turns, the garbage
collector off while timing. Both sides must return the same counts.

    python benchmarks/bench_results.py [--quick] [--json PATH]
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

from _common import Report, Row, best_times, import_peer, parse_args

from qruntime_async.emulator.ibm.encoded import SamplerOutcome, primitive_result
from qruntime_async.ibm.results import sampler_counts

SHOTS = 10_000
BITS = 100


def document() -> bytes:
    rng = random.Random(14)
    # A few thousand distinct outcomes, as a noisy 100-qubit circuit gives.
    values = [
        rng.getrandbits(BITS) if rng.random() < 0.5 else rng.getrandbits(12) for _ in range(SHOTS)
    ]
    body = primitive_result(
        [SamplerOutcome([("meas", BITS, values)], {"shots": SHOTS})], {"version": 2}
    )
    return json.dumps(body).encode()


_CHILD = """
import sys
sys.modules["numpy"] = None  # every "import numpy" now fails
sys.path.insert(0, {here!r})
import bench_results as b
body = b.document()
from qruntime_async.ibm.results import sampler_counts
counts = sampler_counts(body)[0]
assert "numpy" not in sys.modules or sys.modules["numpy"] is None
print(len(counts), b.best_times([("", lambda: sampler_counts(body))], {repeats}, 0.3)[""])
"""


def no_numpy_time(repeats: int) -> tuple[float | None, str]:
    from _common import HERE

    code = _CHILD.format(here=str(HERE), repeats=repeats)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        return None, done.stderr.strip().splitlines()[-1] if done.stderr else "failed"
    _, seconds = done.stdout.split()
    return float(seconds), ""


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    repeats = 3 if args.quick else 7
    report = Report("result decoding")
    body = document()
    ours_counts = sampler_counts(body)[0]
    print(
        f"document: {len(body):,} B, {SHOTS:,} shots of {BITS} bits, "
        f"{len(ours_counts):,} distinct outcomes"
    )
    decoder_mod, why = import_peer("qiskit_ibm_runtime.json")
    numpy_mod, _ = import_peer("numpy")
    decoders: list[tuple[str, Callable[[], Any]]] = [
        ("qruntime_async", lambda: sampler_counts(body))
    ]
    if decoder_mod is not None:
        runtime_decoder = decoder_mod.RuntimeDecoder

        def qiskit() -> Any:
            return json.loads(body, cls=runtime_decoder)[0].data.meas.get_counts()

        if qiskit() != ours_counts:
            raise RuntimeError("qiskit-ibm-runtime and qruntime_async disagree on the counts")
        decoders.append(("qiskit-ibm-runtime", qiskit))
    timings = best_times(decoders, 2 * repeats, budget=0.3)
    no_numpy, failure = no_numpy_time(repeats)
    for name, seconds in timings.items():
        print(f"  {name:32} {seconds * 1e3:8.2f} ms")
    print(
        f"  {'qruntime_async without NumPy':32} "
        + (f"{no_numpy * 1e3:8.2f} ms" if no_numpy is not None else f"failed: {failure}")
    )
    ours = timings["qruntime_async"]
    numpy_note = "NumPy installed" if numpy_mod is not None else "NumPy not installed"
    title = f"counts of a {SHOTS:,}-shot, {BITS}-bit sampler result (Qiskit-encoded)"
    theirs = timings.get("qiskit-ibm-runtime")
    report.add(
        Row(
            benchmark=f"{title}: vs RuntimeDecoder + BitArray.get_counts()",
            ours=f"{ours * 1e3:.2f} ms ({numpy_note})",
            others=(
                f"qiskit-ibm-runtime not run: {why}"
                if theirs is None
                else f"qiskit-ibm-runtime {theirs * 1e3:.2f} ms"
            ),
            ratio=None if theirs is None else theirs / ours,
            target=">= 1.0x (at least as fast)",
            met=None if theirs is None else theirs / ours >= 1.0,
        )
    )
    if theirs is None:
        report.note(
            "run with an interpreter that has qiskit-ibm-runtime and NumPy "
            "(run_all.py --peer-python PATH) to compare"
        )
    report.add(
        Row(
            benchmark=f"{title}: ours without NumPy",
            ours=f"{no_numpy * 1e3:.2f} ms" if no_numpy is not None else f"failed: {failure}",
            others=f"ours with NumPy importable {ours * 1e3:.2f} ms",
            ratio=None,
            target="report",
            met=None,
        )
    )
    report.finish(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
