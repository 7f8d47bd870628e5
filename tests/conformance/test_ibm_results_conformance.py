"""Our result decoder against Qiskit's own containers and qiskit-ibm-runtime's encoder.

Skipped unless qiskit, qiskit-ibm-runtime and NumPy are installed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("qiskit")
runtime = pytest.importorskip("qiskit_ibm_runtime")

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister  # noqa: E402
from qiskit.circuit import Parameter  # noqa: E402
from qiskit.primitives import (  # noqa: E402
    BitArray,
    DataBin,
    PrimitiveResult,
    PubResult,
    SamplerPubResult,
    StatevectorEstimator,
    StatevectorSampler,
)
from qiskit.quantum_info import SparsePauliOp  # noqa: E402

from qruntime_async.ibm.results import (  # noqa: E402
    EstimatorPub,
    EstimatorResult,
    SamplerPub,
    SamplerResult,
    decode_result,
    sampler_counts,
)

RuntimeEncoder = runtime.RuntimeEncoder
RuntimeDecoder = runtime.RuntimeDecoder


def encode(result: Any) -> Any:
    return json.loads(json.dumps(result, cls=RuntimeEncoder))


def random_bit_array(rng: Any, shape: tuple[int, ...], shots: int, num_bits: int) -> Any:
    # Full random bytes: stray bits above num_bits are set too, as BitArray tolerates.
    width = (num_bits + 7) // 8
    return BitArray(rng.integers(0, 256, size=(*shape, shots, width), dtype=np.uint8), num_bits)


def sampler_pub(decoded: Any, index: int) -> SamplerPub:
    assert isinstance(decoded, SamplerResult)
    return decoded.pubs[index]


def check_register(ours: Any, theirs: Any) -> None:
    assert ours.num_bits == theirs.num_bits
    assert ours.num_shots == theirs.num_shots
    assert ours.shape == theirs.shape
    assert ours.counts() == theirs.get_counts()
    assert ours.int_counts() == theirs.get_int_counts()
    assert ours.bitstrings() == theirs.get_bitstrings()
    for loc in np.ndindex(theirs.shape):
        if loc:
            assert ours.counts(loc) == theirs.get_counts(loc)
            assert ours.bitstrings(loc) == theirs.get_bitstrings(loc)
    array = ours.to_numpy()
    assert array.dtype == np.uint8
    np.testing.assert_array_equal(array, theirs.array)


@pytest.mark.parametrize("shape", [(), (2,), (2, 3)])
@pytest.mark.parametrize("widths", [(3,), (3, 9), (3, 9, 100), (100, 1, 8, 16, 64, 127)])
def test_random_bit_arrays(shape: tuple[int, ...], widths: tuple[int, ...]) -> None:
    rng = np.random.default_rng(sum(widths) * 10 + len(shape))
    shots = int(rng.integers(1, 300))
    registers = {f"c{i}": random_bit_array(rng, shape, shots, w) for i, w in enumerate(widths)}
    theirs = SamplerPubResult(DataBin(shape=shape, **registers), metadata={"shots": shots})
    result = PrimitiveResult([theirs], metadata={"version": 2})
    document = encode(result)

    decoded = decode_result(document)
    ours = sampler_pub(decoded, 0)
    assert decoded.metadata == {"version": 2}
    assert ours.metadata == {"shots": shots}
    assert ours.shape == shape
    assert list(ours.registers) == list(registers)
    for name, bit_array in registers.items():
        check_register(ours.registers[name], bit_array)
    assert ours.counts() == theirs.join_data().get_counts()
    assert ours.bitstrings() == theirs.join_data().get_bitstrings()
    names = list(reversed(registers))
    assert ours.counts(names=names) == theirs.join_data(names).get_counts()
    for loc in np.ndindex(shape):
        if loc:
            assert ours.counts(loc) == theirs.join_data().get_counts(loc)
    joined = ours.join()
    np.testing.assert_array_equal(joined.to_numpy(), theirs.join_data().array)
    assert sampler_counts(document) == [theirs.join_data().get_counts()]
    # qiskit-ibm-runtime's decoder reads the same document into the same counts.
    again = json.loads(json.dumps(document), cls=RuntimeDecoder)
    assert again[0].join_data().get_counts() == ours.counts()


@pytest.mark.parametrize("shape", [(), (3,), (2, 2)])
def test_fortran_ordered_bit_arrays(shape: tuple[int, ...]) -> None:
    # np.save writes column-major data (fortran_order True) for such arrays.
    rng = np.random.default_rng(len(shape))
    c_order = random_bit_array(rng, shape, 37, 21).array
    bit_array = BitArray(np.asfortranarray(c_order), 21)
    theirs = SamplerPubResult(DataBin(shape=shape, meas=bit_array))
    document = encode(PrimitiveResult([theirs]))

    check_register(sampler_pub(decode_result(document), 0).registers["meas"], bit_array)


def test_the_benchmark_shape() -> None:
    rng = np.random.default_rng(2024)
    bit_array = random_bit_array(rng, (), 10_000, 100)
    text = json.dumps(
        PrimitiveResult([SamplerPubResult(DataBin(meas=bit_array))]), cls=RuntimeEncoder
    )

    expected = json.loads(text, cls=RuntimeDecoder)[0].data.meas.get_counts()
    assert sampler_pub(decode_result(text), 0).registers["meas"].counts() == expected
    assert sampler_counts(text) == [expected]


def test_statevector_sampler_with_registers_and_a_sweep() -> None:
    q = QuantumRegister(5)
    alpha, beta = ClassicalRegister(3, "alpha"), ClassicalRegister(2, "beta")
    circuit = QuantumCircuit(q, alpha, beta)
    circuit.h(range(5))
    circuit.cx(0, 3)
    circuit.measure(q[:3], alpha)
    circuit.measure(q[3:], beta)
    theta = Parameter("theta")
    sweep = QuantumCircuit(2)
    sweep.ry(theta, 0)
    sweep.cx(0, 1)
    sweep.measure_all()
    result = (
        StatevectorSampler(seed=5)
        .run([(circuit, None, 500), (sweep, [[0.1], [1.2], [2.9]], 64)])
        .result()
    )

    decoded = decode_result(encode(result))
    assert decoded.encoding == "qiskit"
    for index, theirs in enumerate(result):
        ours = sampler_pub(decoded, index)
        assert ours.shape == theirs.data.shape
        for name in theirs.data:
            check_register(ours.registers[name], theirs.data[name])
        assert ours.counts() == theirs.join_data().get_counts()
    assert sampler_counts(encode(result)) == [r.join_data().get_counts() for r in result]


def test_plain_json_samples_match_bit_array_from_samples() -> None:
    rng = np.random.default_rng(9)
    registers = {"a": random_bit_array(rng, (), 200, 3), "b": random_bit_array(rng, (), 200, 9)}
    data = {
        name: {
            "samples": [hex(int(bits, 2)) for bits in ba.get_bitstrings()],
            "num_bits": ba.num_bits,
        }
        for name, ba in registers.items()
    }
    document = {"results": [{"data": data, "metadata": {}}], "metadata": {"version": 2}}

    ours = sampler_pub(decode_result(document), 0)
    for name, entry in data.items():
        from_samples = BitArray.from_samples(entry["samples"], entry["num_bits"])
        assert ours.registers[name].counts() == from_samples.get_counts()
        assert ours.registers[name].counts() == registers[name].get_counts()
    theirs = SamplerPubResult(DataBin(**registers))
    assert ours.counts() == theirs.join_data().get_counts()
    assert sampler_counts(document) == [theirs.join_data().get_counts()]


def test_statevector_estimator() -> None:
    theta = Parameter("theta")
    circuit = QuantumCircuit(2)
    circuit.ry(theta, 0)
    circuit.cx(0, 1)
    observables = [[SparsePauliOp("IZ")], [SparsePauliOp("XX")], [SparsePauliOp("ZZ")]]
    result = (
        StatevectorEstimator(seed=1)
        .run(
            [
                (circuit, observables, [[0.2], [0.9]], 0.02),
                (circuit, SparsePauliOp("ZI"), [0.4]),
            ]
        )
        .result()
    )

    decoded = decode_result(encode(result))
    assert isinstance(decoded, EstimatorResult)
    for ours, theirs in zip(decoded.pubs, result, strict=True):
        assert isinstance(ours, EstimatorPub)
        assert ours.shape == theirs.data.shape
        assert ours.evs == theirs.data.evs.tolist()
        assert ours.stds == theirs.data.stds.tolist()
        assert ours.metadata == theirs.metadata
        for name in ("evs", "stds"):
            array = ours.to_numpy(name)
            assert array.dtype == theirs.data[name].dtype
            np.testing.assert_array_equal(array, theirs.data[name])
    assert isinstance(decoded.pubs[1].evs, float)


def test_estimator_arrays_of_other_dtypes_and_layouts() -> None:
    rng = np.random.default_rng(3)
    fields = {
        "evs": rng.normal(size=(2, 3)).astype(">f8"),
        "stds": np.asfortranarray(rng.random(size=(2, 3))),
        "ensemble_standard_error": rng.random(size=(2, 3)).astype(np.float32),
        "counts_used": rng.integers(-5, 5, size=(2, 3, 2)).astype(">i4"),
        "flags": rng.random(size=(2,)) > 0.5,
        "iq": (rng.random(size=(2, 2)) + 1j * rng.random(size=(2, 2))).astype(np.complex64),
        "loose": np.array([1.5, 2.5], dtype=object),
    }
    theirs = PubResult(DataBin(shape=(2,), **fields), metadata={"resilience": {}})
    decoded = decode_result(encode(PrimitiveResult([theirs])))
    assert isinstance(decoded, EstimatorResult)
    [ours] = decoded.pubs

    assert ours.shape == (2,)
    assert ours.evs == fields["evs"].tolist()
    assert ours.stds == fields["stds"].tolist()
    assert ours.ensemble_standard_error == fields["ensemble_standard_error"].tolist()
    for name, value in fields.items():
        assert ours.fields[name] == value.tolist()
        array = ours.to_numpy(name)
        np.testing.assert_array_equal(array, value.astype(array.dtype))
        if value.dtype != object:
            assert array.dtype == value.dtype
            assert array.shape == value.shape


def test_runtime_decoder_agrees_on_estimator_documents() -> None:
    circuit = QuantumCircuit(1)
    circuit.h(0)
    result = (
        StatevectorEstimator().run([(circuit, [SparsePauliOp("X"), SparsePauliOp("Z")])]).result()
    )
    text = json.dumps(result, cls=RuntimeEncoder)

    theirs = json.loads(text, cls=RuntimeDecoder)
    ours = decode_result(text)
    assert isinstance(ours, EstimatorResult)
    np.testing.assert_array_equal(ours.pubs[0].to_numpy(), theirs[0].data.evs)
    np.testing.assert_array_equal(ours.pubs[0].to_numpy("stds"), theirs[0].data.stds)
