from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from qruntime_async._codec import Duration, decode, encode
from qruntime_async._http_errors import parse_error_body
from qruntime_async.errors import ResponseDecodeError
from qruntime_async.scaleway.models import (
    FINAL_JOB_STATUSES,
    FINAL_SESSION_STATUSES,
    TRANSIENT_SESSION_STATUSES,
    BookingDemand,
    CreateJobRequest,
    CreateModelRequest,
    CreateSessionRequest,
    Job,
    JobCircuit,
    JobStatus,
    ListJobResultsResponse,
    ListJobsOrderBy,
    ListJobsResponse,
    ListModelsResponse,
    ListPlatformsResponse,
    ListSessionsOrderBy,
    ListSessionsResponse,
    Money,
    Platform,
    PlatformAvailability,
    PlatformTechnology,
    PlatformType,
    Session,
    SessionOriginType,
    SessionStatus,
    UpdateJobRequest,
    UpdateSessionRequest,
    decode_compat,
    decode_parameters,
    encode_parameters,
)

FIXTURES = Path(__file__).parent / "fixtures" / "scaleway"
UTC = timezone.utc
SESSION_ID = "6a134dca-5743-4ba6-9999-b84c295d591c"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- jobs ------------------------------------------------------------------------------------


def test_job_decodes_every_field() -> None:
    job = decode(fixture("job.json"), Job)

    assert job.id == "3f3d4c2e-5a8b-4c1d-9e2f-0a1b2c3d4e5f"
    assert job.name == "bell-state"
    assert job.tags == ["demo", "bell"]
    assert job.session_id == SESSION_ID
    assert job.created_at == datetime(2022, 3, 22, 12, 34, 56, 123456, tzinfo=UTC)
    assert job.started_at == datetime(2022, 3, 22, 12, 34, 57, 123456, tzinfo=UTC)
    assert job.updated_at == datetime(2022, 3, 22, 12, 34, 59, 623456, tzinfo=UTC)
    assert job.status == JobStatus.COMPLETED
    assert job.is_final
    assert job.is_completed
    assert job.progress_message == "done"
    assert job.job_duration == timedelta(seconds=2.5)
    assert isinstance(job.job_duration, Duration)
    assert job.result_distribution == '{"00": 512, "11": 512}'
    assert job.model_id is None
    assert job.parameters_dict() == {"shots": 1024, "seed": 7}


def test_job_list_with_numeric_string_count_nulls_and_unknown_values() -> None:
    page = decode(fixture("job_list.json"), ListJobsResponse)

    assert page.total_count == 3
    waiting, failed, future = page.jobs
    assert waiting.status == JobStatus.WAITING
    assert not waiting.is_final
    assert waiting.started_at is None
    assert waiting.job_duration is None
    assert waiting.parameters is None
    assert waiting.parameters_dict() is None
    assert failed.status == JobStatus.ERROR
    assert failed.is_final
    assert failed.is_failed
    assert failed.tags is None
    assert failed.job_duration == timedelta(seconds=10)
    assert failed.model_id == "b1c2d3e4-0000-4000-8000-000000000001"
    assert failed.parameters_dict() == {}
    # An undocumented status decodes and stays visible; the unknown field is ignored.
    assert future.status == "paused_for_calibration"
    assert not future.is_final
    assert not hasattr(future, "queue_position")


@pytest.mark.parametrize(
    ("status", "final"),
    [
        ("unknown_status", False),
        ("waiting", False),
        ("running", False),
        ("cancelling", False),
        ("completed", True),
        ("error", True),
        ("cancelled", True),
    ],
)
def test_job_finality(status: str, final: bool) -> None:
    job = decode(msgspec.json.encode({"id": "j", "status": status}), Job)

    assert job.is_final is final
    assert (status in FINAL_JOB_STATUSES) is final
    assert job.is_cancelled is (status == "cancelled")


def test_job_with_only_an_id_uses_schema_defaults() -> None:
    job = decode(b'{"id": "j"}', Job)

    assert job.status == JobStatus.UNKNOWN_STATUS
    assert job.name is None
    assert repr(job) == "Job(id='j')"


def test_job_circuit_and_results() -> None:
    circuit = decode(fixture("job_circuit.json"), JobCircuit)
    results = decode(fixture("job_results.json"), ListJobResultsResponse)

    assert circuit.perceval_circuit is None
    assert circuit.qiskit_circuit is not None
    assert circuit.qiskit_circuit.startswith("OPENQASM 2.0;\n")
    assert results.total_count == 2
    inline, large = results.job_results
    assert inline.result_json() == {"counts": {"00": 498, "11": 526}, "shots": 1024}
    assert inline.created_at == datetime(2022, 3, 22, 12, 34, 59, 623456, tzinfo=UTC)
    assert large.result is None
    assert large.result_json() is None
    assert large.url == "https://s3.fr-par.scw.cloud/qaas-results/3f3d4c2e.json"


# --- sessions --------------------------------------------------------------------------------


def test_session_decodes_every_field() -> None:
    session = decode(fixture("session.json"), Session)

    assert session.id == SESSION_ID
    assert session.name == "Justina"
    assert session.platform_id == "5e52c364-03fd-4bf7-93e2-e1597e28fb83"
    assert session.created_at == datetime(2022, 3, 22, 12, 34, 56, 123456, tzinfo=UTC)
    assert session.started_at == datetime(2022, 3, 22, 12, 35, 1, 500000, tzinfo=UTC)
    assert session.terminated_at is None
    assert session.max_idle_duration == timedelta(minutes=10)
    assert session.max_duration == timedelta(minutes=30)
    assert session.waiting_job_count == 2
    assert session.finished_job_count == 5
    assert session.status == SessionStatus.RUNNING
    assert session.is_running
    assert not session.is_final
    assert not session.is_transient
    assert session.project_id == "6170692e-7363-616c-6577-61792e636f6d"
    assert session.tags == ["demo"]
    assert session.deduplication_id == ""
    assert session.origin_type == SessionOriginType.CUSTOMER
    assert session.booking_id is None
    assert session.parameters_dict() == {"noise": False}


def test_session_list() -> None:
    page = decode(fixture("session_list.json"), ListSessionsResponse)

    assert page.total_count == 2
    stopped, starting = page.sessions
    assert stopped.status == SessionStatus.STOPPED
    assert stopped.is_final
    assert not stopped.is_running
    assert stopped.terminated_at == datetime(2022, 3, 22, 13, 5, 1, tzinfo=UTC)
    assert stopped.origin_type == SessionOriginType.PROCESS
    assert stopped.booking_id == "c0ffee00-1234-4567-89ab-cdef01234567"
    assert starting.is_transient
    assert starting.origin_type == "marketplace"
    assert starting.waiting_job_count == 0
    assert starting.max_duration is None


def test_session_status_sets() -> None:
    assert {"stopped"} == FINAL_SESSION_STATUSES
    assert {SessionStatus.STARTING, SessionStatus.STOPPING} == TRANSIENT_SESSION_STATUSES
    assert "stopping" in TRANSIENT_SESSION_STATUSES


# --- platforms -------------------------------------------------------------------------------


def test_platform_decodes_prices_hardware_and_booking_rules() -> None:
    platform = decode(fixture("platform.json"), Platform)

    assert platform.name == "sim:sampling:h100"
    assert platform.backend_name == "perceval"
    assert platform.type == PlatformType.SIMULATOR
    assert platform.is_simulator
    assert not platform.is_qpu
    assert platform.technology == PlatformTechnology.PHOTONIC
    assert platform.availability == PlatformAvailability.AVAILABLE
    assert platform.is_available
    assert platform.max_qubit_count == 28
    assert platform.max_shot_count == 1_000_000
    assert platform.metadata_dict()["constraints"]["max_photon_count"] == 28
    assert platform.price_per_hour is not None
    assert platform.price_per_hour.amount == Decimal("12.5")
    assert str(platform.price_per_hour) == "12.5 EUR"
    assert platform.price_per_shot is not None
    assert platform.price_per_shot.amount == Decimal("0.000012")
    assert platform.price_per_circuit == Money(currency_code="EUR")
    assert platform.price_per_circuit.amount == 0
    assert platform.hardware is not None
    assert platform.hardware.ram == 257_698_037_760
    assert platform.hardware.gpus_network == "PCIe"
    rules = platform.booking_requirement
    assert rules is not None
    assert rules.min_duration == timedelta(seconds=2.5)
    assert rules.max_duration == timedelta(hours=4)
    assert rules.min_planification_duration is None
    assert rules.max_booking_per_day == 1
    assert platform.is_bookable is False


def test_quickstart_platform_list() -> None:
    page = decode(fixture("quickstart_platforms.json"), ListPlatformsResponse)

    assert page.total_count == 2
    assert [p.name for p in page.platforms] == ["sim:sampling:p100", "sim:sampling:h100"]
    assert [p.max_qubit_count for p in page.platforms] == [20, 28]
    assert page.platforms[0].availability == PlatformAvailability.UNKNOWN_AVAILABILITY
    assert page.platforms[0].price_per_hour is None


def test_money_with_negative_amount() -> None:
    refund = Money(currency_code="EUR", units=-1, nanos=-750_000_000)

    assert refund.amount == Decimal("-1.75")


# --- computation models, errors ----------------------------------------------------------------


def test_model_listing() -> None:
    models = decode(fixture("models_list.json"), ListModelsResponse)

    [model] = models.models
    assert model.url == "https://s3.fr-par.scw.cloud/qaas-models/b1c2d3e4.qasm"
    assert model.created_at == datetime(2022, 3, 22, 12, 34, 56, 123456, tzinfo=UTC)


def test_error_bodies() -> None:
    # What a user sees on the raised APIStatusError: code, message and per-field problems.
    not_found = parse_error_body(fixture("error_not_found.json"))
    invalid = parse_error_body(fixture("error_validation.json"))

    code, message, trace, fields = not_found
    assert code == "not_found"
    assert message == "resource is not found (job 3f3d4c2e-5a8b-4c1d-9e2f-0a1b2c3d4e5f)"
    assert trace is None
    assert fields == {}
    code, message, trace, fields = invalid
    assert code == "invalid_request_error"
    assert message == "Validation Error"
    assert trace is None
    assert fields == {
        "session_id": ["is not a valid UUID"],
        "max_duration": ["must be greater than 0s"],
    }


# --- older wire shape ------------------------------------------------------------------------


def test_quickstart_session_needs_the_compat_decoder() -> None:
    with pytest.raises(ResponseDecodeError) as caught:
        decode(fixture("quickstart_session_create.json"), Session)
    assert caught.value.path == "$.started_at"

    session = decode_compat(fixture("quickstart_session_create.json"), Session)

    assert session.status == SessionStatus.STARTING
    assert session.started_at is None
    assert session.terminated_at is None
    assert session.created_at == datetime(2023, 11, 15, 15, 57, 11, 389384, tzinfo=UTC)
    assert session.max_idle_duration == timedelta(seconds=600)
    assert session.max_duration == timedelta(seconds=1800)
    assert session.waiting_job_count == 0
    assert session.tags == []


def test_quickstart_job_and_terminate_answers() -> None:
    job = decode_compat(fixture("quickstart_job_create.json"), Job)
    stopping = decode_compat(fixture("quickstart_session_terminate.json"), Session)

    assert job.status == JobStatus.WAITING
    assert job.tags == []
    assert job.progress_message == ""
    assert job.result_distribution == ""
    assert job.job_duration == timedelta(0)
    assert job.started_at is None
    assert job.updated_at == datetime(2023, 11, 15, 16, 16, 6, 251006, tzinfo=UTC)
    assert stopping.is_transient
    assert stopping.terminated_at == datetime(2023, 11, 15, 16, 16, 15, 489339, tzinfo=UTC)


def test_compat_decoder_reports_the_original_error_when_both_shapes_fail() -> None:
    with pytest.raises(ResponseDecodeError) as caught:
        decode_compat(b'{"id": "j", "status": 5}', Job, method="GET", url="https://x/jobs/j")

    assert caught.value.path == "$.status"
    assert caught.value.url == "https://x/jobs/j"
    with pytest.raises(ResponseDecodeError):
        decode_compat(b'{"id": "j", "created_at": {"seconds": "soon"}}', Job)
    with pytest.raises(ResponseDecodeError):
        decode_compat(b"not json", Job)


# --- decoding failures -----------------------------------------------------------------------


def test_decode_failure_carries_the_field_path() -> None:
    body = b'{"total_count": 1, "jobs": [{"id": "j"}, {"id": "k", "created_at": "yesterday"}]}'
    with pytest.raises(ResponseDecodeError) as caught:
        decode(body, ListJobsResponse)

    assert caught.value.path == "$.jobs[1].created_at"
    assert caught.value.expected == "ListJobsResponse"


def test_bad_duration_carries_the_field_path() -> None:
    body = b'{"total_count": 1, "jobs": [{"id": "j", "job_duration": "soon"}]}'
    page = decode(body, ListJobsResponse)
    with pytest.raises(ResponseDecodeError) as caught:
        _ = page.jobs[0].job_duration

    assert caught.value.path == "Job.job_duration"
    assert caught.value.expected == "Duration"
    assert "soon" in str(caught.value)


def test_a_duration_of_the_wrong_json_type_is_rejected_when_decoding() -> None:
    body = b'{"total_count": 1, "jobs": [{"id": "j", "job_duration": [1]}]}'
    with pytest.raises(ResponseDecodeError) as caught:
        decode(body, ListJobsResponse)
    assert caught.value.path == "$.jobs[0].job_duration"


def test_missing_id_is_rejected() -> None:
    with pytest.raises(ResponseDecodeError) as caught:
        decode(b'{"sessions": [{"name": "x"}]}', ListSessionsResponse)

    assert caught.value.path == "$.sessions[0]"


# --- request bodies --------------------------------------------------------------------------


def test_create_job_request_encoding() -> None:
    body = CreateJobRequest(
        name="my_job",
        session_id=SESSION_ID,
        circuit=JobCircuit(perceval_circuit=":PCVL:zip:eJyz"),
        max_duration=timedelta(minutes=10),
        parameters=encode_parameters({"shots": 1000, "options": {"seed": 3}}),
    )

    wire = msgspec.json.decode(encode(body))

    assert wire == {
        "name": "my_job",
        "session_id": SESSION_ID,
        "circuit": {"perceval_circuit": ":PCVL:zip:eJyz"},
        "max_duration": "600s",
        "parameters": '{"shots":1000,"options":{"seed":3}}',
    }
    assert decode_parameters(wire["parameters"]) == {"shots": 1000, "options": {"seed": 3}}


def test_create_session_request_encodes_durations_as_seconds() -> None:
    body = CreateSessionRequest(
        project_id="6170692e-7363-616c-6577-61792e636f6d",
        platform_id="5e52c364-03fd-4bf7-93e2-e1597e28fb83",
        max_idle_duration=timedelta(seconds=2.5),
        max_duration=Duration(hours=1),
        tags=["demo"],
        booking_demand=BookingDemand(
            started_at=datetime(2024, 1, 1, 9, tzinfo=UTC), time_zone="Europe/Paris"
        ),
    )

    assert msgspec.json.decode(encode(body)) == {
        "project_id": "6170692e-7363-616c-6577-61792e636f6d",
        "platform_id": "5e52c364-03fd-4bf7-93e2-e1597e28fb83",
        "max_idle_duration": "2.5s",
        "max_duration": "3600s",
        "tags": ["demo"],
        "booking_demand": {"started_at": "2024-01-01T09:00:00Z", "time_zone": "Europe/Paris"},
    }


def test_update_requests_send_only_what_changes() -> None:
    assert encode(UpdateSessionRequest()) == b"{}"
    assert encode(UpdateSessionRequest(max_idle_duration=timedelta(minutes=5))) == (
        b'{"max_idle_duration":"300s"}'
    )
    assert encode(UpdateJobRequest(name="renamed")) == b'{"name":"renamed"}'
    # An empty list clears the tags, so it must be sent.
    assert encode(UpdateJobRequest(tags=[])) == b'{"tags":[]}'
    assert encode(CreateModelRequest(project_id="p", payload="{}")) == (
        b'{"project_id":"p","payload":"{}"}'
    )


def test_parameters_helpers() -> None:
    text = encode_parameters({"shots": 10})

    assert text == '{"shots":10}'
    assert decode_parameters(text) == {"shots": 10}
    assert decode_parameters("") is None
    assert decode_parameters(None) is None


def test_order_by_enums_match_the_wire() -> None:
    wire: str = "created_at_desc"
    assert wire == ListJobsOrderBy.CREATED_AT_DESC
    assert len(ListJobsOrderBy) == 10
    assert ListSessionsOrderBy("started_at_asc") is ListSessionsOrderBy.STARTED_AT_ASC
    assert str(PlatformTechnology.NEUTRAL_ATOM) == "neutral_atom"
