"""``params`` of sampler and estimator jobs (``POST /jobs``), in the service's plain-JSON form.

The service takes::

    {"pubs": [...], "version": 2, "options": {...}}          # program_id "sampler"
    {"pubs": [...], "version": 2, "options": {...},
     "resilience_level": 1}                                   # program_id "estimator"

A sampler pub is ``[circuit]``, ``[circuit, parameter_values]`` or
``[circuit, parameter_values, shots]``; an estimator pub is
``[circuit, observables]``, ``[circuit, observables, parameter_values]`` or
``[circuit, observables, parameter_values, precision]``. ``None`` stands for a value left out.

Circuits travel as OpenQASM 3 text, already transpiled to the backend's instruction set (ISA):
nothing here transpiles. With qiskit installed, ``qiskit.QuantumCircuit`` objects are exported
with ``qiskit.qasm3.dumps``; without it nothing of qiskit is imported.

``support_qiskit`` is never set, so results come back as plain JSON (what
:func:`qruntime_async.ibm.sampler_counts` reads), not qiskit's encoded objects.

Parameter values
    A list of numbers is one parameter set: one value per circuit parameter. Nested lists add
    leading dimensions, so the shape is ``(*shape, num_parameters)`` and each pub yields results
    of shape ``shape`` (broadcast against the observables' shape for the estimator). A dict
    ``{name: number_or_nested_list}`` names the parameters instead (all values of one shape,
    ``shape``). For OpenQASM text the values go out as given, so a list must follow the order in
    which the service binds the text's ``input`` parameters (qiskit's: sorted by name); the dict
    form avoids the question. For a ``QuantumCircuit`` a list follows ``circuit.parameters``, and
    either form goes out as a dict keyed by the names ``qiskit.qasm3.dumps`` gave the parameters
    (it renames some, ``θ[0]`` becoming ``_θ_0_``), so each value binds to its parameter.
    Values go out as floats; numpy arrays and scalars are accepted.

Observables (estimator)
    A Pauli label (``"ZZ"``, qubit 0 rightmost), a dict ``{label: real coefficient}``, or nested
    lists of those (an array of observables, whose shape broadcasts with the parameter values).
    With qiskit: ``SparsePauliOp``, ``Pauli`` and ``SparseObservable``, converted to the dict
    form; duplicated labels are summed; a coefficient with a non-zero imaginary part is an error.
    Coefficients go out as floats.
    All labels of a pub must have the same length.
"""

from __future__ import annotations

import importlib
import math
import numbers
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "PARAMS_VERSION",
    "sampler_params",
    "estimator_params",
]

PARAMS_VERSION = 2
"""The ``version`` of the V2 primitives' params (an integer, as the official client sends it)."""

_QISKIT_EXTRA = "pip install 'qruntime-async[qiskit]'"
_MAX_RESILIENCE_LEVEL = 2

# Leading whitespace and comments may precede the version statement.
_QASM_PREAMBLE = re.compile(r"(?:\s+|//[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
_QASM_VERSION = re.compile(r"OPENQASM\s+(\d+)(?:\.(\d+))?\s*;")
_QASM_INPUT = re.compile(r"^[ \t]*input\s+[^;]*?([^\s;\]]+)\s*;", re.MULTILINE)
_PAULI_LABEL = re.compile(r"[IXYZ]+\Z")
# Same bound as numpy.real_if_close: a smaller imaginary part is rounding noise.
_IMAG_TOLERANCE = 100 * sys.float_info.epsilon

# Keys people put in ``options`` that the service reads elsewhere (or not at all).
_JOB_LEVEL_HINT = "it is a job setting: pass it to jobs.submit(max_execution_time=/log_level=)"
_MISPLACED_COMMON = {
    "max_execution_time": _JOB_LEVEL_HINT,
    "environment": _JOB_LEVEL_HINT,
    "version": "params carry the version themselves",
    "support_qiskit": "this SDK reads plain-JSON results; do not ask for qiskit-encoded ones",
}
_MISPLACED_SAMPLER = {
    **_MISPLACED_COMMON,
    "shots": "pass shots= or options['default_shots']",
    "resilience_level": "the sampler takes no resilience level; set the individual "
    "dynamical_decoupling / twirling options instead",
}
_MISPLACED_ESTIMATOR = {
    **_MISPLACED_COMMON,
    "precision": "pass precision= or options['default_precision']",
    "resilience_level": "pass resilience_level=: the service reads it next to 'options', "
    "not inside",
}


def sampler_params(
    pubs: Iterable[Any],
    *,
    shots: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``params`` of a ``POST /jobs`` with ``program_id="sampler"``.

    ``pubs``: a list whose items are a circuit, ``(circuit, parameter_values)`` or
    ``(circuit, parameter_values, shots)`` (tuples or lists; ``None`` for a value left out).
    A circuit is OpenQASM 3 text or, with qiskit installed, a ``qiskit.QuantumCircuit``.

    ``shots`` fills in every pub that has no shots of its own (as the official client's
    ``run(shots=...)`` does). ``options`` are the sampler's options as the service spells them
    (``default_shots``, ``dynamical_decoupling``, ``twirling``, ``execution``, ...).

    Raises ``TypeError`` / ``ValueError`` naming the pub and field, before anything is sent.
    """
    default_shots = None if shots is None else _shots("shots", shots)
    plain_options = _options(options, _MISPLACED_SAMPLER)
    items = _pub_list(pubs)
    out_pubs: list[list[Any]] = []
    for index, pub in enumerate(items):
        where = f"pubs[{index}]"
        fields = _pub_fields(where, pub, minimum=1, maximum=3, names=_SAMPLER_FIELDS)
        circuit_obj = fields[0]
        text = _circuit(where, circuit_obj)
        values = fields[1] if len(fields) >= 2 else None
        out: list[Any] = [text]
        out_values = _parameter_values(where, values, circuit_obj, text)
        if len(fields) >= 2:
            out.append(out_values)
        own = fields[2] if len(fields) == 3 else None
        pub_shots = _shots(f"{where} shots", own) if own is not None else default_shots
        out_pubs.append(_with_last(out, 3, pub_shots, keep=len(fields) == 3))
    return _params(out_pubs, plain_options)


def estimator_params(
    pubs: Iterable[Any],
    *,
    precision: float | None = None,
    options: Mapping[str, Any] | None = None,
    resilience_level: int | None = None,
) -> dict[str, Any]:
    """``params`` of a ``POST /jobs`` with ``program_id="estimator"``.

    ``pubs``: a list whose items are ``(circuit, observables)``,
    ``(circuit, observables, parameter_values)`` or
    ``(circuit, observables, parameter_values, precision)`` (tuples or lists; ``None`` for a
    value left out). See the module documentation for the accepted observables.

    ``precision`` (target standard error, > 0) fills in every pub that has none of its own (as
    the official client's ``run(precision=...)`` does). ``resilience_level`` (0, 1 or 2) goes
    next to ``options``, where the service reads it. ``options`` are the estimator's options as
    the service spells them (``default_precision``, ``default_shots``, ``resilience``,
    ``dynamical_decoupling``, ``twirling``, ...).

    Raises ``TypeError`` / ``ValueError`` naming the pub and field, before anything is sent.
    """
    default_precision = None if precision is None else _precision("precision", precision)
    level = _resilience_level(resilience_level)
    plain_options = _options(options, _MISPLACED_ESTIMATOR)
    items = _pub_list(pubs)
    out_pubs: list[list[Any]] = []
    for index, pub in enumerate(items):
        where = f"pubs[{index}]"
        fields = _pub_fields(where, pub, minimum=2, maximum=4, names=_ESTIMATOR_FIELDS)
        circuit_obj = fields[0]
        text = _circuit(where, circuit_obj)
        values = fields[2] if len(fields) >= 3 else None
        out: list[Any] = [text, _observables(where, fields[1], circuit_obj)]
        out_values = _parameter_values(where, values, circuit_obj, text)
        if len(fields) >= 3:
            out.append(out_values)
        own = fields[3] if len(fields) == 4 else None
        pub_precision = (
            _precision(f"{where} precision", own) if own is not None else default_precision
        )
        out_pubs.append(_with_last(out, 4, pub_precision, keep=len(fields) == 4))
    params = _params(out_pubs, plain_options)
    if level is not None:
        params["resilience_level"] = level
    return params


_SAMPLER_FIELDS = ("circuit", "parameter_values", "shots")
_ESTIMATOR_FIELDS = ("circuit", "observables", "parameter_values", "precision")


def _params(pubs: list[list[Any]], options: dict[str, Any] | None) -> dict[str, Any]:
    params: dict[str, Any] = {"pubs": pubs, "version": PARAMS_VERSION}
    if options is not None:
        params["options"] = options
    return params


# -- pubs --------------------------------------------------------------------------------------


def _with_last(out: list[Any], length: int, value: object, *, keep: bool) -> list[Any]:
    """``out`` with ``value`` as item ``length - 1``, padding with None in between.

    A pub keeps the length it was given (``keep``) so that what goes out matches what came in.
    """
    if value is None and not keep:
        return out
    return [*out, *[None] * (length - 1 - len(out)), value]


def _pub_list(pubs: object) -> list[Any]:
    quantum_circuit = _qiskit_attr("qiskit", "QuantumCircuit")
    is_circuit = quantum_circuit is not None and isinstance(pubs, quantum_circuit)
    if is_circuit or isinstance(pubs, (str, bytes, Mapping)) or not isinstance(pubs, Iterable):
        raise TypeError(
            f"pubs must be a list of pubs, got {type(pubs).__name__}"
            " (wrap a single pub in a list: [pub])"
        )
    items = list(pubs)
    if not items:
        raise ValueError("pubs must not be empty")
    return items


def _pub_fields(
    where: str, pub: object, *, minimum: int, maximum: int, names: tuple[str, ...]
) -> list[Any]:
    if isinstance(pub, (tuple, list)):
        fields = list(pub)
    elif minimum == 1:
        fields = [pub]  # a bare circuit is a whole sampler pub
    else:
        raise TypeError(
            f"{where} must be a tuple ({', '.join(names[:minimum])}, ...), got {type(pub).__name__}"
        )
    if not minimum <= len(fields) <= maximum:
        raise ValueError(
            f"{where} must have {minimum} to {maximum} items ({', '.join(names)}),"
            f" got {len(fields)}"
        )
    return fields


# -- circuits ----------------------------------------------------------------------------------


def _circuit(where: str, circuit: object) -> str:
    if isinstance(circuit, str):
        return _qasm3_text(where, circuit)
    quantum_circuit = _qiskit_attr("qiskit", "QuantumCircuit")
    if quantum_circuit is not None and isinstance(circuit, quantum_circuit):
        qasm3 = importlib.import_module("qiskit.qasm3")
        try:
            text = qasm3.dumps(circuit)
        except Exception as exc:  # the exporter's own error types vary across qiskit versions
            raise ValueError(
                f"{where} circuit cannot be exported to OpenQASM 3 by qiskit.qasm3.dumps: {exc}"
                " (export it yourself and pass the text)"
            ) from exc
        return _qasm3_text(where, str(text))
    hint = "" if quantum_circuit is not None else f" (for QuantumCircuit: {_QISKIT_EXTRA})"
    raise TypeError(
        f"{where} circuit must be OpenQASM 3 text (str) or a qiskit.QuantumCircuit{hint},"
        f" got {type(circuit).__name__}"
    )


def _qasm3_text(where: str, text: str) -> str:
    start = _QASM_PREAMBLE.match(text)
    header = _QASM_VERSION.match(text, start.end() if start else 0)
    if header is None:
        raise ValueError(
            f"{where} circuit must be OpenQASM 3 text starting with an 'OPENQASM 3' header"
            " (the service takes OpenQASM 3; qiskit.qasm3.dumps writes it)"
        )
    if header.group(1) != "3":
        raise ValueError(
            f"{where} circuit is OpenQASM {header.group(1)}; the service takes OpenQASM 3"
            " (convert it, e.g. qiskit.qasm3.dumps(QuantumCircuit.from_qasm_str(text)))"
        )
    return text


# -- parameter values --------------------------------------------------------------------------


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


# -- observables -------------------------------------------------------------------------------


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


# -- scalars and options -----------------------------------------------------------------------


def _shots(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{field} must be an int, got {type(value).__name__}")
    shots = int(value)
    if shots <= 0:
        raise ValueError(f"{field} must be positive, got {shots}")
    return shots


def _precision(field: str, value: object) -> float:
    number = _real(field, value)
    if number <= 0:
        raise ValueError(f"{field} must be greater than 0, got {number}")
    return number


def _resilience_level(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"resilience_level must be an int, got {type(value).__name__}")
    level = int(value)
    if not 0 <= level <= _MAX_RESILIENCE_LEVEL:
        raise ValueError(f"resilience_level must be 0, 1 or 2, got {level}")
    return level


def _options(options: object, misplaced: Mapping[str, str]) -> dict[str, Any] | None:
    if options is None:
        return None
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a mapping, got {type(options).__name__}")
    out: dict[str, Any] = {}
    for key, value in options.items():
        if not isinstance(key, str):
            raise TypeError(f"options keys must be str, got {type(key).__name__}")
        if key in misplaced:
            raise ValueError(f"options[{key!r}] does not belong in options: {misplaced[key]}")
        out[key] = _plain_json(f"options[{key!r}]", value)
    return out


def _plain_json(field: str, value: object) -> Any:
    """A copy made of dict/list/str/int/float/bool/None only, so msgspec encodes it as is."""
    value = _plain_array(value)
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, numbers.Real):
        return _number(field, value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{field} keys must be str, got {type(key).__name__}")
            out[key] = _plain_json(f"{field}[{key!r}]", item)
        return out
    if isinstance(value, list):
        return [_plain_json(f"{field}[{i}]", item) for i, item in enumerate(value)]
    raise TypeError(f"{field} must be JSON data, got {type(value).__name__}")


def _qiskit_attr(module: str, name: str) -> Any:
    """``module.name`` if that module is already loaded, else None: this never imports qiskit.

    An object of a qiskit type can only exist once its module has been imported, so when the
    module is not in ``sys.modules`` the value in hand is not of that type.
    """
    loaded = sys.modules.get(module)
    return None if loaded is None else getattr(loaded, name, None)
