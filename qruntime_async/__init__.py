"""qruntime_async: an asyncio SDK for quantum-computing runtime services.

Clients: :class:`IBMRuntimeClient` (IBM Quantum Runtime) and :class:`ScalewayQaaSClient`
(Scaleway Quantum-as-a-Service). Both are async context managers that own one aiohttp connection
pool; list calls return :class:`AsyncPager` objects, and ``watch``/``wait`` follow jobs and sessions
until they are final.
"""

from ._codec import Duration, settle
from ._config import ClientOptions, Limits, RequestEvent, ResponseEvent, Timeout
from ._paging import AsyncPager, Page
from ._poll_policy import PollPolicy
from ._retry import RetryPolicy
from ._submit import RateLimiter, SubmitPolicy
from ._version import __version__
from ._watch import wait, watch
from ._watch_group import WatchEvent, WatchGroup, WatchStats
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    NotFoundError,
    PagingError,
    PermissionDeniedError,
    QRuntimeError,
    RateLimitError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ServerError,
    SessionStoppedError,
    SubmissionError,
    WaitTimeoutError,
)
from .ibm import IBMRuntimeClient
from .scaleway import ScalewayQaaSClient

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ClientOptions",
    "ConflictError",
    "Duration",
    "settle",
    "IBMRuntimeClient",
    "Limits",
    "NotFoundError",
    "Page",
    "PagingError",
    "PermissionDeniedError",
    "PollPolicy",
    "QRuntimeError",
    "RateLimitError",
    "RateLimiter",
    "RequestEvent",
    "ResponseDecodeError",
    "ResponseEvent",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ScalewayQaaSClient",
    "ServerError",
    "SessionStoppedError",
    "SubmissionError",
    "SubmitPolicy",
    "Timeout",
    "WaitTimeoutError",
    "WatchEvent",
    "WatchGroup",
    "WatchStats",
    "__version__",
    "wait",
    "watch",
]
