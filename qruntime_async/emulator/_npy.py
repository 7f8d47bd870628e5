"""NumPy ``.npy`` documents (format 1.0) written without NumPy, and the runtime's ndarray
envelope around them (``base64(zlib(.npy))``), so that results can be encoded with no extras."""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence
from typing import Any

MAGIC = b"\x93NUMPY\x01\x00"
#: numpy aligns the data on 64 bytes and leaves room for the first axis to grow in place.
_ALIGN = 64
_GROWTH_DIGITS = 21


def npy_bytes(descr: str, shape: tuple[int, ...], data: bytes) -> bytes:
    """A C-ordered ``.npy`` file of ``data`` (already laid out for ``descr``)."""
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}"
    if shape:
        header += " " * (_GROWTH_DIGITS - len(repr(shape[0])))
    pad = _ALIGN - (len(MAGIC) + 2 + len(header) + 1) % _ALIGN
    header += " " * pad + "\n"
    return MAGIC + struct.pack("<H", len(header)) + header.encode("latin1") + data


def ndarray_value(npy: bytes) -> str:
    """The ``__value__`` of an encoded ndarray: base64 of the zlib-compressed ``.npy`` bytes."""
    return base64.standard_b64encode(zlib.compress(npy)).decode("ascii")


def ndarray(npy: bytes) -> dict[str, Any]:
    """The runtime's ``{"__type__": "ndarray", ...}`` envelope."""
    return {"__type__": "ndarray", "__value__": ndarray_value(npy)}


def uint8_bits(values: Sequence[int], num_bits: int, shape: tuple[int, ...] = ()) -> bytes:
    """``.npy`` of a ``BitArray``: one row per shot, ``ceil(num_bits / 8)`` bytes a row, the
    last byte holding the lowest bits (bit 0 of the register is the lowest bit of the row).
    ``shape`` is the pub's shape: ``values`` then hold its elements' shots one after another."""
    width = (num_bits + 7) // 8
    data = b"".join(v.to_bytes(width, "big") for v in values)
    elements = 1
    for n in shape:
        elements *= n
    shots = len(values) // elements if elements else 0
    return npy_bytes("|u1", (*shape, shots, width), data)


def float64s(values: Sequence[float], shape: tuple[int, ...]) -> bytes:
    """``.npy`` of little-endian doubles of the given shape."""
    return npy_bytes("<f8", shape, struct.pack(f"<{len(values)}d", *values))
