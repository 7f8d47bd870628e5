"""IBM runtime sessions: create, inspect, close or cancel, list their jobs, follow their state."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from .. import _validate as v
from .._paging import AsyncPager
from .._polling import PollPolicy, WatchGroup, wait, watch
from .models import (
    CreateJobResponse,
    CreateSessionRequest,
    CreateSessionResponse,
    Job,
    Session,
    SessionDetails,
    SessionMode,
    UpdateSessionRequest,
)
from .workloads import check_instance

if TYPE_CHECKING:
    from .client import IBMRuntimeClient

__all__ = ["SESSION_MODES", "Sessions", "SessionContext", "session_is_final"]

logger = logging.getLogger("qruntime_async")

#: The session modes ``POST /sessions`` accepts.
SESSION_MODES = frozenset(m.value for m in SessionMode)
# Closing or cancelling a session on the way out of a block gets this long, even when cancelled.
_CLEANUP_TIMEOUT = 30.0


def session_is_final(session: Session) -> bool:
    """``closed`` or ``canceled``."""
    return session.is_final


class Sessions:
    """``client.sessions``: runtime sessions (a block of time on one backend)."""

    def __init__(self, client: IBMRuntimeClient) -> None:
        self._client = client

    async def create(
        self,
        *,
        backend: str,
        instance: str | None = None,
        max_ttl: float | timedelta | None = None,
        mode: str | None = None,
    ) -> CreateSessionResponse:
        """``POST /sessions``: open a session on ``backend``.

        ``mode`` is ``"batch"`` or ``"dedicated"``; ``max_ttl`` (seconds or timedelta) is the
        session's maximum lifetime. Warnings in the answer's ``messages`` (e.g. a mode the plan
        does not support) are logged and returned.
        """
        v.resource_id("backend", backend)
        chosen = instance if instance is not None else self._client.instance
        if chosen is None and not self._client.uses_cloud_auth:
            raise ValueError(
                "instance is required (hub/group/project): pass it here or to the client"
            )
        if chosen is not None:
            check_instance("instance", chosen)
        ttl = None if max_ttl is None else max(round(v.seconds("max_ttl", max_ttl)), 1)
        mode_value = None if mode is None else v.choice("mode", mode, SESSION_MODES)
        cloud = self._client.uses_cloud_auth
        body = CreateSessionRequest(
            backend=backend,
            instance=chosen,
            max_session_ttl=None if cloud else ttl,
            max_ttl=ttl if cloud else None,
            mode=mode_value,
        )
        answer = await self._client._request(
            "POST", "/sessions", json=body, cast_to=CreateSessionResponse
        )
        for notice in answer.notices:
            logger.warning("session %s: %s", answer.id, notice)
        return answer

    async def get(self, session_id: str) -> Session:
        """``GET /sessions/{id}``."""
        return await self._client._request(
            "GET",
            "/sessions/{session_id}",
            path_params={"session_id": v.resource_id("session_id", session_id)},
            cast_to=Session,
        )

    async def details(self, session_id: str) -> SessionDetails:
        """``GET /sessions/{id}/extended``: status, reason, timestamps, remaining time."""
        return await self._client._request(
            "GET",
            "/sessions/{session_id}/extended",
            path_params={"session_id": v.resource_id("session_id", session_id)},
            cast_to=SessionDetails,
        )

    async def update(self, session_id: str, *, accepting_jobs: bool) -> None:
        """``PATCH /sessions/{id}``: accept new jobs or not."""
        if not isinstance(accepting_jobs, bool):
            raise TypeError("accepting_jobs must be a bool")
        await self._client._request(
            "PATCH",
            "/sessions/{session_id}",
            path_params={"session_id": v.resource_id("session_id", session_id)},
            json=UpdateSessionRequest(accepting_jobs=accepting_jobs),
            response="none",
        )

    async def close(self, session_id: str) -> None:
        """Close gently: stop accepting jobs; jobs already queued still run, then it closes."""
        await self.update(session_id, accepting_jobs=False)

    async def cancel(self, session_id: str) -> None:
        """Cancel now (``DELETE /sessions/{id}/close``): the session stops, queued jobs too."""
        await self._client._request(
            "DELETE",
            "/sessions/{session_id}/close",
            path_params={"session_id": v.resource_id("session_id", session_id)},
            response="none",
        )

    def jobs(
        self,
        session_id: str,
        *,
        page_size: int = 50,
        limit: int | None = None,
        page_token: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncPager[Job]:
        """``GET /sessions/{id}/jobs``: the session's jobs, offset-paged."""
        sid = v.resource_id("session_id", session_id)
        return self._client._offset_pager(
            "/sessions/{session_id}/jobs",
            {"session_id": sid},
            {},
            page_size,
            limit,
            page_token,
            read_ahead,
        )

    def watch(
        self,
        session_id: str,
        *,
        fields: Sequence[str] = ("state", "accepting_jobs"),
        policy: PollPolicy | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[Session, None]:
        """Yield the session when first seen and on every change, until closed or canceled."""
        sid = v.resource_id("session_id", session_id)
        return watch(
            lambda: self.get(sid),
            is_final=session_is_final,
            fields=fields,
            policy=policy,
            timeout=timeout,
            resource_id=sid,
            sleep=self._client._sleep,
        )

    async def wait(
        self, session_id: str, *, timeout: float | None = None, policy: PollPolicy | None = None
    ) -> Session:
        """Poll until the session is closed or canceled and return it."""
        sid = v.resource_id("session_id", session_id)
        return await wait(
            lambda: self.get(sid),
            is_final=session_is_final,
            fields=("state",),
            policy=policy,
            timeout=timeout,
            resource_id=sid,
            sleep=self._client._sleep,
        )


class SessionContext:
    """An open session used as ``async with client.session(backend=...) as s:``.

    Jobs submitted through :meth:`submit` run in the session. On a normal exit the session is
    closed gently (queued jobs still run); if the block raises, it is cancelled unless
    ``cancel_on_error=False``.
    """

    def __init__(
        self,
        client: IBMRuntimeClient,
        *,
        backend: str,
        mode: str | None,
        max_ttl: float | timedelta | None,
        instance: str | None,
        cancel_on_error: bool,
    ) -> None:
        self._client = client
        self.backend = backend
        self._mode = mode
        self._max_ttl = max_ttl
        self._instance = instance
        self.cancel_on_error = cancel_on_error
        self._id: str | None = None
        self.created: CreateSessionResponse | None = None

    @property
    def id(self) -> str:
        """The session id (available inside the ``async with`` block)."""
        if self._id is None:
            raise RuntimeError("the session is not open yet: use it inside `async with`")
        return self._id

    def __repr__(self) -> str:
        return f"SessionContext(id={self._id!r}, backend={self.backend!r})"

    async def __aenter__(self) -> SessionContext:
        if self.created is not None:
            raise RuntimeError("this session was already opened; call client.session() again")
        self.created = await self._client.sessions.create(
            backend=self.backend, instance=self._instance, max_ttl=self._max_ttl, mode=self._mode
        )
        self._id = self.created.id
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session_id = self._id
        if session_id is None:
            return
        if self._client.closed:
            logger.warning(
                "session %s left open: the client was closed inside the block", session_id
            )
            return
        cancel = exc_type is not None and self.cancel_on_error
        action = self._client.sessions.cancel if cancel else self._client.sessions.close
        if exc_type is None:
            await action(session_id)
            return
        # Leaving on an error (or a cancellation): still end the session, but let the original
        # exception propagate rather than a failure of the clean-up.
        try:
            with anyio.move_on_after(_CLEANUP_TIMEOUT, shield=True) as scope:
                await action(session_id)
            if scope.cancelled_caught:
                logger.warning(
                    "gave up ending session %s after %g s; it ends when its max_ttl runs out",
                    session_id,
                    _CLEANUP_TIMEOUT,
                )
        except Exception as cleanup_error:
            logger.warning(
                "could not %s session %s after an error in the block: %s",
                "cancel" if cancel else "close",
                session_id,
                cleanup_error,
            )

    async def submit(
        self, program_id: str, *, params: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> CreateJobResponse:
        """Submit a job into this session (same arguments as ``client.jobs.submit``)."""
        kwargs.setdefault("backend", self.backend)
        if self._instance is not None:
            kwargs.setdefault("instance", self._instance)
        return await self._client.jobs.submit(
            program_id, params=params, session_id=self.id, **kwargs
        )

    def jobs(self, **kwargs: Any) -> AsyncPager[Job]:
        """The session's jobs (see ``client.sessions.jobs``)."""
        return self._client.sessions.jobs(self.id, **kwargs)

    def watch_jobs(self, job_ids: Sequence[str] = (), **kwargs: Any) -> WatchGroup[Job]:
        """Follow jobs of this session with one listing request a tick."""
        return self._client.jobs.watch_many(job_ids, session_id=self.id, **kwargs)

    async def get(self) -> Session:
        """The session's current state."""
        return await self._client.sessions.get(self.id)

    async def details(self) -> SessionDetails:
        """The session's extended details."""
        return await self._client.sessions.details(self.id)

    async def close(self) -> None:
        """Stop accepting jobs now (queued jobs still run)."""
        await self._client.sessions.close(self.id)

    async def cancel(self) -> None:
        """Cancel the session now, with its queued jobs."""
        await self._client.sessions.cancel(self.id)
