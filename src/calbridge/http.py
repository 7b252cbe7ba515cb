"""HTTP plumbing shared by every route: problem details, body size limit, JSON-only bodies,
405/OPTIONS with the path's real methods."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic.alias_generators import to_camel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calbridge.errors import PROBLEM_JSON, CalbridgeError, FieldError, Problem
from calbridge.messages import human_message
from calbridge.methods import allowed_methods
from calbridge.ops.logs import REQUEST_ID_HEADER, current_request_id
from calbridge.schemas import UNSTORABLE_TEXT

logger = logging.getLogger(__name__)

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
}
_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    400: "bad_request",
    401: "unauthenticated",
}


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    if problem.status >= 500:
        problem.request_id = current_request_id()
    return JSONResponse(
        problem.model_dump(by_alias=True, exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


async def _calbridge_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CalbridgeError)
    return problem_response(exc.problem(), exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI answers a JSON body that is not even text (not UTF-8) with a bare 400.
        return _malformed_json("The request body is not UTF-8 text.")
    status = exc.status_code
    headers = dict(exc.headers or {})
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(status, "Error")
    if status == 405:
        # Starlette names only the first route of the path; the path may serve more.
        allow = allowed_methods(request.app, request.scope)
        headers["Allow"] = ", ".join(allow)
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=headers)
        detail = f"{request.method} is not allowed here; this path serves {', '.join(allow)}."
    title = _TITLES.get(status, "Error")
    problem = Problem(title=title, status=status, detail=detail, code=_CODES.get(status, "error"))
    return problem_response(problem, headers)


def _location(error: dict[str, Any]) -> tuple[Any, ...]:
    location = tuple(error.get("loc", ()))
    if error.get("type") == UNSTORABLE_TEXT:  # raised for the whole model, names its field
        location += (error.get("ctx", {}).get("field", ""),)
    return location


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] == "path":
        # Path parameters are named in Python (event_id); the wire speaks camelCase (eventId).
        parts = ["path", *(to_camel(part) for part in parts[1:])]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            return _malformed_json(_json_position(exc.body, error))
    errors = [
        FieldError(field=_field_name(_location(error)), message=human_message(error))
        for error in exc.errors()
    ]
    problem = Problem(
        title="Unprocessable Content",
        status=422,
        code="validation_error",
        errors=errors,
        detail="; ".join(f"{error.field}: {error.message}" for error in errors[:5]),
    )
    return problem_response(problem)


def _json_position(document: Any, error: dict[str, Any]) -> str:
    position = error.get("loc", ("body", 0))[-1]
    reason = (error.get("ctx") or {}).get("error", "not JSON")
    if not isinstance(document, str) or not isinstance(position, int):
        return f"The request body is not valid JSON: {reason}."
    line = document.count("\n", 0, position) + 1
    column = position - (document.rfind("\n", 0, position) + 1) + 1
    return (
        f"The request body is not valid JSON: {reason} at line {line}, column {column} "
        f"(character {position})."
    )


def _malformed_json(detail: str) -> JSONResponse:
    problem = Problem(title="Bad Request", status=400, code="malformed_json", detail=detail)
    return problem_response(problem)


# Contention the database resolved by giving up on one side: the client may simply retry.
_BUSY_SIGNS = ("database is locked", "deadlock detected", "could not serialize access")


# The connection went away under the request (a killed backend, a restart, a failover). The
# pool has dropped it (and, SQLAlchemy's default, every connection older), so a retry gets a
# fresh one.
_GONE_SIGNS = (
    "connection was closed",
    "connection is closed",
    "terminating connection",
    "server closed the connection",
    "connection refused",
    "cannot connect",
)


async def _database_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated or any(sign in str(exc).lower() for sign in _GONE_SIGNS):
        logger.warning("database connection lost: %s", str(exc).splitlines()[0])
        code, detail = "database_unavailable", "The connection to the database was lost"
    elif any(sign in str(exc) for sign in _BUSY_SIGNS):
        code, detail = "database_busy", "The database is busy with other writes"
    else:
        raise exc  # a real fault: the 500 handler answers (and it is logged)
    problem = Problem(
        title="Service Unavailable", status=503, code=code, detail=f"{detail}; retry in a moment."
    )
    return problem_response(problem, {"Retry-After": "1"})


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error in %s %s", request.method, request.url.path, exc_info=error)
    problem = Problem(
        title="Internal Server Error",
        status=500,
        code="internal_error",
        detail="Something went wrong on our side; it has been logged with the requestId.",
    )
    # Starlette answers from outside every middleware, so the request id header is set here.
    request_id = current_request_id()
    return problem_response(problem, {REQUEST_ID_HEADER: request_id} if request_id else None)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CalbridgeError, _calbridge_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DBAPIError, _database_error)
    # Starlette answers with this after logging, then re-raises (so servers and tests see it).
    app.add_exception_handler(Exception, _unexpected_error)


class BodySizeLimit:
    """Refuses bodies over ``max_bytes`` with 413, whether or not the client announced a
    Content-Length. Added with ``app.add_middleware`` so the app's exception handlers answer."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # FastAPI lets HTTPException through its body parsing; the handler answers.
                    raise StarletteHTTPException(413, detail=self._detail())
            return message

        await self.app(scope, limited_receive, send)

    def _detail(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = Problem(
            title="Content Too Large",
            status=413,
            code="payload_too_large",
            detail=self._detail(),
        )
        await problem_response(problem)(scope, receive, send)


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    main, _, sub = media_type.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


class JsonBodiesOnly:
    """On the API's routes, a request body that is not declared ``application/json`` (or a
    ``+json`` type) is a 415 before anything reads it."""

    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            headers = dict(scope.get("headers", []))
            length = headers.get(b"content-length", b"0")
            has_body = length not in {b"", b"0"} or b"transfer-encoding" in headers
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            if has_body and not _is_json(content_type):
                problem = Problem(
                    title="Unsupported Media Type",
                    status=415,
                    code="unsupported_media_type",
                    detail="The request body must be JSON, sent as Content-Type: application/json.",
                )
                await problem_response(problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)
