"""Estimator results: expectation values (and their errors) per pub, and the whole result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..._npy import NpyArray, nest
from ...display import Card, Displayable, Table, View
from ._common import Encoding, _numpy, _result_card

__all__ = ["EstimatorPub", "EstimatorResult"]


def _flat(values: Any, shape: tuple[int, ...]) -> list[tuple[str, Any]]:
    # (index label, value) for every position of a nested list of the given shape.
    if not shape:
        return [("", values)]
    out: list[tuple[str, Any]] = []

    def walk(node: Any, where: tuple[int, ...]) -> None:
        if len(where) == len(shape) or not isinstance(node, list):
            label = ", ".join(map(str, where))
            out.append((label, node))
            return
        for position, child in enumerate(node):
            walk(child, (*where, position))

    walk(values, ())
    return out


def _estimator_table(title: str, pub: EstimatorPub) -> Table:
    evs = _flat(pub.evs, pub.shape)
    stds = dict(_flat(pub.stds, pub.shape)) if pub.stds is not None else {}
    rows: list[list[object]] = [[label or "-", ev, stds.get(label)] for label, ev in evs]
    footer = None
    if len(rows) > MAX_ESTIMATOR_ROWS:
        footer = f"first {MAX_ESTIMATOR_ROWS} of {len(rows)} values shown"
        rows = rows[:MAX_ESTIMATOR_ROWS]
    shown = ", ".join(
        f"{ev:.4g}" if isinstance(ev, float) else str(ev) for _, ev, *_ in rows[:4]
    ) + (", ..." if len(evs) > 4 else "")
    where = f" (shape {pub.shape})" if pub.shape else ""
    return Table(
        f"{title}{where}",
        ["index", "ev", "std"],
        rows,
        footer=footer,
        brief=f"{title} evs [{shown}]",
    )


#: Values of an estimator pub listed before "... more".
MAX_ESTIMATOR_ROWS = 50


class _Array:
    # A decoded numeric field: raw .npy bytes when it came as one, else Python numbers.
    __slots__ = ("flat", "npy", "shape")

    def __init__(
        self, shape: tuple[int, ...], npy: NpyArray | None = None, flat: list[Any] | None = None
    ) -> None:
        self.shape = shape
        self.npy = npy
        self.flat = flat

    def python(self) -> Any:
        flat = self.npy.values() if self.npy is not None else self.flat
        assert flat is not None
        return nest(flat, self.shape)

    def numpy(self) -> Any:
        np = _numpy()
        if self.npy is not None:
            buffer = np.frombuffer(self.npy.data, dtype=np.dtype(self.npy.descr))
            return buffer.reshape(self.shape).copy()
        return np.asarray(self.flat).reshape(self.shape)


@dataclass(frozen=True)
class EstimatorPub(Displayable):
    """The result of one estimator pub.

    ``evs``, ``stds`` and ``ensemble_standard_error`` are a float for a scalar pub, else nested
    lists of floats following ``shape``; :meth:`to_numpy` gives them as NumPy arrays.
    """

    #: Expectation values.
    evs: float | list[Any]
    #: Their standard errors (None when absent).
    stds: float | list[Any] | None
    #: Standard error over the twirling ensemble (None when absent).
    ensemble_standard_error: float | list[Any] | None
    #: Every data field by name (``evs`` and ``stds`` included), as Python numbers/lists.
    fields: dict[str, Any]
    #: The pub's metadata as sent (a plain dict; nested Qiskit-encoded values are left as is).
    metadata: dict[str, Any]
    #: The pub's shape (``()`` for one observable and one parameter set).
    shape: tuple[int, ...]
    _arrays: dict[str, _Array] = field(default_factory=dict, repr=False, compare=False)

    def to_numpy(self, name: str = "evs") -> Any:
        """Data field ``name`` as a NumPy array. Needs NumPy.

        Arrays that came as ``.npy`` data keep their dtype and are copied in one block; plain
        JSON numbers become float64.
        """
        try:
            array = self._arrays[name]
        except KeyError:
            raise KeyError(f"no data field {name!r}; fields: {sorted(self.fields)}") from None
        return array.numpy()

    def _view(self) -> View:
        table = _estimator_table("values", self)
        return Card(
            "estimator pub",
            rows=[("shape", self.shape or None)],
            sections=[table],
            brief=table.text(),
        )

    def plot(self, **options: Any) -> Any:
        """Expectation values with error bars (see :func:`qruntime_async.plot.plot_estimator`)."""
        from ...plot import plot_estimator

        return plot_estimator(self, **options)


@dataclass(frozen=True)
class EstimatorResult(Displayable):
    """A decoded estimator job result."""

    #: One entry per pub, in submission order.
    pubs: tuple[EstimatorPub, ...]
    #: The job-level metadata as sent (a plain dict).
    metadata: dict[str, Any]
    #: ``"plain"`` (plain JSON) or ``"qiskit"`` (``RuntimeEncoder`` format).
    encoding: Encoding

    def _view(self) -> View:
        sections = [_estimator_table(f"pub {i}", pub) for i, pub in enumerate(self.pubs)]
        return _result_card("estimator result", self.pubs, self.metadata, self.encoding, sections)

    def plot(self, **options: Any) -> Any:
        """Expectation values with error bars (see :func:`qruntime_async.plot.plot_estimator`)."""
        from ...plot import plot_estimator

        return plot_estimator(self, **options)
