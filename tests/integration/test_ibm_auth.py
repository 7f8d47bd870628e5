"""IBM credentials and permissions: typed errors for 401/403/404, and the IAM API-key flow."""

from __future__ import annotations

import asyncio

import pytest

from qruntime_async import (
    AuthenticationError,
    BadRequestError,
    IBMRuntimeClient,
    NotFoundError,
    PermissionDeniedError,
)
from qruntime_async.emulator import (
    IBM_API_KEY,
    IBM_BACKEND,
    IBM_INSTANCE,
    IBM_OTHER_INSTANCE,
    IBM_OTHER_SERVICE_CRN,
    IBM_OTHER_TOKEN,
    IBM_SERVICE_CRN,
    Emulator,
    EmulatorConfig,
)
from qruntime_async.ibm import IAMAuth, JobStatus

from .conftest import FAST, SPEED, ibm_for, sampler_params

WRONG_TOKEN = "emu-ibm-token-nobody-0123456789"


async def test_a_wrong_token_is_an_authentication_error(qruntime_emulator: Emulator) -> None:
    async with ibm_for(qruntime_emulator, WRONG_TOKEN) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.jobs.list().first_page()
        error = info.value
        assert error.status == 401
        assert error.attempts == 1, "a 401 with a fixed token is not retried"
        assert WRONG_TOKEN not in str(error)
        assert WRONG_TOKEN not in repr(error)
        with pytest.raises(AuthenticationError):
            await client.sessions.create(backend=IBM_BACKEND)


async def test_another_users_job_and_session_are_not_found(
    qruntime_emulator: Emulator, ibm_client: IBMRuntimeClient
) -> None:
    async with ibm_for(qruntime_emulator, IBM_OTHER_TOKEN, instance=IBM_OTHER_INSTANCE) as bob:
        job = await bob.jobs.submit("sampler", backend=IBM_BACKEND, params=sampler_params())
        session = await bob.sessions.create(backend=IBM_BACKEND, mode="batch")
        for call in (
            ibm_client.jobs.get(job.id),
            ibm_client.jobs.cancel(job.id),
            ibm_client.jobs.results(job.id),
            ibm_client.jobs.delete(job.id),
            ibm_client.sessions.get(session.id),
            ibm_client.sessions.close(session.id),
        ):
            with pytest.raises(NotFoundError) as info:
                await call
            assert info.value.status == 404
        assert job.id not in {j.id async for j in ibm_client.jobs.list()}
        # Bob still has both, untouched.
        assert (await bob.jobs.get(job.id)).id == job.id
        assert (await bob.sessions.get(session.id)).accepting_jobs is True
        await bob.sessions.cancel(session.id)


async def test_submitting_into_another_instance_is_forbidden(
    ibm_client: IBMRuntimeClient,
) -> None:
    with pytest.raises(PermissionDeniedError) as info:
        await ibm_client.jobs.submit(
            "sampler", backend=IBM_BACKEND, params=sampler_params(), instance=IBM_OTHER_INSTANCE
        )
    assert info.value.status == 403
    with pytest.raises(PermissionDeniedError):
        await ibm_client.sessions.create(backend=IBM_BACKEND, instance=IBM_OTHER_INSTANCE)


async def test_iam_flow_exchanges_the_key_and_scopes_to_the_crn() -> None:
    async with Emulator(EmulatorConfig(speed=SPEED)) as emu:
        async with IBMRuntimeClient(
            api_key=IBM_API_KEY,
            service_crn=IBM_SERVICE_CRN,
            iam_url=emu.iam_url,
            base_url=emu.ibm_url,
        ) as client:
            assert client.uses_cloud_auth
            answer = await client.jobs.submit(
                "sampler", backend=IBM_BACKEND, params=sampler_params()
            )
            job = await client.jobs.wait(answer.id, policy=FAST, timeout=10)
            assert job.status == JobStatus.COMPLETED
            assert job.instance == IBM_INSTANCE
            session = await client.sessions.create(backend=IBM_BACKEND, mode="batch", max_ttl=60)
            details = await client.sessions.details(session.id)
            assert details.instance == IBM_INSTANCE
            assert details.max_ttl == 60
            await client.sessions.cancel(session.id)
            assert [w.id async for w in client.workloads.list_mine()] == [session.id, answer.id]
        # One exchange served every call.
        assert emu.stats()["requests"]["by_provider"]["iam"] == 1


async def test_iam_token_is_renewed_when_it_is_about_to_expire() -> None:
    # Tokens last one real second; the client renews them half-way.
    config = EmulatorConfig(speed=SPEED, iam_token_lifetime=1.0)
    async with Emulator(config) as emu:
        auth = IAMAuth(IBM_API_KEY, IBM_SERVICE_CRN, iam_url=emu.iam_url)
        async with IBMRuntimeClient(auth=auth, base_url=emu.ibm_url) as client:
            await asyncio.gather(*(client.backends.list() for _ in range(5)))
            assert auth.exchanges == 1
            await asyncio.sleep(0.6)
            await client.backends.list()
            assert auth.exchanges == 2
        stats = emu.stats()["requests"]
        assert stats["by_provider"]["iam"] == 2
        assert "401" not in stats["by_status"]


async def test_iam_token_rejected_by_the_server_is_renewed_and_the_call_replayed() -> None:
    async with Emulator(EmulatorConfig(speed=SPEED)) as emu:
        auth = IAMAuth(IBM_API_KEY, IBM_SERVICE_CRN, iam_url=emu.iam_url)
        async with IBMRuntimeClient(auth=auth, base_url=emu.ibm_url) as client:
            await client.backends.list()
            emu.reset()  # the server forgets every token it issued
            backends = await client.backends.list()
            assert backends.names
            assert auth.exchanges == 2
        # Since the reset: the refused call, the new exchange, the replay.
        assert emu.stats()["requests"]["by_status"] == {"200": 2, "401": 1}


async def test_iam_with_an_unknown_key_or_a_foreign_crn_fails() -> None:
    async with Emulator(EmulatorConfig(speed=SPEED)) as emu:
        async with IBMRuntimeClient(
            api_key="emu-ibm-cloud-apikey-unknown",
            service_crn=IBM_SERVICE_CRN,
            iam_url=emu.iam_url,
            base_url=emu.ibm_url,
        ) as client:
            with pytest.raises(BadRequestError) as info:
                await client.backends.list()
            assert info.value.status == 400
            assert "emu-ibm-cloud-apikey-unknown" not in str(info.value)
        async with IBMRuntimeClient(
            api_key=IBM_API_KEY,
            service_crn=IBM_OTHER_SERVICE_CRN,
            iam_url=emu.iam_url,
            base_url=emu.ibm_url,
        ) as client:
            with pytest.raises(PermissionDeniedError):
                await client.backends.list()
