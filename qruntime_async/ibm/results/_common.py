"""What the sampler and estimator result types share: the encoding names and lazy NumPy."""

from __future__ import annotations

import importlib
from typing import Any, Literal

Encoding = Literal["plain", "qiskit"]


def _numpy() -> Any:
    try:
        return importlib.import_module("numpy")
    except ImportError:
        raise ModuleNotFoundError("to_numpy() needs NumPy: pip install numpy") from None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
