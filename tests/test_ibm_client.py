"""The IBM Quantum Runtime client: construction, credentials, and the exact shape of every call."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from qruntime_async import PollPolicy, RetryPolicy, errors
from qruntime_async._submit import SubmitPolicy
from qruntime_async.ibm.client import IBMRuntimeClient
from qruntime_async.ibm.models import Job, JobsPage, WorkloadStatus

BASE = "https://runtime.example.test/runtime"
TOKEN = "ibm-token-SECRET-0123456789abcdef"
INSTANCE = "hub1/group1/project1"
FAST_POLL = PollPolicy(interval=0.001, min_interval=0.0, jitter=0)
FIXTURES = Path(__file__).parent / "fixtures" / "ibm"
ENV_VARS = (
    "QRUNTIME_IBM_TOKEN",
    "QRUNTIME_IBM_INSTANCE",
    "QRUNTIME_IBM_URL",
    "QRUNTIME_IBM_API_KEY",
    "QRUNTIME_IBM_SERVICE_CRN",
    "QRUNTIME_IBM_IAM_URL",
)


# -- a fake server that records every request in order ----------------------------------------
@dataclass(frozen=True)
class Sent:
    """One request as the server saw it."""

    method: str
    url: URL
    headers: Mapping[str, str]
    body: bytes | None

    @property
    def path(self) -> str:
        return self.url.path

    @property
    def query(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, value in self.url.query.items():
            out.setdefault(name, []).append(value)
        return {name: sorted(values) for name, values in out.items()}

    def json(self) -> Any:
        assert self.body is not None, f"{self.method} {self.url} had no body"
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        assert self.body is not None
        return parse_qs(self.body.decode(), keep_blank_values=True)


@dataclass
class Reply:
    """One answer: JSON (``json``), text (``text``) or empty (204)."""

    status: int = 200
    json: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


Answer = Reply | Callable[[Sent], Awaitable[Reply]]


class FakeAPI:
    """Routes (method, path) to a queue of answers; the last answer of a queue repeats."""

    def __init__(self, mocked: aioresponses) -> None:
        self.sent: list[Sent] = []
        self._routes: dict[tuple[str, str], list[Answer]] = {}
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            mocked.add(
                re.compile(r"^https?://.*"),
                method=method,
                callback=functools.partial(self._answer, method),
                repeat=True,
            )

    def on(self, method: str, path: str, *answers: Answer | dict[str, Any] | list[Any]) -> None:
        """Answer ``method path`` (relative to BASE, or an absolute URL) with ``answers``."""
        url = URL(path if path.startswith("http") else BASE + path)
        queue = [a if isinstance(a, Reply) or callable(a) else Reply(json=a) for a in answers]
        self._routes[(method, f"{url.host}{url.path}")] = queue or [Reply(status=204)]

    def to(self, method: str, path: str) -> list[Sent]:
        """The requests sent to ``method path`` (relative to BASE's path), in order."""
        full = URL(BASE).path + path
        return [s for s in self.sent if s.method == method and s.path == full]

    async def _answer(self, method: str, url: URL, **kwargs: Any) -> CallbackResult:
        data = kwargs.get("data")
        sent = Sent(method, url, dict(kwargs.get("headers") or {}), data)
        self.sent.append(sent)
        queue = self._routes.get((method, f"{url.host}{url.path}"))
        if queue is None:
            raise AssertionError(f"unexpected request {method} {url}")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        reply = answer if isinstance(answer, Reply) else await answer(sent)
        if reply.text is not None:
            return CallbackResult(
                status=reply.status,
                body=reply.text,
                content_type="text/plain",
                headers=reply.headers,
            )
        if reply.json is None:
            return CallbackResult(status=reply.status, body=b"", headers=reply.headers)
        return CallbackResult(status=reply.status, payload=reply.json, headers=reply.headers)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    with aioresponses() as mocked:
        yield FakeAPI(mocked)


@pytest.fixture
async def client(api: FakeAPI) -> Any:
    async with IBMRuntimeClient(token=TOKEN, instance=INSTANCE, base_url=BASE, max_retries=0) as c:
        yield c


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def job_json(job_id: str = "j1", status: str = "Queued", **extra: Any) -> dict[str, Any]:
    state = {"status": status.split(" - ")[0]}
    return {"id": job_id, "backend": "ibm_kyiv", "status": status, "state": state, **extra}


def jobs_page(ids: list[str], *, count: int | None, limit: int, offset: int) -> dict[str, Any]:
    page: dict[str, Any] = {"jobs": [job_json(i) for i in ids], "limit": limit, "offset": offset}
    if count is not None:
        page["count"] = count
    return page


# -- construction and credentials ---------------------------------------------------------------
async def test_defaults_and_bearer_token(api: FakeAPI) -> None:
    api.on("GET", "https://api.quantum-computing.ibm.com/runtime/backends", {"devices": ["a"]})
    async with IBMRuntimeClient(token=TOKEN, instance=INSTANCE) as client:
        assert client.base_url == "https://api.quantum-computing.ibm.com/runtime"
        assert client.instance == INSTANCE
        assert not client.uses_cloud_auth
        backends = await client.backends.list()
    assert backends.names == ["a"]
    (sent,) = api.sent
    assert str(sent.url) == "https://api.quantum-computing.ibm.com/runtime/backends"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Accept"] == "application/json"
    assert "Service-CRN" not in sent.headers
    assert "IBM-API-Version" not in sent.headers


async def test_environment_fallbacks(api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QRUNTIME_IBM_TOKEN", "env-token")
    monkeypatch.setenv("QRUNTIME_IBM_INSTANCE", "h/g/p")
    monkeypatch.setenv("QRUNTIME_IBM_URL", "https://env.example.test/rt")
    api.on("GET", "https://env.example.test/rt/backends", {"devices": []})
    async with IBMRuntimeClient() as client:
        assert (client.base_url, client.instance) == ("https://env.example.test/rt", "h/g/p")
        await client.backends.list()
    assert api.sent[0].headers["Authorization"] == "Bearer env-token"


async def test_arguments_win_over_the_environment(
    api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QRUNTIME_IBM_TOKEN", "env-token")
    monkeypatch.setenv("QRUNTIME_IBM_API_KEY", "env-key")
    monkeypatch.setenv("QRUNTIME_IBM_SERVICE_CRN", "crn:env")
    monkeypatch.setenv("QRUNTIME_IBM_INSTANCE", "h/g/p")
    api.on("GET", "/backends", {"devices": []})
    async with IBMRuntimeClient(token=TOKEN, instance=INSTANCE, base_url=BASE) as client:
        assert not client.uses_cloud_auth
        assert client.instance == INSTANCE
        await client.backends.list()
    assert api.sent[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_missing_credentials_are_a_value_error() -> None:
    with pytest.raises(ValueError, match="QRUNTIME_IBM_TOKEN"):
        IBMRuntimeClient(instance=INSTANCE)
    with pytest.raises(ValueError, match="service_crn"):
        IBMRuntimeClient(api_key="key")
    with pytest.raises(ValueError, match="token"):
        IBMRuntimeClient(token="  ")


@pytest.mark.parametrize("bad", ["hub", "hub/group", "a//b", "a/b/c/d", "", " / / ", "/g/p"])
def test_bad_instance_strings_are_refused(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="instance must look like hub/group/project"):
        IBMRuntimeClient(token=TOKEN, instance=bad)
    if bad:
        monkeypatch.setenv("QRUNTIME_IBM_INSTANCE", bad)
        with pytest.raises(ValueError, match="QRUNTIME_IBM_INSTANCE"):
            IBMRuntimeClient(token=TOKEN)


def test_credentials_are_refused_over_plain_http() -> None:
    with pytest.raises(ValueError, match="plain http"):
        IBMRuntimeClient(token=TOKEN, base_url="http://runtime.example.test/runtime")


async def test_the_token_never_appears_in_repr_errors_or_logs(
    api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="qruntime_async")
    api.on(
        "GET",
        "/jobs/j1",
        Reply(status=503, json={"errors": [{"message": "busy"}]}),
        Reply(status=401, json={"errors": [{"code": 1, "message": "bad token"}], "trace": "t-1"}),
    )
    retry = RetryPolicy(backoff_initial=0.001, backoff_max=0.001)
    async with IBMRuntimeClient(token=TOKEN, instance=INSTANCE, base_url=BASE, retry=retry) as c:
        assert TOKEN not in repr(c)
        assert TOKEN not in repr(c._auth)
        with pytest.raises(errors.AuthenticationError) as caught:
            await c.jobs.get("j1")
    error = caught.value
    assert "bad token" in str(error)
    assert error.request_id == "t-1"
    assert len(api.sent) == 2  # the 503 was retried, the 401 was not replayed
    assert any("retrying" in r.getMessage() for r in caplog.records)
    for text in (str(error), repr(error), error.body or "", caplog.text):
        assert TOKEN not in text


# -- argument checks: before any request --------------------------------------------------------
NAIVE = datetime(2024, 7, 4, 16, 0)

# The client is typed Any: these calls break the annotations on purpose.
BAD_CALLS: list[tuple[str, Callable[[Any], Any], type[Exception], str]] = [
    ("empty job id", lambda c: c.jobs.get(""), ValueError, "job_id must not be empty"),
    ("job id with slash", lambda c: c.jobs.get("a/b"), ValueError, "job_id must be a single id"),
    ("dot job id", lambda c: c.jobs.cancel(".."), ValueError, "job_id"),
    ("non-string job id", lambda c: c.jobs.get(7), TypeError, "job_id must be a string"),
    ("results slash", lambda c: c.jobs.results("x/../y"), ValueError, "job_id"),
    ("delete empty", lambda c: c.jobs.delete(" "), ValueError, "job_id"),
    ("logs slash", lambda c: c.jobs.logs("a/b"), ValueError, "job_id"),
    ("metrics slash", lambda c: c.jobs.metrics("a/b"), ValueError, "job_id"),
    ("tags as string", lambda c: c.jobs.set_tags("j1", "tag"), TypeError, "tags"),
    ("empty tag", lambda c: c.jobs.set_tags("j1", [""]), ValueError, "tags"),
    ("session id slash", lambda c: c.sessions.get("s/1"), ValueError, "session_id"),
    ("details empty", lambda c: c.sessions.details(""), ValueError, "session_id"),
    ("cancel slash", lambda c: c.sessions.cancel("s/1"), ValueError, "session_id"),
    ("close empty", lambda c: c.sessions.close(""), ValueError, "session_id"),
    (
        "accepting_jobs not bool",
        lambda c: c.sessions.update("s1", accepting_jobs="no"),
        TypeError,
        "accepting_jobs",
    ),
    ("program empty", lambda c: c.jobs.submit("", backend="b"), ValueError, "program_id"),
    ("backend slash", lambda c: c.jobs.submit("sampler", backend="a/b"), ValueError, "backend"),
    (
        "session_id slash",
        lambda c: c.jobs.submit("sampler", backend="b", session_id="s/1"),
        ValueError,
        "session_id",
    ),
    (
        "zero max_execution_time",
        lambda c: c.jobs.submit("sampler", backend="b", max_execution_time=0),
        ValueError,
        "max_execution_time",
    ),
    (
        "negative max_execution_time",
        lambda c: c.jobs.submit("sampler", backend="b", max_execution_time=timedelta(seconds=-5)),
        ValueError,
        "max_execution_time",
    ),
    (
        "params not a mapping",
        lambda c: c.jobs.submit("sampler", backend="b", params=[1]),
        TypeError,
        "params",
    ),
    (
        "private not bool",
        lambda c: c.jobs.submit("sampler", backend="b", private="yes"),
        TypeError,
        "private",
    ),
    (
        "bad job instance",
        lambda c: c.jobs.submit("sampler", backend="b", instance="h/g"),
        ValueError,
        "instance",
    ),
    (
        "bad log level",
        lambda c: c.jobs.submit("s", backend="b", log_level="LOUD"),
        ValueError,
        "log_level",
    ),
    (
        "session bad mode",
        lambda c: c.sessions.create(backend="b", mode="shared"),
        ValueError,
        "mode",
    ),
    (
        "session zero ttl",
        lambda c: c.sessions.create(backend="b", max_ttl=0),
        ValueError,
        "max_ttl",
    ),
    (
        "session bad instance",
        lambda c: c.sessions.create(backend="b", instance="hub"),
        ValueError,
        "instance",
    ),
    ("session backend empty", lambda c: c.sessions.create(backend=""), ValueError, "backend"),
    ("jobs page_size 0", lambda c: c.jobs.list(page_size=0), ValueError, "page_size"),
    ("jobs page_size 201", lambda c: c.jobs.list(page_size=201), ValueError, "page_size"),
    ("jobs limit 0", lambda c: c.jobs.list(limit=0), ValueError, "limit"),
    ("jobs limit -1", lambda c: c.jobs.list(limit=-1), ValueError, "limit"),
    ("jobs limit float", lambda c: c.jobs.list(limit=2.5), TypeError, "limit"),
    (
        "jobs order",
        lambda c: c.jobs.list(order="newest"),
        ValueError,
        "order must be one of asc, desc",
    ),
    ("jobs naive", lambda c: c.jobs.list(created_after=NAIVE), ValueError, "created_after"),
    (
        "jobs naive before",
        lambda c: c.jobs.list(created_before=NAIVE),
        ValueError,
        "created_before",
    ),
    ("jobs pending", lambda c: c.jobs.list(pending="true"), TypeError, "pending"),
    ("jobs session", lambda c: c.jobs.list(session_id="a/b"), ValueError, "session_id"),
    ("jobs tags str", lambda c: c.jobs.list(tags="x"), TypeError, "tags"),
    ("jobs bad token", lambda c: c.jobs.list(page_token="garbage!"), ValueError, "page token"),
    ("session jobs limit", lambda c: c.sessions.jobs("s1", limit=0), ValueError, "limit"),
    ("session jobs id", lambda c: c.sessions.jobs("s/1"), ValueError, "session_id"),
    (
        "workload status",
        lambda c: c.workloads.list_mine(status="done"),
        ValueError,
        "status must be one of canceled, completed, failed, in_progress, pending; got 'done'",
    ),
    (
        "workload status list",
        lambda c: c.workloads.list_mine(status=["pending", "unknown"]),
        ValueError,
        "status must be one of",
    ),
    ("workload empty status", lambda c: c.workloads.list_mine(status=[]), ValueError, "status"),
    (
        "workload mode",
        lambda c: c.workloads.list_mine(mode="dedicated"),
        ValueError,
        "mode must be one of batch, job, session; got 'dedicated'",
    ),
    (
        "workload order",
        lambda c: c.workloads.list_mine(order="up"),
        ValueError,
        "order must be one of asc, desc; got 'up'",
    ),
    (
        "workload sort",
        lambda c: c.workloads.list_mine(sort="id"),
        ValueError,
        "sort must be one of",
    ),
    (
        "workload naive",
        lambda c: c.workloads.list_mine(created_after=NAIVE),
        ValueError,
        "created_after must be timezone-aware",
    ),
    (
        "workload date",
        lambda c: c.workloads.list_mine(created_before="2024-01-01"),
        TypeError,
        "created_before must be a datetime",
    ),
    ("workload page_size", lambda c: c.workloads.list_mine(page_size=0), ValueError, "page_size"),
    ("workload limit", lambda c: c.workloads.list_mine(limit=-3), ValueError, "limit"),
    ("workload tags", lambda c: c.workloads.list_mine(tags="t"), TypeError, "tags"),
    (
        "workload mine instance",
        lambda c: c.workloads.list_mine(instance="hub"),
        ValueError,
        "instance must look like hub/group/project",
    ),
    (
        "admin instance empty",
        lambda c: c.workloads.list_admin(instance=""),
        ValueError,
        "instance must look like hub or hub/group or hub/group/project",
    ),
    (
        "admin instance 4 parts",
        lambda c: c.workloads.list_admin(instance="a/b/c/d"),
        ValueError,
        "instance",
    ),
    (
        "admin user id",
        lambda c: c.workloads.list_admin(instance="h", user_id="a/b"),
        ValueError,
        "user_id",
    ),
    (
        "two starting points",
        lambda c: c.workloads.list_mine(next_cursor="a", previous_cursor="b"),
        ValueError,
        "next_cursor, previous_cursor",
    ),
    ("watch empty id", lambda c: c.jobs.watch(""), ValueError, "job_id"),
    ("wait slash id", lambda c: c.jobs.wait("a/b"), ValueError, "job_id"),
    ("watch_many str", lambda c: c.jobs.watch_many("j1"), TypeError, "job_ids"),
    ("watch_many slash", lambda c: c.jobs.watch_many(["a/b"]), ValueError, "job_ids"),
    (
        "watch_many session",
        lambda c: c.jobs.watch_many(["j1"], session_id=""),
        ValueError,
        "session_id",
    ),
    ("session watch", lambda c: c.sessions.watch("a/b"), ValueError, "session_id"),
    ("session mode", lambda c: c.session(backend="b", mode="shared"), ValueError, "mode"),
    ("session block ttl", lambda c: c.session(backend="b", max_ttl=-1), ValueError, "max_ttl"),
    ("session block backend", lambda c: c.session(backend=""), ValueError, "backend"),
    ("backends provider", lambda c: c.backends.list(provider="h/g"), ValueError, "provider"),
]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [pytest.param(call, exc, match, id=name) for name, call, exc, match in BAD_CALLS],
)
async def test_invalid_arguments_fail_before_any_request(
    client: IBMRuntimeClient,
    api: FakeAPI,
    call: Callable[[IBMRuntimeClient], Any],
    exc: type[Exception],
    match: str,
) -> None:
    async def attempt() -> None:
        result = call(client)
        if asyncio.iscoroutine(result):
            await result

    with pytest.raises(exc, match=re.escape(match)):
        await attempt()
    assert api.sent == []


async def test_session_requires_an_instance_with_a_token(api: FakeAPI) -> None:
    async with IBMRuntimeClient(token=TOKEN, base_url=BASE) as client:
        with pytest.raises(ValueError, match="instance is required"):
            await client.sessions.create(backend="ibm_kyiv")
    assert api.sent == []


# -- backends ----------------------------------------------------------------------------------
async def test_backends_list_with_provider(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/backends", {"devices": ["ibm_kyiv", {"name": "ibm_brisbane", "qubits": 127}]})
    backends = await client.backends.list(provider=INSTANCE)
    assert backends.names == ["ibm_kyiv", "ibm_brisbane"]
    (sent,) = api.sent
    assert (sent.method, sent.path, sent.query) == (
        "GET",
        "/runtime/backends",
        {"provider": [INSTANCE]},
    )


# -- jobs --------------------------------------------------------------------------------------
async def test_submit_sends_every_field(
    client: IBMRuntimeClient, api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.on(
        "POST",
        "/jobs",
        {
            "id": "j1",
            "backend": "ibm_kyiv",
            "session_id": "s1",
            "messages": [{"level": "warn", "data": "usage is close to the limit"}],
        },
    )
    with caplog.at_level(logging.WARNING, logger="qruntime_async"):
        created = await client.jobs.submit(
            "sampler",
            backend="ibm_kyiv",
            params={"pubs": [["OPENQASM 3;", None, 100]], "version": 2},
            session_id="s1",
            tags=["exp-1", "run-2"],
            max_execution_time=timedelta(minutes=5),
            private=True,
            log_level="info",
            idempotency_key="key-1",
        )
    assert (created.id, created.session_id) == ("j1", "s1")
    assert "usage is close to the limit" in caplog.text
    (sent,) = api.sent
    assert (sent.method, sent.path, sent.query) == ("POST", "/runtime/jobs", {})
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.json() == {
        "program_id": "sampler",
        "backend": "ibm_kyiv",
        "params": {"pubs": [["OPENQASM 3;", None, 100]], "version": 2},
        "session_id": "s1",
        "tags": ["exp-1", "run-2", "qruntime-idempotency-key:key-1"],
        "log_level": "INFO",
        "cost": 300,
        "private": True,
        "hub": "hub1",
        "group": "group1",
        "project": "project1",
    }


async def test_submit_minimal_and_other_instance(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("POST", "/jobs", {"id": "j2"})
    await client.jobs.submit("estimator", backend="ibm_kyiv")
    await client.jobs.submit(
        "sampler", backend="ibm_kyiv", instance="h/g/p", max_execution_time=1.4
    )
    first, second = (s.json() for s in api.sent)
    (key,) = first.pop("tags")
    assert key.startswith("qruntime-idempotency-key:")
    assert first == {
        "program_id": "estimator",
        "backend": "ibm_kyiv",
        "params": {},
        "hub": "hub1",
        "group": "group1",
        "project": "project1",
    }
    assert (second["hub"], second["group"], second["project"], second["cost"]) == ("h", "g", "p", 1)


async def test_a_lost_submit_answer_adopts_the_job_the_server_created(api: FakeAPI) -> None:
    async def tagged(sent: Sent) -> Reply:
        (tag,) = sent.url.query.getall("tags")
        return Reply(json={"jobs": [job_json("j-made", tags=[tag])], "count": 1, "limit": 10})

    api.on("POST", "/jobs", Reply(status=502), Reply(json={"id": "j-duplicate"}))
    api.on("GET", "/jobs", tagged)
    async with IBMRuntimeClient(
        token=TOKEN,
        instance=INSTANCE,
        base_url=BASE,
        retry=RetryPolicy(backoff_initial=0.001, backoff_max=0.001),
        submit_policy=SubmitPolicy(settle=0, lookups=1),
    ) as c:
        created = await c.jobs.submit("sampler", backend="ibm_kyiv", idempotency_key="k7")
    assert created.id == "j-made"
    assert len(api.to("POST", "/jobs")) == 1
    (lookup,) = api.to("GET", "/jobs")
    assert lookup.url.query.getall("tags") == ["qruntime-idempotency-key:k7"]


async def test_a_lost_submit_answer_resubmits_when_the_job_is_absent(api: FakeAPI) -> None:
    api.on("POST", "/jobs", Reply(status=500), Reply(json={"id": "j-second"}))
    api.on("GET", "/jobs", {"jobs": [], "count": 0, "limit": 10})
    async with IBMRuntimeClient(
        token=TOKEN,
        instance=INSTANCE,
        base_url=BASE,
        submit_policy=SubmitPolicy(settle=0, lookups=2),
    ) as c:
        created = await c.jobs.submit("sampler", backend="ibm_kyiv", idempotency_key="k8")
    assert created.id == "j-second"
    first, second = api.to("POST", "/jobs")
    assert first.json()["tags"] == second.json()["tags"] == ["qruntime-idempotency-key:k8"]
    assert len(api.to("GET", "/jobs")) == 2


async def test_a_submit_the_server_refused_is_not_resubmitted(api: FakeAPI) -> None:
    api.on("POST", "/jobs", Reply(status=400, json={"errors": [{"message": "bad params"}]}))
    async with IBMRuntimeClient(token=TOKEN, instance=INSTANCE, base_url=BASE) as c:
        with pytest.raises(errors.BadRequestError, match="bad params"):
            await c.jobs.submit("sampler", backend="ibm_kyiv")
    assert len(api.sent) == 1


async def test_get_job(client: IBMRuntimeClient, api: FakeAPI) -> None:
    document = fixture("session_jobs.json")["jobs"][0]
    api.on("GET", "/jobs/ch8b1ok4k9li68vm059r", document)
    job = await client.jobs.get("ch8b1ok4k9li68vm059r", exclude_params=True)
    assert job.id == "ch8b1ok4k9li68vm059r"
    assert job.instance == "ibmq/open/main"
    assert job.created == datetime(2021, 5, 5, 0, 56, 4, 569709, tzinfo=timezone.utc)
    (sent,) = api.sent
    assert (sent.method, sent.path, sent.query) == (
        "GET",
        "/runtime/jobs/ch8b1ok4k9li68vm059r",
        {"exclude_params": ["true"]},
    )


async def test_job_ids_are_quoted_as_one_segment(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/jobs/a%20b%3Fc", job_json("a b?c"))
    job = await client.jobs.get("a b?c")
    assert job.id == "a b?c"
    assert api.sent[0].url.raw_path == "/runtime/jobs/a%20b%3Fc"
    assert api.sent[0].query == {}


async def test_job_list_sends_every_filter(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/jobs", jobs_page(["j1"], count=1, limit=10, offset=0))
    paris = timezone(timedelta(hours=2))
    jobs = await client.jobs.list(
        backend="ibm_kyiv",
        pending=False,
        program="sampler",
        tags=["a", "b"],
        session_id="s1",
        created_after=datetime(2024, 7, 4, 16, 13, 56, 562000, tzinfo=timezone.utc),
        created_before=datetime(2024, 7, 5, 2, 0, tzinfo=paris),
        order="desc",
        exclude_params=True,
        page_size=10,
    ).to_list()
    assert [j.id for j in jobs] == ["j1"]
    (sent,) = api.sent
    assert sent.path == "/runtime/jobs"
    assert sent.query == {
        "backend": ["ibm_kyiv"],
        "pending": ["false"],
        "program": ["sampler"],
        "tags": ["a", "b"],
        "session_id": ["s1"],
        "created_after": ["2024-07-04T16:13:56.562Z"],
        "created_before": ["2024-07-05T00:00:00.000Z"],
        "sort": ["DESC"],
        "exclude_params": ["true"],
        "limit": ["10"],
        "offset": ["0"],
    }


async def test_job_list_offset_paging_stops_at_count(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on(
        "GET",
        "/jobs",
        jobs_page(["j1", "j2"], count=5, limit=2, offset=0),
        jobs_page(["j3", "j4"], count=5, limit=2, offset=2),
        jobs_page(["j5"], count=5, limit=2, offset=4),
    )
    jobs = [job.id async for job in client.jobs.list(page_size=2)]
    assert jobs == ["j1", "j2", "j3", "j4", "j5"]
    assert [(s.query["offset"], s.query["limit"]) for s in api.sent] == [
        (["0"], ["2"]),
        (["2"], ["2"]),
        (["4"], ["2"]),
    ]


async def test_job_list_stops_on_a_full_last_page_when_the_count_is_reached(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on(
        "GET",
        "/jobs",
        jobs_page(["j1", "j2"], count=4, limit=2, offset=0),
        jobs_page(["j3", "j4"], count=4, limit=2, offset=2),
    )
    assert len(await client.jobs.list(page_size=2).to_list()) == 4
    assert len(api.sent) == 2


async def test_job_list_stops_on_a_short_page_without_count(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on(
        "GET",
        "/jobs",
        jobs_page(["j1", "j2", "j3"], count=None, limit=3, offset=0),
        jobs_page(["j4"], count=None, limit=3, offset=3),
    )
    jobs = await client.jobs.list(page_size=3).to_list()
    assert [j.id for j in jobs] == ["j1", "j2", "j3", "j4"]
    assert len(api.sent) == 2


async def test_job_list_limit_asks_only_for_what_is_needed(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on(
        "GET",
        "/jobs",
        jobs_page(["j1", "j2"], count=10, limit=2, offset=0),
        jobs_page(["j3"], count=10, limit=1, offset=2),
    )
    jobs = await client.jobs.list(page_size=2, limit=3).to_list()
    assert [j.id for j in jobs] == ["j1", "j2", "j3"]
    assert [s.query["limit"] for s in api.sent] == [["2"], ["1"]]


async def test_job_list_resumes_from_a_page_token(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/jobs", jobs_page(["j1", "j2"], count=3, limit=2, offset=0))
    first = await client.jobs.list(backend="ibm_kyiv", page_size=2).first_page()
    assert first.total == 3
    assert first.next_token is not None
    api.on("GET", "/jobs", jobs_page(["j3"], count=3, limit=2, offset=2))
    rest = await client.jobs.list(
        backend="ibm_kyiv", page_size=2, page_token=first.next_token
    ).to_list()
    assert [j.id for j in rest] == ["j3"]
    assert api.sent[-1].query == {"backend": ["ibm_kyiv"], "limit": ["2"], "offset": ["2"]}
    with pytest.raises(ValueError, match="another listing"):
        client.jobs.list(backend="other", page_size=2, page_token=first.next_token)


async def test_cancel_delete_and_conflict(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on(
        "POST",
        "/jobs/j1/cancel",
        Reply(status=204),
        Reply(status=409, json={"errors": [{"code": 3213, "message": "job is final"}]}),
    )
    api.on("DELETE", "/jobs/j1", Reply(status=204))
    await client.jobs.cancel("j1")
    with pytest.raises(errors.ConflictError, match="job is final") as caught:
        await client.jobs.cancel("j1")
    assert caught.value.code == "3213"
    await client.jobs.delete("j1")
    assert [(s.method, s.path, s.body) for s in api.sent] == [
        ("POST", "/runtime/jobs/j1/cancel", None),
        ("POST", "/runtime/jobs/j1/cancel", None),
        ("DELETE", "/runtime/jobs/j1", None),
    ]


async def test_results_are_decoded_and_counts_extracted(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    document = {
        "results": [
            {"data": {"meas": {"counts": {"0x0": 510, "0x3": 514}}}},
            {"data": {"c": {"counts": {"0x1": 1024}}}},
        ],
        "metadata": {"version": 2},
    }
    api.on("GET", "/jobs/j1/results", document)
    assert await client.jobs.results("j1") == document
    assert await client.jobs.counts("j1") == [{"0x0": 510, "0x3": 514}, {"0x1": 1024}]
    api.on("GET", "/jobs/j2/results", {"evs": [0.5]})
    with pytest.raises(errors.ResponseDecodeError, match="neither a PrimitiveResult"):
        await client.jobs.counts("j2")
    assert [s.path for s in api.sent] == ["/runtime/jobs/j1/results"] * 2 + [
        "/runtime/jobs/j2/results"
    ]


async def test_logs_metrics_and_tags(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/jobs/j1/logs", Reply(text="line 1\nline 2\n"))
    api.on(
        "GET",
        "/jobs/j1/metrics",
        {
            "timestamps": {"created": "2024-07-04T16:13:56.562Z", "finished": None},
            "usage": {"seconds": 3, "quantum_seconds": 2},
            "num_qubits": [2],
        },
    )
    api.on("PUT", "/jobs/j1/tags", Reply(status=204))
    assert await client.jobs.logs("j1") == "line 1\nline 2\n"
    metrics = await client.jobs.metrics("j1")
    assert metrics.usage is not None
    assert metrics.usage.quantum_seconds == 2
    assert metrics.timestamps is not None
    assert metrics.timestamps.created == datetime(2024, 7, 4, 16, 13, 56, 562000, timezone.utc)
    await client.jobs.set_tags("j1", ["x", "y"])
    await client.jobs.set_tags("j1", [])
    tags = api.to("PUT", "/jobs/j1/tags")
    assert [t.json() for t in tags] == [{"tags": ["x", "y"]}, {"tags": []}]
    assert tags[0].headers["Content-Type"] == "application/json"


# -- sessions ----------------------------------------------------------------------------------
async def test_create_session(
    client: IBMRuntimeClient, api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.on("POST", "/sessions", fixture("session_create.json"))
    with caplog.at_level(logging.WARNING, logger="qruntime_async"):
        created = await client.sessions.create(
            backend="ibm_kyiv", max_ttl=timedelta(minutes=10), mode="dedicated"
        )
    assert created.id == "ci8fo2g4mgo3p0c53uc0"
    (notice,) = created.notices
    assert notice.level == "warn"
    assert notice.data is not None
    assert "Dedicated session execution mode is not supported" in caplog.text
    (sent,) = api.sent
    assert (sent.method, sent.path) == ("POST", "/runtime/sessions")
    assert sent.json() == {
        "backend": "ibm_kyiv",
        "instance": INSTANCE,
        "max_session_ttl": 600,
        "mode": "dedicated",
    }


async def test_create_session_minimal_with_plain_string_messages(
    client: IBMRuntimeClient, api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.on("POST", "/sessions", {"id": "s1", "messages": ["plain warning"]})
    with caplog.at_level(logging.WARNING, logger="qruntime_async"):
        created = await client.sessions.create(backend="ibm_kyiv", instance="h/g/p", mode="batch")
    assert [m.data for m in created.notices] == ["plain warning"]
    assert "plain warning" in caplog.text
    assert api.sent[0].json() == {"backend": "ibm_kyiv", "instance": "h/g/p", "mode": "batch"}


async def test_session_get_details_update_close_cancel(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on("GET", "/sessions/s1", fixture("session_get.json"))
    api.on("GET", "/sessions/s1/extended", fixture("session_extended.json"))
    api.on("PATCH", "/sessions/s1", Reply(status=204))
    api.on("DELETE", "/sessions/s1/close", Reply(status=204))
    session = await client.sessions.get("s1")
    assert session.state == "active"
    assert session.accepting_jobs is True
    details = await client.sessions.details("s1")
    assert details.session_remaining_time_seconds == 12000
    assert details.timestamps
    await client.sessions.update("s1", accepting_jobs=True)
    await client.sessions.close("s1")
    await client.sessions.cancel("s1")
    assert [(s.method, s.path) for s in api.sent] == [
        ("GET", "/runtime/sessions/s1"),
        ("GET", "/runtime/sessions/s1/extended"),
        ("PATCH", "/runtime/sessions/s1"),
        ("PATCH", "/runtime/sessions/s1"),
        ("DELETE", "/runtime/sessions/s1/close"),
    ]
    assert api.sent[2].json() == {"accepting_jobs": True}
    assert api.sent[3].json() == {"accepting_jobs": False}
    assert api.sent[4].body is None


async def test_session_jobs_are_offset_paged(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on(
        "GET",
        "/sessions/s1/jobs",
        jobs_page(["j1", "j2"], count=3, limit=2, offset=0),
        jobs_page(["j3"], count=3, limit=2, offset=2),
    )
    jobs = [job async for job in client.sessions.jobs("s1", page_size=2)]
    assert [j.id for j in jobs] == ["j1", "j2", "j3"]
    assert [(s.path, s.query) for s in api.sent] == [
        ("/runtime/sessions/s1/jobs", {"limit": ["2"], "offset": ["0"]}),
        ("/runtime/sessions/s1/jobs", {"limit": ["2"], "offset": ["2"]}),
    ]


async def test_session_jobs_follow_a_server_that_caps_the_page_size(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    # Asked for 50, the server serves 2 a page and says so in ``limit``: not the end yet.
    api.on(
        "GET",
        "/sessions/s1/jobs",
        jobs_page(["j1", "j2"], count=None, limit=2, offset=0),
        jobs_page(["j3"], count=None, limit=2, offset=2),
    )
    jobs = await client.sessions.jobs("s1").to_list()
    assert [j.id for j in jobs] == ["j1", "j2", "j3"]
    assert [s.query["offset"] for s in api.sent] == [["0"], ["2"]]


async def test_session_jobs_example_document(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/sessions/s1/jobs", fixture("session_jobs.json"))
    page = await client.sessions.jobs("s1", limit=1).first_page()
    assert isinstance(page.raw, JobsPage)
    assert page.total == 5
    (job,) = page.items
    assert isinstance(job, Job)
    assert job.session_id == "ch8b1ok4k9li68vm059r"
    assert api.sent[0].query == {"limit": ["1"], "offset": ["0"]}


async def test_session_watch_and_wait(client: IBMRuntimeClient, api: FakeAPI) -> None:
    def session(state: str, accepting: bool) -> dict[str, Any]:
        return {"id": "s1", "state": state, "accepting_jobs": accepting}

    api.on(
        "GET",
        "/sessions/s1",
        session("open", True),
        session("open", True),
        session("active", True),
        session("active", False),
        session("closed", False),
    )
    seen = [
        (s.state, s.accepting_jobs) async for s in client.sessions.watch("s1", policy=FAST_POLL)
    ]
    assert seen == [("open", True), ("active", True), ("active", False), ("closed", False)]
    assert len(api.sent) == 5
    api.on(
        "GET", "/sessions/s2", {"id": "s2", "state": "active"}, {"id": "s2", "state": "canceled"}
    )
    final = await client.sessions.wait("s2", policy=FAST_POLL)
    assert final.state == "canceled"
    assert final.is_final


# -- the session block -------------------------------------------------------------------------
def session_routes(api: FakeAPI, session_id: str = "s9") -> None:
    api.on("POST", "/sessions", {"id": session_id})
    api.on("POST", "/jobs", {"id": "j1", "session_id": session_id})
    api.on("PATCH", f"/sessions/{session_id}", Reply(status=204))
    api.on("DELETE", f"/sessions/{session_id}/close", Reply(status=204))


async def test_session_block_closes_gently_on_success(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    session_routes(api)
    async with client.session(backend="ibm_kyiv", max_ttl=120) as session:
        assert session.id == "s9"
        job = await session.submit("sampler", params={"pubs": []}, tags=["t"])
        assert job.id == "j1"
    assert [(s.method, s.path) for s in api.sent] == [
        ("POST", "/runtime/sessions"),
        ("POST", "/runtime/jobs"),
        ("PATCH", "/runtime/sessions/s9"),
    ]
    assert api.sent[0].json() == {
        "backend": "ibm_kyiv",
        "instance": INSTANCE,
        "max_session_ttl": 120,
        "mode": "batch",
    }
    assert api.sent[1].json()["session_id"] == "s9"
    assert api.sent[1].json()["backend"] == "ibm_kyiv"
    assert api.sent[2].json() == {"accepting_jobs": False}


async def test_session_block_cancels_when_the_block_raises(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    session_routes(api)

    async def block() -> None:
        async with client.session(backend="ibm_kyiv", mode="dedicated") as session:
            await session.submit("sampler")
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await block()
    assert [(s.method, s.path) for s in api.sent] == [
        ("POST", "/runtime/sessions"),
        ("POST", "/runtime/jobs"),
        ("DELETE", "/runtime/sessions/s9/close"),
    ]


async def test_session_block_can_close_gently_even_on_error(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    session_routes(api)
    with pytest.raises(RuntimeError, match="boom"):
        async with client.session(backend="ibm_kyiv", cancel_on_error=False):
            raise RuntimeError("boom")
    assert [(s.method, s.path) for s in api.sent] == [
        ("POST", "/runtime/sessions"),
        ("PATCH", "/runtime/sessions/s9"),
    ]
    assert api.sent[1].json() == {"accepting_jobs": False}


async def test_the_blocks_error_is_not_hidden_by_a_failing_cancel(
    client: IBMRuntimeClient, api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    session_routes(api)
    api.on("DELETE", "/sessions/s9/close", Reply(status=500, json={"errors": [{"message": "x"}]}))
    with pytest.raises(KeyError, match="original"):
        async with client.session(backend="ibm_kyiv"):
            raise KeyError("original")
    assert "could not cancel session s9" in caplog.text


async def test_a_cancelled_block_still_cancels_its_session(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    session_routes(api)
    inside = asyncio.Event()

    async def work() -> None:
        async with client.session(backend="ibm_kyiv"):
            inside.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(work())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [(s.method, s.path) for s in api.sent][-1] == ("DELETE", "/runtime/sessions/s9/close")


async def test_a_failed_close_on_success_is_raised(client: IBMRuntimeClient, api: FakeAPI) -> None:
    session_routes(api)
    api.on("PATCH", "/sessions/s9", Reply(status=404, json={"errors": [{"message": "gone"}]}))
    with pytest.raises(errors.NotFoundError, match="gone"):
        async with client.session(backend="ibm_kyiv"):
            pass


async def test_a_session_block_that_fails_to_open_sends_nothing_more(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", Reply(status=403, json={"errors": [{"message": "no"}]}))
    with pytest.raises(errors.PermissionDeniedError):
        async with client.session(backend="ibm_kyiv"):
            pytest.fail("the block must not run")
    assert len(api.sent) == 1


# -- workloads ---------------------------------------------------------------------------------
async def test_list_mine_sends_every_parameter(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/workloads/me", fixture("workloads_me.json") | {"next": None})
    workloads = await client.workloads.list_mine(
        instance="h/g/p",
        backend="ibm_seattle",
        search="ch8b",
        status=["pending", WorkloadStatus.IN_PROGRESS],
        mode="batch",
        created_after=datetime(2024, 7, 1, tzinfo=timezone.utc),
        created_before=datetime(
            2024, 7, 4, 18, 13, 56, 562000, tzinfo=timezone(timedelta(hours=2))
        ),
        tags=["test-job", "foo"],
        sort="createdAt",
        order="asc",
        page_size=25,
    ).to_list()
    assert [w.id for w in workloads] == ["ch8b1ok4k9li68vm059r"]
    (sent,) = api.sent
    assert (sent.method, sent.path) == ("GET", "/runtime/workloads/me")
    assert sent.query == {
        "instance": ["h/g/p"],
        "backend": ["ibm_seattle"],
        "search": ["ch8b"],
        "status": ["in_progress", "pending"],
        "mode": ["batch"],
        "createdAfter": ["2024-07-01T00:00:00.000Z"],
        "createdBefore": ["2024-07-04T16:13:56.562Z"],
        "tags": ["foo", "test-job"],
        "sort": ["createdAt"],
        "order": ["asc"],
        "limit": ["25"],
    }


async def test_list_mine_without_arguments_sends_no_parameters(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on("GET", "/workloads/me", {"workloads": [], "count": 0, "limit": 10})
    assert await client.workloads.list_mine().to_list() == []
    assert api.sent[0].query == {}


async def test_list_admin(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/workloads/admin", fixture("workloads_admin.json") | {"next": None})
    for instance in ("hub", "hub/group", "hub/group/project"):
        items = await client.workloads.list_admin(
            instance=instance, user_id="65f0478ed32a1891af0a8d31", status="failed"
        ).to_list()
        assert len(items) == 1
    assert [s.query for s in api.sent] == [
        {"instance": [i], "userId": ["65f0478ed32a1891af0a8d31"], "status": ["failed"]}
        for i in ("hub", "hub/group", "hub/group/project")
    ]
    assert all(s.path == "/runtime/workloads/admin" for s in api.sent)


def workloads_page(ids: list[str], next_cursor: str | None, previous: str | None = None) -> Any:
    page: dict[str, Any] = {
        "workloads": [{"id": i, "status": "completed", "mode": "job", "backend": "b"} for i in ids],
        "count": 5,
        "limit": 2,
    }
    if next_cursor is not None:
        page["next"] = next_cursor
    if previous is not None:
        page["previous"] = previous
    return page


async def test_workloads_follow_next_cursors(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on(
        "GET",
        "/workloads/me",
        workloads_page(["w1", "w2"], "cur-2"),
        workloads_page(["w3", "w4"], "cur-3", previous="cur-1"),
        workloads_page(["w5"], None, previous="cur-2"),
    )
    ids = [w.id async for w in client.workloads.list_mine(status="completed", page_size=2)]
    assert ids == ["w1", "w2", "w3", "w4", "w5"]
    assert [s.query for s in api.sent] == [
        {"status": ["completed"], "limit": ["2"]},
        {"status": ["completed"], "limit": ["2"], "next": ["cur-2"]},
        {"status": ["completed"], "limit": ["2"], "next": ["cur-3"]},
    ]


async def test_workloads_limit_across_pages(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on(
        "GET",
        "/workloads/me",
        workloads_page(["w1", "w2"], "cur-2"),
        workloads_page(["w3"], "cur-3"),
    )
    ids = [w.id async for w in client.workloads.list_mine(page_size=2, limit=3)]
    assert ids == ["w1", "w2", "w3"]
    assert [s.query for s in api.sent] == [{"limit": ["2"]}, {"limit": ["1"], "next": ["cur-2"]}]


async def test_workloads_resume_from_a_page_token(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/workloads/me", workloads_page(["w1", "w2"], "cur-2"))
    first = await client.workloads.list_mine(mode="job", page_size=2).first_page()
    assert [w.id for w in first.items] == ["w1", "w2"]
    assert first.total == 5
    assert first.next_token is not None
    api.on("GET", "/workloads/me", workloads_page(["w3"], None))
    pager = client.workloads.list_mine(mode="job", page_size=2, page_token=first.next_token)
    assert [w.id async for w in pager] == ["w3"]
    assert api.sent[-1].query == {"mode": ["job"], "limit": ["2"], "next": ["cur-2"]}
    with pytest.raises(ValueError, match="another listing"):
        client.workloads.list_mine(mode="batch", page_token=first.next_token)


async def test_workloads_start_from_a_previous_cursor(
    client: IBMRuntimeClient, api: FakeAPI
) -> None:
    api.on(
        "GET",
        "/workloads/me",
        workloads_page(["w1", "w2"], "cur-2"),
        workloads_page(["w3"], None),
    )
    pages = [p async for p in client.workloads.list_mine(previous_cursor="cur-0").pages()]
    assert [[w.id for w in p.items] for p in pages] == [["w1", "w2"], ["w3"]]
    assert [s.query for s in api.sent] == [{"previous": ["cur-0"]}, {"next": ["cur-2"]}]
    # The first page's token fetches the same page again, from the same cursor.
    again = await client.workloads.list_mine(page_token=pages[0].token).first_page()
    assert [w.id for w in again.items] == ["w3"]  # the fake serves its last page again
    assert api.sent[-1].query == {"previous": ["cur-0"]}


async def test_workloads_start_from_a_next_cursor(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/workloads/admin", workloads_page(["w9"], None))
    items = await client.workloads.list_admin(instance="hub", next_cursor="cur-7").to_list()
    assert [w.id for w in items] == ["w9"]
    assert api.sent[0].query == {"instance": ["hub"], "next": ["cur-7"]}


async def test_workloads_cursor_loop_is_detected(client: IBMRuntimeClient, api: FakeAPI) -> None:
    api.on("GET", "/workloads/me", workloads_page(["w1"], "same"))
    with pytest.raises(errors.PagingError, match="already sent"):
        await client.workloads.list_mine().to_list()
    assert len(api.sent) == 2
