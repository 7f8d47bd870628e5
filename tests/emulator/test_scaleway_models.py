"""Scaleway computation models, model jobs, result envelopes and large results by url."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import pytest

from qruntime_async.emulator import SCALEWAY_PROJECT_ID, Emulator, EmulatorConfig

from .conftest import BELL, Api
from .test_scaleway import new_job, new_session

GHZ3_QASM3 = (
    'OPENQASM 3.0; include "stdgates.inc"; bit[3] meas; qubit[3] q; '
    "h q[0]; cx q[0], q[1]; cx q[0], q[2]; barrier q[0], q[1], q[2]; meas = measure q;"
)


def zlib64(text: str) -> str:
    return base64.b64encode(zlib.compress(text.encode())).decode()


def model_payload(*programs: tuple[int, int, str]) -> str:
    return json.dumps(
        {
            "programs": [
                {"serialization_format": f, "compression_format": c, "serialization": s}
                for f, c, s in programs
            ],
            "backend": {"name": "aer_simulation_pop_c16m128", "version": None, "options": {}},
            "client": {"user_agent": "tests"},
            "noise_model": None,
        }
    )


async def new_model(api: Api, payload: str) -> str:
    reply = await api.scw(
        "POST", "/models", json={"project_id": SCALEWAY_PROJECT_ID, "payload": payload}
    )
    assert reply.status == 200, reply.json
    return str(reply.json["id"])


async def finished_result(api: Api, emu: Emulator, job_id: str) -> dict[str, Any]:
    emu.advance(600)
    job = (await api.scw("GET", f"/jobs/{job_id}")).json
    assert job["status"] == "completed", job
    (item,) = (await api.scw("GET", f"/jobs/{job_id}/results")).json["job_results"]
    assert isinstance(item, dict)
    return item


def open_envelope(text: str) -> dict[str, Any]:
    envelope = json.loads(text)
    assert set(envelope) == {"compression_format", "serialization_format", "serialization"}
    assert envelope["serialization_format"] == 2
    body = envelope["serialization"]
    if envelope["compression_format"] == 2:
        body = zlib.decompress(base64.b64decode(body)).decode()
    else:
        assert envelope["compression_format"] == 1
    document = json.loads(body)
    assert isinstance(document, dict)
    return document


async def test_model_job_without_circuit_runs_the_model_programs(api: Api, emu: Emulator) -> None:
    model_id = await new_model(api, model_payload((3, 2, zlib64(GHZ3_QASM3)), (2, 1, BELL)))
    sid = (await new_session(api))["id"]
    params = json.dumps({"shots": 300, "options": {"memory": True}})
    body = {"name": "m", "session_id": sid, "model_id": model_id, "parameters": params}
    reply = await api.scw("POST", "/jobs", json=body)
    assert reply.status == 200, reply.json
    item = await finished_result(api, emu, reply.json["id"])
    document = open_envelope(item["result"])
    assert document["success"] is True
    first, second = document["results"]
    assert first["shots"] == 300
    assert set(first["data"]["counts"]) == {"0x0", "0x7"}
    assert len(first["data"]["memory"]) == 300
    assert set(first["data"]["memory"]) == {"0x0", "0x7"}
    assert first["header"]["creg_sizes"] == [["meas", 3]]
    assert first["header"]["memory_slots"] == 3
    assert set(second["data"]["counts"]) <= {"0x0", "0x3"}


@pytest.mark.parametrize("circuit", [{}, {"qiskit_circuit": None, "perceval_circuit": None}])
async def test_model_job_with_an_empty_circuit_object(
    api: Api, emu: Emulator, circuit: dict[str, Any]
) -> None:
    # scaleway_qaas_client always sends "circuit", empty when the job runs a model
    model_id = await new_model(api, model_payload((2, 1, BELL)))
    sid = (await new_session(api))["id"]
    body = {"name": "e", "session_id": sid, "model_id": model_id, "circuit": circuit}
    reply = await api.scw("POST", "/jobs", json=body)
    assert reply.status == 200, reply.json
    item = await finished_result(api, emu, reply.json["id"])
    (experiment,) = open_envelope(item["result"])["results"]
    assert set(experiment["data"]["counts"]) <= {"0x0", "0x3"}


async def test_header_qubits_cover_every_memory_slot(api: Api, emu: Emulator) -> None:
    wide = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[1]; creg c[3]; x q[0]; measure q[0] -> c[2];'
    model_id = await new_model(api, model_payload((2, 1, wide)))
    sid = (await new_session(api))["id"]
    body = {"name": "w", "session_id": sid, "model_id": model_id}
    reply = await api.scw("POST", "/jobs", json=body)
    item = await finished_result(api, emu, reply.json["id"])
    (experiment,) = open_envelope(item["result"])["results"]
    assert experiment["data"]["counts"] == {"0x4": 1024}
    # qio shifts away count keys at or above 2**n_qubits: n_qubits never below memory_slots
    assert experiment["header"]["memory_slots"] == 3
    assert experiment["header"]["n_qubits"] == 3


async def test_an_empty_circuit_string_is_refused_even_with_a_model(api: Api) -> None:
    model_id = await new_model(api, model_payload((2, 1, BELL)))
    sid = (await new_session(api))["id"]
    body = {"name": "b", "session_id": sid, "model_id": model_id, "circuit": {"qiskit_circuit": ""}}
    reply = await api.scw("POST", "/jobs", json=body)
    assert reply.status == 400
    assert "circuit" in reply.json["fields"]


async def test_older_run_payload_and_no_memory_by_default(api: Api, emu: Emulator) -> None:
    payload = json.dumps(
        {
            "client": {"user_agent": "old"},
            "backend": {"name": "aer"},
            "run": {
                "circuits": [{"serialization_format": 2, "circuit_serialization": BELL}],
                "options": {"shots": 123, "memory": False},
            },
            "noise_model": None,
        }
    )
    model_id = await new_model(api, payload)
    sid = (await new_session(api))["id"]
    reply = await api.scw(
        "POST", "/jobs", json={"name": "o", "session_id": sid, "model_id": model_id}
    )
    assert reply.status == 200, reply.json
    (experiment,) = open_envelope((await finished_result(api, emu, reply.json["id"]))["result"])[
        "results"
    ]
    assert experiment["shots"] == 123
    assert "memory" not in experiment["data"]


async def test_a_job_needs_a_circuit_or_a_model(api: Api) -> None:
    sid = (await new_session(api))["id"]
    reply = await api.scw("POST", "/jobs", json={"name": "x", "session_id": sid})
    assert reply.status == 400
    assert "circuit" in reply.json["fields"]


async def test_an_unreadable_model_fails_the_job(api: Api, emu: Emulator) -> None:
    model_id = await new_model(api, model_payload((3, 2, "not base64!")))
    sid = (await new_session(api))["id"]
    reply = await api.scw(
        "POST", "/jobs", json={"name": "b", "session_id": sid, "model_id": model_id}
    )
    emu.advance(600)
    job = (await api.scw("GET", f"/jobs/{reply.json['id']}")).json
    assert job["status"] == "error"
    assert "model" in job["progress_message"]


@pytest.mark.parametrize("config", [EmulatorConfig(speed=0, scaleway_result_compress_bytes=10)])
async def test_large_serializations_are_compressed(api: Api, emu: Emulator) -> None:
    sid = (await new_session(api))["id"]
    job = await new_job(api, sid)
    item = await finished_result(api, emu, job["id"])
    assert json.loads(item["result"])["compression_format"] == 2
    assert open_envelope(item["result"])["results"][0]["shots"] == 1024


@pytest.mark.parametrize("config", [EmulatorConfig(speed=0, scaleway_result_url_bytes=50)])
async def test_large_results_are_served_by_url_without_the_secret(api: Api, emu: Emulator) -> None:
    sid = (await new_session(api))["id"]
    job = await new_job(api, sid)
    item = await finished_result(api, emu, job["id"])
    assert item["result"] is None
    url = item["url"]
    assert url.startswith(emu.scaleway_url + "/_emulator/blobs/")
    refused = await api.request("GET", url, headers={"X-Auth-Token": "anything"})
    assert refused.status == 403
    assert b"AccessDenied" in refused.raw
    fetched = await api.request("GET", url)
    assert fetched.status == 200
    assert open_envelope(fetched.raw.decode())["results"][0]["shots"] == 1024
    shown = (await api.scw("GET", f"/jobs/{job['id']}")).json
    assert shown["result_distribution"] is None
    missing = await api.request("GET", emu.scaleway_url + "/_emulator/blobs/nope")
    assert missing.status == 404
