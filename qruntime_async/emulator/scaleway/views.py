"""Scaleway resources as the API renders them, and read-only snapshots for tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._util import format_duration, rfc3339_us
from ..config import ScalewayPlatform
from .state import ScwJob, ScwJobState, ScwModel, ScwSession, ScwSessionState


@dataclass(frozen=True, slots=True)
class ScalewayJobSnapshot:
    """A read-only view of one Scaleway job as the server holds it (for tests)."""

    id: str
    project_id: str
    session_id: str
    name: str
    tags: tuple[str, ...]
    status: str
    created: float
    circuit: dict[str, str | None]
    parameters: str | None


@dataclass(frozen=True, slots=True)
class ScalewaySessionSnapshot:
    """A read-only view of one Scaleway session (for tests)."""

    id: str
    project_id: str
    platform_id: str
    name: str
    status: str
    deduplication_id: str
    job_ids: tuple[str, ...]
    created: float


Count = int | str


def session_json(
    s: ScwSession, st: ScwSessionState, waiting: Count, finished: Count
) -> dict[str, Any]:
    """The Session object (``waiting``/``finished``: the job counts as sent)."""
    return {
        "id": s.id,
        "name": s.name,
        "platform_id": s.platform.id,
        "created_at": rfc3339_us(s.created),
        "started_at": rfc3339_us(st.started),
        "updated_at": rfc3339_us(st.changed),
        "terminated_at": rfc3339_us(st.terminated),
        "max_idle_duration": format_duration(s.max_idle),
        "max_duration": format_duration(s.max_duration),
        "waiting_job_count": waiting,
        "finished_job_count": finished,
        "status": st.status,
        "project_id": s.project_id,
        "tags": list(s.tags or ()),
        "deduplication_id": s.deduplication_id,
        "origin_type": "customer",
        "origin_id": None,
        "progress_message": None,
        "booking_id": None,
        "model_id": s.model_id,
        "parameters": s.parameters,
    }


def job_json(job: ScwJob, st: ScwJobState, result: str | None) -> dict[str, Any]:
    """The Job object (``result``: the result distribution once completed)."""
    duration = None
    if st.started is not None and st.ended is not None:
        duration = format_duration(round(max(0.0, st.ended - st.started), 6))
    return {
        "id": job.id,
        "name": job.name,
        "tags": list(job.tags or ()),
        "session_id": job.session.id,
        "created_at": rfc3339_us(job.created),
        "started_at": rfc3339_us(st.started),
        "updated_at": rfc3339_us(st.changed),
        "status": st.status,
        "progress_message": st.message,
        "job_duration": duration,
        "result_distribution": result,
        "model_id": job.model_id,
        "parameters": job.parameters,
    }


def model_json(m: ScwModel) -> dict[str, Any]:
    """The Model object."""
    return {
        "id": m.id,
        "created_at": rfc3339_us(m.created),
        "url": None,
        "project_id": m.project_id,
    }


def _price(units: int, nanos: int) -> dict[str, Any]:
    return {"currency_code": "EUR", "units": units, "nanos": nanos}


def _booking(bookable: bool) -> dict[str, Any]:
    return {
        "min_duration": "3600s" if bookable else None,
        "max_duration": "14400s" if bookable else None,
        "max_cancellation_duration": "86400s" if bookable else None,
        "max_planification_duration": "2592000s" if bookable else None,
        "min_planification_duration": "3600s" if bookable else None,
        "max_booking_per_week": 2 if bookable else 0,
        "max_booking_per_day": 1 if bookable else 0,
    }


def platform_json(p: ScalewayPlatform) -> dict[str, Any]:
    """The Platform object."""
    return {
        "id": p.id,
        "version": p.version,
        "name": p.name,
        "provider_name": p.provider_name,
        "backend_name": p.backend_name,
        "type": p.type,
        "technology": p.technology,
        "max_qubit_count": p.max_qubit_count,
        "max_shot_count": p.max_shot_count,
        "max_circuit_count": p.max_circuit_count,
        "availability": p.availability,
        "metadata": p.metadata,
        "price_per_hour": _price(p.price_per_hour_units, p.price_per_hour_nanos),
        "price_per_shot": _price(0, p.price_per_shot_nanos),
        "price_per_circuit": _price(0, p.price_per_circuit_nanos),
        "hardware": {
            "name": p.hardware_name,
            "vcpus": p.vcpus,
            "gpus": p.gpus,
            "gpus_network": p.gpus_network,
            "ram": p.ram,
            "vram": p.vram,
        },
        "booking_requirement": _booking(p.is_bookable),
        "description": p.description,
        "documentation_url": p.documentation_url,
        "is_bookable": p.is_bookable,
    }


def job_snapshot(j: ScwJob, status: str) -> ScalewayJobSnapshot:
    """A detached copy of the job."""
    return ScalewayJobSnapshot(
        id=j.id,
        project_id=j.session.project_id,
        session_id=j.session.id,
        name=j.name,
        tags=tuple(j.tags or ()),
        status=status,
        created=j.created,
        circuit=dict(j.circuit),
        parameters=j.parameters,
    )


def session_snapshot(
    s: ScwSession, status: str, job_ids: tuple[str, ...]
) -> ScalewaySessionSnapshot:
    """A detached copy of the session."""
    return ScalewaySessionSnapshot(
        id=s.id,
        project_id=s.project_id,
        platform_id=s.platform.id,
        name=s.name,
        status=status,
        deduplication_id=s.deduplication_id,
        job_ids=job_ids,
        created=s.created,
    )
