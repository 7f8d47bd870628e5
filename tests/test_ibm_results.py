from __future__ import annotations

import base64
import json
import random
import struct
import subprocess
import sys
import zlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qruntime_async.errors import ResponseDecodeError
from qruntime_async.ibm.results import (
    EstimatorPub,
    EstimatorResult,
    Register,
    SamplerPub,
    SamplerResult,
    _bits,
    decode_result,
    sampler_counts,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ibm_results"

try:
    import numpy  # noqa: F401
except ImportError:
    HAS_NUMPY = False
else:
    HAS_NUMPY = True


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


# --- documents built by hand (no reader of ours involved) -----------------------------------


def npy(
    descr: str,
    shape: tuple[int, ...],
    payload: bytes,
    *,
    version: int = 1,
    fortran: bool = False,
    header: str | None = None,
) -> bytes:
    if header is None:
        header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    prefix = 10 if version == 1 else 12
    header += " " * (-(prefix + len(header) + 1) % 64) + "\n"
    raw = header.encode("utf-8" if version == 3 else "latin-1")
    size = struct.pack("<H", len(raw)) if version == 1 else struct.pack("<I", len(raw))
    return b"\x93NUMPY" + bytes([version, 0]) + size + raw + payload


def ndarray(data: bytes) -> dict[str, Any]:
    return {"__type__": "ndarray", "__value__": base64.b64encode(zlib.compress(data)).decode()}


def packed(values: list[int], num_bits: int) -> bytes:
    width = (num_bits + 7) // 8
    return b"".join(v.to_bytes(width, "big") for v in values)


def bit_array(values: list[int], num_bits: int, shape: tuple[int, ...] = ()) -> dict[str, Any]:
    width = (num_bits + 7) // 8
    positions = 1
    for dim in shape:
        positions *= dim
    shots = len(values) // positions if positions else 0
    array = npy("|u1", (*shape, shots, width), packed(values, num_bits))
    return {"__type__": "BitArray", "__value__": {"array": ndarray(array), "num_bits": num_bits}}


def data_bin(fields: dict[str, Any], shape: list[int] | None = None) -> dict[str, Any]:
    return {
        "__type__": "DataBin",
        "__value__": {"field_names": list(fields), "shape": shape or [], "fields": fields},
    }


def pub(kind: str, fields: dict[str, Any], shape: list[int] | None = None) -> dict[str, Any]:
    return {
        "__type__": kind,
        "__value__": {"data": data_bin(fields, shape), "metadata": {"circuit_metadata": {}}},
    }


def primitive(*pubs: dict[str, Any]) -> dict[str, Any]:
    return {
        "__type__": "PrimitiveResult",
        "__value__": {"pub_results": list(pubs), "metadata": {"version": 2}},
    }


def f64(values: list[float], shape: tuple[int, ...], order: str = "<") -> dict[str, Any]:
    return ndarray(npy(f"{order}f8", shape, struct.pack(f"{order}{len(values)}d", *values)))


def bits(value: int, num_bits: int) -> str:
    return format(value, f"0{num_bits}b") if num_bits else ""


def plain_sampler(**registers: tuple[Sequence[object], int]) -> dict[str, Any]:
    data = {name: {"samples": s, "num_bits": n} for name, (s, n) in registers.items()}
    return {"results": [{"data": data, "metadata": {"circuit_metadata": {}}}], "metadata": {}}


# --- plain JSON sampler results ---------------------------------------------------------------


def test_plain_sampler_register() -> None:
    samples = ["0x3", "0x0", "0x3", "0x1", "0x3"]
    result = decode_result(plain_sampler(c=(samples, 5)))

    assert isinstance(result, SamplerResult)
    assert result.encoding == "plain"
    assert result.metadata == {}
    [only] = result.pubs
    assert isinstance(only, SamplerPub)
    assert only.metadata == {"circuit_metadata": {}}
    assert only.shape == ()
    assert only.num_shots == 5
    register = only.registers["c"]
    assert isinstance(register, Register)
    assert (register.name, register.num_bits, register.num_shots) == ("c", 5, 5)
    assert register.shape == ()
    assert register.bitstrings() == ["00011", "00000", "00011", "00001", "00011"]
    assert register.counts() == {"00011": 3, "00000": 1, "00001": 1}
    assert register.int_counts() == {3: 3, 0: 1, 1: 1}
    assert only.counts() == register.counts()
    assert result.counts() == [register.counts()]
    assert sampler_counts(plain_sampler(c=(samples, 5))) == [register.counts()]


def test_plain_sampler_joins_registers_first_rightmost() -> None:
    doc = plain_sampler(alpha=(["0x1", "0x2", "0x1"], 2), beta=(["0x5", "0x0", "0x5"], 3))
    [only] = decode_result(doc).pubs
    assert isinstance(only, SamplerPub)

    assert list(only.registers) == ["alpha", "beta"]
    assert only.bitstrings() == ["10101", "00010", "10101"]
    assert only.counts() == {"10101": 2, "00010": 1}
    assert only.counts(names=["beta", "alpha"]) == {"01101": 2, "10000": 1}
    assert only.counts(names=["beta"]) == {"101": 2, "000": 1}
    joined = only.join()
    assert joined.num_bits == 5
    assert joined.counts() == only.counts()
    with pytest.raises(ValueError, match="no register named"):
        only.counts(names=["gamma"])
    with pytest.raises(ValueError, match="empty"):
        only.counts(names=[])


def test_plain_sampler_sweep_shape_and_loc() -> None:
    samples = [["0x0", "0x1", "0x1"], ["0x3", "0x3", "0x2"]]
    [only] = decode_result(plain_sampler(meas=(samples, 2))).pubs
    assert isinstance(only, SamplerPub)
    register = only.registers["meas"]

    assert only.shape == (2,)
    assert register.shape == (2,)
    assert register.num_shots == 3
    # No loc merges every position, as BitArray.get_counts() does.
    assert register.counts() == {"00": 1, "01": 2, "11": 2, "10": 1}
    assert register.counts(0) == {"00": 1, "01": 2}
    assert register.counts((1,)) == {"11": 2, "10": 1}
    assert register.counts(-1) == register.counts(1)
    assert register.bitstrings(1) == ["11", "11", "10"]
    assert only.counts(1) == register.counts(1)
    for bad in (2, (0, 0), "0"):
        with pytest.raises(IndexError):
            register.counts(bad)  # type: ignore[arg-type]


def test_plain_sampler_edge_widths() -> None:
    doc = plain_sampler(z=(["0x0", "0x0", "0x0"], 0), w=(["0xFF", "0X1a", "0xff"], 8))
    [only] = decode_result(doc).pubs
    assert isinstance(only, SamplerPub)

    assert only.registers["z"].counts() == {"": 3}
    assert only.registers["z"].bitstrings() == ["", "", ""]
    assert only.registers["w"].counts() == {"11111111": 2, "00011010": 1}
    assert only.counts() == {"11111111": 2, "00011010": 1}
    assert decode_result(plain_sampler(e=([], 4))).pubs[0].counts() == {}  # type: ignore[union-attr]


def test_sampler_guide_outputs() -> None:
    # The first 20 samples the REST guides print for 2-bit registers ("c", then "meas").
    sampler_guide = (
        "0x3 0x0 0x2 0x1 0x0 0x3 0x0 0x3 0x1 0x2 0x2 0x0 0x2 0x0 0x3 0x3 0x2 0x0 0x1 0x0"
    )
    primitives_guide = "0x3 " * 12 + "0x2 " + "0x3 " * 7
    for name, text in (("c", sampler_guide), ("meas", primitives_guide)):
        samples = text.split()
        counts = sampler_counts(plain_sampler(**{name: (samples, 2)}))
        expected = Counter(format(int(s, 16), "02b") for s in samples)
        assert counts == [dict(expected)]


# --- Qiskit-encoded sampler results ---------------------------------------------------------


def reference(values: list[int], num_bits: int) -> dict[str, int]:
    return dict(Counter(bits(v & ((1 << num_bits) - 1), num_bits) for v in values))


@pytest.mark.parametrize("num_bits", [1, 3, 8, 9, 16, 24, 31, 64, 100, 127])
@pytest.mark.parametrize("shots", [1, 7, 300])
def test_qiskit_bit_array_counts_match_a_reference(num_bits: int, shots: int) -> None:
    rng = random.Random(num_bits * 1000 + shots)
    values = [rng.getrandbits(num_bits) for _ in range(shots)]
    [only] = decode_result(
        primitive(pub("SamplerPubResult", {"m": bit_array(values, num_bits)}))
    ).pubs
    assert isinstance(only, SamplerPub)
    register = only.registers["m"]

    assert register.counts() == reference(values, num_bits)
    assert register.bitstrings() == [bits(v, num_bits) for v in values]


def test_repeated_outcomes_take_the_counting_shortcut() -> None:
    values = [0, (1 << 100) - 1] * 600 + [5]
    [only] = decode_result(primitive(pub("SamplerPubResult", {"m": bit_array(values, 100)}))).pubs
    assert isinstance(only, SamplerPub)
    assert only.registers["m"].counts() == reference(values, 100)
    assert only.counts() == reference(values, 100)


def test_stray_bits_above_num_bits_are_ignored() -> None:
    # Bits above num_bits in the first byte are not part of the outcome (BitArray masks them).
    array = npy("|u1", (4, 2), bytes([0xFF, 0xFF, 0xFE, 0x01, 0x01, 0xFF, 0x00, 0x00]))
    value = {"__type__": "BitArray", "__value__": {"array": ndarray(array), "num_bits": 9}}
    [only] = decode_result(primitive(pub("SamplerPubResult", {"m": value}))).pubs
    assert isinstance(only, SamplerPub)
    register = only.registers["m"]

    assert register.bitstrings() == ["111111111", "000000001", "111111111", "000000000"]
    assert register.counts() == {"111111111": 2, "000000001": 1, "000000000": 1}
    other = {"__type__": "BitArray", "__value__": {"array": ndarray(array), "num_bits": 9}}
    again = decode_result(primitive(pub("SamplerPubResult", {"m": other}))).pubs[0]
    assert isinstance(again, SamplerPub)
    assert again.registers["m"] == register


@pytest.mark.parametrize("widths", [(3, 9), (3, 9, 100), (1, 1, 1), (2, 0, 5), (100, 3)])
@pytest.mark.parametrize("shots", [5, 400])
def test_qiskit_joined_counts_match_a_reference(widths: tuple[int, ...], shots: int) -> None:
    rng = random.Random(sum(widths) + shots)
    names = [f"r{i}" for i in range(len(widths))]
    values = {
        n: [rng.getrandbits(w) if w else 0 for _ in range(shots)]
        for n, w in zip(names, widths, strict=True)
    }
    fields = {n: bit_array(values[n], w) for n, w in zip(names, widths, strict=True)}
    [only] = decode_result(primitive(pub("SamplerPubResult", fields))).pubs
    assert isinstance(only, SamplerPub)

    expected = [
        "".join(bits(values[n][i], w) for n, w in reversed(list(zip(names, widths, strict=True))))
        for i in range(shots)
    ]
    assert only.bitstrings() == expected
    assert only.counts() == dict(Counter(expected))
    assert only.join().bitstrings() == expected


def test_qiskit_sweep_loc_and_field_order() -> None:
    values_a = list(range(12))
    values_b = [v % 2 for v in range(12)]
    fields = {"b": bit_array(values_b, 1, (2, 3)), "a": bit_array(values_a, 4, (2, 3))}
    doc = primitive(pub("SamplerPubResult", fields, [2, 3]))
    # field_names keeps the circuit's order even if the fields object was re-keyed.
    doc["__value__"]["pub_results"][0]["__value__"]["data"]["__value__"]["field_names"] = ["a", "b"]
    [only] = decode_result(doc).pubs
    assert isinstance(only, SamplerPub)

    assert list(only.registers) == ["a", "b"]
    assert only.shape == (2, 3)
    assert only.num_shots == 2
    assert only.registers["a"].counts((1, 2)) == {"1010": 1, "1011": 1}
    assert only.counts((1, 2)) == {"01010": 1, "11011": 1}
    assert only.counts() == dict(
        Counter(f"{b}{a:04b}" for a, b in zip(values_a, values_b, strict=True))
    )


def test_bit_array_given_as_a_plain_list() -> None:
    value = {
        "__type__": "BitArray",
        "__value__": {
            "array": {"__type__": "ndarray", "__value__": [[1], [3], [3]]},
            "num_bits": 2,
        },
    }
    [only] = decode_result(primitive(pub("SamplerPubResult", {"c": value}))).pubs
    assert isinstance(only, SamplerPub)
    assert only.counts() == {"01": 1, "11": 2}


def test_runtime_encoder_sampler_fixture() -> None:
    result = decode_result(fixture("sampler_runtime_encoder.json"))
    expected = fixture("sampler_runtime_encoder.expected.json")

    assert isinstance(result, SamplerResult)
    assert result.encoding == "qiskit"
    assert result.metadata == {"version": 2}
    for decoded, wanted in zip(result.pubs, expected["pubs"], strict=True):
        assert list(decoded.registers) == list(wanted["registers"])
        assert decoded.shape == tuple(wanted["shape"])
        for name, reg in wanted["registers"].items():
            register = decoded.registers[name]
            assert register.counts() == reg["counts"]
            assert register.bitstrings() == reg["bitstrings"]
            assert (register.num_bits, register.num_shots) == (reg["num_bits"], reg["num_shots"])
        assert decoded.counts() == wanted["joined_counts"]
    for loc, counts in expected["loc_counts"].items():
        assert result.pubs[1].registers["meas"].counts(int(loc)) == counts
    assert sampler_counts(fixture("sampler_runtime_encoder.json")) == [
        p["joined_counts"] for p in expected["pubs"]
    ]


def test_json_text_and_bytes_are_parsed() -> None:
    text = (FIXTURES / "sampler_runtime_encoder.json").read_text()
    assert decode_result(text) == decode_result(text.encode())
    with pytest.raises(ResponseDecodeError) as caught:
        decode_result(b'{"results": [')
    assert caught.value.malformed


# --- .npy variants --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("descr", "code", "values"),
    [
        ("<f8", "<d", [0.5, -1.25, 3.0, 1e-300]),
        (">f8", ">d", [0.5, -1.25, 3.0, 1e300]),
        ("<f4", "<f", [0.5, -1.25, 3.0, 8.0]),
        (">f4", ">f", [0.5, -1.25, 3.0, 8.0]),
        ("<f2", "<e", [0.5, -1.25, 3.0, 8.0]),
        ("<i8", "<q", [1, -2, 3, -(2**62)]),
        (">i4", ">i", [1, -2, 3, 2**30]),
        ("|i1", "<b", [1, -2, 3, -128]),
        ("<u2", "<H", [1, 2, 3, 65535]),
        ("|b1", "<?", [True, False, True, True]),
    ],
)
@pytest.mark.parametrize("version", [1, 2, 3])
def test_estimator_arrays_of_every_dtype(
    descr: str, code: str, values: list[Any], version: int
) -> None:
    payload = struct.pack(f"{code[0]}4{code[1]}", *values)
    array = ndarray(npy(descr, (2, 2), payload, version=version))
    doc = primitive(pub("PubResult", {"evs": array, "stds": array}, [2]))
    [only] = decode_result(doc).pubs
    assert isinstance(only, EstimatorPub)
    assert only.evs == [values[:2], values[2:]]
    assert only.fields["stds"] == only.evs


def test_complex_and_fortran_order_arrays() -> None:
    values = [complex(1, 2), complex(-3, 0.5)]
    payload = struct.pack("<4d", 1, 2, -3, 0.5)
    fortran = npy("<f8", (2, 3), struct.pack("<6d", 0, 3, 1, 4, 2, 5), fortran=True)
    fields = {
        "evs": ndarray(fortran),
        "iq": ndarray(npy("<c16", (2,), payload)),
        "z": {"__type__": "complex", "__value__": [0.0, 1.0]},
    }
    [only] = decode_result(primitive(pub("PubResult", fields, []))).pubs
    assert isinstance(only, EstimatorPub)
    assert only.evs == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert only.fields["iq"] == values
    assert only.fields["z"] == 1j
    assert only.stds is None
    assert only.shape == ()


def fortran_bytes(values: list[int], shape: tuple[int, ...]) -> bytes:
    # Column-major layout of a C-order list of byte values, computed index by index.
    c_strides = [1] * len(shape)
    for axis in range(len(shape) - 2, -1, -1):
        c_strides[axis] = c_strides[axis + 1] * shape[axis + 1]
    order = sorted(
        range(len(values)),
        key=lambda i: [(i // c_strides[a]) % shape[a] for a in reversed(range(len(shape)))],
    )
    return bytes(values[i] for i in order)


@pytest.mark.parametrize("shape", [(2, 3, 4), (4, 3, 2), (5, 1, 3), (1, 6), (3, 2, 1, 2)])
def test_fortran_order_byte_arrays(shape: tuple[int, ...]) -> None:
    count = 1
    for dim in shape:
        count *= dim
    values = list(range(count))
    fields = {"evs": ndarray(npy("|u1", shape, fortran_bytes(values, shape), fortran=True))}
    [only] = decode_result(primitive(pub("PubResult", fields))).pubs
    assert isinstance(only, EstimatorPub)
    flat: list[Any] = only.evs  # type: ignore[assignment]
    for _ in shape[1:]:
        flat = [item for row in flat for item in row]
    assert flat == values


def test_fortran_order_bit_array() -> None:
    shots = [0b101010101, 0b1, 0b111000111, 0b0]
    c_order = list(packed(shots, 9))
    array = npy("|u1", (4, 2), fortran_bytes(c_order, (4, 2)), fortran=True)
    value = {"__type__": "BitArray", "__value__": {"array": ndarray(array), "num_bits": 9}}
    [only] = decode_result(primitive(pub("SamplerPubResult", {"m": value}))).pubs
    assert isinstance(only, SamplerPub)
    assert only.registers["m"].bitstrings() == [bits(v, 9) for v in shots]


def test_fragmented_fortran_arrays_are_refused() -> None:
    shape = (2, 3_000_000, 2)
    fields = {"evs": ndarray(npy("|u1", shape, bytes(12_000_000), fortran=True))}
    with pytest.raises(ResponseDecodeError, match="too fragmented"):
        decode_result(primitive(pub("PubResult", fields)))


# --- estimator results ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "evs", "stds", "ese", "shots"),
    [
        (
            "estimator_rest_api_guide.json",
            0.7428980350102542,
            0.029884014518789213,
            0.03261147170624149,
            10016,
        ),
        (
            "primitives_rest_api_guide_estimator.json",
            -0.9374102500618965,
            0.030982815700848845,
            0.03686001673650654,
            4096,
        ),
    ],
)
def test_estimator_guide_examples(
    name: str, evs: float, stds: float, ese: float, shots: int
) -> None:
    # The guides print only res_dict["results"]; the fixture wraps it as the document.
    result = decode_result(fixture(name))

    assert isinstance(result, EstimatorResult)
    assert result.encoding == "plain"
    [only] = result.pubs
    assert (only.evs, only.stds, only.ensemble_standard_error) == (evs, stds, ese)
    assert only.shape == ()
    assert only.metadata["shots"] == shots
    assert only.metadata["num_randomizations"] == 32
    with pytest.raises(ResponseDecodeError, match="estimator result"):
        sampler_counts(fixture(name))


def test_plain_estimator_arrays() -> None:
    doc = {
        "results": [
            {"data": {"evs": [[1, 0.5], [0.25, -1]], "stds": [[0.1, 0.1], [0.2, 0.2]]}},
            {"data": {"evs": [], "stds": []}, "metadata": None},
        ],
        "metadata": {"version": 2},
    }
    result = decode_result(doc)
    assert isinstance(result, EstimatorResult)
    first, second = result.pubs

    assert first.evs == [[1.0, 0.5], [0.25, -1.0]]
    assert all(isinstance(v, float) for row in first.evs for v in row)
    assert first.stds == [[0.1, 0.1], [0.2, 0.2]]
    assert first.shape == (2, 2)
    assert first.ensemble_standard_error is None
    assert first.metadata == {}
    assert second.evs == []
    assert second.shape == (0,)
    assert result.metadata == {"version": 2}


def test_runtime_encoder_estimator_fixture() -> None:
    result = decode_result(fixture("estimator_runtime_encoder.json"))
    expected = fixture("estimator_runtime_encoder.expected.json")

    assert isinstance(result, EstimatorResult)
    for decoded, wanted in zip(result.pubs, expected["pubs"], strict=True):
        assert decoded.evs == wanted["evs"]
        assert decoded.stds == wanted["stds"]
        assert decoded.shape == tuple(wanted["shape"])
        assert decoded.metadata == wanted["metadata"]


@pytest.mark.skipif(HAS_NUMPY, reason="checks the behaviour without NumPy")
def test_to_numpy_without_numpy_says_so() -> None:
    result = decode_result(fixture("estimator_runtime_encoder.json"))
    assert isinstance(result, EstimatorResult)
    with pytest.raises(ModuleNotFoundError, match="NumPy"):
        result.pubs[0].to_numpy()
    sampler = decode_result(fixture("sampler_runtime_encoder.json"))
    assert isinstance(sampler, SamplerResult)
    with pytest.raises(ModuleNotFoundError, match="NumPy"):
        sampler.pubs[0].registers["alpha"].to_numpy()


def test_numpy_is_never_imported_by_decoding() -> None:
    code = (
        "import sys, json, pathlib\n"
        "from qruntime_async.ibm.results import decode_result, sampler_counts\n"
        f"base = pathlib.Path({str(FIXTURES)!r})\n"
        "for name in ('sampler_runtime_encoder.json', 'estimator_runtime_encoder.json'):\n"
        "    result = decode_result(json.loads((base / name).read_text()))\n"
        "    [p.fields if hasattr(p, 'fields') else p.counts() for p in result.pubs]\n"
        "sampler_counts(json.loads((base / 'sampler_runtime_encoder.json').read_text()))\n"
        "assert 'numpy' not in sys.modules, 'numpy was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_to_numpy_unknown_field() -> None:
    [only] = decode_result(fixture("estimator_rest_api_guide.json")).pubs
    assert isinstance(only, EstimatorPub)
    with pytest.raises(KeyError, match="nope"):
        only.to_numpy("nope")


# --- sampler_counts on older shapes ---------------------------------------------------------


def test_sampler_counts_older_shapes() -> None:
    per_register = {
        "results": [
            {"data": {"meas": {"counts": {"00": 510, "11": 514}}}, "metadata": {}},
            {"data": {"alpha": {"counts": {"1": 3}}, "meas": {"counts": {"0": 3}}}},
            {"data": {"c": {"counts": {"0": 1000, "1": "24", "x": 2.0}}}},
            {"data": {"counts": {"0x1": 5}}},
        ],
    }
    assert sampler_counts(per_register) == [
        {"00": 510, "11": 514},
        {"0": 3},
        {"0": 1000, "1": 24, "x": 2},
        {"0x1": 5},
    ]
    wrapped = primitive(pub("SamplerPubResult", {"meas": {"counts": {"01": 7}}}))
    assert sampler_counts(wrapped) == [{"01": 7}]
    assert sampler_counts({"counts": [{"0x0": 5, "0x3": 11}, {"0x1": 16}]}) == [
        {"0x0": 5, "0x3": 11},
        {"0x1": 16},
    ]
    quasi = {
        "quasi_dists": [{"0": 0.25, "3": 0.75}, {"1": 1.0, "2": -0.01, "3": 0.0001}],
        "metadata": [{"shots": 1000}, {"shots": 10}],
    }
    assert sampler_counts(quasi) == [{"0": 250, "3": 750}, {"1": 10}]
    with pytest.raises(ResponseDecodeError, match="sampler_counts"):
        decode_result(per_register)


# --- errors name the JSON path ----------------------------------------------------------------


def sampler_doc(samples: Any, num_bits: Any = 2) -> dict[str, Any]:
    return {"results": [{"data": {"meas": {"samples": samples, "num_bits": num_bits}}}]}


def with_field(value: Any, kind: str = "SamplerPubResult") -> dict[str, Any]:
    return primitive(pub(kind, {"m": value}))


def raw_ndarray(text: str) -> dict[str, Any]:
    return {
        "__type__": "BitArray",
        "__value__": {"array": {"__type__": "ndarray", "__value__": text}, "num_bits": 2},
    }


def bit_npy(data: bytes) -> dict[str, Any]:
    return {"__type__": "BitArray", "__value__": {"array": ndarray(data), "num_bits": 2}}


FIELD = "$.__value__.pub_results[0].__value__.data.__value__.fields.m"
ARRAY = f"{FIELD}.__value__.array.__value__"
GOOD_BITS = npy("|u1", (2, 1), b"\x01\x02")

ERROR_CASES: list[tuple[str, Any, str, str]] = [
    (
        "not hex",
        sampler_doc(["0x1", "0x2", "0x3", "3"]),
        "$.results[0].data.meas.samples[3]",
        "not a hex string",
    ),
    (
        "hex comma",
        sampler_doc(["0x1", "0x1,0x2"]),
        "$.results[0].data.meas.samples[1]",
        "not a hex string",
    ),
    (
        "hex junk",
        sampler_doc(["0x1", "0xg"]),
        "$.results[0].data.meas.samples[1]",
        "not a hex string",
    ),
    ("hex spaces", sampler_doc(["0x 1"]), "$.results[0].data.meas.samples[0]", "not a hex string"),
    (
        "hex underscore",
        sampler_doc(["0x1_1"]),
        "$.results[0].data.meas.samples[0]",
        "not a hex string",
    ),
    (
        "hex unicode digit",
        sampler_doc(["0x\u0663"]),
        "$.results[0].data.meas.samples[0]",
        "not a hex string",
    ),
    ("bare 0x", sampler_doc(["0x"]), "$.results[0].data.meas.samples[0]", "not a hex string"),
    (
        "sample not text",
        sampler_doc(["0x1", 3]),
        "$.results[0].data.meas.samples[1]",
        "expected a hex string",
    ),
    ("sample too wide", sampler_doc(["0x4"]), "$.results[0].data.meas.samples[0]", "does not fit"),
    (
        "nested sample path",
        sampler_doc([["0x1"], ["0x9"]]),
        "$.results[0].data.meas.samples[1][0]",
        "does not fit",
    ),
    (
        "ragged samples",
        sampler_doc([["0x1"], ["0x1", "0x2"]]),
        "$.results[0].data.meas.samples[1]",
        "ragged",
    ),
    ("ragged depth", sampler_doc(["0x1", ["0x1"]]), "$.results[0].data.meas.samples[1]", "ragged"),
    ("samples not list", sampler_doc("0x1"), "$.results[0].data.meas.samples", "expected a list"),
    (
        "num_bits bool",
        sampler_doc(["0x1"], True),
        "$.results[0].data.meas.num_bits",
        "non-negative integer",
    ),
    (
        "num_bits negative",
        sampler_doc(["0x1"], -1),
        "$.results[0].data.meas.num_bits",
        "non-negative integer",
    ),
    (
        "num_bits missing",
        {"results": [{"data": {"meas": {"samples": []}}}]},
        "$.results[0].data.meas",
        "missing num_bits",
    ),
    (
        "samples missing",
        {"results": [{"data": {"meas": {"num_bits": 1}}}]},
        "$.results[0].data.meas",
        "missing samples",
    ),
    (
        "register not object",
        {"results": [{"data": {"meas": [1]}}]},
        "$.results[0].data.meas",
        "expected an object",
    ),
    (
        "odd register name",
        {"results": [{"data": {"a b": 1}}]},
        '$.results[0].data["a b"]',
        "expected an object",
    ),
    ("data missing", {"results": [{"metadata": {}}]}, "$.results[0]", "missing data"),
    ("data empty", {"results": [{"data": {}}]}, "$.results[0].data", "no registers"),
    ("pub not object", {"results": [3]}, "$.results[0]", "expected an object"),
    ("results not list", {"results": {}}, "$.results", "expected a list"),
    ("no pubs", {"results": []}, "$.results", "no pub results"),
    ("metadata not object", {"results": [], "metadata": 3}, "$.metadata", "expected an object"),
    (
        "pub metadata",
        {"results": [{"data": {"evs": 1}, "metadata": []}]},
        "$.results[0].metadata",
        "expected an object",
    ),
    ("unknown document", {"values": [1]}, "$", "neither"),
    ("not a document", [1, 2], "$", "neither"),
    (
        "unknown top type",
        {"__type__": "Result", "__value__": {}},
        "$.__type__",
        "unexpected type 'Result'",
    ),
    ("missing __value__", {"__type__": "PrimitiveResult"}, "$", "missing __value__"),
    (
        "pub_results missing",
        {"__type__": "PrimitiveResult", "__value__": {}},
        "$.__value__.pub_results",
        "expected a list",
    ),
    (
        "unknown pub type",
        primitive({"__type__": "NoiseLearnerResult", "__value__": {}}),
        "$.__value__.pub_results[0].__type__",
        "unexpected type",
    ),
    (
        "pub type not text",
        primitive({"__type__": 7, "__value__": {}}),
        "$.__value__.pub_results[0].__type__",
        "unexpected type",
    ),
    (
        "data not DataBin",
        primitive({"__type__": "PubResult", "__value__": {"data": {"evs": 1}}}),
        "$.__value__.pub_results[0].__value__.data",
        "expected a DataBin",
    ),
    (
        "unknown field type",
        with_field({"__type__": "Mystery", "__value__": 1}, "PubResult"),
        FIELD + ".__type__",
        "unexpected type 'Mystery'",
    ),
    ("sampler non-bits", with_field(f64([1.0], (1,))), FIELD, "expected a BitArray"),
    (
        "DataBin shape",
        {
            "__type__": "PrimitiveResult",
            "__value__": {
                "pub_results": [
                    {
                        "__type__": "PubResult",
                        "__value__": {
                            "data": {
                                "__type__": "DataBin",
                                "__value__": {"fields": {"evs": 1.0}, "shape": [-1]},
                            }
                        },
                    }
                ]
            },
        },
        "$.__value__.pub_results[0].__value__.data.__value__.shape[0]",
        "non-negative",
    ),
    (
        "no fields",
        primitive(pub("PubResult", {})),
        "$.__value__.pub_results[0].__value__.data.__value__.fields",
        "no data fields",
    ),
    ("base64", with_field(raw_ndarray("!!!")), ARRAY, "not valid base64"),
    (
        "not zlib",
        with_field(raw_ndarray(base64.b64encode(b"plain bytes").decode())),
        ARRAY,
        "not valid zlib",
    ),
    (
        "cut zlib",
        with_field(raw_ndarray(base64.b64encode(zlib.compress(GOOD_BITS)[:-6]).decode())),
        ARRAY,
        "cut short",
    ),
    (
        "zlib trailer",
        with_field(raw_ndarray(base64.b64encode(zlib.compress(GOOD_BITS) + b"xx").decode())),
        ARRAY,
        "after the zlib stream",
    ),
    ("bad magic", with_field(bit_npy(b"\x93NUMPZ\x01\x00" + GOOD_BITS[8:])), ARRAY, "bad magic"),
    (
        "npy version",
        with_field(bit_npy(b"\x93NUMPY\x09\x00" + GOOD_BITS[8:])),
        ARRAY,
        "format version 9",
    ),
    ("header cut", with_field(bit_npy(GOOD_BITS[:30])), ARRAY, "cut short"),
    (
        "header junk",
        with_field(bit_npy(npy("", (), b"", header="{'descr': __import__('os')}"))),
        ARRAY,
        "not a Python literal",
    ),
    (
        "header keys",
        with_field(bit_npy(npy("", (), b"", header="{'descr': '|u1', 'shape': (1, 1)}"))),
        ARRAY,
        "exactly descr",
    ),
    ("object dtype", with_field(bit_npy(npy("|O", (1, 1), b"x"))), ARRAY, "unsupported dtype"),
    ("text dtype", with_field(bit_npy(npy("<U1", (1, 1), b"xxxx"))), ARRAY, "unsupported dtype"),
    (
        "orderless wide dtype",
        with_field(bit_npy(npy("|f8", (1,), bytes(8)))),
        ARRAY,
        "lacks a byte order",
    ),
    (
        "fortran flag",
        with_field(
            bit_npy(
                npy("", (), b"", header="{'descr': '|u1', 'fortran_order': 0, 'shape': (1, 1)}")
            )
        ),
        ARRAY,
        "fortran_order",
    ),
    (
        "shape bool",
        with_field(
            bit_npy(
                npy(
                    "",
                    (),
                    b"",
                    header="{'descr': '|u1', 'fortran_order': False, 'shape': (True, 1)}",
                )
            )
        ),
        ARRAY,
        "bad shape",
    ),
    ("too many dims", with_field(bit_npy(npy("|u1", (1,) * 40, b"\x01"))), ARRAY, "dimensions"),
    ("data length", with_field(bit_npy(npy("|u1", (2, 1), b"\x01"))), ARRAY, "data bytes"),
    ("empty but huge", with_field(bit_npy(npy("|u1", (10**9, 10**9, 0), b""))), ARRAY, "too large"),
    (
        "bits dtype",
        with_field(bit_npy(npy("<f8", (1, 1), bytes(8)))),
        f"{FIELD}.__value__.array",
        "uint8",
    ),
    (
        "bits width",
        with_field(bit_npy(npy("|u1", (1, 2), b"\x00\x00"))),
        f"{FIELD}.__value__.array",
        "needs 1",
    ),
    (
        "bits axes",
        with_field(bit_npy(npy("|u1", (2,), b"\x00\x00"))),
        f"{FIELD}.__value__.array",
        "two axes",
    ),
    (
        "bits list range",
        with_field(
            {
                "__type__": "BitArray",
                "__value__": {
                    "array": {"__type__": "ndarray", "__value__": [[1], [256]]},
                    "num_bits": 2,
                },
            }
        ),
        f"{FIELD}.__value__.array.__value__[1][0]",
        "0-255",
    ),
    (
        "bits fields missing",
        with_field({"__type__": "BitArray", "__value__": {"num_bits": 2}}),
        f"{FIELD}.__value__",
        "expected array and num_bits",
    ),
    (
        "register shots differ",
        primitive(pub("SamplerPubResult", {"a": bit_array([1, 2], 2), "b": bit_array([1], 2)})),
        "$.__value__.pub_results[0].__value__.data.__value__.fields",
        "differ",
    ),
    (
        "register shape vs bin",
        primitive(pub("SamplerPubResult", {"a": bit_array([1, 2], 2, (2,))}, [3])),
        "$.__value__.pub_results[0].__value__.data.__value__.fields",
        "does not lead",
    ),
    (
        "mixed fields",
        primitive(pub("PubResult", {"a": bit_array([1], 2), "evs": 1.0})),
        "$.__value__.pub_results[0].__value__.data.__value__.fields",
        "mixes",
    ),
    (
        "mixed pubs",
        {"results": [{"data": {"evs": 1.0}}, {"data": {"c": {"samples": [], "num_bits": 1}}}]},
        "$.results",
        "mixes sampler and estimator",
    ),
    (
        "no evs",
        primitive(pub("PubResult", {"stds": 1.0})),
        "$.__value__.pub_results[0].__value__.data.__value__.fields",
        "without evs",
    ),
    (
        "evs text",
        {"results": [{"data": {"evs": [1.0, "x"]}}]},
        "$.results[0].data.evs[1]",
        "expected a number",
    ),
    (
        "evs bool",
        {"results": [{"data": {"evs": True}}]},
        "$.results[0].data.evs",
        "expected a number",
    ),
    (
        "evs too big",
        {"results": [{"data": {"evs": 10**400}}]},
        "$.results[0].data.evs",
        "too large",
    ),
    (
        "stds shape",
        {"results": [{"data": {"evs": [1.0, 2.0], "stds": [1.0]}}]},
        "$.results[0].data.stds",
        "does not lead",
    ),
    (
        "complex parts",
        with_field({"__type__": "complex", "__value__": [1.0]}, "PubResult"),
        FIELD + ".__value__",
        "real, imaginary",
    ),
    (
        "legacy count",
        {"results": [{"data": {"c": {"counts": {"0": "many"}}}}]},
        '$.results[0].data.c.counts["0"]',
        "non-negative integer",
    ),
    ("legacy fraction", {"counts": [{"0": 0.25}]}, '$.counts[0]["0"]', "non-negative integer"),
    ("legacy list", {"counts": {}}, "$.counts", "expected a list"),
    ("quasi shots", {"quasi_dists": [{"0": 1.0}]}, "$.metadata", "shots"),
    (
        "quasi prob",
        {"quasi_dists": [{"0": "x"}], "metadata": [{"shots": 3}]},
        '$.quasi_dists[0]["0"]',
        "probability",
    ),
    (
        "quasi inf",
        {"quasi_dists": [{"0": 1e308}], "metadata": [{"shots": 10}]},
        '$.quasi_dists[0]["0"]',
        "finite",
    ),
]


@pytest.mark.parametrize(
    ("name", "document", "path", "message"), ERROR_CASES, ids=[case[0] for case in ERROR_CASES]
)
def test_errors_name_the_path(name: str, document: Any, path: str, message: str) -> None:
    # The older shapes are only read by sampler_counts.
    use = sampler_counts if name.startswith(("legacy", "quasi")) else decode_result
    with pytest.raises(ResponseDecodeError) as caught:
        use(document)
    error = caught.value
    assert error.path == path
    assert error.message.startswith(f"{path}: ")
    assert message in error.message
    assert error.expected in ("SamplerResult | EstimatorResult", "SamplerResult")
    assert path in str(error)


def test_zlib_bomb_is_refused() -> None:
    bomb = npy("|u1", (1 << 22, 1), bytes(1 << 22))
    doc = with_field({"__type__": "BitArray", "__value__": {"array": ndarray(bomb), "num_bits": 8}})
    with pytest.raises(ResponseDecodeError, match="limit") as caught:
        decode_result(doc, max_array_bytes=1 << 20)
    assert caught.value.path == ARRAY
    [only] = decode_result(doc, max_array_bytes=1 << 23).pubs
    assert only.counts() == {"00000000": 1 << 22}  # type: ignore[union-attr]


def test_the_budget_covers_the_whole_document() -> None:
    one = bit_array(list(range(200)), 8)
    doc = primitive(pub("SamplerPubResult", {"a": one}), pub("SamplerPubResult", {"a": one}))
    decode_result(doc, max_array_bytes=800)
    with pytest.raises(ResponseDecodeError, match="limit"):
        decode_result(doc, max_array_bytes=400)
    with pytest.raises(ResponseDecodeError, match="limit"):
        decode_result(sampler_doc(["0x1"] * 100, 10**7), max_array_bytes=1 << 20)


def test_estimator_pub_in_sampler_counts_names_it() -> None:
    doc = {
        "results": [{"data": {"c": {"samples": ["0x1"], "num_bits": 1}}}, {"data": {"evs": 1.0}}]
    }
    with pytest.raises(ResponseDecodeError) as caught:
        sampler_counts(doc)
    assert caught.value.path == "$.results[1]"
    assert caught.value.expected == "SamplerResult"


# --- fuzzing: only ResponseDecodeError, always with a path ----------------------------------


def _valid_documents() -> list[Any]:
    docs: list[Any] = [
        fixture("sampler_runtime_encoder.json"),
        fixture("estimator_runtime_encoder.json"),
        fixture("estimator_rest_api_guide.json"),
        plain_sampler(a=(["0x1", "0x3"], 2), b=(["0x0", "0x7"], 3)),
        primitive(pub("SamplerPubResult", {"m": bit_array([1, 2, 3], 9)})),
        primitive(pub("PubResult", {"evs": f64([1.0, 2.0], (2,), ">"), "stds": [0.1, 0.2]}, [2])),
        {"results": [{"data": {"meas": {"counts": {"0": 1}}}}]},
        {"quasi_dists": [{"0": 1.0}], "metadata": [{"shots": 4}]},
        {"counts": [{"0": 1}]},
    ]
    return docs


VALID = _valid_documents()

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        ["0x1", "0xffff", "eJw=", "PrimitiveResult", "BitArray", "ndarray", "DataBin"]
    )
)
json_values = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "__type__",
                    "__value__",
                    "results",
                    "pub_results",
                    "data",
                    "fields",
                    "shape",
                    "samples",
                    "num_bits",
                    "array",
                    "evs",
                    "counts",
                    "metadata",
                ]
            )
            | st.text(max_size=4),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


def _check(document: Any) -> None:
    for decoder in (decode_result, sampler_counts):
        error: ResponseDecodeError | None = None
        try:
            decoder(document)
        except ResponseDecodeError as exc:
            error = exc
        if error is not None:
            # A path means one of our checks fired, not the catch-all safety net.
            assert error.path is not None, error.message
            assert str(error)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [path] + [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [path] + [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: _replace(v, rest, new) if k == head else v for k, v in value.items()}
    return [_replace(v, rest, new) if i == head else v for i, v in enumerate(value)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=json_values)
def test_random_documents_only_raise_decode_errors(document: Any) -> None:
    _check(document)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(VALID), data=st.data(), replacement=json_values)
def test_garbled_documents_only_raise_decode_errors(
    base: Any, data: st.DataObject, replacement: Any
) -> None:
    path = data.draw(st.sampled_from(_leaves(base)))
    _check(_replace(base, path, replacement))


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from([GOOD_BITS, npy("<f8", (2,), struct.pack("<2d", 1.0, 2.0), version=2)]),
    position=st.integers(min_value=0),
    junk=st.binary(min_size=1, max_size=6),
    kind=st.sampled_from(["SamplerPubResult", "PubResult"]),
)
def test_garbled_npy_bytes_only_raise_decode_errors(
    base: bytes, position: int, junk: bytes, kind: str
) -> None:
    index = position % len(base)
    garbled = base[:index] + junk + base[index + len(junk) :]
    for value in (bit_npy(garbled), ndarray(garbled)):
        _check(with_field(value, kind))
        _check(primitive(pub(kind, {"evs": value})))


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=40) | st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode())
)
def test_garbled_base64_only_raises_decode_errors(text: str) -> None:
    _check(with_field(raw_ndarray(text)))


@settings(max_examples=200, deadline=None)
@given(
    num_bits=st.integers(min_value=0, max_value=140),
    shots=st.integers(min_value=0, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_counts_agree_between_encodings(num_bits: int, shots: int, seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.getrandbits(num_bits) if num_bits else 0 for _ in range(shots)]
    plain = plain_sampler(m=([hex(v) for v in values], num_bits))
    encoded = primitive(pub("SamplerPubResult", {"m": bit_array(values, num_bits)}))
    expected = reference(values, num_bits) if shots else {}
    assert sampler_counts(plain) == sampler_counts(encoded) == [expected]
    plain_pub = decode_result(plain).pubs[0]
    encoded_pub = decode_result(encoded).pubs[0]
    assert isinstance(plain_pub, SamplerPub)
    assert isinstance(encoded_pub, SamplerPub)
    assert plain_pub.registers["m"] == encoded_pub.registers["m"]


def test_bitstrings_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_bits, "_CHUNK_BYTES", 5)
    rng = random.Random(5)
    values = [rng.getrandbits(13) for _ in range(50)]
    [only] = decode_result(primitive(pub("SamplerPubResult", {"m": bit_array(values, 13)}))).pubs
    assert isinstance(only, SamplerPub)
    assert only.registers["m"].bitstrings() == [bits(v, 13) for v in values]
