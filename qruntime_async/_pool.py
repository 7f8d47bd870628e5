"""The connection pool of a client: created lazily in the running loop, moved between loops,
released when its loop is gone, and a warning for a client that was never closed."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from types import FrameType, TracebackType
from typing import Any, TypeVar

import aiohttp
import anyio

from ._config import ClientOptions
from ._deadlines import Deadlines, TimedConnector
from ._retry import RetryPolicy
from .errors import ClientClosedError, RateLimitError

__all__ = ["PoolOwner", "Shared", "caller", "release"]

OwnerT = TypeVar("OwnerT", bound="PoolOwner")

_PACKAGE = __name__.split(".")[0]


class Shared:
    """State shared by a client and every copy made by ``with_options``."""

    def __init__(self, options: ClientOptions, owner: str) -> None:
        self.session = options.session
        self.owns_session = options.session is None
        self.options = options
        self.closed = False
        self.closed_event: asyncio.Event | None = None
        # The loop the pool (and the closed event) belong to.
        self.loop: asyncio.AbstractEventLoop | None = None
        # Monotonic time before which no request is sent (a 429's Retry-After, client-wide).
        self.paused_until = 0.0
        #: "IBMRuntimeClient created at file:line", for the warning of a client never closed.
        self.owner = owner
        #: The time limits of the attempts in flight, on ``loop``.
        self.deadlines: Deadlines | None = None

    def __del__(self) -> None:
        session = self.session
        if self.closed or not self.owns_session or session is None or session.closed:
            return
        warnings.warn(
            f"{self.owner} was never closed; use `async with` or `await client.aclose()`",
            ResourceWarning,
            stacklevel=1,
        )

    def rebind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Leave the pool of another (usually closed) event loop behind for one in ``loop``.

        A pool belongs to the loop it was made in; a client used under successive
        ``asyncio.run()`` calls, per-test loops or notebook cells gets a new one. What can be
        released of the old one (its sockets) is released.
        """
        old = self.session
        if old is not None and self.owns_session:
            self.session = None
            release(old)
        if self.deadlines is not None:
            self.deadlines.close()
        # A session of the caller's keeps aiohttp's own timeouts; the client's own pool tells
        # the deadline table when each attempt has its connection.
        self.deadlines = Deadlines(loop) if self.options.session is None else None
        self.closed_event = None
        self.loop = loop

    def make_connector(self) -> aiohttp.BaseConnector:
        limits = self.options.limits
        assert self.deadlines is not None
        return TimedConnector(
            limit=limits.pool_size,
            limit_per_host=limits.pool_size_per_host,
            keepalive_timeout=limits.keepalive_timeout,
            ssl=self.options.ssl,
            deadlines=self.deadlines,
        )

    def session_for(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        """The pool of ``loop``, made (or made anew, after a change of loop) when needed."""
        if self.loop is not loop:
            self.rebind(loop)
        session = self.session
        if session is None:
            # Created here, inside the running loop, never at construction time.
            session = aiohttp.ClientSession(
                connector=self.make_connector(),
                trace_configs=self.options.trace_configs,
                # Headers are set per request; nothing carries over between requests.
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
            )
            self.session = session
            self.owns_session = True
        if self.closed_event is None:
            self.closed_event = asyncio.Event()
        return session


class PoolOwner:
    """The lifecycle half of a client: its pool, closing it, and waits that closing ends.

    ``async with`` and :meth:`aclose`; the pool of the running loop (:meth:`_session`); the
    client-wide pause after a 429 and sleeps that end with ClientClosedError when the client
    is closed meanwhile.
    """

    _shared: Shared

    # -- lifecycle -----------------------------------------------------------------------------
    async def __aenter__(self: OwnerT) -> OwnerT:
        if self._shared.closed:
            raise ClientClosedError()
        self._session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. Idempotent; calls made afterwards raise ClientClosedError.

        A session passed in by the caller is left open: it belongs to the caller.
        """
        shared = self._shared
        if shared.closed:
            return
        shared.closed = True
        if shared.closed_event is not None:
            shared.closed_event.set()
        if shared.deadlines is not None:
            shared.deadlines.close()
        session, shared.session = shared.session, None
        if session is not None and shared.owns_session:
            if shared.loop is asyncio.get_running_loop():
                await session.close()
            else:
                # The pool belongs to another (usually closed) loop.
                release(session)

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` was called."""
        return self._shared.closed

    def _session(self) -> aiohttp.ClientSession:
        shared = self._shared
        if shared.closed:
            raise ClientClosedError()
        loop = asyncio.get_running_loop()
        session = shared.session
        if shared.loop is loop and session is not None and shared.closed_event is not None:
            return session
        return shared.session_for(loop)

    async def _until_closed(self, wait: Callable[[], Awaitable[Any]], what: str) -> None:
        """Run ``wait()``; closing the client ends it early with ClientClosedError."""
        self._session()  # also creates the closed event
        event = self._shared.closed_event
        assert event is not None
        async with anyio.create_task_group() as group:

            async def cancel_on_close() -> None:
                await event.wait()
                group.cancel_scope.cancel()

            group.start_soon(cancel_on_close)
            await wait()
            group.cancel_scope.cancel()
        if self._shared.closed:
            raise ClientClosedError(f"the client was closed while {what} was waiting")

    def _pause(self, seconds: float) -> None:
        # One 429 slows the whole client down, so concurrent tasks do not all hammer the server.
        until = time.monotonic() + seconds
        if until > self._shared.paused_until:
            self._shared.paused_until = until

    async def _wait_for_pause(self, policy: RetryPolicy, started: float) -> None:
        remaining = self._shared.paused_until - time.monotonic()
        if remaining <= 0:
            return
        past_deadline = (
            policy.deadline is not None
            and time.monotonic() - started + remaining >= policy.deadline
        )
        if past_deadline or remaining > policy.retry_after_cap:
            raise RateLimitError(
                f"the client is paused for {remaining:.2f} s by the server's rate limit, "
                "longer than this call's retry policy allows it to wait",
                status=429,
                retry_after=remaining,
            )
        await self._sleep(remaining)

    async def _sleep(self, delay: float) -> None:
        """Sleep ``delay`` seconds; closing the client ends the sleep with ClientClosedError."""
        event = self._shared.closed_event
        if event is None:
            await anyio.sleep(delay)
        else:
            with anyio.move_on_after(delay):
                await event.wait()
        if self._shared.closed:
            raise ClientClosedError("the client was closed while a call was waiting")


def caller() -> str:
    """``file:line`` of the first frame outside this package (where a client was created)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return "an unknown place"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def release(session: aiohttp.ClientSession) -> None:
    """Close what can be closed of a pool whose event loop is gone (or is another one).

    The session's ``close()`` coroutine cannot run here, and a closed loop cannot close
    transports either: the idle sockets of the pool are closed directly, then the connector is
    marked closed (so is the session).
    """
    connector = session.connector
    if connector is None or connector.closed:
        return
    for idle in list(getattr(connector, "_conns", {}).values()):
        for entry in list(idle):
            _close_socket(getattr(entry[0], "transport", None))
    with contextlib.suppress(Exception):
        connector._close()


def _close_socket(transport: Any) -> None:
    # An SSL transport wraps the socket transport underneath.
    inner = getattr(getattr(transport, "_ssl_protocol", None), "_transport", None)
    if inner is not None:
        transport = inner
    sock = getattr(transport, "_sock", None)
    if sock is None:
        return
    with contextlib.suppress(Exception):
        sock.close()
        transport._sock = None
