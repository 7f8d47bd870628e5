"""The ``async with client.session(...) as s:`` block shared by both services.

Entering opens the session. Leaving stops the block from taking new jobs, then:

* on a normal exit, :meth:`SessionBlock._drain` lets the jobs submitted in the block finish
  (bounded by ``drain_timeout``), then :meth:`SessionBlock._finish` ends the session gently;
* when the block raised or was cancelled (also while draining), :meth:`SessionBlock._abort`
  ends it at once, cancelling what still runs.

Ending runs shielded from cancellation and bounded by ``cleanup_timeout``, so a cancelled block
still ends its session and a hanging server cannot hold the caller forever. A failure to end the
session after an error in the block is logged, and the block's own error propagates.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from . import _constants as C

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._transport import BaseClient

__all__ = ["SessionBlock"]

logger = logging.getLogger("qruntime_async")


class SessionBlock:
    """Base of both services' session blocks; subclasses open, finish and abort the session."""

    def __init__(
        self,
        client: BaseClient,
        *,
        cleanup_timeout: float = C.SESSION_CLEANUP_TIMEOUT,
        drain_timeout: float | None = C.SESSION_DRAIN_TIMEOUT,
    ) -> None:
        self._client = client
        self._id: str | None = None
        self._entered = False
        self._ended = False
        self.cleanup_timeout = cleanup_timeout
        self.drain_timeout = drain_timeout

    @property
    def accepting_jobs(self) -> bool:
        """True while the block runs: once it is left, :meth:`submit` is refused."""
        return self._id is not None and not self._ended

    def _check_open(self) -> str:
        if self._ended:
            raise RuntimeError(f"session {self._id} was ended with its block; open a new one")
        return self.id

    @property
    def id(self) -> str:
        """The session id (available inside the ``async with`` block)."""
        if self._id is None:
            raise RuntimeError("the session is not open yet: use it inside `async with`")
        return self._id

    async def __aenter__(self) -> Self:
        if self._entered:
            raise RuntimeError("this session block was already entered; open a new one")
        self._entered = True
        self._id = await self._open()
        try:
            await self._ready()
        except BaseException as error:
            # The block will not run, so __aexit__ will not: do not leave the session behind.
            await self._end(error)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._end(exc)

    async def _end(self, error: BaseException | None) -> None:
        if self._id is None:
            return
        self._ended = True
        if self._client.closed:
            logger.warning("session %s left open: the client was closed inside the block", self._id)
            return
        if error is None:
            try:
                await self._drain()
            except BaseException as drain_error:
                # Cancelled (or failed) while waiting for the jobs: end the session at once.
                await self._stop(drain_error)
                raise
        await self._stop(error)

    async def _stop(self, error: BaseException | None) -> None:
        with anyio.move_on_after(self.cleanup_timeout, shield=True) as scope:
            if error is None:
                await self._finish()
            else:
                try:
                    await self._abort(error)
                except Exception as cleanup_error:
                    logger.warning(
                        "could not %s session %s after an error in the block: %s",
                        self._abort_action,
                        self._id,
                        cleanup_error,
                    )
        if scope.cancelled_caught:
            logger.warning(
                "gave up ending session %s after %g s; it ends when its time limit runs out",
                self._id,
                self.cleanup_timeout,
            )

    # -- what each service does --------------------------------------------------------------
    async def _open(self) -> str:
        """Create the session and return its id."""
        raise NotImplementedError

    async def _ready(self) -> None:
        """Wait until the session takes jobs (nothing to wait for by default)."""

    async def _drain(self) -> None:
        """Wait for the jobs submitted in the block (nothing to wait for by default)."""

    async def _finish(self) -> None:
        """End the session after a normal exit of the block."""
        raise NotImplementedError

    async def _abort(self, error: BaseException) -> None:
        """End the session after the block raised ``error`` (or was cancelled)."""
        raise NotImplementedError

    @property
    def _abort_action(self) -> str:
        """What :meth:`_abort` does to the session, as a verb for log messages."""
        return "end"

    def _describe(self) -> dict[str, Any]:
        return {"id": self._id}

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self._describe().items())
        return f"{type(self).__name__}({fields})"
