"""What a Scaleway job is made of: its circuit, execution parameters, durations and name."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import msgspec

from .. import _validate as v
from .models import CreateJobRequest, JobCircuit, encode_parameters

__all__ = ["make_circuit", "parameters_text", "duration", "create_body"]

_PERCEVAL_PREFIX = ":PCVL:"


def _default_job_name() -> str:
    return f"qjob-{secrets.token_hex(4)}"


def make_circuit(
    circuit: str | JobCircuit | None = None, *, perceval_circuit: str | None = None
) -> JobCircuit:
    """The ``circuit`` object of a job: exactly one serialisation.

    A string is OpenQASM text (``qiskit_circuit``), unless it is a Perceval payload (it starts
    with ``:PCVL:``); ``perceval_circuit=`` names a Perceval payload explicitly; a
    :class:`JobCircuit` is taken as it is.
    """
    if (circuit is None) == (perceval_circuit is None):
        raise ValueError(
            "give exactly one of circuit (OpenQASM text or JobCircuit) or perceval_circuit"
        )
    if perceval_circuit is not None:
        if not isinstance(perceval_circuit, str) or not perceval_circuit.strip():
            raise ValueError("perceval_circuit must be a non-empty string")
        return JobCircuit(perceval_circuit=perceval_circuit)
    if isinstance(circuit, JobCircuit):
        chosen = [c for c in (circuit.qiskit_circuit, circuit.perceval_circuit) if c]
        if len(chosen) != 1:
            raise ValueError(
                "a JobCircuit must set exactly one of qiskit_circuit or perceval_circuit"
            )
        return circuit
    if not isinstance(circuit, str):
        raise TypeError(
            f"circuit must be OpenQASM text (str) or a JobCircuit, got {type(circuit).__name__}"
        )
    if not circuit.strip():
        raise ValueError("circuit must not be empty")
    if circuit.startswith(_PERCEVAL_PREFIX):
        return JobCircuit(perceval_circuit=circuit)
    return JobCircuit(qiskit_circuit=circuit)


def parameters_text(name: str, parameters: Mapping[str, Any] | str | None) -> str | None:
    """Execution parameters as the JSON string the API carries (a mapping is serialised)."""
    if parameters is None:
        return None
    if isinstance(parameters, str):
        try:
            msgspec.json.decode(parameters)
        except msgspec.DecodeError:
            raise ValueError(f"{name} given as a string must be JSON text") from None
        return parameters
    if not isinstance(parameters, Mapping):
        raise TypeError(f"{name} must be a mapping (or JSON text), got {type(parameters).__name__}")
    try:
        return encode_parameters(parameters)
    except (TypeError, msgspec.EncodeError) as exc:
        raise TypeError(f"{name} cannot be serialised as JSON: {exc}") from None


def duration(name: str, value: float | timedelta | None) -> timedelta | None:
    """None, or a positive number of seconds / timedelta as a timedelta."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        v.seconds(name, value)
        return value
    return timedelta(seconds=v.seconds(name, value))


def create_body(
    session_id: str,
    circuit: str | JobCircuit | None,
    *,
    perceval_circuit: str | None,
    name: str | None,
    tags: Sequence[str] | None,
    max_duration: float | timedelta | None,
    model_id: str | None,
    parameters: Mapping[str, Any] | str | None,
) -> CreateJobRequest:
    """The body of ``POST /jobs`` (see ``Jobs.create``)."""
    sid = v.resource_id("session_id", session_id)
    return CreateJobRequest(
        name=v.optional_str("name", name) or _default_job_name(),
        session_id=sid,
        circuit=(
            # The spec requires ``circuit``; with a model it is empty, as the official provider
            # sends it.
            JobCircuit()
            if model_id is not None and circuit is None and perceval_circuit is None
            else make_circuit(circuit, perceval_circuit=perceval_circuit)
        ),
        tags=v.string_list("tags", tags) if tags is not None else None,
        max_duration=duration("max_duration", max_duration),
        model_id=v.resource_id("model_id", model_id) if model_id is not None else None,
        parameters=parameters_text("parameters", parameters),
    )
