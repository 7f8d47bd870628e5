"""Read and total timeouts of each attempt, against a real server on 127.0.0.1.

A server that never answers, one that stalls after its headers, one that trickles its body
(never tripping the read timeout, always the total), and one that is slow but steady: what a
user sees is the error (or the answer), how long it took, and that nothing stays behind.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web

from qruntime_async import IBMRuntimeClient, RetryPolicy, Timeout, errors

from .conftest import serve_app

JOB = b'{"id": "j1", "status": "Completed"}'
NO_RETRY = RetryPolicy(max_retries=0)


async def _silent(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(30)
    return web.Response(body=JOB, content_type="application/json")


async def _stalls_after_headers(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    resp.content_length = len(JOB)
    await resp.prepare(request)
    await resp.write(JOB[:5])
    await asyncio.sleep(30)
    return resp


async def _drips(request: web.Request) -> web.StreamResponse:
    # One byte every `gap` seconds: never silent for long, but slow in all.
    gap = float(request.query.get("gap", "0.05"))
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    resp.content_length = len(JOB)
    await resp.prepare(request)
    for index in range(len(JOB)):
        await resp.write(JOB[index : index + 1])
        await asyncio.sleep(gap)
    return resp


async def _slow(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(float(request.query.get("delay", "0.25")))
    return web.Response(body=JOB, content_type="application/json")


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/runtime/jobs/silent", _silent)
    app.router.add_get("/runtime/jobs/stalls", _stalls_after_headers)
    app.router.add_get("/runtime/jobs/drips", _drips)
    app.router.add_get("/runtime/jobs/slow", _slow)
    async with serve_app(app, shutdown_timeout=0.1) as url:
        yield f"{url}/runtime"


def client_for(url: str, timeout: Timeout, **options: Any) -> IBMRuntimeClient:
    return IBMRuntimeClient(
        token="t", instance="h/g/p", base_url=url, timeout=timeout, retry=NO_RETRY, **options
    )


async def test_a_server_that_never_answers_trips_the_read_timeout(server: str) -> None:
    async with client_for(server, Timeout(read=0.2)) as client:
        started = time.monotonic()
        with anyio.fail_after(5), pytest.raises(errors.APITimeoutError, match="read timeout"):
            await client.jobs.get("silent")
        assert 0.15 < time.monotonic() - started < 2
        assert client._shared.deadlines is not None
        assert len(client._shared.deadlines) == 0


async def test_a_body_that_stalls_trips_the_read_timeout(server: str) -> None:
    async with client_for(server, Timeout(read=0.2)) as client:
        with anyio.fail_after(5), pytest.raises(errors.APITimeoutError) as info:
            await client.jobs.get("stalls")
    assert "no bytes for 0.2 s" in str(info.value)
    assert info.value.sent is True


async def test_a_trickling_body_is_ended_by_the_total_not_the_read_timeout(server: str) -> None:
    async with client_for(server, Timeout(read=1.0, total=0.4)) as client:
        started = time.monotonic()
        with anyio.fail_after(5), pytest.raises(errors.APITimeoutError) as info:
            await client.jobs.get("drips")
        assert 0.35 < time.monotonic() - started < 1.5
    assert "attempt timeout" in str(info.value)


async def test_a_slow_but_steady_body_is_read_whole(server: str) -> None:
    # 35 bytes, one every 20 ms (about 0.7 s in all): each byte restarts the 0.3 s read limit.
    async with client_for(server, Timeout(read=0.3, total=None)) as client:
        with anyio.fail_after(5):
            body = await client._request(
                "GET", "/jobs/drips", params={"gap": "0.02"}, cast_to=bytes
            )
    assert body == JOB


async def test_the_retry_deadline_bounds_the_attempt_in_flight(server: str) -> None:
    async with client_for(server, Timeout(read=10)) as client:
        started = time.monotonic()
        with anyio.fail_after(5), pytest.raises(errors.APITimeoutError, match="attempt timeout"):
            await client.with_options(retry=RetryPolicy(deadline=0.3)).jobs.get("silent")
        assert time.monotonic() - started < 2


async def test_a_cancellation_from_outside_stays_a_cancellation(server: str) -> None:
    async with client_for(server, Timeout(read=10)) as client:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.jobs.get("silent"), 0.1)
        task = asyncio.create_task(client.jobs.get("silent"))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client._shared.deadlines is not None
        assert len(client._shared.deadlines) == 0


async def test_timeouts_hit_many_calls_at_once_and_each_only_once(server: str) -> None:
    async with client_for(server, Timeout(read=0.2)) as client:
        with anyio.fail_after(5):
            outcomes = await asyncio.gather(
                *(client.jobs.get("silent") for _ in range(20)), return_exceptions=True
            )
        assert all(isinstance(o, errors.APITimeoutError) for o in outcomes)
        assert all(o.attempts == 1 for o in outcomes if isinstance(o, errors.APIError))
        assert client._shared.deadlines is not None
        assert len(client._shared.deadlines) == 0
    # Closing the client stopped the table's timer: nothing is left scheduled for it.
    assert client._shared.deadlines._timer is None


async def test_waiting_for_a_free_connection_does_not_count_as_reading(server: str) -> None:
    # Two connections, six calls of 0.25 s each: the last ones wait about 0.5 s for a
    # connection, longer than the 0.4 s read limit, and still get their answer.
    async with client_for(server, Timeout(read=0.4), pool_size=2, pool_size_per_host=2) as client:
        started = time.monotonic()
        with anyio.fail_after(5):
            jobs = await asyncio.gather(*(client.jobs.get("slow") for _ in range(6)))
        assert time.monotonic() - started > 0.7
        assert [job.id for job in jobs] == ["j1"] * 6
        # A queued call still has its read limit once it is sent.
        with anyio.fail_after(5):
            outcomes = await asyncio.gather(
                *(client.jobs.get("silent") for _ in range(3)), return_exceptions=True
            )
        assert all(isinstance(o, errors.APITimeoutError) for o in outcomes)
        assert client._shared.deadlines is not None
        assert len(client._shared.deadlines) == 0


async def test_a_slow_connect_is_a_connect_timeout_that_certainly_sent_nothing() -> None:
    # A listener whose accept queue is full: connecting hangs. The read limit, equal here,
    # does not run before there is a connection, so the error says what happened and that
    # the request never left (a POST may then be tried again safely).
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))  # in progress, not an exception
            fillers.append(filler)
        await asyncio.sleep(0.1)
        url = f"http://127.0.0.1:{port}/runtime"
        async with client_for(url, Timeout.coerce(0.3)) as client:
            with anyio.fail_after(5), pytest.raises(errors.APITimeoutError) as info:
                await client._request("POST", "/jobs", json={}, cast_to=bytes)
        assert "connect timeout" in str(info.value)
        assert info.value.sent is False
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_a_session_of_the_callers_keeps_its_timeouts(server: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with client_for(server, Timeout(read=0.2), session=session) as client:
            started = time.monotonic()
            with anyio.fail_after(5), pytest.raises(errors.APITimeoutError):
                await client.jobs.get("silent")
            assert time.monotonic() - started < 2
        assert not session.closed


async def test_a_cancellation_arriving_with_the_timeout_is_not_swallowed(server: str) -> None:
    async with client_for(server, Timeout(read=0.2)) as client:
        client = client.with_options(retry=RetryPolicy(max_retries=2))
        task = asyncio.create_task(client.jobs.get("silent"))
        await asyncio.sleep(0.05)
        deadlines = client._shared.deadlines
        assert deadlines is not None
        expire = deadlines._expire

        def expire_then_cancel_from_outside() -> None:
            expire()
            task.cancel()  # e.g. a task group tearing down, in the same loop iteration

        deadlines._expire = expire_then_cancel_from_outside  # type: ignore[method-assign]
        with anyio.fail_after(5), pytest.raises(asyncio.CancelledError):
            await task
