"""IBM sessions: creation, the state machine in virtual time, close/cancel, extended, jobs."""

from __future__ import annotations

from typing import Any

import pytest

from qruntime_async.emulator import (
    IBM_BACKEND,
    IBM_INSTANCE,
    IBM_OTHER_INSTANCE,
    IBM_OTHER_TOKEN,
    IBM_USER_ID,
    Emulator,
)

from .conftest import Api

SESSION_FIELDS = {
    "id", "backend_name", "started_at", "created_at", "activated_at", "closed_at",
    "last_job_started", "last_job_completed", "interactive_ttl", "max_ttl", "active_ttl",
    "state", "accepting_jobs", "mode", "elapsed_time",
}  # fmt: skip
EXTENDED_FIELDS = (SESSION_FIELDS - {"state"}) | {
    "user_id", "instance", "status", "status_reason", "session_remaining_time_seconds",
    "timestamps",
}  # fmt: skip


async def new_session(api: Api, **body: Any) -> str:
    payload = {"backend": IBM_BACKEND, "instance": IBM_INSTANCE, "mode": "batch", **body}
    reply = await api.ibm("POST", "/sessions", json=payload)
    assert reply.status == 200, reply.json
    return str(reply.json["id"])


async def state_of(api: Api, session_id: str) -> str:
    return str((await api.ibm("GET", f"/sessions/{session_id}")).json["state"])


async def test_create_answers_id_and_open_plan_warning(api: Api) -> None:
    reply = await api.ibm(
        "POST", "/sessions", json={"backend": IBM_BACKEND, "instance": IBM_INSTANCE}
    )
    assert reply.status == 200
    assert reply.json["messages"][0]["level"] == "warn"
    assert "open plan" in reply.json["messages"][0]["data"]
    batch = await api.ibm(
        "POST",
        "/sessions",
        json={"backend": IBM_BACKEND, "instance": IBM_INSTANCE, "mode": "batch"},
    )
    assert set(batch.json) == {"id"}
    premium = await api.ibm(
        "POST",
        "/sessions",
        token=IBM_OTHER_TOKEN,
        json={"backend": IBM_BACKEND, "instance": IBM_OTHER_INSTANCE, "mode": "dedicated"},
    )
    assert set(premium.json) == {"id"}


@pytest.mark.parametrize(
    "body",
    [
        {"instance": IBM_INSTANCE},
        {"backend": IBM_BACKEND},
        {"backend": IBM_BACKEND, "instance": IBM_INSTANCE, "mode": "exclusive"},
        {"backend": IBM_BACKEND, "instance": IBM_INSTANCE, "max_session_ttl": -5},
        {"backend": IBM_BACKEND, "instance": IBM_INSTANCE, "max_ttl": 10**9},
    ],
)
async def test_create_validation(api: Api, body: dict[str, Any]) -> None:
    assert (await api.ibm("POST", "/sessions", json=body)).status == 400


async def test_create_in_foreign_instance_is_forbidden(api: Api) -> None:
    reply = await api.ibm(
        "POST", "/sessions", json={"backend": IBM_BACKEND, "instance": IBM_OTHER_INSTANCE}
    )
    assert reply.status == 403


async def test_get_and_extended_have_every_field(api: Api) -> None:
    sid = await new_session(api, max_session_ttl=600)
    plain = (await api.ibm("GET", f"/sessions/{sid}")).json
    assert set(plain) == SESSION_FIELDS
    assert plain["state"] == "open"
    assert plain["max_ttl"] == 600
    assert plain["mode"] == "batch"
    ext = (await api.ibm("GET", f"/sessions/{sid}/extended")).json
    assert set(ext) == EXTENDED_FIELDS
    assert ext["status"] == "pending"
    assert ext["user_id"] == IBM_USER_ID
    assert ext["instance"] == IBM_INSTANCE
    assert ext["timestamps"][0]["status"] == "pending"
    assert ext["session_remaining_time_seconds"] == pytest.approx(600, abs=0.01)


async def test_open_active_inactive_then_closed_by_max_ttl(api: Api, emu: Emulator) -> None:
    sid = await new_session(api, max_ttl=1000)
    job = await api.ibm_job(session_id=sid)
    states: list[str] = []
    for _ in range(120):
        state = await state_of(api, sid)
        if not states or states[-1] != state:
            states.append(state)
        emu.advance(10)
    assert states == ["open", "active", "inactive", "closed"]
    info = (await api.ibm("GET", f"/sessions/{sid}")).json
    assert info["closed_at"] is not None
    assert info["accepting_jobs"] is False
    assert info["last_job_completed"] is not None
    assert (await api.ibm("GET", f"/jobs/{job}")).json["status"] == "Completed"
    late = await api.ibm(
        "POST",
        "/jobs",
        json={"program_id": "sampler", "backend": IBM_BACKEND, "session_id": sid},
    )
    assert late.status == 400
    assert late.json["errors"][0]["code"] == "1217"


async def test_jobs_in_a_session_run_one_after_another(api: Api, emu: Emulator) -> None:
    sid = await new_session(api)
    first = await api.ibm_job(session_id=sid)
    second = await api.ibm_job(session_id=sid)
    emu.advance(3600)
    one = (await api.ibm("GET", f"/jobs/{first}/metrics")).json["timestamps"]
    two = (await api.ibm("GET", f"/jobs/{second}/metrics")).json["timestamps"]
    assert two["running"] >= one["finished"]
    created = await api.ibm("POST", "/jobs", json={"program_id": "sampler", "session_id": sid})
    assert created.json["session_id"] == sid
    assert created.json["backend"] == IBM_BACKEND


async def test_accepting_jobs_false_rejects_new_jobs_and_closes_when_done(
    api: Api, emu: Emulator
) -> None:
    sid = await new_session(api)
    job = await api.ibm_job(session_id=sid)
    reply = await api.ibm("PATCH", f"/sessions/{sid}", json={"accepting_jobs": False})
    assert reply.status == 204
    refused = await api.ibm(
        "POST", "/jobs", json={"program_id": "sampler", "backend": IBM_BACKEND, "session_id": sid}
    )
    assert refused.status == 400
    assert "not accepting" in refused.json["errors"][0]["message"]
    assert await state_of(api, sid) != "closed"
    emu.advance(3600)
    assert (await api.ibm("GET", f"/jobs/{job}")).json["status"] == "Completed"
    assert await state_of(api, sid) == "closed"
    ext = (await api.ibm("GET", f"/sessions/{sid}/extended")).json
    assert ext["status"] == "completed"
    assert (await api.ibm("PATCH", f"/sessions/{sid}", json={})).status == 400


async def test_close_cancels_queued_jobs(api: Api, emu: Emulator) -> None:
    sid = await new_session(api)
    queued = [await api.ibm_job(session_id=sid) for _ in range(3)]
    assert (await api.ibm("DELETE", f"/sessions/{sid}/close")).status == 204
    assert await state_of(api, sid) == "canceled"
    emu.advance(3600)
    statuses = [(await api.ibm("GET", f"/jobs/{j}")).json["status"] for j in queued]
    assert statuses == ["Cancelled"] * 3
    ext = (await api.ibm("GET", f"/sessions/{sid}/extended")).json
    assert ext["status"] == "canceled"
    assert (await api.ibm("DELETE", f"/sessions/{sid}/close")).status == 204


async def test_session_jobs_offset_paging(api: Api, emu: Emulator) -> None:
    sid = await new_session(api)
    ids = []
    for _ in range(5):
        ids.append(await api.ibm_job(session_id=sid))
        emu.advance(1)
    page = (await api.ibm("GET", f"/sessions/{sid}/jobs", params={"limit": 2, "offset": 1})).json
    assert (page["count"], page["limit"], page["offset"]) == (5, 2, 1)
    assert [j["id"] for j in page["jobs"]] == ids[::-1][1:3]
    assert all(j["session_id"] == sid for j in page["jobs"])


async def test_unknown_session_is_404(api: Api) -> None:
    for path in ("/sessions/cnope", "/sessions/cnope/extended", "/sessions/cnope/jobs"):
        reply = await api.ibm("GET", path)
        assert reply.status == 404
        assert reply.json["errors"][0]["code"] == "1292"
