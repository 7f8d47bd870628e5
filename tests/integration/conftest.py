"""Integration fixtures: the SDK talks real HTTP to the emulator on 127.0.0.1.

The plugin's session-wide emulator (``qruntime_emulator``, ``ibm_client``, ``scaleway_client``)
runs here with a fast virtual clock; tests that need their own settings start an
:class:`~qruntime_async.emulator.Emulator` of their own in the test's event loop. The shared
emulator lives in another thread, so it is driven through its HTTP control routes (``control``)
rather than by calling its methods.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from qruntime_async import IBMRuntimeClient, PollPolicy, RetryPolicy, ScalewayQaaSClient
from qruntime_async._submit import IDEMPOTENCY_TAG_PREFIX
from qruntime_async.emulator import Emulator, EmulatorConfig

#: 200 virtual seconds a real second: a job on the default IBM backend ends in ~40 ms.
SPEED = 200.0

#: Polls fast enough to see every state the emulator goes through at this speed.
FAST = PollPolicy(interval=0.02, max_interval=0.2, min_interval=0.01)
#: Polls faster still, for states that last only a few hundred milliseconds.
VERY_FAST = PollPolicy(interval=0.01, max_interval=0.03, min_interval=0.005, multiplier=1.2)
#: Small backoff so that retried calls do not slow the suite down.
QUICK_RETRY = RetryPolicy(backoff_initial=0.01, backoff_max=0.05, max_retries=6)

BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
    "h q[0];\ncx q[0],q[1];\nmeasure q[0] -> c[0];\nmeasure q[1] -> c[1];\n"
)
#: Reads as OpenQASM but names a qubit the circuit does not have.
BROKEN_QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nh q[3];\n'


def user_tags(tags: list[str] | None) -> list[str]:
    """The tags a user gave, without the SDK's reserved idempotency tag."""
    return [tag for tag in tags or () if not tag.startswith(IDEMPOTENCY_TAG_PREFIX)]


def sampler_params(shots: int = 100, circuit: str = BELL) -> dict[str, Any]:
    """Sampler V2 parameters running ``circuit`` once with ``shots`` shots."""
    return {"pubs": [[circuit, None, shots]], "version": 2}


def ibm_for(emu: Emulator, token: str | None = None, **kwargs: Any) -> IBMRuntimeClient:
    """An IBM client of ``emu`` (default user and instance unless told otherwise)."""
    kwargs.setdefault("instance", emu.ibm_instance)
    return IBMRuntimeClient(token=token or emu.ibm_token, base_url=emu.ibm_url, **kwargs)


def scaleway_for(emu: Emulator, secret_key: str | None = None, **kwargs: Any) -> ScalewayQaaSClient:
    """A Scaleway client of ``emu`` (default project unless told otherwise)."""
    kwargs.setdefault("project_id", emu.scaleway_project_id)
    return ScalewayQaaSClient(
        secret_key=secret_key or emu.scaleway_secret_key, base_url=emu.scaleway_url, **kwargs
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    marker = pytest.mark.integration
    for item in items:
        if "tests/integration/" in item.nodeid.replace("\\", "/"):
            item.add_marker(marker)


@pytest.fixture(scope="session")
def qruntime_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(speed=SPEED, seed=2024)


class Control:
    """The emulator's ``/_emulator`` control routes, over HTTP (safe from any thread)."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self._url = url + "/_emulator"
        self._session = session

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        async with self._session.request(method, self._url + path, json=body) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/stats")
        return result

    async def clock(self, *, speed: float | None = None, advance: float | None = None) -> float:
        """Change the virtual clock; returns the virtual time (POSIX seconds)."""
        body: dict[str, float] = {}
        if speed is not None:
            body["speed"] = speed
        if advance is not None:
            body["advance"] = advance
        answer = await self._call("POST" if body else "GET", "/clock", body or None)
        return float(answer["epoch"])


@pytest.fixture
async def control(qruntime_emulator: Emulator) -> AsyncIterator[Control]:
    async with aiohttp.ClientSession() as session:
        yield Control(qruntime_emulator.url, session)
