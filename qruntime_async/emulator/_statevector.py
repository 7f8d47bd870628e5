"""A small statevector simulator for the standard gates (the fallback when Qiskit Aer is not
importable)."""

from __future__ import annotations

import cmath
import math
from collections.abc import Sequence

from ._qasm import CONTROLLED_GATES, ONE_QUBIT_GATES, CircuitError

Matrix = tuple[complex, complex, complex, complex]

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


class State:
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
            if name in ONE_QUBIT_GATES:
                self.apply(_matrix(name, params), qubits[0])
            elif name in CONTROLLED_GATES:
                self._need(name, qubits, 2)
                self.apply(_matrix(CONTROLLED_GATES[name], params), qubits[1], (qubits[0],))
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
            elif name in ("ecr", "rzx"):
                self._need(name, qubits, 2)
                self._cross_resonance(name, params, qubits)
            else:
                raise CircuitError(f"gate {name!r}")

    @staticmethod
    def _need(name: str, qubits: tuple[int, ...], n: int) -> None:
        if len(qubits) != n:
            raise CircuitError(f"gate {name!r} acts on {n} qubits")

    def _rzx(self, theta: float, q0: int, q1: int) -> None:
        """exp(-i theta/2 Z(q0) X(q1))."""
        h, x = _matrix("h", ()), _matrix("x", ())
        self.apply(h, q1)
        self.apply(x, q1, (q0,))
        self.apply(_matrix("rz", (theta,)), q1)
        self.apply(x, q1, (q0,))
        self.apply(h, q1)

    def _cross_resonance(
        self, name: str, params: tuple[float, ...], qubits: tuple[int, ...]
    ) -> None:
        q0, q1 = qubits
        if name == "rzx":
            if len(params) != 1:
                raise CircuitError("gate 'rzx' takes 1 parameter")
            self._rzx(params[0], q0, q1)
            return
        # ecr = rzx(pi/4); x on the first qubit; rzx(-pi/4), as Qiskit defines it
        self._rzx(math.pi / 4, q0, q1)
        self.apply(_matrix("x", ()), q0)
        self._rzx(-math.pi / 4, q0, q1)

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
