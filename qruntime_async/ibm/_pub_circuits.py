"""The circuit of a pub: OpenQASM 3 text, or a ``QuantumCircuit`` exported to it."""

from __future__ import annotations

import importlib
import re

from ._lazy_qiskit import _QISKIT_EXTRA, _qiskit_attr

# Leading whitespace and comments may precede the version statement.
_QASM_PREAMBLE = re.compile(r"(?:\s+|//[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
_QASM_VERSION = re.compile(r"OPENQASM\s+(\d+)(?:\.(\d+))?\s*;")


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
