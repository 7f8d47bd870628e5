"""IBM Quantum Platform credentials: API key exchanged at IAM, renewed once however many callers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from qruntime_async import RetryPolicy, errors
from qruntime_async.ibm.auth import IAMAuth
from qruntime_async.ibm.client import IBMRuntimeClient

from .test_ibm_client import BASE, FakeAPI, Reply, Sent, _clean_env, api

__all__ = ["_clean_env", "api"]

API_KEY = "iam-apikey-SECRET-abcdef0123456789"
CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/abc123:inst-1::"
IAM = "https://iam.example.test"
CLOUD = "https://quantum.cloud.ibm.com/api/v1"
FAST = RetryPolicy(backoff_initial=0.001, backoff_max=0.001)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tokens(*values: str, expires_in: float = 3600) -> list[Reply]:
    return [Reply(json={"access_token": v, "expires_in": expires_in}) for v in values]


def iam_requests(api: FakeAPI) -> list[Sent]:
    return [s for s in api.sent if s.url.host == "iam.example.test"]


def api_requests(api: FakeAPI) -> list[Sent]:
    return [s for s in api.sent if s.url.host != "iam.example.test"]


def cloud_client(clock: Callable[[], float] | None = None, **kwargs: Any) -> IBMRuntimeClient:
    auth = IAMAuth(API_KEY, CRN, iam_url=IAM, clock=clock or Clock())
    kwargs.setdefault("retry", FAST)
    return IBMRuntimeClient(auth=auth, **kwargs)


async def test_the_key_is_exchanged_and_the_token_sent_with_crn_and_version(api: FakeAPI) -> None:
    api.on("POST", f"{IAM}/identity/token", *tokens("access-1"))
    api.on("GET", f"{CLOUD}/backends", {"devices": ["ibm_torino"]})
    async with IBMRuntimeClient(api_key=API_KEY, service_crn=CRN, iam_url=IAM) as client:
        assert client.uses_cloud_auth
        assert client.base_url == CLOUD
        await client.backends.list()
        await client.backends.list()
    exchange, first, second = api.sent
    assert (exchange.method, str(exchange.url)) == ("POST", f"{IAM}/identity/token")
    assert exchange.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in exchange.headers
    assert exchange.form() == {
        "grant_type": ["urn:ibm:params:oauth:grant-type:apikey"],
        "apikey": [API_KEY],
    }
    for sent in (first, second):
        assert sent.headers["Authorization"] == "Bearer access-1"
        assert sent.headers["Service-CRN"] == CRN
        assert sent.headers["IBM-API-Version"] == "2025-05-01"


async def test_environment_and_api_version(api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QRUNTIME_IBM_API_KEY", API_KEY)
    monkeypatch.setenv("QRUNTIME_IBM_SERVICE_CRN", CRN)
    monkeypatch.setenv("QRUNTIME_IBM_IAM_URL", IAM)
    monkeypatch.setenv("QRUNTIME_IBM_URL", BASE)
    api.on("POST", f"{IAM}/identity/token", *tokens("access-1"))
    api.on("GET", "/backends", {"devices": []})
    async with IBMRuntimeClient(api_version="2024-01-01") as client:
        assert client.uses_cloud_auth
        await client.backends.list()
    assert api.sent[1].headers["IBM-API-Version"] == "2024-01-01"
    assert api.sent[1].headers["Service-CRN"] == CRN


def test_iam_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="plain http"):
        IBMRuntimeClient(api_key=API_KEY, service_crn=CRN, iam_url="http://iam.example.test")
    with pytest.raises(ValueError, match="service_crn"):
        IBMRuntimeClient(api_key=API_KEY, service_crn=" ")
    with pytest.raises(ValueError, match="api_version"):
        IBMRuntimeClient(api_key=API_KEY, service_crn=CRN, api_version="")
    with pytest.raises(ValueError, match="refresh_margin"):
        IAMAuth(API_KEY, CRN, refresh_margin=-1)


async def test_the_token_is_renewed_shortly_before_it_expires(api: FakeAPI) -> None:
    clock = Clock()
    api.on("POST", f"{IAM}/identity/token", *tokens("access-1", "access-2"))
    api.on("GET", f"{CLOUD}/backends", {"devices": []})
    async with cloud_client(clock) as client:
        await client.backends.list()
        clock.now += 3600 - 60 - 1  # still more than the 60 s margin left
        await client.backends.list()
        clock.now += 2  # now within the margin: renew before sending
        await client.backends.list()
        await client.backends.list()
    assert len(iam_requests(api)) == 2
    sent = [s.headers["Authorization"] for s in api_requests(api)]
    assert sent == ["Bearer access-1", "Bearer access-1", "Bearer access-2", "Bearer access-2"]


async def test_a_short_lived_token_is_not_exchanged_on_every_call(api: FakeAPI) -> None:
    # A lifetime below the margin: renew at half of it rather than before every request.
    clock = Clock()
    api.on("POST", f"{IAM}/identity/token", *tokens("a", "b", expires_in=30))
    api.on("GET", f"{CLOUD}/backends", {"devices": []})
    async with cloud_client(clock) as client:
        await asyncio.gather(*(client.backends.list() for _ in range(5)))
        clock.now += 16
        await client.backends.list()
    assert len(iam_requests(api)) == 2


async def test_concurrent_calls_share_one_exchange(api: FakeAPI) -> None:
    async def slow_token(sent: Sent) -> Reply:
        for _ in range(5):
            await asyncio.sleep(0)
        return tokens("shared")[0]

    api.on("POST", f"{IAM}/identity/token", slow_token)
    api.on("GET", f"{CLOUD}/backends", {"devices": []})
    async with cloud_client() as client:
        await asyncio.gather(*(client.backends.list() for _ in range(10)))
        assert client._auth.exchanges == 1  # type: ignore[attr-defined]
    assert len(iam_requests(api)) == 1
    assert {s.headers["Authorization"] for s in api_requests(api)} == {"Bearer shared"}
    assert len(api_requests(api)) == 10


async def test_a_failed_exchange_fails_every_waiter_once(api: FakeAPI) -> None:
    api.on(
        "POST",
        f"{IAM}/identity/token",
        Reply(status=400, json={"errorMessage": "Provided API key could not be found."}),
    )
    async with cloud_client() as client:
        results = await asyncio.gather(
            *(client.backends.list() for _ in range(10)), return_exceptions=True
        )
    assert all(isinstance(r, errors.BadRequestError) for r in results)
    assert len(iam_requests(api)) == 1
    assert api_requests(api) == []


async def test_an_abandoned_exchange_is_cancelled_and_the_next_call_starts_afresh(
    api: FakeAPI,
) -> None:
    async def hang(sent: Sent) -> Reply:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    api.on("POST", f"{IAM}/identity/token", hang, *tokens("access-2"))
    api.on("GET", f"{CLOUD}/backends", {"devices": []})
    async with cloud_client() as client:
        first = asyncio.create_task(client.backends.list())
        for _ in range(1000):
            if iam_requests(api):
                break
            await asyncio.sleep(0)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        await client.backends.list()
    assert len(iam_requests(api)) == 2
    assert [s.headers["Authorization"] for s in api_requests(api)] == ["Bearer access-2"]


async def test_a_401_renews_once_and_replays_once(api: FakeAPI) -> None:
    api.on("POST", f"{IAM}/identity/token", *tokens("access-1", "access-2"))
    api.on(
        "GET",
        f"{CLOUD}/jobs/j1",
        Reply(status=401, json={"errors": [{"message": "token expired"}]}),
        Reply(json={"id": "j1", "status": "Running"}),
    )
    async with cloud_client() as client:
        job = await client.jobs.get("j1")
    assert job.status == "Running"
    assert len(iam_requests(api)) == 2
    assert [s.headers["Authorization"] for s in api_requests(api)] == [
        "Bearer access-1",
        "Bearer access-2",
    ]


async def test_a_second_401_is_raised(api: FakeAPI) -> None:
    api.on("POST", f"{IAM}/identity/token", *tokens("access-1", "access-2", "access-3"))
    api.on("GET", f"{CLOUD}/jobs/j1", Reply(status=401, json={"errors": [{"message": "nope"}]}))
    async with cloud_client() as client:
        with pytest.raises(errors.AuthenticationError, match="nope"):
            await client.jobs.get("j1")
    assert len(iam_requests(api)) == 2
    assert len(api_requests(api)) == 2


async def test_concurrent_401s_share_one_renewal(api: FakeAPI) -> None:
    async def by_token(sent: Sent) -> Reply:
        if sent.headers["Authorization"] == "Bearer access-1":
            return Reply(status=401, json={"errors": [{"message": "expired"}]})
        return Reply(json={"devices": []})

    api.on("POST", f"{IAM}/identity/token", *tokens("access-1", "access-2", "access-3"))
    api.on("GET", f"{CLOUD}/backends", by_token)
    async with cloud_client() as client:
        await asyncio.gather(*(client.backends.list() for _ in range(5)))
    assert len(iam_requests(api)) == 2
    assert [s.headers["Authorization"] for s in api_requests(api)].count("Bearer access-2") == 5


async def test_a_fixed_token_is_not_replayed_after_a_401(api: FakeAPI) -> None:
    api.on("GET", "/jobs/j1", Reply(status=401, json={"errors": [{"message": "bad"}]}))
    async with IBMRuntimeClient(token="t0k3n-value", instance="h/g/p", base_url=BASE) as client:
        with pytest.raises(errors.AuthenticationError):
            await client.jobs.get("j1")
    assert len(api.sent) == 1


async def test_cloud_bodies_leave_the_instance_to_the_crn(api: FakeAPI) -> None:
    api.on("POST", f"{IAM}/identity/token", *tokens("access-1"))
    api.on("POST", f"{CLOUD}/sessions", {"id": "s1"})
    api.on("POST", f"{CLOUD}/jobs", {"id": "j1"})
    async with cloud_client() as client:
        await client.sessions.create(backend="ibm_torino", max_ttl=900, mode="batch")
        await client.jobs.submit(
            "sampler", backend="ibm_torino", session_id="s1", idempotency_key="k1"
        )
    session_body, job_body = (s.json() for s in api_requests(api))
    assert session_body == {"backend": "ibm_torino", "max_ttl": 900, "mode": "batch"}
    assert job_body == {
        "program_id": "sampler",
        "backend": "ibm_torino",
        "params": {},
        "session_id": "s1",
        "tags": ["qruntime-idempotency-key:k1"],
    }


async def test_secrets_never_appear_in_repr_errors_or_logs(
    api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="qruntime_async")
    api.on(
        "POST",
        f"{IAM}/identity/token",
        Reply(status=503),
        *tokens("access-SECRET-1", "access-SECRET-2"),
    )
    api.on("GET", f"{CLOUD}/jobs/j1", Reply(status=401, json={"errors": [{"message": "no"}]}))
    async with cloud_client() as client:
        texts = [repr(client), repr(client._auth)]
        with pytest.raises(errors.AuthenticationError) as caught:
            await client.jobs.get("j1")
    texts += [str(caught.value), repr(caught.value), caught.value.body or "", caplog.text]
    assert "retrying" in caplog.text  # the IAM 503 was logged and retried
    for text in texts:
        for secret in (API_KEY, "access-SECRET-1", "access-SECRET-2"):
            assert secret not in text
