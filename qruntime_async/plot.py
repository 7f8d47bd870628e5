"""Plots of results with matplotlib (the ``plot`` extra): counts histograms, estimator values.

:func:`plot_counts` draws the counts of a sampler result (one group of bars per pub), a pub, a
register, :class:`~qruntime_async.display.Counts`, or plain counts (a mapping or a list of them,
as ``client.jobs.counts(...)`` of either service returns). :func:`plot_estimator` draws the
expectation values of an estimator result with their standard errors as error bars. Both draw
on ``ax`` when given, else on a new figure, and return the axes. The results have ``plot()``
methods calling them.

matplotlib is imported only when something is drawn; without it, a ModuleNotFoundError names the
extra to install.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from .display import Counts
from .ibm.results._estimator import _flat
from .ibm.results.types import (
    EstimatorPub,
    EstimatorResult,
    Register,
    SamplerPub,
    SamplerResult,
)

__all__ = ["EXTRA", "plot", "plot_counts", "plot_estimator"]

#: How to install what plotting needs.
EXTRA = "pip install 'qruntime-async[plot]'"
#: Outcomes drawn by default: the most frequent ones, when there are more.
DEFAULT_TOP = 32


def _pyplot() -> Any:
    try:
        return importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise ModuleNotFoundError(
            f"plotting needs matplotlib, which is not installed: {EXTRA}", name="matplotlib"
        ) from None


def _axes(ax: Any, width: float = 6.4, height: float = 3.6) -> Any:
    if ax is not None:
        return ax
    _figure, new_ax = _pyplot().subplots(figsize=(width, height), layout="constrained")
    return new_ax


def _series(data: object) -> tuple[list[dict[str, int]], list[str]]:
    if isinstance(data, SamplerResult):
        return data.counts(), [f"pub {i}" for i in range(len(data.pubs))]
    if isinstance(data, SamplerPub):
        return [data.counts()], ["counts"]
    if isinstance(data, Register):
        return [data.counts()], [data.name]
    if isinstance(data, Counts):
        circuits = data.circuits
        return circuits, [f"circuit {i}" for i in range(len(circuits))]
    if isinstance(data, Mapping):
        return [dict(data)], ["counts"]
    if (
        isinstance(data, Sequence)
        and not isinstance(data, str)
        and all(isinstance(each, Mapping) for each in data)
    ):
        return [dict(each) for each in data], [f"circuit {i}" for i in range(len(data))]
    raise TypeError(
        "plot_counts takes a SamplerResult, SamplerPub, Register, Counts, or counts "
        f"(a mapping or a list of mappings), not {type(data).__name__}"
    )


def plot_counts(
    data: object,
    *,
    ax: Any = None,
    title: str | None = None,
    labels: Sequence[str] | None = None,
    top: int | None = DEFAULT_TOP,
    normalize: bool = False,
    separate: bool | None = None,
) -> Any:
    """A bar chart of counts; several series (pubs, circuits) are drawn side by side.

    Outcomes are sorted as bitstrings; with more than ``top`` of them (None: no limit), only the
    most frequent ``top`` are drawn. ``normalize=True`` draws probabilities instead of counts.
    ``labels`` names the series. Returns the matplotlib axes.

    ``separate=True`` draws each series in its own panel, side by side, and returns the list of
    their axes; by default series are separated when their outcomes have different widths (pubs
    of different circuits) and no ``ax`` is given.
    """
    series, default_labels = _series(data)
    names = list(labels) if labels is not None else default_labels
    if len(names) != len(series):
        raise ValueError(f"{len(series)} series but {len(names)} labels")
    if separate is None:
        widths = {len(key) for counts in series for key in counts}
        separate = ax is None and len(series) > 1 and len(widths) > 1
    if separate and len(series) > 1:
        figure = _pyplot().figure(figsize=(min(16.0, 4.0 * len(series)), 3.6), layout="constrained")
        panels = figure.subplots(1, len(series), squeeze=False)[0]
        for panel, counts, name in zip(panels, series, names, strict=True):
            _bars(panel, [counts], [name], top=top, normalize=normalize)
            panel.set_title(name)
        if title is not None:
            figure.suptitle(title)
        return list(panels)
    axes = _bars(ax, series, names, top=top, normalize=normalize)
    if title is not None:
        axes.set_title(title)
    return axes


def _bars(
    ax: Any,
    series: list[dict[str, int]],
    names: list[str],
    *,
    top: int | None,
    normalize: bool,
) -> Any:
    totals: dict[str, int] = {}
    for counts in series:
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    keys = sorted(totals)
    if top is not None and len(keys) > top:
        kept = set(sorted(totals, key=lambda k: (-totals[k], k))[:top])
        keys = [k for k in keys if k in kept]
    axes = _axes(ax, width=max(6.4, min(16.0, 0.35 * len(keys) * max(1, len(series)))))
    width = 0.8 / max(1, len(series))
    positions = list(range(len(keys)))
    for index, (counts, name) in enumerate(zip(series, names, strict=True)):
        shots = sum(counts.values())
        heights = [
            (counts.get(k, 0) / shots if shots else 0.0) if normalize else counts.get(k, 0)
            for k in keys
        ]
        offset = (index - (len(series) - 1) / 2) * width
        axes.bar([p + offset for p in positions], heights, width=width, label=name)
    axes.set_xticks(positions)
    long_keys = any(len(k) > 4 for k in keys) or len(keys) > 12
    axes.set_xticklabels(keys, rotation=90 if long_keys else 0, family="monospace")
    axes.set_xlabel("outcome")
    axes.set_ylabel("probability" if normalize else "counts")
    if len(series) > 1:
        axes.legend()
    return axes


def _estimator_series(data: object) -> list[tuple[str, list[str], list[float], list[float] | None]]:
    pubs: list[tuple[str, EstimatorPub]]
    if isinstance(data, EstimatorResult):
        pubs = [(f"pub {i}", pub) for i, pub in enumerate(data.pubs)]
    elif isinstance(data, EstimatorPub):
        pubs = [("evs", data)]
    else:
        raise TypeError(
            f"plot_estimator takes an EstimatorResult or EstimatorPub, not {type(data).__name__}"
        )
    out: list[tuple[str, list[str], list[float], list[float] | None]] = []
    for name, pub in pubs:
        evs = _flat(pub.evs, pub.shape)
        stds = _flat(pub.stds, pub.shape) if pub.stds is not None else None
        out.append(
            (
                name,
                [label for label, _ in evs],
                [float(value) for _, value in evs],
                [float(value) for _, value in stds] if stds is not None else None,
            )
        )
    return out


def plot_estimator(
    data: object,
    *,
    ax: Any = None,
    title: str | None = None,
    labels: Sequence[str] | None = None,
) -> Any:
    """Expectation values with their standard errors as error bars. Returns the axes.

    Scalar pubs are drawn as one series (x: the pub); pubs with a shape are drawn one series
    each (x: the position in the pub, flattened in C order). ``labels`` names the x ticks of a
    single series (the observables, for example).
    """
    series = _estimator_series(data)
    axes = _axes(ax)
    if all(not positions[0] for _, positions, _, _ in series) and len(series) > 1:
        # Every pub is one value: one series across the pubs.
        names = [name for name, _, _, _ in series]
        values = [vals[0] for _, _, vals, _ in series]
        has_errors = all(errs is not None for _, _, _, errs in series)
        errors = [errs[0] for _, _, _, errs in series if errs is not None] if has_errors else None
        _errorbar(axes, names, values, errors, None, labels)
    else:
        for name, positions, values, errors in series:
            ticks = [p or "0" for p in positions]
            _errorbar(axes, ticks, values, errors, name if len(series) > 1 else None, labels)
        if len(series) > 1:
            axes.legend()
    axes.set_ylabel("expectation value")
    axes.axhline(0.0, color="#888888", linewidth=0.6)
    if title is not None:
        axes.set_title(title)
    return axes


def _errorbar(
    axes: Any,
    ticks: list[str],
    values: list[float],
    errors: list[float] | None,
    name: str | None,
    labels: Sequence[str] | None,
) -> None:
    positions = list(range(len(values)))
    axes.errorbar(positions, values, yerr=errors, fmt="o", capsize=4, label=name)
    shown = list(labels) if labels is not None and len(labels) == len(values) else ticks
    axes.set_xticks(positions)
    axes.set_xticklabels(shown)


def plot(data: object, **options: Any) -> Any:
    """:func:`plot_estimator` for estimator results, :func:`plot_counts` for anything else."""
    if isinstance(data, (EstimatorResult, EstimatorPub)):
        return plot_estimator(data, **options)
    return plot_counts(data, **options)
