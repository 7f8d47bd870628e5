from __future__ import annotations

import base64
import json
import random
import time
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qruntime_async.errors import ResponseDecodeError
from qruntime_async.scaleway import _result_keys
from qruntime_async.scaleway.models import JobResult
from qruntime_async.scaleway.payloads import CompressionFormat, compress_text
from qruntime_async.scaleway.results import (
    ExperimentHeader,
    ProgramResult,
    QiskitResult,
    ResultSerializationFormat,
    encode_result_envelope,
    experiment_counts,
    experiment_memory,
    must_fetch,
    read_result,
    read_result_envelope,
    result_counts,
    result_memory,
)

from .test_scaleway_payloads import GARBLING, fixture, garbled

ENVELOPES = ["result_envelope_none.json", "result_envelope_zlib.json"]


def experiment(
    counts: Mapping[str, object] | None = None,
    memory: Sequence[object] | None = None,
    header: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if counts is not None:
        data["counts"] = counts
    if memory is not None:
        data["memory"] = memory
    result: dict[str, Any] = {"shots": 4, "success": True, "data": data, **extra}
    if header is not None:
        result["header"] = header
    return result


def document(*experiments: dict[str, Any]) -> dict[str, Any]:
    return {"backend_name": "aer", "success": True, "results": list(experiments)}


def envelope(inner: Any, compression: int = 2, serialization_format: int = 2) -> str:
    text = inner if isinstance(inner, str) else json.dumps(inner)
    serialization = compress_text(text) if compression == 2 else text
    return json.dumps(
        {
            "compression_format": compression,
            "serialization": serialization,
            "serialization_format": serialization_format,
        }
    )


# --- the fixtures (written by qio from qiskit BasicSimulator results) ------------------------


@pytest.mark.parametrize("name", ENVELOPES)
def test_envelope_fixtures(name: str) -> None:
    text = fixture(name)

    assert result_counts(text) == [{"1 00": 4, "1 11": 2}]
    assert result_memory(text) == [["1 00", "1 00", "1 11", "1 00", "1 00", "1 11"]]


def test_bare_document_fixture() -> None:
    text = fixture("result_bare.json")

    assert result_counts(text) == [{"01 10": 3, "11 10": 2}]
    assert result_memory(text.encode()) == [["01 10", "01 10", "11 10", "11 10", "01 10"]]


def test_read_result_types_the_document() -> None:
    result = read_result(fixture("result_envelope_zlib.json"))

    assert isinstance(result, QiskitResult)
    assert result.success is True
    assert result.backend_name == "basic_simulator"
    assert result.job_id == "0f4c7d1e-3b2a-4c5d-8e9f-0a1b2c3d4e5f"
    (only,) = result.results
    assert only.shots == 6
    assert only.meas_level == 2
    assert only.data.counts == {"0x4": 4, "0x7": 2}
    assert only.data.memory == ["0x4", "0x4", "0x7", "0x4", "0x4", "0x7"]
    assert only.header == ExperimentHeader(
        name="two_registers",
        n_qubits=3,
        memory_slots=3,
        creg_sizes=[("c0", 2), ("c1", 1)],
        metadata={},
    )
    assert experiment_counts(result) == {"1 00": 4, "1 11": 2}
    assert experiment_memory(result, -1)[2] == "1 11"


def test_read_result_envelope_decompresses_any_format() -> None:
    envelope_ = read_result_envelope(fixture("result_envelope_zlib.json"))

    assert envelope_.compression_format is CompressionFormat.NONE
    assert envelope_.serialization_format is ResultSerializationFormat.QISKIT_RESULT_JSON_V1
    assert json.loads(envelope_.serialization)["results"][0]["data"]["counts"] == {
        "0x4": 4,
        "0x7": 2,
    }
    cirq = read_result_envelope(envelope({"measurements": {}}, 2, 1))
    assert cirq.serialization_format is ResultSerializationFormat.CIRQ_RESULT_JSON_V1
    later = read_result_envelope(envelope("{}", 1, 9))
    assert later == ProgramResult(compression_format=1, serialization_format=9, serialization="{}")


@pytest.mark.parametrize("name", ENVELOPES)
def test_encode_result_envelope_reproduces_qio_byte_for_byte(name: str) -> None:
    text = fixture(name).rstrip("\n")
    inner = read_result_envelope(text).serialization
    compression = json.loads(text)["compression_format"]

    assert encode_result_envelope(json.loads(inner), compression_format=compression) == text
    assert encode_result_envelope(inner, compression_format=compression) == text


# --- qiskit's presentation of bitstrings ------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "counts", "expected"),
    [
        # No header: hexadecimal becomes binary, unpadded.
        (None, {"0x0": 1, "0x5": 2}, {"0": 1, "101": 2}),
        ({}, {"0x5": 2}, {"101": 2}),
        # memory_slots pads.
        ({"memory_slots": 4}, {"0x0": 1, "0x5": 2}, {"0000": 1, "0101": 2}),
        # A value wider than memory_slots is not cut.
        ({"memory_slots": 2}, {"0x5": 1}, {"101": 1}),
        # creg_sizes without memory_slots neither pads nor splits.
        ({"creg_sizes": [["a", 2], ["b", 2]]}, {"0x5": 1}, {"101": 1}),
        # Registers: the last one leftmost, separated by spaces.
        (
            {"memory_slots": 3, "creg_sizes": [["c0", 2], ["c1", 1]]},
            {"0x4": 4, "0x7": 2, "0x1": 1},
            {"1 00": 4, "1 11": 2, "0 01": 1},
        ),
        (
            {"memory_slots": 6, "creg_sizes": [["a", 1], ["b", 2], ["c", 3]]},
            {"0x2d": 3},
            {"101 10 1": 3},
        ),
        # An empty register gives an empty field between two spaces, as in qiskit.
        (
            {"memory_slots": 3, "creg_sizes": [["a", 1], ["b", 0], ["c", 2]]},
            {"0x5": 1},
            {"10  1": 1},
        ),
        # Registers shorter than memory_slots drop the leftmost bits, as in qiskit.
        ({"memory_slots": 4, "creg_sizes": [["a", 2]]}, {"0xf": 1}, {"11": 1}),
        # Binary keys: "0b" keys are read as numbers; unprefixed keys kept without a header...
        (None, {"0b0101": 1}, {"101": 1}),
        (None, {"01 1": 2, "2": 1}, {"01 1": 2, "2": 1}),
        # ... and reformatted with one.
        ({"memory_slots": 4, "creg_sizes": [["a", 2], ["b", 2]]}, {"1 01": 2}, {"01 01": 2}),
        ({"creg_sizes": [["a", 4]]}, {"0011": 1}, {"11": 1}),
        # Uppercase hexadecimal digits.
        ({"memory_slots": 8}, {"0xFF": 1}, {"11111111": 1}),
    ],
)
def test_counts_are_keyed_as_qiskit_keys_them(
    header: dict[str, Any] | None, counts: dict[str, int], expected: dict[str, int]
) -> None:
    text = json.dumps(document(experiment(counts, header=header)))

    assert result_counts(text) == [expected]


def test_keys_that_format_alike_add_up() -> None:
    doc = document(experiment({"0x3": 2, "0x03": 5}, header={"memory_slots": 2}))

    assert result_counts(doc) == [{"11": 7}]


@pytest.mark.parametrize(
    ("header", "memory", "expected"),
    [
        (None, ["0x0", "0x5"], ["0", "101"]),
        ({"memory_slots": 4}, ["0x5", "0x5", "0x0"], ["0101", "0101", "0000"]),
        (
            {"memory_slots": 3, "creg_sizes": [["c0", 2], ["c1", 1]]},
            ["0x4", "0x7"],
            ["1 00", "1 11"],
        ),
        # Without memory_slots, non-hexadecimal readouts are left alone.
        (None, ["101", "x"], ["101", "x"]),
        ({"creg_sizes": [["a", 4]]}, ["0011"], ["0011"]),
        # With memory_slots, binary readouts are padded.
        ({"memory_slots": 4}, ["11", "0b1"], ["0011", "0001"]),
    ],
)
def test_memory_is_formatted_as_qiskit_formats_it(
    header: dict[str, Any] | None, memory: list[str], expected: list[str]
) -> None:
    text = json.dumps(document(experiment({"0x0": 1}, memory=memory, header=header)))

    assert result_memory(text) == [expected]


def test_several_experiments_each_with_their_header() -> None:
    doc = document(
        experiment({"0x1": 3, "0x2": 1}, header={"memory_slots": 2}),
        experiment({"0x5": 4}, memory=["0x5"] * 4, header={"memory_slots": 4}),
        experiment({"0x1": 4}, header={"memory_slots": 3, "creg_sizes": [["a", 1], ["b", 2]]}),
    )

    for source in (doc, json.dumps(doc), envelope(doc, 1), envelope(doc, 2)):
        assert result_counts(source) == [{"01": 3, "10": 1}, {"0101": 4}, {"00 1": 4}]


def test_an_experiment_without_counts_has_its_memory_tallied() -> None:
    doc = document(experiment(memory=["0x1", "0x3", "0x1"], header={"memory_slots": 2}))

    assert result_counts(doc) == [{"01": 2, "11": 1}]


def test_nested_json_strings_and_numeric_strings() -> None:
    doc = document(experiment({"0x1": "3"}, header={"memory_slots": "2"}, shots="3"))

    assert result_counts(json.dumps(json.dumps(doc))) == [{"01": 3}]
    assert result_counts(envelope(json.dumps(json.dumps(doc)), 1)) == [{"01": 3}]


# --- job results and urls ---------------------------------------------------------------------


def test_must_fetch() -> None:
    assert not must_fetch(JobResult(job_id="j", result='{"results": []}'))
    assert must_fetch(JobResult(job_id="j", result=None, url="https://s3/x"))
    assert must_fetch(JobResult(job_id="j", result="", url="https://s3/x"))
    assert not must_fetch(JobResult(job_id="j"))
    assert not must_fetch(JobResult(job_id="j", result="x", url="https://s3/x"))


def test_results_read_from_a_job_result() -> None:
    job_result = JobResult(job_id="j", result=fixture("result_envelope_zlib.json"))

    assert result_counts(job_result) == [{"1 00": 4, "1 11": 2}]
    with pytest.raises(ValueError, match="fetch that text first"):
        result_counts(JobResult(job_id="j", url="https://s3/x"))
    with pytest.raises(ResponseDecodeError, match="neither result nor url") as caught:
        result_counts(JobResult(job_id="j", result=""))
    assert caught.value.path == "$.result"


# --- errors ------------------------------------------------------------------------------------


def bad_envelope(**fields: Any) -> str:
    base: dict[str, Any] = {
        "compression_format": 1,
        "serialization": json.dumps(document(experiment({"0x1": 1}))),
        "serialization_format": 2,
    }
    base.update(fields)
    return json.dumps(base)


def inside(doc: Any, compression: int = 2) -> str:
    return envelope(doc, compression)


@pytest.mark.parametrize(
    ("text", "path", "match"),
    [
        ("[1]", "$", "object"),
        ("{}", "$", "neither a program-result envelope"),
        ('{"result": "x"}', "$", "neither"),
        (bad_envelope(compression_format=3), "$.compression_format", "unknown compression"),
        (bad_envelope(compression_format=0), "$.compression_format", "unknown compression"),
        (bad_envelope(compression_format="x"), "$.compression_format", "int"),
        (bad_envelope(serialization_format=1), "$.serialization_format", "CIRQ_RESULT_JSON_V1"),
        (bad_envelope(serialization_format=77), "$.serialization_format", "not a Qiskit result"),
        (bad_envelope(serialization=None), "$.serialization", "str"),
        (bad_envelope(compression_format=2, serialization="@@@"), "$.serialization", "base64"),
        (
            bad_envelope(compression_format=2, serialization=base64.b64encode(b"xx").decode()),
            "$.serialization",
            "zlib",
        ),
        (bad_envelope(serialization="{"), "$.serialization", "malformed"),
        (bad_envelope(serialization="[]"), "$.serialization", "object"),
        (inside({"results": {}}), "$.serialization.results", "array"),
        (inside({"success": True}), "$.serialization", "results"),
        (
            inside(document(experiment({"0x1": -1}))),
            "$.serialization.results[0].data.counts[...]",
            ">= 0",
        ),
        (
            inside(document(experiment({"0x1": 1.5}))),
            "$.serialization.results[0].data.counts[...]",
            "int",
        ),
        (json.dumps(document(experiment({"0xZZ": 1}))), "$.results[0].data.counts", "0xZZ"),
        (json.dumps(document(experiment({"0x": 1}))), "$.results[0].data.counts", "readout"),
        (json.dumps(document(experiment({"0b12": 1}))), "$.results[0].data.counts", "readout"),
        (json.dumps(document(experiment({"0x 1": 1}))), "$.results[0].data.counts", "readout"),
        (json.dumps(document(experiment({"0x-1": 1}))), "$.results[0].data.counts", "readout"),
        (
            json.dumps(document(experiment({"12": 1}, header={"memory_slots": 2}))),
            "$.results[0].data.counts",
            "binary",
        ),
        (
            json.dumps(document(experiment({"  ": 1}, header={"memory_slots": 2}))),
            "$.results[0].data.counts",
            "binary",
        ),
        (
            json.dumps(document(experiment({"0x1": 1}, header={"memory_slots": -1}))),
            "$.results[0].header.memory_slots",
            ">= 0",
        ),
        (
            json.dumps(document(experiment({"0x1": 1}, header={"memory_slots": 2**21}))),
            "$.results[0].header.memory_slots",
            "<=",
        ),
        (
            json.dumps(document(experiment({"0x1": 1}, header={"creg_sizes": [["c", 1, 2]]}))),
            "$.results[0].header.creg_sizes[0]",
            "length 2",
        ),
        (
            json.dumps(document(experiment({"0x1": 1}, header={"creg_sizes": [["c", -1]]}))),
            "$.results[0].header.creg_sizes[0][1]",
            ">= 0",
        ),
        (
            json.dumps(document(experiment())),
            "$.results[0].data.counts",
            "neither counts nor memory",
        ),
        (json.dumps(document(experiment({"0x1": 1}), {"data": []})), "$.results[1].data", "object"),
        (
            json.dumps(document(experiment(memory=[[0.1, 0.2]]))),
            "$.results[0].data.memory[0]",
            "str",
        ),
    ],
)
def test_bad_results_name_the_path(text: str, path: str, match: str) -> None:
    with pytest.raises(ResponseDecodeError, match=match) as caught:
        result_counts(text)

    assert caught.value.path == path
    assert not caught.value.malformed or "malformed" in match


@pytest.mark.parametrize(
    ("doc", "path", "match"),
    [
        (document(experiment({"0x1": 1})), "$.results[0].data.memory", "memory=True"),
        (
            document(experiment({"0x1": 1}, memory=["0x1", "0x1", "0x1", "0xzz"], header={})),
            "$.results[0].data.memory[3]",
            "0xzz",
        ),
        (
            document(experiment({"0x1": 1}, memory=["1", "2"], header={"memory_slots": 2})),
            "$.results[0].data.memory[1]",
            "'2'",
        ),
        (
            document(experiment({"0x1": 1}, memory=["0x1"], meas_level=1)),
            "$.results[0].meas_level",
            "meas_level",
        ),
    ],
)
def test_bad_memory_names_the_path(doc: dict[str, Any], path: str, match: str) -> None:
    with pytest.raises(ResponseDecodeError, match=match) as caught:
        result_memory(envelope(doc, 2))

    assert caught.value.path == "$.serialization" + path[1:]
    with pytest.raises(ResponseDecodeError) as caught:
        result_memory(doc)
    assert caught.value.path == path


@pytest.mark.parametrize("text", ["", "{", "nope", b"\xff", '{"results": [', '"{\\"results'])
def test_malformed_results(text: str | bytes) -> None:
    with pytest.raises(ResponseDecodeError) as caught:
        result_counts(text)

    assert caught.value.malformed


def test_result_decompression_is_capped() -> None:
    big = json.dumps(document(experiment({"0x1": 1}, memory=["0x1"] * 10_000)))
    text = envelope(big, 2)

    with pytest.raises(ResponseDecodeError, match="more than 1000 bytes") as caught:
        result_counts(text, max_size=1000)
    assert caught.value.path == "$.serialization"
    assert result_counts(text, max_size=len(big)) == [{"1": 1}]


def test_formatted_output_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_result_keys, "_MAX_FORMATTED_CHARS", 1000)
    counts = {hex(i): 1 for i in range(200)}

    with pytest.raises(ResponseDecodeError, match="too large") as caught:
        result_counts(document(experiment(counts, header={"memory_slots": 64})))
    assert caught.value.path == "$.results[0].data"
    fewer = {hex(i): 1 for i in range(100)}
    assert len(result_counts(document(experiment(fewer, header={"memory_slots": 4})))[0]) == 100


def test_caller_mistakes() -> None:
    with pytest.raises(TypeError):
        result_counts(12)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_size"):
        result_counts("{}", max_size=0)
    result = read_result(document(experiment({"0x1": 1})))
    with pytest.raises(IndexError):
        experiment_counts(result, 1)
    with pytest.raises(TypeError):
        experiment_memory(result, "0")  # type: ignore[arg-type]
    with pytest.raises(ResponseDecodeError, match="not JSON data"):
        result_counts({"results": object()})


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        ((12,), {}, TypeError),
        (("{",), {}, ValueError),
        (({"success": True},), {}, ValueError),
        (({"results": [], "x": float("nan")},), {}, TypeError),
        (({"results": []},), {"compression_format": 5}, ValueError),
    ],
)
def test_encode_result_envelope_rejects_bad_input(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        encode_result_envelope(*args, **kwargs)


# --- speed -------------------------------------------------------------------------------------


def big_result(shots: int, qubits: int, registers: int) -> dict[str, Any]:
    rng = random.Random(5)
    memory = [hex(rng.getrandbits(qubits)) for _ in range(shots)]
    counts: dict[str, int] = {}
    for shot in memory:
        counts[shot] = counts.get(shot, 0) + 1
    size = qubits // registers
    header = {"memory_slots": qubits, "creg_sizes": [[f"c{i}", size] for i in range(registers)]}
    return document(experiment(counts, memory=memory, header=header))


def test_ten_thousand_distinct_shots_decode_fast() -> None:
    text = envelope(big_result(10_000, 20, 4), 2)

    start = time.perf_counter()
    counts = result_counts(text)
    memory = result_memory(text)
    elapsed = time.perf_counter() - start

    assert sum(counts[0].values()) == 10_000
    assert len(memory[0]) == 10_000
    assert all(len(shot) == 23 for shot in memory[0])
    assert elapsed < 2.0


# --- fuzzing: anything garbled raises ResponseDecodeError, nothing else -------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "results",
                    "data",
                    "counts",
                    "memory",
                    "header",
                    "memory_slots",
                    "creg_sizes",
                    "meas_level",
                    "serialization",
                    "compression_format",
                    "serialization_format",
                    "shots",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)

SAMPLES = [fixture(name).encode() for name in [*ENVELOPES, "result_bare.json"]]


def _read_or_decode_error(source: Any) -> None:
    for reader in (result_counts, result_memory, read_result_envelope):
        error: ResponseDecodeError | None = None
        try:
            reader(source)
        except ResponseDecodeError as exc:
            error = exc
        if error is not None:
            assert str(error)
            assert error.path is None or error.path.startswith("$")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_random_documents_only_raise_decode_errors(value: Any) -> None:
    _read_or_decode_error(json.dumps(value))
    if isinstance(value, dict):
        _read_or_decode_error(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    results=st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "data": st.fixed_dictionaries(
                    {},
                    optional={
                        "counts": st.dictionaries(
                            st.text("0x1b9fZ -", max_size=6), json_scalars, max_size=4
                        ),
                        "memory": st.lists(st.text("0x1b9fZ ", max_size=6), max_size=4),
                    },
                ),
                "header": st.fixed_dictionaries(
                    {},
                    optional={
                        "memory_slots": st.integers(min_value=-2, max_value=70) | json_scalars,
                        "creg_sizes": st.lists(
                            st.tuples(st.text(max_size=2), st.integers(min_value=-1, max_value=9)),
                            max_size=4,
                        )
                        | json_values,
                    },
                ),
                "meas_level": st.integers(min_value=0, max_value=3),
            },
        ),
        max_size=3,
    ),
    compression=st.sampled_from([1, 2]),
)
def test_result_shaped_documents_only_raise_decode_errors(
    results: list[dict[str, Any]], compression: int
) -> None:
    doc = {"results": results}
    _read_or_decode_error(json.dumps(doc))
    _read_or_decode_error(envelope(doc, compression))


@settings(max_examples=300, deadline=None)
@given(sample=st.sampled_from(SAMPLES), **GARBLING)
def test_garbled_results_only_raise_decode_errors(
    sample: bytes, position: int, junk: bytes, cut: float
) -> None:
    for data in garbled(sample, position, junk, cut):
        _read_or_decode_error(data)


@settings(max_examples=200, deadline=None)
@given(
    payload=st.binary(max_size=80),
    mode=st.sampled_from(["base64", "zlib", "text"]),
    compression=st.integers(min_value=-1, max_value=4),
    serialization_format=st.integers(min_value=-1, max_value=5),
)
def test_garbled_serializations_only_raise_decode_errors(
    payload: bytes, mode: str, compression: int, serialization_format: int
) -> None:
    if mode == "base64":
        serialization = base64.b64encode(payload).decode()
    elif mode == "zlib":
        serialization = base64.b64encode(zlib.compress(payload)).decode()
    else:
        serialization = payload.decode("latin-1")
    _read_or_decode_error(
        json.dumps(
            {
                "compression_format": compression,
                "serialization": serialization,
                "serialization_format": serialization_format,
            }
        )
    )
