"""Reading pubs of the Qiskit encoding (``RuntimeEncoder``, ``support_qiskit: true``)."""

from __future__ import annotations

from typing import Any

from ..._npy import InflateError, NpyError, inflate_base64, read_npy
from ._assemble import _estimator_pub, _numbers, _sampler_pub
from ._checks import _Budget, _count_int, _fail, _index_path, _key, _mapping, _shape_of, _wrapped
from ._estimator import EstimatorPub, _Array
from ._sampler import Register, SamplerPub

_INFLATE_PROBLEMS = {
    "base64": "not valid base64",
    "zlib": "not valid zlib data",
    "too large": "inflates beyond the {limit}-byte limit",
    "truncated": "the zlib stream is cut short",
    "trailing": "unexpected bytes after the zlib stream",
}


def _ndarray(value: Any, path: str, budget: _Budget) -> _Array:
    _, inner, inner_path = _wrapped(value, path, ("ndarray",))
    if isinstance(inner, str):
        try:
            raw = inflate_base64(inner, budget.left)
        except InflateError as exc:
            _fail(inner_path, _INFLATE_PROBLEMS[exc.reason].format(limit=budget.left))
        budget.take(len(raw), inner_path)
        try:
            npy = read_npy(raw)
        except NpyError as exc:
            _fail(inner_path, str(exc))
        return _Array(npy.shape, npy=npy)
    return _numbers(inner, inner_path, to_float=False)


def _numeric_field(value: Any, path: str, budget: _Budget) -> _Array:
    # A Qiskit-encoded DataBin field that is not a BitArray.
    if isinstance(value, dict):
        kind = value.get("__type__")
        if kind == "complex":
            _, inner, inner_path = _wrapped(value, path, ("complex",))
            parts = _numbers(inner, inner_path, to_float=True)
            if parts.shape != (2,):
                _fail(inner_path, "expected [real, imaginary]")
            assert parts.flat is not None
            return _Array((), flat=[complex(parts.flat[0], parts.flat[1])])
        return _ndarray(value, path, budget)
    return _numbers(value, path, to_float=False)


def _bit_array(name: str, value: Any, path: str, budget: _Budget) -> Register:
    _, inner, inner_path = _wrapped(value, path, ("BitArray",))
    entry = _mapping(inner, inner_path)
    if "num_bits" not in entry or "array" not in entry:
        _fail(inner_path, "expected array and num_bits")
    num_bits = _count_int(entry["num_bits"], f"{inner_path}.num_bits")
    array_path = f"{inner_path}.array"
    array = _ndarray(entry["array"], array_path, budget)
    if array.npy is not None:
        if array.npy.descr not in ("|u1", "<u1", ">u1"):
            _fail(array_path, f"expected a uint8 array, got dtype {array.npy.descr!r}")
        data = array.npy.data
    else:
        assert array.flat is not None
        for i, item in enumerate(array.flat):
            if not isinstance(item, int) or isinstance(item, bool) or not 0 <= item <= 255:
                _fail(
                    _index_path(f"{array_path}.__value__", i, array.shape),
                    "expected a byte (0-255)",
                )
        data = bytes(array.flat)
    shape = array.shape
    nbytes = (num_bits + 7) // 8
    if len(shape) < 2:
        _fail(array_path, f"expected at least two axes (shots, bytes), got shape {shape}")
    if shape[-1] != nbytes:
        _fail(array_path, f"{shape[-1]} bytes per shot, but num_bits={num_bits} needs {nbytes}")
    return Register(name, num_bits, shape[:-2], shape[-2], data)


def _qiskit_pub(entry: Any, path: str, budget: _Budget) -> SamplerPub | EstimatorPub:
    kind, inner, inner_path = _wrapped(
        entry, path, ("SamplerPubResult", "PubResult", "EstimatorPubResult")
    )
    inner = _mapping(inner, inner_path)
    if "data" not in inner:
        _fail(inner_path, "missing data")
    metadata = _mapping(inner.get("metadata"), f"{inner_path}.metadata", optional=True)
    _, bin_value, bin_path = _wrapped(inner["data"], f"{inner_path}.data", ("DataBin",))
    bin_value = _mapping(bin_value, bin_path)
    fields_path = f"{bin_path}.fields"
    fields = _mapping(bin_value.get("fields"), fields_path)
    shape: tuple[int, ...] | None = None
    if bin_value.get("shape") is not None:
        shape = _shape_of(bin_value["shape"], f"{bin_path}.shape")
    names = bin_value.get("field_names")
    # field_names carries the circuit's register order even if the fields object was re-keyed.
    if not (
        isinstance(names, list)
        and all(isinstance(name, str) for name in names)
        and sorted(names) == sorted(fields)
    ):
        names = list(fields)
    registers: dict[str, Register] = {}
    arrays: dict[str, _Array] = {}
    for name in names:
        value, value_path = fields[name], _key(fields_path, name)
        if isinstance(value, dict) and value.get("__type__") == "BitArray":
            registers[name] = _bit_array(name, value, value_path, budget)
        elif kind == "SamplerPubResult":
            _fail(value_path, "expected a BitArray (only classified measurements are supported)")
        else:
            arrays[name] = _numeric_field(value, value_path, budget)
    if registers and arrays:
        _fail(fields_path, "mixes BitArray registers with other arrays")
    if registers or kind == "SamplerPubResult":
        return _sampler_pub(registers, metadata, shape, fields_path)
    if not arrays:
        _fail(fields_path, "no data fields")
    return _estimator_pub(arrays, metadata, shape, fields_path)
