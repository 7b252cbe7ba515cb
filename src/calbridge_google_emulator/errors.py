"""Google's two error shapes.

Calendar (and userinfo) errors use the Google API envelope::

    {"error": {"code": 404, "message": "Not Found",
               "errors": [{"domain": "global", "reason": "notFound", "message": "Not Found"}]}}

OAuth endpoints (`/token`, `/revoke`) use RFC 6749 bodies::

    {"error": "invalid_grant", "error_description": "Bad Request"}

`ApiError` and `OAuthError` carry everything needed to write them; one handler each turns
them into responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


@dataclass(eq=False)
class ApiError(Exception):
    code: int
    reason: str
    message: str
    domain: str = "global"
    location: str | None = None
    location_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, object]:
        detail: dict[str, str] = {
            "domain": self.domain,
            "reason": self.reason,
            "message": self.message,
        }
        if self.location is not None:
            detail["location"] = self.location
            detail["locationType"] = self.location_type or "parameter"
        return {"error": {"code": self.code, "message": self.message, "errors": [detail]}}


@dataclass(eq=False)
class OAuthError(Exception):
    status_code: int
    error: str
    description: str


def not_found() -> ApiError:
    return ApiError(404, "notFound", "Not Found")


def invalid(message: str, location: str | None = None) -> ApiError:
    return ApiError(400, "invalid", message, location=location)


def required(message: str, location: str | None = None) -> ApiError:
    return ApiError(400, "required", message, location=location)


def time_range_empty(location: str = "timeMax") -> ApiError:
    return ApiError(
        400,
        "timeRangeEmpty",
        "The specified time range is empty.",
        domain="calendar",
        location=location,
    )


def auth_error() -> ApiError:
    return ApiError(
        401,
        "authError",
        "Invalid Credentials",
        location="Authorization",
        location_type="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def insufficient_permissions() -> ApiError:
    return ApiError(
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
    )


def duplicate() -> ApiError:
    return ApiError(409, "duplicate", "The requested identifier already exists.")


def deleted() -> ApiError:
    return ApiError(410, "deleted", "Resource has been deleted")


def full_sync_required() -> ApiError:
    return ApiError(
        410,
        "fullSyncRequired",
        "Sync token is no longer valid, a full sync is required.",
        domain="calendar",
        location="syncToken",
    )


def condition_not_met() -> ApiError:
    return ApiError(
        412,
        "conditionNotMet",
        "Precondition Failed",
        location="If-Match",
        location_type="header",
    )


def api_error_response(error: ApiError) -> Response:
    return JSONResponse(error.body(), status_code=error.code, headers=error.headers)


def oauth_error_response(error: OAuthError) -> Response:
    body = {"error": error.error, "error_description": error.description}
    return JSONResponse(body, status_code=error.status_code, headers={"Cache-Control": "no-store"})


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return api_error_response(exc)


async def handle_oauth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    return oauth_error_response(exc)
