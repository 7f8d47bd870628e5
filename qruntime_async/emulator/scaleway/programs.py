"""Reading what Scaleway clients send: computation models and job parameters.

A model's payload is JSON text, either the current shape ``{"programs": [{"serialization_format",
"compression_format", "serialization"}], "backend", "client", "noise_model"}`` or the older
``{"run": {"circuits": [{"serialization_format", "circuit_serialization"}], "options": {"shots",
"memory"}}, ...}``. Job ``parameters`` are JSON text ``{"shots": N, "options": {"memory": b}}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

#: Serialization formats of a program (OpenQASM v1, v2, v3, then non-QASM kinds).
QASM_FORMATS = frozenset({1, 2, 3})
PERCEVAL_FORMAT = 6
#: Compression formats: none, then base64 of zlib.
COMPRESSION_NONE = 1
COMPRESSION_ZLIB_BASE64 = 2


class ModelError(ValueError):
    """The payload is not a computation model the emulator can run."""


@dataclass(slots=True)
class Model:
    """The runnable content of a model: OpenQASM programs, or non-QASM ones it cannot read."""

    qasm: list[str] = field(default_factory=list)
    perceval: int = 0
    shots: int | None = None
    memory: bool = False


@dataclass(frozen=True, slots=True)
class Parameters:
    """Shots and options of a job's ``parameters``."""

    shots: int | None = None
    memory: bool | None = None


def _json(text: str, what: str) -> Any:
    value: Any = text
    # qio serialises some payloads twice (JSON text inside a JSON string)
    for _ in range(3):
        if not isinstance(value, str):
            return value
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ModelError(f"{what} is not JSON") from exc
    return value


def decompress(text: str, compression: Any) -> str:
    """The text of a serialization under its compression format."""
    if compression in (None, 0, COMPRESSION_NONE):
        return text
    if compression != COMPRESSION_ZLIB_BASE64:
        raise ModelError(f"unknown compression_format {compression!r}")
    try:
        return zlib.decompress(base64.b64decode(text, validate=True)).decode()
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError) as exc:
        raise ModelError("serialization is not base64 of zlib data") from exc


def _add(model: Model, fmt: Any, text: Any, compression: Any) -> None:
    if not isinstance(text, str):
        raise ModelError("serialization must be a string")
    if compression is None and fmt in QASM_FORMATS and "OPENQASM" not in text[:200]:
        compression = COMPRESSION_ZLIB_BASE64
    text = decompress(text, compression)
    if fmt in QASM_FORMATS:
        model.qasm.append(text)
    elif fmt == PERCEVAL_FORMAT:
        model.perceval += 1
    else:
        raise ModelError(f"serialization_format {fmt!r} is not supported by this platform")


def read_model(payload: str | None) -> Model:
    """The programs of a model payload; ModelError when unreadable."""
    if not payload:
        raise ModelError("the model has no payload")
    data = _json(payload, "the model payload")
    if not isinstance(data, dict):
        raise ModelError("the model payload must be a JSON object")
    model = Model()
    if isinstance(data.get("programs"), list):
        for p in data["programs"]:
            if not isinstance(p, dict):
                raise ModelError("each program must be an object")
            _add(
                model,
                p.get("serialization_format"),
                p.get("serialization"),
                p.get("compression_format", 1),
            )
    elif isinstance(data.get("run"), dict):
        run = data["run"]
        if not isinstance(run.get("circuits"), list):
            raise ModelError("run.circuits must be a list")
        for c in run["circuits"]:
            if not isinstance(c, dict):
                raise ModelError("each circuit must be an object")
            _add(
                model,
                c.get("serialization_format"),
                c.get("circuit_serialization"),
                c.get("compression_format"),
            )
        options = run.get("options") if isinstance(run.get("options"), dict) else {}
        model.shots = _count(options.get("shots"))
        model.memory = options.get("memory") is True
    else:
        raise ModelError("the model payload has neither programs nor run.circuits")
    if not model.qasm and not model.perceval:
        raise ModelError("the model has no programs")
    return model


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def read_parameters(text: str | None) -> Parameters:
    """``shots`` and ``options.memory`` of a job's parameters (absent when unreadable)."""
    if not text:
        return Parameters()
    try:
        data = _json(text, "parameters")
    except ModelError:
        return Parameters()
    if not isinstance(data, dict):
        return Parameters()
    options = data.get("options")
    memory = options.get("memory") if isinstance(options, dict) else None
    return Parameters(_count(data.get("shots")), memory if isinstance(memory, bool) else None)
