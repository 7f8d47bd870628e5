"""Job params built from qiskit objects, checked against qiskit and qiskit-ibm-runtime themselves.

Needs qiskit (the ``qiskit`` extra); the comparisons with the official client also need
qiskit-ibm-runtime, and reading the OpenQASM 3 text back needs qiskit-qasm3-import.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest

qiskit = pytest.importorskip("qiskit")

import numpy as np  # noqa: E402  (qiskit depends on numpy)
from qiskit import QuantumCircuit, qasm3  # noqa: E402
from qiskit.circuit import Parameter, ParameterVector  # noqa: E402
from qiskit.primitives.containers.observables_array import ObservablesArray  # noqa: E402
from qiskit.quantum_info import (  # noqa: E402
    Operator,
    Pauli,
    SparseObservable,
    SparsePauliOp,
)

from qruntime_async.ibm.pubs import estimator_params, sampler_params  # noqa: E402


def bell(measure: bool = True) -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    if measure:
        circuit.measure_all()
    return circuit


def rotations(measure: bool = True) -> QuantumCircuit:
    theta, phi = Parameter("theta"), Parameter("phi")
    circuit = QuantumCircuit(2)
    circuit.rx(theta, 0)
    circuit.ry(phi, 1)
    circuit.cx(0, 1)
    if measure:
        circuit.measure_all()
    return circuit


def awkward_names(measure: bool = False) -> QuantumCircuit:
    """Parameters the OpenQASM 3 exporter renames, in an order that changes when read back."""
    vector = ParameterVector("θ", 11)
    circuit = QuantumCircuit(2)
    for i, element in enumerate(vector):
        circuit.rx(element, i % 2)
    circuit.rz(Parameter("x"), 0)  # clashes with the gate x
    circuit.ry(Parameter("a b"), 1)
    circuit.cx(0, 1)
    if measure:
        circuit.measure_all()
    return circuit


def by_name(circuit: QuantumCircuit, values: dict[str, Any], index: int | None) -> dict[Any, float]:
    """A binding of ``circuit`` (read back from our text) from the dict we sent."""
    return {
        p: float(values[p.name] if index is None else values[p.name][index])
        for p in circuit.parameters
    }


def pauli_form(observable: Any) -> SparsePauliOp:
    """An observable as a sum of Paulis, qiskit's own conversion (projectors expanded)."""
    if isinstance(observable, dict):
        return SparsePauliOp.from_list(list(observable.items()))
    return SparsePauliOp.from_sparse_observable(SparseObservable(observable))


# -- circuits ----------------------------------------------------------------------------------


def test_quantum_circuit_goes_out_as_qiskit_openqasm3_text() -> None:
    circuit = bell()
    params = sampler_params([circuit, (circuit, None, 10)])
    assert params["pubs"][0] == [qasm3.dumps(circuit)]
    assert params["pubs"][1] == [qasm3.dumps(circuit), None, 10]
    assert params["pubs"][0][0].startswith("OPENQASM 3")
    msgspec.json.encode(params)


@pytest.mark.parametrize("make", [bell, rotations, awkward_names])
def test_text_reads_back_into_an_equivalent_circuit(make: Any) -> None:
    pytest.importorskip("qiskit_qasm3_import")
    circuit = make(measure=False)
    values = np.linspace(0.1, 1.3, circuit.num_parameters * 2).reshape(2, -1)
    pub = sampler_params([(circuit, values if circuit.num_parameters else None)])["pubs"][0]
    loaded = qasm3.loads(pub[0])
    assert loaded.num_qubits == circuit.num_qubits
    assert loaded.num_parameters == circuit.num_parameters
    for k in range(2):
        expected = circuit.assign_parameters(values[k]) if circuit.num_parameters else circuit
        got = loaded.assign_parameters(by_name(loaded, pub[1], k)) if pub[1] else loaded
        assert Operator(got).equiv(Operator(expected))


def test_values_bind_by_exported_name_even_when_read_back_reorders_them() -> None:
    pytest.importorskip("qiskit_qasm3_import")
    circuit = awkward_names()
    values = [0.01 * (i + 1) for i in range(circuit.num_parameters)]
    pub = estimator_params([(circuit, "ZZ", values)])["pubs"][0]
    loaded = qasm3.loads(pub[0])
    original_order = [p.name for p in circuit.parameters]
    read_back_order = [p.name for p in loaded.parameters]
    # reading the text back reorders the parameters: a positional list would bind wrongly
    assert sorted(pub[2]) == sorted(read_back_order)
    assert list(pub[2]) != read_back_order
    assert pub[2]["_θ_10_"] == values[original_order.index("θ[10]")]
    bound = loaded.assign_parameters(by_name(loaded, pub[2], None))
    assert Operator(bound).equiv(Operator(circuit.assign_parameters(values)))


def test_dict_values_keyed_by_qiskit_names_or_parameters_are_renamed_too() -> None:
    circuit = awkward_names()
    parameters = list(circuit.parameters)
    values = {p: 0.5 for p in parameters[:-1]} | {parameters[-1].name: [0.5]}
    with pytest.raises(ValueError, match="same shape"):
        sampler_params([(circuit, values)])
    sweeps = {p: [0.1, 0.2] for p in parameters[:-1]} | {parameters[-1].name: [0.3, 0.4]}
    pub = sampler_params([(circuit, sweeps)])["pubs"][0]
    declared = [
        line.split()[-1].rstrip(";") for line in pub[0].splitlines() if line.startswith("input")
    ]
    assert sorted(pub[1]) == sorted(declared)
    assert pub[1]["_θ_0_"] == [0.1, 0.2]


def test_circuit_checks_name_the_pub() -> None:
    circuit = rotations()
    with pytest.raises(ValueError, match=r"pubs\[0\] parameter_values missing: .*phi, theta"):
        sampler_params([circuit])
    with pytest.raises(ValueError, match=r"pubs\[1\] parameter_values has 1 values per set"):
        sampler_params([bell(), (circuit, [0.1])])
    with pytest.raises(ValueError, match=r"pubs\[0\] parameter_values do not match .*missing phi"):
        sampler_params([(circuit, {"theta": 0.1})])
    with pytest.raises(
        ValueError, match=r"pubs\[0\] observables act on 3 qubits but the circuit has 2"
    ):
        estimator_params([(bell(False), "ZZZ")])
    with pytest.raises(TypeError, match=r"pubs must be a list of pubs, got QuantumCircuit"):
        sampler_params(bell())


def test_exporter_failure_is_reported_for_the_pub(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_circuit: Any, **_kwargs: Any) -> str:
        raise qasm3.QASM3ExporterError("no way")

    monkeypatch.setattr(qasm3, "dumps", refuse)
    with pytest.raises(ValueError, match=r"pubs\[0\] circuit cannot be exported .*no way"):
        sampler_params([bell()])


# -- observables -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "observable",
    [
        SparsePauliOp.from_list([("ZZ", 1.0), ("XI", -0.5), ("IY", 0.25)]),
        SparsePauliOp(["ZZ", "XX", "ZZ"], [1.0, 2.0, 0.5]),  # duplicates summed
        SparsePauliOp(["ZZ"], [np.complex128(2 + 1e-17j)]),  # rounding noise
        Pauli("ZX"),
        Pauli("-YY"),
        SparseObservable.from_list([("XZ", 0.5), ("ZZ", 1.5)]),
        SparseObservable.from_label("+Z"),  # projector terms expand into Paulis
        "ZZ",
        {"XY": 2, "ZI": np.float64(-1.0)},
    ],
    ids=repr,
)
def test_observables_match_qiskits_own_reading(observable: Any) -> None:
    pub = estimator_params([(bell(False), observable)])["pubs"][0]
    ours = pub[1]
    assert isinstance(ours, dict)
    assert all(isinstance(v, float) for v in ours.values())
    assert pauli_form(ours).equiv(pauli_form(observable))
    msgspec.json.encode(pub)


def test_observable_arrays_keep_their_shape() -> None:
    observables = [[SparsePauliOp("ZZ"), "XX"], [Pauli("YY"), {"ZI": 0.5}]]
    ours = estimator_params([(bell(False), observables)])["pubs"][0][1]
    theirs = ObservablesArray.coerce(observables)
    assert theirs.shape == (2, 2)
    assert ObservablesArray.coerce(ours).equivalent(theirs)


@pytest.mark.parametrize(
    "observable",
    [
        Pauli("iZZ"),
        SparsePauliOp(["ZZ", "XX"], [1.0, 0.5j]),
        SparseObservable.from_list([("ZZ", 1j)]),
    ],
    ids=repr,
)
def test_non_hermitian_observables_are_refused(observable: Any) -> None:
    with pytest.raises(ValueError, match=r"pubs\[0\] observables.*imaginary part"):
        estimator_params([(bell(False), observable)])
    with pytest.raises(ValueError, match="Non-Hermitian"):
        ObservablesArray.coerce(observable)


# -- numpy -------------------------------------------------------------------------------------


def test_numpy_values_go_out_as_plain_json() -> None:
    params = estimator_params(
        [(bell(False), SparsePauliOp("ZZ"), None, np.float32(0.25))],
        precision=np.float64(0.1),
        resilience_level=np.int64(2),
        options={
            "default_shots": np.int64(1000),
            "resilience": {"zne": {"noise_factors": np.array([1, 3])}},
        },
    )
    assert params["pubs"][0][3] == 0.25
    assert type(params["pubs"][0][3]) is float
    assert params["resilience_level"] == 2
    assert type(params["resilience_level"]) is int
    assert params["options"] == {
        "default_shots": 1000,
        "resilience": {"zne": {"noise_factors": [1, 3]}},
    }
    assert type(params["options"]["default_shots"]) is int
    pub = sampler_params([(QuantumCircuit(1), None, np.int64(7))], shots=np.int16(3))["pubs"][0]
    assert pub[2] == 7
    assert type(pub[2]) is int
    text = "OPENQASM 3.0;\ninput float[64] a;\ninput float[64] b;\nqubit q;\nrx(a) q;\nry(b) q;\n"
    pub = sampler_params([(text, np.array([[1, 2], [3, 4]], dtype=np.int32))])["pubs"][0]
    assert pub[1] == [[1.0, 2.0], [3.0, 4.0]]
    assert msgspec.json.encode(pub[1]) == b"[[1.0,2.0],[3.0,4.0]]"
    with pytest.raises(TypeError, match=r"pubs\[0\] shots must be an int"):
        sampler_params([(text, [1, 2], np.float64(5))])


# -- the official client -----------------------------------------------------------------------


@dataclass
class Official:
    """What qiskit-ibm-runtime's V2 primitives hand to the service for the same pubs."""

    runtime: Any
    backend: Any
    calls: list[dict[str, Any]] = field(default_factory=list)

    def isa(self, circuit: QuantumCircuit) -> QuantumCircuit:
        from qiskit.transpiler import generate_preset_pass_manager

        manager = generate_preset_pass_manager(
            optimization_level=1, backend=self.backend, seed_transpiler=7
        )
        return manager.run(circuit)

    def run(
        self, primitive: str, pubs: list[Any], options: dict[str, Any], **kwargs: Any
    ) -> dict[str, Any]:
        cls = self.runtime.SamplerV2 if primitive == "sampler" else self.runtime.EstimatorV2
        with warnings.catch_warnings():
            # the V2 primitives announce their own deprecation in favour of client-side ones
            warnings.simplefilter("ignore", DeprecationWarning)
            cls(mode=self.backend, options=options).run(pubs, **kwargs)
        call = self.calls.pop()
        assert call["program_id"] == primitive
        inputs: dict[str, Any] = call["inputs"]
        return inputs


@pytest.fixture
def official(monkeypatch: pytest.MonkeyPatch) -> Official:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        runtime = pytest.importorskip("qiskit_ibm_runtime")
        from qiskit_ibm_runtime.fake_provider import FakeManilaV2
        from qiskit_ibm_runtime.fake_provider.local_service import QiskitRuntimeLocalService

    spy = Official(runtime=runtime, backend=FakeManilaV2())

    def capture(_service: Any, *args: Any, **kwargs: Any) -> None:
        # a fake backend runs "locally": take the inputs instead of simulating them
        assert not args
        spy.calls.append(kwargs)

    monkeypatch.setattr(QiskitRuntimeLocalService, "_run", capture)
    return spy


def as_positional(values: Any, circuit: QuantumCircuit, text: str) -> list[Any]:
    """Our by-name values as the official client's array, ordered like ``circuit.parameters``."""
    declared = [
        line.split()[-1].rstrip(";") for line in text.splitlines() if line.startswith("input")
    ]
    names = dict(zip([p.name for p in circuit.parameters], declared, strict=True))
    columns = [np.asarray(values[names[p.name]], dtype=float) for p in circuit.parameters]
    positional: list[Any] = np.stack(columns, axis=-1).tolist()
    return positional


def test_sampler_params_match_the_official_client(official: Official) -> None:
    fixed = official.isa(bell())
    varied = official.isa(rotations())
    pubs = [fixed, (varied, [[0.1, 0.2], [0.3, 0.4]]), (varied, [0.5, 0.6], 50)]
    options = {
        "default_shots": 300,
        "dynamical_decoupling": {"enable": True, "sequence_type": "XY4"},
        "twirling": {"enable_gates": True, "enable_measure": False},
        "execution": {"init_qubits": True},
    }
    theirs = official.run("sampler", pubs, options, shots=100)
    ours = sampler_params(pubs, shots=100, options=options)

    # the client also asks for qiskit-encoded results; nothing else differs
    assert set(theirs) == set(ours) | {"support_qiskit"}
    assert theirs["support_qiskit"] is True
    assert ours["version"] == theirs["version"] == 2
    assert ours["options"] == theirs["options"]
    assert len(ours["pubs"]) == len(theirs["pubs"])
    for mine, pub in zip(ours["pubs"], theirs["pubs"], strict=True):
        assert mine[0] == qasm3.dumps(pub.circuit)
        expected_values = pub.parameter_values.as_array(pub.circuit.parameters)
        if mine[1] is None:
            assert expected_values.size == 0
        else:
            assert as_positional(mine[1], pub.circuit, mine[0]) == expected_values.tolist()
        assert mine[2] == pub.shots
    msgspec.json.encode(ours)


def test_estimator_params_match_the_official_client(official: Official) -> None:
    fixed = official.isa(bell(False))
    varied = official.isa(rotations(False))
    hamiltonian = SparsePauliOp.from_list([("ZZ", 1.0), ("XI", 0.5), ("IY", -0.25)])
    pubs = [
        (fixed, hamiltonian.apply_layout(fixed.layout)),
        (
            varied,
            [[hamiltonian.apply_layout(varied.layout)], [Pauli("ZZ").apply_layout(varied.layout)]],
            [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]],
        ),
        (varied, SparsePauliOp("XX").apply_layout(varied.layout), {"theta": 1.0, "phi": 2.0}, 0.05),
    ]
    options = {
        "default_shots": 2000,
        "resilience": {"measure_mitigation": True, "zne_mitigation": False},
        "twirling": {"num_randomizations": 16, "shots_per_randomization": "auto"},
    }
    theirs = official.run("estimator", pubs, {**options, "resilience_level": 1}, precision=0.02)
    ours = estimator_params(pubs, precision=0.02, options=options, resilience_level=1)

    assert set(theirs) == set(ours) | {"support_qiskit"}
    assert ours["version"] == theirs["version"] == 2
    assert ours["options"] == theirs["options"]
    assert ours["resilience_level"] == theirs["resilience_level"] == 1
    for mine, pub in zip(ours["pubs"], theirs["pubs"], strict=True):
        assert mine[0] == qasm3.dumps(pub.circuit)
        assert ObservablesArray.coerce(mine[1]).equivalent(pub.observables)
        assert np.shape(np.asarray(mine[1], dtype=object)) == pub.observables.shape
        expected_values = pub.parameter_values.as_array(pub.circuit.parameters)
        if mine[2] is None:
            assert expected_values.size == 0
        else:
            assert as_positional(mine[2], pub.circuit, mine[0]) == expected_values.tolist()
        assert mine[3] == pub.precision
    msgspec.json.encode(ours)


def test_official_client_sends_resilience_level_beside_options_too(official: Official) -> None:
    circuit = official.isa(bell(False))
    pubs = [(circuit, SparsePauliOp("ZZ").apply_layout(circuit.layout))]
    theirs = official.run("estimator", pubs, {"resilience_level": 2})
    assert theirs["resilience_level"] == 2
    assert "resilience_level" not in theirs["options"]
    assert estimator_params(pubs, resilience_level=2)["resilience_level"] == 2
