"""The one transport every call goes through, and the client base class that owns it.

A :class:`BaseClient` owns one ``aiohttp.ClientSession`` (one connection pool), created lazily
inside the running loop and closed exactly once. :meth:`BaseClient._request` builds the URL (path
parameters checked and quoted as single segments, query parameters normalised), sends the request,
retries it by the :class:`~qruntime_async.RetryPolicy`, maps failures to typed errors and decodes
the body with msgspec.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import random
import sys
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from types import FrameType, TracebackType
from typing import Any, TypeVar

import aiohttp
import anyio
from yarl import URL

from . import _constants as C
from ._codec import decode, encode
from ._config import ClientOptions, Hook, RequestEvent, ResponseEvent, Timeout
from ._http_errors import request_id_of, scrub_request_info, secrets_of, status_error
from ._retry import RetryPolicy, parse_retry_after
from ._submit import RateLimiter, SubmitPolicy
from ._url import check_url, encode_query, expand_path, quote_segment
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ClientClosedError,
    QRuntimeError,
    RateLimitError,
    ResponseDecodeError,
    ResponseTooLargeError,
)

__all__ = [
    "BaseClient",
    "RequestEvent",
    "ResponseEvent",
    "Timeout",
    "encode_query",
    "quote_segment",
]

logger = logging.getLogger("qruntime_async")

T = TypeVar("T")
SelfT = TypeVar("SelfT", bound="BaseClient")

# Decoding into Any gives plain JSON values (dicts, lists, strings, numbers).
_ANY: Any = Any
_NONE_TYPE = type(None)
_PACKAGE = __name__.split(".")[0]
_DEFAULT_SUBMIT_POLICY = SubmitPolicy()


class _Failure(Exception):
    """Internal: one failed attempt, and whether trying again is allowed."""

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

    def __init__(self, options: ClientOptions, owner: str) -> None:
        self.session = options.session
        self.owns_session = options.session is None
        self.options = options
        self.closed = False
        self.closed_event: asyncio.Event | None = None
        # The loop the pool (and the closed event) belong to.
        self.loop: asyncio.AbstractEventLoop | None = None
        # Monotonic time before which no request is sent (a 429's Retry-After, client-wide).
        self.paused_until = 0.0
        #: "IBMRuntimeClient created at file:line", for the warning of a client never closed.
        self.owner = owner

    def __del__(self) -> None:
        session = self.session
        if self.closed or not self.owns_session or session is None or session.closed:
            return
        warnings.warn(
            f"{self.owner} was never closed; use `async with` or `await client.aclose()`",
            ResourceWarning,
            stacklevel=1,
        )

    def rebind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Leave the pool of another (usually closed) event loop behind for one in ``loop``.

        A pool belongs to the loop it was made in; a client used under successive
        ``asyncio.run()`` calls, per-test loops or notebook cells gets a new one. What can be
        released of the old one (its sockets) is released.
        """
        old = self.session
        if old is not None and self.owns_session:
            self.session = None
            _release(old)
        self.closed_event = None
        self.loop = loop

    def make_connector(self) -> aiohttp.BaseConnector:
        limits = self.options.limits
        return aiohttp.TCPConnector(
            limit=limits.pool_size,
            limit_per_host=limits.pool_size_per_host,
            keepalive_timeout=limits.keepalive_timeout,
            ssl=self.options.ssl,
        )


class BaseClient:
    """Connection pool ownership, the request pipeline and lifecycle shared by every client.

    Use it as an async context manager (``async with Client(...) as client:``) or call
    :meth:`aclose` when done. Construction does no I/O and works outside an event loop.
    """

    #: Prepended to every request path (Scaleway's ``/qaas/v1alpha1``).
    _api_prefix = ""

    def __init__(self, *, base_url: str, options: ClientOptions | None = None) -> None:
        options = options if options is not None else ClientOptions()
        url = check_url("base_url", base_url, allow_insecure_http=options.allow_insecure_http)
        self._base_url = str(url).rstrip("/")
        self._timeout = options.timeout
        self._retry = options.retry
        self._static_headers: dict[str, str] = {
            "Accept": "application/json",
            "User-Agent": C.USER_AGENT,
        }
        if options.default_headers:
            self._static_headers.update(options.default_headers)
        self._on_request = options.on_request
        self._on_response = options.on_response
        self._rng = random.Random()
        self._shared = _Shared(options, f"{type(self).__name__} created at {_caller()}")

    @property
    def options(self) -> ClientOptions:
        """The transport settings this client was made with."""
        return self._shared.options

    @property
    def submit_policy(self) -> SubmitPolicy:
        """How ambiguous submissions are reconciled (see :class:`~qruntime_async.SubmitPolicy`)."""
        return self._shared.options.submit_policy or _DEFAULT_SUBMIT_POLICY

    @property
    def submit_rate_limit(self) -> RateLimiter | None:
        """The client-wide submission limiter, shared by every task and ``with_options`` view."""
        return self._shared.options.submit_rate_limit

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
            if shared.loop is asyncio.get_running_loop():
                await session.close()
            else:
                # The pool belongs to another (usually closed) loop.
                _release(session)

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

    def __copy__(self: SelfT) -> SelfT:
        # with_options views share everything but their per-call settings.
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    def __reduce__(self) -> Any:
        # A client owns a connection pool and credentials: neither travels in a pickle.
        raise TypeError(f"a {type(self).__name__} cannot be pickled; create one per process")

    def __repr__(self) -> str:
        state = "closed" if self._shared.closed else "open"
        return f"{type(self).__name__}(base_url={self._base_url!r}, {state})"

    def _session(self) -> aiohttp.ClientSession:
        shared = self._shared
        if shared.closed:
            raise ClientClosedError()
        loop = asyncio.get_running_loop()
        if shared.loop is not loop:
            if shared.loop is not None or (shared.session is not None and shared.owns_session):
                shared.rebind(loop)
            shared.loop = loop
        session = shared.session
        if session is None:
            # Created here, inside the running loop, never at construction time.
            session = aiohttp.ClientSession(
                connector=shared.make_connector(),
                trace_configs=shared.options.trace_configs,
                # Headers are set per request; nothing carries over between requests.
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
            )
            shared.session = session
            shared.owns_session = True
        if shared.closed_event is None:
            shared.closed_event = asyncio.Event()
        return session

    async def _until_closed(self, wait: Callable[[], Awaitable[Any]], what: str) -> None:
        """Run ``wait()``; closing the client ends it early with ClientClosedError."""
        self._session()  # also creates the closed event
        event = self._shared.closed_event
        assert event is not None
        async with anyio.create_task_group() as group:

            async def cancel_on_close() -> None:
                await event.wait()
                group.cancel_scope.cancel()

            group.start_soon(cancel_on_close)
            await wait()
            group.cancel_scope.cancel()
        if self._shared.closed:
            raise ClientClosedError(f"the client was closed while {what} was waiting")

    # -- provider hooks ------------------------------------------------------------------------
    async def _auth_headers(self) -> Mapping[str, str]:
        """Headers that authenticate a request (providers override)."""
        return {}

    async def _refresh_auth(self, failed_headers: Mapping[str, str]) -> bool:
        """Called once on a 401; return True when credentials were renewed and a replay helps."""
        return False

    def _decode_body(self, data: bytes, cast_to: type[Any], method: str, url: str) -> Any:
        """Decode a JSON answer (providers may accept older wire shapes too)."""
        return decode(data, cast_to, method=method, url=url)

    # -- the pipeline --------------------------------------------------------------------------
    def _url(self, path: str, path_params: Mapping[str, object] | None) -> str:
        return self._base_url + self._api_prefix + expand_path(path, path_params)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[T],
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
        max_bytes: int | None = None,
    ) -> T:
        """Send one API call with retries and return the answer as ``cast_to``.

        ``cast_to`` is a msgspec-decodable type for a JSON answer, ``str`` for text, ``bytes``
        for the raw body, or ``type(None)`` for an answer without content (a 204 answer is
        always None). Path parameters are checked as ids and quoted as one segment each.
        ``idempotent`` defaults to True for every method but POST; a non-idempotent call is
        retried only when the server certainly did not act on it. ``base_url`` replaces the
        client's root and API prefix (e.g. for IBM Cloud IAM). A body longer than ``max_bytes``
        (default: the client's ``max_response_bytes``) raises
        :class:`~qruntime_async.errors.ResponseTooLargeError` without being read further.
        """
        if self._shared.closed:
            raise ClientClosedError()
        method = method.upper()
        if base_url is None:
            url = self._url(path, path_params)
        else:
            url = base_url.rstrip("/") + expand_path(path, path_params)
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
        limit = self._shared.options.max_response_bytes if max_bytes is None else max_bytes
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
            left = None
            if policy.deadline is not None:
                # The retry deadline bounds the attempt in flight too, not only the sleeps.
                left = max(policy.deadline - (time.monotonic() - started), 0.001)
            try:
                status, resp_headers, data = await self._send_once(
                    method,
                    yurl,
                    full_url,
                    request_headers,
                    body,
                    call_timeout.to_aiohttp(left),
                    attempt,
                    limit,
                )
            except _Failure as lost:
                if not (idempotent or _certainly_not_sent(lost.error)):
                    lost.retryable = False
                failure = lost
            else:
                if status == 401 and authenticated and not refreshed:
                    refreshed = True
                    if await self._refresh_auth(request_headers):
                        attempt -= 1
                        continue
                outcome = self._outcome(
                    status,
                    resp_headers,
                    data,
                    cast_to,
                    method,
                    full_url,
                    policy,
                    idempotent,
                    request_headers,
                )
                if isinstance(outcome, _Success):
                    return outcome.value  # type: ignore[no-any-return]
                failure = outcome
            _set_attempts(failure.error, attempt)
            delay = None
            if failure.retryable:
                delay = policy.delay_for(
                    attempt - 1,
                    retry_after=failure.retry_after,
                    elapsed=time.monotonic() - started,
                    rng=self._rng,
                )
            if delay is None:
                raise failure.error from failure.error.__cause__
            logger.warning(
                "%s %s %s, attempt %d; retrying in %.2fs",
                method,
                url,
                failure.reason,
                attempt,
                delay,
            )
            await self._sleep(delay)

    def _outcome(
        self,
        status: int,
        headers: Mapping[str, str],
        data: bytes,
        cast_to: type[Any],
        method: str,
        url: str,
        policy: RetryPolicy,
        idempotent: bool,
        request_headers: Mapping[str, str],
    ) -> _Success | _Failure:
        """The decoded answer of one attempt, or the :class:`_Failure` it amounts to."""
        if status < 300:
            try:
                return _Success(self._decode(status, data, cast_to, method, url))
            except ResponseDecodeError as exc:
                # A body cut short or garbled in transit: reading again is harmless when the
                # request is idempotent. A well-formed body of the wrong shape would only come
                # back the same.
                return _Failure(
                    exc,
                    retryable=idempotent and exc.malformed,
                    reason=f"answered {status} with an unreadable body",
                )
        retry_after = parse_retry_after(headers)
        error = status_error(
            status,
            data,
            headers,
            method=method,
            url=url,
            retry_after=retry_after,
            secrets=secrets_of(request_headers),
        )
        if status == 429 and retry_after is not None and retry_after <= policy.retry_after_cap:
            self._pause(retry_after)
        return _Failure(
            error,
            retryable=policy.is_retryable_status(status, idempotent=idempotent),
            retry_after=retry_after,
            reason=f"answered {status}",
        )

    async def _send_once(
        self,
        method: str,
        yurl: URL,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeout: aiohttp.ClientTimeout,
        attempt: int,
        limit: int,
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
                timeout=timeout,
                allow_redirects=False,
            ) as resp:
                sent = True
                data = await _read_bounded(resp, limit, method, url)
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
                ResponseEvent(method, url, attempt, status, elapsed, request_id_of(resp_headers)),
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
        scrub_request_info(exc)
        if self._shared.closed:
            closed = ClientClosedError("the client was closed while the request was in flight")
            closed.__cause__ = exc
            return _Failure(closed, retryable=False, reason="client closed")
        error = cls(reason, method=method, url=url, sent=sent)
        error.__cause__ = exc
        # A request that certainly never reached the server may always be retried; one that
        # may have reached it only when repeating it is harmless (decided by the caller).
        return _Failure(error, retryable=True, reason=reason)

    def _decode(self, status: int, data: bytes, cast_to: type[Any], method: str, url: str) -> Any:
        if cast_to is _NONE_TYPE:
            return None
        if cast_to is not bytes and cast_to is not str and (status == 204 or not data.strip()):
            # An empty 200 may be a body lost in transit (worth reading again); a 204 is not.
            raise ResponseDecodeError(
                f"the server answered {status} without a body",
                expected=getattr(cast_to, "__name__", str(cast_to)),
                method=method,
                url=url,
                malformed=status != 204,
            )
        if cast_to is str:
            return data.decode("utf-8", "replace")
        if cast_to is bytes:
            return data
        return self._decode_body(data, cast_to, method, url)

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


def _caller() -> str:
    """``file:line`` of the first frame outside this package (where a client was created)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return "an unknown place"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _release(session: aiohttp.ClientSession) -> None:
    # The session's loop is gone (or is another one): its close() coroutine cannot run here,
    # and a closed loop cannot close transports either. The idle sockets of the pool are closed
    # directly, then the connector is marked closed (so is the session).
    connector = session.connector
    if connector is None or connector.closed:
        return
    for idle in list(getattr(connector, "_conns", {}).values()):
        for entry in list(idle):
            _close_socket(getattr(entry[0], "transport", None))
    with contextlib.suppress(Exception):
        connector._close()


def _close_socket(transport: Any) -> None:
    # An SSL transport wraps the socket transport underneath.
    inner = getattr(getattr(transport, "_ssl_protocol", None), "_transport", None)
    if inner is not None:
        transport = inner
    sock = getattr(transport, "_sock", None)
    if sock is None:
        return
    with contextlib.suppress(Exception):
        sock.close()
        transport._sock = None


async def _read_bounded(resp: aiohttp.ClientResponse, limit: int, method: str, url: str) -> bytes:
    """The whole body, or ResponseTooLargeError as soon as it is longer than ``limit`` bytes."""
    declared = resp.content_length
    if declared is not None and declared > limit:
        raise _too_large(limit, method, url, declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, method, url, None)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int, method: str, url: str, declared: int | None) -> _Failure:
    told = f" (the server announced {declared} bytes)" if declared is not None else ""
    error = ResponseTooLargeError(
        f"the answer is longer than the limit of {limit} bytes{told}; raise max_bytes "
        "(per call) or max_response_bytes (per client) to read it",
        method=method,
        url=url,
        limit=limit,
    )
    return _Failure(error, retryable=False, reason="answer too large")


def _certainly_not_sent(error: QRuntimeError) -> bool:
    return isinstance(error, APIConnectionError) and error.sent is False


def _set_attempts(error: QRuntimeError, attempts: int) -> None:
    if isinstance(error, APIError):
        error.attempts = attempts


class _Success:
    """Internal: the decoded answer of a successful attempt (which may itself be None)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


async def _call_hook(hook: Hook, event: Any) -> None:
    result = hook(event)
    if result is not None and asyncio.iscoroutine(result):
        await result
