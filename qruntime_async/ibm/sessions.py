"""IBM runtime sessions: create, inspect, close or cancel, list their jobs, follow their state."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from .. import _constants as C
from .. import _validate as v
from .._paging import AsyncPager
from .._poll_policy import PollPolicy
from .._resource import APIResource, Watchable
from .._session_block import SessionBlock
from .._watch_group import WatchGroup
from .models import (
    CreateJobResponse,
    CreateSessionRequest,
    CreateSessionResponse,
    Job,
    JobsPage,
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
#: A session's mode: ``"batch"`` or ``"dedicated"``.
Mode = Literal["batch", "dedicated"]
_WATCH_FIELDS = ("state", "accepting_jobs")


def session_is_final(session: Session) -> bool:
    """``closed`` or ``canceled``."""
    return session.is_final


class Sessions(APIResource["IBMRuntimeClient"]):
    """``client.sessions``: runtime sessions (a block of time on one backend)."""

    def __init__(self, client: IBMRuntimeClient) -> None:
        super().__init__(client)
        self._watchable = Watchable(
            get=self.get,
            is_final=session_is_final,
            fields=_WATCH_FIELDS,
            sleep=client._sleep,
            id_name="session_id",
        )

    async def create(
        self,
        *,
        backend: str,
        instance: str | None = None,
        max_ttl: float | timedelta | None = None,
        mode: Mode | None = None,
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
        answer = await self._post("/sessions", json=body, cast_to=CreateSessionResponse)
        for notice in answer.notices:
            logger.warning("session %s: %s", answer.id, notice)
        return answer

    async def get(self, session_id: str) -> Session:
        """``GET /sessions/{id}``."""
        return await self._get(
            "/sessions/{session_id}", path_params={"session_id": session_id}, cast_to=Session
        )

    async def details(self, session_id: str) -> SessionDetails:
        """``GET /sessions/{id}/extended``: status, reason, timestamps, remaining time."""
        return await self._get(
            "/sessions/{session_id}/extended",
            path_params={"session_id": session_id},
            cast_to=SessionDetails,
        )

    async def update(self, session_id: str, *, accepting_jobs: bool) -> None:
        """``PATCH /sessions/{id}``: accept new jobs or not."""
        if not isinstance(accepting_jobs, bool):
            raise TypeError("accepting_jobs must be a bool")
        await self._patch(
            "/sessions/{session_id}",
            path_params={"session_id": session_id},
            json=UpdateSessionRequest(accepting_jobs=accepting_jobs),
            cast_to=type(None),
        )

    async def close(self, session_id: str) -> None:
        """Close gently: stop accepting jobs; jobs already queued still run, then it closes."""
        await self.update(session_id, accepting_jobs=False)

    async def cancel(self, session_id: str) -> None:
        """Cancel now (``DELETE /sessions/{id}/close``): the session stops, queued jobs too."""
        await self._delete("/sessions/{session_id}/close", path_params={"session_id": session_id})

    def jobs(
        self,
        session_id: str,
        *,
        page_size: int = C.DEFAULT_PAGE_SIZE,
        limit: int | None = None,
        page_token: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncPager[Job]:
        """``GET /sessions/{id}/jobs``: the session's jobs, offset-paged."""
        return self._list(
            "/sessions/{session_id}/jobs",
            JobsPage,
            path_params={"session_id": v.resource_id("session_id", session_id)},
            page_size=page_size,
            limit=limit,
            page_token=page_token,
            read_ahead=read_ahead,
        )

    def watch(
        self,
        session_id: str,
        *,
        fields: Sequence[str] = _WATCH_FIELDS,
        policy: PollPolicy | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[Session, None]:
        """Yield the session when first seen and on every change, until closed or canceled."""
        return self._watchable.watch(session_id, fields=fields, policy=policy, timeout=timeout)

    async def wait(
        self, session_id: str, *, timeout: float | None = None, policy: PollPolicy | None = None
    ) -> Session:
        """Poll until the session is closed or canceled and return it."""
        return await self._watchable.wait(session_id, policy=policy, timeout=timeout)


class SessionContext(SessionBlock):
    """An open session used as ``async with client.session(backend=...) as s:``.

    Jobs submitted through :meth:`submit` run in the session. On a normal exit the session is
    closed gently (queued jobs still run); if the block raises, it is cancelled unless
    ``cancel_on_error=False``. Either is shielded from cancellation and bounded by
    ``cleanup_timeout`` seconds.
    """

    def __init__(
        self,
        client: IBMRuntimeClient,
        *,
        backend: str,
        mode: Mode | None,
        max_ttl: float | timedelta | None,
        instance: str | None,
        cancel_on_error: bool,
        cleanup_timeout: float = C.SESSION_CLEANUP_TIMEOUT,
    ) -> None:
        super().__init__(client, cleanup_timeout=cleanup_timeout)
        self._ibm = client
        self.backend = backend
        self._mode = mode
        self._max_ttl = max_ttl
        self._instance = instance
        self.cancel_on_error = cancel_on_error
        self.created: CreateSessionResponse | None = None

    @property
    def _abort_action(self) -> str:
        return "cancel" if self.cancel_on_error else "close"

    def _describe(self) -> dict[str, Any]:
        return {"id": self._id, "backend": self.backend}

    async def _open(self) -> str:
        self.created = await self._ibm.sessions.create(
            backend=self.backend,
            instance=self._instance,
            max_ttl=self._max_ttl,
            mode=self._mode,
        )
        return self.created.id

    async def _finish(self) -> None:
        await self._ibm.sessions.close(self.id)

    async def _abort(self, error: BaseException) -> None:
        if self.cancel_on_error:
            await self._ibm.sessions.cancel(self.id)
        else:
            await self._ibm.sessions.close(self.id)

    async def submit(
        self, program_id: str, *, params: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> CreateJobResponse:
        """Submit a job into this session (same arguments as ``client.jobs.submit``)."""
        kwargs.setdefault("backend", self.backend)
        if self._instance is not None:
            kwargs.setdefault("instance", self._instance)
        return await self._ibm.jobs.submit(
            program_id, params=params, session_id=self._check_open(), **kwargs
        )

    def jobs(self, **kwargs: Any) -> AsyncPager[Job]:
        """The session's jobs (see ``client.sessions.jobs``)."""
        return self._ibm.sessions.jobs(self.id, **kwargs)

    def watch_jobs(self, job_ids: Sequence[str] = (), **kwargs: Any) -> WatchGroup[Job]:
        """Follow jobs of this session with one listing request a tick."""
        return self._ibm.jobs.watch_many(job_ids, session_id=self.id, **kwargs)

    async def get(self) -> Session:
        """The session's current state."""
        return await self._ibm.sessions.get(self.id)

    async def details(self) -> SessionDetails:
        """The session's extended details."""
        return await self._ibm.sessions.details(self.id)

    async def close(self) -> None:
        """Stop accepting jobs now (queued jobs still run)."""
        await self._ibm.sessions.close(self.id)

    async def cancel(self) -> None:
        """Cancel the session now, with its queued jobs."""
        await self._ibm.sessions.cancel(self.id)
