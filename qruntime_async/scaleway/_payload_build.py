"""Building the ``payload`` text of a computation model and the ``parameters`` text of a job."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .. import _constants as C
from ._compression import CompressionFormat, compress_text
from ._payload_types import (
    BackendData,
    ClientData,
    ComputationModel,
    E,
    ProgramSerializationFormat,
    QuantumNoiseModel,
    QuantumProgram,
)
from .models import Platform

__all__ = [
    "qasm_format",
    "make_program",
    "program_from_qasm",
    "model_payload",
    "encode_model",
    "job_parameters",
]

_OPENQASM_HEADER = re.compile(r"OPENQASM[ \t\r\n]+(\d+)(?:\.\d+)?[ \t\r\n]*;")
_QASM_VERSIONS = {
    "1": ProgramSerializationFormat.QASM_V1,
    "2": ProgramSerializationFormat.QASM_V2,
    "3": ProgramSerializationFormat.QASM_V3,
}
_QASM_FORMATS = frozenset(_QASM_VERSIONS.values())


def _first_statement(text: str) -> int:
    """Index of the first character that is not whitespace or a comment."""
    # A hand-written scan: a regex over nested comment alternatives can backtrack badly.
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in " \t\r\n\ufeff":
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            break
    return i


def qasm_format(qasm: str) -> ProgramSerializationFormat | None:
    """The OpenQASM format named by the text's ``OPENQASM <version>;`` header, or None.

    Comments and blank lines before the header are skipped. A header naming a version other than
    1, 2 or 3 raises ValueError.
    """
    if not isinstance(qasm, str):
        raise TypeError(f"qasm must be a string, got {type(qasm).__name__}")
    match = _OPENQASM_HEADER.match(qasm, _first_statement(qasm))
    if match is None:
        return None
    version = match.group(1)
    found = _QASM_VERSIONS.get(version)
    if found is None:
        raise ValueError(f"qasm declares OpenQASM {version}: only versions 1, 2 and 3 exist")
    return found


def _enum_arg(name: str, value: object, enum: type[E]) -> E:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a {enum.__name__} (an int), got {type(value).__name__}")
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(f"{m.value} ({m.name})" for m in enum)
        raise ValueError(f"{name} must be one of {known}; got {value!r}") from None


def _compression_arg(value: object) -> CompressionFormat:
    compression = _enum_arg("compression_format", value, CompressionFormat)
    if compression == CompressionFormat.UNKNOWN_COMPRESSION_FORMAT:
        raise ValueError("compression_format must be NONE (1) or ZLIB_BASE64_V1 (2)")
    return compression


def _utf8_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"{name} contains characters UTF-8 cannot carry (lone surrogates)"
        ) from None
    return value


def make_program(
    serialization: str,
    serialization_format: ProgramSerializationFormat | int,
    *,
    compression_format: CompressionFormat | int = CompressionFormat.ZLIB_BASE64_V1,
) -> QuantumProgram:
    """A program from its text in any known format (OpenQASM, QIR, Cirq JSON, Perceval...).

    The text is compressed with zlib and base64 unless ``compression_format`` is ``NONE``.
    """
    text = _utf8_text("serialization", serialization)
    fmt = _enum_arg("serialization_format", serialization_format, ProgramSerializationFormat)
    if fmt == ProgramSerializationFormat.UNKNOWN_SERIALIZATION_FORMAT:
        raise ValueError(
            "serialization_format must name a format, not UNKNOWN_SERIALIZATION_FORMAT"
        )
    compression = _compression_arg(compression_format)
    if compression == CompressionFormat.ZLIB_BASE64_V1:
        text = compress_text(text)
    return QuantumProgram(
        compression_format=compression, serialization_format=fmt, serialization=text
    )


def program_from_qasm(
    qasm: str,
    *,
    serialization_format: ProgramSerializationFormat | int | None = None,
    compression_format: CompressionFormat | int = CompressionFormat.ZLIB_BASE64_V1,
) -> QuantumProgram:
    """A program from OpenQASM text, compressed with zlib and base64 by default.

    The format (QASM v1, v2 or v3) is read from the ``OPENQASM <version>;`` header; text without
    a header needs an explicit ``serialization_format``, and one that contradicts the header is
    refused.
    """
    text = _utf8_text("qasm", qasm)
    declared = qasm_format(text)
    if serialization_format is None:
        if declared is None:
            raise ValueError(
                "qasm has no 'OPENQASM <version>;' header: pass serialization_format "
                "(ProgramSerializationFormat.QASM_V2 or QASM_V3)"
            )
        fmt = declared
    else:
        fmt = _enum_arg("serialization_format", serialization_format, ProgramSerializationFormat)
        if fmt not in _QASM_FORMATS:
            raise ValueError(
                f"serialization_format must be an OpenQASM format (QASM_V1, QASM_V2 or QASM_V3), "
                f"got {fmt.name}; use make_program() for other serialisations"
            )
        if declared is not None and declared != fmt:
            raise ValueError(
                f"serialization_format is {fmt.name} but the qasm header declares {declared.name}"
            )
    return make_program(text, fmt, compression_format=compression_format)


def _json_object_arg(name: str, value: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping, got {type(value).__name__}")
    result = dict(value)
    for key in result:
        if not isinstance(key, str):
            raise TypeError(f"{name} keys must be strings, got {type(key).__name__}")
    try:
        json.dumps(result, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise TypeError(f"{name} must hold JSON values only: {exc}") from None
    return result


def _program_arg(index: int, value: object) -> QuantumProgram:
    if isinstance(value, str):
        return program_from_qasm(value)
    if isinstance(value, QuantumProgram):
        if value.compression_format not in (
            CompressionFormat.NONE,
            CompressionFormat.ZLIB_BASE64_V1,
        ):
            raise ValueError(
                f"circuits[{index}] has an unknown compression_format {value.compression_format!r}"
            )
        _utf8_text(f"circuits[{index}].serialization", value.serialization)
        return value
    raise TypeError(
        f"circuits[{index}] must be OpenQASM text or a QuantumProgram, got {type(value).__name__}"
    )


def model_payload(
    circuits: str | QuantumProgram | Iterable[str | QuantumProgram],
    *,
    platform: str | Platform,
    version: str | None = None,
    options: Mapping[str, Any] | None = None,
    user_agent: str | None = None,
    noise_model: QuantumNoiseModel | None = None,
) -> str:
    """The ``payload`` text of ``POST /models`` for these circuits.

    ``circuits`` is OpenQASM text, a :class:`QuantumProgram` (see :func:`program_from_qasm`) or a
    list of them. ``platform`` is the platform's name (or a :class:`Platform`, whose name and
    version are taken); ``options`` are backend options (``{}`` when none). The text is the one
    Scaleway's ``qio`` library writes for the same model, byte for byte.
    """
    if isinstance(circuits, (str, QuantumProgram)):
        circuits = [circuits]
    elif not isinstance(circuits, Iterable):
        raise TypeError(
            "circuits must be OpenQASM text, a QuantumProgram or a list of them, "
            f"got {type(circuits).__name__}"
        )
    programs = [_program_arg(i, c) for i, c in enumerate(circuits)]
    if not programs:
        raise ValueError("circuits must not be empty")
    platform_name: object = platform
    if isinstance(platform, Platform):
        if version is None:
            version = platform.version
        platform_name = platform.name
        if platform_name is None:
            raise ValueError("platform has no name")
    name = _utf8_text("platform", platform_name)
    if version is not None and not isinstance(version, str):
        raise TypeError(f"version must be a string, got {type(version).__name__}")
    backend_options = {} if options is None else _json_object_arg("options", options)
    agent = C.USER_AGENT if user_agent is None else _utf8_text("user_agent", user_agent)
    if noise_model is not None and not isinstance(noise_model, QuantumNoiseModel):
        raise TypeError(
            f"noise_model must be a QuantumNoiseModel, got {type(noise_model).__name__}"
        )
    model = ComputationModel(
        programs=programs,
        backend=BackendData(name=name, version=version, options=backend_options),
        client=ClientData(user_agent=agent),
        noise_model=noise_model,
    )
    return encode_model(model)


def _format_triplet(value: QuantumProgram | QuantumNoiseModel) -> dict[str, Any]:
    return {
        "compression_format": int(value.compression_format),
        "serialization": value.serialization,
        "serialization_format": int(value.serialization_format),
    }


def encode_model(model: ComputationModel) -> str:
    """The JSON text of a computation model in the current shape (``parameters`` is not part
    of it). Keys are sorted and spaced as the official ``qio`` library writes them."""
    if not isinstance(model, ComputationModel):
        raise TypeError(f"model must be a ComputationModel, got {type(model).__name__}")
    backend = model.backend
    document = {
        "backend": None
        if backend is None
        else {"name": backend.name, "options": backend.options, "version": backend.version},
        "client": None if model.client is None else {"user_agent": model.client.user_agent},
        "noise_model": None if model.noise_model is None else _format_triplet(model.noise_model),
        "programs": [_format_triplet(p) for p in model.programs],
    }
    try:
        return json.dumps(document, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise TypeError(f"model cannot be serialised as JSON: {exc}") from None


def job_parameters(
    shots: int, *, memory: bool = False, options: Mapping[str, Any] | None = None
) -> str:
    """The ``parameters`` text of ``POST /jobs``: ``{"shots": N, "options": {"memory": ...}}``.

    ``memory=True`` asks for per-shot results. Extra ``options`` are added after ``memory``.
    """
    if isinstance(shots, bool) or not isinstance(shots, int):
        raise TypeError(f"shots must be an int, got {type(shots).__name__}")
    if shots < 1:
        raise ValueError(f"shots must be >= 1, got {shots}")
    if not isinstance(memory, bool):
        raise TypeError(f"memory must be a bool, got {type(memory).__name__}")
    extra = {} if options is None else _json_object_arg("options", options)
    if "memory" in extra:
        raise ValueError("options must not repeat 'memory': pass memory= instead")
    return json.dumps({"shots": shots, "options": {"memory": memory, **extra}}, allow_nan=False)
