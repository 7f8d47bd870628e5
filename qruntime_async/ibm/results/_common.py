"""What the sampler and estimator result types share: the encoding names, lazy NumPy and the
card that shows a whole result."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, Literal

from ...display import Card, Table

Encoding = Literal["plain", "qiskit"]


def _numpy() -> Any:
    try:
        return importlib.import_module("numpy")
    except ImportError:
        raise ModuleNotFoundError("to_numpy() needs NumPy: pip install numpy") from None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _result_card(
    title: str,
    pubs: Sequence[object],
    metadata: dict[str, Any],
    encoding: Encoding,
    sections: list[Table],
) -> Card:
    # The view of a SamplerResult or an EstimatorResult: job, backend and encoding, one table
    # per pub (or register).
    return Card(
        title,
        _text(metadata.get("job_id")),
        rows=[
            ("pubs", len(pubs)),
            ("backend", _text(metadata.get("backend"))),
            ("encoding", encoding),
        ],
        sections=sections,
        brief="; ".join(section.text() for section in sections),
    )
