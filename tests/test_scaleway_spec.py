"""The request bodies the Scaleway client sends, checked against Scaleway's published OpenAPI spec.

The spec (``shared/api/scaleway-qaas-v1alpha1.openapi.yml``, beside the repository) is the
ground truth: every field it requires is sent, every field sent is one it declares, with the
declared JSON type.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses

from qruntime_async.scaleway.client import ScalewayQaaSClient

from .test_scaleway_client import (
    FAST_POLL,
    JOB,
    PLATFORM,
    PROJECT,
    QASM,
    SECRET,
    SESSION,
    FakeAPI,
    job,
    session,
)

yaml = pytest.importorskip("yaml", reason="reading the OpenAPI spec needs PyYAML (test extra)")

# shared/ lies beside the repository.
SPEC_PATH = Path(__file__).resolve().parents[2] / "shared/api/scaleway-qaas-v1alpha1.openapi.yml"
BELL3 = (
    'OPENQASM 3.0; include "stdgates.inc"; qubit[2] q; bit[2] c; '
    "h q[0]; cx q[0], q[1]; c = measure q;"
)
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "object": (dict,),
    "array": (list,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"the OpenAPI spec is not at {SPEC_PATH}")
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return document


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    with aioresponses() as mocked:
        yield FakeAPI(mocked)


def body_schema(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation = spec["paths"]["/qaas/v1alpha1" + path][method.lower()]
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def check(schema: dict[str, Any], body: Any, where: str) -> None:
    """``body`` fits ``schema``: required fields present, no undeclared field, declared types."""
    if body is None:
        assert schema.get("nullable"), f"{where}: null where the spec does not allow it"
        return
    kind = schema.get("type")
    if kind is not None:
        assert isinstance(body, JSON_TYPES[kind]), f"{where}: {body!r} is not a {kind}"
    if kind == "object" and "properties" in schema:
        missing = set(schema.get("required", ())) - set(body)
        assert not missing, f"{where}: the spec requires {sorted(missing)}"
        undeclared = set(body) - set(schema["properties"])
        assert not undeclared, f"{where}: the spec does not declare {sorted(undeclared)}"
        for name, value in body.items():
            check(schema["properties"][name], value, f"{where}.{name}")
    if kind == "array" and "items" in schema:
        for index, item in enumerate(body):
            check(schema["items"], item, f"{where}[{index}]")


def sent(api: FakeAPI, method: str, path: str) -> list[Any]:
    return [call.body for call in api.calls if call.method == method and call.path.endswith(path)]


@pytest.fixture
async def client() -> AsyncIterator[ScalewayQaaSClient]:
    async with ScalewayQaaSClient(secret_key=SECRET, project_id=PROJECT) as c:
        yield c


async def test_job_bodies_fit_the_spec(
    spec: dict[str, Any], client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    platform = {"id": PLATFORM, "name": "aer_simulation_pop_c16m128", "version": "0.1"}
    api.on("GET", f"/sessions/{SESSION}", session("running"), repeat=True)
    api.on("GET", f"/platforms/{PLATFORM}", platform)
    api.on("POST", "/models", {"id": "m-1", "project_id": PROJECT})
    api.on("POST", "/jobs", job(), repeat=True)
    api.on("PATCH", f"/jobs/{JOB}", job())
    api.on("POST", f"/jobs/{JOB}/cancel", job(status="cancelling"))
    await client.jobs.create(SESSION, QASM, tags=["a"], max_duration=60, parameters={"shots": 5})
    await client.jobs.submit(SESSION, [BELL3], shots=100, memory=True)
    await client.jobs.update(JOB, name="renamed", tags=["b"])
    await client.jobs.cancel(JOB)

    bodies = sent(api, "POST", "/jobs")
    assert len(bodies) == 2
    for body in bodies:  # the circuit itself, and a computation model
        check(body_schema(spec, "POST", "/jobs"), body, "POST /jobs")
    (model,) = sent(api, "POST", "/models")
    check(body_schema(spec, "POST", "/models"), model, "POST /models")
    (update,) = sent(api, "PATCH", f"/jobs/{JOB}")
    check(body_schema(spec, "PATCH", "/jobs/{job_id}"), update, "PATCH /jobs/{job_id}")
    (cancel,) = sent(api, "POST", f"/jobs/{JOB}/cancel")
    check(body_schema(spec, "POST", "/jobs/{job_id}/cancel"), cancel, "POST cancel")


async def test_session_bodies_fit_the_spec(
    spec: dict[str, Any], client: ScalewayQaaSClient, api: FakeAPI
) -> None:
    api.on("POST", "/sessions", session("running"))
    api.on("GET", f"/sessions/{SESSION}", session("running"), repeat=True)
    api.on("PATCH", f"/sessions/{SESSION}", session("running"))
    api.on("POST", f"/sessions/{SESSION}/terminate", session("stopping"))
    async with client.session(
        platform_id=PLATFORM,
        name="s",
        max_duration=600,
        max_idle_duration=60,
        tags=["t"],
        policy=FAST_POLL,
    ):
        await client.sessions.update(SESSION, name="renamed", max_duration=900)

    (create,) = sent(api, "POST", "/sessions")
    check(body_schema(spec, "POST", "/sessions"), create, "POST /sessions")
    (update,) = sent(api, "PATCH", f"/sessions/{SESSION}")
    check(body_schema(spec, "PATCH", "/sessions/{session_id}"), update, "PATCH /sessions")
    (terminate,) = sent(api, "POST", f"/sessions/{SESSION}/terminate")
    check(body_schema(spec, "POST", "/sessions/{session_id}/terminate"), terminate, "terminate")


def test_the_checker_refuses_what_the_spec_refuses(spec: dict[str, Any]) -> None:
    schema = body_schema(spec, "POST", "/jobs")
    with pytest.raises(AssertionError, match="requires"):
        check(schema, {"name": "n", "session_id": SESSION}, "POST /jobs")
    with pytest.raises(AssertionError, match="does not declare"):
        check(schema, {"name": "n", "session_id": SESSION, "circuit": {}, "shots": 1}, "x")
    assert json.dumps(schema)  # a plain document
