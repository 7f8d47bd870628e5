"""Checking decoded JSON values, with the JSON path of any offending value in the error."""

from __future__ import annotations

import re
from typing import Any, NoReturn

import msgspec

from ..._npy import MAX_NDIM

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
