"""A running Scaleway session used as an ``async with`` block."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import _constants as C
from .._paging import AsyncPager
from .._poll_policy import PollPolicy
from .._session_block import SessionBlock
from .._watch_group import WatchGroup
from ..errors import APIStatusError, SessionStoppedError, WaitTimeoutError
from .models import Job, JobCircuit, Platform, Session, SessionStatus

if TYPE_CHECKING:
    from .client import ScalewayQaaSClient

__all__ = ["SessionContext"]

logger = logging.getLogger("qruntime_async")

# Once a session stops (or starts stopping) it never runs again.
_ENDED = frozenset({SessionStatus.STOPPING.value, SessionStatus.STOPPED.value})
# Answers to terminate meaning the session is already gone or ending.
_ALREADY_ENDED_STATUSES = frozenset({404, 409, 410, 412})


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
        sid = self._check_open()
        if shots is None:
            if not (circuit is None or isinstance(circuit, (str, JobCircuit))):
                raise TypeError("a list of circuits needs shots=... (it is sent as a model)")
            job = await self._scw.jobs.create(sid, circuit, **kwargs)
            self._submitted.append(job.id)
            return job
        if circuit is None or isinstance(circuit, JobCircuit):
            raise TypeError("with shots=..., give OpenQASM text or a list of it")
        if "platform" not in kwargs:
            if self._platform is None:
                self._platform = await self._scw.platforms.get(self.platform_id)
                # The block may have been left while the platform was looked up.
                sid = self._check_open()
            kwargs["platform"] = self._platform
        job = await self._scw.jobs.submit(sid, circuit, shots=shots, **kwargs)
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
