"""Scaleway job results.

Qiskit programs answer with the text of a program-result envelope ``{"compression_format",
"serialization_format": 2, "serialization"}`` (qio's ``QuantumProgramResult``) whose serialization
is a document shaped like Qiskit's ``Result.to_dict()``: one experiment per program, counts (and
per-shot ``memory`` when asked) keyed by hex values, the registers in ``header.creg_sizes``.
Perceval circuits answer with made-up photon counts.
"""

from __future__ import annotations

import base64
import json
import random
import zlib
from typing import Any

import msgspec

from .._circuits import Circuit, CircuitError, Sample, find_qasm, sample_circuit, synthetic_sample
from .programs import COMPRESSION_NONE, COMPRESSION_ZLIB_BASE64
from .state import ScwJob

DEFAULT_SHOTS = 1024
#: ``serialization_format`` of a Qiskit ``Result`` document in a program-result envelope.
QISKIT_RESULT_JSON = 2


def qasm_texts(payload: str) -> list[str]:
    """OpenQASM texts inside a ``qiskit_circuit`` payload (plain text or JSON wrapping)."""
    if not payload.lstrip().startswith(("{", "[")):
        return find_qasm(payload)
    try:
        return find_qasm(msgspec.json.decode(payload))
    except msgspec.DecodeError:
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


def compute_result(job: ScwJob, seed: int, compress_over: int) -> str:
    """The ``result`` text of a completed job (envelopes over ``compress_over`` bytes are
    compressed)."""
    if job.photonic:
        return json.dumps(_photonic_result(job.shots, seed), separators=(",", ":"))
    samples = []
    for i, text in enumerate(job.programs):
        try:
            samples.append(sample_circuit(text, job.shots, seed + i))
        except CircuitError:
            samples.append(synthetic_sample(_opaque_circuit(), job.shots, random.Random(seed + i)))
    if not samples:
        samples.append(synthetic_sample(_opaque_circuit(), job.shots, random.Random(seed)))
    document = result_document(samples, job, seed)
    return envelope(json.dumps(document, separators=(",", ":")), compress_over)


def envelope(serialization: str, compress_over: int) -> str:
    """The text of a program-result envelope around a Qiskit ``Result`` document."""
    compression = COMPRESSION_NONE
    if len(serialization) > compress_over:
        compression = COMPRESSION_ZLIB_BASE64
        serialization = base64.b64encode(zlib.compress(serialization.encode())).decode("ascii")
    return json.dumps(
        {
            "compression_format": compression,
            "serialization": serialization,
            "serialization_format": QISKIT_RESULT_JSON,
        }
    )


def _joint_value(outcome: tuple[str, ...]) -> int:
    """The integer of an outcome, the first register's bits lowest (Qiskit's memory slots)."""
    return int("".join(reversed(outcome)) or "0", 2)


def experiment(sample: Sample, index: int, memory: bool, seed: int) -> dict[str, Any]:
    """One experiment of a ``Result`` document."""
    counts: dict[str, int] = {}
    for outcome, n in sample.outcomes.items():
        key = hex(_joint_value(outcome))
        counts[key] = counts.get(key, 0) + n
    data: dict[str, Any] = {"counts": counts}
    if memory:
        data["memory"] = [hex(_joint_value(o)) for o in sample.memory(seed)]
    slots = sum(size for _, size in sample.registers)
    return {
        "shots": sample.shots,
        "success": True,
        "data": data,
        "meas_level": 2,
        "header": {
            "name": f"circuit-{index}",
            "creg_sizes": [[name, size] for name, size in sample.registers],
            "memory_slots": slots,
            # never below memory_slots: qio's to_qiskit_result shifts right by n_qubits bits any
            # count key at or above 2**n_qubits, which would corrupt wider readouts
            "n_qubits": max(sample.num_qubits, slots),
        },
        "status": "DONE",
        "metadata": {"method": sample.method, "synthetic": sample.synthetic},
    }


def result_document(samples: list[Sample], job: ScwJob, seed: int) -> dict[str, Any]:
    """A document shaped like Qiskit's ``Result.to_dict()``."""
    platform = job.session.platform
    return {
        "backend_name": platform.backend_name,
        "backend_version": platform.version,
        "date": None,
        "header": {},
        "qobj_id": job.id,
        "job_id": job.id,
        "status": "COMPLETED",
        "success": True,
        "results": [experiment(s, i, job.memory, seed + i) for i, s in enumerate(samples)],
        "metadata": {"synthetic": any(s.synthetic for s in samples)},
    }


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
