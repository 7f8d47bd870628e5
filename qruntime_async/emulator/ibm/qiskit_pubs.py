"""Pubs as qiskit-ibm-runtime sends them, run with Qiskit's reference primitives.

The official client encodes circuits as QPY and parameter values as NumPy arrays, each in the
runtime's ``{"__type__": ..., "__value__": base64(zlib(...))}`` envelope. With ``qiskit``
installed (the ``sim`` extra) such pubs are decoded and simulated exactly with
``StatevectorSampler`` / ``StatevectorEstimator``: the circuits are ISA circuits over the whole
device, so the qubits no instruction touches are dropped first (they stay in ``|0>``; observables
are reduced accordingly). Without Qiskit, a job carrying such pubs fails with a reason naming
the extra to install.

Estimator values are exact unless a precision is asked (the pub's, else
``options.default_precision``): then Gaussian noise of that standard deviation is added, seeded.
"""

from __future__ import annotations

import base64
import importlib
import io
import zlib
from dataclasses import dataclass
from typing import Any

from .encoded import EstimatorOutcome, Outcome, SamplerOutcome

#: The most qubits a decoded circuit may act on (the statevector holds 2**n amplitudes).
MAX_ACTIVE_QUBITS = 24
NO_QISKIT = (
    "QPY-encoded circuits (as qiskit-ibm-runtime sends them) need Qiskit in the emulator: "
    "pip install 'qruntime-async[sim]'"
)
#: Instructions every ISA accepts besides the backend's basis gates.
ISA_EXTRAS = frozenset(
    {"measure", "barrier", "delay", "reset", "if_else", "for_loop", "switch_case", "while_loop"}
)
_NOT_ACTING = frozenset({"barrier", "delay"})

_modules: dict[str, Any] | None = None
_checked = False


def qiskit_modules() -> dict[str, Any] | None:
    """Qiskit's modules this needs (None when Qiskit cannot be imported); cached."""
    global _modules, _checked
    if not _checked:
        _checked = True
        try:
            _modules = {
                "np": importlib.import_module("numpy"),
                "qpy": importlib.import_module("qiskit.qpy"),
                "circuit": importlib.import_module("qiskit.circuit"),
                "primitives": importlib.import_module("qiskit.primitives"),
                "quantum_info": importlib.import_module("qiskit.quantum_info"),
            }
        except Exception:
            _modules = None
    return _modules


def is_encoded_circuit(value: Any) -> bool:
    """True for a ``{"__type__": "QuantumCircuit", ...}`` envelope."""
    return isinstance(value, dict) and value.get("__type__") == "QuantumCircuit"


def _unpack(text: Any, compressed: bool = True) -> io.BytesIO:
    raw = base64.standard_b64decode(str(text))
    return io.BytesIO(zlib.decompress(raw) if compressed else raw)


def decode(value: Any, qk: dict[str, Any]) -> Any:
    """A JSON value with the runtime's envelopes replaced by the objects they encode."""
    if isinstance(value, list):
        return [decode(v, qk) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("__type__")
    if kind is None:
        return {k: decode(v, qk) for k, v in value.items()}
    inner = value.get("__value__")
    if kind == "QuantumCircuit":
        return qk["qpy"].load(_unpack(inner))[0]
    if kind == "ndarray":
        if isinstance(inner, (list, int, float)):
            return qk["np"].array(inner)
        return qk["np"].load(_unpack(inner), allow_pickle=False)
    if kind == "complex" and isinstance(inner, list) and len(inner) == 2:
        return complex(inner[0], inner[1])
    if kind == "ObservablesArray":
        return decode(inner, qk)
    if kind == "settings" and str(value.get("__module__", "")).startswith("qiskit.quantum_info"):
        cls = getattr(qk["quantum_info"], str(value.get("__class__")))
        return cls(**decode(inner, qk))
    raise ValueError(f"cannot decode a {kind!r} value")


@dataclass(slots=True)
class Reduced:
    """A circuit on the qubits it acts on, and which of the original qubits those are."""

    circuit: Any
    kept: list[int]
    width: int


def drop_idle(circuit: Any, qk: dict[str, Any]) -> Reduced:
    """The circuit without the qubits no instruction acts on (barriers and delays aside)."""
    used: set[int] = set()
    for inst in circuit.data:
        if inst.operation.name not in _NOT_ACTING:
            used.update(circuit.find_bit(q).index for q in inst.qubits)
    kept = sorted(used)
    mod = qk["circuit"]
    out = mod.QuantumCircuit(mod.QuantumRegister(len(kept), "q"), *circuit.cregs)
    loose = [c for c in circuit.clbits if not circuit.find_bit(c).registers]
    if loose:
        out.add_bits(loose)
    new = {circuit.qubits[k]: out.qubits[i] for i, k in enumerate(kept)}
    for inst in circuit.data:
        qargs = [new[q] for q in inst.qubits if q in new]
        name = inst.operation.name
        if name == "barrier":
            if qargs:
                out.barrier(*qargs)
        elif name == "delay" and not qargs:
            continue
        else:
            out.append(inst.operation, qargs, inst.clbits)
    out.global_phase = circuit.global_phase
    return Reduced(out, kept, circuit.num_qubits)


def reduce_observable(obs: Any, reduced: Reduced, qk: dict[str, Any]) -> Any:
    """A ``SparsePauliOp`` on the kept qubits: a term with X or Y on a dropped qubit (in
    ``|0>``) is worth 0; Z or I there is worth 1."""
    terms = [(obs, 1.0)] if isinstance(obs, str) else list(dict(obs).items())
    labels: list[str] = []
    coeffs: list[complex] = []
    kept = set(reduced.kept)
    width = reduced.width
    for label, coeff in terms:
        text = str(label)
        if len(text) != width:
            raise ValueError(
                f"observable {text[:40]!r} acts on {len(text)} qubits, the circuit on {width}"
            )
        if any(text[width - 1 - q] in "XY" for q in range(width) if q not in kept):
            continue
        labels.append("".join(text[width - 1 - k] for k in reversed(reduced.kept)))
        value = coeff[0] if isinstance(coeff, (list, tuple)) else coeff
        coeffs.append(complex(value))
    if not labels:
        labels, coeffs = ["I" * len(reduced.kept)], [0j]
    return qk["quantum_info"].SparsePauliOp(labels, coeffs)


def _nested(obs: Any, reduced: Reduced, qk: dict[str, Any]) -> Any:
    if isinstance(obs, list):
        return [_nested(o, reduced, qk) for o in obs]
    return reduce_observable(obs, reduced, qk)


@dataclass(slots=True)
class Prepared:
    """One decoded pub, ready for a reference primitive."""

    reduced: Reduced
    values: Any
    shots: int | None
    observables: Any
    precision: float | None


def prepare(program: str, pub: Any, qk: dict[str, Any]) -> Prepared:
    """Decode and reduce one pub; ValueError (or Qiskit's errors) when it cannot run."""
    items = decode(pub, qk)
    if not isinstance(items, list):
        items = [items]
    circuit = items[0]
    reduced = drop_idle(circuit, qk)
    if len(reduced.kept) > MAX_ACTIVE_QUBITS:
        raise ValueError(
            f"the circuit acts on {len(reduced.kept)} qubits; the emulator simulates at most "
            f"{MAX_ACTIVE_QUBITS}"
        )
    if program == "estimator":
        observables = _nested(items[1] if len(items) > 1 else [], reduced, qk)
        values = items[2] if len(items) > 2 else None
        precision = items[3] if len(items) > 3 else None
        shots = None
    else:
        observables, precision = None, None
        values = items[1] if len(items) > 1 else None
        shots = items[2] if len(items) > 2 else None
    if not circuit.parameters:
        values = None
    return Prepared(reduced, values, None if shots is None else int(shots), observables, precision)


def submission_problem(program: str, params: dict[str, Any]) -> tuple[str | None, set[str]]:
    """Why the encoded pubs of a new job cannot run (None: they can), and the instructions
    their circuits use (for the ISA check)."""
    pubs = params.get("pubs")
    if not isinstance(pubs, list):
        return None, set()
    encoded = [i for i, pub in enumerate(pubs) if is_encoded_circuit(_circuit_of(pub))]
    if not encoded:
        return None, set()
    qk = qiskit_modules()
    if qk is None:
        return NO_QISKIT, set()
    names: set[str] = set()
    for i in encoded:
        try:
            prepared = prepare(program, pubs[i], qk)
        except Exception as exc:
            return f"Invalid pub {i}: {exc}", names
        names.update(inst.operation.name for inst in prepared.reduced.circuit.data)
    return None, names


def _circuit_of(pub: Any) -> Any:
    return pub[0] if isinstance(pub, list) and pub else pub


def isa_problem(names: set[str], basis: tuple[str, ...]) -> str | None:
    """Why decoded circuits are outside the backend's instruction set (None: they are not)."""
    outside = sorted(names.difference(basis).difference(ISA_EXTRAS))
    if not outside:
        return None
    return (
        f"The instruction {outside[0]} is not supported by the target device (basis gates: "
        f"{', '.join(basis)}). Circuits must be transpiled to the backend's instruction set "
        "architecture (ISA) before submission."
    )


def run_pub(program: str, pub: Any, options: dict[str, Any], shots: int, seed: int) -> Outcome:
    """The outcome of one encoded pub (Qiskit must be importable)."""
    qk = qiskit_modules()
    if qk is None:
        raise RuntimeError(NO_QISKIT)
    p = prepare(program, pub, qk)
    meta: dict[str, Any] = {"simulator": "qiskit-statevector", "synthetic": False}
    meta["circuit_metadata"] = dict(p.reduced.circuit.metadata or {})
    if program == "estimator":
        return _estimate(p, options, seed % 2**32, qk, meta)
    return _sample(p, p.shots or shots, seed % 2**32, qk, meta)


def _sample(
    p: Prepared, shots: int, seed: int, qk: dict[str, Any], meta: dict[str, Any]
) -> Outcome:
    sampler = qk["primitives"].StatevectorSampler(default_shots=shots, seed=seed)
    result = sampler.run([(p.reduced.circuit, p.values, shots)]).result()[0]
    data = result.data
    registers: list[tuple[str, int, list[int]]] = []
    for name in data.keys():  # noqa: SIM118 - DataBin is not a mapping on every Qiskit
        bits = data[name]
        array = qk["np"].asarray(bits.array)
        rows = array.reshape(-1, array.shape[-1])
        registers.append(
            (name, int(bits.num_bits), [int.from_bytes(r.tobytes(), "big") for r in rows])
        )
    return SamplerOutcome(registers, {**meta, "shots": shots}, shape=tuple(data.shape))


def _estimate(
    p: Prepared, options: dict[str, Any], seed: int, qk: dict[str, Any], meta: dict[str, Any]
) -> Outcome:
    precision = p.precision if p.precision is not None else options.get("default_precision")
    precision = float(precision or 0.0)
    estimator = qk["primitives"].StatevectorEstimator(default_precision=precision, seed=seed)
    pub = (p.reduced.circuit, p.observables, p.values, precision)
    data = estimator.run([pub]).result()[0].data
    np = qk["np"]
    evs = np.asarray(data.evs, dtype=float)
    stds = np.asarray(data.stds, dtype=float)
    meta = {**meta, "target_precision": precision, "shots": 0}
    return EstimatorOutcome(
        [float(x) for x in evs.ravel()], [float(x) for x in stds.ravel()], tuple(evs.shape), meta
    )
