"""Reading Scaleway request bodies and query strings into checked values.

Scaleway reports every invalid field of a body at once, so each parser collects the problems
before raising one 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .._util import parse_duration
from ..config import EmulatorConfig
from .errors import invalid

UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)

JOB_ORDER = {
    "created_at_desc",
    "created_at_asc",
    "status_asc",
    "status_desc",
    "platform_name_asc",
    "platform_name_desc",
    "name_asc",
    "name_desc",
    "session_name_asc",
    "session_name_desc",
}
SESSION_ORDER = {
    "name_asc",
    "name_desc",
    "started_at_asc",
    "started_at_desc",
    "status_asc",
    "status_desc",
    "created_at_desc",
    "created_at_asc",
}
PLATFORM_ORDER = {
    "name_asc",
    "name_desc",
    "provider_name_asc",
    "provider_name_desc",
    "type_asc",
    "type_desc",
    "technology_asc",
    "technology_desc",
    "backend_name_asc",
    "backend_name_desc",
}
CREATED_ORDER = {"created_at_desc", "created_at_asc"}
PLATFORM_TYPES = {"unknown_type", "simulator", "qpu"}
PLATFORM_TECHNOLOGIES = {
    "unknown_technology",
    "photonic",
    "general_purpose",
    "trapped_ion",
    "superconducting",
    "neutral_atom",
}

_TAGS = "must be a list of strings"
_DURATION = 'must be a duration such as "600s"'


@dataclass(slots=True)
class JobRequest:
    """The checked fields of ``POST /jobs``."""

    name: str
    session_id: str
    #: ``perceval_circuit`` and ``qiskit_circuit``: exactly one set, or none with a model.
    circuit: dict[str, str | None]
    tags: list[str] | None
    max_duration: float | None
    parameters: str | None
    model_id: str | None


@dataclass(slots=True)
class SessionRequest:
    """The checked fields of ``POST /sessions``."""

    project_id: str
    platform_id: str
    name: str | None
    max_idle: float
    max_duration: float
    tags: list[str] | None
    deduplication_id: str | None
    model_id: str | None
    parameters: str | None


@dataclass(slots=True)
class Paging:
    """A page request: page number, page size and order."""

    page: int
    size: int
    order: str

    def cut(self, items: list[Any]) -> list[Any]:
        """The items of this page."""
        return items[(self.page - 1) * self.size : self.page * self.size]

    @property
    def field(self) -> str:
        """The field the listing is ordered by."""
        return self.order.rpartition("_")[0]

    @property
    def descending(self) -> bool:
        """True for a descending order."""
        return self.order.rpartition("_")[2] == "desc"


def uuid(value: Any, name: str) -> str:
    """A UUID parameter, lower-cased."""
    if not isinstance(value, str) or not UUID_RE.match(value):
        raise invalid({name: "must be a valid UUID"})
    return value.lower()


def _required_str(
    body: dict[str, Any],
    name: str,
    errors: dict[str, str],
    problem: str,
    pattern: re.Pattern[str] | None = None,
) -> str:
    """A required non-empty string (matching ``pattern`` when given); ``""`` when at fault
    (then noted in errors)."""
    value = body.get(name)
    if isinstance(value, str) and value and (pattern is None or pattern.match(value)):
        return value
    errors[name] = problem
    return ""


def _tags(body: dict[str, Any], errors: dict[str, str]) -> list[str] | None:
    """The ``tags`` list; None when absent or at fault (then noted in errors)."""
    tags = body.get("tags")
    if tags is None:
        return None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        errors["tags"] = _TAGS
        return None
    return list(tags)


def _new_name(body: dict[str, Any], errors: dict[str, str]) -> str | None:
    """A new ``name`` to set; None when absent or at fault (then noted in errors)."""
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not name):
        errors["name"] = "must be a non-empty string"
        return None
    return name


def _optional_str(body: dict[str, Any], name: str, errors: dict[str, str]) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        errors[name] = "must be a string"
        return None
    return value


def _positive_duration(body: dict[str, Any], key: str, errors: dict[str, str]) -> float | None:
    """The duration under ``key``; None when absent or unreadable (then noted in errors)."""
    if body.get(key) is None:
        return None
    try:
        value = parse_duration(body[key])
    except (ValueError, TypeError):
        errors[key] = _DURATION
        return None
    if value <= 0:
        errors[key] = "must be positive"
    return value


def paging(q: Any, config: EmulatorConfig, order_values: set[str], default_order: str) -> Paging:
    """``page``, ``page_size`` and ``order_by`` of a listing."""
    errors: dict[str, str] = {}
    page, size = 1, config.scaleway_default_page_size
    raw = q.get("page")
    if raw not in (None, ""):
        try:
            page = int(raw)
        except ValueError:
            errors["page"] = "must be an integer"
        else:
            if page < 1:
                errors["page"] = "must be greater than or equal to 1"
    raw = q.get("page_size")
    if raw not in (None, ""):
        try:
            size = int(raw)
        except ValueError:
            errors["page_size"] = "must be an integer"
        else:
            if not 1 <= size <= config.scaleway_max_page_size:
                errors["page_size"] = f"must be between 1 and {config.scaleway_max_page_size}"
    order = q.get("order_by") or default_order
    if order not in order_values:
        errors["order_by"] = f"must be one of {', '.join(sorted(order_values))}"
    if errors:
        raise invalid(errors)
    return Paging(page, size, order)


def _circuit(body: dict[str, Any], errors: dict[str, str]) -> dict[str, str | None]:
    circuit = body.get("circuit")
    kinds: dict[str, str | None] = {"perceval_circuit": None, "qiskit_circuit": None}
    empty = circuit is None or (
        isinstance(circuit, dict) and all(circuit.get(k) is None for k in kinds)
    )
    if empty and isinstance(body.get("model_id"), str):
        # the official clients send the programs as a model and an empty (or no) circuit
        return kinds
    if not isinstance(circuit, dict):
        errors["circuit"] = (
            "required without model_id, an object with perceval_circuit or qiskit_circuit"
        )
        return kinds
    given = {k: v for k, v in circuit.items() if k in kinds and v is not None}
    if len(given) != 1 or not all(isinstance(v, str) and v for v in given.values()):
        errors["circuit"] = "exactly one of perceval_circuit or qiskit_circuit is required"
    else:
        kinds.update(given)
    return kinds


def job_request(body: dict[str, Any]) -> JobRequest:
    """``POST /jobs``."""
    errors: dict[str, str] = {}
    name = _required_str(body, "name", errors, "required, a non-empty string")
    session_id = _required_str(body, "session_id", errors, "required")
    circuit = _circuit(body, errors)
    tags = _tags(body, errors)
    max_duration: float | None = None
    if body.get("max_duration") is not None:
        try:
            max_duration = parse_duration(body["max_duration"])
        except (ValueError, TypeError):
            errors["max_duration"] = 'must be a duration such as "60s"'
    parameters = _optional_str(body, "parameters", errors)
    model_id = _optional_str(body, "model_id", errors)
    if errors:
        raise invalid(errors)
    return JobRequest(
        name=name,
        session_id=session_id,
        circuit=circuit,
        tags=tags,
        max_duration=max_duration,
        parameters=parameters,
        model_id=model_id,
    )


def session_request(body: dict[str, Any], config: EmulatorConfig) -> SessionRequest:
    """``POST /sessions``."""
    errors: dict[str, str] = {}
    project_id = project_id_field(body, errors)
    platform_id = _required_str(body, "platform_id", errors, "required")
    name = _optional_str(body, "name", errors)
    max_idle = _positive_duration(body, "max_idle_duration", errors)
    max_duration = _positive_duration(body, "max_duration", errors)
    tags = _tags(body, errors)
    dedup = _optional_str(body, "deduplication_id", errors)
    model_id = _optional_str(body, "model_id", errors)
    parameters = _optional_str(body, "parameters", errors)
    if errors:
        raise invalid(errors)
    return SessionRequest(
        project_id=project_id,
        platform_id=platform_id,
        name=name,
        max_idle=config.scaleway_default_max_idle_duration if max_idle is None else max_idle,
        max_duration=config.scaleway_default_max_duration if max_duration is None else max_duration,
        tags=tags,
        deduplication_id=dedup,
        model_id=model_id,
        parameters=parameters,
    )


def project_id_field(body: dict[str, Any], errors: dict[str, str]) -> str:
    """The body's ``project_id`` (``""`` when at fault, then noted in errors)."""
    return _required_str(body, "project_id", errors, "required, a UUID", UUID_RE)


def session_changes(body: dict[str, Any]) -> dict[str, Any]:
    """``PATCH /sessions/{id}``: the attributes to change."""
    errors: dict[str, str] = {}
    values = {
        "name": _new_name(body, errors),
        "max_idle": _positive_duration(body, "max_idle_duration", errors),
        "max_duration": _positive_duration(body, "max_duration", errors),
        "tags": _tags(body, errors),
    }
    if errors:
        raise invalid(errors)
    return {attr: value for attr, value in values.items() if value is not None}


def job_changes(body: dict[str, Any]) -> tuple[str | None, list[str] | None]:
    """``PATCH /jobs/{id}``: the new name and tags (None: unchanged)."""
    errors: dict[str, str] = {}
    name = _new_name(body, errors)
    tags = _tags(body, errors)
    if errors:
        raise invalid(errors)
    return name, tags


def platform_filters(q: Any) -> tuple[str | None, str | None]:
    """``platform_type`` and ``platform_technology`` of ``GET /platforms``."""
    ptype = q.get("platform_type")
    tech = q.get("platform_technology")
    errors: dict[str, str] = {}
    if ptype is not None and ptype not in PLATFORM_TYPES:
        errors["platform_type"] = f"must be one of {', '.join(sorted(PLATFORM_TYPES))}"
    if tech is not None and tech not in PLATFORM_TECHNOLOGIES:
        errors["platform_technology"] = f"must be one of {', '.join(sorted(PLATFORM_TECHNOLOGIES))}"
    if errors:
        raise invalid(errors)
    return ptype, tech
