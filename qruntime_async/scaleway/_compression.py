"""Compression of the serialisations carried by Scaleway programs, noise models and results."""

from __future__ import annotations

import base64
import zlib
from enum import IntEnum

from .._npy import InflateError, inflate_base64
from ..errors import ResponseDecodeError

__all__ = ["MAX_DECOMPRESSED_BYTES", "CompressionFormat", "compress_text", "decompress_text"]

#: Decompressed programs and results larger than this are refused (a guard against zip bombs).
MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024


class CompressionFormat(IntEnum):
    """``compression_format`` of programs, noise models and results."""

    UNKNOWN_COMPRESSION_FORMAT = 0
    #: The serialisation is the text itself.
    NONE = 1
    #: The serialisation is base64 of the zlib-compressed UTF-8 text.
    ZLIB_BASE64_V1 = 2


def compress_text(text: str) -> str:
    """base64 of the zlib-compressed UTF-8 text (compression format 2)."""
    return base64.b64encode(zlib.compress(text.encode("utf-8"))).decode("ascii")


def decompress_text(data: str, *, max_size: int = MAX_DECOMPRESSED_BYTES) -> str:
    """The text of compression format 2; bad base64, zlib or UTF-8 raise ResponseDecodeError.

    More than ``max_size`` bytes of decompressed data also raise it, before they are produced.
    """
    return _inflate(data, _max_size(max_size), None, "zlib+base64 text")


_INFLATE_PROBLEMS = {
    "base64": "the serialization is not valid base64: {detail}",
    "zlib": "the serialization is not valid zlib data: {detail}",
    "too large": "the serialization decompresses to more than {max_size} bytes",
    "truncated": "the zlib stream of the serialization is truncated",
    "trailing": "the serialization has data after its zlib stream",
}


def _inflate(data: str, max_size: int, path: str | None, expected: str) -> str:
    def fail(message: str) -> ResponseDecodeError:
        return ResponseDecodeError(message, expected=expected, path=path, body=data[:500])

    try:
        # Line breaks and spaces are tolerated (wrapped base64); any other stray byte is not.
        text = inflate_base64(data, max_size, spaces=True)
    except InflateError as exc:
        message = _INFLATE_PROBLEMS[exc.reason].format(detail=exc.detail, max_size=max_size)
        raise fail(message) from None
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"the decompressed serialization is not UTF-8 ({exc.reason})") from None


def _uncompressed(data: str, compression: int, max_size: int, path: str, expected: str) -> str:
    if compression == CompressionFormat.NONE:
        return data
    if compression == CompressionFormat.ZLIB_BASE64_V1:
        return _inflate(data, max_size, f"{path}.serialization", expected)
    raise ResponseDecodeError(
        f"unknown compression format {compression!r}",
        expected=expected,
        path=f"{path}.compression_format",
    )


def _max_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_size must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"max_size must be >= 1, got {value}")
    return value
