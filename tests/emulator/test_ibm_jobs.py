"""IBM jobs: creation, every field, listing and filters, cancel/delete, results, ran-too-long."""

from __future__ import annotations

import pytest

from qruntime_async.emulator import (
    IBM_BACKEND,
    IBM_BUSY_BACKEND,
    IBM_INSTANCE,
    IBM_USER_ID,
    Emulator,
    EmulatorConfig,
)

from .conftest import BELL, Api

JOB_FIELDS = {
    "id", "hub", "group", "project", "backend", "state", "status", "params", "program",
    "created", "ended", "runtime", "cost", "tags", "session_id", "usage",
    "estimated_running_time_seconds", "estimated_max_running_time_seconds", "private", "user_id",
}  # fmt: skip


async def test_create_answers_id_and_backend(api: Api) -> None:
    reply = await api.ibm(
        "POST",
        "/jobs",
        json={"program_id": "sampler", "backend": IBM_BACKEND, "params": {"pubs": [BELL]}},
    )
    assert reply.status == 200
    assert set(reply.json) == {"id", "backend"}
    assert reply.json["backend"] == IBM_BACKEND
    assert len(reply.json["id"]) == 20


async def test_job_carries_every_schema_field(api: Api, emu: Emulator) -> None:
    job_id = await api.ibm_job(tags=["t1"], log_level="info")
    reply = await api.ibm("GET", f"/jobs/{job_id}")
    job = reply.json
    assert set(job) >= JOB_FIELDS
    assert (job["hub"], job["group"], job["project"]) == tuple(IBM_INSTANCE.split("/"))
    assert job["user_id"] == IBM_USER_ID
    assert job["status"] == "Queued"
    assert job["state"] == {"status": "Queued"}
    assert job["ended"] is None
    assert job["program"] == {"id": "sampler"}
    assert job["tags"] == ["t1"]
    # IBM's job timestamp spelling: space, microseconds, no zone
    assert len(job["created"]) == 26
    assert job["created"][10] == " "
    server = emu.ibm_jobs()
    assert [j.id for j in server] == [job_id]
    assert server[0].params == job["params"]


async def test_job_runs_then_completes_in_virtual_time(api: Api, emu: Emulator) -> None:
    job_id = await api.ibm_job()
    seen: list[str] = []
    for _ in range(40):
        reply = await api.ibm("GET", f"/jobs/{job_id}")
        if not seen or seen[-1] != reply.json["status"]:
            seen.append(reply.json["status"])
        emu.advance(0.5)
    assert seen == ["Queued", "Running", "Completed"]
    final = (await api.ibm("GET", f"/jobs/{job_id}")).json
    assert final["ended"] is not None
    assert final["usage"]["seconds"] > 0


async def test_results_only_once_completed_and_sampled_from_the_circuit(
    api: Api, emu: Emulator
) -> None:
    job_id = await api.ibm_job(params={"pubs": [[BELL, None, 1000]]})
    early = await api.ibm("GET", f"/jobs/{job_id}/results")
    assert early.status == 400
    assert early.json["errors"][0]["code"] == "1236"
    emu.advance(3600)
    reply = await api.ibm("GET", f"/jobs/{job_id}/results")
    assert reply.status == 200
    register = reply.json["results"][0]["data"]["c"]
    assert register["num_bits"] == 2
    assert len(register["samples"]) == 1000
    assert set(register["samples"]) == {"0x0", "0x3"}
    assert reply.json["metadata"]["synthetic"] is False
    again = await api.ibm("GET", f"/jobs/{job_id}/results")
    assert again.raw == reply.raw


async def test_circuits_form_and_synthetic_marking(api: Api, emu: Emulator) -> None:
    custom = (
        "OPENQASM 2.0; qreg q[3]; creg c[3]; gate foo a,b { h a; cx a,b; } "
        "foo q[0],q[1]; measure q -> c;"
    )
    job_id = await api.ibm_job(params={"circuits": custom, "shots": 300})
    emu.advance(3600)
    result = (await api.ibm("GET", f"/jobs/{job_id}/results")).json
    assert result["metadata"]["synthetic"] is True
    assert result["results"][0]["metadata"]["synthetic"] is True
    register = result["results"][0]["data"]["c"]
    assert register["num_bits"] == 3
    assert len(register["samples"]) == 300
    assert all(0 <= int(v, 16) < 8 for v in register["samples"])


async def test_estimator_computes_expectation_values(api: Api, emu: Emulator) -> None:
    state = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; cx q[0],q[1];'
    job_id = await api.ibm_job(program_id="estimator", params={"pubs": [[state, ["ZZ", "ZI"]]]})
    emu.advance(3600)
    data = (await api.ibm("GET", f"/jobs/{job_id}/results")).json["results"][0]["data"]
    assert data["evs"] == [pytest.approx(1.0), pytest.approx(0.0, abs=1e-9)]


async def test_invalid_circuit_fails_the_job(api: Api, emu: Emulator) -> None:
    job_id = await api.ibm_job(params={"pubs": ["OPENQASM 2.0; qreg q[1]; frobnicate q[7];"]})
    emu.advance(3600)
    job = (await api.ibm("GET", f"/jobs/{job_id}")).json
    assert job["status"] == "Failed"
    assert "Invalid circuit" in job["state"]["reason"]


@pytest.mark.parametrize(
    "body",
    [
        {"backend": IBM_BACKEND},
        {"program_id": "sampler"},
        {"program_id": "sampler", "backend": IBM_BACKEND, "params": []},
        {"program_id": "sampler", "backend": IBM_BACKEND, "tags": "x"},
        {"program_id": "sampler", "backend": IBM_BACKEND, "cost": -1},
        {"program_id": "sampler", "backend": IBM_BACKEND, "params": {"pubs": [[BELL, None, 0]]}},
        {"program_id": "sampler", "backend": IBM_BACKEND, "log_level": "LOUD"},
    ],
)
async def test_bad_bodies_get_400_in_ibm_format(api: Api, body: dict[str, object]) -> None:
    reply = await api.ibm("POST", "/jobs", json=body)
    assert reply.status == 400
    error = reply.json["errors"][0]
    assert set(error) == {"code", "message", "more_info"}
    assert "trace" in reply.json


async def test_unknown_backend_and_malformed_json(api: Api) -> None:
    reply = await api.ibm("POST", "/jobs", json={"program_id": "sampler", "backend": "ibm_nope"})
    assert reply.status == 404
    reply = await api.ibm("POST", "/jobs", data=b"{not json", headers={"Content-Type": "x"})
    assert reply.status == 400


async def test_legacy_error_style() -> None:
    async with Emulator(EmulatorConfig(speed=0, ibm_error_style="legacy")) as emu:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            api = Api(emu, session)
            reply = await api.ibm("GET", "/jobs/cnotthere0000000000")
    assert reply.status == 404
    assert reply.json["error"]["code"] == 1291
    assert "message" in reply.json["error"]


async def test_cancel_then_409_when_final(api: Api, emu: Emulator) -> None:
    job_id = await api.ibm_job()
    assert (await api.ibm("POST", f"/jobs/{job_id}/cancel")).status == 204
    job = (await api.ibm("GET", f"/jobs/{job_id}")).json
    assert job["status"] == "Cancelled"
    assert job["state"]["status"] == "Cancelled"
    again = await api.ibm("POST", f"/jobs/{job_id}/cancel")
    assert again.status == 409
    done = await api.ibm_job()
    emu.advance(3600)
    assert (await api.ibm("POST", f"/jobs/{done}/cancel")).status == 409


async def test_cancel_while_running(api: Api, emu: Emulator) -> None:
    job_id = await api.ibm_job()
    while (await api.ibm("GET", f"/jobs/{job_id}")).json["status"] == "Queued":
        emu.advance(0.25)
    assert (await api.ibm("POST", f"/jobs/{job_id}/cancel")).status == 204
    emu.advance(3600)
    job = (await api.ibm("GET", f"/jobs/{job_id}")).json
    assert job["status"] == "Cancelled"
    assert (await api.ibm("GET", f"/jobs/{job_id}/results")).status == 400


async def test_ran_too_long(api: Api, emu: Emulator) -> None:
    job_id = await api.ibm_job(params={"pubs": [[BELL, None, 100_000]]}, cost=3)
    emu.advance(3600)
    job = (await api.ibm("GET", f"/jobs/{job_id}")).json
    assert job["status"] == "Cancelled - Ran too long"
    assert job["state"] == {"status": "Cancelled", "reason": "Ran too long", "reason_code": 1305}
    assert job["usage"]["seconds"] == pytest.approx(3)
    assert job["estimated_max_running_time_seconds"] == 3


async def test_failure_rate_one_fails_every_job() -> None:
    import aiohttp

    async with (
        Emulator(EmulatorConfig(speed=0, job_failure_rate=1.0)) as emu,
        aiohttp.ClientSession() as session,
    ):
        api = Api(emu, session)
        job_id = await api.ibm_job()
        emu.advance(3600)
        job = (await api.ibm("GET", f"/jobs/{job_id}")).json
    assert job["status"] == "Failed"
    assert job["state"]["reason_code"] == 1517


async def test_delete_and_tags(api: Api) -> None:
    job_id = await api.ibm_job(tags=["old"])
    assert (await api.ibm("PUT", f"/jobs/{job_id}/tags", json={"tags": ["a", "b"]})).status == 204
    assert (await api.ibm("GET", f"/jobs/{job_id}")).json["tags"] == ["a", "b"]
    assert (await api.ibm("PUT", f"/jobs/{job_id}/tags", json={"tags": "a"})).status == 400
    assert (await api.ibm("DELETE", f"/jobs/{job_id}")).status == 204
    assert (await api.ibm("GET", f"/jobs/{job_id}")).status == 404


async def test_logs_and_metrics(api: Api, emu: Emulator) -> None:
    job_id = await api.ibm_job()
    emu.advance(3600)
    logs = await api.ibm("GET", f"/jobs/{job_id}/logs")
    assert logs.headers["Content-Type"].startswith("text/plain")
    assert b"Completed" in logs.raw
    metrics = (await api.ibm("GET", f"/jobs/{job_id}/metrics")).json
    assert set(metrics["timestamps"]) == {"created", "running", "finished"}
    assert metrics["usage"]["seconds"] > 0


async def test_list_paging_with_limit_offset_count(api: Api, emu: Emulator) -> None:
    ids = []
    for _ in range(7):
        ids.append(await api.ibm_job())
        emu.advance(1)
    first = (await api.ibm("GET", "/jobs", params={"limit": 3})).json
    assert (first["count"], first["limit"], first["offset"]) == (7, 3, 0)
    assert [j["id"] for j in first["jobs"]] == ids[::-1][:3]
    pages: list[str] = []
    for offset in range(0, 9, 3):
        page = (await api.ibm("GET", "/jobs", params={"limit": 3, "offset": offset})).json
        pages.extend(j["id"] for j in page["jobs"])
    assert pages == ids[::-1]
    asc = (await api.ibm("GET", "/jobs", params={"sort": "ASC", "limit": 10})).json
    assert [j["id"] for j in asc["jobs"]] == ids
    for bad in ({"limit": 0}, {"limit": "x"}, {"offset": -1}, {"sort": "UP"}, {"limit": 100000}):
        assert (await api.ibm("GET", "/jobs", params=bad)).status == 400


async def test_list_filters(api: Api, emu: Emulator) -> None:
    a = await api.ibm_job(tags=["x", "y"])
    emu.advance(10)
    b = await api.ibm_job(tags=["x"], backend=IBM_BUSY_BACKEND, program_id="estimator")
    emu.advance(10)
    created_b = (await api.ibm("GET", f"/jobs/{b}")).json["created"]
    c = await api.ibm_job()

    async def ids(**params: object) -> list[str]:
        reply = await api.ibm("GET", "/jobs", params=params)
        assert reply.status == 200, reply.json
        return sorted(j["id"] for j in reply.json["jobs"])

    assert await ids(backend=IBM_BUSY_BACKEND) == [b]
    assert await ids(program="estimator") == [b]
    assert await ids(tags=["x", "y"]) == [a]
    assert await ids(tags="x") == sorted([a, b])
    assert await ids(created_after=created_b) == sorted([b, c])
    assert await ids(created_before=created_b) == sorted([a, b])
    emu.advance(30)
    assert await ids(pending="true") == [b]
    assert await ids(pending="false") == sorted([a, c])
    reply = await api.ibm("GET", "/jobs", params={"exclude_params": "true"})
    assert all("params" not in j for j in reply.json["jobs"])
    assert (await api.ibm("GET", "/jobs", params={"created_after": "yesterday"})).status == 400
    assert (await api.ibm("GET", "/jobs", params={"pending": "maybe"})).status == 400


async def test_reconcile_by_tag_and_session_id(api: Api) -> None:
    session = (
        await api.ibm("POST", "/sessions", json={"backend": IBM_BACKEND, "instance": IBM_INSTANCE})
    ).json["id"]
    inside = await api.ibm_job(session_id=session, tags=["idem:123"])
    await api.ibm_job(tags=["idem:456"])
    reply = await api.ibm("GET", "/jobs", params={"tags": "idem:123"})
    assert [j["id"] for j in reply.json["jobs"]] == [inside]
    reply = await api.ibm("GET", "/jobs", params={"session_id": session})
    assert [j["id"] for j in reply.json["jobs"]] == [inside]


async def test_backends(api: Api) -> None:
    reply = await api.ibm("GET", "/backends")
    names = [d["name"] for d in reply.json["devices"]]
    assert IBM_BACKEND in names
    assert IBM_BUSY_BACKEND in names
    status = await api.ibm("GET", f"/backends/{IBM_BACKEND}/status")
    assert status.json["operational"] is True


async def test_job_creation_rate_limit() -> None:
    import aiohttp

    async with (
        Emulator(EmulatorConfig(speed=0, ibm_job_rate_limit=2)) as emu,
        aiohttp.ClientSession() as session,
    ):
        api = Api(emu, session)
        await api.ibm_job()
        await api.ibm_job()
        reply = await api.ibm(
            "POST", "/jobs", json={"program_id": "sampler", "backend": IBM_BACKEND}
        )
        assert len(emu.ibm_jobs()) == 2
    assert reply.status == 429
    assert int(reply.headers["Retry-After"]) >= 1


async def test_queue_time_grows_with_the_backends_load(api: Api) -> None:
    ids = [await api.ibm_job() for _ in range(30)]
    page = (await api.ibm("GET", "/workloads/me", params={"limit": 30, "order": "asc"})).json
    waits = {w["id"]: w["estimated_start_time_seconds"] for w in page["workloads"]}
    first_five = sum(waits[i] for i in ids[:5])
    last_five = sum(waits[i] for i in ids[-5:])
    assert last_five > 2 * first_five
