"""The observables of an estimator pub, as dicts ``{Pauli label: real coefficient}``."""

from __future__ import annotations

import numbers
import re
import sys
from collections.abc import Mapping
from typing import Any

from ._lazy_qiskit import _QISKIT_EXTRA, _qiskit_attr
from ._pub_values import _plain_array, _real

_PAULI_LABEL = re.compile(r"[IXYZ]+\Z")
# Same bound as numpy.real_if_close: a smaller imaginary part is rounding noise.
_IMAG_TOLERANCE = 100 * sys.float_info.epsilon


def _observables(where: str, observables: object, circuit: object) -> Any:
    field = f"{where} observables"
    widths: set[int] = set()
    out = _observable_array(field, observables, widths)
    if len(widths) > 1:
        listed = ", ".join(str(w) for w in sorted(widths))
        raise ValueError(f"{field} mix Pauli labels of different lengths ({listed} qubits)")
    num_qubits = None if isinstance(circuit, str) else getattr(circuit, "num_qubits", None)
    if isinstance(num_qubits, int) and widths and widths != {num_qubits}:
        raise ValueError(
            f"{field} act on {widths.pop()} qubits but the circuit has {num_qubits}"
            " (map them onto the transpiled circuit's layout, e.g. SparsePauliOp.apply_layout)"
        )
    return out


def _observable_array(field: str, value: object, widths: set[int]) -> Any:
    value = _plain_array(value)
    if isinstance(value, list):
        if not value:
            raise ValueError(f"{field} must not be empty")
        items = [_observable_array(f"{field}[{i}]", item, widths) for i, item in enumerate(value)]
        _check_rectangular(field, items)
        return items
    return _observable(field, value, widths)


def _check_rectangular(field: str, items: list[Any]) -> None:
    shapes = {_observable_shape(item) for item in items}
    if len(shapes) > 1:
        raise ValueError(f"{field} is ragged: its items have different shapes")


def _observable_shape(value: object) -> tuple[int, ...]:
    if isinstance(value, list):
        return (len(value), *_observable_shape(value[0]))
    return ()


def _observable(field: str, value: object, widths: set[int]) -> dict[str, float]:
    if isinstance(value, str):
        widths.add(len(_pauli_label(field, value)))
        return {value: 1.0}
    if isinstance(value, Mapping):
        if not value:
            raise ValueError(f"{field} must not be an empty dict")
        out: dict[str, float] = {}
        for label, coeff in value.items():
            if not isinstance(label, str):
                raise TypeError(
                    f"{field} keys must be Pauli labels (str), got {type(label).__name__}"
                )
            widths.add(len(_pauli_label(field, label)))
            out[label] = _coefficient(f"{field}[{label!r}]", coeff)
        return out
    terms = _qiskit_terms(value)
    if terms is None:
        hint = "" if "qiskit" in sys.modules else f"; for qiskit operators: {_QISKIT_EXTRA}"
        raise TypeError(
            f"{field} must be a Pauli label, a dict {{label: coefficient}}, a list of those,"
            f" or a qiskit SparsePauliOp / Pauli / SparseObservable{hint};"
            f" got {type(value).__name__}"
        )
    summed: dict[str, complex] = {}
    for label, coeff in terms:
        widths.add(len(_pauli_label(field, label)))
        summed[label] = summed.get(label, 0j) + complex(coeff)
    return {label: _coefficient(f"{field}[{label!r}]", c) for label, c in summed.items()}


def _qiskit_terms(value: object) -> list[tuple[str, complex]] | None:
    """(label, coefficient) terms of a qiskit operator; None when ``value`` is not one."""
    sparse_pauli_op = _qiskit_attr("qiskit.quantum_info", "SparsePauliOp")
    if sparse_pauli_op is None:
        return None
    pauli = _qiskit_attr("qiskit.quantum_info", "Pauli")
    sparse_observable = _qiskit_attr("qiskit.quantum_info", "SparseObservable")
    if pauli is not None and isinstance(value, pauli):
        value = sparse_pauli_op(value)  # folds the Pauli's phase into its coefficient
    elif sparse_observable is not None and isinstance(value, sparse_observable):
        # projector terms (0, 1, +, -, r, l) expand into Pauli terms
        value = sparse_pauli_op.from_sparse_observable(value)
    if not isinstance(value, sparse_pauli_op):
        return None
    return [(str(label), complex(coeff)) for label, coeff in value.to_list()]


def _pauli_label(field: str, label: str) -> str:
    if not _PAULI_LABEL.match(label):
        raise ValueError(
            f"{field}: {label!r} is not a Pauli label (only the letters I, X, Y, Z;"
            " put signs and phases in the coefficient)"
        )
    return label


def _coefficient(field: str, coeff: object) -> float:
    if isinstance(coeff, numbers.Complex) and not isinstance(coeff, (bool, numbers.Real)):
        value = complex(coeff)
        if abs(value.imag) > _IMAG_TOLERANCE * max(1.0, abs(value.real)):
            raise ValueError(
                f"{field} coefficient {value} has an imaginary part: observables must be"
                " Hermitian (real coefficients)"
            )
        coeff = value.real
    return _real(field, coeff)
