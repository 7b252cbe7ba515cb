"""The OpenAPI document describes every Workspace API v2 route: its success body and the problem
responses (401/403/404/422 as application/problem+json) that CONTRACT §1 promises."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from tests.support.problems import PROBLEM_JSON

PREFIX = "/api/v2/w/{workspace_uuid}"
PROBLEM_REF = "#/components/schemas/Problem"


def workspace_operations(app: FastAPI) -> list[tuple[str, str]]:
    operations = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        if isinstance(context.original_route, APIRoute) and path.startswith(PREFIX + "/"):
            operations.extend((method.lower(), path) for method in sorted(context.methods or ()))
    return operations


def property_names(schema: dict[str, Any]) -> set[str]:
    return set(schema.get("properties", {}))


async def test_openapi_documents_every_route_and_docs_serve(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """One test, as building the document is the slow part."""
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    operations = workspace_operations(app)
    assert len(operations) >= 18
    failures = []
    for method, path in operations:
        operation = document["paths"].get(path, {}).get(method)
        if operation is None:
            failures.append(f"{method} {path}: missing from /openapi.json")
            continue
        responses = operation["responses"]
        success = [status for status in responses if status.startswith("2")]
        if len(success) != 1:
            failures.append(f"{method} {path}: success statuses {success}")
        else:
            content = responses[success[0]].get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if not schema:
                failures.append(f"{method} {path}: no schema for {success[0]}")
        for status in ("401", "403", "404", "422"):
            problem = responses.get(status, {}).get("content", {}).get(PROBLEM_JSON)
            if problem is None or problem.get("schema", {}).get("$ref") != PROBLEM_REF:
                failures.append(f"{method} {path}: {status} is not documented as a problem")
        if not operation.get("description"):
            failures.append(f"{method} {path}: no description")
    assert failures == []
    check_details(document)

    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in docs.text


def check_details(document: dict[str, Any]) -> None:
    """201 on creation, the problem schema, camelCase on the wire."""
    base = "/api/v2/w/{workspace_uuid}"
    for collection in ("/calendars", "/members", "/calendar-events"):
        responses = document["paths"][base + collection]["post"]["responses"]
        assert "201" in responses, collection
    event = document["paths"][base + "/calendar-events/{event_id}"]
    assert {"409", "412"} <= set(event["put"]["responses"])
    assert event["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EventResponse"
    }
    schemas = document["components"]["schemas"]
    assert {"type", "title", "status", "detail", "code", "errors"} <= property_names(
        schemas["Problem"]
    )
    assert {"field", "message"} <= property_names(schemas["FieldError"])
    # The wire is camelCase.
    assert {"calendarId", "startTime", "endTime", "attendeeIds"} <= property_names(
        schemas["EventCreate"]
    )
    assert {"items", "total", "page", "pageSize", "pages"} <= property_names(
        schemas["Page_EventResponse_"]
    )
    for name in ("EventCreate", "EventUpdate", "EventResponse", "CalendarCreate", "MemberCreate"):
        snake = [prop for prop in property_names(schemas[name]) if re.search(r"_[a-z]", prop)]
        assert snake == [], name
    # Query parameters are camelCase too.
    listing = document["paths"][base + "/calendar-events"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert {"calendarId", "startDate", "endDate", "status", "page", "pageSize"} <= names
    assert {"sortBy", "sortOrder"} <= names


def test_every_api_post_documents_the_idempotency_key_header(app: FastAPI) -> None:
    spec = app.openapi()
    posts = [
        (path, operations["post"])
        for path, operations in spec["paths"].items()
        if path.startswith("/api/") and "post" in operations
    ]
    assert posts
    for path, operation in posts:
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert "Idempotency-Key" in headers, path
