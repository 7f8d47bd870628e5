"""One attempt of one call: send it, read a bounded answer, map transport failures to errors.

:func:`send_once` returns the status, headers and body of an answer, or raises
:class:`Failure` (a typed error, and whether the attempt may be repeated). The retry loop
around it is :meth:`BaseClient._request <qruntime_async._transport.BaseClient._request>`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

from ._config import Hook, RequestEvent, ResponseEvent, Timeout
from ._deadlines import Attempt
from ._http_errors import request_id_of, scrub_request_info
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ClientClosedError,
    QRuntimeError,
    ResponseTooLargeError,
)

if TYPE_CHECKING:
    from ._transport import BaseClient

__all__ = ["Failure", "certainly_not_sent", "read_bounded", "send_once", "set_attempts"]

logger = logging.getLogger("qruntime_async")

_DEBUG = logging.DEBUG
# An answer without it arrives as sent: its announced length is the length read.
_ENCODING = "Content-Encoding"


class Failure(Exception):
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


async def send_once(
    client: BaseClient,
    method: str,
    yurl: URL,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    timeout: Timeout,
    left: float | None,
    attempt: int,
    limit: int,
) -> tuple[int, Mapping[str, str], bytes]:
    """Send one attempt; the answer's status, headers and body (at most ``limit`` bytes).

    ``timeout.connect`` is left to aiohttp; ``read`` and ``total`` (capped by ``left``
    seconds) are kept by the client's deadline table, without a timer per request (aiohttp
    keeps them too when the session is the caller's own).
    """
    session = client._session()
    on_request = client._on_request
    on_response = client._on_response
    if on_request is not None:
        await call_hook(on_request, RequestEvent(method, url, attempt))
    timed = on_response is not None or logger.isEnabledFor(_DEBUG)
    t0 = time.monotonic() if timed else 0.0
    sent = False
    deadlines = client._shared.deadlines
    read, total = timeout.limits(left)
    if deadlines is None:
        limits = None
        aiohttp_timeout = timeout.to_aiohttp(left)
    else:
        limits = deadlines.start(read, total)
        aiohttp_timeout = timeout.to_aiohttp(connect_only=True)
    try:
        async with session.request(
            method,
            yurl,
            headers=headers,
            data=body,
            timeout=aiohttp_timeout,
            allow_redirects=False,
        ) as resp:
            sent = True
            data = await read_bounded(resp, limit, method, url, limits)
            status = resp.status
            resp_headers = resp.headers
    except asyncio.CancelledError as cancelled:
        if limits is None or not limits.timed_out(cancelled):
            raise
        if limits.expired == "total":
            reason = f"attempt timeout (more than {total:g} s in all)"
        else:
            reason = f"read timeout (no bytes for {read:g} s)"
        raise connection_failure(
            client,
            APITimeoutError,
            reason,
            asyncio.TimeoutError(reason),
            method,
            url,
            sent=True if sent else None,
        ) from None
    except aiohttp.ConnectionTimeoutError as exc:
        raise connection_failure(
            client, APITimeoutError, "connect timeout", exc, method, url, sent=False
        ) from exc
    except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise connection_failure(
            client, APITimeoutError, "read timeout", exc, method, url, sent=True
        ) from exc
    except aiohttp.ClientConnectorError as exc:
        raise connection_failure(
            client,
            APIConnectionError,
            f"cannot connect: {exc.os_error}",
            exc,
            method,
            url,
            sent=False,
        ) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise connection_failure(
            client,
            APIConnectionError,
            f"connection failed: {type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
            exc,
            method,
            url,
            sent=True if sent else None,
        ) from exc
    except AttributeError as exc:
        # Older aiohttp releases fail this way when the session is closed mid-request.
        if not client._shared.closed:
            raise
        raise connection_failure(
            client, APIConnectionError, "client closed", exc, method, url, sent=None
        ) from exc
    finally:
        if limits is not None and deadlines is not None:
            deadlines.finish(limits)
    if timed:
        elapsed = time.monotonic() - t0
        if logger.isEnabledFor(_DEBUG):
            logger.debug(
                "%s %s -> %d (attempt %d, %.1f ms)",
                method,
                yurl.path,
                status,
                attempt,
                elapsed * 1000.0,
            )
        if on_response is not None:
            await call_hook(
                on_response,
                ResponseEvent(method, url, attempt, status, elapsed, request_id_of(resp_headers)),
            )
    return status, resp_headers, data


async def read_bounded(
    resp: aiohttp.ClientResponse,
    limit: int,
    method: str,
    url: str,
    limits: Attempt | None = None,
) -> bytes:
    """The whole body, or a Failure (ResponseTooLargeError) once it is longer than ``limit``.

    An answer that announces its length within the limit, is not compressed and has arrived
    whole is taken in one go; any other is read chunk by chunk and counted (a compressed
    answer grows when decompressed), each chunk restarting the read limit of ``limits``.
    """
    declared = resp.content_length
    if declared is not None:
        if declared > limit:
            raise _too_large(limit, method, url, declared)
        if _ENCODING not in resp.headers and (limits is None or resp.content.is_eof()):
            data = await resp.read()
            if len(data) <= limit:
                return data
            raise _too_large(limit, method, url, None)
    if limits is not None:
        limits.progress(_loop_time())
    chunks: list[bytes] = []
    size = 0
    content = resp.content
    while True:
        chunk = await content.readany()
        if not chunk:
            break
        if limits is not None:
            limits.progress(_loop_time())
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, method, url, None)
        chunks.append(chunk)
    return b"".join(chunks)


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


def _too_large(limit: int, method: str, url: str, declared: int | None) -> Failure:
    told = f" (the server announced {declared} bytes)" if declared is not None else ""
    error = ResponseTooLargeError(
        f"the answer is longer than the limit of {limit} bytes{told}; raise max_bytes "
        "(per call) or max_response_bytes (per client) to read it",
        method=method,
        url=url,
        limit=limit,
    )
    return Failure(error, retryable=False, reason="answer too large")


def connection_failure(
    client: BaseClient,
    cls: type[APIConnectionError],
    reason: str,
    exc: BaseException,
    method: str,
    url: str,
    *,
    sent: bool | None,
) -> Failure:
    """The Failure of an attempt that got no answer (a closed client's is final)."""
    scrub_request_info(exc)
    if client._shared.closed:
        closed = ClientClosedError("the client was closed while the request was in flight")
        closed.__cause__ = exc
        return Failure(closed, retryable=False, reason="client closed")
    error = cls(reason, method=method, url=url, sent=sent)
    error.__cause__ = exc
    # A request that certainly never reached the server may always be retried; one that
    # may have reached it only when repeating it is harmless (decided by the caller).
    return Failure(error, retryable=True, reason=reason)


def certainly_not_sent(error: QRuntimeError) -> bool:
    return isinstance(error, APIConnectionError) and error.sent is False


def set_attempts(error: QRuntimeError, attempts: int) -> None:
    if isinstance(error, APIError):
        error.attempts = attempts


async def call_hook(hook: Hook, event: Any) -> None:
    result = hook(event)
    if result is not None and asyncio.iscoroutine(result):
        await result
