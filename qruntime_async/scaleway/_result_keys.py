"""Readouts of a Qiskit result keyed as ``Result.get_counts()`` / ``get_memory()`` key them."""

from __future__ import annotations

from ..errors import ResponseDecodeError
from ._result_types import ExperimentHeader

# Registers are cut per formatted bitstring, so the total size of the distinct formatted
# bitstrings bounds the work.
_MAX_FORMATTED_CHARS = 1 << 27

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_BITS = frozenset("01")
_BITS_AND_SPACES = frozenset("01 ")


class _Formatter:
    """Qiskit's presentation of classified readouts for one experiment header.

    Each distinct readout is formatted once: a 10,000-shot memory usually holds few of them.
    """

    __slots__ = ("_budget", "_cache", "_has_cregs", "_path", "_split", "_width")

    def __init__(self, header: ExperimentHeader | None, path: str) -> None:
        slots = header.memory_slots if header is not None else None
        cregs = header.creg_sizes if header is not None else None
        self._width = slots or 0
        self._has_cregs = bool(cregs)
        # Qiskit splits only when both are given; the last register comes first.
        self._split = [size for _, size in reversed(cregs)] if cregs and slots else None
        self._path = path
        self._cache: dict[str, str] = {}
        self._budget = _MAX_FORMATTED_CHARS

    def _fail(self, message: str, where: str) -> ResponseDecodeError:
        return ResponseDecodeError(message, expected="QiskitResult", path=self._path + where)

    def _bits(self, value: int) -> str:
        bits = format(value, f"0{self._width}b") if self._width else format(value, "b")
        if self._split is not None:
            parts = []
            start = 0
            for size in self._split:
                parts.append(bits[start : start + size])
                start += size
            bits = " ".join(parts)
        self._budget -= len(bits)
        if self._budget < 0:
            raise self._fail("the formatted bitstrings would be too large", "")
        return bits

    def _parse(self, text: str, where: str) -> int:
        if text.startswith("0x"):
            digits, allowed = text[2:], _HEX_DIGITS
            base = 16
        else:
            digits = text[2:] if text.startswith("0b") else text
            allowed, base = _BITS, 2
        if not digits or not allowed.issuperset(digits):
            shown = text if len(text) <= 40 else text[:40] + "..."
            raise self._fail(f"not a hexadecimal or binary readout: {shown!r}", where)
        return int(digits, base)

    def count_key(self, key: str) -> str:
        """A counts key as ``Result.get_counts()`` shows it."""
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if key.startswith(("0x", "0b")):
            formatted = self._bits(self._parse(key, ".counts"))
        elif not self._width and not self._has_cregs:
            formatted = key  # Qiskit keeps unprefixed keys as they are without a header
        else:
            if not key or not _BITS_AND_SPACES.issuperset(key) or not key.strip():
                raise self._fail(f"not a binary readout: {key[:40]!r}", ".counts")
            formatted = self._bits(int(key.replace(" ", ""), 2))
        self._cache[key] = formatted
        return formatted

    def shot(self, shot: str, index: int) -> str:
        """A memory readout as ``Result.get_memory()`` shows it."""
        cached = self._cache.get(shot)
        if cached is not None:
            return cached
        if shot.startswith("0x") or self._width:
            formatted = self._bits(self._parse(shot, f".memory[{index}]"))
        else:
            formatted = shot  # without memory_slots Qiskit leaves non-hex readouts alone
        self._cache[shot] = formatted
        return formatted
