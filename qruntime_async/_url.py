"""URLs: base URL checks, path segments quoted one by one, query parameters normalised."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any
from urllib.parse import quote

from yarl import URL

from . import _validate as v

__all__ = ["check_url", "encode_query", "expand_path", "quote_segment"]


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# RFC 3986 unreserved characters: such text is the same encoded or not.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*\Z")


def check_url(name: str, value: str, *, allow_insecure_http: bool = False) -> URL:
    """An absolute http(s) URL without credentials; plain http only to loopback by default."""
    url = URL(value)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"{name} must be an absolute http(s) URL, got {value!r}")
    if url.user or url.password:
        raise ValueError(f"{name} must not carry credentials; pass them as arguments")
    if url.scheme == "http" and not allow_insecure_http and not _is_loopback(url.host):
        raise ValueError(
            f"refusing to send credentials over plain http to {url.host}; use https, "
            "or pass allow_insecure_http=True if you really mean it"
        )
    return url


def quote_segment(value: object, *, name: str = "id") -> str:
    """Percent-encode ``value`` as exactly one path segment.

    ``/``, ``%`` and every other reserved character are encoded, and the dot segments ``.`` and
    ``..`` are written ``%2E`` so that no id can change the path.
    """
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    text = str(value)
    if not text:
        raise ValueError(f"{name} must not be empty")
    if _UNRESERVED.match(text) and text not in (".", ".."):
        return text  # nothing to encode
    quoted = quote(text, safe="")
    if quoted in (".", ".."):
        quoted = quoted.replace(".", "%2E")
    return quoted


def _query_value(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"{name} must be a timezone-aware datetime (for UTC use "
                f"datetime.now(timezone.utc)); got a naive one: {value.isoformat()}"
            )
        utc = value.astimezone(timezone.utc)
        return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TypeError(f"query parameter {name} has an unsupported type {type(value).__name__}")


def _query_text(name: str, value: object) -> str:
    text = value if value.__class__ is str else _query_value(name, value)
    return text if _UNRESERVED.match(text) else quote(text, safe="")


def encode_query(params: Mapping[str, Any] | None) -> str:
    """Encode query parameters: lists repeated, None dropped, bools lowercase, datetimes UTC."""
    if not params:
        return ""
    parts: list[str] = []
    for name, value in params.items():
        if value is None:
            continue
        key = name if _UNRESERVED.match(name) else quote(name, safe="")
        if isinstance(value, (list, tuple, set, frozenset)):
            values: Iterable[Any] = sorted(value) if isinstance(value, (set, frozenset)) else value
            for item in values:
                if item is not None:
                    parts.append(f"{key}={_query_text(name, item)}")
        else:
            parts.append(f"{key}={_query_text(name, value)}")
    return "&".join(parts)


# Paths already expanded from one template and one plain string id (an id is checked and
# quoted the same way every time). Bounded: emptied when full.
_EXPANDED: dict[tuple[str, str, str], str] = {}
_EXPANDED_MAX = 4096


def expand_path(path: str, path_params: Mapping[str, object] | None) -> str:
    """``path`` with each ``{name}`` replaced by its value, checked as an id and quoted.

    Every id passes through here: it must be a single non-empty segment (no slash, no dot
    segment, no control character), and is then percent-encoded as exactly one segment.
    """
    if not path_params:
        return path
    if len(path_params) == 1:
        ((name, value),) = path_params.items()
        if value.__class__ is str:
            key = (path, name, value)
            done = _EXPANDED.get(key)
            if done is None:
                done = path.format_map({name: quote_segment(v.resource_id(name, value), name=name)})
                if len(_EXPANDED) >= _EXPANDED_MAX:
                    _EXPANDED.clear()
                _EXPANDED[key] = done
            return done
    return path.format_map(
        {
            name: quote_segment(v.resource_id(name, value), name=name)
            for name, value in path_params.items()
        }
    )
