"""IBM workloads: cursor paging (tamper-checked), every filter, admin listing."""

from __future__ import annotations

import base64

from qruntime_async.emulator import (
    IBM_ADMIN_TOKEN,
    IBM_BACKEND,
    IBM_BUSY_BACKEND,
    IBM_HUB,
    IBM_INSTANCE,
    IBM_OTHER_TOKEN,
    IBM_OTHER_USER_ID,
    IBM_USER_ID,
    Emulator,
)

from .conftest import Api

WORKLOAD_REQUIRED = {"id", "created", "backend", "instance", "user_id", "mode", "status"}


async def make_jobs(api: Api, emu: Emulator, n: int) -> list[str]:
    ids = []
    for i in range(n):
        ids.append(await api.ibm_job(tags=[f"n{i}", "all"]))
        emu.advance(1)
    return ids


async def test_cursor_paging_forward_and_back(api: Api, emu: Emulator) -> None:
    ids = await make_jobs(api, emu, 7)
    newest_first = ids[::-1]
    first = (await api.ibm("GET", "/workloads/me", params={"limit": 3})).json
    assert first["count"] == 7
    assert first["limit"] == 3
    assert "previous" not in first
    assert [w["id"] for w in first["workloads"]] == newest_first[:3]
    assert set(first["workloads"][0]) >= WORKLOAD_REQUIRED
    second = (
        await api.ibm("GET", "/workloads/me", params={"limit": 3, "next": first["next"]})
    ).json
    assert [w["id"] for w in second["workloads"]] == newest_first[3:6]
    third = (
        await api.ibm("GET", "/workloads/me", params={"limit": 3, "next": second["next"]})
    ).json
    assert [w["id"] for w in third["workloads"]] == newest_first[6:]
    assert "next" not in third
    back = (
        await api.ibm("GET", "/workloads/me", params={"limit": 3, "previous": third["previous"]})
    ).json
    assert [w["id"] for w in back["workloads"]] == newest_first[3:6]
    back2 = (
        await api.ibm("GET", "/workloads/me", params={"limit": 3, "previous": back["previous"]})
    ).json
    assert [w["id"] for w in back2["workloads"]] == newest_first[:3]
    assert "previous" not in back2
    asc = (await api.ibm("GET", "/workloads/me", params={"order": "asc", "limit": 10})).json
    assert [w["id"] for w in asc["workloads"]] == ids


async def test_default_limit_is_ten(api: Api, emu: Emulator) -> None:
    await make_jobs(api, emu, 12)
    page = (await api.ibm("GET", "/workloads/me")).json
    assert page["limit"] == 10
    assert len(page["workloads"]) == 10
    assert "next" in page


async def test_tampered_or_forged_cursor_is_400(api: Api, emu: Emulator) -> None:
    await make_jobs(api, emu, 4)
    cursor = (await api.ibm("GET", "/workloads/me", params={"limit": 2})).json["next"]
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[5] ^= 0x01
    edited = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    forged = base64.urlsafe_b64encode(b'{"d":"n","o":"desc","t":0,"s":0}' + b"0" * 16).decode()
    for bad in (edited, forged, "not-a-cursor", cursor[:-3]):
        reply = await api.ibm("GET", "/workloads/me", params={"limit": 2, "next": bad})
        assert reply.status == 400, bad
    mismatch = await api.ibm("GET", "/workloads/me", params={"previous": cursor})
    assert mismatch.status == 400
    both = await api.ibm("GET", "/workloads/me", params={"next": cursor, "previous": cursor})
    assert both.status == 400


async def test_filters(api: Api, emu: Emulator) -> None:
    done = await api.ibm_job(tags=["alpha", "beta"])
    emu.advance(3600)
    pending = await api.ibm_job(backend=IBM_BUSY_BACKEND, tags=["alpha"])
    emu.advance(1)
    batch = (
        await api.ibm(
            "POST",
            "/sessions",
            json={"backend": IBM_BACKEND, "instance": IBM_INSTANCE, "mode": "batch"},
        )
    ).json["id"]
    emu.advance(1)
    dedicated = (
        await api.ibm("POST", "/sessions", json={"backend": IBM_BACKEND, "instance": IBM_INSTANCE})
    ).json["id"]

    async def ids(**params: object) -> list[str]:
        reply = await api.ibm("GET", "/workloads/me", params=params)
        assert reply.status == 200, reply.json
        return sorted(w["id"] for w in reply.json["workloads"])

    assert await ids() == sorted([done, pending, batch, dedicated])
    assert await ids(status="completed") == [done]
    assert await ids(status=["completed", "pending"]) == sorted([done, pending, batch, dedicated])
    assert await ids(status="pending,completed") == sorted([done, pending, batch, dedicated])
    assert await ids(mode="job") == sorted([done, pending])
    assert await ids(mode="batch") == [batch]
    assert await ids(mode="session") == [dedicated]
    assert await ids(backend=IBM_BUSY_BACKEND) == [pending]
    assert await ids(search=done[3:12]) == [done]
    assert await ids(search="BET") == [done]
    assert await ids(tags=["alpha", "beta"]) == [done]
    assert await ids(tags="alpha") == sorted([done, pending])
    created = (await api.ibm("GET", "/workloads/me", params={"mode": "batch"})).json["workloads"][
        0
    ]["created"]
    assert await ids(createdAfter=created) == sorted([batch, dedicated])
    assert await ids(createdBefore=created) == sorted([done, pending, batch])
    sessions = (await api.ibm("GET", "/workloads/me", params={"mode": "batch"})).json
    assert sessions["workloads"][0]["accepting_jobs"] is True
    assert sessions["workloads"][0]["estimated_running_time_seconds"] is None
    jobs = (await api.ibm("GET", "/workloads/me", params={"mode": "job"})).json["workloads"]
    assert all(w["accepting_jobs"] is None for w in jobs)
    for bad in (
        {"status": "sleeping"},
        {"mode": "solo"},
        {"sort": "id"},
        {"order": "sideways"},
        {"limit": 0},
        {"createdAfter": "noon"},
    ):
        assert (await api.ibm("GET", "/workloads/me", params=bad)).status == 400, bad


async def test_job_in_a_session_is_not_a_separate_workload(api: Api) -> None:
    sid = (
        await api.ibm("POST", "/sessions", json={"backend": IBM_BACKEND, "instance": IBM_INSTANCE})
    ).json["id"]
    await api.ibm_job(session_id=sid)
    page = (await api.ibm("GET", "/workloads/me")).json
    assert [w["id"] for w in page["workloads"]] == [sid]


async def test_me_shows_only_the_callers_workloads(api: Api) -> None:
    mine = await api.ibm_job()
    theirs = await api.ibm_job(token=IBM_OTHER_TOKEN)
    me = (await api.ibm("GET", "/workloads/me")).json
    assert [w["id"] for w in me["workloads"]] == [mine]
    them = (await api.ibm("GET", "/workloads/me", token=IBM_OTHER_TOKEN)).json
    assert [w["id"] for w in them["workloads"]] == [theirs]


async def test_admin_lists_the_hub_and_filters_by_user(api: Api) -> None:
    mine = await api.ibm_job()
    theirs = await api.ibm_job(token=IBM_OTHER_TOKEN)
    reply = await api.ibm(
        "GET", "/workloads/admin", token=IBM_ADMIN_TOKEN, params={"instance": IBM_HUB}
    )
    assert reply.status == 200
    assert sorted(w["id"] for w in reply.json["workloads"]) == sorted([mine, theirs])
    by_user = await api.ibm(
        "GET",
        "/workloads/admin",
        token=IBM_ADMIN_TOKEN,
        params={"instance": IBM_HUB, "userId": IBM_OTHER_USER_ID},
    )
    assert [w["id"] for w in by_user.json["workloads"]] == [theirs]
    narrowed = await api.ibm(
        "GET", "/workloads/admin", token=IBM_ADMIN_TOKEN, params={"instance": IBM_INSTANCE}
    )
    assert [w["user_id"] for w in narrowed.json["workloads"]] == [IBM_USER_ID]


async def test_admin_endpoint_is_forbidden_to_non_admins(api: Api) -> None:
    reply = await api.ibm("GET", "/workloads/admin", params={"instance": IBM_HUB})
    assert reply.status == 403
    other_hub = await api.ibm(
        "GET", "/workloads/admin", token=IBM_ADMIN_TOKEN, params={"instance": "another-hub"}
    )
    assert other_hub.status == 403
    missing = await api.ibm("GET", "/workloads/admin", token=IBM_ADMIN_TOKEN)
    assert missing.status == 400
