"""Counts shown as tables with bars (:func:`counts_table`) and the :class:`Counts` wrapper."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._views import Card, Displayable, Table, View

#: Outcomes listed per register (the most frequent first); the rest are summed up in one line.
MAX_OUTCOMES = 16


def counts_table(
    title: str, counts: Mapping[str, int], *, limit: int = MAX_OUTCOMES, shots: int | None = None
) -> Table:
    """The most frequent outcomes of ``counts`` with their share, as a :class:`Table`."""
    total = sum(counts.values()) if shots is None else shots
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    rows: list[list[object]] = []
    for outcome, count in ordered[:limit]:
        share = f"{100.0 * count / total:.1f} %" if total else ""
        rows.append([outcome, count, share, count])
    rest = ordered[limit:]
    footer = None
    if rest:
        footer = f"{len(rest)} more outcomes with {sum(n for _, n in rest)} shots"
    top = ", ".join(f"{k}: {n}" for k, n in ordered[:4])
    if len(ordered) > 4:
        top += ", ..."
    return Table(
        title,
        ["outcome", "count", "share", "bar"],
        rows,
        footer=footer,
        bar_column=3,
        bar_total=max((n for _, n in ordered), default=0),
        brief=f"{title} {{{top}}}",
    )


def marginal_counts(counts: Mapping[str, int]) -> list[dict[str, int]]:
    """Counts of each register of qiskit-style keys (``"1 01"``: registers split by spaces).

    The first register (rightmost in the key) comes first. Keys without a space give one
    register: the counts themselves.
    """
    out: list[dict[str, int]] = []
    for key, count in counts.items():
        parts = key.split(" ")[::-1]
        while len(out) < len(parts):
            out.append({})
        for index, part in enumerate(parts):
            out[index][part] = out[index].get(part, 0) + count
    return out


class Counts(Displayable):
    """Plain counts shown as tables with bars, and plotted with :meth:`plot`.

    ``counts`` is one mapping ``outcome -> count`` or a list of them (one per circuit, as
    ``client.jobs.counts(job_id)`` of either service returns). Qiskit-style keys with spaces
    between classical registers are also shown per register; ``names`` names the registers in
    the circuit's order (the first one is rightmost in a key).
    """

    __slots__ = ("circuits", "names", "title")

    def __init__(
        self,
        counts: Mapping[str, int] | Iterable[Mapping[str, int]],
        *,
        title: str = "counts",
        names: Sequence[str] | None = None,
    ) -> None:
        if isinstance(counts, Mapping):
            circuits = [dict(counts)]
        else:
            circuits = [dict(each) for each in counts]
        for each in circuits:
            for key, value in each.items():
                if (
                    not isinstance(key, str)
                    or isinstance(value, bool)
                    or not isinstance(value, int)
                ):
                    raise TypeError(f"counts map outcome strings to ints, got {key!r}: {value!r}")
        #: One ``outcome -> count`` dict per circuit.
        self.circuits: list[dict[str, int]] = circuits
        self.title = title
        self.names = list(names) if names is not None else None

    def __repr__(self) -> str:
        return f"Counts({self.circuits!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Counts):
            return NotImplemented
        return self.circuits == other.circuits

    __hash__ = None  # type: ignore[assignment]

    def _view(self) -> View:
        sections: list[Table] = []
        for index, counts in enumerate(self.circuits):
            label = f"circuit {index}" if len(self.circuits) > 1 else "all registers"
            sections.append(counts_table(label, counts))
            registers = marginal_counts(counts)
            if len(registers) > 1:
                for position, marginal in enumerate(registers):
                    name = self._name(position)
                    sections.append(counts_table(f"{label} · register {name}", marginal))
        shots = [sum(c.values()) for c in self.circuits]
        rows: list[tuple[str, object]] = [("circuits", len(self.circuits))]
        if shots:
            rows.append(("shots", shots[0] if len(set(shots)) == 1 else shots))
        brief = "; ".join(s.text() for s in sections if "register" not in s.title)
        return Card(self.title, rows=rows, sections=sections, brief=brief)

    def _name(self, position: int) -> str:
        if self.names is not None and position < len(self.names):
            return self.names[position]
        return str(position)

    def plot(self, **options: Any) -> Any:
        """A bar chart of the counts (see :func:`qruntime_async.plot.plot_counts`)."""
        from ..plot import plot_counts

        return plot_counts(self, **options)
