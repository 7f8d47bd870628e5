"""Scaleway job results: a Qiskit ``Result`` document for Qiskit circuits, made-up photon
counts for Perceval circuits."""

from __future__ import annotations

import random
from typing import Any

import msgspec

from .._circuits import (
    Circuit,
    CircuitError,
    find_qasm,
    qiskit_result_dict,
    sample_circuit,
    synthetic_sample,
)
from .state import ScwJob

DEFAULT_SHOTS = 1024


def qasm_texts(payload: str) -> list[str]:
    """OpenQASM texts inside a ``qiskit_circuit`` payload (plain text or JSON wrapping)."""
    if not payload:
        return []
    stripped = payload.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return find_qasm(msgspec.json.decode(payload))
        except msgspec.DecodeError:
            return []
    if "OPENQASM" in payload[:200] or "qreg" in payload:
        return [payload]
    return []


def find_shots(text: str | None) -> int | None:
    """A ``shots`` value anywhere inside a JSON string."""
    if not text or not text.lstrip().startswith(("{", "[")):
        return None
    try:
        data = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            value = item.get("shots")
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _opaque_circuit() -> Circuit:
    return Circuit(qubits=2, qregs={"q": (0, 2)}, cregs=[("c", 2)])


def compute_result(job: ScwJob, seed: int) -> dict[str, Any]:
    """The result document of a completed job."""
    qiskit = job.circuit.get("qiskit_circuit")
    if qiskit:
        return _qiskit_result(job, qiskit, seed)
    return _photonic_result(job.shots, seed)


def _qiskit_result(job: ScwJob, payload: str, seed: int) -> dict[str, Any]:
    samples = []
    for i, text in enumerate(qasm_texts(payload)):
        try:
            samples.append(sample_circuit(text, job.shots, seed + i))
        except CircuitError:
            samples.append(synthetic_sample(_opaque_circuit(), job.shots, random.Random(seed + i)))
    if not samples:
        samples.append(synthetic_sample(_opaque_circuit(), job.shots, random.Random(seed)))
    return qiskit_result_dict(
        samples,
        backend_name=job.session.platform.backend_name,
        job_id=job.id,
        synthetic=any(s.synthetic for s in samples),
    )


def _photonic_result(shots: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    modes, photons = 4, 2
    states: dict[str, float] = {}
    for _ in range(6):
        occupation = [0] * modes
        for _p in range(photons):
            occupation[rng.randrange(modes)] += 1
        states["|" + ",".join(map(str, occupation)) + ">"] = 0.2 + rng.random()
    keys = list(states)
    drawn = rng.choices(keys, [states[k] for k in keys], k=shots)
    counts: dict[str, int] = {}
    for k in drawn:
        counts[k] = counts.get(k, 0) + 1
    return {
        "results": dict(sorted(counts.items())),
        "physical_perf": 1.0,
        "logical_perf": 1.0,
        "metadata": {"synthetic": True, "shots": shots},
    }
