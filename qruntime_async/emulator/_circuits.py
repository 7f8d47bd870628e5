"""Computed results: parse OpenQASM text, then sample the circuit.

Order of preference: Qiskit Aer when ``qiskit`` and ``qiskit-aer`` are importable; else a small
built-in statevector simulator (standard gates, at most ``MAX_STATEVECTOR_QUBITS`` qubits, final
measurements); else a deterministic seeded distribution over the measured bits, marked
``synthetic``. Every path is deterministic for a given seed.
"""

from __future__ import annotations

import importlib
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ._qasm import Circuit, CircuitError, parse_qasm
from ._statevector import State

__all__ = [
    "MAX_EXACT_SAMPLING_SHOTS",
    "MAX_STATEVECTOR_QUBITS",
    "Circuit",
    "CircuitError",
    "Sample",
    "expectation_values",
    "find_qasm",
    "parse_qasm",
    "sample_circuit",
    "simulator_available",
    "synthetic_sample",
]

MAX_STATEVECTOR_QUBITS = 10
MAX_EXACT_SAMPLING_SHOTS = 200_000


@dataclass
class Sample:
    """Counts of one circuit, per classical register (bit 0 rightmost, as Qiskit writes them)."""

    registers: list[tuple[str, int]]
    counts: dict[str, dict[str, int]]
    shots: int
    method: str
    synthetic: bool
    num_qubits: int

    def joint_counts(self) -> dict[str, int]:
        """Counts over all registers, last register first, separated by spaces (Qiskit style)."""
        if not self.registers:
            return {}
        names = [name for name, _ in self.registers]
        if len(names) == 1:
            return dict(self.counts[names[0]])
        return dict(self._joint)

    _joint: dict[str, int] = field(default_factory=dict)
    #: Shots per outcome, an outcome being the bits of each register in declaration order.
    outcomes: dict[tuple[str, ...], int] = field(default_factory=dict)

    def memory(self, seed: int) -> list[tuple[str, ...]]:
        """One outcome per shot, in a seeded order (the counts do not say which shot came when)."""
        shots = [key for key, n in self.outcomes.items() for _ in range(n)]
        random.Random(seed).shuffle(shots)
        return shots


def _bits_of(circuit: Circuit, basis_state: int) -> dict[str, str]:
    values = {name: ["0"] * size for name, size in circuit.cregs}
    for q, creg, bit in circuit.measures:
        values[creg][bit] = "1" if (basis_state >> q) & 1 else "0"
    return {name: "".join(reversed(bits)) for name, bits in values.items()}


def _draw(
    outcomes: dict[tuple[str, ...], float], shots: int, rng: random.Random
) -> Counter[tuple[str, ...]]:
    keys = list(outcomes)
    weights = [outcomes[k] for k in keys]
    if shots <= MAX_EXACT_SAMPLING_SHOTS:
        return Counter(rng.choices(keys, weights, k=shots))
    total = sum(weights)
    counts: Counter[tuple[str, ...]] = Counter()
    assigned = 0
    for k, w in zip(keys, weights, strict=True):
        n = int(shots * w / total)
        counts[k] = n
        assigned += n
    for k in rng.choices(keys, weights, k=shots - assigned):
        counts[k] += 1
    return counts


def _finish(
    circuit: Circuit, drawn: Counter[tuple[str, ...]], shots: int, method: str, synthetic: bool
) -> Sample:
    names = [name for name, _ in circuit.cregs]
    per: dict[str, dict[str, int]] = {name: {} for name in names}
    joint: dict[str, int] = {}
    for key, n in sorted(drawn.items()):
        if n == 0:
            continue
        for name, bits in zip(names, key, strict=True):
            per[name][bits] = per[name].get(bits, 0) + n
        joint[" ".join(reversed(key))] = n
    sample = Sample(
        registers=list(circuit.cregs),
        counts=per,
        shots=shots,
        method=method,
        synthetic=synthetic,
        num_qubits=circuit.qubits,
    )
    sample._joint = joint
    sample.outcomes = {key: n for key, n in sorted(drawn.items()) if n}
    return sample


def synthetic_sample(circuit: Circuit, shots: int, rng: random.Random) -> Sample:
    """A deterministic made-up distribution over the circuit's classical bits."""
    width = circuit.clbits
    if width == 0:
        return _finish(circuit, Counter(), shots, "synthetic", True)
    n_outcomes = min(1 << width, 8)
    chosen: set[int] = {0}
    while len(chosen) < n_outcomes:
        chosen.add(rng.getrandbits(width))
    outcomes: dict[tuple[str, ...], float] = {}
    for value in sorted(chosen):
        text = format(value, f"0{width}b")
        key: list[str] = []
        pos = width
        for _name, size in circuit.cregs:
            key.append(text[pos - size : pos])
            pos -= size
        outcomes[tuple(key)] = 0.2 + rng.random()
    return _finish(circuit, _draw(outcomes, shots, rng), shots, "synthetic", True)


_aer_modules: tuple[Any, Any, Any] | None = None
_aer_checked = False


def simulator_available() -> bool:
    """True when Qiskit Aer can be used (the first call looks for it: call it off the loop)."""
    return _load_aer() is not None


def _load_aer() -> tuple[Any, Any, Any] | None:
    """(qasm2, qasm3, AerSimulator) when Qiskit and Qiskit Aer are importable; cached."""
    global _aer_modules, _aer_checked
    if not _aer_checked:
        _aer_checked = True
        try:
            qasm2 = importlib.import_module("qiskit.qasm2")
            qasm3 = importlib.import_module("qiskit.qasm3")
            aer = importlib.import_module("qiskit_aer")
            _aer_modules = (qasm2, qasm3, aer.AerSimulator)
        except Exception:
            _aer_modules = None
    return _aer_modules


def _try_aer(text: str, circuit: Circuit, shots: int, seed: int) -> Sample | None:
    modules = _load_aer()
    if modules is None:
        return None
    qasm2, qasm3, simulator = modules
    try:
        loader = qasm3 if text.lstrip().startswith("OPENQASM 3") else qasm2
        qc = loader.loads(text)
        result = simulator(seed_simulator=seed % (2**31)).run(qc, shots=shots).result()
        raw: dict[str, int] = dict(result.get_counts())
    except Exception:
        return None
    drawn: Counter[tuple[str, ...]] = Counter()
    for key, n in raw.items():
        parts = key.split(" ") if " " in key else [key]
        drawn[tuple(reversed(parts))] += int(n)
    return _finish(circuit, drawn, shots, "aer", False)


def sample_circuit(text: str, shots: int, seed: int) -> Sample:
    """Counts for ``shots`` runs of the OpenQASM ``text``; CircuitError if unreadable."""
    circuit = parse_qasm(text)
    rng = random.Random(seed)
    aer = _try_aer(text, circuit, shots, seed)
    if aer is not None:
        return aer
    if circuit.unsupported is None and circuit.qubits <= MAX_STATEVECTOR_QUBITS:
        state = State(circuit.qubits)
        state.run(circuit.ops)
        outcomes: dict[tuple[str, ...], float] = {}
        for i, p in enumerate(state.probabilities()):
            if p < 1e-12:
                continue
            bits = _bits_of(circuit, i)
            key = tuple(bits[name] for name, _ in circuit.cregs)
            outcomes[key] = outcomes.get(key, 0.0) + p
        if not circuit.cregs:
            return _finish(circuit, Counter(), shots, "statevector", False)
        return _finish(circuit, _draw(outcomes, shots, rng), shots, "statevector", False)
    return synthetic_sample(circuit, shots, rng)


def expectation_values(
    text: str, observables: Sequence[Any], seed: int
) -> tuple[list[float], list[float], bool]:
    """(values, standard deviations, synthetic) of Pauli observables on the circuit's state.

    Each observable is a Pauli string (``"ZZ"``) or a mapping of Pauli strings to coefficients.
    """
    circuit = parse_qasm(text)
    rng = random.Random(seed)
    exact = circuit.unsupported is None and circuit.qubits <= MAX_STATEVECTOR_QUBITS
    state: State | None = None
    if exact:
        state = State(circuit.qubits)
        state.run(circuit.ops)
    values: list[float] = []
    for obs in observables:
        terms: list[tuple[str, float]]
        if isinstance(obs, str):
            terms = [(obs, 1.0)]
        elif isinstance(obs, dict):
            terms = []
            for k, v in obs.items():
                coeff = v[0] if isinstance(v, (list, tuple)) and v else v
                if not isinstance(coeff, (int, float)):
                    raise CircuitError("observable coefficients must be numbers")
                terms.append((str(k), float(coeff)))
        else:
            raise CircuitError("observables must be Pauli strings or {pauli: coefficient}")
        if state is not None:
            values.append(sum(c * state.expectation(p) for p, c in terms))
        else:
            values.append(sum(c * (2 * rng.random() - 1) for _, c in terms))
    stds = [0.0 if state is not None else round(0.01 + 0.02 * rng.random(), 6) for _ in values]
    return values, stds, state is None


def find_qasm(value: Any) -> list[str]:
    """Every OpenQASM text found in a JSON value (a string, or nested in lists and objects)."""
    found: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, str):
            if "OPENQASM" in v[:200] or re.search(r"\bqreg\b", v[:2000]):
                found.append(v)
        elif isinstance(v, dict):
            for item in v.values():
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return found
