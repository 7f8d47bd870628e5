"""The Scaleway QaaS client: credentials, request shapes, paging, errors and every resource."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest
from aiohttp import web
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from qruntime_async import errors
from qruntime_async._constants import USER_AGENT
from qruntime_async._polling import PollPolicy
from qruntime_async._retry import RetryPolicy
from qruntime_async.errors import SessionStoppedError
from qruntime_async.scaleway.client import ScalewayQaaSClient
from qruntime_async.scaleway.models import Job, JobCircuit, JobStatus, ListJobsOrderBy
from qruntime_async.scaleway.results import result_counts

from .conftest import serve_app

ROOT = "https://api.scaleway.com"
API = ROOT + "/qaas/v1alpha1"
SECRET = "scw-secret-4f1d2c3b-aaaa-bbbb-cccc-0123456789ab"
PROJECT = "6170692e-7363-616c-6577-61792e636f6d"
SESSION = "6a134dca-5743-4ba6-9999-b84c295d591c"
JOB = "3f3d4c2e-5a8b-4c1d-9e2f-0a1b2c3d4e5f"
PLATFORM = "5e52c364-03fd-4bf7-93e2-e1597e28fb83"
QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0],q[1];\n'
FIXTURES = Path(__file__).parent / "fixtures" / "scaleway"
FAST_RETRY = RetryPolicy(backoff_initial=0.001, backoff_max=0.002)
FAST_POLL = PollPolicy(interval=0.001, max_interval=0.001, min_interval=0.0, jitter=0.0)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def job(job_id: str = JOB, status: str = "waiting", **extra: Any) -> dict[str, Any]:
    return {"id": job_id, "name": "j", "session_id": SESSION, "status": status, **extra}


def session(status: str = "running", **extra: Any) -> dict[str, Any]:
    return {"id": SESSION, "platform_id": PLATFORM, "status": status, **extra}


@dataclass
class Call:
    method: str
    url: URL
    headers: dict[str, str]
    body: Any

    @property
    def path(self) -> str:
        return self.url.path

    @property
    def query(self) -> dict[str, str]:
        return dict(self.url.query)


@dataclass
class FakeAPI:
    """Answers registered per method and path (any query), recording every call in order."""

    mocked: aioresponses
    calls: list[Call] = field(default_factory=list)

    def on(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        status: int = 200,
        body: bytes | None = None,
        repeat: bool = False,
        base: str = API,
    ) -> None:
        pattern = re.compile(re.escape(base + path) + r"(\?.*)?$")

        async def answer(url: URL, **kwargs: Any) -> CallbackResult:
            # Like a real server, answering takes a turn of the event loop.
            await asyncio.sleep(0)
            data = kwargs.get("data")
            self.calls.append(
                Call(
                    method,
                    url,
                    dict(kwargs.get("headers") or {}),
                    json.loads(data) if data else None,
                )
            )
            raw = body if body is not None else json.dumps(payload).encode()
            return CallbackResult(status=status, body=raw if status != 204 else b"")

        self.mocked.add(pattern, method=method, callback=answer, repeat=repeat)

    def paths(self) -> list[tuple[str, str]]:
        return [(call.method, call.path) for call in self.calls]


@pytest.fixture(autouse=True)
def _no_scaleway_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SCW_SECRET_KEY", "SCW_DEFAULT_PROJECT_ID", "SCW_API_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    with aioresponses() as mocked:
        yield FakeAPI(mocked)


@pytest.fixture
async def client() -> AsyncIterator[ScalewayQaaSClient]:
    async with ScalewayQaaSClient(secret_key=SECRET, project_id=PROJECT, retry=FAST_RETRY) as c:
        yield c


# -- Construction and credentials -----------------------------------------------------------------
def test_a_missing_secret_key_is_refused_naming_the_argument_and_variable() -> None:
    with pytest.raises(ValueError, match="secret_key") as info:
        ScalewayQaaSClient(project_id=PROJECT)
    assert "SCW_SECRET_KEY" in str(info.value)
    with pytest.raises(ValueError, match="secret_key"):
        ScalewayQaaSClient(secret_key="  ")


async def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch, api: FakeAPI) -> None:
    monkeypatch.setenv("SCW_SECRET_KEY", SECRET)
    monkeypatch.setenv("SCW_DEFAULT_PROJECT_ID", PROJECT)
    monkeypatch.setenv("SCW_API_URL", "http://127.0.0.1:8123")
    api.on(
        "GET",
        "/sessions",
        {"total_count": 0, "sessions": []},
        base="http://127.0.0.1:8123/qaas/v1alpha1",
    )
    async with ScalewayQaaSClient() as client:
        assert client.project_id == PROJECT
        assert client.base_url == "http://127.0.0.1:8123"
        assert await client.sessions.list().to_list() == []
    (call,) = api.calls
    assert call.headers["X-Auth-Token"] == SECRET
    assert call.query["project_id"] == PROJECT


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCW_DEFAULT_PROJECT_ID", "env-project")
    monkeypatch.setenv("SCW_API_URL", "https://env.example.test")
    client = ScalewayQaaSClient(secret_key=SECRET, project_id=PROJECT, base_url=API + "/")
    assert client.project_id == PROJECT
    # A base URL that already ends with the API prefix is accepted as well.
    assert client.base_url == ROOT


async def test_every_request_carries_the_auth_token_and_user_agent(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", f"/jobs/{JOB}", job())
    api.on("POST", "/jobs", job())
    await client.jobs.get(JOB)
    await client.jobs.create(SESSION, QASM)
    get, post = api.calls
    for call in (get, post):
        assert call.headers["X-Auth-Token"] == SECRET
        assert call.headers["User-Agent"] == USER_AGENT
        assert call.headers["Accept"] == "application/json"
    assert post.headers["Content-Type"] == "application/json"
    assert "Content-Type" not in get.headers


async def test_the_secret_never_appears_in_repr_errors_or_logs(
    api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="qruntime_async")
    api.on("GET", f"/jobs/{JOB}", status=503, body=b"")
    api.on("GET", f"/jobs/{JOB}", status=401, body=b'{"message": "authentication is denied"}')
    texts: list[str] = []
    async with ScalewayQaaSClient(secret_key=SECRET, project_id=PROJECT, retry=FAST_RETRY) as c:
        texts += [repr(c), str(vars(c)), repr(c.with_options(max_retries=1))]
        with pytest.raises(errors.AuthenticationError) as info:
            await c.jobs.get(JOB)
        texts += [str(info.value), repr(info.value), str(vars(info.value))]
    texts += [record.getMessage() for record in caplog.records]
    assert any("retrying" in text for text in texts)
    assert all(SECRET not in text for text in texts)


async def test_a_validation_error_lists_its_fields(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/jobs", status=400, body=fixture("error_validation.json"))
    with pytest.raises(errors.BadRequestError) as info:
        await client.jobs.create(SESSION, QASM)
    error = info.value
    assert error.message == "Validation Error"
    assert error.code == "invalid_request_error"
    assert set(error.fields) == {"session_id", "max_duration"}
    text = str(error)
    assert "session_id: ['is not a valid UUID']" in text
    assert "max_duration: ['must be greater than 0s']" in text
    assert len(api.calls) == 1  # a 400 is not retried


async def test_not_found_names_the_resource(client: ScalewayQaaSClient, api: FakeAPI) -> None:
    api.on("GET", f"/jobs/{JOB}", status=404, body=fixture("error_not_found.json"))
    with pytest.raises(errors.NotFoundError) as info:
        await client.jobs.get(JOB)
    assert info.value.code == "not_found"
    assert JOB in str(info.value)


async def test_the_older_wire_shape_still_decodes(client: ScalewayQaaSClient, api: FakeAPI) -> None:
    api.on("POST", "/sessions", body=fixture("quickstart_session_create.json"))
    api.on("POST", "/jobs", body=fixture("quickstart_job_create.json"))
    created = await client.sessions.create(PLATFORM)
    assert created.status == "starting"
    assert created.started_at is None  # the protobuf zero time means "not set"
    assert created.created_at is not None
    assert created.created_at.tzinfo is timezone.utc
    assert created.max_idle_duration == timedelta(seconds=600)
    assert created.tags == []
    submitted = await client.jobs.create(SESSION, QASM)
    assert submitted.status == JobStatus.WAITING
    assert submitted.progress_message == ""


async def test_a_body_of_the_wrong_shape_is_a_decode_error_naming_the_call(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", f"/jobs/{JOB}", {"id": JOB, "status": 7, "tags": "x"}, repeat=True)
    with pytest.raises(errors.ResponseDecodeError) as info:
        await client.jobs.get(JOB)
    assert info.value.expected == "Job"
    assert info.value.url == f"{API}/jobs/{JOB}"


@pytest.mark.parametrize("bad", ["", "../admin", "a/b", ".."])
async def test_ids_are_checked_before_any_request(
    client: ScalewayQaaSClient, api: FakeAPI, bad: str
) -> None:
    with pytest.raises(ValueError, match="job_id"):
        await client.jobs.get(bad)
    with pytest.raises(ValueError, match="session_id"):
        await client.sessions.terminate(bad)
    with pytest.raises(ValueError, match="platform_id"):
        await client.platforms.get(bad)
    with pytest.raises(ValueError, match="model_id"):
        await client.models.get(bad)
    assert api.calls == []


async def test_calls_run_concurrently_on_one_loop() -> None:
    # The server answers only once all five requests are in flight at the same time.
    arrived = 0
    all_in = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        nonlocal arrived
        arrived += 1
        if arrived == 5:
            all_in.set()
        await all_in.wait()
        return web.json_response({"id": request.match_info["job_id"], "status": "running"})

    app = web.Application()
    app.router.add_get("/qaas/v1alpha1/jobs/{job_id}", handler)
    async with (
        serve_app(app, shutdown_timeout=0.1) as url,
        ScalewayQaaSClient(secret_key=SECRET, base_url=url) as c,
    ):
        with anyio.fail_after(10):
            jobs = await asyncio.gather(*(c.jobs.get(f"job-{n}") for n in range(5)))
    assert [j.id for j in jobs] == [f"job-{n}" for n in range(5)]


# -- Jobs ---------------------------------------------------------------------------------------
async def test_create_job_sends_the_documented_body(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/jobs", json.loads(fixture("job.json")))
    created = await client.jobs.create(
        SESSION,
        QASM,
        name="bell-state",
        tags=["demo", "bell"],
        max_duration=timedelta(minutes=1, seconds=30),
        model_id="b1c2d3e4-0000-4000-8000-000000000001",
        parameters={"shots": 1024, "seed": 7},
        idempotency_key="key-1",
    )
    (call,) = api.calls
    assert (call.method, call.path, call.query) == ("POST", "/qaas/v1alpha1/jobs", {})
    assert call.body == {
        "name": "bell-state",
        "session_id": SESSION,
        "circuit": {"qiskit_circuit": QASM},
        "tags": ["demo", "bell", "qruntime-idempotency-key:key-1"],
        "max_duration": "90s",
        "model_id": "b1c2d3e4-0000-4000-8000-000000000001",
        "parameters": '{"shots":1024,"seed":7}',
    }
    assert isinstance(created, Job)
    assert created.is_completed
    assert created.job_duration == timedelta(seconds=2.5)
    assert created.parameters_dict() == {"shots": 1024, "seed": 7}


async def test_create_job_fills_in_a_name_and_accepts_every_circuit_form(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/jobs", job(), repeat=True)
    await client.jobs.create(SESSION, QASM, max_duration=2.5)
    await client.jobs.create(SESSION, perceval_circuit=":PCVL:zip:eJyzCnAO87F")
    await client.jobs.create(SESSION, ":PCVL:zip:eJyzCnAO87F")
    await client.jobs.create(SESSION, JobCircuit(perceval_circuit=":PCVL:zip:abc"))
    bodies = [call.body for call in api.calls]
    assert re.fullmatch(r"qjob-[0-9a-f]{8}", bodies[0]["name"])
    assert bodies[0] == {
        "name": bodies[0]["name"],
        "session_id": SESSION,
        "circuit": {"qiskit_circuit": QASM},
        "max_duration": "2.5s",
        "tags": [bodies[0]["tags"][0]],
    }
    # Each submission carries its own idempotency key.
    keys = {b["tags"][0] for b in bodies}
    assert len(keys) == 4
    assert all(k.startswith("qruntime-idempotency-key:") for k in keys)
    assert [b["circuit"] for b in bodies[1:]] == [
        {"perceval_circuit": ":PCVL:zip:eJyzCnAO87F"},
        {"perceval_circuit": ":PCVL:zip:eJyzCnAO87F"},
        {"perceval_circuit": ":PCVL:zip:abc"},
    ]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ValueError, "exactly one"),
        ({"circuit": QASM, "perceval_circuit": ":PCVL:x"}, ValueError, "exactly one"),
        ({"circuit": "   "}, ValueError, "circuit must not be empty"),
        ({"circuit": 42}, TypeError, "circuit must be OpenQASM text"),
        ({"circuit": JobCircuit()}, ValueError, "exactly one of qiskit_circuit"),
        ({"circuit": QASM, "max_duration": 0}, ValueError, "max_duration must be > 0"),
        ({"circuit": QASM, "tags": "demo"}, TypeError, "tags must be a list"),
        ({"circuit": QASM, "parameters": "{not json"}, ValueError, "parameters"),
        ({"circuit": QASM, "parameters": {"x": object()}}, TypeError, "parameters"),
        ({"circuit": QASM, "model_id": "a/b"}, ValueError, "model_id"),
    ],
)
async def test_bad_job_arguments_fail_before_any_request(
    client: ScalewayQaaSClient,
    api: FakeAPI,
    kwargs: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        await client.jobs.create(SESSION, **kwargs)
    assert api.calls == []


async def test_job_get_update_delete_cancel_circuit(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", f"/jobs/{JOB}", job(status="running"))
    api.on("PATCH", f"/jobs/{JOB}", job(name="renamed", tags=["x"]))
    api.on("POST", f"/jobs/{JOB}/cancel", job(status="cancelling"))
    api.on("GET", f"/jobs/{JOB}/circuit", body=fixture("job_circuit.json"))
    api.on("DELETE", f"/jobs/{JOB}", status=204)

    assert (await client.jobs.get(JOB)).status == "running"
    updated = await client.jobs.update(JOB, name="renamed", tags=["x"])
    cancelled = await client.jobs.cancel(JOB)
    circuit = await client.jobs.circuit(JOB)
    await client.jobs.delete(JOB)

    assert updated.name == "renamed"
    assert cancelled.status == JobStatus.CANCELLING
    assert not cancelled.is_final
    assert circuit.qiskit_circuit is not None
    assert circuit.qiskit_circuit.startswith("OPENQASM")
    assert circuit.perceval_circuit is None
    base = f"/qaas/v1alpha1/jobs/{JOB}"
    assert api.paths() == [
        ("GET", base),
        ("PATCH", base),
        ("POST", base + "/cancel"),
        ("GET", base + "/circuit"),
        ("DELETE", base),
    ]
    assert api.calls[1].body == {"name": "renamed", "tags": ["x"]}
    assert api.calls[2].body == {}
    assert all(call.query == {} for call in api.calls)


async def test_update_sends_only_what_changes(client: ScalewayQaaSClient, api: FakeAPI) -> None:
    api.on("PATCH", f"/jobs/{JOB}", job(), repeat=True)
    await client.jobs.update(JOB, tags=[])
    await client.jobs.update(JOB, name="n")
    assert [call.body for call in api.calls] == [{"tags": []}, {"name": "n"}]


async def test_list_jobs_defaults_to_the_client_project(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", "/jobs", body=fixture("job_list.json"))
    jobs = await client.jobs.list(
        tags=["demo", "bell"], order_by=ListJobsOrderBy.NAME_ASC
    ).to_list()
    (call,) = api.calls
    assert call.path == "/qaas/v1alpha1/jobs"
    assert call.url.query.getall("tags") == ["bell", "demo"]
    assert call.query == {
        "project_id": PROJECT,
        "tags": "bell",
        "order_by": "name_asc",
        "page": "1",
        "page_size": "50",
    }
    assert [j.status for j in jobs] == ["waiting", "error", "paused_for_calibration"]


async def test_list_jobs_of_a_session_does_not_send_the_project(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", "/jobs", {"total_count": 0, "jobs": []})
    assert await client.jobs.list(session_id=SESSION).to_list() == []
    assert api.calls[0].query == {"session_id": SESSION, "page": "1", "page_size": "50"}


async def test_list_jobs_argument_mistakes_fail_before_any_request(api: FakeAPI) -> None:
    async with ScalewayQaaSClient(secret_key=SECRET) as no_project:
        with pytest.raises(ValueError, match="project_id") as info:
            no_project.jobs.list()
        assert "SCW_DEFAULT_PROJECT_ID" in str(info.value)
        with pytest.raises(ValueError, match="not both"):
            no_project.jobs.list(session_id=SESSION, project_id=PROJECT)
        with pytest.raises(ValueError, match="order_by must be one of") as info:
            no_project.jobs.list(session_id=SESSION, order_by="newest")  # type: ignore[arg-type]
        assert "created_at_desc" in str(info.value)
        assert "session_name_asc" in str(info.value)
        with pytest.raises(ValueError, match="page_size must be <= 100"):
            no_project.jobs.list(session_id=SESSION, page_size=500)
    assert api.calls == []


async def test_paging_stops_on_a_short_page_without_asking_for_an_empty_one(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", "/jobs", {"total_count": "3", "jobs": [job("a"), job("b")]})
    api.on("GET", "/jobs", {"total_count": "3", "jobs": [job("c")]})
    ids = [j.id async for j in client.jobs.list(session_id=SESSION, page_size=2)]
    assert ids == ["a", "b", "c"]
    assert [(c.query["page"], c.query["page_size"]) for c in api.calls] == [("1", "2"), ("2", "2")]


async def test_paging_stops_once_the_total_count_is_reached(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", "/jobs", {"total_count": "4", "jobs": [job("a"), job("b")]})
    api.on("GET", "/jobs", {"total_count": "4", "jobs": [job("c"), job("d")]})
    ids = [j.id async for j in client.jobs.list(session_id=SESSION, page_size=2)]
    assert ids == ["a", "b", "c", "d"]
    assert len(api.calls) == 2


async def test_paging_limit_and_resume_from_a_token(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", "/jobs", {"total_count": 5, "jobs": [job("a"), job("b")]})
    page = await client.jobs.list(session_id=SESSION, limit=2).first_page()
    assert [j.id for j in page.items] == ["a", "b"]
    assert page.total == 5
    assert page.next_token is not None
    assert api.calls[0].query["page_size"] == "2"

    api.on("GET", "/jobs", {"total_count": 5, "jobs": [job("c"), job("d")]})
    api.on("GET", "/jobs", {"total_count": 5, "jobs": [job("e")]})
    rest = await client.jobs.list(session_id=SESSION, page_token=page.next_token).to_list()
    assert [j.id for j in rest] == ["c", "d", "e"]
    assert [(c.query["page"], c.query["page_size"]) for c in api.calls[1:]] == [
        ("2", "2"),
        ("3", "2"),
    ]
    with pytest.raises(ValueError, match="another listing"):
        client.jobs.list(project_id="other", page_token=page.next_token)


async def test_job_results_are_paged(client: ScalewayQaaSClient, api: FakeAPI) -> None:
    api.on("GET", f"/jobs/{JOB}/results", body=fixture("job_results.json"))
    results = await client.jobs.results(JOB, order_by="created_at_asc", page_size=10).to_list()
    (call,) = api.calls
    assert call.path == f"/qaas/v1alpha1/jobs/{JOB}/results"
    assert call.query == {"order_by": "created_at_asc", "page": "1", "page_size": "10"}
    assert results[0].result_json() == {"counts": {"00": 498, "11": 526}, "shots": 1024}
    assert results[1].url is not None
    assert results[1].result is None
    with pytest.raises(ValueError, match="created_at_asc, created_at_desc"):
        client.jobs.results(JOB, order_by="name_asc")  # type: ignore[arg-type]


async def test_watch_yields_each_change_and_cancelling_is_not_final(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    for status in ("waiting", "running", "running", "cancelling", "cancelling", "cancelled"):
        api.on("GET", f"/jobs/{JOB}", job(status=status))
    api.on("GET", f"/jobs/{JOB}", job(status="completed"), repeat=True)  # must not be reached
    seen = [j.status async for j in client.jobs.watch(JOB, policy=FAST_POLL)]
    assert seen == ["waiting", "running", "cancelling", "cancelled"]
    assert len(api.calls) == 6


@pytest.mark.parametrize("final", ["completed", "error", "cancelled"])
async def test_wait_returns_at_each_final_state(
    client: ScalewayQaaSClient, api: FakeAPI, final: str
) -> None:
    api.on("GET", f"/jobs/{JOB}", job(status="waiting"))
    api.on("GET", f"/jobs/{JOB}", job(status="running"))
    api.on("GET", f"/jobs/{JOB}", job(status=final))
    api.on("GET", f"/jobs/{JOB}", job(status="running"), repeat=True)  # must not be reached
    done = await client.jobs.wait(JOB, policy=FAST_POLL)
    assert done.status == final
    assert done.is_final
    assert len(api.calls) == 3


async def test_wait_times_out_with_the_last_state(client: ScalewayQaaSClient, api: FakeAPI) -> None:
    api.on("GET", f"/jobs/{JOB}", job(status="running"), repeat=True)
    with pytest.raises(errors.WaitTimeoutError) as info:
        await client.jobs.wait(JOB, policy=FAST_POLL, timeout=0.01)
    assert isinstance(info.value.last, Job)
    assert info.value.last.status == "running"


async def test_watch_many_in_a_session_lists_the_session_once_a_tick(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    ticks = [
        [job("a", "running"), job("b", "waiting"), job("other", "running")],
        [job("a", "completed"), job("b", "running"), job("other", "running")],
        [job("b", "error"), job("other", "running")],
    ]
    for listed in ticks:
        api.on("GET", "/jobs", {"total_count": len(listed), "jobs": listed})
    events = []
    async with client.jobs.watch_many(["a", "b"], session_id=SESSION, policy=FAST_POLL) as group:
        async for event in group:
            events.append(
                (event.id, event.snapshot.status if event.snapshot else None, event.final)
            )
    assert events == [
        ("a", "running", False),
        ("b", "waiting", False),
        ("a", "completed", True),
        ("b", "running", False),
        ("b", "error", True),
    ]
    assert api.paths() == [("GET", "/qaas/v1alpha1/jobs")] * 3
    assert all(
        call.query == {"session_id": SESSION, "page": "1", "page_size": "100"} for call in api.calls
    )


async def test_watch_many_without_a_session_gets_each_job(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", "/jobs/a", job("a", "completed"))
    api.on("GET", "/jobs/b", status=404, body=fixture("error_not_found.json"))
    events = {}
    async with client.jobs.watch_many(["a", "b"], policy=FAST_POLL) as group:
        async for event in group:
            events[event.id] = event
    assert events["a"].final
    assert events["a"].ok
    assert isinstance(events["b"].error, errors.NotFoundError)


# -- Platforms ------------------------------------------------------------------------------------
async def test_list_platforms_sends_every_filter(client: ScalewayQaaSClient, api: FakeAPI) -> None:
    api.on("GET", "/platforms", body=fixture("quickstart_platforms.json"))
    platforms = await client.platforms.list(
        provider_name="quandela",
        backend_name="perceval",
        name="sim:sampling:h100",
        platform_type="simulator",
        platform_technology="photonic",
        order_by="provider_name_desc",
        page_size=10,
    ).to_list()
    (call,) = api.calls
    assert call.path == "/qaas/v1alpha1/platforms"
    assert call.query == {
        "provider_name": "quandela",
        "backend_name": "perceval",
        "name": "sim:sampling:h100",
        "platform_type": "simulator",
        "platform_technology": "photonic",
        "order_by": "provider_name_desc",
        "page": "1",
        "page_size": "10",
    }
    assert [p.max_qubit_count for p in platforms] == [20, 28]
    assert all(p.is_simulator for p in platforms)


async def test_platform_enum_filters_are_checked(client: ScalewayQaaSClient, api: FakeAPI) -> None:
    with pytest.raises(ValueError, match="platform_type must be one of qpu, simulator"):
        client.platforms.list(platform_type="quantum")
    with pytest.raises(ValueError, match=r"platform_technology must be one of .*trapped_ion"):
        client.platforms.list(platform_technology="ion")
    with pytest.raises(ValueError, match=r"order_by must be one of .*backend_name_asc"):
        client.platforms.list(order_by="created_at_desc")
    assert api.calls == []


async def test_get_platform(client: ScalewayQaaSClient, api: FakeAPI) -> None:
    api.on("GET", f"/platforms/{PLATFORM}", body=fixture("platform.json"))
    platform = await client.platforms.get(PLATFORM)
    assert api.paths() == [("GET", f"/qaas/v1alpha1/platforms/{PLATFORM}")]
    assert platform.max_shot_count == 1_000_000
    assert platform.price_per_hour is not None
    assert str(platform.price_per_hour) == "12.5 EUR"
    assert platform.metadata_dict()["constraints"]["max_photon_count"] == 28


# -- Models ----------------------------------------------------------------------------------------
async def test_models_create_list_get(client: ScalewayQaaSClient, api: FakeAPI) -> None:
    listed = json.loads(fixture("models_list.json"))
    model = listed["models"][0]
    api.on("POST", "/models", model)
    api.on("GET", "/models", listed)
    api.on("GET", f"/models/{model['id']}", model)

    created = await client.models.create("OPENQASM 3.0; ...")
    models = await client.models.list(order_by="created_at_asc").to_list()
    fetched = await client.models.get(model["id"])

    assert created.id == fetched.id == models[0].id == model["id"]
    post, listing, get = api.calls
    assert post.body == {"project_id": PROJECT, "payload": "OPENQASM 3.0; ..."}
    assert listing.query == {
        "project_id": PROJECT,
        "order_by": "created_at_asc",
        "page": "1",
        "page_size": "50",
    }
    assert get.path == f"/qaas/v1alpha1/models/{model['id']}"


async def test_models_need_a_project(api: FakeAPI) -> None:
    async with ScalewayQaaSClient(secret_key=SECRET) as client:
        with pytest.raises(ValueError, match="project_id"):
            await client.models.create("payload")
        with pytest.raises(ValueError, match="project_id"):
            client.models.list()
        with pytest.raises(ValueError, match="order_by"):
            client.models.list(project_id=PROJECT, order_by="name_asc")
    assert api.calls == []


# -- Sessions -------------------------------------------------------------------------------------
async def test_create_session_sends_the_documented_body(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", body=fixture("session.json"))
    created = await client.sessions.create(
        PLATFORM,
        name="Justina",
        max_idle_duration=timedelta(minutes=10),
        max_duration=1800,
        tags=["demo"],
        deduplication_id="nightly-1",
        model_id="b1c2d3e4-0000-4000-8000-000000000001",
        parameters={"noise": False},
    )
    (call,) = api.calls
    assert (call.method, call.path, call.query) == ("POST", "/qaas/v1alpha1/sessions", {})
    assert call.body == {
        "project_id": PROJECT,
        "platform_id": PLATFORM,
        "name": "Justina",
        "max_idle_duration": "600s",
        "max_duration": "1800s",
        "tags": ["demo"],
        "deduplication_id": "nightly-1",
        "model_id": "b1c2d3e4-0000-4000-8000-000000000001",
        "parameters": '{"noise":false}',
    }
    assert created.is_running
    assert created.waiting_job_count == 2
    assert created.parameters_dict() == {"noise": False}


async def test_create_session_minimal_body_and_explicit_project(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", session("starting"), repeat=True)
    await client.sessions.create(PLATFORM, project_id="3j336ee9-dff0-4732-8c5a-bc4f2031ddd3")
    await client.sessions.create(PLATFORM, project_id="3j336ee9-dff0-4732-8c5a-bc4f2031ddd3")
    first, second = (call.body for call in api.calls)
    # Every create carries its own random deduplication id.
    assert re.fullmatch(r"[0-9a-f]{32}", first.pop("deduplication_id"))
    assert second.pop("deduplication_id") != first.get("deduplication_id")
    assert (
        first
        == second
        == {
            "project_id": "3j336ee9-dff0-4732-8c5a-bc4f2031ddd3",
            "platform_id": PLATFORM,
        }
    )


async def test_create_session_mistakes_fail_before_any_request(api: FakeAPI) -> None:
    async with ScalewayQaaSClient(secret_key=SECRET) as client:
        with pytest.raises(ValueError, match="project_id") as info:
            await client.sessions.create(PLATFORM)
        assert "SCW_DEFAULT_PROJECT_ID" in str(info.value)
        with pytest.raises(ValueError, match="max_idle_duration must be > 0"):
            await client.sessions.create(PLATFORM, project_id=PROJECT, max_idle_duration=-5)
        with pytest.raises(ValueError, match="project_id"):
            client.sessions.list()
        with pytest.raises(ValueError, match=r"order_by must be one of .*started_at_desc"):
            client.sessions.list(project_id=PROJECT, order_by="oldest")  # type: ignore[arg-type]
    assert api.calls == []


async def test_list_sessions_sends_its_filters(client: ScalewayQaaSClient, api: FakeAPI) -> None:
    api.on("GET", "/sessions", body=fixture("session_list.json"))
    sessions = await client.sessions.list(
        platform_id=PLATFORM, tags=["demo"], order_by="created_at_desc"
    ).to_list()
    assert api.calls[0].query == {
        "project_id": PROJECT,
        "platform_id": PLATFORM,
        "tags": "demo",
        "order_by": "created_at_desc",
        "page": "1",
        "page_size": "50",
    }
    assert [s.status for s in sessions] == ["stopped", "starting"]
    assert sessions[0].is_final
    assert not sessions[1].is_final


async def test_session_get_update_terminate_delete(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", f"/sessions/{SESSION}", session("running"))
    api.on("PATCH", f"/sessions/{SESSION}", session("running", name="renamed"))
    api.on(
        "POST", f"/sessions/{SESSION}/terminate", body=fixture("quickstart_session_terminate.json")
    )
    api.on("DELETE", f"/sessions/{SESSION}", status=204)

    assert (await client.sessions.get(SESSION)).is_running
    updated = await client.sessions.update(
        SESSION, name="renamed", max_idle_duration=60, max_duration=timedelta(hours=1), tags=[]
    )
    terminated = await client.sessions.terminate(SESSION)
    await client.sessions.delete(SESSION)

    assert updated.name == "renamed"
    assert terminated.status == "stopping"
    assert terminated.terminated_at is not None
    base = f"/qaas/v1alpha1/sessions/{SESSION}"
    assert api.paths() == [
        ("GET", base),
        ("PATCH", base),
        ("POST", base + "/terminate"),
        ("DELETE", base),
    ]
    assert api.calls[1].body == {
        "name": "renamed",
        "max_idle_duration": "60s",
        "max_duration": "3600s",
        "tags": [],
    }
    assert api.calls[2].body == {}


async def test_wait_until_running(client: ScalewayQaaSClient, api: FakeAPI) -> None:
    for status in ("starting", "starting", "running"):
        api.on("GET", f"/sessions/{SESSION}", session(status))
    running = await client.sessions.wait(SESSION, until="running", policy=FAST_POLL)
    assert running.is_running
    assert len(api.calls) == 3


@pytest.mark.parametrize("ended", ["stopping", "stopped"])
async def test_wait_until_running_fails_clearly_when_the_session_stops(
    client: ScalewayQaaSClient, api: FakeAPI, ended: str
) -> None:
    api.on("GET", f"/sessions/{SESSION}", session("starting"))
    api.on("GET", f"/sessions/{SESSION}", session(ended, progress_message="no capacity"))
    with pytest.raises(SessionStoppedError) as info:
        await client.sessions.wait(SESSION, until="running", policy=FAST_POLL)
    assert info.value.session.status == ended
    assert f"is {ended} instead of running: no capacity" in str(info.value)
    assert isinstance(info.value, errors.QRuntimeError)


async def test_wait_until_stopped_passes_through_stopping(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    for status in ("running", "stopping", "stopping", "stopped"):
        api.on("GET", f"/sessions/{SESSION}", session(status))
    seen = [s.status async for s in client.sessions.watch(SESSION, policy=FAST_POLL)]
    assert seen == ["running", "stopping", "stopped"]
    for status in ("stopping", "stopped"):
        api.on("GET", f"/sessions/{SESSION}", session(status))
    assert (await client.sessions.wait(SESSION, policy=FAST_POLL)).is_final
    with pytest.raises(ValueError, match="until must be one of running, stopped"):
        await client.sessions.wait(SESSION, until="idle")  # type: ignore[arg-type]


# -- The session context manager ------------------------------------------------------------------
async def test_session_block_waits_for_running_and_terminates_on_exit(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", session("starting"))
    api.on("GET", f"/sessions/{SESSION}", session("starting"))
    api.on("GET", f"/sessions/{SESSION}", session("running"))
    api.on("POST", "/jobs", job())
    api.on("GET", "/jobs", {"total_count": 1, "jobs": [job()]})
    # Leaving the block: the job is followed until it is final, only then is the session ended.
    api.on("GET", "/jobs", {"total_count": 1, "jobs": [job(status="running")]})
    api.on("GET", "/jobs", {"total_count": 1, "jobs": [job(status="completed")]})
    api.on("POST", f"/sessions/{SESSION}/terminate", session("stopping"))

    async with client.session(
        platform_id=PLATFORM, max_duration=timedelta(minutes=5), policy=FAST_POLL
    ) as s:
        assert s.id == SESSION
        assert s.session is not None
        assert s.session.is_running
        submitted = await s.submit(QASM, name="bell")
        listed = await s.jobs().to_list()
        assert [j.id for j in listed] == [submitted.id]
        assert api.paths()[-1] == ("GET", "/qaas/v1alpha1/jobs")

    assert api.paths() == [
        ("POST", "/qaas/v1alpha1/sessions"),
        ("GET", f"/qaas/v1alpha1/sessions/{SESSION}"),
        ("GET", f"/qaas/v1alpha1/sessions/{SESSION}"),
        ("POST", "/qaas/v1alpha1/jobs"),
        ("GET", "/qaas/v1alpha1/jobs"),
        ("GET", "/qaas/v1alpha1/jobs"),
        ("GET", "/qaas/v1alpha1/jobs"),
        ("POST", f"/qaas/v1alpha1/sessions/{SESSION}/terminate"),
    ]
    with pytest.raises(RuntimeError, match="ended with its block"):
        await s.submit(QASM)
    assert api.calls[0].body == {
        "project_id": PROJECT,
        "platform_id": PLATFORM,
        "max_duration": "300s",
        "deduplication_id": api.calls[0].body["deduplication_id"],
    }
    assert api.calls[3].body["session_id"] == SESSION
    assert api.calls[4].query["session_id"] == SESSION
    assert s.session is not None
    assert s.session.status == "stopping"


async def test_session_block_terminates_when_the_block_raises(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", session("running"))
    api.on("GET", f"/sessions/{SESSION}", session("running"))
    api.on("POST", f"/sessions/{SESSION}/terminate", session("stopping"))
    with pytest.raises(KeyError, match="boom"):
        async with client.session(platform_id=PLATFORM, policy=FAST_POLL):
            raise KeyError("boom")
    assert api.paths()[-1] == ("POST", f"/qaas/v1alpha1/sessions/{SESSION}/terminate")


async def test_session_block_terminates_when_cancelled(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", session("running"))
    api.on("GET", f"/sessions/{SESSION}", session("running"))
    api.on("POST", f"/sessions/{SESSION}/terminate", session("stopping"))
    # A cancel scope keeps cancelling every await until it is left: terminating must be shielded.
    with anyio.CancelScope() as scope:
        async with client.session(platform_id=PLATFORM, policy=FAST_POLL):
            scope.cancel()
            await anyio.sleep_forever()
    assert scope.cancelled_caught
    assert api.paths()[-1] == ("POST", f"/qaas/v1alpha1/sessions/{SESSION}/terminate")


async def test_an_explicit_terminate_is_not_repeated_on_exit(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", session("running"))
    api.on("GET", f"/sessions/{SESSION}", session("running"))
    api.on("POST", f"/sessions/{SESSION}/terminate", session("stopping"), repeat=True)
    async with client.session(platform_id=PLATFORM, policy=FAST_POLL) as s:
        assert (await s.terminate()).status == "stopping"
    terminates = [c for c in api.calls if c.path.endswith("/terminate")]
    assert len(terminates) == 1


async def test_a_deduplicated_session_create_is_retried_after_a_lost_answer(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", status=502, body=b"")
    api.on("POST", "/sessions", status=502, body=b"")
    api.on("POST", "/sessions", session("starting"))
    created = await client.sessions.create(PLATFORM, deduplication_id="nightly")
    assert created.id == SESSION
    assert len(api.calls) == 3
    assert {call.body["deduplication_id"] for call in api.calls} == {"nightly"}


async def test_a_failed_terminate_does_not_hide_the_blocks_error(
    client: ScalewayQaaSClient, api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.on("POST", "/sessions", session("running"))
    api.on("GET", f"/sessions/{SESSION}", session("running"))
    api.on("POST", f"/sessions/{SESSION}/terminate", status=403, body=b'{"message": "denied"}')
    with pytest.raises(KeyError, match="boom"):
        async with client.session(platform_id=PLATFORM, policy=FAST_POLL):
            raise KeyError("boom")
    assert any("could not terminate session" in r.getMessage() for r in caplog.records)


async def test_a_session_that_stops_while_starting_fails_the_block_entry(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", session("starting"))
    api.on("GET", f"/sessions/{SESSION}", session("stopped", progress_message="quota exceeded"))
    entered = False
    with pytest.raises(SessionStoppedError, match="quota exceeded"):
        async with client.session(platform_id=PLATFORM, policy=FAST_POLL):
            entered = True
    assert not entered
    # Already stopped: nothing to terminate.
    assert ("POST", f"/qaas/v1alpha1/sessions/{SESSION}/terminate") not in api.paths()


async def test_a_session_that_never_starts_in_time_is_terminated(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", session("starting"))
    api.on("GET", f"/sessions/{SESSION}", session("starting"), repeat=True)
    api.on("POST", f"/sessions/{SESSION}/terminate", session("stopping"))
    with pytest.raises(errors.WaitTimeoutError):
        async with client.session(platform_id=PLATFORM, policy=FAST_POLL, start_timeout=0.01):
            pass
    assert api.paths()[-1] == ("POST", f"/qaas/v1alpha1/sessions/{SESSION}/terminate")


async def test_session_block_argument_mistakes_fail_before_any_request(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    with pytest.raises(ValueError, match="platform_id"):
        client.session(platform_id="")
    with pytest.raises(ValueError, match="max_duration"):
        client.session(platform_id=PLATFORM, max_duration=0)
    handle = client.session(platform_id=PLATFORM)
    with pytest.raises(RuntimeError, match="inside `async with`"):
        _ = handle.id
    assert api.calls == []


async def test_session_handle_watches_its_jobs_with_one_listing_a_tick(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", session("running"))
    api.on("GET", f"/sessions/{SESSION}", session("running"))
    api.on("GET", "/jobs", {"total_count": 1, "jobs": [job("a", "running")]})
    api.on("GET", "/jobs", {"total_count": 1, "jobs": [job("a", "completed")]})
    api.on("POST", f"/sessions/{SESSION}/terminate", session("stopping"))
    async with (
        client.session(platform_id=PLATFORM, policy=FAST_POLL) as s,
        s.watch_jobs(["a"], policy=FAST_POLL) as group,
    ):
        statuses = [e.snapshot.status async for e in group if e.snapshot is not None]
    assert statuses == ["running", "completed"]
    listings = [c for c in api.calls if c.path == "/qaas/v1alpha1/jobs"]
    assert len(listings) == 2
    assert all(c.query["session_id"] == SESSION for c in listings)


# --- circuits as a computation model, results by value and by url -------------------------------
PAYLOADS = Path(__file__).parent / "fixtures" / "scaleway_payloads"
MODEL = "0c9b6f0e-1111-4222-8333-944455556666"
BELL3 = (
    'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\n'
    "h q[0];\ncx q[0], q[1];\nc = measure q;\n"
)


def platform_doc() -> dict[str, Any]:
    return {
        "id": PLATFORM,
        "name": "aer_simulation_pop_c16m128",
        "backend_name": "aer_simulator",
        "version": "0.13.1",
        "provider_name": "quandela",
    }


async def test_submit_sends_the_circuits_as_a_model_then_a_job_with_an_empty_circuit(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", f"/sessions/{SESSION}", session("running"))
    api.on("GET", f"/platforms/{PLATFORM}", platform_doc())
    api.on("POST", "/models", {"id": MODEL, "project_id": PROJECT})
    api.on("POST", "/jobs", job())
    created = await client.jobs.submit(SESSION, [BELL3, QASM], shots=500, memory=True)
    assert created.id == JOB
    assert api.paths() == [
        ("GET", f"/qaas/v1alpha1/sessions/{SESSION}"),
        ("GET", f"/qaas/v1alpha1/platforms/{PLATFORM}"),
        ("POST", "/qaas/v1alpha1/models"),
        ("POST", "/qaas/v1alpha1/jobs"),
    ]
    model_body, job_body = api.calls[2].body, api.calls[3].body
    assert model_body["project_id"] == PROJECT
    payload = json.loads(model_body["payload"])
    assert payload["backend"]["name"] == "aer_simulation_pop_c16m128"  # the platform name
    assert payload["noise_model"] is None
    formats = [(p["serialization_format"], p["compression_format"]) for p in payload["programs"]]
    assert formats == [(3, 2), (2, 2)]  # OpenQASM 3 and 2, zlib + base64
    assert job_body["circuit"] == {}  # required by the spec; empty, as qiskit-scaleway sends it
    assert job_body["model_id"] == MODEL
    assert json.loads(job_body["parameters"]) == {"shots": 500, "options": {"memory": True}}
    assert job_body["session_id"] == SESSION


async def test_a_session_block_submits_models_and_looks_the_platform_up_once(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", session("running"))
    api.on("GET", f"/sessions/{SESSION}", session("running"), repeat=True)
    api.on("GET", f"/platforms/{PLATFORM}", platform_doc())
    api.on("POST", "/models", {"id": MODEL}, repeat=True)
    api.on("POST", "/jobs", job(), repeat=True)
    api.on("GET", "/jobs", {"total_count": 1, "jobs": [job(status="completed")]})
    api.on("POST", f"/sessions/{SESSION}/terminate", session("stopping"))
    async with client.session(platform_id=PLATFORM, policy=FAST_POLL) as s:
        await s.submit(BELL3, shots=100)
        await s.submit(BELL3, shots=100)
        with pytest.raises(TypeError, match="needs shots"):
            await s.submit([BELL3, BELL3])
    assert api.paths().count(("GET", f"/qaas/v1alpha1/platforms/{PLATFORM}")) == 1
    assert api.paths().count(("POST", "/qaas/v1alpha1/models")) == 2


@pytest.mark.parametrize(
    "document", ["result_envelope_zlib.json", "result_envelope_none.json", "result_bare.json"]
)
async def test_counts_read_the_latest_result_inline(
    client: ScalewayQaaSClient, api: FakeAPI, document: str
) -> None:
    text = (PAYLOADS / document).read_text()
    api.on(
        "GET",
        f"/jobs/{JOB}/results",
        {"total_count": 1, "job_results": [{"job_id": JOB, "result": text, "url": None}]},
    )
    counts = await client.jobs.counts(JOB)
    assert counts == result_counts(text)
    assert all(sum(c.values()) > 0 for c in counts)
    call = api.calls[0]
    assert call.query == {"order_by": "created_at_desc", "page": "1", "page_size": "1"}


async def test_a_result_by_url_is_fetched_without_the_secret(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    text = (PAYLOADS / "result_envelope_zlib.json").read_text()
    blob = "https://s3.fr-par.scw.cloud/qaas-results/r1.json"
    api.on(
        "GET",
        f"/jobs/{JOB}/results",
        {"total_count": 1, "job_results": [{"job_id": JOB, "result": "", "url": blob}]},
    )
    api.on("GET", "", body=text.encode(), base=blob)
    fetched = await client.jobs.counts(JOB)
    by_url = api.calls[1]
    assert str(by_url.url) == blob
    assert "X-Auth-Token" not in by_url.headers
    assert SECRET not in json.dumps(by_url.headers)
    assert fetched == result_counts(text)


async def test_a_result_url_over_plain_http_is_refused(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on(
        "GET",
        f"/jobs/{JOB}/results",
        {
            "total_count": 1,
            "job_results": [
                {"job_id": JOB, "result": None, "url": "http://storage.example.test/r1"}
            ],
        },
    )
    with pytest.raises(ValueError, match="plain http"):
        await client.jobs.counts(JOB)
    assert len(api.calls) == 1


async def test_counts_of_a_job_without_results_is_a_clear_error(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("GET", f"/jobs/{JOB}/results", {"total_count": 0, "job_results": []})
    with pytest.raises(errors.ResponseDecodeError, match="has no result"):
        await client.jobs.counts(JOB)


async def test_a_submission_can_be_recovered_by_its_key(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    tagged = job(tags=["qruntime-idempotency-key:k-123"])
    api.on("GET", "/jobs", {"total_count": 1, "jobs": [job("other"), tagged]})
    found = await client.jobs.find_by_idempotency_key("k-123", session_id=SESSION)
    assert found is not None
    assert found.id == JOB
    assert api.calls[0].query["tags"] == "qruntime-idempotency-key:k-123"


async def test_leaving_a_block_on_an_error_terminates_at_once_without_waiting(
    client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", session("running"))
    api.on("GET", f"/sessions/{SESSION}", session("running"))
    api.on("POST", "/jobs", job())
    api.on("POST", f"/sessions/{SESSION}/terminate", session("stopping"))

    async def block() -> None:
        async with client.session(platform_id=PLATFORM, policy=FAST_POLL) as s:
            await s.submit(QASM)
            raise KeyError("boom")

    with pytest.raises(KeyError):
        await block()
    assert ("GET", "/qaas/v1alpha1/jobs") not in api.paths()
    assert api.paths()[-1] == ("POST", f"/qaas/v1alpha1/sessions/{SESSION}/terminate")


async def test_a_drain_that_runs_out_of_time_terminates_the_session(
    client: ScalewayQaaSClient, api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.on("POST", "/sessions", session("running"))
    api.on("GET", f"/sessions/{SESSION}", session("running"))
    api.on("POST", "/jobs", job())
    api.on("GET", "/jobs", {"total_count": 1, "jobs": [job(status="running")]}, repeat=True)
    api.on("POST", f"/sessions/{SESSION}/terminate", session("stopping"))
    async with client.session(platform_id=PLATFORM, policy=FAST_POLL, drain_timeout=0.05) as s:
        await s.submit(QASM)
    assert api.paths()[-1] == ("POST", f"/qaas/v1alpha1/sessions/{SESSION}/terminate")
    assert "still unfinished" in caplog.text
