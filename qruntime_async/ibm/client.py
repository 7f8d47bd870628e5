"""The IBM Quantum Runtime client."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from .. import _constants as C
from .. import _validate as v
from .._config import ClientOptions
from .._resource import APIResource
from .._transport import BaseClient
from .._url import check_url
from .auth import BearerToken, IAMAuth, IBMAuth
from .jobs import Jobs
from .models import BackendsResponse
from .sessions import SESSION_MODES, Mode, SessionContext, Sessions
from .workloads import Workloads, check_instance

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._config import TransportOptions

__all__ = ["IBMRuntimeClient", "Backends"]

_ENV_TOKEN = "QRUNTIME_IBM_TOKEN"
_ENV_INSTANCE = "QRUNTIME_IBM_INSTANCE"
_ENV_URL = "QRUNTIME_IBM_URL"
_ENV_API_KEY = "QRUNTIME_IBM_API_KEY"
_ENV_CRN = "QRUNTIME_IBM_SERVICE_CRN"
_ENV_IAM_URL = "QRUNTIME_IBM_IAM_URL"


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _auth_from(
    token: str | None,
    api_key: str | None,
    service_crn: str | None,
    iam_url: str | None,
    api_version: str,
) -> IBMAuth:
    # Arguments win over the environment; an API key counts only with its service CRN.
    if api_key is None and token is None:
        api_key = _env(_ENV_API_KEY)
        if api_key is None:
            token = _env(_ENV_TOKEN)
    if api_key is not None:
        service_crn = service_crn if service_crn is not None else _env(_ENV_CRN)
        if service_crn is None:
            raise ValueError(f"service_crn is required with api_key (or set {_ENV_CRN})")
        return IAMAuth(
            api_key,
            service_crn,
            iam_url=iam_url or _env(_ENV_IAM_URL) or C.IBM_DEFAULT_IAM_URL,
            api_version=api_version,
        )
    if token is not None:
        return BearerToken(token)
    raise ValueError(
        "no IBM credentials: pass token=... (or api_key=... and service_crn=...), "
        f"or set {_ENV_TOKEN} (or {_ENV_API_KEY} and {_ENV_CRN})"
    )


class Backends(APIResource["IBMRuntimeClient"]):
    """``client.backends``: the systems your instances can use."""

    async def list(self, *, provider: str | None = None) -> BackendsResponse:
        """``GET /backends`` (``provider`` = ``hub/group/project`` narrows it to one instance)."""
        if provider is not None:
            check_instance("provider", provider)
        return await self._get("/backends", params={"provider": provider}, cast_to=BackendsResponse)


class IBMRuntimeClient(BaseClient):
    """Async client of the IBM Quantum Runtime REST API.

    ``IBMRuntimeClient(token=..., instance="hub/group/project")`` authenticates with an API token
    (``Authorization: Bearer``). For the IBM Quantum Platform pass ``api_key`` and
    ``service_crn`` instead: the key is exchanged for short-lived IAM tokens, renewed
    automatically. Missing arguments fall back to ``QRUNTIME_IBM_TOKEN``,
    ``QRUNTIME_IBM_INSTANCE``, ``QRUNTIME_IBM_URL`` (and ``QRUNTIME_IBM_API_KEY``,
    ``QRUNTIME_IBM_SERVICE_CRN``, ``QRUNTIME_IBM_IAM_URL``); credentials passed as arguments win
    over those in the environment. ``auth`` takes any credential object (e.g. an
    :class:`~qruntime_async.ibm.auth.IAMAuth` built with other settings) instead.

    Resources: :attr:`workloads`, :attr:`sessions`, :attr:`jobs`, :attr:`backends`, and
    :meth:`session` to run a block of work inside a session.

    Transport settings (shared by both clients) come as one
    :class:`~qruntime_async.ClientOptions` (``options=``) or as its fields given as keywords:
    ``timeout`` (seconds or :class:`~qruntime_async.Timeout`), ``retry``
    (:class:`~qruntime_async.RetryPolicy`) or ``max_retries``, ``pool_size`` /
    ``pool_size_per_host`` / ``keepalive_timeout`` of the connection pool, ``session`` (your own
    ``aiohttp.ClientSession``, never closed by the client), ``ssl``, ``allow_insecure_http``,
    ``default_headers``, ``on_request`` / ``on_response`` hooks, ``trace_configs``,
    ``submit_policy`` (:class:`~qruntime_async.SubmitPolicy`) and ``submit_rate_limit`` (a
    :class:`~qruntime_async.RateLimiter` or ``(count, seconds)``).
    """

    workloads: Workloads
    sessions: Sessions
    jobs: Jobs
    backends: Backends

    def __init__(
        self,
        token: str | None = None,
        instance: str | None = None,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        service_crn: str | None = None,
        iam_url: str | None = None,
        api_version: str = C.IBM_DEFAULT_API_VERSION,
        auth: IBMAuth | None = None,
        options: ClientOptions | None = None,
        **transport: Unpack[TransportOptions],
    ) -> None:
        settings = ClientOptions.build(options, **transport)
        if instance is None and os.environ.get(_ENV_INSTANCE):
            instance = os.environ[_ENV_INSTANCE]
            check_instance(_ENV_INSTANCE, instance)
        elif instance is not None:
            check_instance("instance", instance)
        if auth is None:
            auth = _auth_from(token, api_key, service_crn, iam_url, api_version)
        self._auth: IBMAuth = auth
        cloud = isinstance(auth, IAMAuth)
        default_url = C.IBM_CLOUD_BASE_URL if cloud else C.IBM_DEFAULT_BASE_URL
        base_url = base_url or _env(_ENV_URL) or default_url
        if isinstance(auth, IAMAuth):
            # The API key is a credential too: the same rule as for the API applies.
            check_url("iam_url", auth.iam_url, allow_insecure_http=settings.allow_insecure_http)
        super().__init__(base_url=base_url, options=settings)
        self.instance = instance
        self._bind_resources()

    @property
    def uses_cloud_auth(self) -> bool:
        """True with IBM Cloud IAM credentials (IBM Quantum Platform)."""
        return isinstance(self._auth, IAMAuth)

    def _bind_resources(self) -> None:
        self.workloads = Workloads(self)
        self.sessions = Sessions(self)
        self.jobs = Jobs(self)
        self.backends = Backends(self)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return (
            f"IBMRuntimeClient(base_url={self.base_url!r}, instance={self.instance!r}, "
            f"auth={type(self._auth).__name__}, {state})"
        )

    async def _auth_headers(self) -> Mapping[str, str]:
        return await self._auth.headers(self)

    async def _refresh_auth(self, failed_headers: Mapping[str, str]) -> bool:
        return await self._auth.refresh(self, failed_headers)

    def session(
        self,
        *,
        backend: str,
        mode: Mode | None = "batch",
        max_ttl: float | timedelta | None = None,
        instance: str | None = None,
        cancel_on_error: bool = True,
        cleanup_timeout: float = C.SESSION_CLEANUP_TIMEOUT,
    ) -> SessionContext:
        """``async with client.session(backend=...) as s:`` opens a session for the block.

        Submit with ``await s.submit("sampler", params=...)``. On a normal exit the block stops
        taking jobs and the session is closed gently: it accepts no new jobs, and those
        submitted still run. If the block raises or is cancelled, the session is cancelled with
        its queued jobs, unless ``cancel_on_error=False``. Closing or cancelling gets
        ``cleanup_timeout`` seconds, shielded from cancellation.
        """
        v.resource_id("backend", backend)
        if mode is not None:
            v.choice("mode", mode, SESSION_MODES)
        if max_ttl is not None:
            v.seconds("max_ttl", max_ttl)
        if instance is not None:
            check_instance("instance", instance)
        return SessionContext(
            self,
            backend=backend,
            mode=mode,
            max_ttl=max_ttl,
            instance=instance,
            cancel_on_error=cancel_on_error,
            cleanup_timeout=cleanup_timeout,
        )
