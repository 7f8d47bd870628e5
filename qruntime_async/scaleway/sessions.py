"""Scaleway QaaS sessions: a time on one platform during which jobs run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from .. import _constants as C
from .. import _validate as v
from .._paging import AsyncPager
from .._poll_policy import PollPolicy
from .._resource import APIResource, Watchable
from .._submit import new_idempotency_key
from ..errors import SessionStoppedError
from ._job_inputs import duration, parameters_text
from ._session_context import _ENDED, SessionContext
from .models import (
    BookingDemand,
    CreateSessionRequest,
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

#: How ``GET /sessions`` orders sessions (the values of :class:`ListSessionsOrderBy`).
SessionOrder = Literal[
    "name_asc",
    "name_desc",
    "started_at_asc",
    "started_at_desc",
    "status_asc",
    "status_desc",
    "created_at_asc",
    "created_at_desc",
]
#: What :meth:`Sessions.wait` waits for: the session to run, or to stop.
Until = Literal["running", "stopped"]
_ORDERS = frozenset(o.value for o in ListSessionsOrderBy)
_UNTIL = frozenset({"running", "stopped"})
_WATCH_FIELDS = ("status",)


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
            fields=_WATCH_FIELDS,
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
        order_by: SessionOrder | ListSessionsOrderBy | None = None,
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
        fields: Sequence[str] = _WATCH_FIELDS,
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
