"""The exceptions raised by qruntime_async: one flat hierarchy under :class:`QRuntimeError`.

Every error that comes from an HTTP answer carries what a user needs to act on it: the status,
the provider's error code and message, the request id, the method and the URL (never a credential).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "QRuntimeError",
    "ClientClosedError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "ServerError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "WaitTimeoutError",
    "PagingError",
    "SubmissionError",
    "SessionStoppedError",
]


class QRuntimeError(Exception):
    """Base class of every error raised by this package."""


class ClientClosedError(QRuntimeError):
    """The client was closed; create a new one (or use ``async with``) to make more calls."""

    def __init__(self, message: str = "the client is closed; create a new client") -> None:
        super().__init__(message)


class APIError(QRuntimeError):
    """An API call failed: base of connection, status and response-decoding errors.

    Carries what identifies the call: ``method``, ``url`` (never a credential), how many
    ``attempts`` were made and the server's ``request_id`` when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        attempts: int = 1,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.attempts = attempts
        self.request_id = request_id


class APIConnectionError(APIError):
    """The request could not be completed: the connection failed or broke."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        attempts: int = 1,
        sent: bool | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url, attempts=attempts)
        #: ``False`` when the request certainly never reached the server, ``True`` when it may have.
        self.sent = sent

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.method and self.url else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.message}{where}{tries}"


class APITimeoutError(APIConnectionError):
    """The server did not answer within the configured connect or read timeout."""


class APIStatusError(APIError):
    """The server answered with an error status (4xx or 5xx)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
        body: str | None = None,
        attempts: int = 1,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url, attempts=attempts, request_id=request_id)
        self.status = status
        self.code = code
        #: The first characters of the response body (for diagnosis).
        self.body = body
        #: Per-field validation problems when the provider reported them (Scaleway ``fields``).
        self.fields = fields or {}

    def __str__(self) -> str:
        parts = [f"HTTP {self.status}"]
        if self.code:
            parts.append(f"[{self.code}]")
        parts.append(self.message or "(no message)")
        text = " ".join(parts)
        if self.fields:
            text += "; fields: " + ", ".join(
                f"{name}: {problem}" for name, problem in self.fields.items()
            )
        if self.method and self.url:
            text += f" ({self.method} {self.url})"
        if self.request_id:
            text += f" request_id={self.request_id}"
        if self.attempts > 1:
            text += f" after {self.attempts} attempts"
        return text


class BadRequestError(APIStatusError):
    """400 or 422: the request was malformed or failed validation."""


class AuthenticationError(APIStatusError):
    """401: the credential is missing, wrong or expired."""


class PermissionDeniedError(APIStatusError):
    """403: the credential is valid but may not do this."""


class NotFoundError(APIStatusError):
    """404: the resource does not exist (or is not visible to this credential)."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's state (e.g. cancelling a finished job)."""


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the server's hint in seconds, when given."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx: the server failed."""


class ResponseDecodeError(APIError):
    """A response body (or a document inside it) did not match the expected shape."""

    def __init__(
        self,
        message: str,
        *,
        expected: str,
        path: str | None = None,
        body: str | None = None,
        method: str | None = None,
        url: str | None = None,
        malformed: bool = False,
    ) -> None:
        super().__init__(message, method=method, url=url)
        #: True when the body is not valid JSON at all (garbled or cut short in transit);
        #: False when it is JSON of the wrong shape.
        self.malformed = malformed
        #: The name of the type the body should have decoded into.
        self.expected = expected
        #: Where in the document decoding failed, e.g. ``$.jobs[3].status``.
        self.path = path
        self.body = body

    def __str__(self) -> str:
        text = f"could not decode the response as {self.expected}: {self.message}"
        if self.method and self.url:
            text += f" ({self.method} {self.url})"
        return text


class ResponseTooLargeError(APIError):
    """An answer was longer than the allowed size; it was not read further.

    ``limit`` is the size in bytes that was exceeded (``max_response_bytes`` of the client, or
    the call's own ``max_bytes``).
    """

    def __init__(
        self, message: str, *, limit: int, method: str | None = None, url: str | None = None
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.limit = limit

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.method and self.url else ""
        return f"{self.message}{where}"


class WaitTimeoutError(QRuntimeError, TimeoutError):
    """A resource did not reach a final state in time. ``last`` is the last state seen."""

    def __init__(self, message: str, *, last: Any = None, resource_id: str | None = None) -> None:
        super().__init__(message)
        self.last = last
        self.resource_id = resource_id


class PagingError(QRuntimeError):
    """A listing could not be paged safely (for example the server repeated a cursor)."""


class SubmissionError(QRuntimeError):
    """A submission's outcome could not be established (it may or may not exist)."""

    def __init__(self, message: str, *, idempotency_key: str | None = None) -> None:
        super().__init__(message)
        self.idempotency_key = idempotency_key


class SessionStoppedError(QRuntimeError):
    """A session stopped (or began stopping) while it was awaited to run.

    ``session`` is the last state seen; its ``progress_message`` often says why.
    """

    def __init__(self, message: str, *, session: Any) -> None:
        super().__init__(message)
        self.session = session
