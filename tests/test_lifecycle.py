"""A client across event loops, and a client that is never closed.

The emulator runs in its own thread (a real server on 127.0.0.1), so that clients can be used
from successive event loops the way a script, a notebook or pytest uses them.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Iterator

import pytest

from qruntime_async import IBMRuntimeClient, ScalewayQaaSClient
from qruntime_async.emulator import IBM_BACKEND
from qruntime_async.pytest_plugin import EmulatorThread


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorThread]:
    thread = EmulatorThread().start()
    try:
        yield thread
    finally:
        thread.stop()


def ibm_client(server: EmulatorThread) -> IBMRuntimeClient:
    emu = server.emulator
    return IBMRuntimeClient(token=emu.ibm_token, instance=emu.ibm_instance, base_url=emu.ibm_url)


def test_a_module_level_client_works_under_successive_asyncio_runs(
    server: EmulatorThread,
) -> None:
    client = ibm_client(server)

    async def list_backends() -> list[str]:
        return (await client.backends.list()).names

    first = asyncio.run(list_backends())
    # The first loop is closed now; its pool cannot be used from the next one.
    second = asyncio.run(list_backends())
    third = asyncio.run(list_backends())
    assert IBM_BACKEND in first
    assert first == second == third
    asyncio.run(client.aclose())


def test_a_scaleway_client_also_moves_between_loops(server: EmulatorThread) -> None:
    emu = server.emulator
    client = ScalewayQaaSClient(
        secret_key=emu.scaleway_secret_key,
        project_id=emu.scaleway_project_id,
        base_url=emu.scaleway_url,
    )

    async def platforms() -> int:
        return len(await client.platforms.list().to_list())

    assert asyncio.run(platforms()) == asyncio.run(platforms()) > 0
    asyncio.run(client.aclose())


def test_a_client_never_closed_warns_naming_itself_and_where_it_was_made(
    server: EmulatorThread,
) -> None:
    async def leak() -> None:
        client = ibm_client(server)
        await client.backends.list()
        # No aclose(): the client is dropped with its pool open.

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(leak())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gc.collect()
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loop.close()
            gc.collect()
    ours = [w for w in caught if "IBMRuntimeClient created at" in str(w.message)]
    assert ours, [str(w.message) for w in caught]
    assert issubclass(ours[0].category, ResourceWarning)
    assert "test_lifecycle.py:" in str(ours[0].message)
    assert "never closed" in str(ours[0].message)


def test_a_closed_client_does_not_warn(server: EmulatorThread) -> None:
    async def use() -> None:
        async with ibm_client(server) as client:
            await client.backends.list()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(use())
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
