"""The transport: URL building, retries, error mapping, timeouts, lifecycle, redaction."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import aiohttp
import anyio
import msgspec
import pytest
from aiohttp import web
from aioresponses import aioresponses

from qruntime_async import errors
from qruntime_async._config import ClientOptions
from qruntime_async._constants import USER_AGENT
from qruntime_async._retry import RetryPolicy, parse_retry_after
from qruntime_async._transport import (
    BaseClient,
    RequestEvent,
    ResponseEvent,
    Timeout,
    encode_query,
    quote_segment,
)

from .conftest import serve_app

BASE = "https://api.example.test/v1"
SECRET = "sk-very-secret-token-0123456789"
FAST = RetryPolicy(backoff_initial=0.001, backoff_max=0.002)


class TokenClient(BaseClient):
    def __init__(self, token: str = SECRET, base_url: str = BASE, **kwargs: Any) -> None:
        kwargs.setdefault("retry", FAST)
        super().__init__(base_url=base_url, options=ClientOptions.build(**kwargs))
        self._token = token

    async def _auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self._token}"}


class Thing(msgspec.Struct):
    id: str
    count: int = 0


def calls_to(mocked: aioresponses, method: str = "GET") -> list[object]:
    return [call for (m, _url), calls in mocked.requests.items() if m == method for call in calls]


# -- Retry-After ---------------------------------------------------------------------------------
NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "0"}, 0.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": " 7 "}, 7.0),
        ({"Retry-After": "-1"}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"retry-after-ms": "bogus", "Retry-After": "9"}, 9.0),
        (
            {"Retry-After": format_datetime(datetime.fromtimestamp(NOW + 30, timezone.utc), True)},
            30.0,
        ),
        (
            {"Retry-After": format_datetime(datetime.fromtimestamp(NOW - 30, timezone.utc), True)},
            0.0,
        ),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


def test_retry_policy_is_an_immutable_value() -> None:
    base = RetryPolicy()
    assert (base.max_retries, base.backoff_initial, base.backoff_max) == (3, 0.5, 8.0)
    changed = base.with_max_retries(0).with_deadline(5).with_backoff(1.0, maximum=2.0)
    assert base.max_retries == 3
    assert base.deadline is None
    assert (changed.max_retries, changed.deadline, changed.backoff_max) == (0, 5, 2.0)
    with pytest.raises(Exception, match="cannot assign"):
        base.max_retries = 9  # type: ignore[misc]
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)


def test_backoff_is_full_jitter_capped() -> None:
    policy = RetryPolicy()
    ceilings = [policy.with_backoff(jitter=False).backoff(n) for n in range(8)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    import random

    rng = random.Random(1)
    samples = [policy.backoff(3, rng) for _ in range(200)]
    assert all(0 <= s <= 4.0 for s in samples)
    assert max(samples) > 2.0
    assert min(samples) < 2.0


def test_delay_for_respects_cap_deadline_and_count() -> None:
    policy = RetryPolicy(max_retries=2, deadline=10)
    assert policy.delay_for(0, retry_after=2.0, elapsed=0) == 2.0
    assert policy.delay_for(0, retry_after=61.0, elapsed=0) is None  # beyond the 60 s cap
    assert policy.delay_for(0, retry_after=5.0, elapsed=6.0) is None  # would cross the deadline
    assert policy.delay_for(2, retry_after=None, elapsed=0) is None  # retries used up


# -- URLs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc123", "abc123"),
        ("../x", "..%2Fx"),
        ("a/b", "a%2Fb"),
        ("%2e%2e", "%252e%252e"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a b?c#d", "a%20b%3Fc%23d"),
    ],
)
def test_path_segment_quoting(value: str, expected: str) -> None:
    assert quote_segment(value) == expected


def test_path_segment_rejects_empty_and_non_strings() -> None:
    with pytest.raises(ValueError, match="job_id must not be empty"):
        quote_segment("", name="job_id")
    with pytest.raises(TypeError, match="job_id"):
        quote_segment(None, name="job_id")


def test_query_encoding() -> None:
    when = datetime(2024, 7, 4, 18, 13, 56, 562000, tzinfo=timezone(timedelta(hours=2)))
    query = encode_query(
        {"tags": ["a", "b c"], "skip": None, "pending": True, "flag": False, "after": when, "n": 5}
    )
    assert query == (
        "tags=a&tags=b%20c&pending=true&flag=false&after=2024-07-04T16%3A13%3A56.562Z&n=5"
    )


def test_query_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="created_after must be a timezone-aware datetime"):
        encode_query({"created_after": datetime(2024, 1, 1)})


async def test_path_params_cannot_escape_the_path() -> None:
    with aioresponses() as mocked:
        mocked.get(re.compile(r".*"), payload={"id": "x"})
        async with TokenClient() as client:
            for bad in ("../admin", "..", "a/b", ""):
                with pytest.raises(ValueError, match="job_id"):
                    await client._request(
                        "GET", "/jobs/{job_id}", path_params={"job_id": bad}, cast_to=Thing
                    )
            assert not mocked.requests  # refused before anything was sent
            await client._request(
                "GET", "/jobs/{job_id}", path_params={"job_id": "a b?c#d%"}, cast_to=Thing
            )
        ((_, url),) = mocked.requests.keys()
        assert url.raw_path == "/v1/jobs/a%20b%3Fc%23d%25"


# -- Headers -------------------------------------------------------------------------------------
async def test_headers_are_sent_and_do_not_carry_over() -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/a", payload={"id": "1"}, repeat=True)
        async with TokenClient() as client:
            await client._request("GET", "/a", cast_to=Thing, headers={"X-Extra": "1"})
            await client._request("GET", "/a", cast_to=Thing)
        first, second = calls_to(mocked)
        h1 = first.kwargs["headers"]  # type: ignore[attr-defined]
        h2 = second.kwargs["headers"]  # type: ignore[attr-defined]
        assert h1["Authorization"] == f"Bearer {SECRET}"
        assert h1["Accept"] == "application/json"
        assert h1["User-Agent"] == USER_AGENT
        assert h1["X-Extra"] == "1"
        assert "X-Extra" not in h2


def test_user_agent_names_package_python_and_aiohttp() -> None:
    assert re.fullmatch(r"qruntime-async/\S+ python/\d+\.\d+ aiohttp/\S+", USER_AGENT)


# -- Decoding ------------------------------------------------------------------------------------
async def test_json_is_decoded_into_the_requested_type_and_204_is_none() -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/t", body=b'{"id": "t1", "count": "4", "extra": true}')
        mocked.delete(f"{BASE}/t", status=204)
        mocked.get(f"{BASE}/log", body="line 1\nline 2", content_type="text/plain")
        async with TokenClient() as client:
            thing = await client._request("GET", "/t", cast_to=Thing)
            assert thing == Thing(id="t1", count=4)
            deleted: object = await client._request("DELETE", "/t", cast_to=type(None))
            assert deleted is None
            assert await client._request("GET", "/log", cast_to=str) == "line 1\nline 2"


async def test_a_body_of_the_wrong_shape_is_a_decode_error_with_the_field_path() -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/t", body=b'{"id": 12}', repeat=True)
        mocked.get(f"{BASE}/u", body=b'{"id": "x", "cou', repeat=True)
        async with TokenClient() as client:
            with pytest.raises(errors.ResponseDecodeError) as info:
                await client._request("GET", "/t", cast_to=Thing)
            assert info.value.path == "$.id"
            assert info.value.expected == "Thing"
            with pytest.raises(errors.ResponseDecodeError, match="malformed JSON"):
                await client._request("GET", "/u", cast_to=Thing)


async def test_a_garbled_body_is_read_again_for_a_get_but_not_for_a_post() -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/t", body=b'{"id": "t1", "cou')
        mocked.get(f"{BASE}/t", payload={"id": "t1"})
        mocked.post(f"{BASE}/jobs", body=b"<html>oops")
        mocked.post(f"{BASE}/jobs", payload={"id": "second"})
        async with TokenClient() as client:
            assert (await client._request("GET", "/t", cast_to=Thing)).id == "t1"
            with pytest.raises(errors.ResponseDecodeError):
                await client._request("POST", "/jobs", json={}, cast_to=Thing)
        assert len(calls_to(mocked, "GET")) == 2
        assert len(calls_to(mocked, "POST")) == 1


# -- Errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "message"),
    [
        (
            400,
            b'{"error": {"code": 1234, "message": "bad backend"}}',
            errors.BadRequestError,
            "1234",
            "bad backend",
        ),
        (
            404,
            b'{"errors": [{"code": "not_found", "message": "Job not found", "more_info": "x"}],'
            b' "trace": "tr-1"}',
            errors.NotFoundError,
            "not_found",
            "Job not found",
        ),
        (
            403,
            b'{"message": "insufficient permissions", "type": "permissions_denied"}',
            errors.PermissionDeniedError,
            "permissions_denied",
            "insufficient permissions",
        ),
        (401, b"", errors.AuthenticationError, None, "Unauthorized"),
        (409, b"<html>conflict</html>", errors.ConflictError, None, "Conflict"),
        (422, b"not json at all", errors.BadRequestError, None, "not json at all"),
        (418, b"{}", errors.APIStatusError, None, "I'm a Teapot"),
    ],
)
async def test_error_bodies_of_every_format(
    status: int, body: bytes, cls: type[errors.APIStatusError], code: str | None, message: str
) -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/x", status=status, body=body, headers={"X-Request-Id": "req-9"})
        async with TokenClient() as client:
            with pytest.raises(cls) as info:
                await client._request("GET", "/x", cast_to=Thing)
    err = info.value
    assert type(err) is cls
    assert (err.status, err.code, err.message) == (status, code, message)
    assert err.request_id == "req-9"
    assert err.method == "GET"
    assert err.url == f"{BASE}/x"
    assert str(status) in str(err)


async def test_scaleway_validation_fields_are_listed() -> None:
    body = (
        b'{"message": "Validation Error", "type": "invalid_arguments",'
        b' "fields": {"name": ["is required"]}}'
    )
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/jobs", status=400, body=body)
        async with TokenClient() as client:
            with pytest.raises(errors.BadRequestError) as info:
                await client._request("POST", "/jobs", json={}, cast_to=Thing)
    assert info.value.fields == {"name": ["is required"]}
    assert "name: ['is required']" in str(info.value)


# -- Retries -------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_get_is_retried_on_transient_statuses(status: int) -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/t", status=status)
        mocked.get(f"{BASE}/t", payload={"id": "ok"})
        async with TokenClient() as client:
            assert (await client._request("GET", "/t", cast_to=Thing)).id == "ok"
        assert len(calls_to(mocked)) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_client_errors_are_not_retried(status: int) -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/t", status=status, repeat=True)
        async with TokenClient() as client:
            with pytest.raises(errors.APIStatusError) as info:
                await client._request("GET", "/t", cast_to=Thing)
        assert info.value.attempts == 1
        assert len(calls_to(mocked)) == 1


async def test_exhausted_retries_report_the_real_status_message_and_attempts() -> None:
    with aioresponses() as mocked:
        mocked.get(
            f"{BASE}/t",
            status=503,
            body=b'{"errors": [{"code": "busy", "message": "try later"}]}',
            repeat=True,
        )
        async with TokenClient() as client:
            with pytest.raises(errors.ServerError) as info:
                await client._request("GET", "/t", cast_to=Thing)
    assert info.value.status == 503
    assert info.value.message == "try later"
    assert info.value.attempts == 4
    assert "after 4 attempts" in str(info.value)


async def test_max_retries_zero_and_per_call_override() -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/t", status=500, repeat=True)
        async with TokenClient(max_retries=0) as client:
            with pytest.raises(errors.ServerError):
                await client._request("GET", "/t", cast_to=Thing)
            assert len(calls_to(mocked)) == 1
            with pytest.raises(errors.ServerError) as info:
                await client._request("GET", "/t", cast_to=Thing, retry=FAST.with_max_retries(2))
            assert info.value.attempts == 3
            view = client.with_options(max_retries=1)
            with pytest.raises(errors.ServerError) as info:
                await view._request("GET", "/t", cast_to=Thing)
            assert info.value.attempts == 2
            assert client.retry_policy.max_retries == 0


@pytest.mark.parametrize(
    # A 503 may come from a gateway whose upstream reset after acting: only 429 proves nothing
    # was done.
    ("status", "retried"),
    [(500, False), (502, False), (503, False), (429, True)],
)
async def test_post_is_retried_only_when_the_server_certainly_did_not_act(
    status: int, retried: bool
) -> None:
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/jobs", status=status)
        mocked.post(f"{BASE}/jobs", payload={"id": "j1"})
        async with TokenClient() as client:
            if retried:
                assert (await client._request("POST", "/jobs", json={}, cast_to=Thing)).id == "j1"
            else:
                with pytest.raises(errors.ServerError):
                    await client._request("POST", "/jobs", json={}, cast_to=Thing)
        assert len(calls_to(mocked, "POST")) == (2 if retried else 1)


async def test_post_is_not_retried_after_a_read_timeout_but_get_is() -> None:
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/jobs", exception=aiohttp.SocketTimeoutError("read"))
        mocked.post(f"{BASE}/jobs", payload={"id": "dup"})
        mocked.get(f"{BASE}/jobs/1", exception=aiohttp.SocketTimeoutError("read"))
        mocked.get(f"{BASE}/jobs/1", payload={"id": "1"})
        async with TokenClient() as client:
            with pytest.raises(errors.APITimeoutError) as info:
                await client._request("POST", "/jobs", json={}, cast_to=Thing)
            assert info.value.sent is True
            assert (await client._request("GET", "/jobs/1", cast_to=Thing)).id == "1"
        assert len(calls_to(mocked, "POST")) == 1


async def test_post_is_not_retried_after_the_connection_drops_mid_response() -> None:
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/jobs", exception=aiohttp.ServerDisconnectedError())
        mocked.post(f"{BASE}/jobs", payload={"id": "dup"})
        async with TokenClient() as client:
            with pytest.raises(errors.APIConnectionError):
                await client._request("POST", "/jobs", json={}, cast_to=Thing)
        assert len(calls_to(mocked, "POST")) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_post_is_retried_when_the_connection_was_refused() -> None:
    port = _free_port()  # nothing listens there
    async with TokenClient(base_url=f"http://127.0.0.1:{port}") as client:
        with pytest.raises(errors.APIConnectionError) as info:
            await client._request("POST", "/jobs", json={}, cast_to=Thing)
    assert info.value.sent is False
    assert info.value.attempts == 4
    assert "cannot connect" in str(info.value)


async def test_retry_after_beyond_the_cap_raises_at_once() -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/t", status=429, headers={"Retry-After": "3600"}, repeat=True)
        async with TokenClient() as client:
            with pytest.raises(errors.RateLimitError) as info:
                await client._request("GET", "/t", cast_to=Thing)
    assert info.value.retry_after == 3600
    assert info.value.attempts == 1


async def test_retry_after_is_honoured() -> None:
    slept: list[float] = []
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/t", status=429, headers={"retry-after-ms": "30"})
        mocked.get(f"{BASE}/t", payload={"id": "ok"})
        async with TokenClient() as client:
            original = client._sleep

            async def record(delay: float) -> None:
                slept.append(delay)
                await original(delay)

            client._sleep = record  # type: ignore[method-assign]
            await client._request("GET", "/t", cast_to=Thing)
    assert slept
    assert slept[-1] == pytest.approx(0.03)


async def test_a_cancelled_retry_sleep_returns_promptly_and_leaks_nothing() -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/t", status=503, headers={"Retry-After": "30"}, repeat=True)
        async with TokenClient() as client:
            task = asyncio.create_task(client._request("GET", "/t", cast_to=Thing))
            await asyncio.sleep(0.05)
            assert not task.done()  # it is in the 30 s retry sleep
            task.cancel()
            with anyio.fail_after(2), pytest.raises(asyncio.CancelledError):
                await task
        assert client.closed
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []


# -- Real server: timeouts, in-flight close --------------------------------------------------------
@pytest.fixture
async def slow_server() -> AsyncIterator[str]:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("delay", "5")))
        return web.json_response({"id": "slow"})

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_post("/slow", slow)
    async with serve_app(app, shutdown_timeout=0.1) as url:
        yield url


async def test_read_timeout_raises_api_timeout_error(slow_server: str) -> None:
    async with TokenClient(base_url=slow_server, timeout=Timeout(connect=1, read=0.1)) as client:
        with pytest.raises(errors.APITimeoutError) as info:
            await client._request("GET", "/slow", cast_to=Thing, retry=RetryPolicy(max_retries=0))
        assert "read timeout" in str(info.value)
        # The per-call timeout wins over the client's.
        thing = await client._request(
            "GET", "/slow", params={"delay": 0.2}, cast_to=Thing, timeout=2
        )
        assert thing.id == "slow"


async def test_closing_the_client_ends_calls_in_flight(slow_server: str) -> None:
    client = TokenClient(base_url=slow_server)
    task = asyncio.create_task(client._request("GET", "/slow", cast_to=Thing))
    await asyncio.sleep(0.1)
    await client.aclose()
    with anyio.fail_after(2), pytest.raises(errors.ClientClosedError):
        await task


# -- Lifecycle -----------------------------------------------------------------------------------
def test_construction_needs_no_event_loop_and_use_after_close_fails() -> None:
    client = TokenClient()  # no loop is running here

    async def use() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/t", payload={"id": "1"})
            async with client:
                assert (await client._request("GET", "/t", cast_to=Thing)).id == "1"
        await client.aclose()  # idempotent
        with pytest.raises(errors.ClientClosedError):
            await client._request("GET", "/t", cast_to=Thing)
        with pytest.raises(errors.ClientClosedError):
            async with client:
                pass

    asyncio.run(use())


async def test_a_callers_session_is_never_closed() -> None:
    async with aiohttp.ClientSession() as session:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/t", payload={"id": "1"})
            async with TokenClient(session=session) as client:
                await client._request("GET", "/t", cast_to=Thing)
        assert not session.closed


async def test_pool_settings_reach_the_connector() -> None:
    async with TokenClient(pool_size=7, pool_size_per_host=3, keepalive_timeout=5) as client:
        connector = client._session().connector
        assert isinstance(connector, aiohttp.TCPConnector)
        assert (connector.limit, connector.limit_per_host) == (7, 3)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://example.com", False),
        ("http://10.0.0.5:8000", False),
        ("http://127.0.0.1:8765", True),
        ("http://localhost:8765", True),
        ("http://[::1]:8765", True),
        ("https://example.com", True),
    ],
)
def test_credentials_are_refused_over_plain_http_to_remote_hosts(url: str, allowed: bool) -> None:
    if allowed:
        TokenClient(base_url=url)
    else:
        with pytest.raises(ValueError, match="plain http"):
            TokenClient(base_url=url)
        TokenClient(base_url=url, allow_insecure_http=True)


# -- Secrets, logs, hooks --------------------------------------------------------------------------
async def test_secrets_never_appear_in_repr_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="qruntime_async")
    texts: list[str] = []
    with aioresponses() as mocked:
        mocked.get(f"{BASE}/t", status=500)
        mocked.get(f"{BASE}/t", status=401, body=b'{"message": "bad token"}')
        async with TokenClient() as client:
            texts.append(repr(client))
            with pytest.raises(errors.AuthenticationError) as info:
                await client._request("GET", "/t", cast_to=Thing)
            texts += [str(info.value), repr(info.value), str(vars(info.value))]
    texts += [record.getMessage() for record in caplog.records]
    assert any("retrying" in t for t in texts)
    assert all(SECRET not in t for t in texts)


async def test_hooks_see_each_attempt() -> None:
    seen: list[object] = []

    async def on_response(event: ResponseEvent) -> None:
        seen.append(event)

    with aioresponses() as mocked:
        mocked.get(f"{BASE}/t", status=502)
        mocked.get(f"{BASE}/t", payload={"id": "1"})
        async with TokenClient(on_request=seen.append, on_response=on_response) as client:
            await client._request("GET", "/t", cast_to=Thing)
    kinds = [(type(e).__name__, e.attempt) for e in seen]  # type: ignore[attr-defined]
    assert kinds == [
        ("RequestEvent", 1),
        ("ResponseEvent", 1),
        ("RequestEvent", 2),
        ("ResponseEvent", 2),
    ]
    assert isinstance(seen[1], ResponseEvent)
    assert seen[1].status == 502
    assert isinstance(seen[0], RequestEvent)
    assert seen[0].url == f"{BASE}/t"
