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

import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._lazy_qiskit import _qiskit_attr
from ._pub_circuits import _circuit
from ._pub_observables import _observables
from ._pub_values import _number, _parameter_values, _plain_array, _real

__all__ = [
    "PARAMS_VERSION",
    "sampler_params",
    "estimator_params",
]

PARAMS_VERSION = 2
"""The ``version`` of the V2 primitives' params (an integer, as the official client sends it)."""

_MAX_RESILIENCE_LEVEL = 2

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
    out_pubs = _pubs(pubs, _SAMPLER_FIELDS, minimum=1, last=_shots, default=default_shots)
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
    out_pubs = _pubs(pubs, _ESTIMATOR_FIELDS, minimum=2, last=_precision, default=default_precision)
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


def _pubs(
    pubs: object,
    names: tuple[str, ...],
    *,
    minimum: int,
    last: Callable[[str, object], object],
    default: object,
) -> list[list[Any]]:
    """Every pub in its plain-JSON form; ``names`` are its fields in order.

    Fields are checked in that order: the circuit, the observables (an estimator pub's second
    field), the parameter values, then the last field (shots or precision) with ``last``;
    ``default`` stands in for a last field left out.
    """
    maximum = len(names)
    values_at = maximum - 2  # the parameter values come just before the last field
    out_pubs: list[list[Any]] = []
    for index, pub in enumerate(_pub_list(pubs)):
        where = f"pubs[{index}]"
        fields = _pub_fields(where, pub, minimum=minimum, maximum=maximum, names=names)
        circuit_obj = fields[0]
        text = _circuit(where, circuit_obj)
        out: list[Any] = [text]
        if names[1] == "observables":
            out.append(_observables(where, fields[1], circuit_obj))
        has_values = len(fields) > values_at
        values = fields[values_at] if has_values else None
        out_values = _parameter_values(where, values, circuit_obj, text)
        if has_values:
            out.append(out_values)
        keep = len(fields) == maximum
        own = fields[-1] if keep else None
        value = last(f"{where} {names[-1]}", own) if own is not None else default
        out_pubs.append(_with_last(out, maximum, value, keep=keep))
    return out_pubs


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
