"""Circuit payloads of Scaleway QaaS jobs, in the shapes the service and its official clients use.

A job no longer carries its circuits itself: they travel as a *computation model*. The client
first sends ``POST /models`` whose ``payload`` is the JSON text of::

    {"backend": {"name": ..., "options": {...}, "version": ...},
     "client": {"user_agent": ...},
     "noise_model": null,
     "programs": [{"compression_format": 2, "serialization": "...", "serialization_format": 3}]}

then ``POST /jobs`` with that ``model_id`` and ``parameters`` set to the JSON text
``{"shots": N, "options": {"memory": false}}``. :func:`model_payload` and :func:`job_parameters`
build those two texts; :func:`read_model_payload` and :func:`read_job_parameters` read them back
(the model reader also accepts the older shape, ``{"client", "backend", "run": {"circuits":
[{"serialization_format", "circuit_serialization"}], "options": {"shots", "memory"}},
"noise_model"}``).

Enum-like fields are plain ints on the wire. Decoded structs turn known values into the IntEnums
below and keep unknown values as ints, so that a format the service adds later still decodes.
"""

from __future__ import annotations

from ._compression import (
    MAX_DECOMPRESSED_BYTES,
    CompressionFormat,
    compress_text,
    decompress_text,
)
from ._payload_build import (
    encode_model,
    job_parameters,
    make_program,
    model_payload,
    program_from_qasm,
    qasm_format,
)
from ._payload_read import read_job_parameters, read_model_payload
from ._payload_types import (
    BackendData,
    ClientData,
    ComputationModel,
    ComputationParameters,
    LegacyCircuit,
    LegacyCircuitSerializationFormat,
    LegacyJobPayload,
    LegacyNoiseModel,
    LegacyRun,
    NoiseModelSerializationFormat,
    ProgramSerializationFormat,
    QuantumNoiseModel,
    QuantumProgram,
)

__all__ = [
    "MAX_DECOMPRESSED_BYTES",
    "ProgramSerializationFormat",
    "CompressionFormat",
    "NoiseModelSerializationFormat",
    "LegacyCircuitSerializationFormat",
    "QuantumProgram",
    "BackendData",
    "ClientData",
    "QuantumNoiseModel",
    "ComputationParameters",
    "ComputationModel",
    "LegacyCircuit",
    "LegacyNoiseModel",
    "LegacyRun",
    "LegacyJobPayload",
    "qasm_format",
    "make_program",
    "program_from_qasm",
    "model_payload",
    "encode_model",
    "job_parameters",
    "read_model_payload",
    "read_job_parameters",
    "compress_text",
    "decompress_text",
]
