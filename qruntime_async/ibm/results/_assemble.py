"""What both wire-format readers build pubs from: arrays of numbers, then whole pubs.

A pub is assembled only when its registers (or arrays) agree on their shape.
"""

from __future__ import annotations

from typing import Any

from ._checks import _fail, _index_path, _key, _kind, _leads_with, _rectangular
from ._estimator import EstimatorPub, _Array
from ._sampler import Register, SamplerPub


def _numbers(value: Any, path: str, *, to_float: bool) -> _Array:
    shape, flat = _rectangular(value, path)
    for i, item in enumerate(flat):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            _fail(_index_path(path, i, shape), f"expected a number, got {_kind(item)}")
    if to_float:
        try:
            flat = [float(item) for item in flat]
        except OverflowError:
            _fail(path, "a number is too large for a float")
    return _Array(shape, flat=flat)


def _sampler_pub(
    registers: dict[str, Register],
    metadata: dict[str, Any],
    shape: tuple[int, ...] | None,
    path: str,
) -> SamplerPub:
    shapes = {(reg.shape, reg.num_shots) for reg in registers.values()}
    if len(shapes) > 1:
        _fail(path, "the registers differ in shape or number of shots")
    if shapes:
        ((reg_shape, _),) = shapes
        if shape is None:
            shape = reg_shape
        else:
            _leads_with(path, reg_shape, shape)
    return SamplerPub(registers, metadata, shape or ())


def _estimator_pub(
    arrays: dict[str, _Array],
    metadata: dict[str, Any],
    shape: tuple[int, ...] | None,
    path: str,
) -> EstimatorPub:
    if "evs" not in arrays:
        _fail(path, "an estimator pub without evs")
    if shape is None:
        shape = arrays["evs"].shape
    for name, array in arrays.items():
        _leads_with(_key(path, name), array.shape, shape)
    fields = {name: array.python() for name, array in arrays.items()}
    return EstimatorPub(
        evs=fields["evs"],
        stds=fields.get("stds"),
        ensemble_standard_error=fields.get("ensemble_standard_error"),
        fields=fields,
        metadata=metadata,
        shape=shape,
        _arrays=arrays,
    )
