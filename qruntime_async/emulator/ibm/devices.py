"""IBM backend documents as the official client reads them to build its ``Target``.

``GET /backends/{name}/configuration`` (qubit count, basis gates, a heavy-hex coupling map:
``ecr`` edges in one direction, symmetric gates such as ``cz`` in both), ``/properties``
(calibration data: T1/T2, readout and gate errors, drawn once per backend from its name) and
``/status``.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from .._util import rfc3339_ms
from ..config import IbmBackend

#: Qubits in one row of the heavy-hex lattice, and the row columns that bridge qubits join.
ROW_WIDTH = 15
BRIDGE_COLUMNS = ((0, 4, 8, 12), (2, 6, 10, 14))
#: Two-qubit gates whose orientation matters (listed once per edge).
DIRECTED_GATES = frozenset({"ecr", "cx"})
TWO_QUBIT_GATES = frozenset({"ecr", "cx", "cz", "rzz"})
NON_GATE_INSTRUCTIONS = ("delay", "measure", "reset")
CONTROL_FLOW = ("if_else", "for_loop", "switch_case")
ONLINE_DATE = "2023-01-23T05:00:00Z"

_QASM_DEFS = {
    "id": ([], "gate id q { U(0, 0, 0) q; }"),
    "rz": (["theta"], "gate rz(theta) q { U(0, 0, theta) q; }"),
    "sx": ([], "gate sx q { U(pi/2, 3*pi/2, pi/2) q; }"),
    "x": ([], "gate x q { U(pi, 0, pi) q; }"),
    "ecr": (
        [],
        "gate ecr q0, q1 { U(pi, pi/2, 7*pi/2) q0; U(pi, 7*pi/2, pi/2) q1; CX q0, q1; "
        "U(0, 0, 7*pi/2) q0; U(pi/2, 7*pi/2, pi/2) q1; }",
    ),
    "cz": ([], "gate cz q0, q1 { U(pi/2, 0, pi) q1; CX q0, q1; U(pi/2, 0, pi) q1; }"),
    "cx": ([], "gate cx q0, q1 { CX q0, q1; }"),
}


def heavy_hex_edges(num_qubits: int) -> list[tuple[int, int]]:
    """The undirected edges of a heavy-hex lattice: rows of ``ROW_WIDTH`` qubits joined by
    bridge qubits (every qubit is connected, whatever the count)."""
    edges: list[tuple[int, int]] = []
    q = 0
    row_index = 0
    pending: list[tuple[int, int]] = []
    while q < num_qubits:
        row = list(range(q, min(q + ROW_WIDTH, num_qubits)))
        q += len(row)
        edges.extend(itertools.pairwise(row))
        edges.extend((bridge, row[col]) for bridge, col in pending if col < len(row))
        pending = []
        for col in BRIDGE_COLUMNS[row_index % 2]:
            if q >= num_qubits or col >= len(row):
                break
            edges.append((row[col], q))
            pending.append((q, col))
            q += 1
        row_index += 1
    return edges


def two_qubit_gate(b: IbmBackend) -> str | None:
    """The backend's entangling gate (``ecr`` on Eagle, ``cz`` on Heron), if any."""
    return next((g for g in b.basis_gates if g in TWO_QUBIT_GATES), None)


def coupling_map(b: IbmBackend) -> list[list[int]]:
    """Directed edges: one direction per edge for ``ecr``/``cx``, both otherwise."""
    directed = two_qubit_gate(b) in DIRECTED_GATES
    out: list[list[int]] = []
    for a, c in heavy_hex_edges(b.num_qubits):
        low, high = min(a, c), max(a, c)
        if directed:
            out.append([low, high] if (low + high) % 2 else [high, low])
        else:
            out.extend(([low, high], [high, low]))
    return sorted(out)


def _processor(b: IbmBackend) -> dict[str, Any]:
    family, _, revision = b.processor_type.partition(" ")
    rev = revision.lstrip("r")
    return {"family": family, "revision": int(rev) if rev.isdigit() else rev or 1}


def _gate_configs(b: IbmBackend, cmap: list[list[int]]) -> list[dict[str, Any]]:
    singles = [[q] for q in range(b.num_qubits)]
    gates: list[dict[str, Any]] = []
    for name in b.basis_gates:
        params, qasm_def = _QASM_DEFS.get(name, ([], f"gate {name} q {{ }}"))
        where = cmap if name in TWO_QUBIT_GATES else singles
        gates.append(
            {"name": name, "parameters": params, "qasm_def": qasm_def, "coupling_map": where}
        )
    return gates


def configuration_json(b: IbmBackend) -> dict[str, Any]:
    """``GET /backends/{name}/configuration`` (a ``QasmBackendConfiguration``)."""
    cmap = coupling_map(b)
    n = b.num_qubits
    return {
        "backend_name": b.name,
        "backend_version": "1.0.0",
        "n_qubits": n,
        "basis_gates": list(b.basis_gates),
        "gates": _gate_configs(b, cmap),
        "local": False,
        "simulator": b.simulator,
        "conditional": False,
        "open_pulse": False,
        "memory": True,
        "max_shots": b.max_shots,
        "max_experiments": b.max_experiments,
        "coupling_map": cmap,
        "supported_instructions": [*b.basis_gates, *NON_GATE_INSTRUCTIONS, *CONTROL_FLOW],
        "supported_features": ["qobj", "qasm3"],
        "dynamic_reprate_enabled": True,
        "rep_delay_range": [0.0, 500.0],
        "default_rep_delay": 250.0,
        "n_registers": 1,
        "credits_required": True,
        "online_date": ONLINE_DATE,
        "description": f"{n} qubit device",
        "sample_name": f"family: {b.processor_type}",
        "dt": 0.5,
        "dtm": 0.5,
        "processor_type": _processor(b),
        "clops_h": b.clops,
        "meas_levels": [1, 2],
        "meas_map": [list(range(n))],
        "timing_constraints": {
            "acquire_alignment": 8,
            "granularity": 8,
            "min_length": 16,
            "pulse_alignment": 8,
        },
    }


def _nduv(date: str, name: str, unit: str, value: float) -> dict[str, Any]:
    return {"date": date, "name": name, "unit": unit, "value": value}


def _qubit(rng: random.Random, date: str) -> list[dict[str, Any]]:
    t1 = rng.uniform(120.0, 320.0)
    readout = rng.uniform(0.005, 0.03)
    return [
        _nduv(date, "T1", "us", t1),
        _nduv(date, "T2", "us", rng.uniform(0.3, 1.2) * t1),
        _nduv(date, "frequency", "GHz", rng.uniform(4.6, 5.1)),
        _nduv(date, "anharmonicity", "GHz", -rng.uniform(0.30, 0.32)),
        _nduv(date, "readout_error", "", readout),
        _nduv(date, "prob_meas0_prep1", "", readout * rng.uniform(1.0, 1.4)),
        _nduv(date, "prob_meas1_prep0", "", readout * rng.uniform(0.6, 1.0)),
        _nduv(date, "readout_length", "ns", 1300),
    ]


def _gate(name: str, qubits: list[int], error: float, length: int, date: str) -> dict[str, Any]:
    return {
        "qubits": qubits,
        "gate": name,
        "parameters": [
            _nduv(date, "gate_error", "", error),
            _nduv(date, "gate_length", "ns", length),
        ],
        "name": name + "_".join(str(q) for q in qubits),
    }


def properties_json(b: IbmBackend, calibrated: float) -> dict[str, Any]:
    """``GET /backends/{name}/properties``: calibration data taken at ``calibrated``."""
    date = rfc3339_ms(calibrated) or ONLINE_DATE
    rng = random.Random(f"properties:{b.name}")
    qubits = [_qubit(rng, date) for _ in range(b.num_qubits)]
    gates: list[dict[str, Any]] = []
    for name in b.basis_gates:
        if name in TWO_QUBIT_GATES:
            for pair in coupling_map(b):
                gates.append(_gate(name, pair, rng.uniform(0.002, 0.012), 660, date))
        else:
            error = 0.0 if name == "rz" else rng.uniform(1e-4, 5e-4)
            length = 0 if name == "rz" else 60
            gates.extend(_gate(name, [q], error, length, date) for q in range(b.num_qubits))
    gates.extend(_gate("reset", [q], 0.0, 1300, date) for q in range(b.num_qubits))
    return {
        "backend_name": b.name,
        "backend_version": "1.0.0",
        "last_update_date": date,
        "qubits": qubits,
        "gates": gates,
        "general": [],
        "general_qlists": [],
    }


def status_json(b: IbmBackend, queued: int) -> dict[str, Any]:
    """``GET /backends/{name}/status``: the API's fields (``state``, ``status``,
    ``length_queue``) and the ``BackendStatus`` spelling of the same facts."""
    online = b.status == "online"
    message = "active" if online else b.status
    return {
        "state": online,
        "status": message,
        "message": "" if online else f"{b.name} is {b.status}",
        "length_queue": queued,
        "backend_version": "1.0.0",
        "backend_name": b.name,
        "operational": online,
        "pending_jobs": queued,
        "status_msg": message,
    }
