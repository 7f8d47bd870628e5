"""Seeding many IBM jobs at once, and paging them from the workloads index."""

from __future__ import annotations

from typing import Any

import pytest

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

from .conftest import Api

#: Every workload status: a filter that keeps all workloads but renders each one.
ALL_STATUSES = "pending,in_progress,completed,canceled,failed"


async def seed(api: Api, **body: Any) -> dict[str, Any]:
    reply = await api.request("POST", api.emu.url + "/_emulator/seed", json=body)
    assert reply.status == 200, reply.json
    return dict(reply.json)


async def listing(
    api: Api, path: str = "/workloads/me", token: str | None = None, **params: Any
) -> list[str]:
    """Every workload id of a listing, following ``next`` cursors."""
    params = {"limit": 100, **params}
    ids: list[str] = []
    kw = {} if token is None else {"token": token}
    while True:
        reply = await api.ibm("GET", path, params=params, **kw)
        assert reply.status == 200, reply.json
        ids += [w["id"] for w in reply.json["workloads"]]
        if "next" not in reply.json:
            return ids
        params["next"] = reply.json["next"]


async def test_seeded_jobs_page_newest_first(api: Api, emu: Emulator) -> None:
    answer = await seed(api, ibm_jobs=250, tags=["bulk"])
    assert answer["ibm_jobs"] == 250
    ids = [j.id for j in emu.ibm_jobs()]
    assert [answer["first_id"], answer["last_id"]] == [ids[0], ids[-1]]
    assert await listing(api) == ids[::-1]
    assert await listing(api, order="asc") == ids
    first = (await api.ibm("GET", "/workloads/me", params={"limit": 7})).json
    assert first["count"] == 250
    assert {w["status"] for w in first["workloads"]} == {"completed"}
    assert {tuple(w["tags"]) for w in first["workloads"]} == {("bulk",)}
    job = (await api.ibm("GET", f"/jobs/{ids[-1]}")).json
    assert job["status"] == "Completed"
    assert (await api.ibm("GET", f"/jobs/{ids[-1]}/results")).status == 200


async def test_seeded_jobs_are_spaced_and_filtered_by_time(api: Api, emu: Emulator) -> None:
    emu.seed_ibm_jobs(10, spacing=60.0)
    page = (await api.ibm("GET", "/workloads/me", params={"order": "asc"})).json["workloads"]
    created = [w["created"] for w in page]
    assert created == sorted(created)
    after = await listing(api, createdAfter=created[4])
    before = await listing(api, createdBefore=created[4])
    assert len(after) == 6
    assert len(before) == 5


async def test_seeding_for_another_user_and_instance(api: Api, emu: Emulator) -> None:
    theirs = emu.seed_ibm_jobs(3, user_id=IBM_OTHER_USER_ID, backend=IBM_BUSY_BACKEND)
    mine = emu.seed_ibm_jobs(2, instance=IBM_INSTANCE)
    assert await listing(api) == mine[::-1]
    assert await listing(api, token=IBM_OTHER_TOKEN) == theirs[::-1]
    snapshots = {j.id: j for j in emu.ibm_jobs()}
    assert {snapshots[i].instance for i in theirs} == {IBM_OTHER_INSTANCE}
    assert {snapshots[i].backend for i in theirs} == {IBM_BUSY_BACKEND}
    admin = await listing(
        api, "/workloads/admin", token=IBM_ADMIN_TOKEN, instance=IBM_HUB, userId=IBM_USER_ID
    )
    assert admin == mine[::-1]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ibm_jobs": -1},
        {"ibm_jobs": True},
        {"ibm_jobs": "5"},
        {"ibm_jobs": 5, "colour": "red"},
        {"ibm_jobs": 5, "user_id": "nobody"},
        {"ibm_jobs": 5, "instance": IBM_OTHER_INSTANCE},
        {"ibm_jobs": 5, "backend": "ibm_nowhere"},
        {"ibm_jobs": 5, "spacing": 0},
        {"ibm_jobs": 5, "tags": ["a", 1]},
    ],
)
async def test_bad_seed_requests_are_400(api: Api, emu: Emulator, body: dict[str, Any]) -> None:
    reply = await api.request("POST", emu.url + "/_emulator/seed", json=body)
    assert reply.status == 400
    assert "error" in reply.json
    assert emu.ibm_jobs() == []


async def test_reset_empties_the_index(api: Api, emu: Emulator) -> None:
    await seed(api, ibm_jobs=5)
    await api.request("POST", emu.url + "/_emulator/reset")
    assert (await api.ibm("GET", "/workloads/me")).json["count"] == 0
    await seed(api, ibm_jobs=2)
    assert len(await listing(api)) == 2


async def test_index_and_rendered_listings_agree(api: Api, emu: Emulator) -> None:
    emu.seed_ibm_jobs(30, spacing=0.5)
    made: list[str] = []
    for i in range(12):
        if i % 4 == 0:
            body = {"backend": IBM_BACKEND, "instance": IBM_INSTANCE, "mode": "batch"}
            made.append((await api.ibm("POST", "/sessions", json=body)).json["id"])
        else:
            made.append(await api.ibm_job())
        if i % 3 == 0:
            await api.ibm_job(token=IBM_OTHER_TOKEN)
    deleted = made[5]
    assert (await api.ibm("DELETE", f"/jobs/{deleted}")).status == 204
    for order in ("asc", "desc"):
        for limit in (1, 7, 100):
            fast = await listing(api, order=order, limit=limit)
            rendered = await listing(api, order=order, limit=limit, status=ALL_STATUSES)
            assert fast == rendered
            assert deleted not in fast
            assert len(fast) == 30 + len(made) - 1


async def test_previous_cursors_walk_back_over_the_index(api: Api, emu: Emulator) -> None:
    emu.seed_ibm_jobs(23)
    for order in ("asc", "desc"):
        for status in (None, ALL_STATUSES):
            extra = {} if status is None else {"status": status}
            pages: list[list[str]] = []
            params: dict[str, Any] = {"limit": 5, "order": order, **extra}
            while True:
                page = (await api.ibm("GET", "/workloads/me", params=params)).json
                pages.append([w["id"] for w in page["workloads"]])
                if "next" not in page:
                    break
                params = {"limit": 5, "order": order, "next": page["next"], **extra}
            back: list[list[str]] = [pages[-1]]
            params = {"limit": 5, "order": order, "previous": page["previous"], **extra}
            while True:
                page = (await api.ibm("GET", "/workloads/me", params=params)).json
                back.append([w["id"] for w in page["workloads"]])
                if "previous" not in page:
                    break
                params = {"limit": 5, "order": order, "previous": page["previous"], **extra}
            assert back[::-1] == pages
