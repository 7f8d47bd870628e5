"""Computed results: OpenQASM parsing and sampling, without a server."""

from __future__ import annotations

import pytest

from qruntime_async.emulator._circuits import (
    CircuitError,
    expectation_values,
    parse_qasm,
    sample_circuit,
)
from qruntime_async.emulator.scaleway.results import experiment

from .conftest import BELL


def test_bell_state_gives_only_correlated_outcomes() -> None:
    sample = sample_circuit(BELL, 2000, seed=1)
    counts = sample.counts["c"]
    assert set(counts) == {"00", "11"}
    assert sum(counts.values()) == 2000
    assert 800 < counts["00"] < 1200
    assert sample.synthetic is False


def test_same_seed_same_counts_other_seed_other_counts() -> None:
    assert sample_circuit(BELL, 500, seed=5).counts == sample_circuit(BELL, 500, seed=5).counts
    assert sample_circuit(BELL, 500, seed=5).counts != sample_circuit(BELL, 500, seed=6).counts


def test_bit_order_and_registers_follow_qiskit() -> None:
    text = (
        "OPENQASM 2.0; qreg q[3]; creg a[2]; creg b[1]; x q[0]; x q[2]; "
        "measure q[0] -> a[0]; measure q[1] -> a[1]; measure q[2] -> b[0];"
    )
    sample = sample_circuit(text, 10, seed=0)
    assert sample.counts == {"a": {"01": 10}, "b": {"1": 10}}
    assert sample.joint_counts() == {"1 01": 10}
    assert sample.outcomes == {("01", "1"): 10}
    assert sample.memory(0) == [("01", "1")] * 10
    doc = experiment(sample, 0, memory=True, seed=0)
    assert doc["data"] == {"counts": {"0x5": 10}, "memory": ["0x5"] * 10}
    assert doc["header"]["creg_sizes"] == [["a", 2], ["b", 1]]


def test_openqasm3_and_rotations() -> None:
    text = (
        'OPENQASM 3.0; include "stdgates.inc"; qubit[1] q; bit[1] c; '
        "ry(2*pi/3) q[0]; c[0] = measure q[0];"
    )
    counts = sample_circuit(text, 20_000, seed=2).counts["c"]
    assert counts["1"] / 20_000 == pytest.approx(0.75, abs=0.02)


def test_unsupported_constructs_fall_back_to_a_marked_synthetic_distribution() -> None:
    text = "OPENQASM 2.0; qreg q[2]; creg c[2]; h q[0]; reset q[0]; measure q -> c;"
    sample = sample_circuit(text, 1000, seed=3)
    assert sample.synthetic is True
    assert sample.method == "synthetic"
    assert sum(sample.counts["c"].values()) == 1000
    assert all(len(k) == 2 for k in sample.counts["c"])


def test_large_shot_counts_stay_exact() -> None:
    counts = sample_circuit(BELL, 1_000_000, seed=4).counts["c"]
    assert sum(counts.values()) == 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        "not a circuit",
        "OPENQASM 2.0; qreg q[1]; creg c[1]; measure q[3] -> c[0];",
        "OPENQASM 2.0; qreg q[1]; h r[0];",
        "OPENQASM 2.0; qreg q[1]; rx(pi/) q[0];",
    ],
)
def test_unreadable_circuits_raise(text: str) -> None:
    with pytest.raises(CircuitError):
        parse_qasm(text)


def test_expectation_values() -> None:
    state = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; x q[0]; h q[1];'
    values, stds, synthetic = expectation_values(state, ["ZI", "IZ", "XI", {"IZ": 2.0}], seed=0)
    assert synthetic is False
    assert values == [
        pytest.approx(0.0, abs=1e-9),
        pytest.approx(-1.0),
        pytest.approx(1.0),
        pytest.approx(-2.0),
    ]
    assert stds == [0.0] * 4
