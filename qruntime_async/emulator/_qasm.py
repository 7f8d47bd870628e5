"""Reading OpenQASM 2 (and the common subset of OpenQASM 3) into a :class:`Circuit`."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


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
    #: Every gate name applied (not ``measure``, ``reset``, ``barrier``, ``delay``).
    gates: set[str] = field(default_factory=set)
    #: Physical qubits (``$n``) mapped to dense simulator indices, in order of first use.
    physical: dict[int, int] = field(default_factory=dict)

    @property
    def clbits(self) -> int:
        """Number of classical bits."""
        return sum(size for _, size in self.cregs)


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


ONE_QUBIT_GATES = {
    "id", "i", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg",
    "rx", "ry", "rz", "p", "u1", "u2", "u3", "u", "U", "phase",
}  # fmt: skip
CONTROLLED_GATES = {
    "cx": "x", "CX": "x", "cnot": "x", "cy": "y", "cz": "z", "ch": "h", "cp": "p",
    "cu1": "u1", "cphase": "p", "crx": "rx", "cry": "ry", "crz": "rz", "cu3": "u3",
    "csx": "sx",
}  # fmt: skip
OTHER_GATES = {"swap", "ccx", "toffoli", "cswap", "fredkin", "rzz", "rxx", "ryy", "ecr", "rzx"}
KNOWN_GATES = ONE_QUBIT_GATES | set(CONTROLLED_GATES) | OTHER_GATES
_GATE_DEF_RE = re.compile(r"\bgate\s+(\w+)[^{]*\{[^}]*\}")
_PHYSICAL_RE = re.compile(r"\$(\d+)")
_IGNORED = {"barrier", "delay", "opaque"}


def _strip(text: str, circuit: Circuit) -> str:
    """The text without comments and gate definitions (a definition of a gate the simulator
    knows, such as the ``ecr`` Qiskit writes out, is replaced by the built-in one)."""
    body = re.sub(r"//[^\n]*", "", text)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    for name in _GATE_DEF_RE.findall(body):
        if name not in KNOWN_GATES:
            circuit.unsupported = "custom gate definitions"
    body = _GATE_DEF_RE.sub("", body)
    for index in _PHYSICAL_RE.findall(body):
        circuit.physical.setdefault(int(index), len(circuit.physical))
    circuit.qubits = len(circuit.physical)
    return body


def parse_qasm(text: str) -> Circuit:
    """Parse OpenQASM 2 and the OpenQASM 3 that IBM's guides and Qiskit write (physical qubits
    ``$n``, ``qubit``/``bit`` declarations, ``c = measure q``); CircuitError if unreadable."""
    if not isinstance(text, str) or not re.search(r"\bqreg\b|\bqubit\b|\$\d", text):
        raise CircuitError("not an OpenQASM circuit")
    circuit = Circuit()
    body = _strip(text, circuit)
    measured: set[int] = set()
    touched: set[int] = set()
    for raw in body.split(";"):
        stmt = " ".join(raw.split())
        if stmt:
            _statement(circuit, stmt, measured, touched)
    if circuit.qubits == 0:
        raise CircuitError("the circuit declares no qubits")
    return circuit


def _statement(circuit: Circuit, stmt: str, measured: set[int], touched: set[int]) -> None:
    head = stmt.split(" ", 1)[0]
    if head in ("OPENQASM", "include", "input", "output", "defcalgrammar"):
        return
    if head in ("qreg", "creg"):
        m = re.match(r"^(?:qreg|creg)\s+(\w+)\s*\[\s*(\d+)\s*\]$", stmt)
        if m is None:
            raise CircuitError(f"bad declaration {stmt!r}")
        _declare(circuit, head == "qreg", m.group(1), int(m.group(2)))
        return
    m3 = re.match(r"^(qubit|bit)\s*(?:\[\s*(\d+)\s*\])?\s+(\w+)$", stmt)
    if m3 is not None:
        _declare(circuit, m3.group(1) == "qubit", m3.group(3), int(m3.group(2) or 1))
        return
    if head == "measure" or re.search(r"=\s*measure\b", stmt):
        _parse_measure(circuit, stmt, measured)
        return
    if head == "reset":
        qubits = _qubit_list(circuit, stmt[5:].strip())
        # a reset before any operation leaves |0>: only a later one needs a mixed state
        if touched.intersection(qubits):
            circuit.unsupported = "reset after operations"
        return
    if head.startswith(("if", "for", "while")):
        circuit.unsupported = f"'{head}' statements"
        return
    _gate(circuit, stmt, measured, touched)


def _gate(circuit: Circuit, stmt: str, measured: set[int], touched: set[int]) -> None:
    m = _GATE_RE.match(stmt)
    if m is None:
        raise CircuitError(f"cannot read {stmt!r}")
    name, params_text, args_text = m.group(1), m.group(2), m.group(3)
    if name in _IGNORED:
        return
    params = tuple(_eval_expr(p) for p in _split_params(params_text or ""))
    args = [a.strip() for a in args_text.split(",") if a.strip()]
    if not args:
        raise CircuitError(f"gate without operands: {stmt!r}")
    targets = _broadcast(circuit, args)
    circuit.gates.add(name)
    if name not in KNOWN_GATES:
        circuit.unsupported = f"gate {name!r}"
        return
    for qubits in targets:
        if measured.intersection(qubits):
            circuit.unsupported = "gates after a measurement"
        touched.update(qubits)
        circuit.ops.append((name, params, qubits))


def _declare(circuit: Circuit, quantum: bool, name: str, size: int) -> None:
    if quantum:
        circuit.qregs[name] = (circuit.qubits, size)
        circuit.qubits += size
    else:
        circuit.cregs.append((name, size))


def _qubit_list(circuit: Circuit, arg: str) -> list[int]:
    if arg.startswith("$") and arg[1:].isdigit():
        return [circuit.physical[int(arg[1:])]]
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
