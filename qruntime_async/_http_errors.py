"""Error answers: read every provider's error body and map a status to its typed error."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

import aiohttp
import msgspec
from multidict import CIMultiDict, CIMultiDictProxy

from . import _constants as C
from ._codec import excerpt
from .errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)

__all__ = [
    "SECRET_HEADERS",
    "parse_error_body",
    "redact",
    "request_id_of",
    "scrub_request_info",
    "secrets_of",
    "status_error",
]


#: Request headers whose values are credentials.
SECRET_HEADERS = frozenset({"authorization", "x-auth-token", "cookie", "proxy-authorization"})


def request_id_of(headers: Mapping[str, str]) -> str | None:
    for name in C.REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


class _ErrorBody(msgspec.Struct):
    # Every error format of both providers, read leniently: IBM legacy {"error": {...}},
    # IBM current {"errors": [...], "trace"}, Scaleway {"message", "type", "fields"}.
    error: Any = None
    errors: Any = None
    trace: Any = None
    message: Any = None
    type: Any = None
    code: Any = None
    fields: Any = None
    details: Any = None
    resource: Any = None
    resource_id: Any = None


_error_decoder = msgspec.json.Decoder(_ErrorBody)


def parse_error_body(body: bytes) -> tuple[str | None, str | None, str | None, dict[str, Any]]:
    """Read ``(code, message, trace/request id, fields)`` from any provider's error body."""
    try:
        parsed = _error_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        # RecursionError: a body nested too deeply to read is no error description either.
        return None, None, None, {}
    code: str | None = None
    message: str | None = None
    fields: dict[str, Any] = {}
    if isinstance(parsed.errors, list) and parsed.errors:
        texts: list[str] = []
        for item in parsed.errors:
            if isinstance(item, dict):
                if code is None and item.get("code") is not None:
                    code = str(item["code"])
                if item.get("message"):
                    texts.append(str(item["message"]))
            elif isinstance(item, str):
                texts.append(item)
        message = "; ".join(texts) or None
    elif isinstance(parsed.error, dict):
        if parsed.error.get("code") is not None:
            code = str(parsed.error["code"])
        if parsed.error.get("message"):
            message = str(parsed.error["message"])
    elif isinstance(parsed.error, str):
        message = parsed.error
    if message is None and isinstance(parsed.message, str):
        message = parsed.message
    if code is None:
        if isinstance(parsed.type, str):
            code = parsed.type
        elif parsed.code is not None and not isinstance(parsed.code, (dict, list)):
            code = str(parsed.code)
    if isinstance(parsed.fields, dict):
        fields = parsed.fields
    if message and parsed.resource and parsed.resource_id:
        message = f"{message} ({parsed.resource} {parsed.resource_id})"
    trace = parsed.trace if isinstance(parsed.trace, str) else None
    return code, message, trace, fields


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``<redacted>``."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "<redacted>")
    return text


def secrets_of(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The credential values carried by request headers (the token alone and whole)."""
    found: list[str] = []
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS and value:
            found.append(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() in ("bearer", "basic", "apikey"):
                found.append(token)
    # Longest first, so that a token inside a header value is not left half replaced.
    return tuple(sorted(set(found), key=len, reverse=True))


def status_error(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    method: str,
    url: str,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> APIStatusError:
    """The typed error for an HTTP error answer; ``secrets`` echoed by the server are redacted."""
    secrets = tuple(secrets)
    if secrets:
        body = redact(body.decode("utf-8", "replace"), secrets).encode()
    code, message, trace, fields = parse_error_body(body)
    if not message:
        text = body.strip()[:200].decode("utf-8", "replace")
        message = text if text and not text.startswith(("{", "[", "<")) else None
    if not message:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = "error"
    if 300 <= status < 400:
        location = headers.get("Location")
        message = f"unexpected redirect ({message})" + (f" to {location}" if location else "")
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIStatusError
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": request_id_of(headers) or trace,
        "method": method,
        "url": url,
        "body": excerpt(body),
        "fields": fields,
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


def scrub_request_info(exc: BaseException) -> None:
    """Redact credentials from the request headers an aiohttp error keeps for diagnosis.

    The error is kept as the ``__cause__`` of ours; it must not carry a token.
    """
    info = getattr(exc, "request_info", None)
    if not isinstance(info, aiohttp.RequestInfo):
        return
    headers = CIMultiDict(
        (name, "<redacted>" if name.lower() in SECRET_HEADERS else value)
        for name, value in info.headers.items()
    )
    clean = aiohttp.RequestInfo(info.url, info.method, CIMultiDictProxy(headers), info.real_url)
    exc.request_info = clean  # type: ignore[attr-defined]
    # aiohttp also keeps the request info among the exception's arguments.
    exc.args = tuple(clean if arg is info else arg for arg in exc.args)
