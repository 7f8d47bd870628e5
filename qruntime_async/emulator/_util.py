"""Shared pieces of the emulator: virtual clock, timestamps, ids, JSON answers, API errors."""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
from aiohttp import web

JSON_CONTENT_TYPE = "application/json"

_encoder = msgspec.json.Encoder()
encode = _encoder.encode


class VirtualClock:
    """Virtual POSIX time: ``start + real elapsed * speed + manual advances``."""

    def __init__(self, speed: float, start: float | None = None) -> None:
        self._speed = float(speed)
        self._base = time.time() if start is None else float(start)
        self._mono0 = time.monotonic()

    @property
    def speed(self) -> float:
        """Virtual seconds per real second (0 = frozen)."""
        return self._speed

    def now(self) -> float:
        """The current virtual time, in POSIX seconds."""
        return self._base + (time.monotonic() - self._mono0) * self._speed

    def advance(self, seconds: float) -> None:
        """Move virtual time forward (never backward)."""
        if seconds < 0:
            raise ValueError("virtual time cannot go backward")
        self._base += seconds

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on, keeping the current virtual time."""
        if speed < 0:
            raise ValueError("speed cannot be negative")
        self._base = self.now()
        self._mono0 = time.monotonic()
        self._speed = float(speed)


_UTC = timezone.utc


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, _UTC)


def ibm_job_time(t: float | None) -> str | None:
    """IBM job spelling: ``2021-05-05 00:56:04.569709`` (UTC, no zone)."""
    if t is None:
        return None
    return _dt(t).strftime("%Y-%m-%d %H:%M:%S.%f")


def rfc3339_ms(t: float | None) -> str | None:
    """RFC 3339 with milliseconds: ``2024-07-04T16:13:56.562Z``."""
    if t is None:
        return None
    d = _dt(t)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def rfc3339_us(t: float | None) -> str | None:
    """RFC 3339 with microseconds: ``2022-03-22T12:34:56.123456Z``."""
    if t is None:
        return None
    return _dt(t).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?$"
)


def parse_timestamp(text: str) -> float:
    """Parse RFC 3339, the IBM job spelling, or a bare date (UTC when no zone); ValueError."""
    m = _TS_RE.match(text.strip())
    if m is None:
        raise ValueError(f"not a timestamp: {text!r}")
    year, month, day, hh, mm, ss, frac, zone = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    d = datetime(
        int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0), micro, _UTC
    )
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        d -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return d.timestamp()


_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*s?\s*$")


def parse_duration(value: object) -> float:
    """Seconds from ``"2.5s"``, ``"600"``, a number, or ``{"seconds", "nanos"}``; ValueError."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if m is None:
            raise ValueError("not a duration")
        return float(m.group(1))
    if isinstance(value, Mapping) and "seconds" in value:
        seconds = float(value["seconds"])
        nanos = float(value.get("nanos") or 0)
        total = seconds + nanos / 1e9
        if total < 0:
            raise ValueError("a duration cannot be negative")
        return total
    raise ValueError("not a duration")


def format_duration(seconds: float) -> str:
    """Scaleway spelling of a duration: ``"600s"``, ``"2.5s"``."""
    micros = round(seconds * 1_000_000)
    whole, frac = divmod(micros, 1_000_000)
    if frac == 0:
        return f"{whole}s"
    return f"{whole}.{frac:06d}".rstrip("0") + "s"


_XID_ALPHABET = "0123456789abcdefghijklmnopqrstuv"


class IdFactory:
    """Seeded identifiers: IBM-style 20-character ids and UUIDv4 strings."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"ids:{seed}")

    def xid(self) -> str:
        """An id like ``ch8b1ok4k9li68vm059r``."""
        rng = self._rng
        return "c" + "".join(rng.choice(_XID_ALPHABET) for _ in range(19))

    def uuid4(self) -> str:
        """A random-looking UUIDv4 string."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def hex24(self) -> str:
        """A 24-digit hexadecimal id."""
        return f"{self._rng.getrandbits(96):024x}"


def json_response(
    obj: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON answer encoded with msgspec."""
    return web.Response(
        body=encode(obj), status=status, content_type=JSON_CONTENT_TYPE, headers=headers
    )


def no_content() -> web.Response:
    """An empty 204 answer."""
    return web.Response(status=204)


class ApiError(Exception):
    """An error answer, rendered in the format of the provider that raised it."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers

    def response(self) -> web.Response:
        """The answer to send."""
        return json_response(self.body, self.status, self.headers)


async def read_json_object(request: web.Request) -> tuple[dict[str, Any] | None, str | None]:
    """The request body as a JSON object, or ``(None, reason)``; an empty body is ``{}``."""
    raw = await request.read()
    if not raw.strip():
        return {}, None
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        return None, f"the body is not valid JSON: {exc}"
    if not isinstance(data, dict):
        return None, "the body must be a JSON object"
    return data, None


def parse_bool(text: str) -> bool | None:
    """``true``/``false`` (any case, also 1/0), else None."""
    low = text.strip().lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no"):
        return False
    return None


def multi_values(query: Any, *names: str, split: bool = False) -> list[str]:
    """All values of a repeated query parameter under any of ``names`` (e.g. ``tags`` and
    ``tags[]``); with ``split``, comma-separated values are split too."""
    out: list[str] = []
    for name in names:
        for value in query.getall(name, ()):
            if split:
                out.extend(part.strip() for part in value.split(",") if part.strip())
            else:
                out.append(value)
    return out
