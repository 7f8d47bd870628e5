"""Results of Scaleway QaaS jobs, read the way Qiskit presents them.

A job result's ``result`` is the JSON text of a program-result envelope::

    {"compression_format": 2, "serialization": "<base64 of zlib>", "serialization_format": 2}

whose serialisation (format 2) is a Qiskit ``Result`` document; results from older platforms carry
that document bare. Counts in it are keyed by hexadecimal (``"0x3"``); :func:`result_counts` and
:func:`result_memory` key them as ``qiskit.result.Result.get_counts()`` / ``get_memory()`` do:
binary, zero-padded to ``header.memory_slots``, with a space between classical registers (the
last register of ``header.creg_sizes`` leftmost).

Large results come with ``url`` instead of ``result`` (see :func:`must_fetch`): fetch that text,
then pass it here. Everything malformed raises :class:`~qruntime_async.errors.ResponseDecodeError`
naming the path (``$.serialization.results[0].data.counts`` for the inside of an envelope).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import IntEnum
from typing import Annotated, Any, Protocol, runtime_checkable

import msgspec
from msgspec.structs import force_setattr

from .._codec import Model, decode
from ..errors import ResponseDecodeError
from .payloads import (
    MAX_DECOMPRESSED_BYTES,
    CompressionFormat,
    _compression_arg,
    _excerpt,
    _input_text,
    _known,
    _max_size,
    _rebase,
    _uncompressed,
    _unwrap_json,
    compress_text,
)

__all__ = [
    "ResultSerializationFormat",
    "ProgramResult",
    "ExperimentHeader",
    "ExperimentData",
    "ExperimentResult",
    "QiskitResult",
    "JobResultLike",
    "must_fetch",
    "read_result_envelope",
    "read_result",
    "result_counts",
    "result_memory",
    "experiment_counts",
    "experiment_memory",
    "encode_result_envelope",
]

# Bounds on what a document may make us build: registers are cut per formatted bitstring, so
# the total size of the distinct formatted bitstrings bounds the work too.
_MAX_MEMORY_SLOTS = 1 << 20
_MAX_REGISTERS = 1 << 16
_MAX_FORMATTED_CHARS = 1 << 27

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_BITS = frozenset("01")
_BITS_AND_SPACES = frozenset("01 ")


class ResultSerializationFormat(IntEnum):
    """``serialization_format`` of a program-result envelope."""

    UNKNOWN_SERIALIZATION_FORMAT = 0
    CIRQ_RESULT_JSON_V1 = 1
    QISKIT_RESULT_JSON_V1 = 2
    CUDAQ_SAMPLE_RESULT_JSON_V1 = 3
    MIMIQ_QCSR_JSON_V1 = 4


class ProgramResult(Model, frozen=True):
    """A program-result envelope (the text of ``JobResult.result``)."""

    #: A :class:`~qruntime_async.scaleway.payloads.CompressionFormat` (an int when unknown).
    compression_format: int
    #: A :class:`ResultSerializationFormat` (an int when unknown).
    serialization_format: int
    serialization: str

    def __post_init__(self) -> None:
        force_setattr(
            self, "compression_format", _known(CompressionFormat, self.compression_format)
        )
        force_setattr(
            self,
            "serialization_format",
            _known(ResultSerializationFormat, self.serialization_format),
        )


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


def must_fetch(job_result: JobResultLike) -> bool:
    """True when the result is not inline and must be downloaded from ``job_result.url``."""
    return not job_result.result and bool(job_result.url)


# --------------------------------------------------------------------------------------------
# Envelope and document


def read_result_envelope(
    source: str | bytes | Mapping[str, Any] | JobResultLike,
    *,
    max_size: int = MAX_DECOMPRESSED_BYTES,
) -> ProgramResult:
    """The envelope with its serialisation decompressed (``compression_format`` ``NONE``).

    Any serialisation format is accepted (Cirq, CUDA-Q and MIMIQ results too): only the
    compression must be known. ``source`` is as for :func:`read_result`.
    """
    expected = "ProgramResult"
    data = _source_text(source, expected)
    limit = _max_size(max_size)
    try:
        envelope = decode(_unwrap_json(data, expected), ProgramResult)
    except ResponseDecodeError as exc:
        raise _rebase(exc, expected) from None
    text = _uncompressed(envelope.serialization, envelope.compression_format, limit, "$", expected)
    return ProgramResult(
        compression_format=CompressionFormat.NONE,
        serialization_format=envelope.serialization_format,
        serialization=text,
    )


def _source_text(source: object, expected: str) -> str | bytes:
    if isinstance(source, JobResultLike) and not isinstance(source, (str, bytes, Mapping)):
        if must_fetch(source):
            raise ValueError("this job result is stored at its url: fetch that text first")
        if not source.result:
            raise ResponseDecodeError(
                "the job result carries neither result nor url",
                expected="JobResult",
                path="$.result",
            )
        return source.result
    if isinstance(source, Mapping):
        try:
            return msgspec.json.encode(source)
        except (TypeError, ValueError, OverflowError, RecursionError, msgspec.EncodeError) as exc:
            raise ResponseDecodeError(
                f"the document is not JSON data: {exc}", expected=expected, path="$"
            ) from None
    return _input_text("source", source)


def _read(source: object, max_size: int) -> tuple[QiskitResult, str]:
    """The decoded document and the path prefix its errors are reported under."""
    expected = "ProgramResult or QiskitResult"
    data = _source_text(source, expected)
    limit = _max_size(max_size)
    try:
        data = _unwrap_json(data, expected)
        probe = decode(data, _Probe)
    except ResponseDecodeError as exc:
        raise _rebase(exc, expected) from None
    if len(probe.serialization):
        try:
            envelope = decode(data, ProgramResult)
        except ResponseDecodeError as exc:
            raise _rebase(exc, "ProgramResult") from None
        if envelope.serialization_format != ResultSerializationFormat.QISKIT_RESULT_JSON_V1:
            name = getattr(envelope.serialization_format, "name", "unknown")
            raise ResponseDecodeError(
                f"serialization format {int(envelope.serialization_format)} ({name}) is not a "
                "Qiskit result (2)",
                expected="ProgramResult",
                path="$.serialization_format",
            )
        inner = _uncompressed(
            envelope.serialization, envelope.compression_format, limit, "$", "ProgramResult"
        )
        prefix = "$.serialization"
        try:
            return decode(_unwrap_json(inner, "QiskitResult"), QiskitResult), prefix
        except ResponseDecodeError as exc:
            raise _rebase(exc, "QiskitResult", prefix) from None
    if len(probe.results):
        try:
            return decode(data, QiskitResult), "$"
        except ResponseDecodeError as exc:
            raise _rebase(exc, "QiskitResult") from None
    raise ResponseDecodeError(
        "neither a program-result envelope (serialization) nor a Qiskit result (results)",
        expected=expected,
        path="$",
        body=_excerpt(data),
    )


def read_result(
    source: str | bytes | Mapping[str, Any] | JobResultLike,
    *,
    max_size: int = MAX_DECOMPRESSED_BYTES,
) -> QiskitResult:
    """The Qiskit ``Result`` document of a job result, typed, as carried (hexadecimal keys).

    ``source`` is the ``result`` text (an envelope in either compression, or a bare document),
    its parsed JSON, or a ``JobResult`` whose result is inline.
    """
    return _read(source, max_size)[0]


# --------------------------------------------------------------------------------------------
# Bitstrings


class _Formatter:
    """Qiskit's presentation of classified readouts for one experiment header.

    Each distinct readout is formatted once: a 10,000-shot memory usually holds few of them.
    """

    __slots__ = ("_budget", "_cache", "_has_cregs", "_path", "_split", "_width")

    def __init__(self, header: ExperimentHeader | None, path: str) -> None:
        slots = header.memory_slots if header is not None else None
        cregs = header.creg_sizes if header is not None else None
        self._width = slots or 0
        self._has_cregs = bool(cregs)
        # Qiskit splits only when both are given; the last register comes first.
        self._split = [size for _, size in reversed(cregs)] if cregs and slots else None
        self._path = path
        self._cache: dict[str, str] = {}
        self._budget = _MAX_FORMATTED_CHARS

    def _fail(self, message: str, where: str) -> ResponseDecodeError:
        return ResponseDecodeError(message, expected="QiskitResult", path=self._path + where)

    def _bits(self, value: int) -> str:
        bits = format(value, f"0{self._width}b") if self._width else format(value, "b")
        if self._split is not None:
            parts = []
            start = 0
            for size in self._split:
                parts.append(bits[start : start + size])
                start += size
            bits = " ".join(parts)
        self._budget -= len(bits)
        if self._budget < 0:
            raise self._fail("the formatted bitstrings would be too large", "")
        return bits

    def _parse(self, text: str, where: str) -> int:
        if text.startswith("0x"):
            digits, allowed = text[2:], _HEX_DIGITS
            base = 16
        else:
            digits = text[2:] if text.startswith("0b") else text
            allowed, base = _BITS, 2
        if not digits or not allowed.issuperset(digits):
            shown = text if len(text) <= 40 else text[:40] + "..."
            raise self._fail(f"not a hexadecimal or binary readout: {shown!r}", where)
        return int(digits, base)

    def count_key(self, key: str) -> str:
        """A counts key as ``Result.get_counts()`` shows it."""
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if key.startswith(("0x", "0b")):
            formatted = self._bits(self._parse(key, ".counts"))
        elif not self._width and not self._has_cregs:
            formatted = key  # Qiskit keeps unprefixed keys as they are without a header
        else:
            if not key or not _BITS_AND_SPACES.issuperset(key) or not key.strip():
                raise self._fail(f"not a binary readout: {key[:40]!r}", ".counts")
            formatted = self._bits(int(key.replace(" ", ""), 2))
        self._cache[key] = formatted
        return formatted

    def shot(self, shot: str, index: int) -> str:
        """A memory readout as ``Result.get_memory()`` shows it."""
        cached = self._cache.get(shot)
        if cached is not None:
            return cached
        if shot.startswith("0x") or self._width:
            formatted = self._bits(self._parse(shot, f".memory[{index}]"))
        else:
            formatted = shot  # without memory_slots Qiskit leaves non-hex readouts alone
        self._cache[shot] = formatted
        return formatted


def _experiment(result: QiskitResult, index: int) -> ExperimentResult:
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"index must be an int, got {type(index).__name__}")
    if not -len(result.results) <= index < len(result.results):
        raise IndexError(f"index {index} is out of range: {len(result.results)} experiments")
    return result.results[index]


def _counts(experiment: ExperimentResult, path: str) -> dict[str, int]:
    data = experiment.data
    if data.counts is None:
        if data.memory is None:
            raise ResponseDecodeError(
                "the experiment has neither counts nor memory",
                expected="QiskitResult",
                path=f"{path}.data.counts",
            )
        counts: dict[str, int] = {}
        for shot in _memory(experiment, path):
            counts[shot] = counts.get(shot, 0) + 1
        return counts
    formatter = _Formatter(experiment.header, f"{path}.data")
    counts = {}
    for key, value in data.counts.items():
        formatted = formatter.count_key(key)
        # Keys that only differ in padding ("0x3", "0x03") add up rather than overwrite.
        counts[formatted] = counts.get(formatted, 0) + value
    return counts


def _memory(experiment: ExperimentResult, path: str) -> list[str]:
    memory = experiment.data.memory
    if memory is None:
        raise ResponseDecodeError(
            "the experiment has no per-shot memory (submit the job with memory=True)",
            expected="QiskitResult",
            path=f"{path}.data.memory",
        )
    if experiment.meas_level != 2:
        raise ResponseDecodeError(
            f"only classified memory (meas_level 2) is read, got {experiment.meas_level}",
            expected="QiskitResult",
            path=f"{path}.meas_level",
        )
    formatter = _Formatter(experiment.header, f"{path}.data")
    shot = formatter.shot
    return [shot(readout, i) for i, readout in enumerate(memory)]


def experiment_counts(result: QiskitResult, index: int = 0) -> dict[str, int]:
    """Counts of one experiment, keyed as ``Result.get_counts(index)`` keys them.

    An experiment with memory but no counts gets its memory tallied.
    """
    return _counts(_experiment(result, index), f"$.results[{index}]")


def experiment_memory(result: QiskitResult, index: int = 0) -> list[str]:
    """Per-shot readouts of one experiment, formatted as ``Result.get_memory(index)``."""
    return _memory(_experiment(result, index), f"$.results[{index}]")


def result_counts(
    source: str | bytes | Mapping[str, Any] | JobResultLike,
    *,
    max_size: int = MAX_DECOMPRESSED_BYTES,
) -> list[dict[str, int]]:
    """Counts of every experiment (one dict per circuit), keyed as Qiskit keys them.

    ``source`` is as for :func:`read_result`. Where two readouts format alike (registers that
    cover fewer bits than ``memory_slots``), their counts add up; Qiskit keeps only the last.
    """
    result, prefix = _read(source, max_size)
    return [
        _counts(experiment, f"{prefix}.results[{i}]") for i, experiment in enumerate(result.results)
    ]


def result_memory(
    source: str | bytes | Mapping[str, Any] | JobResultLike,
    *,
    max_size: int = MAX_DECOMPRESSED_BYTES,
) -> list[list[str]]:
    """Per-shot readouts of every experiment, formatted as ``Result.get_memory()``.

    An experiment without memory raises ResponseDecodeError.
    """
    result, prefix = _read(source, max_size)
    return [
        _memory(experiment, f"{prefix}.results[{i}]") for i, experiment in enumerate(result.results)
    ]


# --------------------------------------------------------------------------------------------
# Writing (for emulators and tests)


def encode_result_envelope(
    document: Mapping[str, Any] | str,
    *,
    compression_format: CompressionFormat | int = CompressionFormat.ZLIB_BASE64_V1,
) -> str:
    """The ``result`` text wrapping a Qiskit ``Result`` document (``Result.to_dict()``).

    Written as Scaleway's ``qio`` library writes it, byte for byte.
    """
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"document given as a string must be JSON text: {exc}") from None
    if not isinstance(document, Mapping):
        raise TypeError(f"document must be a mapping, got {type(document).__name__}")
    if not isinstance(document.get("results"), list):
        raise ValueError("document must be a Qiskit Result document (with a results list)")
    compression = _compression_arg(compression_format)
    try:
        text = json.dumps(dict(document), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise TypeError(f"document must hold JSON values only: {exc}") from None
    if compression == CompressionFormat.ZLIB_BASE64_V1:
        text = compress_text(text)
    envelope = {
        "compression_format": int(compression),
        "serialization": text,
        "serialization_format": int(ResultSerializationFormat.QISKIT_RESULT_JSON_V1),
    }
    return json.dumps(envelope, sort_keys=True)
