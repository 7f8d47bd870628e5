"""Typed Scaleway job results: the program-result envelope and the Qiskit ``Result`` document."""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, ClassVar, Protocol, runtime_checkable

import msgspec

from .._codec import Model
from ._payload_types import Serialized

__all__ = [
    "ResultSerializationFormat",
    "ProgramResult",
    "ExperimentHeader",
    "ExperimentData",
    "ExperimentResult",
    "QiskitResult",
    "JobResultLike",
]

# Bounds on what a document may make us build.
_MAX_MEMORY_SLOTS = 1 << 20
_MAX_REGISTERS = 1 << 16


class ResultSerializationFormat(IntEnum):
    """``serialization_format`` of a program-result envelope."""

    UNKNOWN_SERIALIZATION_FORMAT = 0
    CIRQ_RESULT_JSON_V1 = 1
    QISKIT_RESULT_JSON_V1 = 2
    CUDAQ_SAMPLE_RESULT_JSON_V1 = 3
    MIMIQ_QCSR_JSON_V1 = 4


class ProgramResult(Serialized, frozen=True):
    """A program-result envelope, the text of ``JobResult.result`` (format:
    :class:`ResultSerializationFormat`)."""

    formats: ClassVar[type[IntEnum]] = ResultSerializationFormat


class ExperimentHeader(Model, frozen=True):
    """The parts of an experiment header that shape its bitstrings."""

    name: str | None = None
    n_qubits: int | None = None
    memory_slots: Annotated[int, msgspec.Meta(ge=0, le=_MAX_MEMORY_SLOTS)] | None = None
    #: ``[[register name, size], ...]`` in circuit order.
    creg_sizes: (
        Annotated[
            list[tuple[str, Annotated[int, msgspec.Meta(ge=0, le=_MAX_MEMORY_SLOTS)]]],
            msgspec.Meta(max_length=_MAX_REGISTERS),
        ]
        | None
    ) = None
    metadata: Any = None


class ExperimentData(Model, frozen=True):
    """Measured data of one experiment, as carried (hexadecimal keys and shots)."""

    counts: dict[str, Annotated[int, msgspec.Meta(ge=0)]] | None = None
    #: One readout per shot, when the job asked for memory (classified results only).
    memory: list[str] | None = None


class ExperimentResult(Model, frozen=True):
    """One experiment (circuit) of a result."""

    data: ExperimentData = msgspec.field(default_factory=ExperimentData)
    #: Number of shots, or ``[first, last]``.
    shots: int | list[int] | None = None
    success: bool | None = None
    meas_level: int = 2
    header: ExperimentHeader | None = None
    status: str | None = None


class QiskitResult(Model, frozen=True):
    """A Qiskit ``Result`` document (``Result.to_dict()``), typed."""

    results: list[ExperimentResult]
    success: bool | None = None
    status: str | None = None
    backend_name: str | None = None
    backend_version: str | None = None
    job_id: str | None = None
    qobj_id: str | None = None
    header: Any = None
    metadata: Any = None


class _Probe(msgspec.Struct):
    # Tells an envelope from a bare document without decoding the document twice.
    serialization: msgspec.Raw = msgspec.Raw()
    results: msgspec.Raw = msgspec.Raw()


@runtime_checkable
class JobResultLike(Protocol):
    """Anything with a job result's ``result`` and ``url``, such as ``models.JobResult``."""

    @property
    def result(self) -> str | None: ...

    @property
    def url(self) -> str | None: ...
