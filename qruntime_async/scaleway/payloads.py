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

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec.structs import force_setattr

from .. import _constants as C
from .._codec import Model, decode
from ..errors import ResponseDecodeError
from .models import Platform

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

#: Decompressed programs and results larger than this are refused (a guard against zip bombs).
MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024

# A JSON document may arrive wrapped in JSON strings (the official decoders unwrap any number of
# them); a few levels are enough for every real producer.
_MAX_STRING_WRAPPING = 4

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


class CompressionFormat(IntEnum):
    """``compression_format`` of programs, noise models and results."""

    UNKNOWN_COMPRESSION_FORMAT = 0
    #: The serialisation is the text itself.
    NONE = 1
    #: The serialisation is base64 of the zlib-compressed UTF-8 text.
    ZLIB_BASE64_V1 = 2


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


# --------------------------------------------------------------------------------------------
# Wire structs


class QuantumProgram(Model, frozen=True):
    """One program (circuit) of a computation model."""

    #: A :class:`CompressionFormat` (an int when unknown).
    compression_format: int
    #: A :class:`ProgramSerializationFormat` (an int when unknown).
    serialization_format: int
    serialization: str

    def __post_init__(self) -> None:
        force_setattr(
            self, "compression_format", _known(CompressionFormat, self.compression_format)
        )
        force_setattr(
            self,
            "serialization_format",
            _known(ProgramSerializationFormat, self.serialization_format),
        )

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


class QuantumNoiseModel(Model, frozen=True):
    """A noise model for emulators."""

    #: A :class:`CompressionFormat` (an int when unknown).
    compression_format: int
    #: A :class:`NoiseModelSerializationFormat` (an int when unknown).
    serialization_format: int
    serialization: str

    def __post_init__(self) -> None:
        force_setattr(
            self, "compression_format", _known(CompressionFormat, self.compression_format)
        )
        force_setattr(
            self,
            "serialization_format",
            _known(NoiseModelSerializationFormat, self.serialization_format),
        )


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


# --------------------------------------------------------------------------------------------
# Compression


def compress_text(text: str) -> str:
    """base64 of the zlib-compressed UTF-8 text (compression format 2)."""
    return base64.b64encode(zlib.compress(text.encode("utf-8"))).decode("ascii")


def decompress_text(data: str, *, max_size: int = MAX_DECOMPRESSED_BYTES) -> str:
    """The text of compression format 2; bad base64, zlib or UTF-8 raise ResponseDecodeError.

    More than ``max_size`` bytes of decompressed data also raise it, before they are produced.
    """
    return _inflate(data, _max_size(max_size), None, "zlib+base64 text")


_ASCII_SPACE = re.compile(r"[ \t\r\n]+")


def _inflate(data: str, max_size: int, path: str | None, expected: str) -> str:
    def fail(message: str) -> ResponseDecodeError:
        return ResponseDecodeError(message, expected=expected, path=path, body=data[:500])

    try:
        # Line breaks and spaces are tolerated (wrapped base64); any other stray byte is not.
        raw = base64.b64decode(_ASCII_SPACE.sub("", data), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise fail(f"the serialization is not valid base64: {exc}") from None
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(raw, max_size + 1)
    except zlib.error as exc:
        raise fail(f"the serialization is not valid zlib data: {exc}") from None
    if len(text) > max_size or inflater.unconsumed_tail:
        raise fail(f"the serialization decompresses to more than {max_size} bytes")
    if not inflater.eof:
        raise fail("the zlib stream of the serialization is truncated")
    if inflater.unused_data:
        raise fail("the serialization has data after its zlib stream")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"the decompressed serialization is not UTF-8 ({exc.reason})") from None


def _uncompressed(data: str, compression: int, max_size: int, path: str, expected: str) -> str:
    if compression == CompressionFormat.NONE:
        return data
    if compression == CompressionFormat.ZLIB_BASE64_V1:
        return _inflate(data, max_size, f"{path}.serialization", expected)
    raise ResponseDecodeError(
        f"unknown compression format {compression!r}",
        expected=expected,
        path=f"{path}.compression_format",
    )


def _max_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_size must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"max_size must be >= 1, got {value}")
    return value


# --------------------------------------------------------------------------------------------
# Building


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


# --------------------------------------------------------------------------------------------
# Reading

_JSON_STRING_START = re.compile(r"[ \t\r\n]*\"")
_JSON_STRING_START_BYTES = re.compile(rb"[ \t\r\n]*\"")


def _unwrap_json(data: str | bytes, expected: str) -> str | bytes:
    """The document itself when it arrives as JSON text inside JSON strings."""
    for _ in range(_MAX_STRING_WRAPPING):
        pattern = _JSON_STRING_START if isinstance(data, str) else _JSON_STRING_START_BYTES
        if pattern.match(data) is None:  # type: ignore[arg-type]
            return data
        data = decode(data, str)
    raise ResponseDecodeError(
        "the document is wrapped in too many JSON strings", expected=expected, path="$"
    )


def _input_text(name: str, value: object) -> str | bytes:
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if not isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be JSON text (str or bytes), got {type(value).__name__}")
    return value


def _rebase(error: ResponseDecodeError, expected: str, prefix: str = "$") -> ResponseDecodeError:
    path = error.path or "$"
    if prefix != "$":
        path = prefix + path[1:]
    return ResponseDecodeError(
        error.message,
        expected=expected,
        path=path,
        body=error.body,
        malformed=error.malformed,
    )


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
    try:
        data = _unwrap_json(data, expected)
        probe = decode(data, _Probe)
    except ResponseDecodeError as exc:
        raise _rebase(exc, expected) from None
    if len(probe.programs):
        try:
            wire = decode(data, _WireModel)
        except ResponseDecodeError as exc:
            raise _rebase(exc, expected) from None
        programs = [
            QuantumProgram(
                compression_format=CompressionFormat.NONE,
                serialization_format=p.serialization_format,
                serialization=_uncompressed(
                    p.serialization, p.compression_format, limit, f"$.programs[{i}]", expected
                ),
            )
            for i, p in enumerate(wire.programs)
        ]
        noise = wire.noise_model
        if noise is not None:
            noise = QuantumNoiseModel(
                compression_format=CompressionFormat.NONE,
                serialization_format=noise.serialization_format,
                serialization=_uncompressed(
                    noise.serialization, noise.compression_format, limit, "$.noise_model", expected
                ),
            )
        return ComputationModel(
            programs=programs, noise_model=noise, client=wire.client, backend=wire.backend
        )
    if len(probe.run):
        try:
            legacy = decode(data, LegacyJobPayload)
        except ResponseDecodeError as exc:
            raise _rebase(exc, expected) from None
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
    try:
        return decode(_unwrap_json(data, expected), ComputationParameters)
    except ResponseDecodeError as exc:
        raise _rebase(exc, expected) from None


def _excerpt(data: str | bytes) -> str:
    text = data[:500]
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text
