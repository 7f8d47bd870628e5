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
from typing import Any

from ..errors import ResponseDecodeError
from ._compression import MAX_DECOMPRESSED_BYTES, CompressionFormat, compress_text
from ._payload_build import _compression_arg
from ._result_keys import _Formatter
from ._result_read import _read, must_fetch, read_result, read_result_envelope
from ._result_types import (
    ExperimentData,
    ExperimentHeader,
    ExperimentResult,
    JobResultLike,
    ProgramResult,
    QiskitResult,
    ResultSerializationFormat,
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
