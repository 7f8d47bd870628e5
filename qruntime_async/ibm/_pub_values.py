"""The parameter values of a pub, and the real numbers they are made of."""

from __future__ import annotations

import math
import numbers
import re
import sys
from collections.abc import Mapping
from typing import Any

from ._lazy_qiskit import _qiskit_attr

_QASM_INPUT = re.compile(r"^[ \t]*input\s+[^;]*?([^\s;\]]+)\s*;", re.MULTILINE)


def _parameter_values(where: str, values: object, circuit: object, text: str) -> Any:
    field = f"{where} parameter_values"
    names = _circuit_parameter_names(circuit)
    if values is None:
        if names:
            raise ValueError(f"{field} missing: the circuit has parameters {', '.join(names)}")
        return None
    values = _plain_array(values)
    if isinstance(values, Mapping):
        by_name = _parameter_dict(field, values, names)
        if names is None:
            return by_name
        exported = _exported_names(field, names, text)
        return {exported[name]: value for name, value in by_name.items()}
    if not isinstance(values, list):
        raise TypeError(
            f"{field} must be a list of numbers (one per circuit parameter), nested lists of"
            f" them, or a dict {{name: values}}; got {type(values).__name__}"
        )
    out, shape = _number_array(field, values)
    if names is None:
        return out
    if shape[-1] != len(names):
        raise ValueError(
            f"{field} has {shape[-1]} values per set but the circuit has {len(names)}"
            f" parameters ({', '.join(names) or 'none'})"
        )
    if not names:
        return out
    # Sent by name: the exporter renames some parameters ('θ[10]' -> '_θ_10_'), and a circuit
    # read back from the text orders them by the new names ('_θ_10_' before '_θ_2_'), so a
    # position in the original order could bind to another parameter on the service.
    exported = _exported_names(field, names, text)
    return {exported[name]: _last_axis(out, i) for i, name in enumerate(names)}


def _exported_names(field: str, names: list[str], text: str) -> dict[str, str]:
    """Each circuit parameter name -> the name of its ``input`` in the exported text.

    ``qiskit.qasm3.dumps`` declares one ``input`` per parameter, in the circuit's parameter order.
    """
    declared = _QASM_INPUT.findall(text)
    if len(declared) != len(names) or len(set(declared)) != len(declared):
        raise ValueError(
            f"{field}: the OpenQASM 3 export declares inputs {declared}, which do not match the"
            f" circuit's parameters {names}; export the circuit yourself and pass the text"
        )
    return dict(zip(names, declared, strict=True))


def _last_axis(values: list[Any], index: int) -> Any:
    """``values[..., index]`` of a rectangular nested list."""
    if values and isinstance(values[0], list):
        return [_last_axis(row, index) for row in values]
    return values[index]


def _parameter_dict(
    field: str, values: Mapping[Any, Any], names: list[str] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    shapes: set[tuple[int, ...]] = set()
    for key, value in values.items():
        name = _parameter_name(field, key)
        if name in out:
            raise ValueError(f"{field} names parameter {name!r} twice")
        value = _plain_array(value)
        if isinstance(value, list):
            out[name], shape = _number_array(f"{field}[{name!r}]", value)
        else:
            out[name], shape = _real(f"{field}[{name!r}]", value), ()
        shapes.add(shape)
    if not out:
        raise ValueError(f"{field} must not be an empty dict (use None for no parameters)")
    if len(shapes) > 1:
        listed = ", ".join(str(s) for s in sorted(shapes))
        raise ValueError(f"{field} values must all have the same shape, got {listed}")
    if names is not None and set(out) != set(names):
        missing = sorted(set(names) - set(out))
        extra = sorted(set(out) - set(names))
        details = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"not in the circuit: {', '.join(extra)}" if extra else "",
            )
            if part
        )
        raise ValueError(f"{field} do not match the circuit's parameters ({details})")
    return out


def _parameter_name(field: str, key: object) -> str:
    parameter = _qiskit_attr("qiskit.circuit", "Parameter")
    if parameter is not None and isinstance(key, parameter):
        return str(key.name)
    if not isinstance(key, str):
        raise TypeError(f"{field} keys must be parameter names (str), got {type(key).__name__}")
    if not key:
        raise ValueError(f"{field} keys must not be empty")
    return key


def _circuit_parameter_names(circuit: object) -> list[str] | None:
    """The parameter names of a QuantumCircuit, in binding order; None for QASM text."""
    if isinstance(circuit, str):
        return None
    return [str(p.name) for p in getattr(circuit, "parameters", ())]


def _number_array(field: str, values: list[Any]) -> tuple[list[Any], tuple[int, ...]]:
    """A rectangular nested list of real numbers, and its shape."""
    if not values:
        return [], (0,)
    items = [_plain_array(item) for item in values]
    if all(isinstance(item, list) for item in items):
        rows = [_number_array(f"{field}[{i}]", item) for i, item in enumerate(items)]
        shape = rows[0][1]
        for i, (_, row_shape) in enumerate(rows):
            if row_shape != shape:
                raise ValueError(
                    f"{field} is ragged: item {i} has shape {row_shape}, item 0 has {shape}"
                )
        return [row for row, _ in rows], (len(rows), *shape)
    if any(isinstance(item, list) for item in items):
        raise ValueError(f"{field} is ragged: it mixes numbers and lists")
    return [_real(f"{field}[{i}]", item) for i, item in enumerate(items)], (len(items),)


def _plain_array(value: object) -> Any:
    """numpy arrays to nested lists, tuples to lists; anything else unchanged."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value


def _number(field: str, value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{field} must be a real number, got {type(value).__name__}")
    number: int | float = int(value) if isinstance(value, numbers.Integral) else float(value)
    if not math.isfinite(number):
        # msgspec would send NaN and infinities as null
        raise ValueError(f"{field} must be finite, got {number}")
    return number


def _real(field: str, value: object) -> float:
    return float(_number(field, value))
