"""Reading pubs of the plain JSON encoding (jobs submitted without ``support_qiskit``)."""

from __future__ import annotations

import re
from itertools import repeat
from typing import Any, Literal

from ._assemble import _estimator_pub, _numbers, _sampler_pub
from ._checks import _Budget, _count_int, _fail, _index_path, _key, _kind, _mapping, _rectangular
from ._estimator import EstimatorPub
from ._sampler import Register, SamplerPub

_HEX_LIST = re.compile(r"0[xX][0-9a-fA-F]+(?:,0[xX][0-9a-fA-F]+)*")


def _hex_packed(text: Any, num_bits: int, nbytes: int) -> bytes | str:
    # The packed bytes of one "0x..." sample, or the reason it is refused.
    if not isinstance(text, str):
        return f"expected a hex string, got {_kind(text)}"
    digits = text[2:]
    if text[:2] not in ("0x", "0X") or not digits or not digits.isascii() or not digits.isalnum():
        return f"not a hex string: {text[:40]!r}"
    try:
        value = int(digits, 16)
    except ValueError:
        return f"not a hex string: {text[:40]!r}"
    if value.bit_length() > num_bits:
        return f"{text[:40]!r} does not fit in num_bits={num_bits}"
    return value.to_bytes(nbytes, "big")


def _pack_hex(flat: list[Any], num_bits: int, nbytes: int) -> bytes | None:
    # Every sample validated and packed in a few C-level passes; None if any is invalid.
    try:
        joined = ",".join(flat)
    except TypeError:
        return None
    if flat and not _HEX_LIST.fullmatch(joined):
        return None
    try:
        # A sample holding a comma passed the check above but fails here.
        values = list(map(int, flat, repeat(16)))
    except ValueError:
        return None
    if values and max(values).bit_length() > num_bits:
        return None
    order: Literal["big"] = "big"
    return b"".join(map(int.to_bytes, values, repeat(nbytes), repeat(order)))


def _plain_register(name: str, value: Any, path: str, budget: _Budget) -> Register:
    entry = _mapping(value, path)
    if "samples" not in entry:
        if "counts" in entry:
            _fail(
                path,
                "per-register counts without samples (an older runtime program's result); "
                "read it with sampler_counts()",
            )
        _fail(path, "missing samples")
    if "num_bits" not in entry:
        _fail(path, "missing num_bits")
    num_bits = _count_int(entry["num_bits"], f"{path}.num_bits")
    samples_path = f"{path}.samples"
    shape, flat = _rectangular(entry["samples"], samples_path)
    if not shape:
        _fail(samples_path, f"expected a list of hex strings, got {_kind(entry['samples'])}")
    nbytes = (num_bits + 7) // 8
    budget.take(len(flat) * nbytes, samples_path)
    data = _pack_hex(flat, num_bits, nbytes)
    if data is None:
        # Something is wrong: find the first bad sample to name it.
        for index, text in enumerate(flat):
            result = _hex_packed(text, num_bits, nbytes)
            if isinstance(result, str):
                _fail(_index_path(samples_path, index, shape), result)
        _fail(samples_path, "invalid samples")
    return Register(name, num_bits, shape[:-1], shape[-1], data)


def _plain_pub(entry: Any, path: str, budget: _Budget) -> SamplerPub | EstimatorPub:
    entry = _mapping(entry, path)
    if "data" not in entry:
        _fail(path, "missing data")
    data_path = f"{path}.data"
    data = _mapping(entry["data"], data_path)
    metadata = _mapping(entry.get("metadata"), f"{path}.metadata", optional=True)
    if "evs" in data:
        arrays = {
            name: _numbers(value, _key(data_path, name), to_float=True)
            for name, value in data.items()
        }
        return _estimator_pub(arrays, metadata, None, data_path)
    if not data:
        _fail(data_path, "no registers and no evs")
    registers = {
        name: _plain_register(name, value, _key(data_path, name), budget)
        for name, value in data.items()
    }
    return _sampler_pub(registers, metadata, None, data_path)
