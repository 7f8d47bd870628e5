"""Timestamps and durations of the models: what a reader of a decoded answer sees.

msgspec keeps what the wire said; reading the attribute gives aware UTC datetimes and
Duration objects. These tests pin what users notice: the values, repr, equality, hashing,
``settle`` before ``msgspec.to_builtins``, and that the models stay frozen.
"""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import msgspec
import pytest

from qruntime_async import Duration, settle
from qruntime_async._codec import Model, decode, encode
from qruntime_async.errors import ResponseDecodeError
from qruntime_async.ibm.models import Job as IBMJob
from qruntime_async.ibm.models import JobsPage
from qruntime_async.scaleway.models import Job as ScalewayJob
from qruntime_async.scaleway.models import ListJobsResponse, Session

UTC = timezone.utc
# The shape of GET /sessions/{id}/jobs in the IBM document: a zone-less timestamp, UTC.
IBM_JOB = b'{"id": "j1", "created": "2021-05-05 00:56:04.569709", "ended": null}'
AWARE = datetime(2021, 5, 5, 0, 56, 4, 569709, tzinfo=UTC)


class Stamp(Model, frozen=True):
    at: datetime | None = None
    label: str = ""


def test_a_zone_less_timestamp_reads_as_aware_utc() -> None:
    job = decode(IBM_JOB, IBMJob)
    assert job.created == AWARE
    assert job.created is not None
    assert job.created.tzinfo is UTC
    assert job.ended is None
    assert job.created is job.created  # converted once


def test_an_offset_timestamp_reads_as_the_same_instant_in_utc() -> None:
    job = decode(b'{"id": "j", "created": "2021-05-05T02:56:04.569709+02:00"}', IBMJob)
    assert job.created == AWARE
    assert job.created is not None
    assert job.created.tzinfo is UTC


def test_repr_shows_aware_timestamps_before_any_read() -> None:
    job = decode(IBM_JOB, IBMJob)
    assert "tzinfo=datetime.timezone.utc" in repr(job)
    assert repr(job) == repr(IBMJob(id="j1", created=AWARE))


def test_equality_and_hash_do_not_depend_on_what_was_read() -> None:
    untouched = decode(IBM_JOB, IBMJob)
    read = decode(IBM_JOB, IBMJob)
    _ = read.created
    assert untouched == read
    assert untouched == IBMJob(id="j1", created=AWARE)
    assert (untouched != IBMJob(id="j1", created=AWARE)) is False
    assert untouched != IBMJob(id="j1", created=AWARE + timedelta(seconds=1))

    stamp = decode(b'{"at": "2021-05-05 00:56:04.569709"}', Stamp)
    assert hash(stamp) == hash(Stamp(at=AWARE))
    assert {stamp, Stamp(at=AWARE)} == {Stamp(at=AWARE)}


def test_a_page_of_jobs_reads_every_timestamp_as_utc() -> None:
    body = b'{"jobs": [' + b",".join([IBM_JOB] * 3) + b'], "count": 3}'
    page = decode(body, JobsPage)
    assert [job.created for job in page.jobs] == [AWARE] * 3


def test_settle_prepares_models_for_msgspec_to_builtins() -> None:
    page = decode(b'{"jobs": [' + IBM_JOB + b"]}", JobsPage)
    assert settle(page) is page
    assert msgspec.to_builtins(page)["jobs"][0]["created"] == "2021-05-05T00:56:04.569709Z"


def test_a_hand_built_model_reads_naive_timestamps_as_utc() -> None:
    stamp = Stamp(at=datetime(2021, 5, 5, 0, 56, 4, 569709))
    assert stamp.at == AWARE
    assert stamp.at is not None
    assert stamp.at.tzinfo is UTC


def test_models_stay_frozen_and_pickle() -> None:
    job = decode(IBM_JOB, IBMJob)
    with pytest.raises(AttributeError):
        job.created = AWARE  # type: ignore[misc]
    again = pickle.loads(pickle.dumps(job))
    assert again == job
    assert again.created == AWARE


def test_a_subclass_keeps_the_conversion() -> None:
    class Tagged(Stamp, frozen=True):
        since: datetime | None = None

    value = decode(
        b'{"at": "2021-05-05 00:56:04.569709", "since": "2021-05-05 00:56:04.569709"}', Tagged
    )
    assert value.at == AWARE
    assert value.since == AWARE
    assert value.since is not None
    assert value.since.tzinfo is UTC


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (b'"1.02s"', timedelta(seconds=1.02)),
        (b'"600s"', timedelta(seconds=600)),
        (b"2.5", timedelta(seconds=2.5)),
        (b'{"seconds": "600", "nanos": 500000000}', timedelta(seconds=600.5)),
    ],
)
def test_durations_read_as_duration_objects(wire: bytes, expected: timedelta) -> None:
    job = decode(b'{"id": "j", "job_duration": ' + wire + b"}", ScalewayJob)
    assert job.job_duration == expected
    assert type(job.job_duration) is Duration
    assert job.job_duration is job.job_duration


def test_durations_round_trip_in_the_wire_format() -> None:
    job = decode(b'{"id": "j", "job_duration": "1.02s"}', ScalewayJob)
    assert msgspec.json.decode(encode(job))["job_duration"] == "1.02s"
    _ = job.job_duration
    assert msgspec.json.decode(encode(job))["job_duration"] == "1.02s"
    assert job == ScalewayJob(id="j", job_duration=Duration(seconds=1.02))
    assert "Duration('1.02s')" in repr(job)


def test_session_durations_and_timestamps_of_a_listing() -> None:
    body = (
        b'{"id": "s", "created_at": "2023-10-01T00:00:00.000Z",'
        b' "max_duration": "3600s", "max_idle_duration": "600s"}'
    )
    session = decode(body, Session)
    assert session.max_duration == timedelta(hours=1)
    assert session.max_idle_duration == timedelta(minutes=10)
    assert session.created_at == datetime(2023, 10, 1, tzinfo=UTC)


def test_a_malformed_duration_is_reported_on_read_and_shown_as_sent() -> None:
    page = decode(b'{"jobs": [{"id": "j", "job_duration": "soon"}]}', ListJobsResponse)
    job = page.jobs[0]
    assert "'soon'" in repr(job)
    with pytest.raises(ResponseDecodeError, match="soon") as info:
        _ = job.job_duration
    assert info.value.path == "Job.job_duration"


def test_a_models_own_equality_is_kept_by_its_subclasses() -> None:
    class ById(Model, frozen=True):
        id: str
        at: datetime | None = None

        def __eq__(self, other: object) -> bool:
            return isinstance(other, ById) and other.id == self.id

        def __hash__(self) -> int:
            return hash(self.id)

    class Later(ById, frozen=True):
        since: datetime | None = None

    assert Later(id="a", since=AWARE) == Later(id="a")
    assert hash(Later(id="a", since=AWARE)) == hash(Later(id="a"))
    assert Later(id="a", since=datetime(2021, 5, 5)).since == datetime(2021, 5, 5, tzinfo=UTC)
