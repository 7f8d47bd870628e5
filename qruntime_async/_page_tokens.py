"""The opaque page tokens of :class:`~qruntime_async.Page`, and the recent ones a pager remembers.

A token is URL-safe base64 of ``{"v": version, "k": scheme, "p": position, "l": listing}``; the
listing tag (a hash of the listing's identity) stops a token being used on another listing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections import deque
from typing import Any

import msgspec

from . import _constants as C

_TOKEN_VERSION = 1
_RECENT_TOKENS = C.PAGING_RECENT_TOKENS


def _listing_tag(listing: str | None) -> str | None:
    if listing is None:
        return None
    return hashlib.sha256(listing.encode()).hexdigest()[:12]


def _encode_token(kind: str, listing: str | None, payload: dict[str, Any]) -> str:
    envelope: dict[str, Any] = {"v": _TOKEN_VERSION, "k": kind, "p": payload}
    if listing is not None:
        envelope["l"] = listing
    return base64.urlsafe_b64encode(msgspec.json.encode(envelope)).rstrip(b"=").decode("ascii")


def _decode_token(token: object, kind: str, listing: str | None) -> dict[str, Any]:
    if not isinstance(token, str) or not token:
        raise ValueError(f"a page token must be a non-empty string, got {token!r}")
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        envelope = msgspec.json.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise ValueError(f"not a page token: {token!r}") from None
    if (
        not isinstance(envelope, dict)
        or envelope.get("v") != _TOKEN_VERSION
        or not isinstance(envelope.get("k"), str)
        or not isinstance(envelope.get("p"), dict)
    ):
        raise ValueError(f"not a page token: {token!r}")
    if envelope["k"] != kind:
        raise ValueError(
            f"this page token belongs to a listing paged by {envelope['k']}, "
            f"but this listing is paged by {kind}"
        )
    saved = envelope.get("l")
    if listing is not None and saved is not None and saved != listing:
        raise ValueError(
            "this page token belongs to another listing (another resource or other filters)"
        )
    payload: dict[str, Any] = envelope["p"]
    return payload


class _RecentTokens:
    """The last few tokens fetched, to notice a server that sends a listing round in circles."""

    __slots__ = ("_order", "_set")

    def __init__(self) -> None:
        self._order: deque[str] = deque()
        self._set: set[str] = set()

    def __contains__(self, token: str) -> bool:
        return token in self._set

    def add(self, token: str) -> None:
        self._order.append(token)
        self._set.add(token)
        if len(self._order) > _RECENT_TOKENS:
            self._set.discard(self._order.popleft())
