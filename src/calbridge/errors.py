"""The error tree of calbridge, and the one handler that turns it into RFC 9457 problem details.

    CalbridgeError (status_code, code)
    ├── MalformedJson            400 malformed_json
    ├── Unauthenticated          401 unauthenticated
    ├── InsufficientScope        403 insufficient_scope
    ├── NotFound                 404 not_found
    ├── PreconditionFailed       412 precondition_failed
    ├── PayloadTooLarge          413 payload_too_large
    ├── ValidationProblem        422 validation_error (or a more precise code), with field errors
    ├── Conflict                 409 (slot_conflict, attendee_limit_exceeded, outside_availability,
    │                                 event_cancelled, member_exists, …)
    └── ServiceUnavailable       503 (google_unavailable)

Services raise these; endpoints never build error responses by hand.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the stable ``code`` clients branch on."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = Field(default=None)
    # 5xx only: the request's X-Request-ID, to find its log lines by.
    request_id: str | None = Field(default=None, serialization_alias="requestId")


class CalbridgeError(Exception):
    status_code = 500
    code = "internal_error"
    title = "Internal Server Error"

    def __init__(
        self, detail: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.headers = headers or {}

    def problem(self) -> Problem:
        return Problem(
            title=self.title, status=self.status_code, detail=self.detail, code=self.code
        )


class MalformedJson(CalbridgeError):
    status_code = 400
    code = "malformed_json"
    title = "Bad Request"


class Unauthenticated(CalbridgeError):
    status_code = 401
    code = "unauthenticated"
    title = "Unauthorized"

    def __init__(self, detail: str = "A valid bearer token is required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="calbridge"'})


class InsufficientScope(CalbridgeError):
    status_code = 403
    code = "insufficient_scope"
    title = "Forbidden"

    def __init__(self, scope: str) -> None:
        super().__init__(f"This token lacks the scope {scope}.")


class Forbidden(CalbridgeError):
    status_code = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(CalbridgeError):
    status_code = 404
    code = "not_found"
    title = "Not Found"

    def __init__(self, what: str = "Resource") -> None:
        super().__init__(f"{what} not found.")


class Conflict(CalbridgeError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(CalbridgeError):
    status_code = 412
    code = "precondition_failed"
    title = "Precondition Failed"


class PayloadTooLarge(CalbridgeError):
    status_code = 413
    code = "payload_too_large"
    title = "Content Too Large"


class ValidationProblem(CalbridgeError):
    status_code = 422
    code = "validation_error"
    title = "Unprocessable Content"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        code: str | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail, code=code)
        self.errors = errors or ([FieldError(field=field, message=detail)] if field else [])

    def problem(self) -> Problem:
        problem = super().problem()
        problem.errors = self.errors
        return problem


class ServiceUnavailable(CalbridgeError):
    status_code = 503
    code = "service_unavailable"
    title = "Service Unavailable"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problem statuses a route can answer."""
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "description": _DESCRIPTIONS.get(status, "Error"),
        }
        for status in statuses
    }


_DESCRIPTIONS = {
    400: "The body is not JSON (malformed_json)",
    415: "The body is not sent as application/json",
    503: "The database or Google cannot answer now; retry (Retry-After)",
    401: "Missing, unknown, revoked or expired token",
    403: "The token lacks the scope",
    404: "Not found (or belongs to another workspace)",
    409: "Conflict with the current state",
    412: "If-Match does not match the current ETag",
    413: "Body larger than allowed",
    422: "Invalid input",
}
