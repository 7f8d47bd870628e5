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


@dataclass(frozen=True)
class ClientOptions:
    """Every transport setting of a client, as one immutable value.

    Pass it as ``options=`` to either client, or pass its fields as keywords
    (``max_retries=0``, ``pool_size=10``...); keywords override the fields of ``options``.
    ``session`` is your own ``aiohttp.ClientSession`` (never closed by the client);
    ``allow_insecure_http`` permits plain http to a host other than loopback.
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
