"""Reading a computation model ``payload`` (current or older shape) and a job's ``parameters``."""

from __future__ import annotations

from typing import Any

from .._codec import decode
from ..errors import ResponseDecodeError
from ._compression import MAX_DECOMPRESSED_BYTES, CompressionFormat, _max_size
from ._json_text import _excerpt, _input_text, _reported_as, _unwrap_json
from ._payload_types import (
    ComputationModel,
    ComputationParameters,
    LegacyJobPayload,
    ProgramSerializationFormat,
    QuantumNoiseModel,
    QuantumProgram,
    _decompressed,
    _Probe,
    _WireModel,
)

__all__ = ["read_model_payload", "read_job_parameters"]


def _shots_option(options: dict[str, Any]) -> ComputationParameters | None:
    if "shots" not in options:
        return None
    shots = options["shots"]
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise ResponseDecodeError(
            f"shots must be an int >= 1, got {shots!r}",
            expected="ComputationModel",
            path="$.run.options.shots",
        )
    rest = {k: v for k, v in options.items() if k != "shots"}
    return ComputationParameters(shots=shots, options=rest)


def _legacy_to_model(legacy: LegacyJobPayload) -> ComputationModel:
    programs = []
    for circuit in legacy.run.circuits:
        fmt = circuit.serialization_format
        # Formats 1-3 mean the same in both shapes; the older 4 (JSON) has no counterpart.
        new_fmt = (
            ProgramSerializationFormat(fmt)
            if 1 <= fmt <= 3
            else ProgramSerializationFormat.UNKNOWN_SERIALIZATION_FORMAT
        )
        programs.append(
            QuantumProgram(
                compression_format=CompressionFormat.NONE,
                serialization_format=new_fmt,
                serialization=circuit.circuit_serialization,
            )
        )
    noise = None
    if legacy.noise_model is not None:
        noise = QuantumNoiseModel(
            compression_format=CompressionFormat.NONE,
            serialization_format=legacy.noise_model.serialization_format,
            serialization=legacy.noise_model.noise_model_serialization,
        )
    return ComputationModel(
        programs=programs,
        noise_model=noise,
        client=legacy.client,
        backend=legacy.backend,
        parameters=_shots_option(legacy.run.options or {}),
    )


def read_model_payload(
    payload: str | bytes, *, max_size: int = MAX_DECOMPRESSED_BYTES
) -> ComputationModel:
    """Read a model ``payload`` text, in the current or the older shape.

    The programs (and the noise model) come back decompressed: ``compression_format`` is
    ``NONE`` and ``serialization`` is the text itself. From the older shape, ``run.options``
    become :attr:`ComputationModel.parameters` when they hold ``shots``. Anything else than a
    model raises :class:`~qruntime_async.errors.ResponseDecodeError` naming the path.
    """
    data = _input_text("payload", payload)
    limit = _max_size(max_size)
    expected = "ComputationModel"
    with _reported_as(expected):
        data = _unwrap_json(data, expected)
        probe = decode(data, _Probe)
    if len(probe.programs):
        with _reported_as(expected):
            wire = decode(data, _WireModel)
        programs = [
            _decompressed(p, limit, f"$.programs[{i}]", expected)
            for i, p in enumerate(wire.programs)
        ]
        noise = wire.noise_model
        if noise is not None:
            noise = _decompressed(noise, limit, "$.noise_model", expected)
        return ComputationModel(
            programs=programs, noise_model=noise, client=wire.client, backend=wire.backend
        )
    if len(probe.run):
        with _reported_as(expected):
            legacy = decode(data, LegacyJobPayload)
        return _legacy_to_model(legacy)
    raise ResponseDecodeError(
        "neither a computation model (programs) nor an older job payload (run)",
        expected=expected,
        path="$",
        body=_excerpt(data),
    )


def read_job_parameters(parameters: str | bytes) -> ComputationParameters:
    """Read a job's ``parameters`` text (``{"shots": N, "options": {...}}``)."""
    data = _input_text("parameters", parameters)
    expected = "ComputationParameters"
    with _reported_as(expected):
        return decode(_unwrap_json(data, expected), ComputationParameters)
