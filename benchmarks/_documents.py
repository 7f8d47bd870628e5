"""Wire documents shaped like the emulator's answers, made without a server.

The shapes follow the emulator's renderings: IBM jobs (``GET /jobs``, timestamps in IBM's
``2024-07-04 16:13:56.562000`` spelling), IBM workloads (``GET /workloads/me``, RFC 3339) and
Scaleway jobs (``GET /qaas/v1alpha1/jobs``, RFC 3339 with microseconds, results as JSON text).
Values vary with the index so that nothing is shared between items.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec

BELL = (
    'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; '
    "h q[0]; cx q[0],q[1]; measure q -> c;"
)

_T0 = datetime(2026, 11, 2, 9, 30, 0, tzinfo=timezone.utc)
_IBM_STATES = ("Completed", "Completed", "Completed", "Running", "Queued", "Failed", "Cancelled")
_WORKLOAD_STATUS = {
    "Completed": "completed",
    "Running": "in_progress",
    "Queued": "pending",
    "Failed": "failed",
    "Cancelled": "canceled",
}
_SCW_STATES = ("completed", "completed", "completed", "running", "waiting", "error", "cancelled")


def _xid(index: int, salt: int) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuv"
    value = (index * 2654435761 + salt * 97) & ((1 << 100) - 1)
    out = []
    for _ in range(20):
        out.append(alphabet[value & 31])
        value >>= 5
    return "".join(out)


def _uuid(index: int, salt: int) -> str:
    h = f"{(index * 0x9E3779B97F4A7C15 + salt) & ((1 << 128) - 1):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _ibm_time(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%d %H:%M:%S.%f")


def _rfc3339_ms(t: datetime | None) -> str | None:
    if t is None:
        return None
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _rfc3339_us(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ibm_job(index: int, *, params: bool = True) -> dict[str, Any]:
    """One IBM job as ``GET /jobs`` lists it."""
    status = _IBM_STATES[index % len(_IBM_STATES)]
    created = _T0 + timedelta(seconds=index * 1.731)
    final = status in ("Completed", "Failed", "Cancelled")
    ended = created + timedelta(seconds=4.2 + index % 7) if final else None
    state: dict[str, Any] = {"status": status}
    if status == "Failed":
        state["reason"] = "Internal error while executing the job; please retry"
        state["reason_code"] = 1517
    elif status == "Cancelled":
        state["reason"] = "Cancelled by user"
        state["reason_code"] = 1304
    doc: dict[str, Any] = {
        "id": _xid(index, 1),
        "hub": "ibm-q",
        "group": "open",
        "project": "main",
        "backend": "ibm_brisbane",
        "state": state,
        "status": status,
        "program": {"id": "sampler"},
        "created": _ibm_time(created),
        "ended": _ibm_time(ended),
        "runtime": "ibmq-runtime-emulator:1.0",
        "cost": 10800.0,
        "tags": ["benchmark", f"batch-{index % 10}"],
        "session_id": _xid(index // 100, 2),
        "usage": {"seconds": round(2.05 + index % 5 * 0.1, 3) if final else 0},
        "estimated_running_time_seconds": 2.05,
        "estimated_max_running_time_seconds": 10800.0,
        "private": False,
        "user_id": "65f0478ed32a1891af0a0a11",
        "log_level": None,
    }
    if params:
        doc["params"] = {"pubs": [[BELL, None, 100 + index % 900]], "version": 2}
    return doc


def ibm_workload(index: int) -> dict[str, Any]:
    """One IBM workload (a job outside any session) as ``GET /workloads/me`` lists it."""
    status = _IBM_STATES[index % len(_IBM_STATES)]
    created = _T0 + timedelta(seconds=index * 1.731)
    final = status in ("Completed", "Failed", "Cancelled")
    ended = created + timedelta(seconds=4.2 + index % 7) if final else None
    return {
        "id": _xid(index, 3),
        "created": _rfc3339_ms(created),
        "ended": _rfc3339_ms(ended),
        "backend": "ibm_brisbane",
        "instance": "ibm-q/open/main",
        "user_id": "65f0478ed32a1891af0a0a11",
        "accepting_jobs": None,
        "mode": "job",
        "status": _WORKLOAD_STATUS[status],
        "status_reason": "Cancelled by user" if status == "Cancelled" else None,
        "tags": ["benchmark", f"batch-{index % 10}"],
        "usage_seconds": round(2.05 + index % 5 * 0.1, 3) if final else None,
        "estimated_running_time_seconds": 2.05,
        "estimated_start_time_seconds": None if final else round(index % 13 * 0.5, 3),
    }


def _scw_result(index: int) -> str:
    zeros = 400 + index % 200
    return msgspec.json.encode(
        {
            "backend_name": "aer",
            "backend_version": "emulator",
            "job_id": _uuid(index, 5),
            "success": True,
            "status": "COMPLETED",
            "results": [
                {
                    "shots": 1024,
                    "success": True,
                    "status": "DONE",
                    "data": {"counts": {"0x0": zeros, "0x3": 1024 - zeros}},
                    "header": {"name": "circuit-0", "memory_slots": 2, "n_qubits": 2},
                }
            ],
        }
    ).decode()


def scaleway_job(index: int) -> dict[str, Any]:
    """One Scaleway job as ``GET /qaas/v1alpha1/jobs`` lists it."""
    status = _SCW_STATES[index % len(_SCW_STATES)]
    created = _T0 + timedelta(seconds=index * 1.02)
    started = created + timedelta(seconds=0.5) if status != "waiting" else None
    final = status in ("completed", "error", "cancelled")
    updated = started + timedelta(seconds=1.02) if final and started else created
    return {
        "id": _uuid(index, 5),
        "name": f"bench-{index}",
        "tags": ["benchmark"],
        "session_id": _uuid(index // 100, 6),
        "created_at": _rfc3339_us(created),
        "started_at": _rfc3339_us(started),
        "updated_at": _rfc3339_us(updated),
        "status": status,
        "progress_message": status if status != "waiting" else None,
        "job_duration": "1.02s" if final else None,
        "result_distribution": _scw_result(index) if status == "completed" else None,
        "model_id": None,
        "parameters": '{"shots": 1024}',
    }


def ibm_jobs_page(n: int, *, params: bool = True) -> bytes:
    jobs = [ibm_job(i, params=params) for i in range(n)]
    return msgspec.json.encode({"jobs": jobs, "count": n, "limit": n, "offset": 0})


def ibm_workloads_page(n: int) -> bytes:
    items = [ibm_workload(i) for i in range(n)]
    return msgspec.json.encode(
        {"workloads": items, "count": n, "limit": n, "next": "eyJkIjoibiJ9.benchmark"}
    )


def scaleway_jobs_page(n: int) -> bytes:
    jobs = [scaleway_job(i) for i in range(n)]
    return msgspec.json.encode({"total_count": n, "jobs": jobs})
