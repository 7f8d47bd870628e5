"""The demo workload end to end, in process and through the command line."""

from __future__ import annotations

import itertools
import json

from qruntime_async.demo import DemoProgress, run_demo

from ..conftest import run_cli

IBM_FINAL = {"Completed", "Failed", "Cancelled", "Cancelled - Ran too long"}
SCALEWAY_FINAL = {"completed", "error", "cancelled"}


async def test_run_demo_follows_every_job_to_a_final_state() -> None:
    snapshots: list[tuple[int, int, int]] = []

    def progress(p: DemoProgress) -> None:
        snapshots.append((p.submitted, p.final, p.requests))

    report = await run_demo(jobs=10, concurrency=4, speed=200, seed=3, progress=progress)

    assert report.jobs == 10
    assert report.final_jobs == 10
    ibm, scaleway = report.by_provider_state["ibm"], report.by_provider_state["scaleway"]
    assert sum(ibm.values()) == 5
    assert sum(scaleway.values()) == 5
    assert set(ibm) <= IBM_FINAL
    assert set(scaleway) <= SCALEWAY_FINAL
    assert report.ibm_session_id
    assert report.scaleway_session_id
    assert report.http_requests > 10 + 4  # submissions, sessions, polls
    assert len(report.notice_latencies) <= 10
    assert all(latency >= 0 for latency in report.notice_latencies)
    p50, p95 = report.percentile(50), report.percentile(95)
    if report.notice_latencies:
        assert p50 is not None
        assert p95 is not None
        assert p50 <= p95

    summary = report.as_dict()
    assert summary["jobs"] == summary["final_jobs"] == 10
    assert summary["http_requests"] == report.http_requests
    assert summary["by_provider_state"] == report.by_provider_state

    # The progress callback saw every job submitted and finished, never going backwards.
    assert snapshots[-1][:2] == (10, 10)
    assert snapshots[-1][2] <= report.http_requests
    for before, after in itertools.pairwise(snapshots):
        assert all(a >= b for a, b in zip(after, before, strict=True))


def test_demo_command_prints_a_consistent_json_report() -> None:
    code, out, err = run_cli("demo", "--jobs", "6", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["jobs"] == report["final_jobs"] == 6
    states = report["by_provider_state"]
    assert sum(states["ibm"].values()) == 3
    assert sum(states["scaleway"].values()) == 3
    assert set(states["ibm"]) <= IBM_FINAL
    assert set(states["scaleway"]) <= SCALEWAY_FINAL
    assert report["http_requests"] > 6
    assert report["ibm_session_id"]
    assert report["scaleway_session_id"]
    p50, p95 = report["notice_latency_p50_seconds"], report["notice_latency_p95_seconds"]
    assert (p50 is None) == (p95 is None)
    if p50 is not None:
        assert 0 <= p50 <= p95


def test_demo_command_plain_text_report() -> None:
    code, text, _ = run_cli("demo", "--jobs", "2", "--speed", "200")
    assert code == 0
    assert "jobs final" in text
    assert "HTTP requests" in text
