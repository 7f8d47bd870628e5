"""Argument checks run before any request is sent; each error names the argument."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

__all__ = [
    "resource_id",
    "choice",
    "choices",
    "positive_int",
    "aware_datetime",
    "string_list",
    "seconds",
    "optional_str",
]


_PLAIN_ID = re.compile(r"[A-Za-z0-9_.~-]+\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def resource_id(name: str, value: object) -> str:
    """A non-empty id without slashes or dot segments."""
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    if _PLAIN_ID.match(value) and value not in (".", ".."):
        return value  # the common case: letters, digits and -_.~: nothing more to check
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError(f"{name} must be a single id, without slashes or dot segments: {value!r}")
    if _CONTROL.search(value):
        raise ValueError(f"{name} must not contain control characters: {value!r}")
    return value


def choice(name: str, value: object, allowed: Collection[str]) -> str:
    """One of ``allowed`` (an Enum member counts as its value)."""
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(sorted(allowed))
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def choices(name: str, value: object, allowed: Collection[str]) -> list[str]:
    """One value or an iterable of values, each one of ``allowed``."""
    if isinstance(value, (str, Enum)):
        return [choice(name, value, allowed)]
    if not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a string or a list of strings, got {type(value).__name__}")
    result = [choice(name, item, allowed) for item in value]
    if not result:
        raise ValueError(f"{name} must not be an empty list")
    return result


def positive_int(name: str, value: object, *, maximum: int | None = None) -> int:
    """An int >= 1 (and <= ``maximum`` when given)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def aware_datetime(name: str, value: object) -> datetime:
    """A timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware (e.g. datetime.now(timezone.utc)); got a naive datetime"
        )
    return value


def string_list(name: str, value: object) -> list[str]:
    """A list of non-empty strings (a single string is not accepted: it is a common slip)."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list of strings, got {type(value).__name__}")
    result: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item:
            raise ValueError(f"{name} must contain non-empty strings only; got {item!r}")
        result.append(item)
    return result


def seconds(name: str, value: object, *, minimum: float = 0.0) -> float:
    """A number of seconds (int, float or timedelta) greater than ``minimum``."""
    if isinstance(value, timedelta):
        number = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        raise TypeError(f"{name} must be seconds (a number or a timedelta), got {value!r}")
    if not number > minimum:
        raise ValueError(f"{name} must be > {minimum:g} seconds, got {number:g}")
    return number


def optional_str(name: str, value: Any) -> str | None:
    """None or a non-empty string."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string or None, got {value!r}")
    return value
