"""Scaleway QaaS: platforms, sessions, jobs, results, models, paging and validation."""

from __future__ import annotations

from typing import Any

import aiohttp
import msgspec
import pytest

from qruntime_async.emulator import (
    SCALEWAY_AER_PLATFORM,
    SCALEWAY_AER_PLATFORM_ID,
    SCALEWAY_PHOTONIC_PLATFORM_ID,
    SCALEWAY_PROJECT_ID,
    Emulator,
    EmulatorConfig,
)

from .conftest import BELL, Api

PLATFORM_FIELDS = {
    "id", "version", "name", "provider_name", "backend_name", "type", "technology",
    "max_qubit_count", "max_shot_count", "max_circuit_count", "availability", "metadata",
    "price_per_hour", "price_per_shot", "price_per_circuit", "hardware", "booking_requirement",
    "description", "documentation_url", "is_bookable",
}  # fmt: skip
SESSION_FIELDS = {
    "id", "name", "platform_id", "created_at", "started_at", "updated_at", "terminated_at",
    "max_idle_duration", "max_duration", "waiting_job_count", "finished_job_count", "status",
    "project_id", "tags", "deduplication_id", "origin_type", "origin_id", "progress_message",
    "booking_id", "model_id", "parameters",
}  # fmt: skip
JOB_FIELDS = {
    "id", "name", "tags", "session_id", "created_at", "started_at", "updated_at", "status",
    "progress_message", "job_duration", "result_distribution", "model_id", "parameters",
}  # fmt: skip


async def new_session(api: Api, **body: Any) -> dict[str, Any]:
    payload = {"project_id": SCALEWAY_PROJECT_ID, "platform_id": SCALEWAY_AER_PLATFORM_ID, **body}
    reply = await api.scw("POST", "/sessions", json=payload)
    assert reply.status == 200, reply.json
    assert isinstance(reply.json, dict)
    return reply.json


async def new_job(api: Api, session_id: str, **body: Any) -> dict[str, Any]:
    payload = {
        "name": "job",
        "session_id": session_id,
        "circuit": {"qiskit_circuit": BELL},
        **body,
    }
    reply = await api.scw("POST", "/jobs", json=payload)
    assert reply.status == 200, reply.json
    assert isinstance(reply.json, dict)
    return reply.json


async def test_platforms_every_field_filters_and_paging(api: Api) -> None:
    reply = await api.scw("GET", "/platforms")
    assert reply.status == 200
    platforms = reply.json["platforms"]
    assert reply.json["total_count"] == len(platforms) >= 3
    assert all(set(p) == PLATFORM_FIELDS for p in platforms)
    assert [p["name"] for p in platforms] == sorted(p["name"] for p in platforms)
    one = (await api.scw("GET", f"/platforms/{SCALEWAY_AER_PLATFORM_ID}")).json
    assert one["name"] == SCALEWAY_AER_PLATFORM
    assert one["technology"] == "general_purpose"
    photonic = (await api.scw("GET", "/platforms", params={"platform_technology": "photonic"})).json
    assert {p["technology"] for p in photonic["platforms"]} == {"photonic"}
    assert SCALEWAY_PHOTONIC_PLATFORM_ID in {p["id"] for p in photonic["platforms"]}
    qpus = (await api.scw("GET", "/platforms", params={"platform_type": "qpu"})).json
    assert {p["type"] for p in qpus["platforms"]} == {"qpu"}
    named = (await api.scw("GET", "/platforms", params={"name": SCALEWAY_AER_PLATFORM})).json
    assert [p["id"] for p in named["platforms"]] == [SCALEWAY_AER_PLATFORM_ID]
    by_provider = (await api.scw("GET", "/platforms", params={"provider_name": "quandela"})).json
    assert {p["provider_name"] for p in by_provider["platforms"]} == {"quandela"}
    page2 = (await api.scw("GET", "/platforms", params={"page": 2, "page_size": 1})).json
    assert [p["id"] for p in page2["platforms"]] == [platforms[1]["id"]]
    beyond = (await api.scw("GET", "/platforms", params={"page": 99})).json
    assert beyond["platforms"] == []
    desc = (await api.scw("GET", "/platforms", params={"order_by": "name_desc"})).json
    assert [p["id"] for p in desc["platforms"]] == [p["id"] for p in platforms][::-1]
    missing = await api.scw("GET", "/platforms/00000000-0000-4000-8000-000000000000")
    assert missing.status == 404
    assert missing.json["resource"] == "platform"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": "x"}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1000}, "page_size"),
        ({"order_by": "random"}, "order_by"),
        ({"platform_type": "toaster"}, "platform_type"),
    ],
)
async def test_paging_validation(api: Api, params: dict[str, Any], field: str) -> None:
    reply = await api.scw("GET", "/platforms", params=params)
    assert reply.status == 400
    assert reply.json["message"] == "Validation Error"
    assert reply.json["type"] == "invalid_arguments"
    assert field in reply.json["fields"]


async def test_session_lifecycle_with_idle_timeout(api: Api, emu: Emulator) -> None:
    session = await new_session(api, max_idle_duration="60s", max_duration="3600s", tags=["t"])
    assert set(session) == SESSION_FIELDS
    assert session["status"] == "starting"
    assert session["max_idle_duration"] == "60s"
    assert session["max_duration"] == "3600s"
    assert session["waiting_job_count"] == "0"
    assert session["started_at"] is None
    sid = session["id"]
    seen: list[str] = []
    for _ in range(40):
        status = (await api.scw("GET", f"/sessions/{sid}")).json["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        emu.advance(2.5)
    assert seen == ["starting", "running", "stopping", "stopped"]
    final = (await api.scw("GET", f"/sessions/{sid}")).json
    assert final["terminated_at"] is not None
    assert final["started_at"] is not None
    refused = await api.scw(
        "POST",
        "/jobs",
        json={"name": "late", "session_id": sid, "circuit": {"qiskit_circuit": BELL}},
    )
    assert refused.status == 412
    assert refused.json["type"] == "precondition_failed"
    assert "stopped" in refused.json["help_message"]


async def test_job_lifecycle_results_and_circuit(api: Api, emu: Emulator) -> None:
    sid = (await new_session(api))["id"]
    job = await new_job(api, sid, parameters=msgspec.json.encode({"shots": 500}).decode())
    assert set(job) == JOB_FIELDS
    assert job["status"] == "waiting"
    seen: list[str] = []
    for _ in range(30):
        status = (await api.scw("GET", f"/jobs/{job['id']}")).json["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        emu.advance(0.5)
    assert seen == ["waiting", "running", "completed"]
    done = (await api.scw("GET", f"/jobs/{job['id']}")).json
    assert done["job_duration"].endswith("s")
    results = (await api.scw("GET", f"/jobs/{job['id']}/results")).json
    assert results["total_count"] == 1
    item = results["job_results"][0]
    assert item["job_id"] == job["id"]
    envelope = msgspec.json.decode(item["result"])
    assert envelope["serialization_format"] == 2
    assert envelope["compression_format"] == 1
    result = msgspec.json.decode(envelope["serialization"])
    counts = result["results"][0]["data"]["counts"]
    assert sum(counts.values()) == 500
    assert set(counts) <= {"0x0", "0x3"}
    assert result["metadata"]["synthetic"] is False
    assert done["result_distribution"] == item["result"]
    circuit = (await api.scw("GET", f"/jobs/{job['id']}/circuit")).json
    assert circuit == {"perceval_circuit": None, "qiskit_circuit": BELL}
    session = (await api.scw("GET", f"/sessions/{sid}")).json
    assert session["finished_job_count"] == "1"


async def test_results_are_empty_before_completion(api: Api) -> None:
    sid = (await new_session(api))["id"]
    job = await new_job(api, sid)
    results = (await api.scw("GET", f"/jobs/{job['id']}/results")).json
    assert results["total_count"] == 0
    assert results["job_results"] == []


async def test_photonic_results_are_synthetic(api: Api, emu: Emulator) -> None:
    sid = (await new_session(api, platform_id=SCALEWAY_PHOTONIC_PLATFORM_ID))["id"]
    job = await new_job(
        api,
        sid,
        circuit={"perceval_circuit": ":PCVL:zip:ZW11bGF0ZWQtY2lyY3VpdA=="},
    )
    emu.advance(600)
    results = (await api.scw("GET", f"/jobs/{job['id']}/results")).json
    result = msgspec.json.decode(results["job_results"][0]["result"])
    assert result["metadata"]["synthetic"] is True
    assert sum(result["results"].values()) == 1024


async def test_qiskit_on_a_photonic_platform_ends_in_error(api: Api, emu: Emulator) -> None:
    sid = (await new_session(api, platform_id=SCALEWAY_PHOTONIC_PLATFORM_ID))["id"]
    job = await new_job(api, sid)
    emu.advance(600)
    done = (await api.scw("GET", f"/jobs/{job['id']}")).json
    assert done["status"] == "error"
    assert "cannot run Qiskit" in done["progress_message"]


async def test_cancel_goes_cancelling_then_cancelled(api: Api, emu: Emulator) -> None:
    sid = (await new_session(api))["id"]
    job = await new_job(api, sid)
    reply = await api.scw("POST", f"/jobs/{job['id']}/cancel", json={})
    assert reply.status == 200
    assert reply.json["status"] == "cancelling"
    emu.advance(60)
    assert (await api.scw("GET", f"/jobs/{job['id']}")).json["status"] == "cancelled"
    again = await api.scw("POST", f"/jobs/{job['id']}/cancel", json={})
    assert again.status == 412


async def test_terminate_cancels_unfinished_jobs(api: Api, emu: Emulator) -> None:
    sid = (await new_session(api))["id"]
    jobs = [await new_job(api, sid) for _ in range(3)]
    reply = await api.scw("POST", f"/sessions/{sid}/terminate", json={})
    assert reply.status == 200
    assert reply.json["status"] == "stopping"
    assert reply.json["terminated_at"] is not None
    emu.advance(60)
    statuses = {(await api.scw("GET", f"/jobs/{j['id']}")).json["status"] for j in jobs}
    assert statuses == {"cancelled"}
    assert (await api.scw("GET", f"/sessions/{sid}")).json["status"] == "stopped"


async def test_deduplication_id_returns_the_live_session(api: Api, emu: Emulator) -> None:
    first = await new_session(api, deduplication_id="my-run")
    again = await new_session(api, deduplication_id="my-run")
    assert again["id"] == first["id"]
    other = await new_session(api, deduplication_id="another-run")
    assert other["id"] != first["id"]
    await api.scw("POST", f"/sessions/{first['id']}/terminate", json={})
    emu.advance(60)
    fresh = await new_session(api, deduplication_id="my-run")
    assert fresh["id"] != first["id"]
    assert fresh["deduplication_id"] == "my-run"


async def test_max_duration_stops_the_session(api: Api, emu: Emulator) -> None:
    sid = (await new_session(api, max_duration="30s", max_idle_duration="3600s"))["id"]
    emu.advance(60)
    assert (await api.scw("GET", f"/sessions/{sid}")).json["status"] == "stopped"


async def test_list_jobs_filters_order_and_paging(api: Api, emu: Emulator) -> None:
    s1 = (await new_session(api, name="b-session"))["id"]
    s2 = (await new_session(api, name="a-session"))["id"]
    ids = []
    for i, sid in enumerate([s1, s2, s1]):
        ids.append((await new_job(api, sid, name=f"job-{i}", tags=["all", f"n{i}"]))["id"])
        emu.advance(1)
    by_project = (await api.scw("GET", "/jobs", params={"project_id": SCALEWAY_PROJECT_ID})).json
    assert [j["id"] for j in by_project["jobs"]] == ids[::-1]
    assert by_project["total_count"] == 3
    by_session = (await api.scw("GET", "/jobs", params={"session_id": s1})).json
    assert sorted(j["id"] for j in by_session["jobs"]) == sorted([ids[0], ids[2]])
    tagged = (
        await api.scw("GET", "/jobs", params={"project_id": SCALEWAY_PROJECT_ID, "tags": "n1"})
    ).json
    assert [j["id"] for j in tagged["jobs"]] == [ids[1]]
    asc = await api.scw(
        "GET", "/jobs", params={"project_id": SCALEWAY_PROJECT_ID, "order_by": "created_at_asc"}
    )
    assert [j["id"] for j in asc.json["jobs"]] == ids
    by_name = await api.scw(
        "GET", "/jobs", params={"project_id": SCALEWAY_PROJECT_ID, "order_by": "name_desc"}
    )
    assert [j["name"] for j in by_name.json["jobs"]] == ["job-2", "job-1", "job-0"]
    by_session_name = await api.scw(
        "GET", "/jobs", params={"project_id": SCALEWAY_PROJECT_ID, "order_by": "session_name_asc"}
    )
    assert by_session_name.json["jobs"][0]["id"] == ids[1]
    page = await api.scw(
        "GET",
        "/jobs",
        params={"project_id": SCALEWAY_PROJECT_ID, "page": 2, "page_size": 2},
    )
    assert [j["id"] for j in page.json["jobs"]] == [ids[0]]
    assert (await api.scw("GET", "/jobs")).status == 400


async def test_list_sessions(api: Api) -> None:
    b = (await new_session(api, name="bravo", tags=["x"]))["id"]
    a = (await new_session(api, name="alpha", platform_id=SCALEWAY_PHOTONIC_PLATFORM_ID))["id"]
    listing = (await api.scw("GET", "/sessions", params={"project_id": SCALEWAY_PROJECT_ID})).json
    assert [s["id"] for s in listing["sessions"]] == [a, b]
    by_platform = await api.scw(
        "GET",
        "/sessions",
        params={"project_id": SCALEWAY_PROJECT_ID, "platform_id": SCALEWAY_AER_PLATFORM_ID},
    )
    assert [s["id"] for s in by_platform.json["sessions"]] == [b]
    tagged = await api.scw(
        "GET", "/sessions", params={"project_id": SCALEWAY_PROJECT_ID, "tags": "x"}
    )
    assert [s["id"] for s in tagged.json["sessions"]] == [b]
    missing_project = await api.scw("GET", "/sessions")
    assert missing_project.status == 400
    assert "project_id" in missing_project.json["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"session_id": "x", "circuit": {"qiskit_circuit": BELL}}, "name"),
        ({"name": "j", "circuit": {"qiskit_circuit": BELL}}, "session_id"),
        ({"name": "j", "session_id": "x"}, "circuit"),
        ({"name": "j", "session_id": "x", "circuit": {}}, "circuit"),
        (
            {
                "name": "j",
                "session_id": "x",
                "circuit": {"qiskit_circuit": "a", "perceval_circuit": "b"},
            },
            "circuit",
        ),
        (
            {"name": "j", "session_id": "x", "circuit": {"qiskit_circuit": BELL}, "tags": "t"},
            "tags",
        ),
        (
            {
                "name": "j",
                "session_id": "x",
                "circuit": {"qiskit_circuit": BELL},
                "max_duration": "soon",
            },
            "max_duration",
        ),
    ],
)
async def test_job_validation(api: Api, body: dict[str, Any], field: str) -> None:
    reply = await api.scw("POST", "/jobs", json=body)
    assert reply.status == 400
    assert reply.json["message"] == "Validation Error"
    assert field in reply.json["fields"]


async def test_session_validation_and_unknown_ids(api: Api) -> None:
    bad = await api.scw(
        "POST",
        "/sessions",
        json={
            "project_id": SCALEWAY_PROJECT_ID,
            "platform_id": SCALEWAY_AER_PLATFORM_ID,
            "max_duration": "1h",
        },
    )
    assert bad.status == 400
    assert "max_duration" in bad.json["fields"]
    unknown_platform = await api.scw(
        "POST",
        "/sessions",
        json={
            "project_id": SCALEWAY_PROJECT_ID,
            "platform_id": "00000000-0000-4000-8000-000000000000",
        },
    )
    assert unknown_platform.status == 404
    not_uuid = await api.scw("GET", "/jobs/not-a-uuid")
    assert not_uuid.status == 400
    unknown = await api.scw("GET", "/jobs/00000000-0000-4000-8000-000000000000")
    assert unknown.status == 404
    assert unknown.json["resource"] == "job"
    garbage = await api.scw(
        "POST", "/sessions", data=b"[1,2", headers={"Content-Type": "application/json"}
    )
    assert garbage.status == 400


async def test_update_and_delete(api: Api) -> None:
    session = await new_session(api)
    sid = session["id"]
    patched = await api.scw(
        "PATCH",
        f"/sessions/{sid}",
        json={"name": "renamed", "max_idle_duration": "120s", "tags": ["n"]},
    )
    assert patched.json["name"] == "renamed"
    assert patched.json["max_idle_duration"] == "120s"
    assert patched.json["tags"] == ["n"]
    job = await new_job(api, sid)
    renamed = await api.scw("PATCH", f"/jobs/{job['id']}", json={"name": "new", "tags": ["a"]})
    assert (renamed.json["name"], renamed.json["tags"]) == ("new", ["a"])
    assert (await api.scw("DELETE", f"/jobs/{job['id']}")).status == 204
    assert (await api.scw("GET", f"/jobs/{job['id']}")).status == 404
    other = await new_job(api, sid)
    assert (await api.scw("DELETE", f"/sessions/{sid}")).status == 204
    assert (await api.scw("GET", f"/sessions/{sid}")).status == 404
    assert (await api.scw("GET", f"/jobs/{other['id']}")).status == 404


async def test_models(api: Api) -> None:
    created = await api.scw(
        "POST", "/models", json={"project_id": SCALEWAY_PROJECT_ID, "payload": "serialized"}
    )
    assert created.status == 200
    assert set(created.json) == {"id", "created_at", "url", "project_id"}
    model_id = created.json["id"]
    assert (await api.scw("GET", f"/models/{model_id}")).json["id"] == model_id
    listing = (await api.scw("GET", "/models", params={"project_id": SCALEWAY_PROJECT_ID})).json
    assert [m["id"] for m in listing["models"]] == [model_id]
    sid = (await new_session(api, model_id=model_id))["id"]
    job = await new_job(api, sid)
    assert job["model_id"] == model_id
    assert (await api.scw("GET", "/models")).status == 400


async def test_all_counts_as_strings() -> None:
    config = EmulatorConfig(speed=0, scaleway_uint64_as_string="all")
    async with Emulator(config) as emu, aiohttp.ClientSession() as session:
        api = Api(emu, session)
        reply = await api.scw("GET", "/platforms")
    assert isinstance(reply.json["total_count"], str)
    assert int(reply.json["total_count"]) == len(reply.json["platforms"])
