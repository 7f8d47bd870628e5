from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import msgspec
import pytest

from qruntime_async._codec import decode, encode
from qruntime_async._http_errors import parse_error_body
from qruntime_async.errors import ResponseDecodeError
from qruntime_async.ibm.models import (
    FINAL_JOB_STATUSES,
    FINAL_SESSION_STATES,
    FINAL_WORKLOAD_STATUSES,
    BackendDevice,
    BackendsResponse,
    CreateJobRequest,
    CreateJobResponse,
    CreateSessionRequest,
    CreateSessionResponse,
    Job,
    JobMetrics,
    JobsPage,
    JobStatus,
    JobTagsRequest,
    Session,
    SessionDetails,
    SessionMessage,
    SessionMode,
    SessionState,
    SortOrder,
    UpdateSessionRequest,
    Workload,
    WorkloadMode,
    WorkloadsPage,
    WorkloadStatus,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ibm"
UTC = timezone.utc


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def job(**fields: Any) -> Job:
    return decode(msgspec.json.encode({"id": "j1", **fields}), Job)


# --- the documents' examples -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["workloads_admin.json", "workloads_me.json"])
def test_workloads_example_decodes(name: str) -> None:
    page = decode(fixture(name), WorkloadsPage)

    assert page.count == 5
    assert page.limit == 5
    assert page.previous == "example"
    assert page.next == "example"
    assert page.has_next
    [workload] = page.workloads
    assert workload.id == "ch8b1ok4k9li68vm059r"
    assert workload.created == datetime(2024, 7, 4, 16, 13, 56, 562000, tzinfo=UTC)
    assert workload.ended is not None
    assert workload.ended.tzinfo is not None
    assert workload.backend == "ibm_seattle"
    assert workload.instance == "ibmq/open/main"
    assert workload.user_id == "65f0478ed32a1891af0a8d31"
    assert workload.accepting_jobs is True
    assert workload.mode == WorkloadMode.JOB
    assert workload.is_job
    assert not workload.is_session
    assert workload.status == WorkloadStatus.IN_PROGRESS
    assert not workload.is_final
    assert workload.status_reason is not None
    assert workload.status_reason.startswith("Error occurred for job circuit-runner")
    assert workload.tags == ["test-job", "foo", "bar"]
    assert workload.usage_seconds == 1
    assert workload.estimated_running_time_seconds == 123
    assert workload.estimated_start_time_seconds == 123


def test_create_session_example_decodes_with_message_objects() -> None:
    answer = decode(fixture("session_create.json"), CreateSessionResponse)

    assert answer.id == "ci8fo2g4mgo3p0c53uc0"
    assert answer.messages is not None
    [message] = answer.notices
    assert message.level == "warn"
    assert message.data is not None
    assert message.data.startswith("Dedicated session execution mode is not supported")
    assert str(message).startswith("warn: Dedicated")


def test_create_session_messages_as_plain_strings_follow_the_schema() -> None:
    answer = decode(
        b'{"id": "s1", "messages": ["jobs will run in job mode"]}', CreateSessionResponse
    )

    assert answer.messages == ["jobs will run in job mode"]
    assert answer.notices == [SessionMessage(data="jobs will run in job mode")]
    assert str(answer.notices[0]) == "jobs will run in job mode"


def test_create_session_without_messages() -> None:
    answer = decode(b'{"id": "s1"}', CreateSessionResponse)

    assert answer.messages is None
    assert answer.notices == []


def test_session_example_decodes() -> None:
    session = decode(fixture("session_get.json"), Session)

    assert session.id == "11111111111111111111"
    assert session.backend_name == "ibm-tenerife"
    moment = datetime(2023, 10, 1, tzinfo=UTC)
    assert session.started_at == moment
    assert session.created_at == moment
    assert session.activated_at == moment
    assert session.closed_at == moment
    assert session.last_job_started == moment
    assert session.last_job_completed == moment
    assert session.interactive_ttl == 100
    assert session.max_ttl == 1000
    assert session.active_ttl == 1000
    assert session.state == SessionState.ACTIVE
    assert session.is_active
    assert not session.is_final
    assert session.accepting_jobs is True
    assert session.mode == SessionMode.BATCH
    assert session.elapsed_time == 1000


def test_session_details_example_decodes_and_keeps_undocumented_status() -> None:
    details = decode(fixture("session_extended.json"), SessionDetails)

    assert details.id == "11111111111111111111"
    assert details.user_id == "123456"
    assert details.instance == "aHub/aGroup/aProject"
    assert details.backend_name == "ibm-tenerife"
    assert details.created_at == datetime(2023, 10, 1, tzinfo=UTC)
    # "active" is not in the documented workload set: it must decode and stay visible.
    assert details.status == "active"
    assert not details.is_final
    assert details.status_reason == "session_inactivated_by_interactive_ttl"
    assert details.accepting_jobs is True
    assert details.mode == SessionMode.BATCH
    assert details.session_remaining_time_seconds == 12000
    assert details.timestamps is not None
    [stamp] = details.timestamps
    assert stamp.status == WorkloadStatus.PENDING
    assert stamp.date == datetime(2023, 10, 1, tzinfo=UTC)


def test_session_jobs_example_decodes() -> None:
    page = decode(fixture("session_jobs.json"), JobsPage)

    assert (page.count, page.limit, page.offset) == (5, 5, 1)
    [job] = page.jobs
    assert job.id == "ch8b1ok4k9li68vm059r"
    assert (job.hub, job.group, job.project) == ("ibmq", "open", "main")
    assert job.instance == "ibmq/open/main"
    assert job.backend == "ibm_seattle"
    assert job.state is not None
    assert job.state.status == JobStatus.CANCELLED
    assert job.state.reason == "Ran too long"
    assert job.state.reason_code == 1234
    assert job.status == JobStatus.COMPLETED
    assert job.params == {}
    assert job.program is not None
    assert job.program_id == "ch8b1ok4k9li68vm059r"
    # "2021-05-05 00:56:04.569709" has no zone: it is UTC.
    assert job.created == datetime(2021, 5, 5, 0, 56, 4, 569709, tzinfo=UTC)
    assert job.ended == datetime(2021, 5, 5, 0, 56, 4, 569709, tzinfo=UTC)
    assert job.runtime == "example"
    assert job.cost == 1
    assert job.tags == ["test-job"]
    assert job.session_id == "ch8b1ok4k9li68vm059r"
    assert job.usage is not None
    assert job.usage.seconds == 1
    assert job.usage.quantum_seconds is None
    assert job.estimated_running_time_seconds == 123
    assert job.estimated_max_running_time_seconds == 123
    assert job.private is True
    assert job.user_id == "66b151c0456fa30442933700"
    assert job.is_final
    assert job.ran_too_long
    assert job.is_cancelled


# --- tolerance -------------------------------------------------------------------------------


def test_job_with_only_an_id_decodes() -> None:
    minimal = job()

    assert minimal.id == "j1"
    assert minimal.status is None
    assert minimal.state is None
    assert minimal.created is None
    assert not minimal.is_final
    assert minimal.instance is None
    assert minimal.program_id is None


def test_job_without_id_is_rejected_with_its_path() -> None:
    with pytest.raises(ResponseDecodeError) as caught:
        decode(b'{"jobs": [{"id": "a"}, {"status": "Queued"}], "count": 2}', JobsPage)

    assert caught.value.path == "$.jobs[1]"
    assert "id" in caught.value.message
    assert caught.value.expected == "JobsPage"


def test_wrong_type_is_reported_with_the_field_path() -> None:
    body = b'{"jobs": [{"id": "a", "state": {"status": "Failed", "reason_code": "x1"}}]}'
    with pytest.raises(ResponseDecodeError) as caught:
        decode(body, JobsPage)

    assert caught.value.path == "$.jobs[0].state.reason_code"


def test_numeric_strings_decode_into_numbers() -> None:
    page = decode(
        b'{"jobs": [{"id": "a", "cost": "30", "usage": {"seconds": "2.5"}}],'
        b' "count": "7", "limit": "10", "offset": "0"}',
        JobsPage,
    )

    assert (page.count, page.limit, page.offset) == (7, 10, 0)
    assert page.jobs[0].cost == 30
    assert page.jobs[0].usage is not None
    assert page.jobs[0].usage.seconds == 2.5


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("false", False), ("1", True), ("0", False), ("null", None)],
)
def test_workload_accepting_jobs_accepts_booleans_and_numbers(raw: str, expected: bool) -> None:
    workload = decode(f'{{"id": "w", "accepting_jobs": {raw}}}', Workload)

    assert workload.accepting_jobs is expected


def test_unknown_fields_are_ignored_and_unknown_values_kept() -> None:
    workload = decode(
        b'{"id": "w", "mode": "reservation", "status": "paused", "new_field": {"x": [1, 2]}}',
        Workload,
    )

    assert workload.mode == "reservation"
    assert workload.status == "paused"
    assert not workload.is_final
    assert not workload.is_job
    assert not workload.is_session


def test_nulls_decode_as_none() -> None:
    page = decode(
        b'{"workloads": [{"id": "w", "ended": null, "accepting_jobs": null, "tags": null,'
        b' "usage_seconds": null}], "count": 1, "limit": 10, "next": null}',
        WorkloadsPage,
    )

    [workload] = page.workloads
    assert workload.ended is None
    assert workload.accepting_jobs is None
    assert workload.tags is None
    assert workload.usage_seconds is None
    assert not page.has_next


def test_offset_timestamps_are_converted_to_utc() -> None:
    converted = job(created="2024-07-04T18:13:56.562+02:00")

    assert converted.created == datetime(2024, 7, 4, 16, 13, 56, 562000, tzinfo=UTC)
    assert converted.created is not None
    assert converted.created.utcoffset() is not None
    assert converted.created.hour == 16


# --- job status ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "final", "too_long"),
    [
        ({"status": "Queued", "state": {"status": "Queued"}}, False, False),
        ({"status": "Running"}, False, False),
        ({"status": "Completed", "state": {"status": "Completed"}}, True, False),
        ({"status": "Failed", "state": {"status": "Failed", "reason": "boom"}}, True, False),
        ({"status": "Cancelled", "state": {"status": "Cancelled"}}, True, False),
        ({"status": "Cancelled - Ran too long"}, True, True),
        ({"status": "Cancelled - Ran too long", "state": {"status": "Cancelled"}}, True, True),
        ({"state": {"status": "Cancelled", "reason_code": 1305}}, True, True),
        ({"state": {"status": "Cancelled", "reason_code": "1305"}}, True, True),
        ({"status": "Cancelled - Out of credits"}, True, False),
        ({"status": "Paused"}, False, False),
    ],
)
def test_job_finality(fields: dict[str, Any], final: bool, too_long: bool) -> None:
    decoded = job(**fields)

    assert decoded.is_final is final
    assert decoded.ran_too_long is too_long


def test_job_outcome_properties() -> None:
    assert job(status="Completed").is_completed
    assert not job(status="Completed").is_failed
    assert job(state={"status": "Failed"}, status="Failed").is_failed
    assert job(status="Cancelled").is_cancelled
    assert not job(status="Running").is_cancelled
    assert job(status="Running", state={"status": "Completed"}).current_status == "Completed"
    assert job(status="Queued").current_status == "Queued"


def test_enums_compare_and_hash_like_the_wire_strings() -> None:
    assert JobStatus("Cancelled - Ran too long") is JobStatus.CANCELLED_RAN_TOO_LONG
    wire: str = "Completed"
    assert wire == JobStatus.COMPLETED
    assert "Completed" in FINAL_JOB_STATUSES
    assert JobStatus.FAILED in FINAL_JOB_STATUSES
    assert "Running" not in FINAL_JOB_STATUSES
    by_status: dict[str, int] = {JobStatus.QUEUED: 1}
    assert by_status["Queued"] == 1
    assert str(JobStatus.CANCELLED_RAN_TOO_LONG) == "Cancelled - Ran too long"
    assert f"{SessionState.CLOSED}" == "closed"
    assert {"closed", "canceled"} == FINAL_SESSION_STATES
    assert {"completed", "canceled", "failed"} == FINAL_WORKLOAD_STATUSES
    assert [m.value for m in SortOrder] == ["asc", "desc"]
    assert [m.value for m in WorkloadMode] == ["job", "session", "batch"]


@pytest.mark.parametrize(
    ("state", "final"), [("closed", True), ("canceled", True), ("open", False)]
)
def test_session_finality(state: str, final: bool) -> None:
    assert decode(msgspec.json.encode({"id": "s", "state": state}), Session).is_final is final


def test_session_details_finality() -> None:
    assert decode(b'{"id": "s", "status": "completed"}', SessionDetails).is_final
    assert not decode(b'{"id": "s", "status": "in_progress"}', SessionDetails).is_final


# --- other answers ---------------------------------------------------------------------------


def test_create_job_response() -> None:
    answer = decode(
        b'{"id": "cxyz", "backend": "ibm_kyiv", "session_id": "s1", "private": false,'
        b' "messages": [{"level": "warning", "data": "deprecated option"}, "plain"]}',
        CreateJobResponse,
    )

    assert answer.id == "cxyz"
    assert answer.backend == "ibm_kyiv"
    assert answer.session_id == "s1"
    assert answer.private is False
    assert [str(m) for m in answer.notices] == ["warning: deprecated option", "plain"]


def test_job_metrics() -> None:
    metrics = decode(
        b'{"timestamps": {"created": "2024-01-01T10:00:00Z", "running": "2024-01-01 10:00:05",'
        b' "finished": null}, "usage": {"seconds": 4, "quantum_seconds": 3.5},'
        b' "bss": {"seconds": 2}, "num_qubits": [2], "qiskit_version": "1.2.0",'
        b' "position_in_queue": 3}',
        JobMetrics,
    )

    assert metrics.timestamps is not None
    assert metrics.timestamps.created == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert metrics.timestamps.running == datetime(2024, 1, 1, 10, 0, 5, tzinfo=UTC)
    assert metrics.timestamps.finished is None
    assert metrics.usage is not None
    assert metrics.usage.quantum_seconds == 3.5
    assert metrics.bss is not None
    assert metrics.bss.seconds == 2
    assert metrics.num_qubits == [2]
    assert metrics.position_in_queue == 3


def test_backends_as_names_or_objects() -> None:
    names = decode(b'{"devices": ["ibm_kyiv", "ibm_sherbrooke"]}', BackendsResponse)
    objects = decode(
        b'{"devices": [{"name": "ibm_torino", "status": {"name": "online"}, "qubits": 133},'
        b' {"name": "ibm_fez", "status": "paused"}, "ibm_kyiv"]}',
        BackendsResponse,
    )

    assert names.names == ["ibm_kyiv", "ibm_sherbrooke"]
    assert objects.names == ["ibm_torino", "ibm_fez", "ibm_kyiv"]
    first = objects.devices[0]
    assert isinstance(first, BackendDevice)
    assert first.qubits == 133
    assert decode(b"{}", BackendsResponse).names == []


def test_error_bodies_of_both_bases() -> None:
    # (code, message, trace, fields): what a user sees on the raised APIStatusError.
    legacy = parse_error_body(b'{"error": {"code": 1217, "message": "Job not found"}}')
    newer = parse_error_body(
        b'{"errors": [{"code": "not_found", "message": "Job not found", "more_info": "https://x"},'
        b' {"code": "other", "message": "second"}], "trace": "abc123"}'
    )
    plain = parse_error_body(b'{"error": "Unauthorized"}')

    assert legacy == ("1217", "Job not found", None, {})
    assert newer == ("not_found", "Job not found; second", "abc123", {})
    assert plain == (None, "Unauthorized", None, {})
    assert parse_error_body(b"{}") == (None, None, None, {})
    assert parse_error_body(b"<html>Bad Gateway</html>") == (None, None, None, {})


# --- request bodies --------------------------------------------------------------------------


def test_create_session_request_omits_unset_fields() -> None:
    body = CreateSessionRequest(backend="ibmq_wellington", instance="hub/group/project")

    assert msgspec.json.decode(encode(body)) == {
        "backend": "ibmq_wellington",
        "instance": "hub/group/project",
    }


def test_create_session_request_with_every_field() -> None:
    body = CreateSessionRequest(
        backend="ibm_kyiv", max_session_ttl=450, max_ttl=450, mode=SessionMode.BATCH
    )

    assert msgspec.json.decode(encode(body)) == {
        "backend": "ibm_kyiv",
        "max_session_ttl": 450,
        "max_ttl": 450,
        "mode": "batch",
    }


def test_create_job_request_encoding() -> None:
    body = CreateJobRequest(
        program_id="sampler",
        backend="ibm_kyiv",
        params={"pubs": [["OPENQASM 3.0;", [], 100]], "version": 2},
        session_id="s1",
        tags=["exp-1"],
        private=False,
        hub="ibm-q",
        group="open",
        project="main",
    )

    assert msgspec.json.decode(encode(body)) == {
        "program_id": "sampler",
        "backend": "ibm_kyiv",
        "params": {"pubs": [["OPENQASM 3.0;", [], 100]], "version": 2},
        "session_id": "s1",
        "tags": ["exp-1"],
        "private": False,
        "hub": "ibm-q",
        "group": "open",
        "project": "main",
    }
    assert encode(CreateJobRequest(program_id="estimator")) == b'{"program_id":"estimator"}'


def test_update_session_and_tags_requests_always_send_their_field() -> None:
    assert encode(UpdateSessionRequest(accepting_jobs=False)) == b'{"accepting_jobs":false}'
    assert encode(JobTagsRequest(tags=[])) == b'{"tags":[]}'
    assert encode(JobTagsRequest(tags=["a", "b"])) == b'{"tags":["a","b"]}'


def test_models_are_frozen_and_repr_omits_defaults() -> None:
    decoded = job(status="Queued")

    assert repr(decoded) == "Job(id='j1', status='Queued')"
    with pytest.raises(AttributeError):
        decoded.status = "Running"  # type: ignore[misc]
