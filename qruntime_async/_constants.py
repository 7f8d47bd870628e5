"""Every default of the SDK, in one place."""

from __future__ import annotations

import platform

import aiohttp

from ._version import __version__

# Timeouts (seconds). Connect covers establishing a connection; read is the longest wait for the
# next bytes of an answer. Waiting for a free connection of the pool is not bounded by either.
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
# One attempt as a whole (a slow trickle of bytes resets the read timeout, not this one).
DEFAULT_ATTEMPT_TIMEOUT = 300.0

# Retries: 3 retries, backoff 0.5 s x 2^n capped at 8 s with full jitter.
DEFAULT_MAX_RETRIES = 3
DEFAULT_BACKOFF_INITIAL = 0.5
DEFAULT_BACKOFF_MULTIPLIER = 2.0
DEFAULT_BACKOFF_MAX = 8.0
# A Retry-After longer than this is not waited for: the error is raised at once.
DEFAULT_RETRY_AFTER_CAP = 60.0
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Statuses after which even a non-idempotent request is known not to have been acted on. A 503
# is not one of them: gateways (e.g. Envoy) answer 503 when the upstream reset after acting.
NOT_ACTED_STATUSES = frozenset({429})

# Connection pool.
DEFAULT_POOL_SIZE = 100
DEFAULT_POOL_SIZE_PER_HOST = 64
DEFAULT_KEEPALIVE_TIMEOUT = 30.0

# Polling: first poll immediate, then 0.5 s growing x1.5 with jitter to a 10 s cap, floor 0.1 s.
DEFAULT_POLL_INITIAL_DELAY = 0.0
DEFAULT_POLL_INTERVAL = 0.5
DEFAULT_POLL_MULTIPLIER = 1.5
DEFAULT_POLL_MAX_INTERVAL = 10.0
DEFAULT_POLL_MIN_INTERVAL = 0.1
DEFAULT_POLL_JITTER = 0.1

# One answer is read up to this many bytes; longer ones are refused (results may set their own).
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

# Error reports keep this many characters of a response body.
BODY_EXCERPT_CHARS = 500

USER_AGENT = (
    f"qruntime-async/{__version__} python/{platform.python_version_tuple()[0]}."
    f"{platform.python_version_tuple()[1]} aiohttp/{aiohttp.__version__}"
)

# Providers.
IBM_DEFAULT_BASE_URL = "https://api.quantum-computing.ibm.com/runtime"
IBM_CLOUD_BASE_URL = "https://quantum.cloud.ibm.com/api/v1"
IBM_DEFAULT_IAM_URL = "https://iam.cloud.ibm.com"
IBM_DEFAULT_API_VERSION = "2025-05-01"
# Refresh an IAM token this many seconds before it expires.
IBM_IAM_REFRESH_MARGIN = 60.0
# Used when the IAM answer says nothing about the token's lifetime (IAM tokens last an hour).
IBM_IAM_DEFAULT_TOKEN_LIFETIME = 3600.0
SCALEWAY_DEFAULT_BASE_URL = "https://api.scaleway.com"
SCALEWAY_API_PREFIX = "/qaas/v1alpha1"

# Response headers that may carry a request id, in order of preference.
REQUEST_ID_HEADERS = ("x-request-id", "x-global-transaction-id", "x-correlation-id", "x-trace-id")

# Paging. A listing remembers this many recent page tokens to notice a server going in circles,
# and accepts this many empty pages in a row from a server that claims more items.
PAGING_RECENT_TOKENS = 256
PAGING_MAX_EMPTY_PAGES = 3
# Page sizes: the default of every list call, and the largest page each listing serves.
DEFAULT_PAGE_SIZE = 50
IBM_JOBS_MAX_PAGE_SIZE = 200
IBM_WORKLOADS_MAX_PAGE_SIZE = 1000
SCALEWAY_MAX_PAGE_SIZE = 100
# Following the jobs of one session lists them in pages this large (the largest served).
IBM_WATCH_PAGE_SIZE = IBM_JOBS_MAX_PAGE_SIZE
SCALEWAY_WATCH_PAGE_SIZE = SCALEWAY_MAX_PAGE_SIZE

# Watching many resources: single fetches at once.
DEFAULT_WATCH_CONCURRENCY = 16

# Leaving a session block: closing, cancelling or terminating the session gets this long.
SESSION_CLEANUP_TIMEOUT = 30.0
# Leaving a Scaleway session block normally: its jobs get this long to finish before the
# session is terminated (which cancels what still runs).
SESSION_DRAIN_TIMEOUT = 3600.0

# Exactly-once submission: create requests at most, the settle window (seconds) over which
# lookups must keep finding nothing before a job is created again, and lookups in that window.
SUBMIT_ATTEMPTS = 4
SUBMIT_SETTLE = 2.0
SUBMIT_LOOKUPS = 3
