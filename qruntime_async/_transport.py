"""The one transport every call goes through, and the client base class that owns it.

A :class:`BaseClient` owns one ``aiohttp.ClientSession`` (one connection pool), created lazily
inside the running loop and closed exactly once. :meth:`BaseClient._request` builds the URL (path
parameters quoted as single segments, query parameters normalised), sends the request, retries it
by the :class:`~qruntime_async.RetryPolicy`, maps failures to typed errors and decodes the body
with msgspec.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import ipaddress
import logging
import random
import re
import ssl as ssl_module
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum
from types import TracebackType
from typing import Any, Literal, TypeVar, overload
from urllib.parse import quote

import aiohttp
import anyio
import msgspec
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import _constants as C
from ._codec import decode, encode
from ._retry import RetryPolicy, parse_retry_after
from ._submit import RateLimiter, SubmitPolicy
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    QRuntimeError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
)

__all__ = ["BaseClient", "Timeout", "RequestEvent", "ResponseEvent"]

logger = logging.getLogger("qruntime_async")

T = TypeVar("T")
SelfT = TypeVar("SelfT", bound="BaseClient")

ResponseKind = Literal["json", "text", "bytes", "none"]
# Decoding into Any gives plain JSON values (dicts, lists, strings, numbers).
_ANY: Any = Any


@dataclass(frozen=True)
class Timeout:
    """Connect and read timeouts in seconds (None: no limit)."""

    connect: float | None = C.DEFAULT_CONNECT_TIMEOUT
    read: float | None = C.DEFAULT_READ_TIMEOUT

    def __post_init__(self) -> None:
        for name in ("connect", "read"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"timeout {name} must be > 0 seconds or None, got {value}")

    @classmethod
    def coerce(cls, value: Timeout | float | None) -> Timeout:
        """``Timeout`` as is; a number applies to both connect and read."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(connect=None, read=None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"timeout must be a Timeout or a number of seconds, got {value!r}")
        return cls(connect=float(value), read=float(value))

    def to_aiohttp(self) -> aiohttp.ClientTimeout:
        """The equivalent aiohttp setting (no total limit: retries have their own deadline)."""
        return _aiohttp_timeout(self.connect, self.read)


@functools.lru_cache(maxsize=64)
def _aiohttp_timeout(connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, connect=None, sock_connect=connect, sock_read=read)


@dataclass(frozen=True)
class RequestEvent:
    """Given to ``on_request`` hooks before each attempt is sent."""

    method: str
    url: str
    attempt: int


@dataclass(frozen=True)
class ResponseEvent:
    """Given to ``on_response`` hooks after each attempt got an answer."""

    method: str
    url: str
    attempt: int
    status: int
    elapsed: float
    request_id: str | None


Hook = Callable[[Any], "Awaitable[None] | None"]


class _Failure(Exception):
    """Internal: one failed attempt, with what the retry decision needs."""

    def __init__(
        self,
        error: QRuntimeError,
        *,
        retryable: bool,
        retry_after: float | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(reason)
        self.error = error
        self.retryable = retryable
        self.retry_after = retry_after
        self.reason = reason


class _Shared:
    """State shared by a client and every copy made by ``with_options``."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        connector_factory: Callable[[], aiohttp.BaseConnector],
        trace_configs: list[aiohttp.TraceConfig] | None,
    ) -> None:
        self.session = session
        self.owns_session = session is None
        self.connector_factory = connector_factory
        self.trace_configs = trace_configs
        self.closed = False
        self.closed_event: asyncio.Event | None = None
        # Monotonic time before which no request is sent (a 429's Retry-After, client-wide).
        self.paused_until = 0.0


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


def encode_query(params: Mapping[str, Any] | None) -> str:
    """Encode query parameters: lists repeated, None dropped, bools lowercase, datetimes UTC."""
    if not params:
        return ""
    parts: list[str] = []
    for name, value in params.items():
        if value is None:
            continue
        values: Iterable[Any]
        if isinstance(value, (list, tuple, set, frozenset)):
            values = sorted(value) if isinstance(value, (set, frozenset)) else value
        else:
            values = (value,)
        key = name if _UNRESERVED.match(name) else quote(name, safe="")
        for item in values:
            if item is None:
                continue
            text = _query_value(name, item)
            if not _UNRESERVED.match(text):
                text = quote(text, safe="")
            parts.append(f"{key}={text}")
    return "&".join(parts)


def _excerpt(body: bytes) -> str:
    return body[: C.BODY_EXCERPT_CHARS].decode("utf-8", "replace")


def _request_id(headers: Mapping[str, str]) -> str | None:
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
    except (msgspec.DecodeError, msgspec.ValidationError):
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


def status_error(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    method: str,
    url: str,
    retry_after: float | None = None,
) -> APIStatusError:
    """The typed error for an HTTP error answer."""
    code, message, trace, fields = parse_error_body(body)
    if not message:
        text = body.strip()[:200].decode("utf-8", "replace")
        message = text if text and not text.startswith(("{", "[", "<")) else None
    if not message:
        try:
            from http import HTTPStatus

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
        "request_id": _request_id(headers) or trace,
        "method": method,
        "url": url,
        "body": _excerpt(body),
        "fields": fields,
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


class BaseClient:
    """Connection pool ownership, the request pipeline and lifecycle shared by every client.

    Use it as an async context manager (``async with Client(...) as client:``) or call
    :meth:`aclose` when done. Construction does no I/O and works outside an event loop.
    """

    _provider = "base"

    def __init__(
        self,
        *,
        base_url: str,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        pool_size: int = C.DEFAULT_POOL_SIZE,
        pool_size_per_host: int = C.DEFAULT_POOL_SIZE_PER_HOST,
        keepalive_timeout: float = C.DEFAULT_KEEPALIVE_TIMEOUT,
        session: aiohttp.ClientSession | None = None,
        ssl: ssl_module.SSLContext | bool = True,
        allow_insecure_http: bool = False,
        default_headers: Mapping[str, str] | None = None,
        on_request: Hook | None = None,
        on_response: Hook | None = None,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
        submit_policy: SubmitPolicy | None = None,
        submit_rate_limit: RateLimiter | tuple[int, float] | None = None,
    ) -> None:
        url = check_url("base_url", base_url, allow_insecure_http=allow_insecure_http)
        if pool_size < 0 or pool_size_per_host < 0:
            raise ValueError("pool_size and pool_size_per_host must be >= 0 (0: unlimited)")
        self._base_url = str(url).rstrip("/")
        self._timeout = Timeout.coerce(timeout) if timeout is not None else Timeout()
        policy = retry if retry is not None else RetryPolicy()
        if max_retries is not None:
            policy = policy.with_max_retries(max_retries)
        self._retry = policy
        self._static_headers: dict[str, str] = {
            "Accept": "application/json",
            "User-Agent": C.USER_AGENT,
        }
        if default_headers:
            self._static_headers.update(default_headers)
        self._on_request = on_request
        self._on_response = on_response
        self._rng = random.Random()

        def make_connector() -> aiohttp.BaseConnector:
            return aiohttp.TCPConnector(
                limit=pool_size,
                limit_per_host=pool_size_per_host,
                keepalive_timeout=keepalive_timeout,
                ssl=ssl,
            )

        self._shared = _Shared(session, make_connector, trace_configs)
        self.submit_policy = submit_policy if submit_policy is not None else SubmitPolicy()
        if isinstance(submit_rate_limit, tuple):
            submit_rate_limit = RateLimiter(*submit_rate_limit)
        #: Shared by every task using this client (and its ``with_options`` views).
        self.submit_rate_limit: RateLimiter | None = submit_rate_limit

    # -- lifecycle -----------------------------------------------------------------------------
    async def __aenter__(self: SelfT) -> SelfT:
        if self._shared.closed:
            raise ClientClosedError()
        self._session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. Idempotent; calls made afterwards raise ClientClosedError.

        A session passed in by the caller is left open: it belongs to the caller.
        """
        shared = self._shared
        if shared.closed:
            return
        shared.closed = True
        if shared.closed_event is not None:
            shared.closed_event.set()
        session, shared.session = shared.session, None
        if session is not None and shared.owns_session:
            await session.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` was called."""
        return self._shared.closed

    @property
    def base_url(self) -> str:
        """The API root every path is relative to."""
        return self._base_url

    @property
    def timeout(self) -> Timeout:
        """The connect and read timeouts of this client (or view)."""
        return self._timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        """How this client (or view) retries failed calls."""
        return self._retry

    def with_options(
        self: SelfT,
        *,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
    ) -> SelfT:
        """A view of this client with other per-call settings, sharing its connection pool.

        ``await client.with_options(max_retries=0).jobs.get(job_id)``. Closing either closes both.
        """
        clone = copy.copy(self)
        if timeout is not None:
            clone._timeout = Timeout.coerce(timeout)
        policy = retry if retry is not None else self._retry
        if max_retries is not None:
            policy = policy.with_max_retries(max_retries)
        clone._retry = policy
        clone._bind_resources()
        return clone

    def _bind_resources(self) -> None:
        """Create the resource objects bound to this client (providers override)."""

    def __repr__(self) -> str:
        state = "closed" if self._shared.closed else "open"
        return f"{type(self).__name__}(base_url={self._base_url!r}, {state})"

    def _session(self) -> aiohttp.ClientSession:
        shared = self._shared
        if shared.closed:
            raise ClientClosedError()
        session = shared.session
        if session is None:
            # Created here, inside the running loop, never at construction time.
            session = aiohttp.ClientSession(
                connector=shared.connector_factory(),
                trace_configs=shared.trace_configs,
                # Headers are set per request; nothing carries over between requests.
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
            )
            shared.session = session
            shared.owns_session = True
        if shared.closed_event is None:
            shared.closed_event = asyncio.Event()
        return session

    async def _submit_slot(self) -> None:
        """Wait for the client-wide submission rate limit, when one is set.

        Closing the client ends the wait with ClientClosedError.
        """
        limiter = self.submit_rate_limit
        if limiter is None:
            return
        self._session()  # also creates the closed event
        event = self._shared.closed_event
        assert event is not None
        async with anyio.create_task_group() as group:

            async def cancel_on_close() -> None:
                await event.wait()
                group.cancel_scope.cancel()

            group.start_soon(cancel_on_close)
            await limiter.acquire()
            group.cancel_scope.cancel()
        if self._shared.closed:
            raise ClientClosedError("the client was closed while a submission was waiting")

    # -- provider hooks ------------------------------------------------------------------------
    async def _auth_headers(self) -> Mapping[str, str]:
        """Headers that authenticate a request (providers override)."""
        return {}

    async def _refresh_auth(self, failed_headers: Mapping[str, str]) -> bool:
        """Called once on a 401; return True when credentials were renewed and a replay helps."""
        return False

    # -- the pipeline --------------------------------------------------------------------------
    def _url(self, path: str, path_params: Mapping[str, object] | None) -> str:
        if path_params:
            path = path.format_map(
                {name: quote_segment(value, name=name) for name, value in path_params.items()}
            )
        return self._base_url + path

    @overload
    async def _request(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[T],
        path_params: Mapping[str, object] | None = ...,
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
        form: Mapping[str, str] | None = ...,
        headers: Mapping[str, str] | None = ...,
        idempotent: bool | None = ...,
        authenticated: bool = ...,
        timeout: Timeout | float | None = ...,
        retry: RetryPolicy | None = ...,
        base_url: str | None = ...,
    ) -> T: ...

    @overload
    async def _request(
        self,
        method: str,
        path: str,
        *,
        response: Literal["text"],
        path_params: Mapping[str, object] | None = ...,
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
        form: Mapping[str, str] | None = ...,
        headers: Mapping[str, str] | None = ...,
        idempotent: bool | None = ...,
        authenticated: bool = ...,
        timeout: Timeout | float | None = ...,
        retry: RetryPolicy | None = ...,
        base_url: str | None = ...,
    ) -> str: ...

    @overload
    async def _request(
        self,
        method: str,
        path: str,
        *,
        response: Literal["bytes"],
        path_params: Mapping[str, object] | None = ...,
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
        form: Mapping[str, str] | None = ...,
        headers: Mapping[str, str] | None = ...,
        idempotent: bool | None = ...,
        authenticated: bool = ...,
        timeout: Timeout | float | None = ...,
        retry: RetryPolicy | None = ...,
        base_url: str | None = ...,
    ) -> bytes: ...

    @overload
    async def _request(
        self,
        method: str,
        path: str,
        *,
        response: Literal["none"],
        path_params: Mapping[str, object] | None = ...,
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
        form: Mapping[str, str] | None = ...,
        headers: Mapping[str, str] | None = ...,
        idempotent: bool | None = ...,
        authenticated: bool = ...,
        timeout: Timeout | float | None = ...,
        retry: RetryPolicy | None = ...,
        base_url: str | None = ...,
    ) -> None: ...

    async def _request(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[Any] | None = None,
        response: ResponseKind = "json",
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        authenticated: bool = True,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        base_url: str | None = None,
    ) -> Any:
        """Send one API call with retries and return the decoded answer.

        ``cast_to`` decodes a JSON answer into that type; ``response`` picks "text", "bytes" or
        "none" instead. A 204 answer gives None. ``idempotent`` defaults to True for every
        method but POST; a non-idempotent call is retried only when the server certainly did
        not act on it.
        """
        if self._shared.closed:
            raise ClientClosedError()
        method = method.upper()
        url = self._url(path, path_params) if base_url is None else base_url.rstrip("/") + path
        query = encode_query(params)
        full_url = f"{url}?{query}" if query else url
        body: bytes | None = None
        content_type: str | None = None
        if json is not None:
            body = encode(json)
            content_type = "application/json"
        elif form is not None:
            body = encode_query(form).encode()
            content_type = "application/x-www-form-urlencoded"
        if idempotent is None:
            idempotent = method != "POST"
        policy = retry or self._retry
        call_timeout = self._timeout if timeout is None else Timeout.coerce(timeout)
        yurl = URL(full_url, encoded=True)
        started = time.monotonic()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            await self._wait_for_pause(policy, started)
            request_headers = dict(self._static_headers)
            if content_type is not None:
                request_headers["Content-Type"] = content_type
            if authenticated:
                request_headers.update(await self._auth_headers())
            if headers:
                request_headers.update(headers)
            try:
                status, resp_headers, data = await self._send_once(
                    method, yurl, full_url, request_headers, body, call_timeout, attempt
                )
            except _Failure as failure:
                delay = (
                    policy.delay_for(
                        attempt - 1,
                        retry_after=failure.retry_after,
                        elapsed=time.monotonic() - started,
                        rng=self._rng,
                    )
                    if failure.retryable and (idempotent or _certainly_not_sent(failure.error))
                    else None
                )
                _set_attempts(failure.error, attempt)
                if delay is None:
                    raise failure.error from failure.error.__cause__
                logger.warning(
                    "%s %s failed (%s), attempt %d; retrying in %.2fs",
                    method,
                    url,
                    failure.reason,
                    attempt,
                    delay,
                )
                await self._sleep(delay)
                continue

            if status < 300:
                try:
                    return self._decode(status, data, cast_to, response, method, full_url)
                except ResponseDecodeError as exc:
                    # A body cut short or garbled in transit: reading again is harmless when
                    # the request is idempotent. A well-formed body of the wrong shape would
                    # only come back the same.
                    if not idempotent or not exc.malformed:
                        raise
                    delay = policy.delay_for(
                        attempt - 1,
                        retry_after=None,
                        elapsed=time.monotonic() - started,
                        rng=self._rng,
                    )
                    if delay is None:
                        raise
                    logger.warning(
                        "%s %s answered %d with an unreadable body, attempt %d; retrying in %.2fs",
                        method,
                        url,
                        status,
                        attempt,
                        delay,
                    )
                    await self._sleep(delay)
                    continue

            retry_after = parse_retry_after(resp_headers)
            error = status_error(
                status, data, resp_headers, method=method, url=full_url, retry_after=retry_after
            )
            _set_attempts(error, attempt)
            if status == 401 and authenticated and not refreshed:
                refreshed = True
                if await self._refresh_auth(request_headers):
                    attempt -= 1
                    continue
            if status == 429 and retry_after is not None and retry_after <= policy.retry_after_cap:
                self._pause(retry_after)
            if not policy.is_retryable_status(status, idempotent=idempotent):
                raise error
            delay = policy.delay_for(
                attempt - 1,
                retry_after=retry_after,
                elapsed=time.monotonic() - started,
                rng=self._rng,
            )
            if delay is None:
                raise error
            logger.warning(
                "%s %s answered %d, attempt %d; retrying in %.2fs",
                method,
                url,
                status,
                attempt,
                delay,
            )
            await self._sleep(delay)

    async def _send_once(
        self,
        method: str,
        yurl: URL,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeout: Timeout,
        attempt: int,
    ) -> tuple[int, Mapping[str, str], bytes]:
        session = self._session()
        if self._on_request is not None:
            await _call_hook(self._on_request, RequestEvent(method, url, attempt))
        t0 = time.monotonic()
        sent = False
        try:
            async with session.request(
                method,
                yurl,
                headers=headers,
                data=body,
                timeout=timeout.to_aiohttp(),
                allow_redirects=False,
            ) as resp:
                sent = True
                data = await resp.read()
                status = resp.status
                resp_headers = resp.headers
        except asyncio.CancelledError:
            raise
        except aiohttp.ConnectionTimeoutError as exc:
            raise self._connection_failure(
                APITimeoutError, "connect timeout", exc, method, url, sent=False
            ) from exc
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise self._connection_failure(
                APITimeoutError, "read timeout", exc, method, url, sent=True
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            raise self._connection_failure(
                APIConnectionError, f"cannot connect: {exc.os_error}", exc, method, url, sent=False
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            _scrub_request_info(exc)
            raise self._connection_failure(
                APIConnectionError,
                f"connection failed: {type(exc).__name__}: {exc}"
                if str(exc)
                else type(exc).__name__,
                exc,
                method,
                url,
                sent=True if sent else None,
            ) from exc
        elapsed = time.monotonic() - t0
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d (attempt %d, %.1f ms)",
                method,
                yurl.path,
                status,
                attempt,
                elapsed * 1000.0,
            )
        if self._on_response is not None:
            await _call_hook(
                self._on_response,
                ResponseEvent(method, url, attempt, status, elapsed, _request_id(resp_headers)),
            )
        return status, resp_headers, data

    def _connection_failure(
        self,
        cls: type[APIConnectionError],
        reason: str,
        exc: BaseException,
        method: str,
        url: str,
        *,
        sent: bool | None,
    ) -> _Failure:
        if self._shared.closed:
            closed = ClientClosedError("the client was closed while the request was in flight")
            closed.__cause__ = exc
            return _Failure(closed, retryable=False, reason="client closed")
        error = cls(reason, method=method, url=url, sent=sent)
        error.__cause__ = exc
        # A request that certainly never reached the server may always be retried; one that
        # may have reached it only when repeating it is harmless (decided by the caller).
        return _Failure(error, retryable=True, reason=reason)

    def _decode(
        self,
        status: int,
        data: bytes,
        cast_to: type[Any] | None,
        response: ResponseKind,
        method: str,
        url: str,
    ) -> Any:
        if status == 204 or response == "none":
            return None
        if response == "text":
            return data.decode("utf-8", "replace")
        if response == "bytes":
            return data
        return self._decode_body(data, _ANY if cast_to is None else cast_to, method, url)

    def _decode_body(self, data: bytes, cast_to: type[Any], method: str, url: str) -> Any:
        """Decode a JSON answer (providers may accept older wire shapes too)."""
        return decode(data, cast_to, method=method, url=url)

    def _pause(self, seconds: float) -> None:
        # One 429 slows the whole client down, so concurrent tasks do not all hammer the server.
        until = time.monotonic() + seconds
        if until > self._shared.paused_until:
            self._shared.paused_until = until

    async def _wait_for_pause(self, policy: RetryPolicy, started: float) -> None:
        remaining = self._shared.paused_until - time.monotonic()
        if remaining <= 0:
            return
        past_deadline = (
            policy.deadline is not None
            and time.monotonic() - started + remaining >= policy.deadline
        )
        if past_deadline or remaining > policy.retry_after_cap:
            raise RateLimitError(
                f"the client is paused for {remaining:.2f} s by the server's rate limit, "
                "longer than this call's retry policy allows it to wait",
                status=429,
                retry_after=remaining,
            )
        await self._sleep(remaining)

    async def _sleep(self, delay: float) -> None:
        """Sleep ``delay`` seconds; closing the client ends the sleep with ClientClosedError."""
        event = self._shared.closed_event
        if event is None:
            await anyio.sleep(delay)
        else:
            with anyio.move_on_after(delay):
                await event.wait()
        if self._shared.closed:
            raise ClientClosedError("the client was closed while a call was waiting")


_SECRET_HEADERS = frozenset({"authorization", "x-auth-token", "cookie", "proxy-authorization"})


def _scrub_request_info(exc: BaseException) -> None:
    """Redact credentials from the request headers an aiohttp error keeps for diagnosis.

    The error is kept as the ``__cause__`` of ours; it must not carry a token.
    """
    info = getattr(exc, "request_info", None)
    if not isinstance(info, aiohttp.RequestInfo):
        return
    headers = CIMultiDict(
        (name, "<redacted>" if name.lower() in _SECRET_HEADERS else value)
        for name, value in info.headers.items()
    )
    exc.request_info = aiohttp.RequestInfo(  # type: ignore[attr-defined]
        info.url, info.method, CIMultiDictProxy(headers), info.real_url
    )


def _certainly_not_sent(error: QRuntimeError) -> bool:
    return isinstance(error, APIConnectionError) and error.sent is False


def _set_attempts(error: QRuntimeError, attempts: int) -> None:
    if isinstance(error, (APIStatusError, APIConnectionError)):
        error.attempts = attempts


async def _call_hook(hook: Hook, event: Any) -> None:
    result = hook(event)
    if result is not None and asyncio.iscoroutine(result):
        await result
