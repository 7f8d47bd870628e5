"""Decoding 1,000-item pages into models: ours vs json.loads plus each peer's own model building.

Pages (made in memory, shaped like the emulator's answers): IBM workloads, IBM jobs (with their
params) and Scaleway jobs, 1,000 items each.

* ours: the SDK's decode step for that answer (msgspec into our frozen models, aware datetimes:
  IBM's zone-less ``2024-07-04 16:13:56.562000`` read as UTC, Scaleway's ``"1.02s"`` durations
  as timedeltas), judged against the floor (target: at most 1.3x its time);
* qiskit-ibm-runtime: what it does with such an answer. Workloads: ``Runtime.workloads_get``
  returns ``response.json()``, so ``json.loads`` is all of it. Jobs: ``QiskitRuntimeService.jobs``
  takes ``response.json()`` and builds one ``RuntimeJobV2`` per item (``_decode_job``); here with
  ``backend=None``, since looking the backend up needs the network;
* scaleway-async: ``unmarshal_ListJobsResponse(json.loads(body))``, as ``list_jobs`` does;
* for reference: ``json.loads`` alone, and plain msgspec structs with the same fields and no
  hooks (the floor of the call-overhead benchmark; its timestamps stay as msgspec reads them,
  naive for IBM jobs, and Scaleway's durations stay strings).

Times are CPU time of the decoding thread (other processes on the machine do not count), with
the garbage collector off while timing, as ``timeit`` does (this process imports every peer,
whose objects would otherwise make each full collection slow). The decoders take turns, each
running in a loop of about 0.15 s, several times, and the best loop counts.

    python benchmarks/bench_decode.py [--quick] [--json PATH]
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from _common import Report, Row, best_times, import_peer, parse_args
from _contenders import floor_page_decoders as floor_decoders
from _contenders import qiskit_runtime_client
from _documents import ibm_jobs_page, ibm_workloads_page, scaleway_jobs_page

from qruntime_async._codec import decode
from qruntime_async.ibm.models import JobsPage, WorkloadsPage
from qruntime_async.scaleway.models import ListJobsResponse, decode_compat

FLOOR_TARGET = 1.3
ITEMS = 1000


def qiskit_jobs_builder() -> tuple[Callable[[bytes], Any] | None, str | None]:
    """json.loads + RuntimeJobV2 per item, as QiskitRuntimeService.jobs does."""
    job_mod, why = import_peer("qiskit_ibm_runtime.runtime_job_v2")
    if job_mod is None:
        return None, why
    try:
        client = qiskit_runtime_client("http://127.0.0.1:9/runtime")
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"
    runtime_job = job_mod.RuntimeJobV2

    def build(body: bytes) -> Any:
        page = json.loads(body)
        return [
            runtime_job(
                backend=None,
                api_client=client,
                service=None,
                job_id=raw["id"],
                program_id=raw.get("program", {}).get("id", ""),
                creation_date=raw.get("created", None),
                image=raw.get("runtime"),
                session_id=raw.get("session_id"),
                tags=raw.get("tags"),
                private=raw.get("private", False),
            )
            for raw in page["jobs"]
        ]

    return build, None


def scaleway_builder() -> tuple[Callable[[bytes], Any] | None, str | None]:
    marshalling, why = import_peer("scaleway_async.qaas.v1alpha1.marshalling")
    if marshalling is None:
        return None, why
    unmarshal = marshalling.unmarshal_ListJobsResponse

    def build(body: bytes) -> Any:
        return unmarshal(json.loads(body))

    return build, None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    repeats = 3 if args.quick else 7
    report = Report("decode")
    workloads = ibm_workloads_page(ITEMS)
    jobs = ibm_jobs_page(ITEMS)
    scw_jobs = scaleway_jobs_page(ITEMS)
    print(
        f"pages of {ITEMS} items: IBM workloads {len(workloads):,} B, IBM jobs {len(jobs):,} B, "
        f"Scaleway jobs {len(scw_jobs):,} B"
    )

    # Sanity: every decoder reads every item.
    assert len(decode(workloads, WorkloadsPage).workloads) == ITEMS
    assert len(decode(jobs, JobsPage).jobs) == ITEMS
    assert len(decode_compat(scw_jobs, ListJobsResponse).jobs) == ITEMS

    qiskit_jobs, qiskit_why = qiskit_jobs_builder()
    scw_build, scw_why = scaleway_builder()
    if qiskit_jobs is None:
        report.note(f"qiskit-ibm-runtime not measured: {qiskit_why}")
    if scw_build is None:
        report.note(f"scaleway-async not measured: {scw_why}")

    cases: list[tuple[str, bytes, Callable[[], Any], list[tuple[str, Callable[[], Any] | None]]]]
    cases = [
        (
            "IBM workloads page",
            workloads,
            lambda: decode(workloads, WorkloadsPage),
            [
                ("qiskit-ibm-runtime (json.loads)", lambda: json.loads(workloads)),
            ],
        ),
        (
            "IBM jobs page",
            jobs,
            lambda: decode(jobs, JobsPage),
            [
                (
                    "qiskit-ibm-runtime (json.loads + RuntimeJobV2)",
                    None if qiskit_jobs is None else (lambda: qiskit_jobs(jobs)),
                ),
            ],
        ),
        (
            "Scaleway jobs page",
            scw_jobs,
            lambda: decode_compat(scw_jobs, ListJobsResponse),
            [
                (
                    "scaleway-async (json.loads + unmarshal)",
                    None if scw_build is None else (lambda: scw_build(scw_jobs)),
                ),
            ],
        ),
    ]
    for title, body, ours_fn, peers in cases:
        floor_decoder = floor_decoders[title]
        decoders: list[tuple[str, Callable[[], Any]]] = [
            ("qruntime_async", ours_fn),
            ("plain msgspec structs (floor)", functools.partial(floor_decoder.decode, body)),
        ]
        if not any(name.endswith("(json.loads)") for name, _ in peers):
            decoders.append(("json.loads alone", functools.partial(json.loads, body)))
        decoders += [(name, fn) for name, fn in peers if fn is not None]
        times = best_times(decoders, repeats)
        print(f"{title}:")
        for name, _ in decoders:
            print(f"  {name:48} {times[name] * 1e3:8.2f} ms")
        for name, fn in peers:
            if fn is None:
                print(f"  {name:48} not run")
        ours = times["qruntime_async"]
        floor = times["plain msgspec structs (floor)"]
        report.add(
            Row(
                benchmark=f"decode a {ITEMS:,}-item {title} vs plain msgspec structs",
                ours=f"{ours * 1e3:.2f} ms",
                others=f"plain msgspec structs (floor) {floor * 1e3:.2f} ms",
                ratio=ours / floor,
                target=f"<= {FLOOR_TARGET:g}x floor",
                met=ours / floor <= FLOOR_TARGET,
            )
        )
        measured = [(name, times[name]) for name, fn in peers if fn is not None]
        refs = "; ".join(
            f"{name} {times[name] * 1e3:.2f} ms" for name in ("json.loads alone",) if name in times
        )
        if measured:
            _, best_seconds = min(measured, key=lambda item: item[1])
            others = "; ".join(f"{n} {t * 1e3:.2f} ms" for n, t in measured)
            report.add(
                Row(
                    benchmark=f"decode a {ITEMS:,}-item {title} vs the best peer",
                    ours=f"{ours * 1e3:.2f} ms",
                    others=f"{others}; {refs}" if refs else others,
                    ratio=best_seconds / ours,
                    target="report",
                    met=None,
                )
            )
    report.finish(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
