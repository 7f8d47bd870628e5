"""Decode the results of IBM Quantum Runtime primitive jobs (``GET /jobs/{id}/results``).

The service answers in one of two encodings, both read here without NumPy or Qiskit:

* **plain JSON**, for jobs submitted without ``support_qiskit``: ``{"results": [...],
  "metadata": {...}}`` where a sampler pub's ``data`` maps each classical register to
  ``{"samples": ["0x3", ...], "num_bits": N}`` (one hex string per shot) and an estimator pub's
  ``data`` holds ``evs``, ``stds`` and often ``ensemble_standard_error`` (numbers or nested lists);
* **Qiskit-encoded**, as the official client asks for (``support_qiskit: true``):
  ``{"__type__": "PrimitiveResult", "__value__": {"pub_results": [...], "metadata": {...}}}`` whose
  pubs carry a ``DataBin`` of ``BitArray`` registers (sampler) or of ``ndarray`` fields
  (estimator); an ``ndarray`` is base64 of zlib-compressed ``.npy`` bytes (or a plain list).

:func:`decode_result` returns a :class:`SamplerResult` or an :class:`EstimatorResult`;
:func:`sampler_counts` returns joined counts per pub and also reads the older shapes some runtime
programs still return. Anything else, or anything malformed, raises
:class:`~qruntime_async.errors.ResponseDecodeError` whose message starts with the JSON path of the
offending value (for example ``$.results[0].data.meas.samples[3]: not a hex string``).

NumPy is never imported unless a ``to_numpy()`` method is called.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from typing import Any, Literal, NoReturn

import msgspec

from .._npy import MAX_NDIM, NpyArray, NpyError, element_count, inflate_base64, nest, read_npy
from ..errors import ResponseDecodeError

__all__ = [
    "DEFAULT_MAX_ARRAY_BYTES",
    "EstimatorPub",
    "EstimatorResult",
    "Register",
    "SamplerPub",
    "SamplerResult",
    "decode_result",
    "sampler_counts",
]

#: Default cap on the bytes all arrays of one document may take once decoded (inflated ``.npy``
#: data and packed plain-JSON samples together); a zlib bomb or an absurd shape stops here.
DEFAULT_MAX_ARRAY_BYTES = 256 * 1024 * 1024

_EXPECTED = "SamplerResult | EstimatorResult"
_SAMPLER = "SamplerResult"
# Bytes of packed shots turned into one big integer at a time when formatting bitstrings.
_CHUNK_BYTES = 1 << 16
_CAST_CODES: dict[int, Literal["H", "I", "Q"]] = {2: "H", 4: "I", 8: "Q"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEX_LIST = re.compile(r"0[xX][0-9a-fA-F]+(?:,0[xX][0-9a-fA-F]+)*")

Encoding = Literal["plain", "qiskit"]


# --------------------------------------------------------------------------------------------
# Bit-level helpers (pure Python, tuned for many shots)


def _bitstrings(data: bytes, nbytes: int, num_bits: int, shots: int) -> list[str]:
    # One int per chunk of shots, formatted once, then sliced: far cheaper than a format per
    # shot. Slicing off each shot's leading pad also drops stray bits above num_bits.
    if num_bits == 0:
        return [""] * shots
    width = nbytes * 8
    pad = width - num_bits
    step = nbytes * max(1, _CHUNK_BYTES // nbytes)
    out: list[str] = []
    for start in range(0, len(data), step):
        chunk = data[start : start + step]
        text = format(int.from_bytes(chunk, "big"), "b").zfill(len(chunk) * 8)
        out += [text[offset : offset + num_bits] for offset in range(pad, len(text), width)]
    return out


@lru_cache(maxsize=16)
def _splitter(nbytes: int) -> re.Pattern[bytes]:
    return re.compile(b".{%d}" % nbytes, re.DOTALL)


def _raw_keys(data: bytes, nbytes: int) -> Sequence[Any]:
    # Hashable per-shot keys produced at C speed: ints for 1/2/4/8-byte shots (native byte
    # order for the wider ones), bytes slices otherwise.
    if nbytes == 1:
        return data
    code = _CAST_CODES.get(nbytes)
    if code is not None:
        return memoryview(data).cast(code)
    return _splitter(nbytes).findall(data)


def _key_value(key: Any, nbytes: int) -> int:
    if isinstance(key, int):
        if nbytes == 1:
            return key
        return int.from_bytes(key.to_bytes(nbytes, sys.byteorder), "big")
    return int.from_bytes(key, "big")


_PROBE_SHOTS = 1024


def _repetitive(blocks: Sequence[tuple[bytes, int]], num_bits: int, shots: int) -> bool:
    # Whether counting raw per-shot keys first (then formatting each distinct outcome once)
    # beats formatting every shot: true when outcomes repeat a lot, judged from the first shots.
    if num_bits < 48 and (1 << num_bits) <= shots:
        return True
    probe = [_raw_keys(data[: nbytes * _PROBE_SHOTS], nbytes) for data, nbytes in blocks]
    sample = list(zip(*probe, strict=True))
    return len(set(sample)) * 2 <= len(sample)


def _position(loc: int | tuple[int, ...], shape: tuple[int, ...]) -> int:
    index = (loc,) if isinstance(loc, int) else tuple(loc)
    if len(index) != len(shape) or not all(isinstance(i, int) for i in index):
        raise IndexError(f"loc {loc!r} must give one integer per axis of the shape {shape}")
    flat = 0
    for i, dim in zip(index, shape, strict=True):
        if not -dim <= i < dim:
            raise IndexError(f"loc {loc!r} is out of range for the shape {shape}")
        flat = flat * dim + (i % dim)
    return flat


def _numpy() -> Any:
    try:
        return importlib.import_module("numpy")
    except ImportError:
        raise ModuleNotFoundError("to_numpy() needs NumPy: pip install numpy") from None


# --------------------------------------------------------------------------------------------
# Public result types


class Register:
    """The shots of one classical register, like Qiskit's ``BitArray``.

    Every shot is stored packed, big-endian, in ``ceil(num_bits / 8)`` bytes; a bitstring has
    bit 0 of the register rightmost, as in Qiskit. ``shape`` is the parameter-sweep shape of the
    pub (``()`` for a single circuit); every position of it holds ``num_shots`` shots.

    Methods taking ``loc`` mirror ``BitArray.get_counts(loc)``: ``None`` (the default) merges the
    shots of every position of ``shape``; otherwise ``loc`` is an integer (one-dimensional shape)
    or a tuple of integers, one per axis, that picks a single position.
    """

    __slots__ = ("_data", "_nbytes", "_positions", "name", "num_bits", "num_shots", "shape")

    name: str
    num_bits: int
    num_shots: int
    shape: tuple[int, ...]

    def __init__(
        self, name: str, num_bits: int, shape: tuple[int, ...], num_shots: int, data: bytes
    ) -> None:
        """Wrap packed shot bytes (C order: ``(*shape, num_shots, ceil(num_bits / 8))``)."""
        self.name = name
        #: Bits per shot (the register's width).
        self.num_bits = num_bits
        #: Shots at each position of ``shape``.
        self.num_shots = num_shots
        #: The pub's parameter-sweep shape.
        self.shape = shape
        self._nbytes = (num_bits + 7) // 8
        self._positions = element_count(shape)
        self._data = data
        if len(data) != self._positions * num_shots * self._nbytes:
            raise ValueError("the data does not match the shape, shots and width")

    def _select(self, loc: int | tuple[int, ...] | None) -> tuple[bytes, int]:
        if loc is None:
            return self._data, self._positions * self.num_shots
        size = self.num_shots * self._nbytes
        start = _position(loc, self.shape) * size
        return self._data[start : start + size], self.num_shots

    def _shots(self, loc: int | tuple[int, ...] | None) -> int:
        if loc is None:
            return self._positions * self.num_shots
        _position(loc, self.shape)
        return self.num_shots

    def counts(self, loc: int | tuple[int, ...] | None = None) -> dict[str, int]:
        """Occurrences of each outcome, keyed by bitstrings of ``num_bits`` characters."""
        data, shots = self._select(loc)
        if shots == 0:
            return {}
        if self.num_bits == 0:
            return {"": shots}
        if _repetitive([(data, self._nbytes)], self.num_bits, shots):
            mask = (1 << self.num_bits) - 1
            spec = f"0{self.num_bits}b"
            out: dict[str, int] = {}
            for key, count in Counter(_raw_keys(data, self._nbytes)).items():
                text = format(_key_value(key, self._nbytes) & mask, spec)
                out[text] = out.get(text, 0) + count
            return out
        return dict(Counter(_bitstrings(data, self._nbytes, self.num_bits, shots)))

    def int_counts(self, loc: int | tuple[int, ...] | None = None) -> dict[int, int]:
        """Occurrences of each outcome, keyed by the outcome as an integer (bit 0 least)."""
        return {int(text, 2) if text else 0: n for text, n in self.counts(loc).items()}

    def bitstrings(self, loc: int | tuple[int, ...] | None = None) -> list[str]:
        """One bitstring per shot, in shot order (positions of ``shape`` in C order)."""
        data, shots = self._select(loc)
        return _bitstrings(data, self._nbytes, self.num_bits, shots)

    def to_numpy(self) -> Any:
        """The packed ``uint8`` array of shape ``(*shape, num_shots, ceil(num_bits / 8))``.

        This is exactly Qiskit's ``BitArray.array``. Needs NumPy.
        """
        np = _numpy()
        array = np.frombuffer(self._data, dtype=np.uint8)
        return array.reshape((*self.shape, self.num_shots, self._nbytes)).copy()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Register):
            return NotImplemented
        return (
            self.name == other.name
            and self.num_bits == other.num_bits
            and self.shape == other.shape
            and self.num_shots == other.num_shots
            and self.bitstrings() == other.bitstrings()
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Register(name={self.name!r}, num_bits={self.num_bits}, "
            f"num_shots={self.num_shots}, shape={self.shape})"
        )


def _pick(registers: Mapping[str, Register], names: Iterable[str] | None) -> list[Register]:
    if names is None:
        return list(registers.values())
    chosen = list(names)
    if not chosen:
        raise ValueError("an empty list of register names was given")
    for name in chosen:
        if name not in registers:
            raise ValueError(f"no register named {name!r}")
    return [registers[name] for name in chosen]


@dataclass(frozen=True)
class SamplerPub:
    """The result of one sampler pub: its classical registers and metadata."""

    #: Registers by name, in the circuit's order.
    registers: dict[str, Register]
    #: The pub's metadata as sent (a plain dict; nested Qiskit-encoded values are left as is).
    metadata: dict[str, Any]
    #: The pub's parameter-sweep shape (``()`` for a single circuit).
    shape: tuple[int, ...]

    @property
    def num_shots(self) -> int:
        """Shots at each position of ``shape`` (0 when the pub has no register)."""
        return next(iter(self.registers.values())).num_shots if self.registers else 0

    def bitstrings(
        self, loc: int | tuple[int, ...] | None = None, names: Iterable[str] | None = None
    ) -> list[str]:
        """Per-shot bitstrings of the registers joined as Qiskit's ``join_data()`` joins them.

        The first register's bits are rightmost, later registers to their left. ``names``
        chooses and orders the registers (first name rightmost); ``loc`` works as in
        :meth:`Register.counts`.
        """
        picked = _pick(self.registers, names)
        if not picked:
            return []
        chosen = [reg for reg in picked if reg.num_bits]
        if not chosen:
            return [""] * picked[0]._shots(loc)
        if len(chosen) == 1:
            return chosen[0].bitstrings(loc)
        return list(
            map("".join, zip(*(reg.bitstrings(loc) for reg in reversed(chosen)), strict=True))
        )

    def counts(
        self, loc: int | tuple[int, ...] | None = None, names: Iterable[str] | None = None
    ) -> dict[str, int]:
        """Counts of the joined bitstrings (see :meth:`bitstrings`).

        Equal to Qiskit's ``join_data(names).get_counts(loc)``; an empty dict when the pub has
        no register.
        """
        picked = _pick(self.registers, names)
        if not picked:
            return {}
        if len(picked) == 1:
            return picked[0].counts(loc)
        chosen = [reg for reg in picked if reg.num_bits]
        shots = picked[0]._shots(loc)
        if shots == 0:
            return {}
        if not chosen:
            return {"": shots}
        if len(chosen) == 1:
            return chosen[0].counts(loc)
        total = sum(reg.num_bits for reg in chosen)
        blocks = [(reg._select(loc)[0], reg._nbytes) for reg in chosen]
        if _repetitive(blocks, total, shots):
            keys = [_raw_keys(data, nbytes) for data, nbytes in blocks]
            specs = [
                (reg._nbytes, (1 << reg.num_bits) - 1, f"0{reg.num_bits}b")
                for reg in reversed(chosen)
            ]
            out: dict[str, int] = {}
            for combo, count in Counter(zip(*keys, strict=True)).items():
                text = "".join(
                    format(_key_value(key, nbytes) & mask, spec)
                    for key, (nbytes, mask, spec) in zip(reversed(combo), specs, strict=True)
                )
                out[text] = out.get(text, 0) + count
            return out
        lists = [reg.bitstrings(loc) for reg in reversed(chosen)]
        return dict(Counter(map("".join, zip(*lists, strict=True))))

    def join(self, names: Iterable[str] | None = None) -> Register:
        """One register holding the joined bits (like Qiskit's ``join_data()``)."""
        picked = _pick(self.registers, names)
        if not picked:
            raise ValueError("the pub has no register to join")
        num_bits = sum(reg.num_bits for reg in picked)
        nbytes = (num_bits + 7) // 8
        packed = b"".join(
            int(text, 2).to_bytes(nbytes, "big") if text else b""
            for text in self.bitstrings(names=[reg.name for reg in picked])
        )
        first = picked[0]
        name = "+".join(reg.name for reg in picked)
        return Register(name, num_bits, first.shape, first.num_shots, packed)


@dataclass(frozen=True)
class SamplerResult:
    """A decoded sampler job result."""

    #: One entry per pub, in submission order.
    pubs: tuple[SamplerPub, ...]
    #: The job-level metadata as sent (a plain dict).
    metadata: dict[str, Any]
    #: ``"plain"`` (plain JSON) or ``"qiskit"`` (``RuntimeEncoder`` format).
    encoding: Encoding

    def counts(self) -> list[dict[str, int]]:
        """Joined counts of every pub (see :meth:`SamplerPub.counts`)."""
        return [pub.counts() for pub in self.pubs]


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
class EstimatorPub:
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


@dataclass(frozen=True)
class EstimatorResult:
    """A decoded estimator job result."""

    #: One entry per pub, in submission order.
    pubs: tuple[EstimatorPub, ...]
    #: The job-level metadata as sent (a plain dict).
    metadata: dict[str, Any]
    #: ``"plain"`` (plain JSON) or ``"qiskit"`` (``RuntimeEncoder`` format).
    encoding: Encoding


# --------------------------------------------------------------------------------------------
# Decoding machinery


class _Invalid(Exception):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _fail(path: str, problem: str) -> NoReturn:
    raise _Invalid(path, problem)


def _key(path: str, name: str) -> str:
    if _IDENTIFIER.fullmatch(name):
        return f"{path}.{name}"
    return f"{path}[{msgspec.json.encode(name).decode()}]"


def _index_path(path: str, flat_index: int, shape: tuple[int, ...]) -> str:
    parts = []
    for dim in reversed(shape):
        flat_index, rest = divmod(flat_index, dim)
        parts.append(f"[{rest}]")
    return path + "".join(reversed(parts))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Budget:
    __slots__ = ("left", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def take(self, nbytes: int, path: str) -> None:
        if nbytes > self.left:
            _fail(path, f"the arrays exceed the {self.limit}-byte limit")
        self.left -= nbytes


def _mapping(value: Any, path: str, *, optional: bool = False) -> dict[str, Any]:
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        _fail(path, f"expected an object, got {_kind(value)}")
    return value


def _wrapped(value: Any, path: str, types: tuple[str, ...]) -> tuple[str, Any, str]:
    # A RuntimeEncoder object {"__type__": T, "__value__": V}: returns (T, V, path of V).
    if not isinstance(value, dict) or "__type__" not in value:
        _fail(path, f"expected a {types[0]} object, got {_kind(value)}")
    kind = value["__type__"]
    if kind not in types:
        shown = kind if isinstance(kind, str) else _kind(kind)
        _fail(f"{path}.__type__", f"unexpected type {shown!r} (expected {' or '.join(types)})")
    if "__value__" not in value:
        _fail(path, "missing __value__")
    return kind, value["__value__"], f"{path}.__value__"


def _count_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(path, f"expected a non-negative integer, got {_kind(value)}")
    return value


def _shape_of(value: Any, path: str) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > MAX_NDIM:
        _fail(path, f"expected a list of at most {MAX_NDIM} dimensions, got {_kind(value)}")
    return tuple(_count_int(dim, f"{path}[{i}]") for i, dim in enumerate(value))


def _rectangular(value: Any, path: str) -> tuple[tuple[int, ...], list[Any]]:
    # Nested JSON lists -> (shape, flat leaves); ragged or too-deep nesting is refused.
    dims: list[int] = []
    probe = value
    while isinstance(probe, list):
        dims.append(len(probe))
        if len(dims) > MAX_NDIM:
            _fail(path, f"nested deeper than {MAX_NDIM} levels")
        if not probe:
            break
        probe = probe[0]
    shape = tuple(dims)
    flat: list[Any] = []
    _collect(value, shape, 0, path, flat)
    return shape, flat


def _collect(value: Any, shape: tuple[int, ...], depth: int, path: str, out: list[Any]) -> None:
    if depth == len(shape):
        out.append(value)
        return
    if not isinstance(value, list) or len(value) != shape[depth]:
        _fail(path, f"ragged nesting: expected a list of {shape[depth]} items, got {_kind(value)}")
    if depth == len(shape) - 1:
        for i, item in enumerate(value):
            if isinstance(item, list):
                _fail(f"{path}[{i}]", "ragged nesting: a list among scalars")
        out.extend(value)
        return
    for i, item in enumerate(value):
        _collect(item, shape, depth + 1, f"{path}[{i}]", out)


def _leads_with(path: str, shape: tuple[int, ...], pub_shape: tuple[int, ...]) -> None:
    if shape[: len(pub_shape)] != pub_shape:
        _fail(path, f"shape {shape} does not lead with the pub shape {pub_shape}")


# --- ndarray values ---------------------------------------------------------------------------


def _ndarray(value: Any, path: str, budget: _Budget) -> _Array:
    _, inner, inner_path = _wrapped(value, path, ("ndarray",))
    if isinstance(inner, str):
        try:
            raw = inflate_base64(inner, budget.left)
            budget.take(len(raw), inner_path)
            npy = read_npy(raw)
        except NpyError as exc:
            _fail(inner_path, str(exc))
        return _Array(npy.shape, npy=npy)
    return _numbers(inner, inner_path, to_float=False)


def _numbers(value: Any, path: str, *, to_float: bool) -> _Array:
    shape, flat = _rectangular(value, path)
    for i, item in enumerate(flat):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            _fail(_index_path(path, i, shape), f"expected a number, got {_kind(item)}")
    if to_float:
        try:
            flat = [float(item) for item in flat]
        except OverflowError:
            _fail(path, "a number is too large for a float")
    return _Array(shape, flat=flat)


def _numeric_field(value: Any, path: str, budget: _Budget) -> _Array:
    # A Qiskit-encoded DataBin field that is not a BitArray.
    if isinstance(value, dict):
        kind = value.get("__type__")
        if kind == "complex":
            _, inner, inner_path = _wrapped(value, path, ("complex",))
            parts = _numbers(inner, inner_path, to_float=True)
            if parts.shape != (2,):
                _fail(inner_path, "expected [real, imaginary]")
            assert parts.flat is not None
            return _Array((), flat=[complex(parts.flat[0], parts.flat[1])])
        return _ndarray(value, path, budget)
    return _numbers(value, path, to_float=False)


# --- registers ------------------------------------------------------------------------------


def _hex_packed(text: Any, num_bits: int, nbytes: int) -> bytes | str:
    # The packed bytes of one "0x..." sample, or the reason it is refused.
    if not isinstance(text, str):
        return f"expected a hex string, got {_kind(text)}"
    digits = text[2:]
    if text[:2] not in ("0x", "0X") or not digits or not digits.isascii() or not digits.isalnum():
        return f"not a hex string: {text[:40]!r}"
    try:
        value = int(digits, 16)
    except ValueError:
        return f"not a hex string: {text[:40]!r}"
    if value.bit_length() > num_bits:
        return f"{text[:40]!r} does not fit in num_bits={num_bits}"
    return value.to_bytes(nbytes, "big")


def _pack_hex(flat: list[Any], num_bits: int, nbytes: int) -> bytes | None:
    # Every sample validated and packed in a few C-level passes; None if any is invalid.
    try:
        joined = ",".join(flat)
    except TypeError:
        return None
    if flat and not _HEX_LIST.fullmatch(joined):
        return None
    try:
        # A sample holding a comma passed the check above but fails here.
        values = list(map(int, flat, repeat(16)))
    except ValueError:
        return None
    if values and max(values).bit_length() > num_bits:
        return None
    order: Literal["big"] = "big"
    return b"".join(map(int.to_bytes, values, repeat(nbytes), repeat(order)))


def _plain_register(name: str, value: Any, path: str, budget: _Budget) -> Register:
    entry = _mapping(value, path)
    if "samples" not in entry:
        if "counts" in entry:
            _fail(
                path,
                "per-register counts without samples (an older runtime program's result); "
                "read it with sampler_counts()",
            )
        _fail(path, "missing samples")
    if "num_bits" not in entry:
        _fail(path, "missing num_bits")
    num_bits = _count_int(entry["num_bits"], f"{path}.num_bits")
    samples_path = f"{path}.samples"
    shape, flat = _rectangular(entry["samples"], samples_path)
    if not shape:
        _fail(samples_path, f"expected a list of hex strings, got {_kind(entry['samples'])}")
    nbytes = (num_bits + 7) // 8
    budget.take(len(flat) * nbytes, samples_path)
    data = _pack_hex(flat, num_bits, nbytes)
    if data is None:
        # Something is wrong: find the first bad sample to name it.
        for index, text in enumerate(flat):
            result = _hex_packed(text, num_bits, nbytes)
            if isinstance(result, str):
                _fail(_index_path(samples_path, index, shape), result)
        _fail(samples_path, "invalid samples")
    return Register(name, num_bits, shape[:-1], shape[-1], data)


def _bit_array(name: str, value: Any, path: str, budget: _Budget) -> Register:
    _, inner, inner_path = _wrapped(value, path, ("BitArray",))
    entry = _mapping(inner, inner_path)
    if "num_bits" not in entry or "array" not in entry:
        _fail(inner_path, "expected array and num_bits")
    num_bits = _count_int(entry["num_bits"], f"{inner_path}.num_bits")
    array_path = f"{inner_path}.array"
    array = _ndarray(entry["array"], array_path, budget)
    if array.npy is not None:
        if array.npy.descr not in ("|u1", "<u1", ">u1"):
            _fail(array_path, f"expected a uint8 array, got dtype {array.npy.descr!r}")
        data = array.npy.data
    else:
        assert array.flat is not None
        for i, item in enumerate(array.flat):
            if not isinstance(item, int) or isinstance(item, bool) or not 0 <= item <= 255:
                _fail(
                    _index_path(f"{array_path}.__value__", i, array.shape),
                    "expected a byte (0-255)",
                )
        data = bytes(array.flat)
    shape = array.shape
    nbytes = (num_bits + 7) // 8
    if len(shape) < 2:
        _fail(array_path, f"expected at least two axes (shots, bytes), got shape {shape}")
    if shape[-1] != nbytes:
        _fail(array_path, f"{shape[-1]} bytes per shot, but num_bits={num_bits} needs {nbytes}")
    return Register(name, num_bits, shape[:-2], shape[-2], data)


# --- pubs -----------------------------------------------------------------------------------


def _sampler_pub(
    registers: dict[str, Register],
    metadata: dict[str, Any],
    shape: tuple[int, ...] | None,
    path: str,
) -> SamplerPub:
    shapes = {(reg.shape, reg.num_shots) for reg in registers.values()}
    if len(shapes) > 1:
        _fail(path, "the registers differ in shape or number of shots")
    if shapes:
        ((reg_shape, _),) = shapes
        if shape is None:
            shape = reg_shape
        else:
            _leads_with(path, reg_shape, shape)
    return SamplerPub(registers, metadata, shape or ())


def _estimator_pub(
    arrays: dict[str, _Array],
    metadata: dict[str, Any],
    shape: tuple[int, ...] | None,
    path: str,
) -> EstimatorPub:
    if "evs" not in arrays:
        _fail(path, "an estimator pub without evs")
    if shape is None:
        shape = arrays["evs"].shape
    for name, array in arrays.items():
        _leads_with(_key(path, name), array.shape, shape)
    fields = {name: array.python() for name, array in arrays.items()}
    return EstimatorPub(
        evs=fields["evs"],
        stds=fields.get("stds"),
        ensemble_standard_error=fields.get("ensemble_standard_error"),
        fields=fields,
        metadata=metadata,
        shape=shape,
        _arrays=arrays,
    )


def _plain_pub(entry: Any, path: str, budget: _Budget) -> SamplerPub | EstimatorPub:
    entry = _mapping(entry, path)
    if "data" not in entry:
        _fail(path, "missing data")
    data_path = f"{path}.data"
    data = _mapping(entry["data"], data_path)
    metadata = _mapping(entry.get("metadata"), f"{path}.metadata", optional=True)
    if "evs" in data:
        arrays = {
            name: _numbers(value, _key(data_path, name), to_float=True)
            for name, value in data.items()
        }
        return _estimator_pub(arrays, metadata, None, data_path)
    if not data:
        _fail(data_path, "no registers and no evs")
    registers = {
        name: _plain_register(name, value, _key(data_path, name), budget)
        for name, value in data.items()
    }
    return _sampler_pub(registers, metadata, None, data_path)


def _qiskit_pub(entry: Any, path: str, budget: _Budget) -> SamplerPub | EstimatorPub:
    kind, inner, inner_path = _wrapped(
        entry, path, ("SamplerPubResult", "PubResult", "EstimatorPubResult")
    )
    inner = _mapping(inner, inner_path)
    if "data" not in inner:
        _fail(inner_path, "missing data")
    metadata = _mapping(inner.get("metadata"), f"{inner_path}.metadata", optional=True)
    _, bin_value, bin_path = _wrapped(inner["data"], f"{inner_path}.data", ("DataBin",))
    bin_value = _mapping(bin_value, bin_path)
    fields_path = f"{bin_path}.fields"
    fields = _mapping(bin_value.get("fields"), fields_path)
    shape: tuple[int, ...] | None = None
    if bin_value.get("shape") is not None:
        shape = _shape_of(bin_value["shape"], f"{bin_path}.shape")
    names = bin_value.get("field_names")
    # field_names carries the circuit's register order even if the fields object was re-keyed.
    if not (
        isinstance(names, list)
        and all(isinstance(name, str) for name in names)
        and sorted(names) == sorted(fields)
    ):
        names = list(fields)
    registers: dict[str, Register] = {}
    arrays: dict[str, _Array] = {}
    for name in names:
        value, value_path = fields[name], _key(fields_path, name)
        if isinstance(value, dict) and value.get("__type__") == "BitArray":
            registers[name] = _bit_array(name, value, value_path, budget)
        elif kind == "SamplerPubResult":
            _fail(value_path, "expected a BitArray (only classified measurements are supported)")
        else:
            arrays[name] = _numeric_field(value, value_path, budget)
    if registers and arrays:
        _fail(fields_path, "mixes BitArray registers with other arrays")
    if registers or kind == "SamplerPubResult":
        return _sampler_pub(registers, metadata, shape, fields_path)
    if not arrays:
        _fail(fields_path, "no data fields")
    return _estimator_pub(arrays, metadata, shape, fields_path)


def _pub_entries(document: Any) -> tuple[Encoding, list[tuple[Any, str]], dict[str, Any]]:
    if isinstance(document, dict) and "__type__" in document:
        _, inner, inner_path = _wrapped(document, "$", ("PrimitiveResult",))
        inner = _mapping(inner, inner_path)
        metadata = _mapping(inner.get("metadata"), f"{inner_path}.metadata", optional=True)
        list_path = f"{inner_path}.pub_results"
        entries = inner.get("pub_results")
        encoding: Encoding = "qiskit"
    elif isinstance(document, dict) and "results" in document:
        metadata = _mapping(document.get("metadata"), "$.metadata", optional=True)
        list_path = "$.results"
        entries = document["results"]
        encoding = "plain"
    else:
        _fail("$", 'neither a PrimitiveResult nor a {"results": [...]} document')
    if not isinstance(entries, list):
        _fail(list_path, f"expected a list of pub results, got {_kind(entries)}")
    if not entries:
        _fail(list_path, "no pub results")
    return encoding, [(entry, f"{list_path}[{i}]") for i, entry in enumerate(entries)], metadata


def _decode_pub(
    encoding: Encoding, entry: Any, path: str, budget: _Budget
) -> SamplerPub | EstimatorPub:
    if encoding == "qiskit":
        return _qiskit_pub(entry, path, budget)
    return _plain_pub(entry, path, budget)


def _decode(document: Any, budget: _Budget) -> SamplerResult | EstimatorResult:
    encoding, entries, metadata = _pub_entries(document)
    pubs = [_decode_pub(encoding, entry, path, budget) for entry, path in entries]
    if all(isinstance(pub, SamplerPub) for pub in pubs):
        return SamplerResult(
            tuple(p for p in pubs if isinstance(p, SamplerPub)), metadata, encoding
        )
    if all(isinstance(pub, EstimatorPub) for pub in pubs):
        return EstimatorResult(
            tuple(p for p in pubs if isinstance(p, EstimatorPub)), metadata, encoding
        )
    _fail(entries[0][1].rsplit("[", 1)[0], "mixes sampler and estimator pubs")


def _parse(document: Any, expected: str) -> Any:
    if isinstance(document, (bytes, bytearray, memoryview, str)):
        try:
            return msgspec.json.decode(document)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise ResponseDecodeError(
                f"malformed JSON: {exc}", expected=expected, path="$", malformed=True
            ) from None
    return document


def _run(document: Any, expected: str, max_array_bytes: int, step: Any) -> Any:
    parsed = _parse(document, expected)
    try:
        return step(parsed, _Budget(max_array_bytes))
    except _Invalid as exc:
        raise ResponseDecodeError(str(exc), expected=expected, path=exc.path) from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
        # A safety net: whatever slipped past the checks above still surfaces as a decode error.
        raise ResponseDecodeError(
            f"unexpected {type(exc).__name__}: {exc}", expected=expected
        ) from None


def decode_result(
    document: Any, *, max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES
) -> SamplerResult | EstimatorResult:
    """Decode a ``GET /jobs/{id}/results`` document of a sampler or estimator job.

    ``document`` is the decoded JSON (JSON bytes or text are parsed first). Both the plain JSON
    and the Qiskit-encoded forms are read; the kind of result is told by its data (registers of
    samples or ``BitArray``\\ s make a sampler result, ``evs`` an estimator result).

    Raises :class:`~qruntime_async.errors.ResponseDecodeError` for anything else (unknown
    ``__type__``, bad shapes, invalid samples, arrays beyond ``max_array_bytes`` once decoded),
    with the JSON path of the offending value in ``path`` and at the start of the message.
    Per-register counts of older runtime programs are not shot data: :func:`sampler_counts`
    reads them.
    """
    result: SamplerResult | EstimatorResult = _run(document, _EXPECTED, max_array_bytes, _decode)
    return result


# --- counts of every shape ------------------------------------------------------------------


def _legacy_count(value: Any, path: str) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        return int(value)
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return _count_int(value, path)


def _legacy_counts_map(value: Any, path: str) -> dict[str, int]:
    mapping = _mapping(value, path)
    return {str(key): _legacy_count(n, _key(path, str(key))) for key, n in mapping.items()}


def _legacy_pub_counts(encoding: Encoding, entry: Any, path: str) -> dict[str, int] | None:
    # Per-register counts (no samples): the counts of "meas" when present, else of the first
    # register that has counts. None when the pub is not of that older shape.
    if encoding == "qiskit":
        try:
            _, inner, inner_path = _wrapped(
                entry, path, ("SamplerPubResult", "PubResult", "EstimatorPubResult")
            )
            _, bin_value, bin_path = _wrapped(
                _mapping(inner, inner_path).get("data"), f"{inner_path}.data", ("DataBin",)
            )
            data_path = f"{bin_path}.fields"
            data = _mapping(bin_value, bin_path).get("fields")
        except _Invalid:
            return None
    else:
        if not isinstance(entry, dict):
            return None
        data, data_path = entry.get("data"), f"{path}.data"
    if not isinstance(data, dict):
        return None
    whole = data.get("counts")
    if isinstance(whole, dict) and not {"samples", "num_bits", "__type__"} & whole.keys():
        return _legacy_counts_map(whole, f"{data_path}.counts")
    found = [
        name
        for name, reg in data.items()
        if isinstance(reg, dict)
        and "counts" in reg
        and "samples" not in reg
        and "__type__" not in reg
    ]
    if not found:
        return None
    name = "meas" if "meas" in found else found[0]
    return _legacy_counts_map(data[name]["counts"], f"{_key(data_path, name)}.counts")


def _quasi_counts(document: dict[str, Any]) -> list[dict[str, int]]:
    dists = document["quasi_dists"]
    if not isinstance(dists, list):
        _fail("$.quasi_dists", f"expected a list, got {_kind(dists)}")
    metadata = document.get("metadata")
    if not isinstance(metadata, list) or len(metadata) != len(dists):
        _fail("$.metadata", "expected one metadata object (with shots) per distribution")
    out = []
    for i, dist in enumerate(dists):
        shots_path = f"$.metadata[{i}].shots"
        shots = _legacy_count(_mapping(metadata[i], f"$.metadata[{i}]").get("shots"), shots_path)
        dist_path = f"$.quasi_dists[{i}]"
        counts: dict[str, int] = {}
        for key, prob in _mapping(dist, dist_path).items():
            if isinstance(prob, bool) or not isinstance(prob, (int, float)):
                _fail(_key(dist_path, str(key)), f"expected a probability, got {_kind(prob)}")
            try:
                count = round(prob * shots)
            except (OverflowError, ValueError):
                _fail(_key(dist_path, str(key)), "not a finite probability")
            if count > 0:
                counts[str(key)] = count
        out.append(counts)
    return out


def _counts(document: Any, budget: _Budget) -> list[dict[str, int]]:
    if isinstance(document, dict) and "results" not in document and "__type__" not in document:
        if "counts" in document:
            entries = document["counts"]
            if not isinstance(entries, list):
                _fail("$.counts", f"expected a list, got {_kind(entries)}")
            return [_legacy_counts_map(c, f"$.counts[{i}]") for i, c in enumerate(entries)]
        if "quasi_dists" in document:
            return _quasi_counts(document)
    encoding, entries, _ = _pub_entries(document)
    out = []
    for entry, path in entries:
        legacy = _legacy_pub_counts(encoding, entry, path)
        if legacy is not None:
            out.append(legacy)
            continue
        pub = _decode_pub(encoding, entry, path, budget)
        if isinstance(pub, EstimatorPub):
            _fail(path, "an estimator result (evs/stds) has no counts")
        out.append(pub.counts())
    return out


def sampler_counts(
    document: Any, *, max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES
) -> list[dict[str, int]]:
    """Joined counts per pub of a sampler result, in every shape the service has used.

    * Plain JSON samples and Qiskit-encoded ``BitArray``\\ s: the registers joined as Qiskit's
      ``join_data()`` joins them (first register rightmost), keyed by bitstrings.
    * Older shapes, whose keys are kept exactly as sent: per-register counts
      (``{"results": [{"data": {"<register>": {"counts": {...}}}}]}``, also inside Qiskit
      wrappers), where only one register can be read, that of ``meas`` when present, else the
      first; ``{"counts": [{...}, ...]}``; and ``{"quasi_dists": [...], "metadata": [{"shots":
      n}, ...]}``, whose probabilities become ``round(p * shots)``, outcomes rounding to zero or
      below being left out.

    Raises :class:`~qruntime_async.errors.ResponseDecodeError` for an estimator result or any
    malformed document, naming the JSON path.
    """
    counts: list[dict[str, int]] = _run(document, _SAMPLER, max_array_bytes, _counts)
    return counts
