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

__all__ = ["check_url", "encode_query", "expand_path", "quote_segment", "request_url"]


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


def expand_path(path: str, path_params: Mapping[str, object] | None) -> str:
    """``path`` with each ``{name}`` replaced by its value, checked as an id and quoted.

    Every id passes through here: it must be a single non-empty segment (no slash, no dot
    segment, no control character), and is then percent-encoded as exactly one segment.
    """
    if not path_params:
        return path
    return path.format_map(
        {
            name: quote_segment(v.resource_id(name, value), name=name)
            for name, value in path_params.items()
        }
    )


# Whole request URLs already built from the same root, template and plain-string arguments
# (a watch or a poll asks for the same ones again and again). Bounded: emptied when full.
_URLS: dict[tuple[Any, ...], tuple[str, str, URL]] = {}
_URLS_MAX = 4096


def _path_key(mapping: Mapping[str, object] | None) -> tuple[Any, ...] | None:
    # The path arguments as a cache key when every one is a plain string.
    if not mapping:
        return ()
    items = tuple(mapping.items())
    for _, value in items:
        if value.__class__ is not str:
            return None
    return items


def _query_key(mapping: Mapping[str, Any] | None) -> tuple[Any, ...] | None:
    # The query arguments as a cache key: each value as the text it is sent as (so that True
    # and 1, equal as keys, cannot share an entry), for strings, bools, ints and None only.
    if not mapping:
        return ()
    key: list[Any] = []
    for name, value in mapping.items():
        cls = value.__class__
        if cls is str or value is None:
            key.append((name, value))
        elif cls is bool:
            key.append((name, "true" if value else "false"))
        elif cls is int:
            key.append((name, str(value)))
        else:
            return None
    return tuple(key)


def request_url(
    root: str,
    path: str,
    path_params: Mapping[str, object] | None,
    params: Mapping[str, Any] | None,
) -> tuple[str, str, URL]:
    """``(url, url with query, the latter as an encoded yarl URL)`` of one call.

    ``root`` (the base URL and API prefix) is joined with :func:`expand_path` and
    :func:`encode_query`; results for string, bool and int arguments are reused.
    """
    path_key = _path_key(path_params)
    query_key = _query_key(params)
    key = None
    if path_key is not None and query_key is not None:
        key = (root, path, path_key, query_key)
        built = _URLS.get(key)
        if built is not None:
            return built
    url = root + expand_path(path, path_params)
    query = encode_query(params) if params else ""
    full_url = f"{url}?{query}" if query else url
    built = (url, full_url, URL(full_url, encoded=True))
    if key is not None:
        if len(_URLS) >= _URLS_MAX:
            _URLS.clear()
        _URLS[key] = built
    return built
