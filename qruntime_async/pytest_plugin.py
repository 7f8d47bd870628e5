"""pytest fixtures to test your own code against the local emulator of both services.

Installed with the package (entry point ``pytest11``), so the fixtures are available in any
project that has ``qruntime-async`` installed:

* ``qruntime_emulator``: a running emulator (one server for the whole test session, on a free
  loopback port, in a background thread so that it serves every test's event loop); its state
  (jobs, sessions, counters, faults) is reset before each test.
* ``ibm_client``: an :class:`~qruntime_async.IBMRuntimeClient` connected to it.
* ``scaleway_client``: a :class:`~qruntime_async.ScalewayQaaSClient` connected to it.

Override ``qruntime_emulator_config`` (session scope) to change the emulator's settings, e.g. a
higher ``speed`` so jobs finish sooner. The client fixtures are async: they need pytest-asyncio
(either mode) or anyio's pytest plugin.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from .emulator import Emulator, EmulatorConfig
    from .ibm import IBMRuntimeClient
    from .scaleway import ScalewayQaaSClient

__all__ = ["EmulatorThread"]

T = TypeVar("T")

F = TypeVar("F", bound=Callable[..., Any])

try:
    # pytest-asyncio runs these fixtures in either of its modes (strict needs its decorator).
    import pytest_asyncio

    _fixture: Any = pytest_asyncio.fixture
except ImportError:  # e.g. with anyio's pytest plugin, which runs plain async fixtures
    _fixture = pytest.fixture


def _async_fixture(func: F) -> F:
    result: F = _fixture(func)
    return result


class EmulatorThread:
    """An :class:`~qruntime_async.emulator.Emulator` running in its own thread and event loop.

    Works from synchronous code and from any event loop: ``start()``, ``stop()``, and
    :meth:`call` to run a coroutine function against the emulator on its own loop.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self._config = config
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._emulator: Emulator | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def emulator(self) -> Emulator:
        """The running emulator (its URLs and credentials are safe to read from any thread)."""
        if self._emulator is None:
            raise RuntimeError("the emulator is not running")
        return self._emulator

    def start(self, timeout: float = 30.0) -> EmulatorThread:
        """Start the server and wait until it listens."""
        self._thread = threading.Thread(target=self._main, name="qruntime-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the emulator did not start in time")
        if self._error is not None:
            raise RuntimeError("the emulator failed to start") from self._error
        return self

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        from .emulator import Emulator

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with Emulator(self._config) as emulator:
                self._emulator = emulator
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    def call(self, func: Callable[[Emulator], Coroutine[Any, Any, T] | T]) -> T:
        """Run ``func(emulator)`` on the emulator's loop and return its result."""
        if self._loop is None or self._emulator is None:
            raise RuntimeError("the emulator is not running")
        emulator = self._emulator

        async def run() -> T:
            result = func(emulator)
            if asyncio.iscoroutine(result):
                return await result
            return result

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(30)

    def reset(self) -> None:
        """Forget every job, session and counter; restore the configured faults and speed."""

        def restore(emulator: Emulator) -> None:
            emulator.set_faults(emulator.config.faults)
            emulator.set_speed(emulator.config.speed)
            emulator.reset()

        self.call(restore)

    def stop(self) -> None:
        """Stop the server and join its thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(30)
        self._emulator = None

    def __enter__(self) -> EmulatorThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def qruntime_emulator_config() -> EmulatorConfig | None:
    """The emulator's configuration (None: the defaults). Override it in your conftest."""
    return None


@pytest.fixture(scope="session")
def _qruntime_emulator_server(
    qruntime_emulator_config: EmulatorConfig | None,
) -> Iterator[EmulatorThread]:
    with EmulatorThread(qruntime_emulator_config) as server:
        yield server


@pytest.fixture
def qruntime_emulator(_qruntime_emulator_server: EmulatorThread) -> Emulator:
    """The running emulator, with fresh state for this test."""
    _qruntime_emulator_server.reset()
    return _qruntime_emulator_server.emulator


@_async_fixture
async def ibm_client(qruntime_emulator: Emulator) -> AsyncIterator[IBMRuntimeClient]:
    """An IBM client signed in as the emulator's default user."""
    from .ibm import IBMRuntimeClient

    async with IBMRuntimeClient(
        token=qruntime_emulator.ibm_token,
        instance=qruntime_emulator.ibm_instance,
        base_url=qruntime_emulator.ibm_url,
    ) as client:
        yield client


@_async_fixture
async def scaleway_client(qruntime_emulator: Emulator) -> AsyncIterator[ScalewayQaaSClient]:
    """A Scaleway client signed in with the emulator's default project key."""
    from .scaleway import ScalewayQaaSClient

    async with ScalewayQaaSClient(
        secret_key=qruntime_emulator.scaleway_secret_key,
        project_id=qruntime_emulator.scaleway_project_id,
        base_url=qruntime_emulator.scaleway_url,
    ) as client:
        yield client
