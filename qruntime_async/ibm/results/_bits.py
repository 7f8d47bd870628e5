"""Bit-level helpers for packed shots (pure Python, tuned for many shots).

Every shot is packed big-endian in ``nbytes`` bytes; these turn such data into bitstrings, into
hashable per-shot keys for counting, and map a ``loc`` of a parameter-sweep shape to a position.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

# Bytes of packed shots turned into one big integer at a time when formatting bitstrings.
_CHUNK_BYTES = 1 << 16
_CAST_CODES: dict[int, Literal["H", "I", "Q"]] = {2: "H", 4: "I", 8: "Q"}


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
