"""Computed results: parse OpenQASM text, then sample the circuit.

Order of preference: Qiskit Aer when ``qiskit`` and ``qiskit-aer`` are importable; else a small
built-in statevector simulator (standard gates, at most ``MAX_STATEVECTOR_QUBITS`` qubits, final
measurements); else a deterministic seeded distribution over the measured bits, marked
``synthetic``. Every path is deterministic for a given seed.
"""

from __future__ import annotations

import ast
import cmath
import importlib
import math
import operator
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_STATEVECTOR_QUBITS = 10
MAX_EXACT_SAMPLING_SHOTS = 200_000

Matrix = tuple[complex, complex, complex, complex]


class CircuitError(ValueError):
    """The text is not a circuit this emulator can read."""


@dataclass
class Circuit:
    """What the emulator knows about one circuit."""

    qubits: int = 0
    qregs: dict[str, tuple[int, int]] = field(default_factory=dict)
    cregs: list[tuple[str, int]] = field(default_factory=list)
    ops: list[tuple[str, tuple[float, ...], tuple[int, ...]]] = field(default_factory=list)
    #: (qubit, creg name, bit index)
    measures: list[tuple[int, str, int]] = field(default_factory=list)
    #: Why the statevector path cannot run this circuit (None: it can).
    unsupported: str | None = None

    @property
    def clbits(self) -> int:
        """Number of classical bits."""
        return sum(size for _, size in self.cregs)


@dataclass
class Sample:
    """Counts of one circuit, per classical register (bit 0 rightmost, as Qiskit writes them)."""

    registers: list[tuple[str, int]]
    counts: dict[str, dict[str, int]]
    shots: int
    method: str
    synthetic: bool
    num_qubits: int

    def joint_counts(self) -> dict[str, int]:
        """Counts over all registers, last register first, separated by spaces (Qiskit style)."""
        if not self.registers:
            return {}
        names = [name for name, _ in self.registers]
        if len(names) == 1:
            return dict(self.counts[names[0]])
        return dict(self._joint)

    _joint: dict[str, int] = field(default_factory=dict)


_GATE_RE = re.compile(r"^([A-Za-z_][\w]*)\s*(?:\((.*)\))?\s*(.*)$", re.S)
_ARG_RE = re.compile(r"^([A-Za-z_][\w]*)\s*(?:\[\s*(\d+)\s*\])?$")

_BIN_OPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_FUNCS: dict[str, Callable[[float], float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "ln": math.log,
    "sqrt": math.sqrt,
}


def _eval_expr(text: str) -> float:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise CircuitError(f"bad parameter {text!r}") from exc

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in ("pi", "π"):
            return math.pi
        if isinstance(node, ast.Name) and node.id in ("tau",):
            return 2 * math.pi
        if isinstance(node, ast.Name) and node.id == "euler":
            return math.e
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN_OPS:
            return _BIN_OPS[type(node.op)](walk(node.left), walk(node.right))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCS
            and len(node.args) == 1
        ):
            return _FUNCS[node.func.id](walk(node.args[0]))
        raise CircuitError(f"unsupported parameter expression {text!r}")

    try:
        return walk(tree)
    except (ArithmeticError, ValueError) as exc:
        raise CircuitError(f"bad parameter {text!r}") from exc


def _split_params(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return parts


_ONE_QUBIT = {
    "id", "i", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg",
    "rx", "ry", "rz", "p", "u1", "u2", "u3", "u", "U", "phase",
}  # fmt: skip
_CONTROLLED = {
    "cx": "x", "CX": "x", "cnot": "x", "cy": "y", "cz": "z", "ch": "h", "cp": "p",
    "cu1": "u1", "cphase": "p", "crx": "rx", "cry": "ry", "crz": "rz", "cu3": "u3",
    "csx": "sx",
}  # fmt: skip
_OTHER = {"swap", "ccx", "toffoli", "cswap", "fredkin", "rzz", "rxx", "ryy"}
_IGNORED = {"barrier", "delay", "opaque"}


def parse_qasm(text: str) -> Circuit:
    """Parse OpenQASM 2 (and the common subset of OpenQASM 3); CircuitError if unreadable."""
    if not isinstance(text, str) or ("qreg" not in text and "qubit" not in text):
        raise CircuitError("not an OpenQASM circuit")
    body = re.sub(r"//[^\n]*", "", text)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    circuit = Circuit()
    if re.search(r"\bgate\s+\w+", body):
        circuit.unsupported = "custom gate definitions"
        body = re.sub(r"\bgate\s+[^{]*\{[^}]*\}", "", body)
    measured: set[int] = set()
    for raw in body.split(";"):
        stmt = " ".join(raw.split())
        if not stmt:
            continue
        head = stmt.split(" ", 1)[0]
        if head in ("OPENQASM", "include", "input", "output", "defcalgrammar"):
            continue
        if head in ("qreg", "creg"):
            m = re.match(r"^(?:qreg|creg)\s+(\w+)\s*\[\s*(\d+)\s*\]$", stmt)
            if m is None:
                raise CircuitError(f"bad declaration {stmt!r}")
            _declare(circuit, head == "qreg", m.group(1), int(m.group(2)))
            continue
        m3 = re.match(r"^(qubit|bit)\s*(?:\[\s*(\d+)\s*\])?\s+(\w+)$", stmt)
        if m3 is not None:
            _declare(circuit, m3.group(1) == "qubit", m3.group(3), int(m3.group(2) or 1))
            continue
        if head == "measure" or "= measure" in stmt or "=measure" in stmt:
            _parse_measure(circuit, stmt, measured)
            continue
        if head.startswith("if") or head == "reset" or head.startswith("for"):
            circuit.unsupported = f"'{head}' statements"
            continue
        m = _GATE_RE.match(stmt)
        if m is None:
            raise CircuitError(f"cannot read {stmt!r}")
        name, params_text, args_text = m.group(1), m.group(2), m.group(3)
        if name in _IGNORED:
            continue
        params = tuple(_eval_expr(p) for p in _split_params(params_text or ""))
        args = [a.strip() for a in args_text.split(",") if a.strip()]
        if not args:
            raise CircuitError(f"gate without operands: {stmt!r}")
        targets = _broadcast(circuit, args)
        if name not in _ONE_QUBIT and name not in _CONTROLLED and name not in _OTHER:
            circuit.unsupported = f"gate {name!r}"
            continue
        for qubits in targets:
            if measured.intersection(qubits):
                circuit.unsupported = "gates after a measurement"
            circuit.ops.append((name, params, qubits))
    if circuit.qubits == 0:
        raise CircuitError("the circuit declares no qubits")
    return circuit


def _declare(circuit: Circuit, quantum: bool, name: str, size: int) -> None:
    if quantum:
        circuit.qregs[name] = (circuit.qubits, size)
        circuit.qubits += size
    else:
        circuit.cregs.append((name, size))


def _qubit_list(circuit: Circuit, arg: str) -> list[int]:
    m = _ARG_RE.match(arg)
    if m is None or m.group(1) not in circuit.qregs:
        raise CircuitError(f"unknown qubit {arg!r}")
    start, size = circuit.qregs[m.group(1)]
    if m.group(2) is None:
        return list(range(start, start + size))
    index = int(m.group(2))
    if index >= size:
        raise CircuitError(f"qubit index out of range: {arg!r}")
    return [start + index]


def _clbit_list(circuit: Circuit, arg: str) -> list[tuple[str, int]]:
    m = _ARG_RE.match(arg)
    sizes = dict(circuit.cregs)
    if m is None or m.group(1) not in sizes:
        raise CircuitError(f"unknown classical bit {arg!r}")
    size = sizes[m.group(1)]
    if m.group(2) is None:
        return [(m.group(1), i) for i in range(size)]
    index = int(m.group(2))
    if index >= size:
        raise CircuitError(f"classical bit index out of range: {arg!r}")
    return [(m.group(1), index)]


def _broadcast(circuit: Circuit, args: Sequence[str]) -> list[tuple[int, ...]]:
    lists = [_qubit_list(circuit, a) for a in args]
    width = max(len(x) for x in lists)
    for x in lists:
        if len(x) not in (1, width):
            raise CircuitError("registers of different sizes in one gate")
    return [tuple(x[0] if len(x) == 1 else x[i] for x in lists) for i in range(width)]


def _parse_measure(circuit: Circuit, stmt: str, measured: set[int]) -> None:
    if stmt.startswith("measure"):
        m = re.match(r"^measure\s+(.+?)\s*->\s*(.+)$", stmt)
        if m is None:
            raise CircuitError(f"bad measurement {stmt!r}")
        qarg, carg = m.group(1), m.group(2)
    else:
        m = re.match(r"^(.+?)\s*=\s*measure\s+(.+)$", stmt)
        if m is None:
            raise CircuitError(f"bad measurement {stmt!r}")
        carg, qarg = m.group(1), m.group(2)
    qubits = _qubit_list(circuit, qarg.strip())
    clbits = _clbit_list(circuit, carg.strip())
    if len(qubits) != len(clbits):
        raise CircuitError(f"measurement of different sizes: {stmt!r}")
    for q, (creg, bit) in zip(qubits, clbits, strict=True):
        circuit.measures.append((q, creg, bit))
        measured.add(q)


# --- statevector -------------------------------------------------------------------------------

_S2 = 1 / math.sqrt(2)


def _u3(theta: float, phi: float, lam: float) -> Matrix:
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return (
        complex(c),
        -cmath.exp(1j * lam) * s,
        cmath.exp(1j * phi) * s,
        cmath.exp(1j * (phi + lam)) * c,
    )


def _matrix(name: str, params: tuple[float, ...]) -> Matrix:
    def need(n: int) -> None:
        if len(params) != n:
            raise CircuitError(f"gate {name!r} takes {n} parameter(s)")

    if name in ("id", "i"):
        return (1, 0, 0, 1)
    if name == "x":
        return (0, 1, 1, 0)
    if name == "y":
        return (0, -1j, 1j, 0)
    if name == "z":
        return (1, 0, 0, -1)
    if name == "h":
        return (_S2, _S2, _S2, -_S2)
    if name == "s":
        return (1, 0, 0, 1j)
    if name == "sdg":
        return (1, 0, 0, -1j)
    if name == "t":
        return (1, 0, 0, cmath.exp(1j * math.pi / 4))
    if name == "tdg":
        return (1, 0, 0, cmath.exp(-1j * math.pi / 4))
    if name == "sx":
        return ((1 + 1j) / 2, (1 - 1j) / 2, (1 - 1j) / 2, (1 + 1j) / 2)
    if name == "sxdg":
        return ((1 - 1j) / 2, (1 + 1j) / 2, (1 + 1j) / 2, (1 - 1j) / 2)
    if name == "rx":
        need(1)
        c, s = math.cos(params[0] / 2), math.sin(params[0] / 2)
        return (c, -1j * s, -1j * s, c)
    if name == "ry":
        need(1)
        c, s = math.cos(params[0] / 2), math.sin(params[0] / 2)
        return (c, -s, s, c)
    if name == "rz":
        need(1)
        return (cmath.exp(-0.5j * params[0]), 0, 0, cmath.exp(0.5j * params[0]))
    if name in ("p", "u1", "phase"):
        need(1)
        return (1, 0, 0, cmath.exp(1j * params[0]))
    if name == "u2":
        need(2)
        return _u3(math.pi / 2, params[0], params[1])
    if name in ("u3", "u", "U"):
        need(3)
        return _u3(*params)
    raise CircuitError(f"gate {name!r}")


class _State:
    def __init__(self, n: int) -> None:
        self.n = n
        self.amp: list[complex] = [0j] * (1 << n)
        self.amp[0] = 1 + 0j

    def apply(self, m: Matrix, target: int, controls: Sequence[int] = ()) -> None:
        a, b, c, d = m
        bit = 1 << target
        cmask = 0
        for q in controls:
            cmask |= 1 << q
        amp = self.amp
        for i in range(len(amp)):
            if i & bit or (i & cmask) != cmask:
                continue
            j = i | bit
            x, y = amp[i], amp[j]
            amp[i] = a * x + b * y
            amp[j] = c * x + d * y

    def swap(self, q1: int, q2: int, controls: Sequence[int] = ()) -> None:
        b1, b2 = 1 << q1, 1 << q2
        cmask = 0
        for q in controls:
            cmask |= 1 << q
        amp = self.amp
        for i in range(len(amp)):
            if i & b1 and not i & b2 and (i & cmask) == cmask:
                j = (i & ~b1) | b2
                amp[i], amp[j] = amp[j], amp[i]

    def run(self, ops: Sequence[tuple[str, tuple[float, ...], tuple[int, ...]]]) -> None:
        for name, params, qubits in ops:
            if name in _ONE_QUBIT:
                self.apply(_matrix(name, params), qubits[0])
            elif name in _CONTROLLED:
                self._need(name, qubits, 2)
                self.apply(_matrix(_CONTROLLED[name], params), qubits[1], (qubits[0],))
            elif name == "swap":
                self._need(name, qubits, 2)
                self.swap(qubits[0], qubits[1])
            elif name in ("ccx", "toffoli"):
                self._need(name, qubits, 3)
                self.apply(_matrix("x", ()), qubits[2], qubits[:2])
            elif name in ("cswap", "fredkin"):
                self._need(name, qubits, 3)
                self.swap(qubits[1], qubits[2], (qubits[0],))
            elif name in ("rzz", "rxx", "ryy"):
                self._need(name, qubits, 2)
                self._two_axis(name, params, qubits)
            else:
                raise CircuitError(f"gate {name!r}")

    @staticmethod
    def _need(name: str, qubits: tuple[int, ...], n: int) -> None:
        if len(qubits) != n:
            raise CircuitError(f"gate {name!r} acts on {n} qubits")

    def _two_axis(self, name: str, params: tuple[float, ...], qubits: tuple[int, ...]) -> None:
        if len(params) != 1:
            raise CircuitError(f"gate {name!r} takes 1 parameter")
        basis = {"rzz": (), "rxx": ("h",), "ryy": ("sdg", "h")}[name]
        for q in qubits:
            for g in basis:
                self.apply(_matrix(g, ()), q)
        self.apply(_matrix("x", ()), qubits[1], (qubits[0],))
        self.apply(_matrix("rz", params), qubits[1])
        self.apply(_matrix("x", ()), qubits[1], (qubits[0],))
        inverse = {"h": "h", "sdg": "s"}
        for q in qubits:
            for g in reversed(basis):
                self.apply(_matrix(inverse[g], ()), q)

    def probabilities(self) -> list[float]:
        return [abs(a) ** 2 for a in self.amp]

    def expectation(self, pauli: str) -> float:
        """Expectation of a Pauli string (rightmost letter acts on qubit 0)."""
        letters = pauli.upper()[::-1]
        if len(letters) > self.n:
            raise CircuitError(f"observable {pauli!r} is wider than the circuit")
        total = 0.0
        amp = self.amp
        for i, a in enumerate(amp):
            if a == 0:
                continue
            j = i
            phase: complex = 1
            for q, p in enumerate(letters):
                bit = (i >> q) & 1
                if p == "X":
                    j ^= 1 << q
                elif p == "Y":
                    j ^= 1 << q
                    phase *= 1j if bit == 0 else -1j
                elif p == "Z":
                    if bit:
                        phase = -phase
                elif p != "I":
                    raise CircuitError(f"bad Pauli letter {p!r}")
            total += (amp[j].conjugate() * phase * a).real
        return total


def _bits_of(circuit: Circuit, basis_state: int) -> dict[str, str]:
    values = {name: ["0"] * size for name, size in circuit.cregs}
    for q, creg, bit in circuit.measures:
        values[creg][bit] = "1" if (basis_state >> q) & 1 else "0"
    return {name: "".join(reversed(bits)) for name, bits in values.items()}


def _draw(
    outcomes: dict[tuple[str, ...], float], shots: int, rng: random.Random
) -> Counter[tuple[str, ...]]:
    keys = list(outcomes)
    weights = [outcomes[k] for k in keys]
    if shots <= MAX_EXACT_SAMPLING_SHOTS:
        return Counter(rng.choices(keys, weights, k=shots))
    total = sum(weights)
    counts: Counter[tuple[str, ...]] = Counter()
    assigned = 0
    for k, w in zip(keys, weights, strict=True):
        n = int(shots * w / total)
        counts[k] = n
        assigned += n
    for k in rng.choices(keys, weights, k=shots - assigned):
        counts[k] += 1
    return counts


def _finish(
    circuit: Circuit, drawn: Counter[tuple[str, ...]], shots: int, method: str, synthetic: bool
) -> Sample:
    names = [name for name, _ in circuit.cregs]
    per: dict[str, dict[str, int]] = {name: {} for name in names}
    joint: dict[str, int] = {}
    for key, n in sorted(drawn.items()):
        if n == 0:
            continue
        for name, bits in zip(names, key, strict=True):
            per[name][bits] = per[name].get(bits, 0) + n
        joint[" ".join(reversed(key))] = n
    sample = Sample(
        registers=list(circuit.cregs),
        counts=per,
        shots=shots,
        method=method,
        synthetic=synthetic,
        num_qubits=circuit.qubits,
    )
    sample._joint = joint
    return sample


def synthetic_sample(circuit: Circuit, shots: int, rng: random.Random) -> Sample:
    """A deterministic made-up distribution over the circuit's classical bits."""
    width = circuit.clbits
    if width == 0:
        return _finish(circuit, Counter(), shots, "synthetic", True)
    n_outcomes = min(1 << width, 8)
    chosen: set[int] = {0}
    while len(chosen) < n_outcomes:
        chosen.add(rng.getrandbits(width))
    outcomes: dict[tuple[str, ...], float] = {}
    for value in sorted(chosen):
        text = format(value, f"0{width}b")
        key: list[str] = []
        pos = width
        for _name, size in circuit.cregs:
            key.append(text[pos - size : pos])
            pos -= size
        outcomes[tuple(key)] = 0.2 + rng.random()
    return _finish(circuit, _draw(outcomes, shots, rng), shots, "synthetic", True)


_aer_modules: tuple[Any, Any, Any] | None = None
_aer_checked = False


def simulator_available() -> bool:
    """True when Qiskit Aer can be used (the first call looks for it: call it off the loop)."""
    return _load_aer() is not None


def _load_aer() -> tuple[Any, Any, Any] | None:
    """(qasm2, qasm3, AerSimulator) when Qiskit and Qiskit Aer are importable; cached."""
    global _aer_modules, _aer_checked
    if not _aer_checked:
        _aer_checked = True
        try:
            qasm2 = importlib.import_module("qiskit.qasm2")
            qasm3 = importlib.import_module("qiskit.qasm3")
            aer = importlib.import_module("qiskit_aer")
            _aer_modules = (qasm2, qasm3, aer.AerSimulator)
        except Exception:
            _aer_modules = None
    return _aer_modules


def _try_aer(text: str, circuit: Circuit, shots: int, seed: int) -> Sample | None:
    modules = _load_aer()
    if modules is None:
        return None
    qasm2, qasm3, simulator = modules
    try:
        loader = qasm3 if text.lstrip().startswith("OPENQASM 3") else qasm2
        qc = loader.loads(text)
        result = simulator(seed_simulator=seed % (2**31)).run(qc, shots=shots).result()
        raw: dict[str, int] = dict(result.get_counts())
    except Exception:
        return None
    drawn: Counter[tuple[str, ...]] = Counter()
    for key, n in raw.items():
        parts = key.split(" ") if " " in key else [key]
        drawn[tuple(reversed(parts))] += int(n)
    return _finish(circuit, drawn, shots, "aer", False)


def sample_circuit(text: str, shots: int, seed: int) -> Sample:
    """Counts for ``shots`` runs of the OpenQASM ``text``; CircuitError if unreadable."""
    circuit = parse_qasm(text)
    rng = random.Random(seed)
    aer = _try_aer(text, circuit, shots, seed)
    if aer is not None:
        return aer
    if circuit.unsupported is None and circuit.qubits <= MAX_STATEVECTOR_QUBITS:
        state = _State(circuit.qubits)
        state.run(circuit.ops)
        outcomes: dict[tuple[str, ...], float] = {}
        for i, p in enumerate(state.probabilities()):
            if p < 1e-12:
                continue
            bits = _bits_of(circuit, i)
            key = tuple(bits[name] for name, _ in circuit.cregs)
            outcomes[key] = outcomes.get(key, 0.0) + p
        if not circuit.cregs:
            return _finish(circuit, Counter(), shots, "statevector", False)
        return _finish(circuit, _draw(outcomes, shots, rng), shots, "statevector", False)
    return synthetic_sample(circuit, shots, rng)


def expectation_values(
    text: str, observables: Sequence[Any], seed: int
) -> tuple[list[float], list[float], bool]:
    """(values, standard deviations, synthetic) of Pauli observables on the circuit's state.

    Each observable is a Pauli string (``"ZZ"``) or a mapping of Pauli strings to coefficients.
    """
    circuit = parse_qasm(text)
    rng = random.Random(seed)
    exact = circuit.unsupported is None and circuit.qubits <= MAX_STATEVECTOR_QUBITS
    state: _State | None = None
    if exact:
        state = _State(circuit.qubits)
        state.run(circuit.ops)
    values: list[float] = []
    for obs in observables:
        terms: list[tuple[str, float]]
        if isinstance(obs, str):
            terms = [(obs, 1.0)]
        elif isinstance(obs, dict):
            terms = []
            for k, v in obs.items():
                coeff = v[0] if isinstance(v, (list, tuple)) and v else v
                if not isinstance(coeff, (int, float)):
                    raise CircuitError("observable coefficients must be numbers")
                terms.append((str(k), float(coeff)))
        else:
            raise CircuitError("observables must be Pauli strings or {pauli: coefficient}")
        if state is not None:
            values.append(sum(c * state.expectation(p) for p, c in terms))
        else:
            values.append(sum(c * (2 * rng.random() - 1) for _, c in terms))
    stds = [0.0 if state is not None else round(0.01 + 0.02 * rng.random(), 6) for _ in values]
    return values, stds, state is None


def qiskit_result_dict(
    samples: Sequence[Sample], *, backend_name: str, job_id: str, synthetic: bool
) -> dict[str, Any]:
    """A document shaped like Qiskit's ``Result.to_dict()`` (counts keyed by hex values)."""
    results: list[dict[str, Any]] = []
    for i, s in enumerate(samples):
        memory_slots = sum(size for _, size in s.registers)
        hex_counts: dict[str, int] = {}
        for key, n in s.joint_counts().items():
            value = int(key.replace(" ", ""), 2) if key.replace(" ", "") else 0
            hex_key = hex(value)
            hex_counts[hex_key] = hex_counts.get(hex_key, 0) + n
        results.append(
            {
                "shots": s.shots,
                "success": True,
                "status": "DONE",
                "data": {"counts": hex_counts},
                "header": {
                    "name": f"circuit-{i}",
                    "creg_sizes": [[name, size] for name, size in s.registers],
                    "memory_slots": memory_slots,
                    "n_qubits": s.num_qubits,
                },
                "metadata": {"method": s.method, "synthetic": s.synthetic},
            }
        )
    return {
        "backend_name": backend_name,
        "backend_version": "emulator",
        "job_id": job_id,
        "qobj_id": job_id,
        "success": True,
        "status": "COMPLETED",
        "results": results,
        "metadata": {"synthetic": synthetic},
    }


def find_qasm(value: Any) -> list[str]:
    """Every OpenQASM text found in a JSON value (a string, or nested in lists and objects)."""
    found: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, str):
            if "OPENQASM" in v[:200] or re.search(r"\bqreg\b", v[:2000]):
                found.append(v)
        elif isinstance(v, dict):
            for item in v.values():
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return found
