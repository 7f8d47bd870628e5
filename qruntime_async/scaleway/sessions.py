"""Scaleway QaaS sessions: a time on one platform during which jobs run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from .. import _constants as C
from .. import _validate as v
from .._paging import AsyncPager
from .._polling import PollPolicy, WatchGroup
from .._resource import APIResource, Watchable
from .._session_block import SessionBlock
from .._submit import new_idempotency_key
from ..errors import APIStatusError, SessionStoppedError, WaitTimeoutError
from .jobs import duration, parameters_text
from .models import (
    BookingDemand,
    CreateSessionRequest,
    Job,
    JobCircuit,
    ListSessionsOrderBy,
    ListSessionsResponse,
    Platform,
    Session,
    SessionStatus,
    UpdateSessionRequest,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from .client import ScalewayQaaSClient

__all__ = ["Sessions", "SessionContext", "SessionStoppedError", "session_is_final"]

logger = logging.getLogger("qruntime_async")

#: How ``GET /sessions`` orders sessions (the values of :class:`ListSessionsOrderBy`).
SessionOrder = Literal[
    "name_asc",
    "name_desc",
    "started_at_asc",
    "started_at_desc",
    "status_asc",
    "status_desc",
]
#: What :meth:`Sessions.wait` waits for: the session to run, or to stop.
Until = Literal["running", "stopped"]
_ORDERS = frozenset(o.value for o in ListSessionsOrderBy)
_UNTIL = frozenset({"running", "stopped"})
# Once a session stops (or starts stopping) it never runs again.
_ENDED = frozenset({SessionStatus.STOPPING.value, SessionStatus.STOPPED.value})
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


class Sessions(APIResource["ScalewayQaaSClient"]):
    """``client.sessions``: QaaS sessions (a dedicated time on one platform)."""

    def __init__(self, client: ScalewayQaaSClient) -> None:
        super().__init__(client)
        self._watchable = Watchable(
            get=self.get,
            is_final=session_is_final,
            fields=("status",),
            sleep=client._sleep,
            id_name="session_id",
        )

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
        return await self._post("/sessions", json=body, idempotent=True, cast_to=Session)

    async def get(self, session_id: str) -> Session:
        """``GET /sessions/{id}``."""
        return await self._get(
            "/sessions/{session_id}", path_params={"session_id": session_id}, cast_to=Session
        )

    def list(
        self,
        *,
        platform_id: str | None = None,
        tags: Sequence[str] | None = None,
        order_by: SessionOrder | None = None,
        project_id: str | None = None,
        page_size: int = C.DEFAULT_PAGE_SIZE,
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
        return self._list(
            "/sessions",
            ListSessionsResponse,
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
        return await self._patch(
            "/sessions/{session_id}",
            path_params={"session_id": session_id},
            json=body,
            cast_to=Session,
        )

    async def delete(self, session_id: str) -> None:
        """``DELETE /sessions/{id}``: delete the session with its jobs."""
        await self._delete("/sessions/{session_id}", path_params={"session_id": session_id})

    async def terminate(self, session_id: str) -> Session:
        """``POST /sessions/{id}/terminate``: stop the session and cancel its jobs.

        Returns the session, usually ``stopping``; :meth:`wait` until ``stopped`` if needed.
        """
        return await self._post(
            "/sessions/{session_id}/terminate",
            path_params={"session_id": session_id},
            json={},
            # Terminating twice has the same effect as terminating once.
            idempotent=True,
            cast_to=Session,
        )

    def watch(
        self,
        session_id: str,
        *,
        until: Until = "stopped",
        fields: Sequence[str] = ("status",),
        policy: PollPolicy | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[Session, None]:
        """Yield the session when first seen and on every change of ``fields``.

        Iteration ends once it is stopped (``until="stopped"``), or once it runs or stops
        (``until="running"``). ``timeout`` raises WaitTimeoutError carrying the last state.
        """
        chosen = v.choice("until", until, _UNTIL)
        return self._watchable.watch(
            session_id,
            fields=fields,
            policy=policy,
            timeout=timeout,
            is_final=_is_final_for(chosen),
        )

    async def wait(
        self,
        session_id: str,
        *,
        until: Until = "stopped",
        timeout: float | None = None,
        policy: PollPolicy | None = None,
    ) -> Session:
        """Poll until the session is stopped (``until="stopped"``) or runs (``"running"``).

        With ``until="running"`` a session that stops (or begins stopping) instead raises
        :class:`SessionStoppedError`. ``timeout`` raises WaitTimeoutError with the last state.
        """
        chosen = v.choice("until", until, _UNTIL)
        session = await self._watchable.wait(
            session_id, policy=policy, timeout=timeout, is_final=_is_final_for(chosen)
        )
        if chosen == "running" and session.status != SessionStatus.RUNNING:
            raise _stopped_error(session)
        return session


class SessionContext(SessionBlock):
    """A running session used as ``async with client.session(platform_id=...) as s:``.

    Entering creates the session and waits until it runs. Jobs submitted with :meth:`submit`
    run in it. On a normal exit the block stops taking jobs, waits for the jobs submitted in it
    to finish (``drain_timeout`` seconds at most; None: no bound), then terminates the session.
    When the block raises or is cancelled, the session is terminated at once, which cancels its
    jobs (a failure to terminate then is logged, and the block's own error propagates).
    Terminating is shielded from cancellation and bounded by ``cleanup_timeout`` seconds.
    """

    def __init__(
        self,
        client: ScalewayQaaSClient,
        *,
        platform_id: str,
        create_kwargs: Mapping[str, Any],
        start_timeout: float | None = None,
        policy: PollPolicy | None = None,
        cleanup_timeout: float = C.SESSION_CLEANUP_TIMEOUT,
        drain_timeout: float | None = C.SESSION_DRAIN_TIMEOUT,
    ) -> None:
        super().__init__(client, cleanup_timeout=cleanup_timeout, drain_timeout=drain_timeout)
        self._scw = client
        self.platform_id = platform_id
        self._create_kwargs = dict(create_kwargs)
        self._start_timeout = start_timeout
        self._policy = policy
        #: The last state of the session seen by this handle.
        self.session: Session | None = None
        self._platform: Platform | None = None
        self._submitted: list[str] = []

    _abort_action = "terminate"

    def _describe(self) -> dict[str, Any]:
        status = self.session.status if self.session is not None else None
        return {"id": self._id, "platform_id": self.platform_id, "status": status}

    async def _open(self) -> str:
        created = await self._scw.sessions.create(self.platform_id, **self._create_kwargs)
        self.session = created
        return created.id

    async def _ready(self) -> None:
        try:
            self.session = await self._scw.sessions.wait(
                self.id, until="running", timeout=self._start_timeout, policy=self._policy
            )
        except SessionStoppedError as error:
            self.session = error.session
            raise

    async def _drain(self) -> None:
        if not self._submitted:
            return
        group = self._scw.jobs.watch_many(
            self._submitted, session_id=self.id, timeout=self.drain_timeout, policy=self._policy
        )
        try:
            async with group:
                async for _ in group:
                    pass
        except WaitTimeoutError as error:
            left = len(error.last) if isinstance(error.last, Mapping) else "some"
            logger.warning(
                "session %s: %s job(s) still unfinished after %g s; terminating cancels them",
                self._id,
                left,
                self.drain_timeout,
            )

    async def _finish(self) -> None:
        await self._terminate()

    async def _abort(self, error: BaseException) -> None:
        await self._terminate()

    async def _terminate(self) -> None:
        if self.session is not None and self.session.status in _ENDED:
            return
        try:
            self.session = await self._scw.sessions.terminate(self.id)
        except APIStatusError as error:
            # Gone, or already stopping: what terminating was for is done.
            if error.status not in _ALREADY_ENDED_STATUSES:
                raise
            logger.debug("session %s: terminate answered %d", self._id, error.status)

    async def submit(
        self,
        circuit: str | JobCircuit | Sequence[str] | None = None,
        *,
        shots: int | None = None,
        **kwargs: Any,
    ) -> Job:
        """Create a job in this session.

        With ``shots``, the circuit (or a list of circuits) is sent as a computation model, as
        the official provider does (same arguments as ``client.jobs.submit``; the session's
        platform is looked up once per block). Without it, the job carries ``circuit`` itself
        (same arguments as ``client.jobs.create``).
        """
        self._check_open()
        if shots is None:
            if not (circuit is None or isinstance(circuit, (str, JobCircuit))):
                raise TypeError("a list of circuits needs shots=... (it is sent as a model)")
            job = await self._scw.jobs.create(self._check_open(), circuit, **kwargs)
            self._submitted.append(job.id)
            return job
        if circuit is None or isinstance(circuit, JobCircuit):
            raise TypeError("with shots=..., give OpenQASM text or a list of it")
        if "platform" not in kwargs:
            if self._platform is None:
                self._platform = await self._scw.platforms.get(self.platform_id)
            kwargs["platform"] = self._platform
        job = await self._scw.jobs.submit(self._check_open(), circuit, shots=shots, **kwargs)
        self._submitted.append(job.id)
        return job

    def jobs(self, **kwargs: Any) -> AsyncPager[Job]:
        """The session's jobs (see ``client.jobs.list``)."""
        return self._scw.jobs.list(session_id=self.id, **kwargs)

    def watch_jobs(self, job_ids: Iterable[str] = (), **kwargs: Any) -> WatchGroup[Job]:
        """Follow jobs of this session with one listing request a tick."""
        return self._scw.jobs.watch_many(job_ids, session_id=self.id, **kwargs)

    async def get(self) -> Session:
        """The session's current state."""
        self.session = await self._scw.sessions.get(self.id)
        return self.session

    async def terminate(self) -> Session:
        """Terminate the session now (leaving the block then does nothing more harmful)."""
        self.session = await self._scw.sessions.terminate(self.id)
        return self.session
