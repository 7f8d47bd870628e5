"""Fault injection, statistics, reset and the control routes."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import msgspec
import pytest

from qruntime_async.emulator import IBM_BACKEND, IBM_TOKEN, Emulator, EmulatorConfig, FaultConfig

from .conftest import BELL, Api

CREATE = {"program_id": "sampler", "backend": IBM_BACKEND, "params": {"pubs": [BELL]}}
BROKEN: tuple[type[Exception], ...] = (
    aiohttp.ClientPayloadError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)


async def test_server_errors_in_each_shape(api: Api, emu: Emulator) -> None:
    emu.set_faults(error_rate=1.0, error_statuses=(500,))
    reply = await api.ibm("GET", "/jobs")
    assert reply.status == 500
    assert reply.json["errors"][0]["code"] == "1500"
    emu.set_faults(error_rate=1.0, error_statuses=(503,))
    reply = await api.scw("GET", "/platforms")
    assert reply.status == 503
    assert reply.json["type"] == "service_unavailable"
    emu.set_faults(error_rate=1.0, error_statuses=(502,))
    reply = await api.ibm("GET", "/jobs")
    assert reply.status == 502
    assert reply.headers["Content-Type"].startswith("text/html")
    assert emu.stats()["faults"]["by_kind"] == {"error": 1}


async def test_rate_limit_carries_retry_after(api: Api, emu: Emulator) -> None:
    emu.set_faults(rate_limit_rate=1.0, retry_after=0.25)
    reply = await api.ibm("GET", "/jobs")
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "1"
    assert reply.headers["retry-after-ms"] == "250"
    emu.set_faults(rate_limit_rate=1.0, retry_after=3)
    reply = await api.scw("GET", "/platforms")
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "3"
    assert reply.json["type"] == "too_many_requests"


async def test_disconnect_mid_response(api: Api, emu: Emulator) -> None:
    job_id = await api.ibm_job()
    emu.set_faults(disconnect_rate=1.0)
    with pytest.raises(BROKEN):
        await api.ibm("GET", f"/jobs/{job_id}")
    emu.set_faults()
    assert (await api.ibm("GET", f"/jobs/{job_id}")).status == 200
    assert emu.stats()["faults"]["by_kind"] == {}


async def test_truncated_and_malformed_bodies(api: Api, emu: Emulator) -> None:
    job_id = await api.ibm_job()
    whole = (await api.ibm("GET", f"/jobs/{job_id}")).raw
    emu.set_faults(truncate_rate=1.0)
    cut = await api.ibm("GET", f"/jobs/{job_id}")
    assert cut.status == 200
    assert cut.json is None
    assert 0 < len(cut.raw) < len(whole)
    assert whole.startswith(cut.raw)
    emu.set_faults(malformed_rate=1.0)
    bad = await api.ibm("GET", f"/jobs/{job_id}")
    assert bad.status == 200
    assert bad.headers["Content-Type"].startswith("application/json")
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(bad.raw)
    assert emu.stats()["faults"]["by_kind"] == {"malformed": 1}


async def test_latency_spike_beyond_a_client_read_timeout(api: Api, emu: Emulator) -> None:
    emu.set_faults(spike_rate=1.0, spike_latency=0.3)
    timeout = aiohttp.ClientTimeout(total=0.05)
    with pytest.raises(asyncio.TimeoutError):
        await api.ibm("GET", "/jobs", timeout=timeout)
    assert emu.stats()["faults"]["by_kind"] == {"latency_spike": 1}


@pytest.mark.parametrize("kind", ["error_rate", "disconnect_rate", "truncate_rate"])
async def test_create_fault_after_the_server_acted(api: Api, emu: Emulator, kind: str) -> None:
    emu.set_faults(**{kind: 1.0}, after_action_rate=1.0, methods=("POST",))
    try:
        reply = await api.ibm("POST", "/jobs", json=CREATE)
    except BROKEN:
        reply = None
    assert reply is None or reply.json is None or "id" not in reply.json
    assert len(emu.ibm_jobs()) == 1
    emu.set_faults()
    listing = (await api.ibm("GET", "/jobs")).json
    assert [j["id"] for j in listing["jobs"]] == [emu.ibm_jobs()[0].id]


async def test_gateway_503_after_the_server_acted(api: Api, emu: Emulator) -> None:
    emu.set_faults(gateway_503_rate=1.0, methods=("POST",))
    reply = await api.ibm("POST", "/jobs", json=CREATE)
    assert reply.status == 503
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert reply.raw.startswith(b"upstream connect error or disconnect/reset before headers")
    assert len(emu.ibm_jobs()) == 1
    reply = await api.scw("POST", "/sessions", json={"platform_id": "nope"})
    assert reply.status == 503
    assert emu.stats()["faults"]["by_kind"] == {"gateway_503": 2}
    emu.set_faults()
    listing = (await api.ibm("GET", "/jobs")).json
    assert [j["id"] for j in listing["jobs"]] == [emu.ibm_jobs()[0].id]


def test_gateway_503_rate_counts_in_the_total() -> None:
    with pytest.raises(ValueError, match="add up"):
        FaultConfig(error_rate=0.6, gateway_503_rate=0.6).validate()
    assert FaultConfig(gateway_503_rate=0.1).active


@pytest.mark.parametrize("kind", ["error_rate", "disconnect_rate", "malformed_rate"])
async def test_create_fault_before_the_server_acted(api: Api, emu: Emulator, kind: str) -> None:
    emu.set_faults(**{kind: 1.0}, after_action_rate=0.0, methods=("POST",))
    with contextlib.suppress(*BROKEN):
        await api.ibm("POST", "/jobs", json=CREATE)
    assert emu.ibm_jobs() == []


async def test_targeting_by_path_prefix_and_budget(api: Api, emu: Emulator) -> None:
    emu.set_faults(error_rate=1.0, error_statuses=(500,), path_prefixes=("/qaas",), max_faults=2)
    assert (await api.ibm("GET", "/jobs")).status == 200
    statuses = [(await api.scw("GET", "/platforms")).status for _ in range(4)]
    assert statuses == [500, 500, 200, 200]


async def test_control_routes_are_never_faulted(api: Api, emu: Emulator) -> None:
    emu.set_faults(error_rate=1.0)
    for path in ("/_emulator/stats", "/_emulator/faults", "/_emulator/health"):
        assert (await api.request("GET", emu.url + path)).status == 200


async def test_same_seed_same_faults() -> None:
    faults = FaultConfig(error_rate=0.3, rate_limit_rate=0.2, seed=99)
    runs = []
    for _ in range(2):
        async with (
            Emulator(EmulatorConfig(speed=0, faults=faults)) as emu,
            aiohttp.ClientSession() as session,
        ):
            api = Api(emu, session)
            runs.append([(await api.ibm("GET", "/jobs")).status for _ in range(30)])
    assert runs[0] == runs[1]
    assert {500, 502, 503} & set(runs[0])
    assert 429 in runs[0]
    assert 200 in runs[0]


async def test_faults_settable_over_http(api: Api, emu: Emulator) -> None:
    url = emu.url + "/_emulator/faults"
    reply = await api.request("POST", url, json={"error_rate": 1.0, "error_statuses": [503]})
    assert reply.status == 200
    assert reply.json["error_rate"] == 1.0
    assert emu.faults.error_statuses == (503,)
    assert (await api.ibm("GET", "/jobs")).status == 503
    assert (await api.request("POST", url, json={"eror_rate": 1})).status == 400
    assert (await api.request("POST", url, json={"error_rate": 2})).status == 400
    assert (await api.request("POST", url, json={})).status == 200
    assert (await api.ibm("GET", "/jobs")).status == 200


async def test_stats_count_requests_by_provider_method_status(api: Api, emu: Emulator) -> None:
    await api.ibm("GET", "/jobs")
    await api.ibm("GET", "/jobs", token="bad")
    await api.ibm_job()
    await api.scw("GET", "/platforms")
    emu.set_faults(rate_limit_rate=1.0)
    await api.scw("GET", "/platforms")
    stats = (await api.request("GET", emu.url + "/_emulator/stats")).json
    detail = {
        (d["provider"], d["method"], d["status"]): d["count"] for d in stats["requests"]["detail"]
    }
    assert detail[("ibm", "GET", 200)] == 1
    assert detail[("ibm", "GET", 401)] == 1
    assert detail[("ibm", "POST", 200)] == 1
    assert detail[("scaleway", "GET", 200)] == 1
    assert detail[("scaleway", "GET", 429)] == 1
    assert stats["requests"]["by_provider"]["ibm"] == 3
    assert stats["faults"] == {"total": 1, "by_kind": {"rate_limit": 1}}
    assert stats["resources"]["ibm_jobs"] == 1


async def test_reset_drops_state_and_keeps_config(api: Api, emu: Emulator) -> None:
    await api.ibm_job()
    await api.ibm_job()
    assert len(emu.ibm_jobs()) == 2
    emu.reset()
    assert emu.ibm_jobs() == []
    assert emu.stats()["requests"]["total"] == 0
    await api.ibm_job()
    reply = await api.request("POST", emu.url + "/_emulator/reset")
    assert reply.status == 200
    assert emu.ibm_jobs() == []
    assert (await api.ibm("GET", "/jobs", token=IBM_TOKEN)).json["count"] == 0


async def test_clock_route_moves_virtual_time(api: Api, emu: Emulator) -> None:
    job_id = await api.ibm_job()
    before = (await api.request("GET", emu.url + "/_emulator/clock")).json["epoch"]
    reply = await api.request("POST", emu.url + "/_emulator/clock", json={"advance": 3600})
    assert reply.json["epoch"] == pytest.approx(before + 3600)
    assert (await api.ibm("GET", f"/jobs/{job_id}")).json["status"] == "Completed"
