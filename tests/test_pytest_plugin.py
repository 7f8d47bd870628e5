"""The pytest plugin, as a user's project sees it: fixtures in strict and auto mode."""

from __future__ import annotations

import pytest

USER_TESTS = """
import pytest
from qruntime_async.emulator import EmulatorConfig

@pytest.fixture(scope="session")
def qruntime_emulator_config():
    return EmulatorConfig(speed=500)

BELL = (
    'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; '
    "h q[0]; cx q[0],q[1]; measure q -> c;"
)

@pytest.mark.asyncio
async def test_ibm_job_runs(ibm_client, qruntime_emulator):
    job = await ibm_client.jobs.submit(
        "sampler", backend=qruntime_emulator.ibm_backend, params={"pubs": [[BELL, None, 100]]}
    )
    assert (await ibm_client.jobs.wait(job.id, timeout=30)).status == "Completed"

@pytest.mark.asyncio
async def test_state_is_reset_between_tests(ibm_client):
    assert [job async for job in ibm_client.jobs.list()] == []

@pytest.mark.asyncio
async def test_scaleway_platforms(scaleway_client):
    assert [p async for p in scaleway_client.platforms.list()]
"""


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_fixtures_work_in_a_users_project(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makeini(
        f"[pytest]\nasyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
