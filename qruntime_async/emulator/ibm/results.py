"""IBM job result documents, computed from the submitted circuits (primitives v2).

Jobs whose params carry ``"support_qiskit": true`` (what the official client sends) get the
Qiskit-encoded document (:mod:`.encoded`); the others get the plain JSON of the REST guides:
sampler registers as ``{"samples": ["0x3", ...], "num_bits": N}``, estimator ``evs``/``stds``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._circuits import CircuitError, expectation_values, sample_circuit
from .encoded import EstimatorOutcome, Outcome, SamplerOutcome, primitive_result
from .qiskit_pubs import is_encoded_circuit, run_pub
from .state import IbmJob

DEFAULT_SAMPLER_SHOTS = 4096
DEFAULT_ESTIMATOR_SHOTS = 4096


def default_shots(params: dict[str, Any], fallback: int) -> Any:
    """``params.shots``, else ``params.options.default_shots``, else ``fallback`` (unchecked)."""
    shots = params.get("shots")
    options = params.get("options")
    if shots is None and isinstance(options, dict):
        shots = options.get("default_shots")
    return fallback if shots is None else shots


def pub_parts(program: str, pub: Any) -> tuple[Any, Any]:
    """(circuit, shots) of a pub: a circuit, or ``[circuit, params?, shots?]`` for the sampler,
    or ``[circuit, observables, params?, precision?]`` for the estimator."""
    if isinstance(pub, str):
        return pub, None
    if isinstance(pub, dict) and "__type__" not in pub:
        return pub.get("circuit"), pub.get("shots")
    if isinstance(pub, (list, tuple)) and pub:
        if program == "estimator":
            return pub[0], None
        shots = pub[2] if len(pub) > 2 else None
        return pub[0], shots
    if isinstance(pub, dict):
        return pub, None
    return None, None


def pub_items(params: dict[str, Any], shots: Any) -> list[Any]:
    """The pubs of the params (``circuits`` of older programs read as sampler pubs)."""
    if isinstance(params.get("pubs"), list):
        return list(params["pubs"])
    if "circuits" in params:
        c = params["circuits"]
        return [[x, None, shots] for x in (c if isinstance(c, list) else [c])]
    return []


def compute_result(job: IbmJob, seed_for: Callable[[int], int]) -> dict[str, Any]:
    """The result document of a Completed job (``seed_for(i)``: the seed of pub ``i``)."""
    params = job.params
    shots = default_shots(params, DEFAULT_SAMPLER_SHOTS)
    items = pub_items(params, shots)
    options = params.get("options")
    opts = options if isinstance(options, dict) else {}
    outcomes = [
        _outcome(job.program_id, pub, shots, seed_for(i), opts) for i, pub in enumerate(items)
    ]
    metadata: dict[str, Any] = {
        "version": 2,
        "backend": job.backend,
        "job_id": job.id,
        "synthetic": any(o.metadata.get("synthetic") for o in outcomes),
    }
    if params.get("support_qiskit") is True:
        return primitive_result(outcomes, metadata)
    return {"results": [plain_pub(o) for o in outcomes], "metadata": metadata}


def plain_pub(outcome: Outcome) -> dict[str, Any]:
    """A pub result as plain JSON."""
    if isinstance(outcome, EstimatorOutcome):
        return {
            "data": {
                "evs": _nest(outcome.evs, outcome.shape),
                "stds": _nest(outcome.stds, outcome.shape),
                "ensemble_standard_error": _nest(outcome.stds, outcome.shape),
            },
            "metadata": outcome.metadata,
        }
    shape = (*outcome.shape, -1) if outcome.shape else ()
    data = {
        name: {"samples": _nest_rows([hex(v) for v in values], shape), "num_bits": width}
        for name, width, values in outcome.registers
    }
    return {"data": data, "metadata": outcome.metadata}


def _nest(flat: list[float], shape: tuple[int, ...]) -> Any:
    if not shape:
        return flat[0] if flat else 0.0
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [_nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _nest_rows(flat: list[str], shape: tuple[int, ...]) -> Any:
    if len(shape) <= 1:
        return flat
    step = len(flat) // shape[0] if shape[0] else 0
    return [_nest_rows(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _outcome(program: str, pub: Any, default: Any, seed: int, options: dict[str, Any]) -> Outcome:
    circuit, shots = pub_parts(program, pub)
    if is_encoded_circuit(circuit):
        return run_pub(program, pub, options, int(default), seed)
    text = circuit if isinstance(circuit, str) else None
    shots = int(shots if shots is not None else default)
    if program == "estimator":
        return _estimator(pub, text, shots, seed)
    meta: dict[str, Any] = {"shots": shots, "circuit_metadata": {}}
    if text is None:
        # a QPY circuit (``support_qiskit``) cannot be read without Qiskit: made-up bits
        return SamplerOutcome([], {**meta, "simulator": "synthetic", "synthetic": True})
    sample = sample_circuit(text, shots, seed)
    memory = sample.memory(seed)
    registers = [
        (name, size, [int(shot[k], 2) if size else 0 for shot in memory])
        for k, (name, size) in enumerate(sample.registers)
    ]
    meta.update(simulator=sample.method, synthetic=sample.synthetic)
    return SamplerOutcome(registers, meta)


def _flatten(observables: Any) -> tuple[list[Any], tuple[int, ...]]:
    """The observables in C order and their array shape (``()`` for a single one)."""
    if not isinstance(observables, list):
        return [observables], ()
    if observables and all(isinstance(o, list) for o in observables):
        parts = [_flatten(o) for o in observables]
        inner = parts[0][1]
        if any(p[1] != inner for p in parts):
            raise CircuitError("observables must form a rectangular array")
        return [x for p in parts for x in p[0]], (len(observables), *inner)
    return list(observables), (len(observables),)


def _estimator(pub: Any, text: str | None, shots: int, seed: int) -> EstimatorOutcome:
    observables = pub[1] if isinstance(pub, (list, tuple)) and len(pub) > 1 else []
    flat, shape = _flatten(observables)
    if text is None:
        values, stds, synthetic = [0.0] * len(flat), [0.0] * len(flat), True
    else:
        values, stds, synthetic = expectation_values(text, flat, seed)
    meta = {"shots": shots, "target_precision": 0.0, "circuit_metadata": {}}
    return EstimatorOutcome(values, stds, shape, {**meta, "synthetic": synthetic})
