"""The official Qiskit clients, unmodified, against the emulator.

qiskit-ibm-runtime is configured only through its documented settings: ``IAM_URL`` (its IAM
endpoint), the IBM Cloud SDK's ``GLOBAL_SEARCH_URL`` / ``GLOBAL_CATALOG_URL`` (instance lookup),
and the ``url`` + ``url_resolver`` constructor arguments (the runtime API used as given).
qiskit-scaleway is configured only through its environment variables ``QISKIT_SCALEWAY_PROJECT_ID``,
``QISKIT_SCALEWAY_SECRET_KEY`` and ``QISKIT_SCALEWAY_API_URL`` (the emulator's root URL: the client
adds ``/qaas/v1alpha1`` itself).
"""

from __future__ import annotations

import gc
import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("qiskit", reason="the official clients need qiskit (conformance extra)")
pytest.importorskip(
    "qiskit_ibm_runtime", reason="qiskit-ibm-runtime is not installed (conformance extra)"
)

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import Batch, QiskitRuntimeService, Session

from qruntime_async.emulator import (
    IBM_BUSY_BACKEND,
    SCALEWAY_AER_PLATFORM,
    Emulator,
    EmulatorConfig,
)
from qruntime_async.pytest_plugin import EmulatorThread

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from qiskit_ibm_runtime import EstimatorV2, SamplerV2

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.integration,
    # SamplerV2/EstimatorV2 are deprecated in favour of client-side primitives, still the default
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

SHOTS = 400


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorThread]:
    with EmulatorThread(EmulatorConfig(speed=1000.0)) as thread:
        yield thread


@pytest.fixture
def emu(server: EmulatorThread, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    server.reset()
    emulator = server.emulator
    monkeypatch.setenv("IAM_URL", emulator.iam_url)
    monkeypatch.setenv("GLOBAL_SEARCH_URL", emulator.global_search_url)
    monkeypatch.setenv("GLOBAL_CATALOG_URL", emulator.global_catalog_url)
    return emulator


def use_as_given(url: str, instance: str, private_endpoint: bool | None, channel: str) -> str:
    """The ``url_resolver`` that keeps the runtime URL unchanged."""
    return url


@pytest.fixture
def service(emu: Emulator) -> QiskitRuntimeService:
    return QiskitRuntimeService(
        channel="ibm_quantum_platform",
        token=emu.credentials.ibm_api_key,
        instance=emu.credentials.ibm_service_crn,
        url=emu.ibm_url,
        url_resolver=use_as_given,
    )


def bell(backend: Any) -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return generate_preset_pass_manager(optimization_level=1, backend=backend).run(circuit)


def assert_bell_counts(counts: dict[str, int], shots: int) -> None:
    assert set(counts) == {"00", "11"}, counts
    assert sum(counts.values()) == shots
    assert min(counts.values()) > shots // 4


def test_service_sees_instance_backends_and_usage(
    service: QiskitRuntimeService, emu: Emulator
) -> None:
    assert [i["crn"] for i in service.instances()] == [emu.credentials.ibm_service_crn]
    names = {b.name for b in service.backends()}
    assert {emu.ibm_backend, IBM_BUSY_BACKEND} <= names
    backend = service.backend(emu.ibm_backend)
    assert backend.num_qubits == 127
    assert {"ecr", "rz", "sx", "x", "measure"} <= set(backend.target.operation_names)
    assert backend.coupling_map.is_connected()
    status = backend.status()
    assert status.operational is True
    assert status.status_msg == "active"
    assert backend.properties().t1(0) > 0
    assert service.usage()["usage_limit_reached"] is False


def test_bell_sampler_job(service: QiskitRuntimeService, emu: Emulator) -> None:
    backend = service.backend(emu.ibm_backend)
    job = SamplerV2(mode=backend).run([bell(backend)], shots=SHOTS)
    result = job.result()
    assert_bell_counts(result[0].data.meas.get_counts(), SHOTS)
    assert len(result[0].data.meas.get_bitstrings()) == SHOTS
    assert job.status() == "DONE"
    assert job.usage() > 0
    (stored,) = emu.ibm_jobs()
    assert stored.id == job.job_id()
    assert stored.instance == emu.ibm_instance


def test_parameter_sweep_on_a_cz_backend(service: QiskitRuntimeService) -> None:
    backend = service.backend(IBM_BUSY_BACKEND)
    theta = Parameter("theta")
    circuit = QuantumCircuit(1)
    circuit.rx(theta, 0)
    circuit.measure_all()
    isa = generate_preset_pass_manager(optimization_level=1, backend=backend).run(circuit)
    values = [[0.0], [np.pi], [np.pi / 2]]
    result = SamplerV2(mode=backend).run([(isa, values, 200)]).result()
    meas = result[0].data.meas
    assert meas.shape == (3,)
    assert meas[0].get_counts() == {"0": 200}
    assert meas[1].get_counts() == {"1": 200}
    assert set(meas[2].get_counts()) == {"0", "1"}


def test_session_runs_jobs_in_the_session(service: QiskitRuntimeService, emu: Emulator) -> None:
    backend = service.backend(emu.ibm_backend)
    circuit = bell(backend)
    with Session(backend=backend) as session:
        sampler = SamplerV2(mode=session)
        first = sampler.run([circuit], shots=SHOTS)
        second = sampler.run([circuit, circuit], shots=SHOTS)
        for pub in [*first.result(), *second.result()]:
            assert_bell_counts(pub.data.meas.get_counts(), SHOTS)
        session_id = session.session_id
    (stored,) = emu.ibm_sessions()
    assert stored.id == session_id
    assert stored.instance == emu.ibm_instance
    assert set(stored.job_ids) == {first.job_id(), second.job_id()}
    assert not stored.accepting_jobs


def test_batch_runs_jobs_in_batch_mode(service: QiskitRuntimeService, emu: Emulator) -> None:
    backend = service.backend(emu.ibm_backend)
    circuit = bell(backend)
    with Batch(backend=backend) as batch:
        sampler = SamplerV2(mode=batch)
        jobs = [sampler.run([circuit], shots=SHOTS) for _ in range(3)]
        for job in jobs:
            assert_bell_counts(job.result()[0].data.meas.get_counts(), SHOTS)
    (stored,) = emu.ibm_sessions()
    assert stored.mode == "batch"
    assert set(stored.job_ids) == {job.job_id() for job in jobs}


def test_estimator_expectation_values(service: QiskitRuntimeService, emu: Emulator) -> None:
    backend = service.backend(emu.ibm_backend)
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    isa = generate_preset_pass_manager(optimization_level=1, backend=backend).run(circuit)
    observables = SparsePauliOp(["ZZ", "XX", "YY", "ZI"]).apply_layout(isa.layout)
    job = EstimatorV2(mode=backend).run([(isa, list(observables))])
    evs = job.result()[0].data.evs
    assert evs == pytest.approx([1.0, 1.0, -1.0, 0.0], abs=1e-9)


SCALEWAY_REASON = "qiskit-scaleway 0.3 needs Python >= 3.12 (older releases pin qiskit 1.x)"


def scaleway_circuits() -> list[QuantumCircuit]:
    """A Bell pair, a flipped qubit, and a readout wider than the circuit's qubits."""
    bell_pair = QuantumCircuit(2)
    bell_pair.h(0)
    bell_pair.cx(0, 1)
    bell_pair.measure_all()
    flip = QuantumCircuit(1)
    flip.x(0)
    flip.measure_all()
    wide = QuantumCircuit(1, 2)
    wide.x(0)
    wide.measure(0, 1)
    return [bell_pair, flip, wide]


def run_on_scaleway() -> tuple[list[dict[str, int]], list[str], str]:
    """Through qiskit-scaleway, configured by its environment variables only: the counts of
    :func:`scaleway_circuits` run as one job, the Sampler's Bell bitstrings, the session id."""
    scaleway = pytest.importorskip("qiskit_scaleway", reason="qiskit-scaleway is not installed")
    primitives = pytest.importorskip("qiskit_scaleway.primitives")
    backend = scaleway.ScalewayProvider().get_backend(SCALEWAY_AER_PLATFORM)
    assert backend.num_qubits > 2
    # The emulator runs 1,000 times faster than real time: 12 h of session life is 43 s here,
    # ample for both jobs however slowly the machine runs.
    session_id: str = backend.start_session(
        name="conformance",
        deduplication_id="conformance",
        max_duration="12h",
        max_idle_duration="12h",
    )
    try:
        circuits = scaleway_circuits()
        result = backend.run(circuits, shots=SHOTS, session_id=session_id).result()
        counts = [dict(result.get_counts(i)) for i in range(len(circuits))]
        sampler = primitives.Sampler(backend=backend, session_id=session_id)
        pub = sampler.run([circuits[0]], shots=SHOTS).result()[0]
        bitstrings = list(pub.data.meas.get_bitstrings())
    finally:
        backend.stop_session(session_id)
    return counts, bitstrings, session_id


@pytest.mark.skipif(sys.version_info < (3, 12), reason=SCALEWAY_REASON)
def test_scaleway_provider_circuits_and_sampler(
    server: EmulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.reset()
    emu = server.emulator
    monkeypatch.setenv("QISKIT_SCALEWAY_PROJECT_ID", emu.scaleway_project_id)
    monkeypatch.setenv("QISKIT_SCALEWAY_SECRET_KEY", emu.scaleway_secret_key)
    monkeypatch.setenv("QISKIT_SCALEWAY_API_URL", emu.scaleway_url)
    counts, bitstrings, session_id = run_on_scaleway()
    with warnings.catch_warnings():
        # scaleway_qaas_client never closes its httpx connection pool
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    bell_counts, flip_counts, wide_counts = counts
    assert_bell_counts(bell_counts, SHOTS)
    assert flip_counts == {"1": SHOTS}
    assert wide_counts == {"10": SHOTS}
    assert len(bitstrings) == SHOTS
    assert_bell_counts(dict(Counter(bitstrings)), SHOTS)
    (session,) = emu.scaleway_sessions()
    assert session.id == session_id
    assert session.deduplication_id == "conformance"
    assert len(session.job_ids) == 2
    assert all(
        job.circuit == {"perceval_circuit": None, "qiskit_circuit": None}
        for job in emu.scaleway_jobs()
    )
