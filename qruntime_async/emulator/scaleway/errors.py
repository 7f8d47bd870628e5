"""Scaleway error bodies: ``message`` and ``type``, with the details each type carries."""

from __future__ import annotations

from .._util import ApiError


def invalid(fields: dict[str, str]) -> ApiError:
    """400 ``Validation Error`` naming the fields at fault."""
    return ApiError(
        400,
        {
            "message": "Validation Error",
            "type": "invalid_arguments",
            "fields": {name: [msg] for name, msg in fields.items()},
            "details": [
                {"argument_name": name, "reason": "constraint", "help_message": msg}
                for name, msg in fields.items()
            ],
        },
    )


def bad_body(reason: str) -> ApiError:
    """400 for a body that is not a JSON object."""
    return ApiError(
        400, {"message": reason, "type": "invalid_arguments", "fields": {}, "details": []}
    )


def not_found(resource: str, resource_id: str) -> ApiError:
    """404 in Scaleway's format."""
    return ApiError(
        404,
        {
            "message": "resource is not found",
            "type": "not_found",
            "resource": resource,
            "resource_id": resource_id,
        },
    )


def denied(resource: str) -> ApiError:
    """403 ``permissions_denied``."""
    return ApiError(
        403,
        {
            "message": "insufficient permissions",
            "type": "permissions_denied",
            "details": [{"resource": resource, "action": "read"}],
        },
    )


def precondition(help_message: str, precondition: str = "resource_not_usable") -> ApiError:
    """412 ``precondition_failed``."""
    return ApiError(
        412,
        {
            "message": "precondition is not respected",
            "type": "precondition_failed",
            "precondition": precondition,
            "help_message": help_message,
        },
    )


def unauthenticated(key: str | None) -> ApiError:
    """401 ``denied_authentication`` for a missing or unknown secret key."""
    return ApiError(
        401,
        {
            "message": "authentication is denied",
            "method": "api_key",
            "reason": "not_found" if not key else "invalid_argument",
            "type": "denied_authentication",
        },
    )
