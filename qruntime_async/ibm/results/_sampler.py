"""Sampler results: :class:`Register` (the shots of one classical register), pubs and results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..._npy import element_count
from ...display import Card, Displayable, Table, View, counts_table
from ._bits import _bitstrings, _key_value, _position, _raw_keys, _repetitive
from ._common import Encoding, _numpy, _result_card

__all__ = ["Register", "SamplerPub", "SamplerResult"]


class Register(Displayable):
    """The shots of one classical register, like Qiskit's ``BitArray``.

    Every shot is stored packed, big-endian, in ``ceil(num_bits / 8)`` bytes; a bitstring has
    bit 0 of the register rightmost, as in Qiskit. ``shape`` is the parameter-sweep shape of the
    pub (``()`` for a single circuit); every position of it holds ``num_shots`` shots.

    Methods taking ``loc`` mirror ``BitArray.get_counts(loc)``: ``None`` (the default) merges the
    shots of every position of ``shape``; otherwise ``loc`` is an integer (one-dimensional shape)
    or a tuple of integers, one per axis, that picks a single position.
    """

    __slots__ = ("_data", "_nbytes", "_positions", "name", "num_bits", "num_shots", "shape")

    name: str
    num_bits: int
    num_shots: int
    shape: tuple[int, ...]

    def __init__(
        self, name: str, num_bits: int, shape: tuple[int, ...], num_shots: int, data: bytes
    ) -> None:
        """Wrap packed shot bytes (C order: ``(*shape, num_shots, ceil(num_bits / 8))``)."""
        self.name = name
        #: Bits per shot (the register's width).
        self.num_bits = num_bits
        #: Shots at each position of ``shape``.
        self.num_shots = num_shots
        #: The pub's parameter-sweep shape.
        self.shape = shape
        self._nbytes = (num_bits + 7) // 8
        self._positions = element_count(shape)
        self._data = data
        if len(data) != self._positions * num_shots * self._nbytes:
            raise ValueError("the data does not match the shape, shots and width")

    def _select(self, loc: int | tuple[int, ...] | None) -> tuple[bytes, int]:
        if loc is None:
            return self._data, self._positions * self.num_shots
        size = self.num_shots * self._nbytes
        start = _position(loc, self.shape) * size
        return self._data[start : start + size], self.num_shots

    def _shots(self, loc: int | tuple[int, ...] | None) -> int:
        if loc is None:
            return self._positions * self.num_shots
        _position(loc, self.shape)
        return self.num_shots

    def counts(self, loc: int | tuple[int, ...] | None = None) -> dict[str, int]:
        """Occurrences of each outcome, keyed by bitstrings of ``num_bits`` characters."""
        data, shots = self._select(loc)
        if shots == 0:
            return {}
        if self.num_bits == 0:
            return {"": shots}
        if _repetitive([(data, self._nbytes)], self.num_bits, shots):
            mask = (1 << self.num_bits) - 1
            spec = f"0{self.num_bits}b"
            out: dict[str, int] = {}
            for key, count in Counter(_raw_keys(data, self._nbytes)).items():
                text = format(_key_value(key, self._nbytes) & mask, spec)
                out[text] = out.get(text, 0) + count
            return out
        return dict(Counter(_bitstrings(data, self._nbytes, self.num_bits, shots)))

    def int_counts(self, loc: int | tuple[int, ...] | None = None) -> dict[int, int]:
        """Occurrences of each outcome, keyed by the outcome as an integer (bit 0 least)."""
        return {int(text, 2) if text else 0: n for text, n in self.counts(loc).items()}

    def bitstrings(self, loc: int | tuple[int, ...] | None = None) -> list[str]:
        """One bitstring per shot, in shot order (positions of ``shape`` in C order)."""
        data, shots = self._select(loc)
        return _bitstrings(data, self._nbytes, self.num_bits, shots)

    def to_numpy(self) -> Any:
        """The packed ``uint8`` array of shape ``(*shape, num_shots, ceil(num_bits / 8))``.

        This is exactly Qiskit's ``BitArray.array``. Needs NumPy.
        """
        np = _numpy()
        array = np.frombuffer(self._data, dtype=np.uint8)
        return array.reshape((*self.shape, self.num_shots, self._nbytes)).copy()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Register):
            return NotImplemented
        return (
            self.name == other.name
            and self.num_bits == other.num_bits
            and self.shape == other.shape
            and self.num_shots == other.num_shots
            and self.bitstrings() == other.bitstrings()
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Register(name={self.name!r}, num_bits={self.num_bits}, "
            f"num_shots={self.num_shots}, shape={self.shape})"
        )

    def _view(self) -> View:
        return Card("register", self.name, sections=[self._table(self.name)])

    def _table(self, title: str) -> Table:
        shots = self._shots(None)
        where = f", shape {self.shape}" if self.shape else ""
        bits = f"{self.num_bits} bit{'' if self.num_bits == 1 else 's'}"
        return counts_table(
            f"{title} ({bits}, {shots} shots{where})",
            self.counts(),
            shots=shots,
        )

    def plot(self, **options: Any) -> Any:
        """A bar chart of :meth:`counts` (see :func:`qruntime_async.plot.plot_counts`)."""
        from ...plot import plot_counts

        return plot_counts(self, **options)


def _pick(registers: Mapping[str, Register], names: Iterable[str] | None) -> list[Register]:
    if names is None:
        return list(registers.values())
    chosen = list(names)
    if not chosen:
        raise ValueError("an empty list of register names was given")
    for name in chosen:
        if name not in registers:
            raise ValueError(f"no register named {name!r}")
    return [registers[name] for name in chosen]


@dataclass(frozen=True)
class SamplerPub(Displayable):
    """The result of one sampler pub: its classical registers and metadata."""

    #: Registers by name, in the circuit's order.
    registers: dict[str, Register]
    #: The pub's metadata as sent (a plain dict; nested Qiskit-encoded values are left as is).
    metadata: dict[str, Any]
    #: The pub's parameter-sweep shape (``()`` for a single circuit).
    shape: tuple[int, ...]

    @property
    def num_shots(self) -> int:
        """Shots at each position of ``shape`` (0 when the pub has no register)."""
        return next(iter(self.registers.values())).num_shots if self.registers else 0

    def bitstrings(
        self, loc: int | tuple[int, ...] | None = None, names: Iterable[str] | None = None
    ) -> list[str]:
        """Per-shot bitstrings of the registers joined as Qiskit's ``join_data()`` joins them.

        The first register's bits are rightmost, later registers to their left. ``names``
        chooses and orders the registers (first name rightmost); ``loc`` works as in
        :meth:`Register.counts`.
        """
        picked = _pick(self.registers, names)
        if not picked:
            return []
        chosen = [reg for reg in picked if reg.num_bits]
        if not chosen:
            return [""] * picked[0]._shots(loc)
        if len(chosen) == 1:
            return chosen[0].bitstrings(loc)
        return list(
            map("".join, zip(*(reg.bitstrings(loc) for reg in reversed(chosen)), strict=True))
        )

    def counts(
        self, loc: int | tuple[int, ...] | None = None, names: Iterable[str] | None = None
    ) -> dict[str, int]:
        """Counts of the joined bitstrings (see :meth:`bitstrings`).

        Equal to Qiskit's ``join_data(names).get_counts(loc)``; an empty dict when the pub has
        no register.
        """
        picked = _pick(self.registers, names)
        if not picked:
            return {}
        if len(picked) == 1:
            return picked[0].counts(loc)
        chosen = [reg for reg in picked if reg.num_bits]
        shots = picked[0]._shots(loc)
        if shots == 0:
            return {}
        if not chosen:
            return {"": shots}
        if len(chosen) == 1:
            return chosen[0].counts(loc)
        total = sum(reg.num_bits for reg in chosen)
        blocks = [(reg._select(loc)[0], reg._nbytes) for reg in chosen]
        if _repetitive(blocks, total, shots):
            keys = [_raw_keys(data, nbytes) for data, nbytes in blocks]
            specs = [
                (reg._nbytes, (1 << reg.num_bits) - 1, f"0{reg.num_bits}b")
                for reg in reversed(chosen)
            ]
            out: dict[str, int] = {}
            for combo, count in Counter(zip(*keys, strict=True)).items():
                text = "".join(
                    format(_key_value(key, nbytes) & mask, spec)
                    for key, (nbytes, mask, spec) in zip(reversed(combo), specs, strict=True)
                )
                out[text] = out.get(text, 0) + count
            return out
        lists = [reg.bitstrings(loc) for reg in reversed(chosen)]
        return dict(Counter(map("".join, zip(*lists, strict=True))))

    def join(self, names: Iterable[str] | None = None) -> Register:
        """One register holding the joined bits (like Qiskit's ``join_data()``)."""
        picked = _pick(self.registers, names)
        if not picked:
            raise ValueError("the pub has no register to join")
        num_bits = sum(reg.num_bits for reg in picked)
        nbytes = (num_bits + 7) // 8
        packed = b"".join(
            int(text, 2).to_bytes(nbytes, "big") if text else b""
            for text in self.bitstrings(names=[reg.name for reg in picked])
        )
        first = picked[0]
        name = "+".join(reg.name for reg in picked)
        return Register(name, num_bits, first.shape, first.num_shots, packed)

    def _tables(self, prefix: str) -> list[Table]:
        return [reg._table(f"{prefix}register {name}") for name, reg in self.registers.items()]

    def _view(self) -> View:
        return Card(
            "sampler pub",
            rows=[("shape", self.shape or None), ("shots", self.num_shots)],
            sections=self._tables(""),
        )

    def plot(self, **options: Any) -> Any:
        """A bar chart of :meth:`counts` (see :func:`qruntime_async.plot.plot_counts`)."""
        from ...plot import plot_counts

        return plot_counts(self, **options)


@dataclass(frozen=True)
class SamplerResult(Displayable):
    """A decoded sampler job result."""

    #: One entry per pub, in submission order.
    pubs: tuple[SamplerPub, ...]
    #: The job-level metadata as sent (a plain dict).
    metadata: dict[str, Any]
    #: ``"plain"`` (plain JSON) or ``"qiskit"`` (``RuntimeEncoder`` format).
    encoding: Encoding

    def counts(self) -> list[dict[str, int]]:
        """Joined counts of every pub (see :meth:`SamplerPub.counts`)."""
        return [pub.counts() for pub in self.pubs]

    def _view(self) -> View:
        sections: list[Table] = []
        for index, pub in enumerate(self.pubs):
            sections.extend(pub._tables(f"pub {index} · "))
        return _result_card("sampler result", self.pubs, self.metadata, self.encoding, sections)

    def plot(self, **options: Any) -> Any:
        """A bar chart of the counts of every pub (see :func:`qruntime_async.plot.plot_counts`)."""
        from ...plot import plot_counts

        return plot_counts(self, **options)
