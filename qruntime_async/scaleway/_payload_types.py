"""Wire structs of Scaleway computation models and job parameters, with their enum-like fields.

Enum-like fields are plain ints on the wire. Decoded structs turn known values into the IntEnums
below and keep unknown values as ints, so that a format the service adds later still decodes.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, ClassVar, TypeVar

import msgspec
from msgspec.structs import force_setattr

from .._codec import Model
from ._compression import MAX_DECOMPRESSED_BYTES, CompressionFormat, _uncompressed

__all__ = [
    "ProgramSerializationFormat",
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
]

E = TypeVar("E", bound=IntEnum)


class ProgramSerializationFormat(IntEnum):
    """``serialization_format`` of a program in a computation model."""

    UNKNOWN_SERIALIZATION_FORMAT = 0
    QASM_V1 = 1
    QASM_V2 = 2
    QASM_V3 = 3
    QIR_V1 = 4
    CIRQ_CIRCUIT_JSON_V1 = 5
    PERCEVAL_CIRCUIT_JSON_V1 = 6
    PULSER_SEQUENCE_JSON_V1 = 7


class NoiseModelSerializationFormat(IntEnum):
    """``serialization_format`` of a noise model."""

    UNKNOWN_SERIALIZATION_FORMAT = 0
    QISKIT_AER_JSON_V1 = 1


class LegacyCircuitSerializationFormat(IntEnum):
    """``serialization_format`` of a circuit in the older payload (4 meant JSON, not QIR)."""

    UNKNOWN_CIRCUIT_SERIALIZATION = 0
    QASM_V1 = 1
    QASM_V2 = 2
    QASM_V3 = 3
    JSON = 4


def _known(enum: type[E], value: int) -> int:
    try:
        return enum(value)
    except ValueError:
        return value


class Serialized(Model, frozen=True):
    """A document serialised in some format, possibly compressed (programs, noise models and
    results share this shape). Known format numbers become members of their enums; unknown
    ones stay plain ints."""

    #: The enum of ``serialization_format`` (each subclass names its own).
    formats: ClassVar[type[IntEnum]] = IntEnum

    #: A :class:`CompressionFormat` (an int when unknown).
    compression_format: int
    #: A member of the class's ``formats`` (an int when unknown).
    serialization_format: int
    serialization: str

    def __post_init__(self) -> None:
        force_setattr(
            self, "compression_format", _known(CompressionFormat, self.compression_format)
        )
        force_setattr(self, "serialization_format", _known(self.formats, self.serialization_format))


S = TypeVar("S", bound=Serialized)


def _decompressed(value: S, max_size: int, path: str, expected: str) -> S:
    """A copy of ``value`` with its serialisation decompressed (``compression_format`` NONE)."""
    return type(value)(
        compression_format=CompressionFormat.NONE,
        serialization_format=value.serialization_format,
        serialization=_uncompressed(
            value.serialization, value.compression_format, max_size, path, expected
        ),
    )


class QuantumProgram(Serialized, frozen=True):
    """One program (circuit) of a computation model (``ProgramSerializationFormat``)."""

    formats: ClassVar[type[IntEnum]] = ProgramSerializationFormat

    def text(self, *, max_size: int = MAX_DECOMPRESSED_BYTES) -> str:
        """The serialisation, decompressed when needed (ResponseDecodeError if it cannot be)."""
        return _uncompressed(
            self.serialization, self.compression_format, max_size, "$", "QuantumProgram"
        )


class BackendData(Model, frozen=True):
    """The platform a model is meant for: its name, version and backend options."""

    name: str
    version: str | None = None
    options: dict[str, Any] | None = None


class ClientData(Model, frozen=True):
    """Who built the model."""

    user_agent: str | None = None


class QuantumNoiseModel(Serialized, frozen=True):
    """A noise model for emulators (format: :class:`NoiseModelSerializationFormat`)."""

    formats: ClassVar[type[IntEnum]] = NoiseModelSerializationFormat


class ComputationParameters(Model, frozen=True):
    """Execution parameters of a job (its ``parameters`` text)."""

    shots: Annotated[int, msgspec.Meta(ge=1)]
    options: dict[str, Any] | None = None

    @property
    def memory(self) -> bool:
        """True when per-shot results were asked for."""
        return self.options is not None and self.options.get("memory") is True


class ComputationModel(Model, frozen=True):
    """A computation model: the programs of a job, with the platform and client they target."""

    programs: Annotated[list[QuantumProgram], msgspec.Meta(min_length=1)]
    noise_model: QuantumNoiseModel | None = None
    client: ClientData | None = None
    backend: BackendData | None = None
    #: Execution parameters carried inside the model: only the older shape did that
    #: (``run.options``); with the current shape they travel with the job.
    parameters: ComputationParameters | None = None


class _WireModel(Model, frozen=True):
    # The current shape exactly: a stray ``parameters`` key in it is not read.
    programs: Annotated[list[QuantumProgram], msgspec.Meta(min_length=1)]
    noise_model: QuantumNoiseModel | None = None
    client: ClientData | None = None
    backend: BackendData | None = None


class LegacyCircuit(Model, frozen=True):
    """A circuit of the older payload."""

    #: A :class:`LegacyCircuitSerializationFormat` (an int when unknown).
    serialization_format: int
    circuit_serialization: str

    def __post_init__(self) -> None:
        force_setattr(
            self,
            "serialization_format",
            _known(LegacyCircuitSerializationFormat, self.serialization_format),
        )


class LegacyNoiseModel(Model, frozen=True):
    """A noise model of the older payload (format 1 is Qiskit Aer JSON)."""

    serialization_format: int
    noise_model_serialization: str


class LegacyRun(Model, frozen=True):
    """The ``run`` part of the older payload: circuits and execution options."""

    circuits: Annotated[list[LegacyCircuit], msgspec.Meta(min_length=1)]
    options: dict[str, Any] | None = None


class LegacyJobPayload(Model, frozen=True):
    """The older payload: ``{"client", "backend", "run", "noise_model"}``."""

    run: LegacyRun
    client: ClientData | None = None
    backend: BackendData | None = None
    noise_model: LegacyNoiseModel | None = None


class _Probe(msgspec.Struct):
    # Tells the two model shapes apart without decoding their contents twice.
    programs: msgspec.Raw = msgspec.Raw()
    run: msgspec.Raw = msgspec.Raw()
