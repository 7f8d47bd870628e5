"""The one transport every call goes through, and the client base class that owns it.

A :class:`BaseClient` owns one ``aiohttp.ClientSession`` (one connection pool, see
:mod:`._pool`), created lazily inside the running loop and closed exactly once.
:meth:`BaseClient._request` builds the URL (path parameters checked and quoted as single segments,
query parameters normalised), sends the request (:mod:`._send`), retries it by the
:class:`~qruntime_async.RetryPolicy`, maps failures to typed errors and decodes the body with
msgspec.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Mapping
from typing import Any, TypeVar

from multidict import CIMultiDict, CIMultiDictProxy

from . import _constants as C
from ._codec import decode, encode
from ._config import ClientOptions, RequestEvent, ResponseEvent, Timeout
from ._http_errors import secrets_of, status_error
from ._pool import PoolOwner, Shared, caller
from ._retry import RetryPolicy, parse_retry_after
from ._send import Failure, certainly_not_sent, send_once, set_attempts
from ._submit import RateLimiter, SubmitPolicy
from ._url import check_url, encode_query, quote_segment, request_url
from .errors import ClientClosedError, ResponseDecodeError

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

_NONE_TYPE = type(None)
_DEFAULT_SUBMIT_POLICY = SubmitPolicy()
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"


class BaseClient(PoolOwner):
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
        # Request headers by content type, for the auth headers they were built with.
        self._headers_cache: dict[str | None, tuple[Mapping[str, str], Mapping[str, str]]] = {}
        self._shared = Shared(options, f"{type(self).__name__} created at {caller()}")

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
    def _headers(
        self,
        auth: Mapping[str, str] | None,
        content_type: str | None,
        extra: Mapping[str, str] | None,
    ) -> Mapping[str, str]:
        """The headers of one attempt: static ones, content type, auth, then ``extra``.

        Without ``extra`` the result is kept for the next call with the same auth headers
        object (a fixed token answers the same mapping every time); it is never mutated.
        """
        if extra is None:
            cached = self._headers_cache.get(content_type)
            if cached is not None and cached[0] is auth:
                return cached[1]
        built = dict(self._static_headers)
        if content_type is not None:
            built["Content-Type"] = content_type
        if auth:
            built.update(auth)
        if extra:
            built.update(extra)
            return built
        # aiohttp takes a multidict as it is (a plain dict is converted on every request).
        frozen = CIMultiDictProxy(CIMultiDict(built))
        if auth is not None:
            self._headers_cache[content_type] = (auth, frozen)
        return frozen

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
        shared = self._shared
        if shared.closed:
            raise ClientClosedError()
        method = method.upper()
        root = self._base_url + self._api_prefix if base_url is None else base_url.rstrip("/")
        url, full_url, yurl = request_url(root, path, path_params, params)
        body: bytes | None = None
        content_type: str | None = None
        if json is not None:
            body = encode(json)
            content_type = _JSON
        elif form is not None:
            body = encode_query(form).encode()
            content_type = _FORM
        if idempotent is None:
            idempotent = method != "POST"
        policy = retry or self._retry
        call_timeout = self._timeout if timeout is None else Timeout.coerce(timeout)
        limit = shared.options.max_response_bytes if max_bytes is None else max_bytes
        started = time.monotonic()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            if shared.paused_until:
                await self._wait_for_pause(policy, started)
            auth = await self._auth_headers() if authenticated else None
            request_headers = self._headers(auth, content_type, headers)
            left = None
            if policy.deadline is not None:
                # The retry deadline bounds the attempt in flight too, not only the sleeps.
                left = max(policy.deadline - (time.monotonic() - started), 0.001)
            try:
                status, resp_headers, data = await send_once(
                    self,
                    method,
                    yurl,
                    full_url,
                    request_headers,
                    body,
                    call_timeout,
                    left,
                    attempt,
                    limit,
                )
            except Failure as lost:
                if not (idempotent or certainly_not_sent(lost.error)):
                    lost.retryable = False
                failure = lost
            else:
                if status < 300:
                    try:
                        return self._decode(status, data, cast_to, method, full_url)  # type: ignore[no-any-return]
                    except ResponseDecodeError as exc:
                        # A body cut short or garbled in transit: reading again is harmless
                        # when the request is idempotent. A well-formed body of the wrong
                        # shape would only come back the same.
                        failure = Failure(
                            exc,
                            retryable=idempotent and exc.malformed,
                            reason=f"answered {status} with an unreadable body",
                        )
                else:
                    if status == 401 and authenticated and not refreshed:
                        refreshed = True
                        if await self._refresh_auth(request_headers):
                            attempt -= 1
                            continue
                    failure = self._status_failure(
                        status,
                        resp_headers,
                        data,
                        method,
                        full_url,
                        policy,
                        idempotent,
                        request_headers,
                    )
            set_attempts(failure.error, attempt)
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

    def _status_failure(
        self,
        status: int,
        headers: Mapping[str, str],
        data: bytes,
        method: str,
        url: str,
        policy: RetryPolicy,
        idempotent: bool,
        request_headers: Mapping[str, str],
    ) -> Failure:
        """The :class:`Failure` an answer with an error status amounts to."""
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
        return Failure(
            error,
            retryable=policy.is_retryable_status(status, idempotent=idempotent),
            retry_after=retry_after,
            reason=f"answered {status}",
        )

    def _decode(self, status: int, data: bytes, cast_to: type[Any], method: str, url: str) -> Any:
        if cast_to is _NONE_TYPE:
            return None
        if (
            cast_to is not bytes
            and cast_to is not str
            and (status == 204 or not data or (data[:1].isspace() and not data.strip()))
        ):
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
