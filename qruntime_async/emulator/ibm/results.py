"""IBM job result documents, computed from the submitted circuits (primitives v2 shape)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._circuits import expectation_values, sample_circuit
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
    if isinstance(pub, dict):
        return pub.get("circuit"), pub.get("shots")
    if isinstance(pub, list) and pub:
        if program == "estimator":
            return pub[0], None
        shots = pub[2] if len(pub) > 2 else None
        return pub[0], shots
    return None, None


def compute_result(job: IbmJob, seed_for: Callable[[int], int]) -> dict[str, Any]:
    """The result document of a Completed job (``seed_for(i)``: the seed of pub ``i``)."""
    params = job.params
    shots = default_shots(params, DEFAULT_SAMPLER_SHOTS)
    items: list[Any]
    if "pubs" in params and isinstance(params["pubs"], list):
        items = list(params["pubs"])
    elif "circuits" in params:
        c = params["circuits"]
        items = [[x, None, shots] for x in (c if isinstance(c, list) else [c])]
    else:
        items = []
    results = [_pub_result(job.program_id, pub, shots, seed_for(i)) for i, pub in enumerate(items)]
    return {
        "results": results,
        "metadata": {
            "version": 2,
            "backend": job.backend,
            "job_id": job.id,
            "synthetic": any(r["metadata"]["synthetic"] for r in results),
            "execution": {"shots": job.shots, "circuits": job.circuits},
        },
    }


def _pub_result(program: str, pub: Any, default: Any, seed: int) -> dict[str, Any]:
    circuit, shots = pub_parts(program, pub)
    text = circuit if isinstance(circuit, str) else None
    shots = int(shots if shots is not None else default)
    if program == "estimator":
        return _estimator_result(pub, text, shots, seed)
    if text is None:
        return {"data": {}, "metadata": {"shots": shots, "synthetic": True}}
    sample = sample_circuit(text, shots, seed)
    data = {
        name: {"counts": sample.counts[name], "num_bits": size} for name, size in sample.registers
    }
    return {
        "data": data,
        "metadata": {
            "shots": shots,
            "circuit_metadata": {},
            "simulator": sample.method,
            "synthetic": sample.synthetic,
        },
    }


def _estimator_result(pub: Any, text: str | None, shots: int, seed: int) -> dict[str, Any]:
    observables = pub[1] if isinstance(pub, list) and len(pub) > 1 else []
    obs_list = observables if isinstance(observables, list) else [observables]
    if text is None:
        values = [0.0 for _ in obs_list]
        stds = [0.0 for _ in obs_list]
        synthetic = True
    else:
        values, stds, synthetic = expectation_values(text, obs_list, seed)
    scalar = not isinstance(observables, list)
    return {
        "data": {
            "evs": values[0] if scalar and values else values,
            "stds": stds[0] if scalar and stds else stds,
        },
        "metadata": {"shots": shots, "synthetic": synthetic},
    }
