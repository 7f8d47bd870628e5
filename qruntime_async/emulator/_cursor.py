"""Opaque paging cursors: a JSON payload, base64url-encoded, signed with HMAC-SHA256."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

import msgspec

_SIG_BYTES = 16


class CursorCodec:
    """Encodes cursors and rejects any cursor it did not issue."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIG_BYTES]

    def encode(self, data: dict[str, Any]) -> str:
        """An opaque cursor carrying ``data``."""
        payload = msgspec.json.encode(data)
        token = payload + self._sign(payload)
        return base64.urlsafe_b64encode(token).rstrip(b"=").decode("ascii")

    def decode(self, cursor: str) -> dict[str, Any]:
        """The data of a cursor this codec issued; ValueError for anything else."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ValueError("the cursor is not valid") from exc
        if len(raw) <= _SIG_BYTES:
            raise ValueError("the cursor is not valid")
        payload, sig = raw[:-_SIG_BYTES], raw[-_SIG_BYTES:]
        if not hmac.compare_digest(sig, self._sign(payload)):
            raise ValueError("the cursor is not valid")
        data = msgspec.json.decode(payload)
        if not isinstance(data, dict):
            raise ValueError("the cursor is not valid")
        return data
