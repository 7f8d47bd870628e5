"""IBM Quantum Runtime error codes and error bodies."""

from __future__ import annotations

from typing import Any

from .._context import Context
from .._util import ApiError

MORE_INFO = "https://cloud.ibm.com/apidocs/quantum-computing#error-handling"

#: Error codes used in IBM error bodies.
CODE_INVALID = "1201"
CODE_UNAUTHORIZED = "1219"
CODE_FORBIDDEN = "1220"
CODE_JOB_NOT_FOUND = "1291"
CODE_SESSION_NOT_FOUND = "1292"
CODE_BACKEND_NOT_FOUND = "1216"
CODE_SESSION_CLOSED = "1217"
CODE_JOB_FINAL = "1235"
CODE_NO_RESULT = "1236"
CODE_RATE_LIMITED = "1300"
CODE_NOT_FOUND = "1404"
CODE_METHOD = "1405"
CODE_INTERNAL = "1500"
CODE_UNAVAILABLE = "1503"


class IbmErrors:
    """Builds errors in the configured IBM error style."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def body(self, status: int, code: str, message: str) -> dict[str, Any]:
        """The JSON body of an IBM error."""
        if self.ctx.config.ibm_error_style == "legacy":
            return {"error": {"code": int(code), "message": message, "status": status}}
        return {
            "errors": [{"code": code, "message": message, "more_info": MORE_INFO}],
            "trace": self.ctx.trace_id(),
            "status_code": status,
        }

    def error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> ApiError:
        """An error answer."""
        return ApiError(status, self.body(status, code, message), headers)

    def invalid(self, message: str) -> ApiError:
        """400: the request is malformed."""
        return self.error(400, CODE_INVALID, message)

    def unauthorized(self, message: str) -> ApiError:
        """401."""
        return self.error(401, CODE_UNAUTHORIZED, f"Unauthorized: {message}")

    def forbidden(self, message: str) -> ApiError:
        """403."""
        return self.error(403, CODE_FORBIDDEN, f"Forbidden: {message}")

    def not_found(self, message: str) -> ApiError:
        """404 for a resource other than a job, session or backend."""
        return self.error(404, CODE_NOT_FOUND, message)

    def job_not_found(self, job_id: str) -> ApiError:
        """404 for a job."""
        return self.error(404, CODE_JOB_NOT_FOUND, f"Job not found. Job ID: {job_id}")

    def session_not_found(self, session_id: str) -> ApiError:
        """404 for a session."""
        return self.error(
            404, CODE_SESSION_NOT_FOUND, f"Session not found. Session ID: {session_id}"
        )

    def backend_not_found(self, name: str) -> ApiError:
        """404 for a backend."""
        return self.error(404, CODE_BACKEND_NOT_FOUND, f"Backend not found: {name}")

    def session_closed(self, message: str) -> ApiError:
        """400: the session takes no more jobs."""
        return self.error(400, CODE_SESSION_CLOSED, f"Session has been closed. {message}")
