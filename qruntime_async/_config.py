"""Client options as values: timeouts, pool limits and every transport setting in one object."""

from __future__ import annotations

import dataclasses
import functools
import ssl as ssl_module
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

import aiohttp

from . import _constants as C
from ._retry import RetryPolicy

if TYPE_CHECKING:
    from ._submit import RateLimiter, SubmitPolicy

__all__ = [
    "ClientOptions",
    "Hook",
    "Limits",
    "RequestEvent",
    "ResponseEvent",
    "Timeout",
    "TransportOptions",
]


@dataclass(frozen=True)
class Timeout:
    """Timeouts of one attempt, in seconds (None: no limit).

    ``connect``: establishing a connection; ``read``: the longest wait for the next bytes of an
    answer (waiting for a free connection of the pool does not count); ``total``: the whole attempt,
    however slowly the answer trickles in (a server that sends one byte a second never trips
    ``read``). ``read`` and ``total`` fire within a millisecond of their time, with
    :class:`~qruntime_async.errors.APITimeoutError`.
    """

    connect: float | None = C.DEFAULT_CONNECT_TIMEOUT
    read: float | None = C.DEFAULT_READ_TIMEOUT
    total: float | None = C.DEFAULT_ATTEMPT_TIMEOUT

    def __post_init__(self) -> None:
        for name in ("connect", "read", "total"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"timeout {name} must be > 0 seconds or None, got {value}")

    @classmethod
    def coerce(cls, value: Timeout | float | None) -> Timeout:
        """``Timeout`` as is; a number applies to connect and read (and at least to total)."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(connect=None, read=None, total=None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"timeout must be a Timeout or a number of seconds, got {value!r}")
        seconds = float(value)
        return cls(connect=seconds, read=seconds, total=max(seconds, C.DEFAULT_ATTEMPT_TIMEOUT))

    def limits(self, left: float | None = None) -> tuple[float | None, float | None]:
        """``(read, total)`` of one attempt; ``left`` (seconds) caps the total further."""
        total = self.total
        if left is not None:
            total = left if total is None else min(total, left)
        return self.read, total

    def to_aiohttp(
        self, left: float | None = None, *, connect_only: bool = False
    ) -> aiohttp.ClientTimeout:
        """The equivalent aiohttp setting (an ``aiohttp.ClientTimeout``).

        With ``connect_only`` only establishing a connection: the client's own pool keeps
        ``read`` and ``total`` in its deadline table (:mod:`qruntime_async._deadlines`),
        which needs no timer per request. ``left`` (seconds) caps the total further.
        """
        if connect_only:
            return _aiohttp_timeout(self.connect, None, None)
        read, total = self.limits(left)
        return _aiohttp_timeout(self.connect, read, total)


@functools.lru_cache(maxsize=256)
def _aiohttp_timeout(
    connect: float | None, read: float | None, total: float | None
) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=total, connect=None, sock_connect=connect, sock_read=read)


@dataclass(frozen=True)
class Limits:
    """Connection pool limits: connections in all (0: unlimited), per host, keep-alive seconds."""

    pool_size: int = C.DEFAULT_POOL_SIZE
    pool_size_per_host: int = C.DEFAULT_POOL_SIZE_PER_HOST
    keepalive_timeout: float = C.DEFAULT_KEEPALIVE_TIMEOUT

    def __post_init__(self) -> None:
        if self.pool_size < 0 or self.pool_size_per_host < 0:
            raise ValueError("pool_size and pool_size_per_host must be >= 0 (0: unlimited)")


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


class TransportOptions(TypedDict, total=False):
    """The transport keywords both clients accept (each a field of :class:`ClientOptions`)."""

    timeout: Timeout | float | None
    retry: RetryPolicy | None
    max_retries: int | None
    pool_size: int
    pool_size_per_host: int
    keepalive_timeout: float
    session: aiohttp.ClientSession | None
    ssl: ssl_module.SSLContext | bool
    allow_insecure_http: bool
    default_headers: Mapping[str, str] | None
    on_request: Hook | None
    on_response: Hook | None
    trace_configs: list[aiohttp.TraceConfig] | None
    submit_policy: SubmitPolicy | None
    submit_rate_limit: RateLimiter | tuple[int, float] | None
    max_response_bytes: int


@dataclass(frozen=True)
class ClientOptions:
    """Every transport setting of a client, as one immutable value.

    Pass it as ``options=`` to either client, or pass its fields as keywords
    (``max_retries=0``, ``pool_size=10``...); keywords override the fields of ``options``.
    ``session`` is your own ``aiohttp.ClientSession`` (never closed by the client);
    ``allow_insecure_http`` permits plain http to a host other than loopback;
    ``max_response_bytes`` bounds how much of one answer is read (larger answers raise
    :class:`~qruntime_async.errors.ResponseTooLargeError`; calls that fetch large results take
    their own limit).
    """

    timeout: Timeout = field(default_factory=Timeout)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    limits: Limits = field(default_factory=Limits)
    session: aiohttp.ClientSession | None = None
    ssl: ssl_module.SSLContext | bool = True
    allow_insecure_http: bool = False
    default_headers: Mapping[str, str] | None = None
    on_request: Hook | None = None
    on_response: Hook | None = None
    trace_configs: list[aiohttp.TraceConfig] | None = None
    submit_policy: SubmitPolicy | None = None
    submit_rate_limit: RateLimiter | None = None
    max_response_bytes: int = C.DEFAULT_MAX_RESPONSE_BYTES

    def __post_init__(self) -> None:
        size = self.max_response_bytes
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"max_response_bytes must be an int >= 1, got {size!r}")

    @classmethod
    def build(cls, options: ClientOptions | None = None, **kwargs: Any) -> ClientOptions:
        """``options`` (or the defaults) with the given :class:`TransportOptions` applied."""
        from ._submit import RateLimiter

        base = options if options is not None else cls()
        if not isinstance(base, ClientOptions):
            raise TypeError(f"options must be a ClientOptions, got {type(base).__name__}")
        unknown = set(kwargs) - set(TransportOptions.__annotations__)
        if unknown:
            raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        changes: dict[str, Any] = {}
        limits: dict[str, Any] = {}
        for name, value in kwargs.items():
            if name == "timeout":
                if value is not None:
                    changes["timeout"] = Timeout.coerce(value)
            elif name == "retry":
                if value is not None:
                    changes["retry"] = value
            elif name == "max_retries":
                continue
            elif name in ("pool_size", "pool_size_per_host", "keepalive_timeout"):
                limits[name] = value
            elif name == "submit_rate_limit" and isinstance(value, tuple):
                changes[name] = RateLimiter(*value)
            else:
                changes[name] = value
        if limits:
            changes["limits"] = dataclasses.replace(base.limits, **limits)
        if kwargs.get("max_retries") is not None:
            retry = changes.get("retry", base.retry)
            changes["retry"] = retry.with_max_retries(kwargs["max_retries"])
        return dataclasses.replace(base, **changes) if changes else base
