"""The Scaleway Quantum-as-a-Service (QaaS) v1alpha1 client."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .. import _constants as C
from .. import _validate as v
from .._config import ClientOptions
from .._poll_policy import PollPolicy
from .._secret import check_credential
from .._transport import BaseClient
from .jobs import Jobs
from .models import BookingDemand, decode_compat
from .models_api import Models
from .platforms import Platforms
from .sessions import SessionContext, Sessions

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._config import TransportOptions

__all__ = ["ScalewayQaaSClient"]

_ENV_SECRET_KEY = "SCW_SECRET_KEY"
_ENV_PROJECT_ID = "SCW_DEFAULT_PROJECT_ID"
_ENV_URL = "SCW_API_URL"


class _SecretHeaders:
    """The ``X-Auth-Token`` header, kept out of every repr, ``vars()`` dump and pickle."""

    __slots__ = ("headers",)

    def __init__(self, headers: Mapping[str, str]) -> None:
        self.headers = headers

    def __repr__(self) -> str:
        return "<redacted>"

    def __reduce__(self) -> Any:
        raise TypeError("the Scaleway secret key cannot be pickled")


def _api_root(url: str) -> str:
    # Accept a base URL given with the API prefix too ("https://api.scaleway.com/qaas/v1alpha1").
    trimmed = url.rstrip("/")
    if trimmed.endswith(C.SCALEWAY_API_PREFIX):
        trimmed = trimmed[: -len(C.SCALEWAY_API_PREFIX)]
    return trimmed or url


class ScalewayQaaSClient(BaseClient):
    """Async client of the Scaleway Quantum-as-a-Service API (``/qaas/v1alpha1``).

    ``ScalewayQaaSClient(secret_key=..., project_id=...)`` authenticates every request with
    ``X-Auth-Token``. Missing arguments fall back to ``SCW_SECRET_KEY``,
    ``SCW_DEFAULT_PROJECT_ID`` and ``SCW_API_URL`` (default ``https://api.scaleway.com``). The
    project id is the default of every call that needs one (sessions, models, job listings).

    Resources: :attr:`jobs`, :attr:`sessions`, :attr:`platforms`, :attr:`models`, and
    :meth:`session` to run a block of work inside a running session. Every call goes through
    one aiohttp connection pool, so concurrent calls (``asyncio.gather``) really run at once.

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

    _api_prefix = C.SCALEWAY_API_PREFIX

    jobs: Jobs
    sessions: Sessions
    platforms: Platforms
    models: Models

    def __init__(
        self,
        secret_key: str | None = None,
        project_id: str | None = None,
        base_url: str | None = None,
        *,
        options: ClientOptions | None = None,
        **transport: Unpack[TransportOptions],
    ) -> None:
        settings = ClientOptions.build(options, **transport)
        if secret_key is None:
            secret_key = os.environ.get(_ENV_SECRET_KEY) or None
        if secret_key is None:
            raise ValueError(
                f"no Scaleway credentials: pass secret_key=... or set {_ENV_SECRET_KEY}"
            )
        key = check_credential(
            "secret_key",
            secret_key,
            hint=f" (pass secret_key=... or set {_ENV_SECRET_KEY})",
        )
        if project_id is None:
            project_id = os.environ.get(_ENV_PROJECT_ID) or None
        if project_id is not None:
            v.resource_id("project_id", project_id)
        base_url = base_url or os.environ.get(_ENV_URL) or C.SCALEWAY_DEFAULT_BASE_URL
        super().__init__(base_url=_api_root(base_url), options=settings)
        self._secret = _SecretHeaders({"X-Auth-Token": key})
        self.project_id = project_id
        self._bind_resources()

    def _bind_resources(self) -> None:
        self.jobs = Jobs(self)
        self.sessions = Sessions(self)
        self.platforms = Platforms(self)
        self.models = Models(self)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return (
            f"ScalewayQaaSClient(base_url={self.base_url!r}, project_id={self.project_id!r}, "
            f"{state})"
        )

    async def _auth_headers(self) -> Mapping[str, str]:
        return self._secret.headers

    def session(
        self,
        *,
        platform_id: str,
        name: str | None = None,
        max_idle_duration: float | timedelta | None = None,
        max_duration: float | timedelta | None = None,
        tags: Sequence[str] | None = None,
        deduplication_id: str | None = None,
        model_id: str | None = None,
        parameters: Mapping[str, Any] | str | None = None,
        booking_demand: BookingDemand | None = None,
        project_id: str | None = None,
        start_timeout: float | None = None,
        policy: PollPolicy | None = None,
        drain_timeout: float | None = C.SESSION_DRAIN_TIMEOUT,
        cleanup_timeout: float = C.SESSION_CLEANUP_TIMEOUT,
    ) -> SessionContext:
        """``async with client.session(platform_id=...) as s:`` runs a block in a session.

        On entry the session is created and waited for until it runs (``start_timeout``
        seconds at most; ``policy`` is the :class:`~qruntime_async.PollPolicy` of that wait and
        of the wait on exit). Inside, ``await s.submit(circuit, shots=...)`` creates jobs in it.
        On a normal exit the block waits for the jobs it submitted to finish (at most
        ``drain_timeout`` seconds; None: no bound), then terminates the session; when the block
        raises or is cancelled it terminates the session at once, cancelling its jobs.
        Terminating gets ``cleanup_timeout`` seconds, shielded from cancellation. The other
        arguments are those of ``client.sessions.create``.
        """
        v.resource_id("platform_id", platform_id)
        create_kwargs: dict[str, Any] = {
            "name": name,
            "max_idle_duration": max_idle_duration,
            "max_duration": max_duration,
            "tags": tags,
            "deduplication_id": deduplication_id,
            "model_id": model_id,
            "parameters": parameters,
            "booking_demand": booking_demand,
            "project_id": project_id,
        }
        # Validate now, so that a mistake surfaces before the block starts.
        self.sessions._create_body(platform_id, **create_kwargs)
        return SessionContext(
            self,
            platform_id=platform_id,
            create_kwargs=create_kwargs,
            start_timeout=start_timeout,
            policy=policy,
            drain_timeout=drain_timeout,
            cleanup_timeout=cleanup_timeout,
        )

    # -- helpers shared by the resources -------------------------------------------------------
    def _project(self, project_id: str | None, *, what: str) -> str:
        """The explicit project id, else the client's; ValueError naming both when neither."""
        if project_id is not None:
            return v.resource_id("project_id", project_id)
        if self.project_id is None:
            raise ValueError(
                f"{what} needs a project: pass project_id=..., give the client a project_id, "
                f"or set {_ENV_PROJECT_ID}"
            )
        return self.project_id

    def _decode_body(self, data: bytes, cast_to: type[Any], method: str, url: str) -> Any:
        return decode_compat(data, cast_to, method=method, url=url)
