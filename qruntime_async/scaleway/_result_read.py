"""Reading a Scaleway job result: its envelope, and the Qiskit ``Result`` document inside."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from .._codec import decode
from ..errors import ResponseDecodeError
from ._compression import MAX_DECOMPRESSED_BYTES, _max_size, _uncompressed
from ._json_text import _excerpt, _input_text, _reported_as, _unwrap_json
from ._payload_types import _decompressed
from ._result_types import (
    JobResultLike,
    ProgramResult,
    QiskitResult,
    ResultSerializationFormat,
    _Probe,
)

__all__ = ["must_fetch", "read_result_envelope", "read_result"]


def must_fetch(job_result: JobResultLike) -> bool:
    """True when the result is not inline and must be downloaded from ``job_result.url``."""
    return not job_result.result and bool(job_result.url)


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
    with _reported_as(expected):
        envelope = decode(_unwrap_json(data, expected), ProgramResult)
    return _decompressed(envelope, limit, "$", expected)


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
    with _reported_as(expected):
        data = _unwrap_json(data, expected)
        probe = decode(data, _Probe)
    if len(probe.serialization):
        with _reported_as("ProgramResult"):
            envelope = decode(data, ProgramResult)
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
        with _reported_as("QiskitResult", prefix):
            return decode(_unwrap_json(inner, "QiskitResult"), QiskitResult), prefix
    if len(probe.results):
        with _reported_as("QiskitResult"):
            return decode(data, QiskitResult), "$"
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
