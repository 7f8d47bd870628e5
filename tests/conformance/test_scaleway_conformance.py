"""Scaleway payloads and results checked against Scaleway's ``qio`` library and qiskit themselves.

Models and programs built by ``qio`` (as qiskit-scaleway builds them) must read back with the
same OpenQASM text, ours must load in ``qio``; results written by ``qio`` from qiskit ``Result``
objects must give the counts and memory qiskit's ``get_counts()`` / ``get_memory()`` give.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("qio")
pytest.importorskip("qiskit")

from hypothesis import given, settings
from hypothesis import strategies as st
from qio.core import (
    BackendData,
    ClientData,
    QuantumComputationModel,
    QuantumComputationParameters,
    QuantumProgram,
    QuantumProgramResult,
)
from qio.core.quantum_program import (
    QuantumProgramCompressionFormat,
    QuantumProgramSerializationFormat,
)
from qio.core.quantum_program_result import QuantumProgramResultCompressionFormat
from qio.utils.compression import zlib_to_str
from qio.utils.conversion.program.qiskit_to_qasm3 import convert as qio_qasm3
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm2, qasm3
from qiskit.providers.basic_provider import BasicSimulator
from qiskit.result import Result

from qruntime_async.scaleway.payloads import (
    CompressionFormat,
    ProgramSerializationFormat,
    job_parameters,
    model_payload,
    program_from_qasm,
    read_job_parameters,
    read_model_payload,
)
from qruntime_async.scaleway.results import (
    encode_result_envelope,
    read_result_envelope,
    result_counts,
    result_memory,
)

UA = "qiskit-scaleway/0.3.2 (Linux; CPython/3.12.3) qiskit/2.1.0"
RESULT_COMPRESSIONS = [
    QuantumProgramResultCompressionFormat.NONE,
    QuantumProgramResultCompressionFormat.ZLIB_BASE64_V1,
]


def bell() -> QuantumCircuit:
    circuit = QuantumCircuit(2, 2, name="bell")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    return circuit


def two_registers() -> QuantumCircuit:
    q = QuantumRegister(3, "q")
    c0 = ClassicalRegister(2, "c0")
    c1 = ClassicalRegister(1, "c1")
    circuit = QuantumCircuit(q, c0, c1, name="two_registers")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.h(2)
    circuit.measure(q[0], c0[0])
    circuit.measure(q[1], c0[1])
    circuit.measure(q[2], c1[0])
    return circuit


def measure_all_over_a_register() -> QuantumCircuit:
    # memory_slots (4) exceeds n_qubits (2): qiskit keeps all four bits in two registers.
    circuit = QuantumCircuit(2, 2, name="measure_all_over_c")
    circuit.x(0)
    circuit.h(1)
    circuit.measure(0, 1)
    circuit.measure_all()
    return circuit


def three_registers() -> QuantumCircuit:
    q = QuantumRegister(4, "q")
    a, b, c = ClassicalRegister(1, "a"), ClassicalRegister(2, "b"), ClassicalRegister(3, "c")
    circuit = QuantumCircuit(q, a, b, c, name="three")
    circuit.h(q)
    circuit.measure(q[0], a[0])
    circuit.measure(q[1], b[1])
    circuit.measure(q[2], c[0])
    circuit.measure(q[3], c[2])
    return circuit


CIRCUITS = [bell, two_registers, measure_all_over_a_register, three_registers]


def qio_model(programs: list[QuantumProgram], **backend: Any) -> str:
    text: str = QuantumComputationModel(
        programs=programs,
        backend=BackendData(
            name=backend.get("name", "aer_simulation_pop_c16m128"),
            version=backend.get("version", "0.1.0"),
            options=backend.get("options", {}),
        ),
        client=ClientData(user_agent=UA),
    ).to_json_str()
    return text


# --- models: qio -> ours ---------------------------------------------------------------------


@pytest.mark.parametrize("make", CIRCUITS)
@pytest.mark.parametrize(
    ("fmt", "dumps"),
    [
        (QuantumProgramSerializationFormat.QASM_V3, None),
        (QuantumProgramSerializationFormat.QASM_V2, qasm2.dumps),
    ],
)
@pytest.mark.parametrize("compression", list(QuantumProgramCompressionFormat)[1:])
def test_models_built_by_qio_read_back_with_the_same_qasm(
    make: Any, fmt: QuantumProgramSerializationFormat, dumps: Any, compression: Any
) -> None:
    circuit = make()
    program = QuantumProgram.from_qiskit_circuit(circuit, fmt, compression)
    text = qio_model([program], options={"method": "statevector", "seed": 3})

    model = read_model_payload(text)

    (ours,) = model.programs
    assert ours.compression_format is CompressionFormat.NONE
    assert ours.serialization_format == int(fmt)
    # qio's own decompression is the reference for the text.
    assert ours.serialization == _qio_text(program)
    if dumps is not None:
        assert ours.serialization == dumps(circuit)
    assert model.backend is not None
    assert model.backend.options == {"method": "statevector", "seed": 3}
    assert model.client is not None
    assert model.client.user_agent == UA


def _qio_text(program: QuantumProgram) -> str:
    if program.compression_format == QuantumProgramCompressionFormat.ZLIB_BASE64_V1:
        return str(zlib_to_str(program.serialization))
    return str(program.serialization)


def test_a_multi_program_qio_model() -> None:
    circuits = [make() for make in CIRCUITS]
    text = qio_model([QuantumProgram.from_qiskit_circuit(c) for c in circuits])

    model = read_model_payload(text.encode())

    assert [p.serialization_format for p in model.programs] == [3] * len(circuits)
    for ours, circuit in zip(model.programs, circuits, strict=True):
        assert (
            QuantumProgram(
                compression_format=QuantumProgramCompressionFormat.NONE,
                serialization_format=QuantumProgramSerializationFormat.QASM_V3,
                serialization=ours.serialization,
            )
            .to_qiskit_circuit()
            .num_clbits
            == circuit.num_clbits
        )


# --- models: ours -> qio ---------------------------------------------------------------------


@pytest.mark.parametrize("make", CIRCUITS)
@pytest.mark.parametrize("compression", [CompressionFormat.NONE, CompressionFormat.ZLIB_BASE64_V1])
def test_our_models_are_the_bytes_qio_writes_and_load_in_qio(
    make: Any, compression: CompressionFormat
) -> None:
    circuit = make()
    qasm = qio_qasm3(circuit)
    ours = model_payload(
        program_from_qasm(qasm, compression_format=compression),
        platform="aer_simulation_pop_c16m128",
        version="0.1.0",
        options={"method": "statevector"},
        user_agent=UA,
    )

    theirs = qio_model(
        [QuantumProgram.from_qiskit_circuit(circuit, compression_format=int(compression))],
        options={"method": "statevector"},
    )
    assert ours == theirs

    loaded = QuantumComputationModel.from_json_str(ours)
    (program,) = loaded.programs
    assert program.serialization_format == QuantumProgramSerializationFormat.QASM_V3
    rebuilt = program.to_qiskit_circuit()
    assert rebuilt.num_qubits == circuit.num_qubits
    assert rebuilt.num_clbits == circuit.num_clbits
    assert loaded.backend.name == "aer_simulation_pop_c16m128"


def test_our_qasm2_programs_load_in_qio() -> None:
    circuit = two_registers()
    text = model_payload(qasm2.dumps(circuit), platform="aer")

    (program,) = QuantumComputationModel.from_json_str(text).programs

    assert program.serialization_format == QuantumProgramSerializationFormat.QASM_V2
    assert program.to_qasm2_circuit() == qasm2.dumps(circuit)
    assert program.to_qiskit_circuit().num_clbits == 3


@pytest.mark.parametrize("memory", [False, True])
def test_job_parameters_are_the_bytes_qiskit_scaleway_sends(memory: bool) -> None:
    theirs = QuantumComputationParameters(shots=1000, options={"memory": memory}).to_json_str()

    assert job_parameters(1000, memory=memory) == theirs
    loaded = QuantumComputationParameters.from_json_str(job_parameters(1000, memory=memory))
    assert loaded.shots == 1000
    assert loaded.options == {"memory": memory}
    assert read_job_parameters(theirs).memory is memory


def test_qasm3_header_of_qiskit_output_is_detected() -> None:
    assert program_from_qasm(qasm3.dumps(bell())).serialization_format is (
        ProgramSerializationFormat.QASM_V3
    )
    assert program_from_qasm(qasm2.dumps(bell())).serialization_format is (
        ProgramSerializationFormat.QASM_V2
    )


# --- results ---------------------------------------------------------------------------------


def simulate(circuits: list[QuantumCircuit], shots: int = 64, memory: bool = True) -> Result:
    result: Result = (
        BasicSimulator().run(circuits, shots=shots, memory=memory, seed_simulator=42).result()
    )
    return result


def qiskit_counts(result: Result) -> list[dict[str, int]]:
    return [dict(result.get_counts(i)) for i in range(len(result.results))]


def qiskit_memory(result: Result) -> list[list[str]]:
    return [list(result.get_memory(i)) for i in range(len(result.results))]


@pytest.mark.parametrize("compression", RESULT_COMPRESSIONS)
def test_simulated_results_wrapped_by_qio_match_qiskit(compression: Any) -> None:
    result = simulate([make() for make in CIRCUITS], shots=200)
    text = QuantumProgramResult.from_qiskit_result(result, compression).to_json_str()

    assert result_counts(text) == qiskit_counts(result)
    assert result_memory(text) == qiskit_memory(result)
    assert encode_result_envelope(result.to_dict(), compression_format=int(compression)) == text


def test_bare_result_documents_match_qiskit() -> None:
    result = simulate([make() for make in CIRCUITS])
    text = json.dumps(result.to_dict())

    assert result_counts(text) == qiskit_counts(result)
    assert result_memory(text) == qiskit_memory(result)
    assert result_counts(json.loads(text)) == qiskit_counts(result)


@pytest.mark.parametrize("compression", [CompressionFormat.NONE, CompressionFormat.ZLIB_BASE64_V1])
def test_our_envelopes_load_in_qio(compression: CompressionFormat) -> None:
    result = simulate([bell(), two_registers()], memory=False)
    text = encode_result_envelope(result.to_dict(), compression_format=compression)

    loaded = QuantumProgramResult.from_json_str(text).to_qiskit_result()

    assert loaded.get_counts() == result.get_counts()
    assert json.loads(read_result_envelope(text).serialization) == json.loads(
        json.dumps(result.to_dict())
    )


def test_ten_thousand_shots_match_qiskit() -> None:
    result = simulate([three_registers()], shots=10_000)
    text = QuantumProgramResult.from_qiskit_result(result).to_json_str()

    assert result_counts(text) == qiskit_counts(result)
    assert result_memory(text) == qiskit_memory(result)


# Documents beyond what a simulator writes: any header, keys and readouts qiskit accepts.
headers: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={
        "memory_slots": st.integers(min_value=0, max_value=10),
        "creg_sizes": st.lists(
            st.tuples(st.sampled_from(["a", "b", "c", "meas"]), st.integers(0, 4)).map(list),
            max_size=4,
        ),
        "name": st.just("circuit"),
    },
)


@st.composite
def experiments(draw: st.DrawFn) -> dict[str, Any]:
    header = draw(headers)
    width = header.get("memory_slots") or draw(st.integers(1, 6))
    # Values may exceed memory_slots: qiskit does not cut them, neither must we.
    values = draw(st.lists(st.integers(0, 2 ** (width + 1) - 1), min_size=1, max_size=8))
    memory = [hex(v) for v in values]
    counts: dict[str, int] = {}
    for shot in memory:
        counts[shot] = counts.get(shot, 0) + 1
    experiment: dict[str, Any] = {
        "shots": len(memory),
        "success": True,
        "data": {"counts": counts, "memory": memory},
    }
    if bool(header) or draw(st.booleans()):
        experiment["header"] = header
    return experiment


def assert_same_counts(
    ours: list[dict[str, int]], result: Result, experiments: list[dict[str, Any]]
) -> None:
    for counts, theirs, experiment in zip(ours, qiskit_counts(result), experiments, strict=True):
        assert counts.keys() == theirs.keys()
        shots = sum(experiment["data"]["counts"].values())
        if sum(theirs.values()) == shots:
            assert counts == theirs
        else:
            # Registers covering fewer bits than memory_slots make distinct readouts look alike:
            # qiskit keeps the last count of such keys, we add them up.
            assert sum(counts.values()) == shots


@settings(max_examples=300, deadline=None)
@given(
    results=st.lists(experiments(), min_size=1, max_size=3),
    compression=st.sampled_from(RESULT_COMPRESSIONS),
)
def test_any_counts_and_memory_match_qiskit(
    results: list[dict[str, Any]], compression: Any
) -> None:
    document = {
        "backend_name": "aer",
        "backend_version": "1",
        "qobj_id": "q",
        "job_id": "j",
        "success": True,
        "results": results,
    }
    result = Result.from_dict(json.loads(json.dumps(document)))
    text = QuantumProgramResult.from_qiskit_result_dict(document, compression).to_json_str()

    ours = result_counts(text)
    assert ours == result_counts(document)
    assert_same_counts(ours, result, results)
    assert result_memory(text) == qiskit_memory(result)


@settings(max_examples=200, deadline=None)
@given(
    header=headers.filter(lambda h: bool(h)),
    keys=st.lists(st.text("01", min_size=1, max_size=8), min_size=1, max_size=5, unique=True),
)
def test_binary_count_keys_match_qiskit(header: dict[str, Any], keys: list[str]) -> None:
    # Unprefixed binary keys are reinterpreted under a header; keep them distinct as numbers.
    distinct = list({int(k, 2): k for k in keys}.values())
    experiment = {"shots": 1, "success": True, "data": {"counts": dict.fromkeys(distinct, 1)}}
    experiment["header"] = header
    document = {"success": True, "results": [experiment]}

    result = Result.from_dict(json.loads(json.dumps(document)))

    assert_same_counts(result_counts(document), result, [experiment])
