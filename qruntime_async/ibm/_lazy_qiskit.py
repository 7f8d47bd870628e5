"""qiskit types, found only when qiskit has already been imported: nothing here imports it."""

from __future__ import annotations

import sys
from typing import Any

_QISKIT_EXTRA = "pip install 'qruntime-async[qiskit]'"


def _qiskit_attr(module: str, name: str) -> Any:
    """``module.name`` if that module is already loaded, else None: this never imports qiskit.

    An object of a qiskit type can only exist once its module has been imported, so when the
    module is not in ``sys.modules`` the value in hand is not of that type.
    """
    loaded = sys.modules.get(module)
    return None if loaded is None else getattr(loaded, name, None)
