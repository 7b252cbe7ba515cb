"""The OpenAPI document, finished with what route signatures cannot say (CONTRACT §1.1): the
bearer security scheme on every API route, the response headers (ETag, Location,
Idempotent-Replayed, Retry-After), every error as problem+json (400 malformed_json and 415 on
routes with a body, 503 database_busy anywhere), JSON Schema keywords for parameter bounds,
integer ``{account}`` ids, the account calendar's body by reference, an example for every
request body, and readable operation ids (the route's function name in camelCase)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic.alias_generators import to_camel

from calbridge.errors import PROBLEM_JSON, problem_responses
from calbridge.google.schemas import CreateEntry
from calbridge.openapi_examples import EXAMPLES
from calbridge.schemas import MAX_ID

SECURITY_SCHEME = "bearerAuth"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes the POST safe to retry: the same key with the same body within 24 h replays the "
        "first response (header Idempotent-Replayed: true); with another body → 422 "
        "idempotency_key_reused; while the first is still running → 409 idempotency_in_progress."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
_HEADERS = {
    "ETag": {
        "description": "The event's strong ETag; send it back in If-Match to change it safely.",
        "schema": {"type": "string"},
    },
    "Location": {"description": "The URL of the created resource.", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "true when this is the stored answer to an earlier request with the "
        "same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "string"},
    },
}
# Pydantic writes constraints it cannot place on a wrapped type under their Python names.
_KEYWORDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}
_EVENT_BODIES = ("#/components/schemas/EventResponse", "#/components/schemas/AttendeeResponse")


def operation_id(route: APIRoute) -> str:
    return to_camel(route.name)[0].lower() + to_camel(route.name)[1:]


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            finish(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def finish(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    components["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (cbk_…) made in the admin panel or with the CLI.",
        }
    }
    entry = CreateEntry.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(entry.pop("$defs", {}))
    schemas["CreateEntry"] = entry
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if path.startswith("/api/"):
                _finish_operation(path, method, operation, schemas)
            else:  # public routes (Google's notifications): no token, the same problems
                for status, response in operation["responses"].items():
                    _finish_response(path, method, status, response)
    _link_created(schema.get("paths", {}))


def _link_created(paths: dict[str, Any]) -> None:
    """OpenAPI links from each create (201) to the operations on what it created: the id in
    the answer fills ``{x_id}`` of ``<collection>/{x_id}…`` (clients and stateful fuzzers
    follow them)."""
    for collection, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if created is None or not collection.startswith("/api/v2/"):
            continue
        links: dict[str, Any] = {}
        for path, targets in paths.items():
            match = re.fullmatch(re.escape(collection) + r"/\{(\w+)\}(/.*)?", path)
            if match is None:
                continue
            parameters = {match.group(1): "$response.body#/id"}
            if "{workspace_uuid}" in path:
                parameters["workspace_uuid"] = "$request.path.workspace_uuid"
            for target in targets.values():
                links[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": parameters,
                }
        if links:
            created["links"] = links


def _finish_operation(
    path: str, method: str, operation: dict[str, Any], schemas: dict[str, Any]
) -> None:
    operation["security"] = [{SECURITY_SCHEME: []}]
    parameters = operation.setdefault("parameters", [])
    for parameter in parameters:
        _fix_parameter(parameter)
    if method == "post":
        parameters.append(IDEMPOTENCY_KEY)
    body = operation.get("requestBody")
    if body is not None:
        _finish_body(path, method, body, schemas)
    responses = operation["responses"]
    extra = [503] + ([400, 415] if body is not None else [])
    for status, response in problem_responses(*extra).items():
        responses.setdefault(str(status), {k: v for k, v in response.items() if k != "model"})
    for status, response in responses.items():
        _finish_response(path, method, status, response)


def _fix_parameter(parameter: dict[str, Any]) -> None:
    schema = parameter.get("schema", {})
    if parameter["in"] == "path" and parameter["name"] == "account":
        parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        return
    for part in [schema, *schema.get("anyOf", [])]:
        for python, keyword in _KEYWORDS.items():
            if python in part:
                part[keyword] = part.pop(python)
    if parameter["in"] == "header" and "anyOf" in schema:
        # An optional header is absent, never null.
        branches = [b for b in schema.pop("anyOf") if b != {"type": "null"}]
        schema.update(branches[0])


def _finish_body(path: str, method: str, body: dict[str, Any], schemas: dict[str, Any]) -> None:
    content = body.setdefault("content", {})
    media = content.setdefault("application/json", {})
    if path == "/api/{account}/calendar":
        media["schema"] = {"$ref": "#/components/schemas/CreateEntry"}
    ref = _ref_name(media.get("schema", {}))
    if ref in EXAMPLES:
        media["example"] = EXAMPLES[ref]


def _ref_name(schema: dict[str, Any]) -> str | None:
    for candidate in [schema, *schema.get("anyOf", [])]:
        ref = candidate.get("$ref")
        if isinstance(ref, str):
            return ref.rsplit("/", 1)[-1]
    return None


def _finish_response(path: str, method: str, status: str, response: dict[str, Any]) -> None:
    headers = response.setdefault("headers", {})
    code = int(status)
    if code >= 400:
        response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
    if code == 503:
        headers["Retry-After"] = _HEADERS["Retry-After"]
    if method == "post" and code < 500:
        headers["Idempotent-Replayed"] = _HEADERS["Idempotent-Replayed"]
    if code == 201 and path.startswith("/api/v2/"):
        headers["Location"] = _HEADERS["Location"]
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    is_event = "/calendar-events" in path and schema.get("$ref") in _EVENT_BODIES
    if is_event or (code == 304 and "/calendar-events" in path):
        headers["ETag"] = _HEADERS["ETag"]
    if not headers:
        response.pop("headers")
