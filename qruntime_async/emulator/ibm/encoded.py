"""IBM results as the official client's ``RuntimeEncoder`` writes them (``support_qiskit``).

Each value is ``{"__type__": ..., "__value__": ...}``: a ``PrimitiveResult`` of
``SamplerPubResult``/``PubResult``, each with a ``DataBin`` (``field_names``, ``shape``,
``fields``) of ``BitArray`` registers or of float64 ``ndarray`` fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._npy import float64s, ndarray, uint8_bits


@dataclass(slots=True)
class SamplerOutcome:
    """One sampler pub: per classical register, its width and one integer per shot (for a pub
    of shape ``shape``, the shots of each element one after another, in C order)."""

    registers: list[tuple[str, int, list[int]]]
    metadata: dict[str, Any]
    shape: tuple[int, ...] = ()


@dataclass(slots=True)
class EstimatorOutcome:
    """One estimator pub: values flattened in C order, with the observables' shape."""

    evs: list[float]
    stds: list[float]
    shape: tuple[int, ...]
    metadata: dict[str, Any] = field(default_factory=dict)


Outcome = SamplerOutcome | EstimatorOutcome


def _typed(type_name: str, value: Any) -> dict[str, Any]:
    return {"__type__": type_name, "__value__": value}


def _data_bin(fields: dict[str, Any], shape: tuple[int, ...]) -> dict[str, Any]:
    return _typed("DataBin", {"field_names": list(fields), "shape": list(shape), "fields": fields})


def bit_array(values: list[int], num_bits: int, shape: tuple[int, ...] = ()) -> dict[str, Any]:
    """A ``BitArray`` of one register over a pub of shape ``shape``."""
    array = ndarray(uint8_bits(values, num_bits, shape))
    return _typed("BitArray", {"array": array, "num_bits": num_bits})


def encoded_pub(outcome: Outcome) -> dict[str, Any]:
    """A ``SamplerPubResult`` or an estimator ``PubResult``."""
    if isinstance(outcome, EstimatorOutcome):
        arrays = {
            "evs": outcome.evs,
            "stds": outcome.stds,
            "ensemble_standard_error": outcome.stds,
        }
        fields = {k: ndarray(float64s(v, outcome.shape)) for k, v in arrays.items()}
        data = _data_bin(fields, outcome.shape)
        return _typed("PubResult", {"data": data, "metadata": outcome.metadata})
    registers = {
        name: bit_array(values, width, outcome.shape) for name, width, values in outcome.registers
    }
    data = _data_bin(registers, outcome.shape)
    return _typed("SamplerPubResult", {"data": data, "metadata": outcome.metadata})


def primitive_result(outcomes: list[Outcome], metadata: dict[str, Any]) -> dict[str, Any]:
    """The whole ``PrimitiveResult`` document."""
    pubs = [encoded_pub(o) for o in outcomes]
    return _typed("PrimitiveResult", {"pub_results": pubs, "metadata": metadata})
