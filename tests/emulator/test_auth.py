"""Authentication and isolation on both providers, and the IAM token flow."""

from __future__ import annotations

from typing import Any

import aiohttp

from qruntime_async.emulator import (
    IBM_API_KEY,
    IBM_INSTANCE,
    IBM_OTHER_SERVICE_CRN,
    IBM_OTHER_TOKEN,
    IBM_SERVICE_CRN,
    SCALEWAY_AER_PLATFORM_ID,
    SCALEWAY_OTHER_PROJECT_ID,
    SCALEWAY_OTHER_SECRET_KEY,
    SCALEWAY_PROJECT_ID,
    Emulator,
    EmulatorConfig,
)

from .conftest import Api

GRANT = "urn:ibm:params:oauth:grant-type:apikey"


async def test_ibm_missing_or_wrong_token_is_401(api: Api) -> None:
    for token in (None, "wrong-token"):
        reply = await api.ibm("GET", "/jobs", token=token)
        assert reply.status == 401
        assert reply.json["errors"][0]["code"] == "1219"


async def test_ibm_users_do_not_see_each_others_resources(api: Api) -> None:
    mine = await api.ibm_job()
    assert (await api.ibm("GET", f"/jobs/{mine}", token=IBM_OTHER_TOKEN)).status == 404
    assert (await api.ibm("POST", f"/jobs/{mine}/cancel", token=IBM_OTHER_TOKEN)).status == 404
    assert (await api.ibm("DELETE", f"/jobs/{mine}", token=IBM_OTHER_TOKEN)).status == 404
    listing = (await api.ibm("GET", "/jobs", token=IBM_OTHER_TOKEN)).json
    assert listing["count"] == 0
    sid = (
        await api.ibm(
            "POST", "/sessions", json={"backend": api.emu.ibm_backend, "instance": IBM_INSTANCE}
        )
    ).json["id"]
    assert (await api.ibm("GET", f"/sessions/{sid}", token=IBM_OTHER_TOKEN)).status == 404
    stolen = await api.ibm(
        "POST",
        "/jobs",
        token=IBM_OTHER_TOKEN,
        json={"program_id": "sampler", "session_id": sid},
    )
    assert stolen.status == 404


async def test_job_in_a_foreign_instance_is_forbidden(api: Api) -> None:
    hub, group, project = "ibm-q", "team-b", "project-b"
    reply = await api.ibm(
        "POST",
        "/jobs",
        json={
            "program_id": "sampler",
            "backend": api.emu.ibm_backend,
            "hub": hub,
            "group": group,
            "project": project,
        },
    )
    assert reply.status == 403


async def iam_token(api: Api, apikey: str = IBM_API_KEY) -> dict[str, Any]:
    reply = await api.request(
        "POST",
        api.emu.iam_url + "/identity/token",
        data={"grant_type": GRANT, "apikey": apikey},
    )
    assert reply.status == 200, reply.json
    assert isinstance(reply.json, dict)
    return reply.json


async def test_iam_exchange_and_service_crn(api: Api) -> None:
    token = await iam_token(api)
    assert set(token) >= {"access_token", "refresh_token", "token_type", "expires_in", "expiration"}
    assert token["token_type"] == "Bearer"
    assert token["refresh_token"] == "not_supported"
    access = str(token["access_token"])
    no_crn = await api.ibm("GET", "/jobs", token=access)
    assert no_crn.status == 400
    foreign = await api.ibm(
        "GET", "/jobs", token=access, headers={"Service-CRN": IBM_OTHER_SERVICE_CRN}
    )
    assert foreign.status == 403
    unknown = await api.ibm("GET", "/jobs", token=access, headers={"Service-CRN": "crn:v1:nope"})
    assert unknown.status == 403
    crn = {"Service-CRN": IBM_SERVICE_CRN, "IBM-API-Version": "2025-05-01"}
    created = await api.ibm(
        "POST",
        "/jobs",
        token=access,
        headers=crn,
        json={"program_id": "sampler", "backend": api.emu.ibm_backend},
    )
    assert created.status == 200
    job = (await api.ibm("GET", f"/jobs/{created.json['id']}", token=access, headers=crn)).json
    assert "/".join((job["hub"], job["group"], job["project"])) == IBM_INSTANCE
    # the same user with a plain token sees the job too
    assert (await api.ibm("GET", f"/jobs/{job['id']}")).status == 200


async def test_iam_rejects_bad_requests(api: Api) -> None:
    url = api.emu.iam_url + "/identity/token"
    wrong_key = await api.request("POST", url, data={"grant_type": GRANT, "apikey": "nope"})
    assert wrong_key.status == 400
    assert wrong_key.json["errorCode"] == "BXNIM0415E"
    no_grant = await api.request("POST", url, data={"apikey": IBM_API_KEY})
    assert no_grant.status == 400


async def test_expired_iam_token_is_401() -> None:
    async with (
        Emulator(EmulatorConfig(speed=0, iam_token_lifetime=0)) as emu,
        aiohttp.ClientSession() as session,
    ):
        api = Api(emu, session)
        token = await iam_token(api)
        assert token["expires_in"] == 0
        reply = await api.ibm(
            "GET",
            "/jobs",
            token=str(token["access_token"]),
            headers={"Service-CRN": IBM_SERVICE_CRN},
        )
    assert reply.status == 401
    assert "expired" in reply.json["errors"][0]["message"]


async def test_scaleway_missing_or_wrong_key_is_401(api: Api) -> None:
    for key in (None, "00000000-0000-4000-8000-000000000000"):
        reply = await api.scw("GET", "/platforms", key=key)
        assert reply.status == 401
        assert reply.json["type"] == "denied_authentication"


async def test_scaleway_projects_are_isolated(api: Api) -> None:
    session = await api.scw(
        "POST",
        "/sessions",
        json={"project_id": SCALEWAY_PROJECT_ID, "platform_id": SCALEWAY_AER_PLATFORM_ID},
    )
    sid = session.json["id"]
    other = await api.scw("GET", f"/sessions/{sid}", key=SCALEWAY_OTHER_SECRET_KEY)
    assert other.status == 404
    assert other.json == {
        "message": "resource is not found",
        "type": "not_found",
        "resource": "session",
        "resource_id": sid,
    }
    listing = await api.scw(
        "GET",
        "/sessions",
        key=SCALEWAY_OTHER_SECRET_KEY,
        params={"project_id": SCALEWAY_OTHER_PROJECT_ID},
    )
    assert listing.json["total_count"] == 0
    denied = await api.scw(
        "GET",
        "/sessions",
        key=SCALEWAY_OTHER_SECRET_KEY,
        params={"project_id": SCALEWAY_PROJECT_ID},
    )
    assert denied.status == 403
    assert denied.json["type"] == "permissions_denied"
    create = await api.scw(
        "POST",
        "/sessions",
        key=SCALEWAY_OTHER_SECRET_KEY,
        json={"project_id": SCALEWAY_PROJECT_ID, "platform_id": SCALEWAY_AER_PLATFORM_ID},
    )
    assert create.status == 403
