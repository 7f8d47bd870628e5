"""Typed models of the Scaleway Quantum-as-a-Service v1alpha1 API (``scaleway.qaas.v1alpha1.*``).

Field names are those of the OpenAPI schemas. Status and type fields are plain ``str`` so that a
value the server adds later still decodes and stays visible; compare them with the ``(str, Enum)``
classes below (members equal the wire strings) or use the ``is_final``-style properties.
Durations (``"2.5s"``) read as :class:`~qruntime_async._codec.Duration` and timestamps as aware
UTC datetimes, converted when first read (see :class:`~qruntime_async._codec.Model`).
``parameters``, ``metadata`` and results are JSON documents carried as strings: see
:func:`encode_parameters` and the ``*_dict`` helpers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, TypeVar

import msgspec
from msgspec.structs import force_setattr

from .. import _constants as C
from .._codec import Duration, Model, WireDuration, decode, make_utc
from .._paging_schemes import PagingScheme
from ..display import Card, Displayable, Table, View, user_tags
from ..errors import ResponseDecodeError

__all__ = [
    "JobStatus",
    "SessionStatus",
    "SessionOriginType",
    "PlatformType",
    "PlatformTechnology",
    "PlatformAvailability",
    "ListJobsOrderBy",
    "ListJobResultsOrderBy",
    "ListSessionsOrderBy",
    "ListPlatformsOrderBy",
    "ListModelsOrderBy",
    "FINAL_JOB_STATUSES",
    "FINAL_SESSION_STATUSES",
    "TRANSIENT_SESSION_STATUSES",
    "Job",
    "JobCircuit",
    "JobResult",
    "Session",
    "Money",
    "PlatformHardware",
    "PlatformBookingRequirement",
    "Platform",
    "QuantumModel",
    "ListJobsResponse",
    "ListJobResultsResponse",
    "ListSessionsResponse",
    "ListPlatformsResponse",
    "ListModelsResponse",
    "CreateJobRequest",
    "UpdateJobRequest",
    "BookingDemand",
    "CreateSessionRequest",
    "UpdateSessionRequest",
    "CreateModelRequest",
    "encode_parameters",
    "decode_parameters",
    "decode_compat",
]

T = TypeVar("T")


class _WireEnum(str, Enum):
    # Hash and print like the wire string, so members and raw strings mix in sets and dicts.
    __hash__ = str.__hash__

    def __str__(self) -> str:
        return str.__str__(self)


class JobStatus(_WireEnum):
    """Values of ``Job.status``."""

    UNKNOWN_STATUS = "unknown_status"
    WAITING = "waiting"
    RUNNING = "running"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    ERROR = "error"
    CANCELLED = "cancelled"


class SessionStatus(_WireEnum):
    """Values of ``Session.status``."""

    UNKNOWN_STATUS = "unknown_status"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


class SessionOriginType(_WireEnum):
    """Values of ``Session.origin_type``: what created the session."""

    UNKNOWN_ORIGIN_TYPE = "unknown_origin_type"
    CUSTOMER = "customer"
    PROCESS = "process"


class PlatformType(_WireEnum):
    """Values of ``Platform.type`` (and the ``platform_type`` filter)."""

    UNKNOWN_TYPE = "unknown_type"
    SIMULATOR = "simulator"
    QPU = "qpu"


class PlatformTechnology(_WireEnum):
    """Values of ``Platform.technology`` (and the ``platform_technology`` filter)."""

    UNKNOWN_TECHNOLOGY = "unknown_technology"
    PHOTONIC = "photonic"
    GENERAL_PURPOSE = "general_purpose"
    TRAPPED_ION = "trapped_ion"
    SUPERCONDUCTING = "superconducting"
    NEUTRAL_ATOM = "neutral_atom"


class PlatformAvailability(_WireEnum):
    """Values of ``Platform.availability``."""

    UNKNOWN_AVAILABILITY = "unknown_availability"
    AVAILABLE = "available"
    SHORTAGE = "shortage"
    SCARCE = "scarce"
    MAINTENANCE = "maintenance"


class ListJobsOrderBy(_WireEnum):
    """``order_by`` of ``GET /jobs`` (default ``created_at_desc``)."""

    CREATED_AT_DESC = "created_at_desc"
    CREATED_AT_ASC = "created_at_asc"
    STATUS_ASC = "status_asc"
    STATUS_DESC = "status_desc"
    PLATFORM_NAME_ASC = "platform_name_asc"
    PLATFORM_NAME_DESC = "platform_name_desc"
    NAME_ASC = "name_asc"
    NAME_DESC = "name_desc"
    SESSION_NAME_ASC = "session_name_asc"
    SESSION_NAME_DESC = "session_name_desc"


class ListJobResultsOrderBy(_WireEnum):
    """``order_by`` of ``GET /jobs/{job_id}/results`` (default ``created_at_desc``)."""

    CREATED_AT_DESC = "created_at_desc"
    CREATED_AT_ASC = "created_at_asc"


class ListSessionsOrderBy(_WireEnum):
    """``order_by`` of ``GET /sessions`` (default ``name_asc``)."""

    NAME_ASC = "name_asc"
    NAME_DESC = "name_desc"
    STARTED_AT_ASC = "started_at_asc"
    STARTED_AT_DESC = "started_at_desc"
    STATUS_ASC = "status_asc"
    STATUS_DESC = "status_desc"
    CREATED_AT_DESC = "created_at_desc"
    CREATED_AT_ASC = "created_at_asc"


class ListPlatformsOrderBy(_WireEnum):
    """``order_by`` of ``GET /platforms`` (default ``name_asc``)."""

    NAME_ASC = "name_asc"
    NAME_DESC = "name_desc"
    PROVIDER_NAME_ASC = "provider_name_asc"
    PROVIDER_NAME_DESC = "provider_name_desc"
    TYPE_ASC = "type_asc"
    TYPE_DESC = "type_desc"
    TECHNOLOGY_ASC = "technology_asc"
    TECHNOLOGY_DESC = "technology_desc"
    BACKEND_NAME_ASC = "backend_name_asc"
    BACKEND_NAME_DESC = "backend_name_desc"


class ListModelsOrderBy(_WireEnum):
    """``order_by`` of ``GET /models`` (default ``created_at_desc``)."""

    CREATED_AT_DESC = "created_at_desc"
    CREATED_AT_ASC = "created_at_asc"


FINAL_JOB_STATUSES: frozenset[str] = frozenset(
    {JobStatus.COMPLETED, JobStatus.ERROR, JobStatus.CANCELLED}
)
FINAL_SESSION_STATUSES: frozenset[str] = frozenset({SessionStatus.STOPPED})
TRANSIENT_SESSION_STATUSES: frozenset[str] = frozenset(
    {SessionStatus.STARTING, SessionStatus.STOPPING}
)


def encode_parameters(parameters: Mapping[str, Any]) -> str:
    """Serialise execution parameters into the JSON string the ``parameters`` field carries."""
    return msgspec.json.encode(parameters).decode()


def decode_parameters(text: str | None) -> Any:
    """Parse a JSON string field (``parameters``, ``metadata``, ``result``); None stays None.

    An empty string also gives None. Malformed JSON raises ``msgspec.DecodeError``.
    """
    if not text:
        return None
    return msgspec.json.decode(text)


# --------------------------------------------------------------------------------------------
# Pages


class _ListPage(Model, Displayable, frozen=True):
    """A page of a Scaleway listing: its items plus ``total_count``, paged by page number."""

    paging: ClassVar[PagingScheme] = "page"
    max_page_size: ClassVar[int] = C.SCALEWAY_MAX_PAGE_SIZE
    _display_title: ClassVar[str] = "Scaleway items"

    total_count: int | None = None

    def page_total(self) -> int | None:
        """How many items match the listing."""
        return self.total_count

    def page_items(self) -> list[Any]:
        """The items of this page."""
        raise NotImplementedError

    def _view(self) -> View:
        return Table.of(self._display_title, self.page_items(), total=self.total_count)


# --------------------------------------------------------------------------------------------
# Jobs


class Job(Model, Displayable, frozen=True):
    """A job (``scaleway.qaas.v1alpha1.Job``)."""

    id: str
    name: str | None = None
    tags: list[str] | None = None
    session_id: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None
    #: See :class:`JobStatus`.
    status: str = JobStatus.UNKNOWN_STATUS.value
    #: Last progress message, once the job has started.
    progress_message: str | None = None
    #: How long the job ran, once finished.
    job_duration: WireDuration | None = None
    #: Result of the job, once finished.
    result_distribution: str | None = None
    model_id: str | None = None
    #: Execution parameters as a JSON string (see :meth:`parameters_dict`).
    parameters: str | None = None

    @property
    def is_final(self) -> bool:
        """True once the job is completed, in error or cancelled."""
        return self.status in FINAL_JOB_STATUSES

    @property
    def is_completed(self) -> bool:
        """True when the job finished successfully."""
        return self.status == JobStatus.COMPLETED

    @property
    def is_failed(self) -> bool:
        """True when the job ended in error."""
        return self.status == JobStatus.ERROR

    @property
    def is_cancelled(self) -> bool:
        """True when the job was cancelled."""
        return self.status == JobStatus.CANCELLED

    def parameters_dict(self) -> Any:
        """``parameters`` parsed from JSON (None when absent or empty)."""
        return decode_parameters(self.parameters)

    def _view(self) -> View:
        return Card(
            "Scaleway job",
            self.id,
            self.status,
            rows=[
                ("name", self.name),
                ("created", self.created_at),
                ("started", self.started_at),
                ("duration", self.job_duration),
                ("session", self.session_id),
            ],
            extra=[
                ("updated", self.updated_at),
                ("progress", self.progress_message),
                ("model", self.model_id),
                ("tags", user_tags(self.tags)),
            ],
        )


class JobCircuit(Model, frozen=True, omit_defaults=True):
    """The circuit of a job: exactly one serialisation is set."""

    perceval_circuit: str | None = None
    qiskit_circuit: str | None = None


class JobResult(Model, frozen=True):
    """One result of a job (``GET /jobs/{job_id}/results``)."""

    job_id: str | None = None
    #: The result as a JSON string (see :meth:`result_json`); large results come as ``url``.
    result: str | None = None
    url: str | None = None
    created_at: datetime | None = None

    def result_json(self) -> Any:
        """``result`` parsed from JSON (None when absent or empty)."""
        return decode_parameters(self.result)


class ListJobsResponse(_ListPage, frozen=True):
    """A page of ``GET /jobs``."""

    _display_title: ClassVar[str] = "Scaleway jobs"

    jobs: list[Job] = msgspec.field(default_factory=list)

    def page_items(self) -> list[Job]:
        """The items of this page."""
        return self.jobs


class ListJobResultsResponse(_ListPage, frozen=True):
    """A page of ``GET /jobs/{job_id}/results``."""

    _display_title: ClassVar[str] = "Scaleway job results"

    job_results: list[JobResult] = msgspec.field(default_factory=list)

    def page_items(self) -> list[JobResult]:
        """The items of this page."""
        return self.job_results


# --------------------------------------------------------------------------------------------
# Sessions


class Session(Model, Displayable, frozen=True):
    """A session (``scaleway.qaas.v1alpha1.Session``)."""

    id: str
    name: str | None = None
    platform_id: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None
    terminated_at: datetime | None = None
    #: Idle time after which the session ends.
    max_idle_duration: WireDuration | None = None
    #: Lifetime after which the session ends.
    max_duration: WireDuration | None = None
    waiting_job_count: int = 0
    finished_job_count: int = 0
    #: See :class:`SessionStatus`.
    status: str = SessionStatus.UNKNOWN_STATUS.value
    project_id: str | None = None
    tags: list[str] | None = None
    deduplication_id: str | None = None
    #: See :class:`SessionOriginType`.
    origin_type: str = SessionOriginType.UNKNOWN_ORIGIN_TYPE.value
    origin_id: str | None = None
    progress_message: str | None = None
    booking_id: str | None = None
    model_id: str | None = None
    #: Platform configuration as a JSON string (see :meth:`parameters_dict`).
    parameters: str | None = None

    @property
    def is_final(self) -> bool:
        """True once the session is stopped."""
        return self.status in FINAL_SESSION_STATUSES

    @property
    def is_running(self) -> bool:
        """True while the session accepts and runs jobs."""
        return self.status == SessionStatus.RUNNING

    @property
    def is_transient(self) -> bool:
        """True while the session is starting or stopping."""
        return self.status in TRANSIENT_SESSION_STATUSES

    def parameters_dict(self) -> Any:
        """``parameters`` parsed from JSON (None when absent or empty)."""
        return decode_parameters(self.parameters)

    def _view(self) -> View:
        return Card(
            "Scaleway session",
            self.id,
            self.status,
            rows=[
                ("name", self.name),
                ("platform", self.platform_id),
                ("created", self.created_at),
                ("started", self.started_at),
                ("terminated", self.terminated_at),
            ],
            extra=[
                ("jobs waiting", self.waiting_job_count),
                ("jobs finished", self.finished_job_count),
                ("max idle", self.max_idle_duration),
                ("max duration", self.max_duration),
                ("progress", self.progress_message),
                ("tags", user_tags(self.tags)),
            ],
        )


class ListSessionsResponse(_ListPage, frozen=True):
    """A page of ``GET /sessions``."""

    _display_title: ClassVar[str] = "Scaleway sessions"

    sessions: list[Session] = msgspec.field(default_factory=list)

    def page_items(self) -> list[Session]:
        """The items of this page."""
        return self.sessions


# --------------------------------------------------------------------------------------------
# Platforms

_NANO = Decimal(1_000_000_000)


class Money(Model, frozen=True):
    """An amount of money: ``units`` whole units plus ``nanos`` billionths."""

    currency_code: str | None = None
    units: int = 0
    nanos: int = 0

    @property
    def amount(self) -> Decimal:
        """The exact amount, e.g. ``Decimal("0.000012")``."""
        return Decimal(self.units) + Decimal(self.nanos) / _NANO

    def __str__(self) -> str:
        text = format(self.amount.normalize(), "f")
        return f"{text} {self.currency_code}" if self.currency_code else text


class PlatformHardware(Model, frozen=True):
    """Specifications of the hardware under a platform."""

    name: str | None = None
    vcpus: int | None = None
    gpus: int | None = None
    gpus_network: str | None = None
    #: Bytes of RAM.
    ram: int | None = None
    #: Bytes of GPU memory (0 without GPU).
    vram: int | None = None


class PlatformBookingRequirement(Model, frozen=True):
    """Booking constraints of a bookable platform."""

    min_duration: WireDuration | None = None
    max_duration: WireDuration | None = None
    max_cancellation_duration: WireDuration | None = None
    max_planification_duration: WireDuration | None = None
    min_planification_duration: WireDuration | None = None
    max_booking_per_week: int | None = None
    max_booking_per_day: int | None = None


class Platform(Model, frozen=True):
    """A platform: hardware and software forming a (simulated) QPU."""

    id: str
    version: str | None = None
    name: str | None = None
    provider_name: str | None = None
    backend_name: str | None = None
    #: See :class:`PlatformType`.
    type: str = PlatformType.UNKNOWN_TYPE.value
    #: See :class:`PlatformTechnology`.
    technology: str = PlatformTechnology.UNKNOWN_TECHNOLOGY.value
    max_qubit_count: int | None = None
    max_shot_count: int | None = None
    max_circuit_count: int | None = None
    #: See :class:`PlatformAvailability`.
    availability: str = PlatformAvailability.UNKNOWN_AVAILABILITY.value
    #: Provider metadata as a JSON string (see :meth:`metadata_dict`).
    metadata: str | None = None
    price_per_hour: Money | None = None
    price_per_shot: Money | None = None
    price_per_circuit: Money | None = None
    hardware: PlatformHardware | None = None
    booking_requirement: PlatformBookingRequirement | None = None
    description: str | None = None
    documentation_url: str | None = None
    is_bookable: bool | None = None

    @property
    def is_simulator(self) -> bool:
        """True for a simulator."""
        return self.type == PlatformType.SIMULATOR

    @property
    def is_qpu(self) -> bool:
        """True for real quantum hardware."""
        return self.type == PlatformType.QPU

    @property
    def is_available(self) -> bool:
        """True when the platform reports itself available."""
        return self.availability == PlatformAvailability.AVAILABLE

    def metadata_dict(self) -> Any:
        """``metadata`` parsed from JSON (None when absent or empty)."""
        return decode_parameters(self.metadata)


class ListPlatformsResponse(_ListPage, frozen=True):
    """A page of ``GET /platforms``."""

    _display_title: ClassVar[str] = "Scaleway platforms"

    platforms: list[Platform] = msgspec.field(default_factory=list)

    def page_items(self) -> list[Platform]:
        """The items of this page."""
        return self.platforms


# --------------------------------------------------------------------------------------------
# Computation models


class QuantumModel(Model, frozen=True):
    """A computation model (``scaleway.qaas.v1alpha1.Model``) that jobs and sessions can run."""

    id: str
    created_at: datetime | None = None
    url: str | None = None
    project_id: str | None = None


class ListModelsResponse(_ListPage, frozen=True):
    """A page of ``GET /models``."""

    _display_title: ClassVar[str] = "Scaleway models"

    models: list[QuantumModel] = msgspec.field(default_factory=list)

    def page_items(self) -> list[QuantumModel]:
        """The items of this page."""
        return self.models


# --------------------------------------------------------------------------------------------
# Request bodies


class _Request(Model, frozen=True, omit_defaults=True):
    # Plain timedeltas are encoded by msgspec as ISO 8601 ("PT600S"); the API wants "600s",
    # which is what Duration encodes to, so durations given by the caller are converted here.
    __duration_fields__: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        make_utc(self)
        for name in self.__duration_fields__:
            value = getattr(self, name)
            if isinstance(value, timedelta) and not isinstance(value, Duration):
                exact = Duration(value.days, value.seconds, value.microseconds)
                force_setattr(self, name, exact)


class CreateJobRequest(_Request, frozen=True):
    """Body of ``POST /jobs``."""

    __duration_fields__: ClassVar[tuple[str, ...]] = ("max_duration",)

    name: str
    session_id: str
    #: Empty (``{}``) when ``model_id`` names a computation model, as the official provider
    #: sends it.
    circuit: JobCircuit
    tags: list[str] | None = None
    max_duration: timedelta | None = None
    model_id: str | None = None
    #: A JSON string: build it with :func:`encode_parameters`.
    parameters: str | None = None


class UpdateJobRequest(_Request, frozen=True):
    """Body of ``PATCH /jobs/{job_id}``."""

    name: str | None = None
    tags: list[str] | None = None


class BookingDemand(_Request, frozen=True):
    """The booking to make with a session on a bookable platform."""

    started_at: datetime | None = None
    finished_at: datetime | None = None
    description: str | None = None
    time_zone: str | None = None


class CreateSessionRequest(_Request, frozen=True):
    """Body of ``POST /sessions``."""

    __duration_fields__: ClassVar[tuple[str, ...]] = ("max_idle_duration", "max_duration")

    project_id: str
    platform_id: str
    name: str | None = None
    max_idle_duration: timedelta | None = None
    max_duration: timedelta | None = None
    tags: list[str] | None = None
    deduplication_id: str | None = None
    booking_demand: BookingDemand | None = None
    model_id: str | None = None
    #: A JSON string: build it with :func:`encode_parameters`.
    parameters: str | None = None


class UpdateSessionRequest(_Request, frozen=True):
    """Body of ``PATCH /sessions/{session_id}``."""

    __duration_fields__: ClassVar[tuple[str, ...]] = ("max_idle_duration", "max_duration")

    name: str | None = None
    max_idle_duration: timedelta | None = None
    max_duration: timedelta | None = None
    tags: list[str] | None = None


class CreateModelRequest(_Request, frozen=True):
    """Body of ``POST /models``."""

    project_id: str
    payload: str | None = None


# --------------------------------------------------------------------------------------------
# Older wire shape

# The protobuf zero timestamp (0001-01-01T00:00:00Z) stands for "not set".
_ZERO_TIME_SECONDS = -62135596800
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _legacy_timestamp(value: dict[str, Any]) -> str | None:
    seconds = int(value["seconds"])
    if seconds <= _ZERO_TIME_SECONDS:
        return None
    nanos = int(value.get("nanos") or 0)
    moment = _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    return moment.isoformat()


def _is_seconds_nanos(value: dict[str, Any]) -> bool:
    return "seconds" in value and value.keys() <= {"seconds", "nanos"}


def _normalize_legacy(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "value" in value:
            return _normalize_legacy(value["value"], key)
        if key.endswith("_at") and _is_seconds_nanos(value):
            return _legacy_timestamp(value)
        return {k: _normalize_legacy(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize_legacy(v) for v in value]
    return value


def decode_compat(
    data: bytes | str,
    type_: type[T],
    *,
    method: str | None = None,
    url: str | None = None,
) -> T:
    """Decode like :func:`~qruntime_async._codec.decode`, also accepting the older wire shape.

    The older shape (shown in the API's quickstart) carries timestamps as ``{"seconds",
    "nanos"}`` (the zero time meaning unset) and optional values as ``{"value": ...}``. The normal
    shape is decoded at full speed; the conversion only runs when that first attempt fails.
    """
    try:
        return decode(data, type_, method=method, url=url)
    except ResponseDecodeError as first_error:
        if first_error.malformed:
            raise
        try:
            generic = msgspec.json.decode(data)
            normalized = msgspec.json.encode(_normalize_legacy(generic))
        except (ValueError, TypeError, OverflowError, RecursionError, msgspec.MsgspecError):
            raise first_error from None
        try:
            return decode(normalized, type_, method=method, url=url)
        except ResponseDecodeError:
            raise first_error from None
