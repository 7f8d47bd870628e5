from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qruntime_async._constants import USER_AGENT
from qruntime_async.errors import ResponseDecodeError
from qruntime_async.scaleway.models import Platform
from qruntime_async.scaleway.payloads import (
    BackendData,
    ClientData,
    CompressionFormat,
    ComputationModel,
    ComputationParameters,
    LegacyCircuit,
    LegacyCircuitSerializationFormat,
    NoiseModelSerializationFormat,
    ProgramSerializationFormat,
    QuantumNoiseModel,
    QuantumProgram,
    compress_text,
    decompress_text,
    encode_model,
    job_parameters,
    make_program,
    model_payload,
    program_from_qasm,
    qasm_format,
    read_job_parameters,
    read_model_payload,
)

FIXTURES = Path(__file__).parent / "fixtures" / "scaleway_payloads"

BELL_QASM3 = (
    "OPENQASM 3.0;\n"
    'include "stdgates.inc";\n'
    "bit[2] c;\n"
    "qubit[2] q;\n"
    "h q[0];\n"
    "cx q[0], q[1];\n"
    "c[0] = measure q[0];\n"
    "c[1] = measure q[1];\n"
)
BELL_QASM2 = (
    "OPENQASM 2.0;\n"
    'include "qelib1.inc";\n'
    "qreg q[2];\n"
    "creg c[2];\n"
    "h q[0];\n"
    "cx q[0],q[1];\n"
    "measure q[0] -> c[0];\n"
    "measure q[1] -> c[1];"
)
# base64(zlib(BELL_QASM3)) as qio writes it (zlib's default level).
BELL_QASM3_ZLIB = (
    "eJzzD3D1C3QM9lUw1jOw5srMS84pTUlVUCouSUlPLEkt1gOKKFlzJWWWRBvFKiRbcxWWQtmF1lwZCoXRBrHWXMkV"
    "YIYOkDQEcYFsBVuF3NTE4tKiVJgaoBSKIEglAF1BJdw="
)
UA = "qiskit-scaleway/0.3.2 (Linux; CPython/3.12.3) qiskit/2.1.0"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def zlib_b64(raw: bytes) -> str:
    return base64.b64encode(zlib.compress(raw)).decode("ascii")


def current_model(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "backend": {"name": "aer", "options": {}, "version": "1"},
        "client": {"user_agent": "x"},
        "noise_model": None,
        "programs": [
            {"compression_format": 2, "serialization": BELL_QASM3_ZLIB, "serialization_format": 3}
        ],
    }
    document.update(overrides)
    return document


def program_with(**fields: Any) -> dict[str, Any]:
    program = {"compression_format": 1, "serialization": BELL_QASM3, "serialization_format": 3}
    program.update(fields)
    return current_model(programs=[program])


# --- building: exact wire text ---------------------------------------------------------------


def test_model_payload_is_the_exact_text_qio_writes() -> None:
    text = model_payload(
        BELL_QASM3,
        platform="aer_simulation_pop_c16m128",
        version="0.1.0",
        options={"method": "statevector"},
        user_agent=UA,
    )

    assert text == (
        '{"backend": {"name": "aer_simulation_pop_c16m128", "options": {"method": "statevector"}, '
        '"version": "0.1.0"}, "client": {"user_agent": "' + UA + '"}, "noise_model": null, '
        '"programs": [{"compression_format": 2, "serialization": "' + BELL_QASM3_ZLIB + '", '
        '"serialization_format": 3}]}'
    )


def test_model_payload_rebuilds_the_qio_fixture_byte_for_byte() -> None:
    original = fixture("model_qio.json").rstrip("\n")
    model = read_model_payload(original)
    assert model.backend is not None
    assert model.client is not None

    rebuilt = model_payload(
        [
            program_from_qasm(model.programs[0].serialization),
            program_from_qasm(model.programs[1].serialization, compression_format=1),
        ],
        platform=model.backend.name,
        version=model.backend.version,
        options=model.backend.options,
        user_agent=model.client.user_agent,
    )

    assert rebuilt == original


def test_model_payload_defaults_and_uncompressed_programs() -> None:
    text = model_payload(
        program_from_qasm(BELL_QASM2, compression_format=CompressionFormat.NONE), platform="qsim"
    )

    assert json.loads(text) == {
        "backend": {"name": "qsim", "options": {}, "version": None},
        "client": {"user_agent": USER_AGENT},
        "noise_model": None,
        "programs": [
            {"compression_format": 1, "serialization": BELL_QASM2, "serialization_format": 2}
        ],
    }


def test_model_payload_takes_name_and_version_from_a_platform() -> None:
    platform = Platform(id="p-1", name="EMU-AER-16C-128M", version="2.1", backend_name="aer")

    document = json.loads(model_payload([BELL_QASM3, BELL_QASM3], platform=platform))

    assert document["backend"] == {"name": "EMU-AER-16C-128M", "options": {}, "version": "2.1"}
    assert len(document["programs"]) == 2
    overridden = json.loads(model_payload(BELL_QASM3, platform=platform, version="3"))
    assert overridden["backend"]["version"] == "3"


def test_model_payload_carries_a_noise_model() -> None:
    noise = QuantumNoiseModel(
        compression_format=CompressionFormat.ZLIB_BASE64_V1,
        serialization_format=NoiseModelSerializationFormat.QISKIT_AER_JSON_V1,
        serialization=compress_text('{"errors": []}'),
    )

    text = model_payload(BELL_QASM3, platform="aer", noise_model=noise)

    assert json.loads(text)["noise_model"] == {
        "compression_format": 2,
        "serialization": noise.serialization,
        "serialization_format": 1,
    }
    assert read_model_payload(text).noise_model == QuantumNoiseModel(
        compression_format=1, serialization_format=1, serialization='{"errors": []}'
    )


def test_job_parameters_exact_text() -> None:
    assert job_parameters(1024) == '{"shots": 1024, "options": {"memory": false}}'
    assert job_parameters(1024) == fixture("job_parameters.json").rstrip("\n")
    assert job_parameters(10, memory=True) == '{"shots": 10, "options": {"memory": true}}'
    assert (
        job_parameters(5, options={"seed": 7, "method": "mps"})
        == '{"shots": 5, "options": {"memory": false, "seed": 7, "method": "mps"}}'
    )


def test_encode_model_of_a_decoded_model_is_stable() -> None:
    model = ComputationModel(
        programs=[program_from_qasm(BELL_QASM3)],
        backend=BackendData(name="aer", version=None, options=None),
        client=None,
    )

    assert encode_model(model) == (
        '{"backend": {"name": "aer", "options": null, "version": null}, "client": null, '
        '"noise_model": null, "programs": [{"compression_format": 2, "serialization": "'
        + BELL_QASM3_ZLIB
        + '", "serialization_format": 3}]}'
    )


# --- building: programs and header detection -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BELL_QASM3, ProgramSerializationFormat.QASM_V3),
        (BELL_QASM2, ProgramSerializationFormat.QASM_V2),
        ("OPENQASM 3;\nqubit q;", ProgramSerializationFormat.QASM_V3),
        (
            "\ufeff  // generated\n/* block\n comment */\nOPENQASM 2.0 ;",
            ProgramSerializationFormat.QASM_V2,
        ),
        ("OPENQASM\t3.1;", ProgramSerializationFormat.QASM_V3),
        ("OPENQASM 1.0;", ProgramSerializationFormat.QASM_V1),
        ("qubit q;\nh q;", None),
        ("// OPENQASM 3.0;\nqubit q;", None),
        ("/* unterminated OPENQASM 3.0;", None),
        ("", None),
    ],
)
def test_qasm_format_reads_the_header(
    text: str, expected: ProgramSerializationFormat | None
) -> None:
    assert qasm_format(text) == expected


def test_qasm_format_refuses_an_unknown_version() -> None:
    with pytest.raises(ValueError, match="OpenQASM 4"):
        qasm_format("OPENQASM 4.0;")


def test_program_from_qasm_compresses_by_default() -> None:
    program = program_from_qasm(BELL_QASM3)

    assert program == QuantumProgram(
        compression_format=CompressionFormat.ZLIB_BASE64_V1,
        serialization_format=ProgramSerializationFormat.QASM_V3,
        serialization=BELL_QASM3_ZLIB,
    )
    assert program.text() == BELL_QASM3
    assert isinstance(program.serialization_format, ProgramSerializationFormat)


def test_program_from_qasm_with_an_explicit_format() -> None:
    program = program_from_qasm("qubit q;", serialization_format=3, compression_format=1)

    assert program.serialization_format is ProgramSerializationFormat.QASM_V3
    assert program.serialization == "qubit q;"
    same = program_from_qasm(BELL_QASM2, serialization_format=ProgramSerializationFormat.QASM_V2)
    assert same.serialization_format is ProgramSerializationFormat.QASM_V2


def test_make_program_for_other_formats() -> None:
    program = make_program(
        '{"circuit": []}',
        ProgramSerializationFormat.PERCEVAL_CIRCUIT_JSON_V1,
        compression_format=CompressionFormat.NONE,
    )

    assert program.serialization_format == 6
    assert program.compression_format == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"qasm": 3}, TypeError, "qasm must be a string"),
        ({"qasm": "  \n"}, ValueError, "qasm must not be empty"),
        ({"qasm": "qubit q;"}, ValueError, "no 'OPENQASM <version>;' header"),
        ({"qasm": "OPENQASM 3.0;\ud800"}, ValueError, "qasm contains characters"),
        ({"qasm": BELL_QASM3, "serialization_format": 2}, ValueError, "header declares QASM_V3"),
        ({"qasm": BELL_QASM3, "serialization_format": 4}, ValueError, "make_program"),
        ({"qasm": BELL_QASM3, "serialization_format": 99}, ValueError, "serialization_format"),
        ({"qasm": BELL_QASM3, "serialization_format": True}, TypeError, "serialization_format"),
        ({"qasm": BELL_QASM3, "serialization_format": "3"}, TypeError, "serialization_format"),
        ({"qasm": BELL_QASM3, "compression_format": 0}, ValueError, "compression_format"),
        ({"qasm": BELL_QASM3, "compression_format": 3}, ValueError, "compression_format"),
    ],
)
def test_program_from_qasm_rejects_bad_arguments(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        program_from_qasm(**kwargs)


def test_make_program_rejects_the_unknown_format() -> None:
    with pytest.raises(ValueError, match="UNKNOWN_SERIALIZATION_FORMAT"):
        make_program("x", 0)


@pytest.mark.parametrize(
    ("circuits", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, "circuits must not be empty"),
        (42, {}, TypeError, "circuits must be"),
        ([BELL_QASM3, 42], {}, TypeError, r"circuits\[1\]"),
        ([b"OPENQASM 3.0;"], {}, TypeError, r"circuits\[0\]"),
        (BELL_QASM3, {"platform": ""}, ValueError, "platform must not be empty"),
        (BELL_QASM3, {"platform": None}, TypeError, "platform must be a string"),
        (BELL_QASM3, {"platform": Platform(id="p")}, ValueError, "platform has no name"),
        (BELL_QASM3, {"version": 2}, TypeError, "version must be a string"),
        (BELL_QASM3, {"options": [1]}, TypeError, "options must be a mapping"),
        (BELL_QASM3, {"options": {1: "x"}}, TypeError, "options keys must be strings"),
        (BELL_QASM3, {"options": {"x": {1, 2}}}, TypeError, "options must hold JSON values"),
        (BELL_QASM3, {"options": {"x": float("nan")}}, TypeError, "options must hold JSON"),
        (BELL_QASM3, {"user_agent": ""}, ValueError, "user_agent must not be empty"),
        (BELL_QASM3, {"noise_model": {"x": 1}}, TypeError, "noise_model must be"),
    ],
)
def test_model_payload_rejects_bad_arguments(
    circuits: Any, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    kwargs.setdefault("platform", "aer")
    with pytest.raises(error, match=match):
        model_payload(circuits, **kwargs)


def test_model_payload_rejects_programs_it_cannot_vouch_for() -> None:
    unknown = QuantumProgram(compression_format=9, serialization_format=3, serialization="x")
    with pytest.raises(ValueError, match=r"circuits\[0\] has an unknown compression_format"):
        model_payload(unknown, platform="aer")
    empty = QuantumProgram(compression_format=1, serialization_format=3, serialization="")
    with pytest.raises(ValueError, match=r"circuits\[0\].serialization must not be empty"):
        model_payload([empty], platform="aer")


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((0,), {}, ValueError, "shots must be >= 1"),
        ((True,), {}, TypeError, "shots must be an int"),
        (("100",), {}, TypeError, "shots must be an int"),
        ((10,), {"memory": 1}, TypeError, "memory must be a bool"),
        ((10,), {"options": {"memory": True}}, ValueError, "memory="),
        ((10,), {"options": {"x": float("inf")}}, TypeError, "options must hold JSON"),
        ((10,), {"options": "x"}, TypeError, "options must be a mapping"),
    ],
)
def test_job_parameters_rejects_bad_arguments(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        job_parameters(*args, **kwargs)


def test_encode_model_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match="ComputationModel"):
        encode_model({"programs": []})  # type: ignore[arg-type]


# --- reading ---------------------------------------------------------------------------------


def test_read_model_payload_decompresses_the_qio_fixture() -> None:
    model = read_model_payload(fixture("model_qio.json"))

    first, second = model.programs
    assert first.compression_format is CompressionFormat.NONE
    assert first.serialization_format is ProgramSerializationFormat.QASM_V3
    assert first.serialization == BELL_QASM3
    assert second.serialization_format is ProgramSerializationFormat.QASM_V2
    assert second.serialization == BELL_QASM2
    assert model.backend == BackendData(
        name="aer_simulation_pop_c16m128", version="0.1.0", options={"method": "statevector"}
    )
    assert model.client == ClientData(user_agent=UA)
    assert model.noise_model is None
    assert model.parameters is None


def test_read_model_payload_reads_the_older_shape() -> None:
    model = read_model_payload(fixture("model_legacy.json").encode())

    (program,) = model.programs
    assert program == QuantumProgram(
        compression_format=CompressionFormat.NONE,
        serialization_format=ProgramSerializationFormat.QASM_V3,
        serialization=BELL_QASM3,
    )
    assert model.backend == BackendData(
        name="aer_simulation_pop_c16m128", version="0.1.0", options={"method": "automatic"}
    )
    assert model.client is not None
    assert model.client.user_agent.startswith("qiskit-scaleway/0.1.11")  # type: ignore[union-attr]
    assert model.parameters == ComputationParameters(shots=1000, options={"memory": True})
    assert model.parameters.memory


def test_older_shape_json_circuits_and_noise_models() -> None:
    text = json.dumps(
        {
            "client": {"user_agent": "x"},
            "backend": {"name": "qsim", "version": "1", "options": {}},
            "run": {
                "circuits": [{"serialization_format": 4, "circuit_serialization": "{}"}],
                "options": {"memory": False},
            },
            "noise_model": {"serialization_format": 1, "noise_model_serialization": "{}"},
        }
    )

    model = read_model_payload(text)

    # The older format 4 meant JSON, which has no counterpart in the current numbering.
    assert model.programs[0].serialization_format == 0
    assert model.parameters is None
    assert model.noise_model == QuantumNoiseModel(
        compression_format=1, serialization_format=1, serialization="{}"
    )
    legacy = LegacyCircuit(serialization_format=4, circuit_serialization="{}")
    assert legacy.serialization_format is LegacyCircuitSerializationFormat.JSON


def test_unknown_formats_stay_visible_as_ints() -> None:
    model = read_model_payload(json.dumps(program_with(serialization_format=42)))

    assert model.programs[0].serialization_format == 42
    assert not isinstance(model.programs[0].serialization_format, ProgramSerializationFormat)


def test_payload_wrapped_in_json_strings_and_numeric_strings() -> None:
    inner = json.dumps(program_with(serialization_format="3", compression_format="1"))

    model = read_model_payload(json.dumps(json.dumps(inner)))

    assert model.programs[0].serialization_format is ProgramSerializationFormat.QASM_V3


def test_read_job_parameters() -> None:
    parameters = read_job_parameters(fixture("job_parameters.json"))

    assert parameters == ComputationParameters(shots=1024, options={"memory": False})
    assert not parameters.memory
    assert read_job_parameters(b'{"shots": 3}') == ComputationParameters(shots=3)
    assert read_job_parameters(job_parameters(7, memory=True)).memory


def test_compression_round_trip_and_wrapped_base64() -> None:
    text = "OPENQASM 3.0; // é ✓"
    packed = compress_text(text)

    assert decompress_text(packed) == text
    wrapped = "\n".join(packed[i : i + 8] for i in range(0, len(packed), 8))
    assert decompress_text(wrapped) == text


# --- errors ----------------------------------------------------------------------------------


def bomb(size: int) -> str:
    return base64.b64encode(zlib.compress(b"\0" * size, 9)).decode()


@pytest.mark.parametrize(
    ("document", "path", "match"),
    [
        ([1, 2], "$", "object"),
        ({}, "$", "neither a computation model"),
        ({"x": 1}, "$", "neither"),
        (current_model(programs=[]), "$.programs", "length"),
        (current_model(programs={}), "$.programs", "array"),
        (current_model(programs=[{}]), "$.programs[0]", "compression_format"),
        (program_with(serialization=5), "$.programs[0].serialization", "str"),
        (program_with(serialization_format=None), "$.programs[0].serialization_format", "int"),
        (program_with(compression_format=7), "$.programs[0].compression_format", "unknown"),
        (program_with(compression_format=0), "$.programs[0].compression_format", "unknown"),
        (
            program_with(compression_format=2, serialization="%%%"),
            "$.programs[0].serialization",
            "base64",
        ),
        (
            program_with(
                compression_format=2, serialization=base64.b64encode(b"not zlib").decode()
            ),
            "$.programs[0].serialization",
            "zlib",
        ),
        (
            program_with(
                compression_format=2,
                serialization=base64.b64encode(zlib.compress(b"abc")[:-3]).decode(),
            ),
            "$.programs[0].serialization",
            "truncated",
        ),
        (
            program_with(
                compression_format=2,
                serialization=base64.b64encode(zlib.compress(b"abc") + b"x").decode(),
            ),
            "$.programs[0].serialization",
            "after its zlib stream",
        ),
        (
            program_with(compression_format=2, serialization=zlib_b64(b"\xff\xfe")),
            "$.programs[0].serialization",
            "UTF-8",
        ),
        (current_model(backend={"version": "1"}), "$.backend", "name"),
        (current_model(backend={"name": "a", "options": []}), "$.backend.options", "object"),
        (current_model(client="x"), "$.client", "object"),
        (
            current_model(
                noise_model={
                    "compression_format": 5,
                    "serialization_format": 1,
                    "serialization": "",
                }
            ),
            "$.noise_model.compression_format",
            "unknown",
        ),
        ({"run": {}}, "$.run", "circuits"),
        ({"run": {"circuits": []}}, "$.run.circuits", "length"),
        (
            {"run": {"circuits": [{"serialization_format": 3}]}},
            "$.run.circuits[0]",
            "circuit_serialization",
        ),
        (
            {
                "run": {
                    "circuits": [{"serialization_format": 3, "circuit_serialization": "x"}],
                    "options": {"shots": "many"},
                }
            },
            "$.run.options.shots",
            "shots",
        ),
        (
            {
                "run": {
                    "circuits": [{"serialization_format": 3, "circuit_serialization": "x"}],
                    "options": {"shots": 0},
                }
            },
            "$.run.options.shots",
            "shots",
        ),
    ],
)
def test_bad_model_documents_name_the_path(document: Any, path: str, match: str) -> None:
    with pytest.raises(ResponseDecodeError, match=match) as caught:
        read_model_payload(json.dumps(document))

    assert caught.value.path == path
    assert caught.value.expected == "ComputationModel"
    assert not caught.value.malformed


@pytest.mark.parametrize(
    "text", ["", "{", "nope", '{"programs": [', b"\xff\xfe", '"{\\"programs\\""']
)
def test_malformed_model_text(text: str | bytes) -> None:
    with pytest.raises(ResponseDecodeError) as caught:
        read_model_payload(text)

    assert caught.value.malformed
    assert caught.value.expected == "ComputationModel"


def test_too_many_string_wrappings() -> None:
    text = json.dumps(current_model())
    for _ in range(5):
        text = json.dumps(text)

    with pytest.raises(ResponseDecodeError, match="too many JSON strings") as caught:
        read_model_payload(text)
    assert caught.value.path == "$"


def test_decompression_is_capped() -> None:
    document = program_with(compression_format=2, serialization=bomb(100_000))

    with pytest.raises(ResponseDecodeError, match="more than 50000 bytes") as caught:
        read_model_payload(json.dumps(document), max_size=50_000)
    assert caught.value.path == "$.programs[0].serialization"
    assert (
        len(read_model_payload(json.dumps(document), max_size=100_000).programs[0].serialization)
        == 100_000
    )
    with pytest.raises(ResponseDecodeError, match="more than 10 bytes"):
        decompress_text(bomb(11), max_size=10)


def test_a_zip_bomb_is_refused_at_the_default_cap() -> None:
    # 300 MiB of zeros, compressed to about 1.4 MB.
    deflater = zlib.compressobj(1)
    chunk = bytes(1 << 20)
    packed = b"".join([*(deflater.compress(chunk) for _ in range(300)), deflater.flush()])

    with pytest.raises(ResponseDecodeError, match="decompresses to more than"):
        decompress_text(base64.b64encode(packed).decode())


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('{"shots": 0}', "$.shots"),
        ('{"options": {}}', "$"),
        ('{"shots": 5, "options": []}', "$.options"),
        ("[]", "$"),
    ],
)
def test_bad_job_parameters_name_the_path(text: str, path: str) -> None:
    with pytest.raises(ResponseDecodeError) as caught:
        read_job_parameters(text)

    assert caught.value.path == path
    assert caught.value.expected == "ComputationParameters"


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: read_model_payload(None), TypeError),  # type: ignore[arg-type]
        (lambda: read_model_payload("{}", max_size=0), ValueError),
        (lambda: read_model_payload("{}", max_size=1.5), TypeError),  # type: ignore[arg-type]
        (lambda: read_job_parameters({"shots": 1}), TypeError),  # type: ignore[arg-type]
        (lambda: qasm_format(b"OPENQASM 3;"), TypeError),  # type: ignore[arg-type]
    ],
)
def test_caller_mistakes_are_type_and_value_errors(call: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()


# --- properties ------------------------------------------------------------------------------

qasm_bodies = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=0, max_size=200)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    version=st.sampled_from(["2.0", "3.0", "3"]),
    body=qasm_bodies,
    compression=st.sampled_from([1, 2]),
    options=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    platform=st.text(min_size=1, max_size=20).filter(str.strip),
    count=st.integers(min_value=1, max_value=3),
)
def test_payload_round_trip(
    version: str, body: str, compression: int, options: dict[str, Any], platform: str, count: int
) -> None:
    qasm = f"OPENQASM {version};\n{body}"
    text = model_payload(
        [program_from_qasm(qasm, compression_format=compression)] * count,
        platform=platform,
        version="v",
        options=options,
    )

    model = read_model_payload(text)

    assert [p.serialization for p in model.programs] == [qasm] * count
    expected_format = 2 if version == "2.0" else 3
    assert {p.serialization_format for p in model.programs} == {expected_format}
    assert model.backend == BackendData(name=platform, version="v", options=options)
    assert read_model_payload(text.encode()) == model


@settings(max_examples=100, deadline=None)
@given(
    shots=st.integers(min_value=1, max_value=2**40),
    memory=st.booleans(),
    options=st.dictionaries(
        st.text(max_size=8).filter(lambda k: k != "memory"), json_values, max_size=3
    ),
)
def test_job_parameters_round_trip(shots: int, memory: bool, options: dict[str, Any]) -> None:
    parameters = read_job_parameters(job_parameters(shots, memory=memory, options=options))

    assert parameters.shots == shots
    assert parameters.memory is memory
    assert parameters.options == {"memory": memory, **options}


SAMPLES = [fixture(name).encode() for name in ("model_qio.json", "model_legacy.json")]


def _read_or_decode_error(data: bytes | str) -> None:
    error: ResponseDecodeError | None = None
    try:
        model = read_model_payload(data)
    except ResponseDecodeError as exc:
        error = exc
    if error is not None:
        assert error.expected == "ComputationModel"
        assert str(error)
    else:
        assert isinstance(model, ComputationModel)
        assert all(p.compression_format == CompressionFormat.NONE for p in model.programs)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=json_values
    | st.fixed_dictionaries({"programs": json_values})
    | st.fixed_dictionaries({"run": json_values})
)
def test_random_documents_only_raise_decode_errors(value: Any) -> None:
    _read_or_decode_error(json.dumps(value))


#: Where to garble a sample document, for :func:`garbled`.
GARBLING = {
    "position": st.integers(min_value=0),
    "junk": st.binary(min_size=1, max_size=4),
    "cut": st.floats(min_value=0.0, max_value=1.0),
}


def garbled(sample: bytes, position: int, junk: bytes, cut: float) -> tuple[bytes, bytes]:
    """The sample with one byte replaced by junk, and the sample cut short."""
    index = position % len(sample)
    return sample[:index] + junk + sample[index + 1 :], sample[: int(len(sample) * cut)]


@settings(max_examples=300, deadline=None)
@given(sample=st.sampled_from(SAMPLES), **GARBLING)
def test_garbled_payloads_only_raise_decode_errors(
    sample: bytes, position: int, junk: bytes, cut: float
) -> None:
    for data in garbled(sample, position, junk, cut):
        _read_or_decode_error(data)


@settings(max_examples=200, deadline=None)
@given(
    serialization=st.text(max_size=60)
    | st.binary(max_size=60).map(lambda b: base64.b64encode(b).decode())
)
def test_garbled_compressed_programs_only_raise_decode_errors(serialization: str) -> None:
    _read_or_decode_error(
        json.dumps(program_with(compression_format=2, serialization=serialization))
    )
