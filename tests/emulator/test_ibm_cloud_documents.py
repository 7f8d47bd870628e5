"""What qiskit-ibm-runtime reads besides jobs: IBM Cloud search and catalog, backend
configuration, properties and status, instance usage, sessions named by CRN, job metrics."""

from __future__ import annotations

import importlib.util
from collections import Counter

import pytest

from qruntime_async.emulator import (
    IBM_API_KEY,
    IBM_BUSY_BACKEND,
    IBM_OTHER_SERVICE_CRN,
    IBM_SERVICE_CRN,
    Emulator,
)
from qruntime_async.emulator.ibm.devices import heavy_hex_edges
from qruntime_async.emulator.ibm.qiskit_pubs import NO_QISKIT

from .conftest import Api


async def iam_token(api: Api, emu: Emulator) -> str:
    form = {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": IBM_API_KEY}
    reply = await api.request("POST", emu.iam_url + "/identity/token", data=form)
    return str(reply.json["access_token"])


async def test_global_search_lists_the_callers_instances(api: Api, emu: Emulator) -> None:
    token = await iam_token(api, emu)
    body = {"query": "service_name:quantum-computing", "fields": ["crn", "name", "doc"]}
    url = emu.global_search_url + "/v3/resources/search?limit=100"
    reply = await api.request("POST", url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 200
    (item,) = reply.json["items"]
    assert item["crn"] == IBM_SERVICE_CRN != IBM_OTHER_SERVICE_CRN
    assert item["name"] == emu.ibm_instance
    assert item["doc"]["extensions"]
    assert "search_cursor" not in reply.json
    anonymous = await api.request("POST", url, json=body)
    assert anonymous.status == 401


async def test_global_catalog_names_the_plan(api: Api, emu: Emulator) -> None:
    token = await iam_token(api, emu)
    url = emu.global_search_url + "/v3/resources/search"
    headers = {"Authorization": f"Bearer {token}"}
    item = (await api.request("POST", url, json={}, headers=headers)).json["items"][0]
    plan = await api.request("GET", f"{emu.global_catalog_url}/{item['service_plan_unique_id']}")
    assert plan.json["overview_ui"]["en"]["display_name"] == "Open"
    assert plan.json["metadata"]["pricing"]["type"].lower() == "free"
    assert (await api.request("GET", emu.global_catalog_url + "/nope")).status == 404


def test_heavy_hex_lattice_is_connected() -> None:
    for n in (5, 27, 127, 133):
        edges = heavy_hex_edges(n)
        reached = {0}
        frontier = [0]
        while frontier:
            q = frontier.pop()
            for a, b in edges:
                for x, y in ((a, b), (b, a)):
                    if x == q and y not in reached:
                        reached.add(y)
                        frontier.append(y)
        assert reached == set(range(n))
        assert max(Counter(q for e in edges for q in e).values()) <= 3


async def test_configuration_properties_and_status(api: Api, emu: Emulator) -> None:
    conf = (await api.ibm("GET", f"/backends/{emu.ibm_backend}/configuration")).json
    assert conf["n_qubits"] == 127
    assert conf["basis_gates"] == ["ecr", "id", "rz", "sx", "x"]
    pairs = {tuple(p) for p in conf["coupling_map"]}
    assert not any((b, a) in pairs for a, b in pairs)
    heron = (await api.ibm("GET", f"/backends/{IBM_BUSY_BACKEND}/configuration")).json
    cz_pairs = {tuple(p) for p in heron["coupling_map"]}
    assert all((b, a) in cz_pairs for a, b in cz_pairs)
    props = (await api.ibm("GET", f"/backends/{emu.ibm_backend}/properties")).json
    assert len(props["qubits"]) == 127
    assert {g["gate"] for g in props["gates"]} == {"ecr", "id", "rz", "sx", "x", "reset"}
    status = (await api.ibm("GET", f"/backends/{emu.ibm_backend}/status")).json
    assert (status["state"], status["status"], status["length_queue"]) == (True, "active", 0)
    assert (await api.ibm("GET", "/backends/nope/configuration")).status == 404


async def test_usage_and_session_named_by_crn(api: Api, emu: Emulator) -> None:
    usage = (await api.ibm("GET", "/instances/usage")).json
    assert usage["usage_consumed_seconds"] == 0
    assert usage["usage_limit_reached"] is False
    body = {"backend": emu.ibm_backend, "instance": IBM_SERVICE_CRN, "mode": "batch"}
    reply = await api.ibm("POST", "/sessions", json=body)
    assert reply.status == 200, reply.json
    assert emu.ibm_sessions()[0].instance == emu.ibm_instance


async def test_metrics_usage_says_when_it_is_final(api: Api, emu: Emulator) -> None:
    job_id = await api.ibm_job()
    pending = (await api.ibm("GET", f"/jobs/{job_id}/metrics")).json["usage"]
    assert pending["status"] == "pending"
    emu.advance(3600)
    usage = (await api.ibm("GET", f"/jobs/{job_id}/metrics")).json["usage"]
    assert usage["status"] == "completed"
    assert usage["qpu_charge_time_seconds"] > 0


@pytest.mark.skipif(
    importlib.util.find_spec("qiskit") is not None, reason="Qiskit is installed: QPY pubs run"
)
async def test_qpy_pubs_without_qiskit_fail_with_a_clear_reason(api: Api, emu: Emulator) -> None:
    pub = [{"__type__": "QuantumCircuit", "__value__": "eJwDAAAAAAE="}, None, 10]
    job_id = await api.ibm_job(params={"pubs": [pub], "support_qiskit": True})
    emu.advance(3600)
    job = (await api.ibm("GET", f"/jobs/{job_id}")).json
    assert job["state"]["status"] == "Failed"
    assert job["state"]["reason"] == NO_QISKIT
