"""Scaleway QaaS sessions: a time on one platform during which jobs run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from .. import _validate as v
from .._paging import AsyncPager
from .._polling import PollPolicy, WatchGroup, wait, watch
from .._submit import new_idempotency_key
from ..errors import APIStatusError, SessionStoppedError
from .jobs import duration, parameters_text
from .models import (
    BookingDemand,
    CreateSessionRequest,
    Job,
    JobCircuit,
    ListSessionsOrderBy,
    ListSessionsResponse,
    Session,
    SessionStatus,
    UpdateSessionRequest,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from .client import ScalewayQaaSClient

__all__ = ["Sessions", "SessionContext", "SessionStoppedError", "session_is_final"]

logger = logging.getLogger("qruntime_async")

_ORDERS = frozenset(o.value for o in ListSessionsOrderBy)
_UNTIL = frozenset({"running", "stopped"})
# Once a session stops (or starts stopping) it never runs again.
_ENDED = frozenset({SessionStatus.STOPPING.value, SessionStatus.STOPPED.value})
# A terminate sent while leaving a block must not hang the caller forever.
_TERMINATE_TIMEOUT = 30.0
# Answers to terminate meaning the session is already gone or ending.
_ALREADY_ENDED_STATUSES = frozenset({404, 409, 410, 412})


def session_is_final(session: Session) -> bool:
    """``stopped``."""
    return session.is_final


def _is_running_or_ended(session: Session) -> bool:
    return session.status == SessionStatus.RUNNING or session.status in _ENDED


def _is_final_for(until: str) -> Callable[[Session], bool]:
    return session_is_final if until == "stopped" else _is_running_or_ended


def _stopped_error(session: Session) -> SessionStoppedError:
    reason = f": {session.progress_message}" if session.progress_message else ""
    return SessionStoppedError(
        f"session {session.id} is {session.status} instead of running{reason}", session=session
    )


class Sessions:
    """``client.sessions``: QaaS sessions (a dedicated time on one platform)."""

    def __init__(self, client: ScalewayQaaSClient) -> None:
        self._client = client

    def _create_body(
        self,
        platform_id: str,
        *,
        name: str | None = None,
        max_idle_duration: float | timedelta | None = None,
        max_duration: float | timedelta | None = None,
        tags: Sequence[str] | None = None,
        deduplication_id: str | None = None,
        model_id: str | None = None,
        parameters: Mapping[str, Any] | str | None = None,
        booking_demand: BookingDemand | None = None,
        project_id: str | None = None,
    ) -> CreateSessionRequest:
        if booking_demand is not None and not isinstance(booking_demand, BookingDemand):
            raise TypeError(
                f"booking_demand must be a BookingDemand, got {type(booking_demand).__name__}"
            )
        return CreateSessionRequest(
            project_id=self._client._project(project_id, what="creating a session"),
            platform_id=v.resource_id("platform_id", platform_id),
            name=v.optional_str("name", name),
            max_idle_duration=duration("max_idle_duration", max_idle_duration),
            max_duration=duration("max_duration", max_duration),
            tags=v.string_list("tags", tags) if tags is not None else None,
            deduplication_id=v.optional_str("deduplication_id", deduplication_id),
            booking_demand=booking_demand,
            model_id=v.resource_id("model_id", model_id) if model_id is not None else None,
            parameters=parameters_text("parameters", parameters),
        )

    async def create(
        self,
        platform_id: str,
        *,
        name: str | None = None,
        max_idle_duration: float | timedelta | None = None,
        max_duration: float | timedelta | None = None,
        tags: Sequence[str] | None = None,
        deduplication_id: str | None = None,
        model_id: str | None = None,
        parameters: Mapping[str, Any] | str | None = None,
        booking_demand: BookingDemand | None = None,
        project_id: str | None = None,
    ) -> Session:
        """``POST /sessions``: open a session on ``platform_id`` (it starts as ``starting``).

        Durations are seconds or timedeltas, sent as ``"600s"``. ``parameters`` (a mapping) is
        sent as the JSON string the API expects. The project defaults to the client's.

        Every create carries a ``deduplication_id`` (random unless given): the service answers a
        repeated create with the same session, so a create whose answer was lost is retried
        safely instead of leaving a second, billed session behind.
        """
        body = self._create_body(
            platform_id,
            name=name,
            max_idle_duration=max_idle_duration,
            max_duration=max_duration,
            tags=tags,
            deduplication_id=(
                deduplication_id if deduplication_id is not None else new_idempotency_key()
            ),
            model_id=model_id,
            parameters=parameters,
            booking_demand=booking_demand,
            project_id=project_id,
        )
        return await self._client._call(
            "POST",
            "/sessions",
            json=body,
            idempotent=True,
            cast_to=Session,
        )

    async def get(self, session_id: str) -> Session:
        """``GET /sessions/{id}``."""
        return await self._client._call(
            "GET",
            "/sessions/{session_id}",
            path_params={"session_id": v.resource_id("session_id", session_id)},
            cast_to=Session,
        )

    def list(
        self,
        *,
        platform_id: str | None = None,
        tags: Sequence[str] | None = None,
        order_by: str | None = None,
        project_id: str | None = None,
        page_size: int = 50,
        limit: int | None = None,
        page_token: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncPager[Session]:
        """``GET /sessions``: the sessions of a project (default: the client's), paged.

        ``order_by`` is one of :class:`ListSessionsOrderBy` (server default ``name_asc``).
        """
        filters: dict[str, Any] = {
            "project_id": self._client._project(project_id, what="listing sessions")
        }
        if platform_id is not None:
            filters["platform_id"] = v.resource_id("platform_id", platform_id)
        if tags is not None:
            filters["tags"] = v.string_list("tags", tags)
        if order_by is not None:
            filters["order_by"] = v.choice("order_by", order_by, _ORDERS)
        return self._client._page_pager(
            "/sessions",
            cast_to=ListSessionsResponse,
            items=lambda page: page.sessions,
            filters=filters,
            page_size=page_size,
            limit=limit,
            page_token=page_token,
            read_ahead=read_ahead,
        )

    async def update(
        self,
        session_id: str,
        *,
        name: str | None = None,
        max_idle_duration: float | timedelta | None = None,
        max_duration: float | timedelta | None = None,
        tags: Sequence[str] | None = None,
    ) -> Session:
        """``PATCH /sessions/{id}``: change the name, durations or tags; returns the session."""
        body = UpdateSessionRequest(
            name=v.optional_str("name", name),
            max_idle_duration=duration("max_idle_duration", max_idle_duration),
            max_duration=duration("max_duration", max_duration),
            tags=v.string_list("tags", tags) if tags is not None else None,
        )
        return await self._client._call(
            "PATCH",
            "/sessions/{session_id}",
            path_params={"session_id": v.resource_id("session_id", session_id)},
            json=body,
            cast_to=Session,
        )

    async def delete(self, session_id: str) -> None:
        """``DELETE /sessions/{id}``: delete the session with its jobs."""
        await self._client._call_no_content(
            "DELETE",
            "/sessions/{session_id}",
            path_params={"session_id": v.resource_id("session_id", session_id)},
        )

    async def terminate(self, session_id: str) -> Session:
        """``POST /sessions/{id}/terminate``: stop the session and cancel its jobs.

        Returns the session, usually ``stopping``; :meth:`wait` until ``stopped`` if needed.
        """
        return await self._client._call(
            "POST",
            "/sessions/{session_id}/terminate",
            path_params={"session_id": v.resource_id("session_id", session_id)},
            json={},
            # Terminating twice has the same effect as terminating once.
            idempotent=True,
            cast_to=Session,
        )

    def watch(
        self,
        session_id: str,
        *,
        until: str = "stopped",
        fields: Sequence[str] = ("status",),
        policy: PollPolicy | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[Session, None]:
        """Yield the session when first seen and on every change of ``fields``.

        Iteration ends once it is stopped (``until="stopped"``), or once it runs or stops
        (``until="running"``). ``timeout`` raises WaitTimeoutError carrying the last state.
        """
        sid = v.resource_id("session_id", session_id)
        chosen = v.choice("until", until, _UNTIL)
        return watch(
            lambda: self.get(sid),
            is_final=_is_final_for(chosen),
            fields=fields,
            policy=policy,
            timeout=timeout,
            resource_id=sid,
            sleep=self._client._sleep,
        )

    async def wait(
        self,
        session_id: str,
        *,
        until: str = "stopped",
        timeout: float | None = None,
        policy: PollPolicy | None = None,
    ) -> Session:
        """Poll until the session is stopped (``until="stopped"``) or runs (``"running"``).

        With ``until="running"`` a session that stops (or begins stopping) instead raises
        :class:`SessionStoppedError`. ``timeout`` raises WaitTimeoutError with the last state.
        """
        sid = v.resource_id("session_id", session_id)
        chosen = v.choice("until", until, _UNTIL)
        session = await wait(
            lambda: self.get(sid),
            is_final=_is_final_for(chosen),
            policy=policy,
            timeout=timeout,
            resource_id=sid,
            sleep=self._client._sleep,
        )
        if chosen == "running" and session.status != SessionStatus.RUNNING:
            raise _stopped_error(session)
        return session


class SessionContext:
    """A running session used as ``async with client.session(platform_id=...) as s:``.

    Entering creates the session and waits until it runs. Jobs submitted with :meth:`submit`
    run in it. Leaving the block terminates the session, also when the block raises or is
    cancelled (a failure to terminate then is logged, and the block's own error propagates).
    """

    def __init__(
        self,
        client: ScalewayQaaSClient,
        *,
        platform_id: str,
        create_kwargs: Mapping[str, Any],
        start_timeout: float | None = None,
        policy: PollPolicy | None = None,
    ) -> None:
        self._client = client
        self.platform_id = platform_id
        self._create_kwargs = dict(create_kwargs)
        self._start_timeout = start_timeout
        self._policy = policy
        self._id: str | None = None
        #: The last state of the session seen by this handle.
        self.session: Session | None = None

    @property
    def id(self) -> str:
        """The session id (available inside the ``async with`` block)."""
        if self._id is None:
            raise RuntimeError("the session is not open yet: use it inside `async with`")
        return self._id

    def __repr__(self) -> str:
        status = self.session.status if self.session is not None else None
        return (
            f"SessionContext(id={self._id!r}, platform_id={self.platform_id!r}, status={status!r})"
        )

    async def __aenter__(self) -> SessionContext:
        if self._id is not None:
            raise RuntimeError("this session context was already entered; create a new one")
        created = await self._client.sessions.create(self.platform_id, **self._create_kwargs)
        self._id = created.id
        self.session = created
        try:
            self.session = await self._client.sessions.wait(
                created.id, until="running", timeout=self._start_timeout, policy=self._policy
            )
        except SessionStoppedError as error:
            self.session = error.session
            raise
        except BaseException:
            # The block will not run, so __aexit__ will not: do not leave the session behind.
            await self._terminate_quietly()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._id is None:
            return
        if exc_type is not None:
            await self._terminate_quietly()
            return
        # Shielded so that a cancellation arriving now cannot leave the session running.
        with anyio.move_on_after(_TERMINATE_TIMEOUT, shield=True) as scope:
            await self._terminate_on_exit()
        if scope.cancelled_caught:
            logger.warning(
                "session %s: no answer to terminate within %g s", self._id, _TERMINATE_TIMEOUT
            )

    async def _terminate_on_exit(self) -> None:
        if self.session is not None and self.session.status in _ENDED:
            return
        if self._client.closed:
            logger.warning("session %s not terminated: the client is closed", self._id)
            return
        try:
            self.session = await self._client.sessions.terminate(self.id)
        except APIStatusError as error:
            # Gone, or already stopping: what terminating was for is done.
            if error.status not in _ALREADY_ENDED_STATUSES:
                raise
            logger.debug("session %s: terminate answered %d", self._id, error.status)

    async def _terminate_quietly(self) -> None:
        # Shielded: a cancelled block must still stop the session it was using.
        with anyio.move_on_after(_TERMINATE_TIMEOUT, shield=True):
            try:
                await self._terminate_on_exit()
            except Exception as error:
                logger.warning("session %s could not be terminated: %s", self._id, error)

    async def submit(self, circuit: str | JobCircuit | None = None, **kwargs: Any) -> Job:
        """Create a job in this session (same arguments as ``client.jobs.create``)."""
        return await self._client.jobs.create(self.id, circuit, **kwargs)

    def jobs(self, **kwargs: Any) -> AsyncPager[Job]:
        """The session's jobs (see ``client.jobs.list``)."""
        return self._client.jobs.list(session_id=self.id, **kwargs)

    def watch_jobs(self, job_ids: Iterable[str] = (), **kwargs: Any) -> WatchGroup[Job]:
        """Follow jobs of this session with one listing request a tick."""
        return self._client.jobs.watch_many(job_ids, session_id=self.id, **kwargs)

    async def get(self) -> Session:
        """The session's current state."""
        self.session = await self._client.sessions.get(self.id)
        return self.session

    async def terminate(self) -> Session:
        """Terminate the session now (leaving the block then does nothing more harmful)."""
        self.session = await self._client.sessions.terminate(self.id)
        return self.session
