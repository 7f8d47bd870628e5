"""Edge cases a careful user hits: hanging servers, redirects, long pauses, odd bodies, closing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any, ClassVar

import anyio
import msgspec
import pytest
from aiohttp import web

from qruntime_async import (
    IBMRuntimeClient,
    PollPolicy,
    RetryPolicy,
    ScalewayQaaSClient,
    SubmitPolicy,
    WatchGroup,
    errors,
)
from qruntime_async._codec import Model, decode
from qruntime_async._submit import submit_exactly_once
from qruntime_async.emulator import Emulator, EmulatorConfig
from qruntime_async.ibm.models import Job as IBMJob
from qruntime_async.scaleway.models import Job as ScalewayJob

from .conftest import serve_app

SECRET = "scw-secret-for-hardening-tests"
JOB = "3f3d4c2e-5a8b-4c1d-9e2f-0a1b2c3d4e5f"
FAST = RetryPolicy(backoff_initial=0.001, backoff_max=0.002)


class Server:
    """A tiny Scaleway-shaped server whose answers each test chooses, counting requests."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits[name] = self.hits.get(name, 0) + 1
        if name == "redirect":
            return web.Response(status=302, headers={"Location": "https://elsewhere.test/x"})
        if name == "limited":
            return web.json_response(
                {"message": "slow down"}, status=429, headers={"Retry-After": "3600"}
            )
        if name == "hang":
            await asyncio.sleep(30)
        if name == "wrong-shape":
            return web.json_response({"id": 123})
        if name == "huge-duration":
            body = {"id": name, "status": "completed", "job_duration": "99999999999999999999s"}
            return web.json_response(body)
        if name == "deep":
            depth = 3000
            text = '{"id": "deep", "parameters": ' + '{"a":' * depth + "1" + "}" * depth + "}"
            return web.Response(text=text, content_type="application/json")
        return web.json_response({"id": name, "status": "running"})


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    app = web.Application()
    app.router.add_route("*", "/qaas/v1alpha1/jobs/{name}", state.handle)
    async with serve_app(app, shutdown_timeout=0.1) as url:
        state.url = url
        yield state


async def drain(group: WatchGroup[Any]) -> None:
    async with group:
        async for _ in group:
            pass


def scw(server: Server, **kwargs: object) -> ScalewayQaaSClient:
    return ScalewayQaaSClient(
        secret_key=SECRET,
        project_id="p",
        base_url=server.url,
        retry=FAST,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_a_wait_times_out_even_when_the_server_never_answers(server: Server) -> None:
    async with scw(server) as client:
        with anyio.fail_after(5), pytest.raises(errors.WaitTimeoutError):
            await client.jobs.wait("hang", timeout=0.3)
        group = client.jobs.watch_many(["hang"], timeout=0.3)
        with anyio.fail_after(5), pytest.raises(errors.WaitTimeoutError):
            await drain(group)


async def test_a_redirect_is_an_error_not_a_success(server: Server) -> None:
    async with scw(server) as client:
        with pytest.raises(errors.APIStatusError) as info:
            await client.jobs.delete("redirect")
    assert info.value.status == 302
    assert "elsewhere.test" in str(info.value)
    assert server.hits["redirect"] == 1


async def test_a_retry_after_beyond_the_cap_does_not_stall_later_calls(server: Server) -> None:
    async with scw(server) as client:
        with pytest.raises(errors.RateLimitError):
            await client.jobs.get("limited")
        with anyio.fail_after(5):  # before, every later call waited 60 s
            assert (await client.jobs.get("fine")).id == "fine"


async def test_well_formed_json_of_the_wrong_shape_is_not_requested_again(server: Server) -> None:
    async with scw(server) as client:
        with pytest.raises(errors.ResponseDecodeError) as info:
            await client.jobs.get("wrong-shape")
    assert info.value.path == "$.id"
    assert not info.value.malformed
    assert server.hits["wrong-shape"] == 1


async def test_a_too_deeply_nested_answer_is_a_decode_error(server: Server) -> None:
    async with scw(server) as client:
        with pytest.raises(errors.ResponseDecodeError):
            await client.jobs.get("deep")


async def test_an_unrepresentable_duration_is_a_decode_error_naming_the_field(
    server: Server,
) -> None:
    async with scw(server) as client:
        job = await client.jobs.get("huge-duration")
    # Durations are parsed when first read: the rest of the job stays usable.
    assert job.id == "huge-duration"
    with pytest.raises(errors.ResponseDecodeError) as info:
        _ = job.job_duration
    assert info.value.path == "Job.job_duration"
    assert "job_duration" in repr(job)


async def test_the_secret_is_not_kept_in_the_error_chain() -> None:
    async def garbled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A malformed HTTP answer: aiohttp's own error keeps the request's headers.
        await reader.read(65536)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\nBad Header\r\n\r\n{}")
        await writer.drain()
        writer.close()

    raw = await asyncio.start_server(garbled, "127.0.0.1", 0)
    port = raw.sockets[0].getsockname()[1]
    try:
        async with ScalewayQaaSClient(
            secret_key=SECRET, project_id="p", base_url=f"http://127.0.0.1:{port}", max_retries=0
        ) as client:
            with pytest.raises(errors.APIConnectionError) as info:
                await client.jobs.get("x")
    finally:
        raw.close()
        await raw.wait_closed()
    chain: list[BaseException] = []
    error: BaseException | None = info.value
    while error is not None and len(chain) < 10:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert len(chain) > 1  # the aiohttp error is kept for diagnosis ...
    for item in chain:  # ... without the credential
        assert SECRET not in repr(item)
        assert SECRET not in repr(vars(item))


async def test_scaleway_watch_many_refuses_a_single_string(server: Server) -> None:
    async with scw(server) as client:
        with pytest.raises(TypeError, match="job_ids"):
            client.jobs.watch_many("job-123")


# -- Exactly-once reconciliation -----------------------------------------------------------------
async def test_an_inconclusive_lookup_never_resubmits() -> None:
    created: list[str] = []

    async def create() -> str:
        created.append("attempt")
        raise errors.APITimeoutError("read timeout", method="POST", url="u", sent=True)

    async def find() -> str | None:
        raise errors.APIConnectionError("connection failed", method="GET", url="u")

    with pytest.raises(errors.SubmissionError) as info:
        await submit_exactly_once(
            create, find, key="k-1", policy=SubmitPolicy(settle=0.01, lookups=2)
        )
    assert created == ["attempt"]  # the job may exist: never submitted twice
    assert info.value.idempotency_key == "k-1"


async def test_a_late_conclusive_lookup_allows_a_resubmission() -> None:
    answers = iter([errors.APIConnectionError("flaky", method="GET", url="u"), None])
    attempts: list[int] = []

    async def create() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise errors.ServerError("boom", status=500)
        return "job-2"

    async def find() -> str | None:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    result = await submit_exactly_once(
        create, find, key="k-2", policy=SubmitPolicy(settle=0.01, lookups=2)
    )
    assert result == "job-2"
    assert len(attempts) == 2


# -- Closing the client ends every wait ------------------------------------------------------------
async def test_closing_ends_a_wait_with_a_long_poll_interval_and_a_queued_submission() -> None:
    slow = PollPolicy(interval=30, max_interval=30, min_interval=30)
    async with Emulator(EmulatorConfig(speed=0)) as emu:
        client = IBMRuntimeClient(
            token=emu.ibm_token,
            instance=emu.ibm_instance,
            base_url=emu.ibm_url,
            submit_rate_limit=(1, 60.0),
        )
        job = await client.jobs.submit("sampler", backend=emu.ibm_backend)
        waiting = asyncio.create_task(client.jobs.wait(job.id, policy=slow))
        queued = asyncio.create_task(client.jobs.submit("sampler", backend=emu.ibm_backend))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        assert not queued.done()
        await client.aclose()
        with anyio.fail_after(5):
            results = await asyncio.gather(waiting, queued, return_exceptions=True)
        assert [type(r) for r in results] == [errors.ClientClosedError] * 2
        assert len(emu.ibm_jobs()) == 1


# -- Models defined by users on top of ours -------------------------------------------------------
def test_a_subclass_with_its_own_timestamps_gets_them_in_utc() -> None:
    class ArchivedJob(ScalewayJob, frozen=True):
        archived_at: datetime | None = None

    job = decode(
        b'{"id": "j", "created_at": "2024-01-01T10:00:00+02:00",'
        b' "archived_at": "2024-01-02 00:00:00"}',
        ArchivedJob,
    )
    assert job.created_at == datetime(2024, 1, 1, 8, tzinfo=timezone.utc)
    assert job.archived_at == datetime(2024, 1, 2, tzinfo=timezone.utc)
    assert job.archived_at is not None
    assert job.archived_at.tzinfo is timezone.utc


def test_containers_of_timestamps_and_keyword_names_are_left_alone() -> None:
    class Log(Model, frozen=True):
        EPOCH: ClassVar[datetime] = datetime(1970, 1, 1)
        stamps: list[datetime] = msgspec.field(default_factory=list)

    log = decode(b'{"stamps": ["2024-01-01T00:00:00"]}', Log)
    assert log.stamps == [datetime(2024, 1, 1)]  # a list is data, not a field to convert
    keyworded = msgspec.defstruct(
        "Keyworded", [("from", datetime | None, None)], bases=(Model,), frozen=True
    )
    value = decode(b'{"from": "2024-01-01 00:00:00"}', keyworded)
    assert getattr(value, "from").tzinfo is not None


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_timestamp_outside_utcs_range_is_a_decode_error(stamp: str) -> None:
    job = decode(('{"id": "j", "created": "' + stamp + '"}').encode(), IBMJob)
    with pytest.raises(errors.ResponseDecodeError, match="out of range") as info:
        _ = job.created
    assert info.value.path == "Job.created"
    assert "created=datetime.datetime(" in repr(job)  # shown as sent, not an error


async def test_a_pause_longer_than_a_calls_cap_fails_that_call_at_once(server: Server) -> None:
    patient = RetryPolicy(max_retries=0, retry_after_cap=7200)
    async with scw(server) as client:
        with pytest.raises(errors.RateLimitError):
            await client.with_options(retry=patient).jobs.get("limited")  # pauses for 3600 s
        with anyio.fail_after(5), pytest.raises(errors.RateLimitError, match="paused"):
            await client.jobs.get("fine")  # its own cap is 60 s
