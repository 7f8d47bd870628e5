"""IBM workloads (cursor paging) through the SDK, against the emulator over HTTP."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from datetime import datetime, timedelta, timezone

import pytest

from qruntime_async import IBMRuntimeClient, PermissionDeniedError
from qruntime_async.emulator import (
    IBM_ADMIN_TOKEN,
    IBM_BACKEND,
    IBM_BUSY_BACKEND,
    IBM_HUB,
    IBM_INSTANCE,
    IBM_OTHER_INSTANCE,
    IBM_OTHER_TOKEN,
    IBM_OTHER_USER_ID,
    IBM_USER_ID,
    Emulator,
)
from qruntime_async.ibm import Workload, WorkloadMode, WorkloadStatus

from .conftest import FAST, Control, ibm_for, sampler_params


async def _jobs(client: IBMRuntimeClient, n: int, **kwargs: object) -> list[str]:
    answers = await asyncio.gather(
        *(
            client.jobs.submit("sampler", params=sampler_params(), **kwargs)  # type: ignore[arg-type]
            for _ in range(n)
        )
    )
    return [a.id for a in answers]


async def _ids(pager: object) -> list[str]:
    return [w.id async for w in pager]  # type: ignore[attr-defined]


async def test_list_mine_with_filters(ibm_client: IBMRuntimeClient, control: Control) -> None:
    done = (await _jobs(ibm_client, 1, backend=IBM_BACKEND, tags=["alpha"]))[0]
    await ibm_client.jobs.wait(done, policy=FAST, timeout=10)
    # From here on the clock only moves when told to: every status stays as it is.
    await control.clock(speed=0)
    await control.clock(advance=1)
    queued = (await _jobs(ibm_client, 1, backend=IBM_BUSY_BACKEND, tags=["beta"]))[0]
    await control.clock(advance=1)
    batch = await ibm_client.sessions.create(backend=IBM_BACKEND, mode="batch")
    in_session = await ibm_client.jobs.submit(
        "sampler", backend=IBM_BACKEND, params=sampler_params(), session_id=batch.id
    )

    everything = [w async for w in ibm_client.workloads.list_mine()]
    # Newest first; jobs of a session appear through their session only.
    assert [w.id for w in everything] == [batch.id, queued, done]
    assert in_session.id not in {w.id for w in everything}
    by_id = {w.id: w for w in everything}
    assert by_id[done].is_job
    assert by_id[done].status == WorkloadStatus.COMPLETED
    assert by_id[done].is_final
    assert by_id[queued].status == WorkloadStatus.PENDING
    assert not by_id[queued].is_final
    assert by_id[batch.id].is_session
    assert by_id[batch.id].mode == WorkloadMode.BATCH
    assert by_id[batch.id].accepting_jobs is True
    assert all(w.user_id == IBM_USER_ID and w.instance == IBM_INSTANCE for w in everything)

    mine = ibm_client.workloads.list_mine
    assert await _ids(mine(order="asc")) == [done, queued, batch.id]
    assert await _ids(mine(status="completed")) == [done]
    # An open session is pending too.
    assert await _ids(mine(status=["pending", "completed"])) == [batch.id, queued, done]
    assert await _ids(mine(status="in_progress")) == []
    assert await _ids(mine(mode="job")) == [queued, done]
    assert await _ids(mine(mode="batch")) == [batch.id]
    assert await _ids(mine(backend=IBM_BUSY_BACKEND)) == [queued]
    assert await _ids(mine(tags=["alpha"])) == [done]
    assert await _ids(mine(search="beta")) == [queued]
    assert await _ids(mine(search=done[:12])) == [done]
    assert await _ids(mine(instance=IBM_INSTANCE)) == [batch.id, queued, done]
    created = by_id[queued].created
    assert created is not None
    assert await _ids(mine(created_after=created)) == [batch.id, queued]
    assert await _ids(mine(created_before=created)) == [queued, done]
    later = datetime.now(timezone.utc) + timedelta(days=30)
    assert await _ids(mine(created_after=later)) == []
    assert await _ids(mine(limit=2)) == [batch.id, queued]

    with pytest.raises(PermissionDeniedError):
        await _ids(mine(instance=IBM_OTHER_INSTANCE))
    await ibm_client.jobs.cancel(queued)
    await ibm_client.sessions.cancel(batch.id)


async def test_cursor_paging_without_gaps_or_duplicates(ibm_client: IBMRuntimeClient) -> None:
    job_ids = await _jobs(ibm_client, 30, backend=IBM_BACKEND)
    session_ids = [
        (await ibm_client.sessions.create(backend=IBM_BACKEND, mode="batch")).id for _ in range(3)
    ]
    expected = set(job_ids) | set(session_ids)

    pages = [page async for page in ibm_client.workloads.list_mine(page_size=7).pages()]
    assert [len(page.items) for page in pages] == [7, 7, 7, 7, 5]
    assert all(page.total == 33 for page in pages)
    assert pages[-1].next_token is None
    assert pages[-1].raw.next is None
    listed = [w.id for page in pages for w in page.items]
    assert len(listed) == len(set(listed)) == 33
    assert set(listed) == expected
    created = [w.created for page in pages for w in page.items]
    assert created == sorted(created, reverse=True)  # type: ignore[type-var]

    mine = ibm_client.workloads.list_mine
    assert await _ids(mine(page_size=7, read_ahead=True)) == listed
    assert await _ids(mine(page_token=pages[2].token)) == listed[14:]
    assert await _ids(mine(page_size=7, page_token=pages[1].next_token)) == listed[14:]
    # The server's own cursors: forward from page 1's "next", and from page 3's "previous".
    assert await _ids(mine(page_size=7, next_cursor=pages[0].raw.next)) == listed[7:]
    assert await _ids(mine(page_size=7, previous_cursor=pages[2].raw.previous)) == listed[7:]
    assert await _ids(mine(page_size=10, limit=12)) == listed[:12]
    ascending = await _ids(mine(page_size=4, order="asc"))
    assert ascending == listed[::-1]
    # The server's default page size (10) applies when none is given.
    default_pages = [page async for page in mine().pages()]
    assert [len(page.items) for page in default_pages] == [10, 10, 10, 3]


async def test_admin_listing_spans_the_hub(qruntime_emulator: Emulator) -> None:
    emu = qruntime_emulator
    async with (
        ibm_for(emu) as alice,
        ibm_for(emu, IBM_OTHER_TOKEN, instance=IBM_OTHER_INSTANCE) as bob,
        ibm_for(emu, IBM_ADMIN_TOKEN, instance=None) as admin,
    ):
        alice_jobs = await _jobs(alice, 3, backend=IBM_BACKEND)
        bob_jobs = await _jobs(bob, 4, backend=IBM_BACKEND, tags=["bob"])
        bob_session = (await bob.sessions.create(backend=IBM_BACKEND, mode="batch")).id

        everyone: list[Workload] = [
            w async for w in admin.workloads.list_admin(instance=IBM_HUB, page_size=3)
        ]
        assert {w.id for w in everyone} == {*alice_jobs, *bob_jobs, bob_session}
        assert len(everyone) == 8
        owners = {w.id: w.user_id for w in everyone}
        assert {owners[j] for j in bob_jobs} == {IBM_OTHER_USER_ID}

        only_bob = admin.workloads.list_admin(instance=IBM_HUB, user_id=IBM_OTHER_USER_ID)
        assert set(await _ids(only_bob)) == {*bob_jobs, bob_session}
        project = admin.workloads.list_admin(instance=IBM_INSTANCE)
        assert set(await _ids(project)) == set(alice_jobs)
        group = admin.workloads.list_admin(instance="ibm-q/team-b", mode="job", tags=["bob"])
        assert set(await _ids(group)) == set(bob_jobs)

        # Each user sees only their own workloads.
        assert set(await _ids(bob.workloads.list_mine())) == {*bob_jobs, bob_session}
        assert set(await _ids(alice.workloads.list_mine())) == set(alice_jobs)

        # Only administrators may list a hub.
        with pytest.raises(PermissionDeniedError) as info:
            await alice.workloads.list_admin(instance=IBM_HUB).first_page()
        assert info.value.status == 403
        await bob.sessions.cancel(bob_session)


async def test_cursors_stay_put_while_new_workloads_arrive(ibm_client: IBMRuntimeClient) -> None:
    older = await _jobs(ibm_client, 12, backend=IBM_BACKEND)
    pages = ibm_client.workloads.list_mine(page_size=5).pages()
    async with aclosing(pages):
        first = await anext(pages)
        # Newer workloads land at the head of the listing, before the cursor.
        newer = await _jobs(ibm_client, 4, backend=IBM_BACKEND)
        rest = [w.id async for page in pages for w in page.items]
    seen = [w.id for w in first.items] + rest
    assert len(seen) == len(set(seen)) == 12
    assert set(seen) == set(older)
    assert not set(newer) & set(seen)
    assert len(await ibm_client.workloads.list_mine().to_list()) == 16
