"""A small, defensive reader of NumPy ``.npy`` bytes that does not need NumPy.

Only what the IBM runtime's result encoding produces is read: simple (non-structured,
non-object) little- or big-endian booleans, integers, floats and complex numbers, in C or
Fortran order. Every problem raises :class:`NpyError` with a short reason.
"""

from __future__ import annotations

import ast
import base64
import binascii
import itertools
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_EMPTY_CONTAINERS",
    "MAX_FORTRAN_RUNS",
    "MAX_NDIM",
    "NpyArray",
    "InflateError",
    "NpyError",
    "element_count",
    "inflate_base64",
    "nest",
    "read_npy",
]

_MAGIC = b"\x93NUMPY"
# NumPy itself refuses longer headers unless told otherwise.
_MAX_HEADER = 10_000
#: Most dimensions accepted (NumPy's own limit is 64; results have a handful).
MAX_NDIM = 32
#: Most sub-arrays an empty array (one with a zero-length axis) may nest.
MAX_EMPTY_CONTAINERS = 1 << 20
#: Most strided copies reordering one Fortran-order array may take (bounds the work).
MAX_FORTRAN_RUNS = 1 << 22
_HEADER_TEXT = re.compile(r"[\x20-\x5b\x5d-\x7e]*\n?")
_DESCR_RE = re.compile(r"([<>|])([biufc])(\d{1,2})")
# struct codes per (kind, itemsize).
_CODES = {
    ("b", 1): "?",
    ("u", 1): "B",
    ("u", 2): "H",
    ("u", 4): "I",
    ("u", 8): "Q",
    ("i", 1): "b",
    ("i", 2): "h",
    ("i", 4): "i",
    ("i", 8): "q",
    ("f", 2): "e",
    ("f", 4): "f",
    ("f", 8): "d",
    ("c", 8): "f",
    ("c", 16): "d",
}


class NpyError(ValueError):
    """The bytes are not a ``.npy`` array this reader accepts."""


@dataclass(frozen=True)
class NpyArray:
    """A decoded array: its dtype, shape and raw C-order element bytes."""

    #: NumPy dtype string, e.g. ``"<f8"`` or ``"|u1"``.
    descr: str
    #: The dimensions (``()`` for a scalar).
    shape: tuple[int, ...]
    #: Element bytes in C (row-major) order, in the byte order of ``descr``.
    data: bytes

    @property
    def kind(self) -> str:
        """``"b"`` (bool), ``"u"``, ``"i"``, ``"f"`` or ``"c"`` (complex)."""
        return self.descr[1]

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return int(self.descr[2:])

    @property
    def size(self) -> int:
        """Number of elements."""
        return len(self.data) // self.itemsize

    def values(self) -> list[Any]:
        """The elements as a flat list of Python ``bool``/``int``/``float``/``complex``."""
        order = ">" if self.descr[0] == ">" else "<"
        code = _CODES[(self.kind, self.itemsize)]
        count = self.size * (2 if self.kind == "c" else 1)
        flat = struct.unpack(f"{order}{count}{code}", self.data)
        if self.kind == "c":
            return [complex(re_, im) for re_, im in zip(flat[::2], flat[1::2], strict=True)]
        return list(flat)

    def nested(self) -> Any:
        """The elements as nested lists following ``shape`` (a scalar for shape ``()``)."""
        return nest(self.values(), self.shape)


def nest(flat: list[Any], shape: tuple[int, ...]) -> Any:
    """Fold a flat C-order list into nested lists of ``shape`` (a bare item for ``()``)."""
    if not shape:
        return flat[0]
    if 0 in shape:
        return _empty(shape)
    items = flat
    for dim in reversed(shape[1:]):
        items = [items[i : i + dim] for i in range(0, len(items), dim)]
    return items


def _empty(shape: tuple[int, ...]) -> list[Any]:
    if shape[0] == 0 or len(shape) == 1:
        return []
    return [_empty(shape[1:]) for _ in range(shape[0])]


def element_count(shape: tuple[int, ...]) -> int:
    """Product of the dimensions."""
    count = 1
    for dim in shape:
        count *= dim
    return count


def _containers(shape: tuple[int, ...]) -> int:
    count = 1
    for dim in shape:
        count *= max(dim, 1)
    return count


class InflateError(ValueError):
    """Base64-of-zlib text that does not inflate.

    ``reason`` is ``"base64"``, ``"zlib"``, ``"too large"``, ``"truncated"`` or ``"trailing"``;
    ``detail`` is the decoder's own message, if it gave one.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


_ASCII_SPACE = re.compile(r"[ \t\r\n]+")


def inflate_base64(text: str, max_bytes: int, *, spaces: bool = False) -> bytes:
    """Decode base64 text, then zlib-inflate it, refusing output beyond ``max_bytes``.

    ``spaces`` tolerates ASCII spaces and line breaks (wrapped base64). Problems raise
    :class:`InflateError`; more than ``max_bytes`` is refused before it is produced.
    """
    try:
        raw = base64.b64decode(_ASCII_SPACE.sub("", text) if spaces else text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InflateError("base64", str(exc)) from None
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        raise InflateError("zlib", str(exc)) from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise InflateError("too large")
    if not inflater.eof:
        raise InflateError("truncated")
    if inflater.unused_data:
        raise InflateError("trailing")
    return out


def read_npy(buf: bytes) -> NpyArray:
    """Parse ``.npy`` bytes (format versions 1 to 3) into an :class:`NpyArray` in C order."""
    if buf[:6] != _MAGIC or len(buf) < 10:
        raise NpyError("not .npy data (bad magic)")
    major = buf[6]
    if major == 1:
        (header_len,) = struct.unpack("<H", buf[8:10])
        start = 10
    elif major in (2, 3):
        if len(buf) < 12:
            raise NpyError("the .npy header is cut short")
        (header_len,) = struct.unpack("<I", buf[8:12])
        start = 12
    else:
        raise NpyError(f"unsupported .npy format version {major}")
    if header_len > _MAX_HEADER:
        raise NpyError("the .npy header is too long")
    end = start + header_len
    if len(buf) < end:
        raise NpyError("the .npy header is cut short")
    try:
        header_text = buf[start:end].decode("utf-8" if major == 3 else "latin-1")
        # A real header is plain printable ASCII; refusing the rest (backslashes included)
        # also keeps literal_eval from ever warning about escape sequences.
        if not _HEADER_TEXT.fullmatch(header_text):
            raise ValueError
        header = ast.literal_eval(header_text)
    except (UnicodeDecodeError, ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise NpyError("the .npy header is not a Python literal") from None
    descr, fortran, shape = _check_header(header)
    itemsize = int(descr[2:])
    data = buf[end:]
    expected = element_count(shape) * itemsize
    if len(data) != expected:
        raise NpyError(f"{len(data)} data bytes for shape {shape} of {descr!r}")
    # An empty array carries no data to bound its nesting: bound it here.
    if not expected and _containers(shape) > MAX_EMPTY_CONTAINERS:
        raise NpyError(f"shape {shape} is too large")
    if fortran and len(shape) > 1:
        data = _fortran_to_c(data, shape, itemsize)
    return NpyArray(descr, shape, data)


def _check_header(header: Any) -> tuple[str, bool, tuple[int, ...]]:
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise NpyError("the .npy header must hold exactly descr, fortran_order and shape")
    descr = header["descr"]
    fortran = header["fortran_order"]
    shape = header["shape"]
    if not isinstance(descr, str):
        raise NpyError(f"unsupported dtype {descr!r}")
    match = _DESCR_RE.fullmatch(descr)
    if match is None or (match[2], int(match[3])) not in _CODES:
        raise NpyError(f"unsupported dtype {descr!r}")
    if match[1] == "|" and int(match[3]) != 1:
        raise NpyError(f"dtype {descr!r} lacks a byte order")
    if not isinstance(fortran, bool):
        raise NpyError("fortran_order must be True or False")
    if not isinstance(shape, tuple) or not all(type(dim) is int and dim >= 0 for dim in shape):
        raise NpyError(f"bad shape {shape!r}")
    if len(shape) > MAX_NDIM:
        raise NpyError(f"{len(shape)} dimensions (at most {MAX_NDIM})")
    return descr, fortran, shape


def _fortran_to_c(data: bytes, shape: tuple[int, ...], itemsize: int) -> bytes:
    # Axes of length 1 do not affect the layout; with one axis left, F and C orders agree.
    dims = tuple(dim for dim in shape if dim != 1)
    if len(dims) < 2 or not data:
        return data
    total = element_count(dims)
    if itemsize * total // max(dims[0], dims[-1]) > MAX_FORTRAN_RUNS:
        raise NpyError(f"a Fortran-order array of shape {shape} is too fragmented to reorder")
    out = bytearray(len(data))
    # Byte planes (byte b of every element) move like arrays of one-byte elements.
    for b in range(itemsize):
        out[b::itemsize] = _plane_to_c(data[b::itemsize], dims, total)
    return bytes(out)


def _plane_to_c(plane: bytes, dims: tuple[int, ...], total: int) -> bytearray:
    # Copies whole strided runs along the longer of the first and last axes.
    out = bytearray(total)
    if dims[0] >= dims[-1]:
        # Runs along axis 0: contiguous in Fortran order, strided in C order.
        run, step = dims[0], total // dims[0]
        c_strides = [element_count(dims[j + 1 :]) for j in range(1, len(dims))]
        rest = [range(dim) for dim in reversed(dims[1:])]
        for k, index in enumerate(itertools.product(*rest)):
            start = sum(i * s for i, s in zip(reversed(index), c_strides, strict=True))
            out[start : start + run * step : step] = plane[k * run : (k + 1) * run]
    else:
        # Runs along the last axis: contiguous in C order, strided in Fortran order.
        run, step = dims[-1], total // dims[-1]
        f_strides = [element_count(dims[:j]) for j in range(len(dims) - 1)]
        head = [range(dim) for dim in dims[:-1]]
        for k, index in enumerate(itertools.product(*head)):
            start = sum(i * s for i, s in zip(index, f_strides, strict=True))
            out[k * run : (k + 1) * run] = plane[start : start + run * step : step]
    return out
