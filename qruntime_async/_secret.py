"""Credentials held so that they never show in a repr, ``vars()``, a pickle or a traceback."""

from __future__ import annotations

from typing import Any

from ._validate import _CONTROL

__all__ = ["Secret", "check_credential"]


def check_credential(name: str, value: object, *, hint: str = "") -> str:
    """``value`` stripped: a non-empty string without control characters (CR/LF included).

    A control character in a credential would end up inside an HTTP header; the value itself is
    never echoed in the error.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ValueError(f"{name} must not be empty{hint}")
    if _CONTROL.search(text):
        raise ValueError(f"{name} contains control characters (such as a line break)")
    return text


class Secret:
    """One credential value; ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The credential itself."""
        return self._value

    def __repr__(self) -> str:
        return "<redacted>"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a credential cannot be pickled")
