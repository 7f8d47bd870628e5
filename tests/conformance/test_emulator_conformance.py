"""The emulator's documents read by the official libraries themselves.

IBM results of ``support_qiskit`` jobs must decode with qiskit-ibm-runtime's ``RuntimeDecoder``;
Scaleway result envelopes must load with ``qio`` and qiskit's ``Result``; payloads built by
``qio`` from qiskit circuits (as qiskit-scaleway sends them) must run in the emulator.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

pytest.importorskip("qiskit")
pytest.importorskip("qiskit_ibm_runtime")
pytest.importorskip("qio")

import aiohttp
import numpy as np
from qio.core import (
    BackendData,
    ClientData,
    QuantumComputationModel,
    QuantumComputationParameters,
    QuantumProgram,
    QuantumProgramResult,
)
from qiskit import QuantumCircuit, qasm3, transpile
from qiskit.primitives import PrimitiveResult
from qiskit.result import Result
from qiskit_ibm_runtime import RuntimeDecoder

from qruntime_async.emulator import (
    IBM_TOKEN,
    SCALEWAY_AER_PLATFORM_ID,
    SCALEWAY_PROJECT_ID,
    SCALEWAY_SECRET_KEY,
    Emulator,
    EmulatorConfig,
)
from qruntime_async.emulator._npy import float64s, uint8_bits

ECR_BASIS = ["ecr", "id", "rz", "sx", "x"]
LINE = [[0, 1], [1, 0], [1, 2], [2, 1]]


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def ghz() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure_all()
    return qc


def isa_qasm3(qc: QuantumCircuit) -> str:
    isa = transpile(qc, basis_gates=ECR_BASIS, coupling_map=LINE, seed_transpiler=3)
    return str(qasm3.dumps(isa))


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(EmulatorConfig(speed=0, seed=5, ibm_strict_isa=True)) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def ibm_result_text(
    emu: Emulator, http: aiohttp.ClientSession, program: str, params: dict[str, Any]
) -> str:
    headers = {"Authorization": f"Bearer {IBM_TOKEN}"}
    body = {"program_id": program, "backend": emu.ibm_backend, "params": params}
    async with http.post(emu.ibm_url + "/jobs", json=body, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        job_id = (await resp.json())["id"]
    emu.advance(3600)
    async with http.get(f"{emu.ibm_url}/jobs/{job_id}/results", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.text()


def test_npy_bytes_equal_numpy_save() -> None:
    for array, raw in (
        (np.array([[0], [3], [1]], dtype=np.uint8), uint8_bits([0, 3, 1], 2)),
        (np.array([[1, 255]], dtype=np.uint8), uint8_bits([0x1FF], 9)),
        (np.array([0.5, -1.0]), float64s([0.5, -1.0], (2,))),
        (np.array(2.0), float64s([2.0], ())),
    ):
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        assert buffer.getvalue() == raw


async def test_ibm_sampler_results_decode_to_a_primitive_result(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    pubs = [[isa_qasm3(bell()), None, 400], [isa_qasm3(ghz()), None, 300]]
    params = {"pubs": pubs, "version": 2, "support_qiskit": True}
    result = json.loads(await ibm_result_text(emu, http, "sampler", params), cls=RuntimeDecoder)
    assert isinstance(result, PrimitiveResult)
    bell_counts = result[0].data.c.get_counts()
    assert set(bell_counts) == {"00", "11"}
    assert sum(bell_counts.values()) == 400
    ghz_counts = result[1].data.meas.get_counts()
    assert set(ghz_counts) == {"000", "111"}
    assert result[1].data.meas.num_shots == 300


async def test_ibm_estimator_results_decode_with_their_values(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    state = bell().remove_final_measurements(inplace=False)
    assert state is not None
    pubs = [[isa_qasm3(state), ["ZZ", "XX", "ZI"]]]
    text = await ibm_result_text(emu, http, "estimator", {"pubs": pubs, "support_qiskit": True})
    result = json.loads(text, cls=RuntimeDecoder)
    evs = result[0].data.evs
    assert evs.shape == (3,)
    assert np.allclose(evs, [1.0, 1.0, 0.0], atol=1e-9)
    assert result[0].data.stds.dtype == np.float64


async def scaleway(
    http: aiohttp.ClientSession, emu: Emulator, method: str, path: str, body: Any = None
) -> Any:
    url = emu.scaleway_url + "/qaas/v1alpha1" + path
    headers = {"X-Auth-Token": SCALEWAY_SECRET_KEY}
    async with http.request(method, url, json=body, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def test_qio_model_runs_and_its_result_loads_in_qio_and_qiskit(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    model = QuantumComputationModel(
        programs=[QuantumProgram.from_qiskit_circuit(c) for c in (bell(), ghz())],
        backend=BackendData(name="aer_simulation_pop_c16m128", version="0.15.1", options={}),
        client=ClientData(user_agent="conformance"),
    )
    payload = {"project_id": SCALEWAY_PROJECT_ID, "payload": model.to_json_str()}
    model_id = (await scaleway(http, emu, "POST", "/models", payload))["id"]
    session = {"project_id": SCALEWAY_PROJECT_ID, "platform_id": SCALEWAY_AER_PLATFORM_ID}
    sid = (await scaleway(http, emu, "POST", "/sessions", session))["id"]
    params = QuantumComputationParameters(shots=256, options={"memory": True}).to_json_str()
    job = {"name": "qio", "session_id": sid, "model_id": model_id, "parameters": params}
    job_id = (await scaleway(http, emu, "POST", "/jobs", job))["id"]
    emu.advance(600)
    (item,) = (await scaleway(http, emu, "GET", f"/jobs/{job_id}/results"))["job_results"]
    envelope = QuantumProgramResult.from_json_str(item["result"])
    qiskit_result = envelope.to_qiskit_result()
    assert set(qiskit_result.get_counts(0)) == {"00", "11"}
    assert set(qiskit_result.get_counts(1)) == {"000", "111"}
    assert sum(qiskit_result.get_counts(1).values()) == 256
    document = json.loads(item["result"])
    assert document["compression_format"] == 1
    direct = Result.from_dict(json.loads(document["serialization"]))
    assert direct.get_counts(0) == qiskit_result.get_counts(0)
    memory = direct.get_memory(0)
    assert len(memory) == 256
    assert set(memory) == {"00", "11"}
