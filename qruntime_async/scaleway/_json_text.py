"""JSON documents as Scaleway carries them: text or bytes, possibly wrapped in JSON strings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from .._codec import decode
from ..errors import ResponseDecodeError

# A JSON document may arrive wrapped in JSON strings (the official decoders unwrap any number of
# them); a few levels are enough for every real producer.
_MAX_STRING_WRAPPING = 4

_JSON_STRING_START = re.compile(r"[ \t\r\n]*\"")
_JSON_STRING_START_BYTES = re.compile(rb"[ \t\r\n]*\"")


def _unwrap_json(data: str | bytes, expected: str) -> str | bytes:
    """The document itself when it arrives as JSON text inside JSON strings."""
    for _ in range(_MAX_STRING_WRAPPING):
        pattern = _JSON_STRING_START if isinstance(data, str) else _JSON_STRING_START_BYTES
        if pattern.match(data) is None:  # type: ignore[arg-type]
            return data
        data = decode(data, str)
    raise ResponseDecodeError(
        "the document is wrapped in too many JSON strings", expected=expected, path="$"
    )


def _input_text(name: str, value: object) -> str | bytes:
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if not isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be JSON text (str or bytes), got {type(value).__name__}")
    return value


def _rebase(error: ResponseDecodeError, expected: str, prefix: str = "$") -> ResponseDecodeError:
    path = error.path or "$"
    if prefix != "$":
        path = prefix + path[1:]
    return ResponseDecodeError(
        error.message,
        expected=expected,
        path=path,
        body=error.body,
        malformed=error.malformed,
    )


@contextmanager
def _reported_as(expected: str, prefix: str = "$") -> Iterator[None]:
    """Decode errors inside re-raised as errors reading ``expected``, their paths under
    ``prefix``."""
    try:
        yield
    except ResponseDecodeError as exc:
        raise _rebase(exc, expected, prefix) from None


def _excerpt(data: str | bytes) -> str:
    text = data[:500]
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text
