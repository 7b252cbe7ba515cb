"""CONTRACT §1.1: /openapi.json tells the truth, whole enough for a generator and a fuzzer."""

from __future__ import annotations

import re
from typing import Any

import httpx
from openapi_spec_validator import validate

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
EVENT = "/api/v2/w/{workspace_uuid}/calendar-events/{event_id}"


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def _refs(node: Any) -> list[str]:
    found, pending = [], [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if isinstance(item.get("$ref"), str):
                found.append(item["$ref"])
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found


async def test_the_document_is_valid_openapi_with_no_dangling_ref(
    client: httpx.AsyncClient,
) -> None:
    document = await _document(client)
    validate(document)
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[-1] in schemas, ref
    assert "HTTPValidationError" not in schemas


async def test_every_api_operation_is_secured_readable_and_documents_problems(
    client: httpx.AsyncClient,
) -> None:
    document = await _document(client)
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    ids = []
    for path, method, operation in _operations(document):
        where = f"{method} {path}"
        ids.append(operation["operationId"])
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)+", operation["operationId"]), where
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == PROBLEM, (where, status)
        if not path.startswith("/api/"):
            assert "security" not in operation, where  # public: Google's notifications
            continue
        assert operation["security"] == [{"bearerAuth": []}], where
        if "requestBody" in operation:
            assert {"400", "415", "422"} <= set(operation["responses"]), where
            media = operation["requestBody"]["content"]["application/json"]
            assert "example" in media, f"{where}: no example body"
        assert "Retry-After" in operation["responses"]["503"]["headers"], where
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            keys = {key for part in [schema, *schema.get("anyOf", [])] for key in part}
            assert not keys & {"ge", "le", "gt", "lt"}, (where, parameter["name"])
            google_event_id = path.startswith("/api/{account}") and parameter["name"] == "event_id"
            if parameter["in"] == "path" and parameter["name"] != "workspace_uuid":
                # Ids are integers; a Google event id (the account calendar's) is text.
                assert schema["type"] == ("string" if google_event_id else "integer"), where
            if parameter["in"] == "header":
                assert "anyOf" not in schema, (where, parameter["name"])
    assert len(ids) == len(set(ids))
    assert {"listCalendarEvents", "createCalendarEvent", "patchCalendarEvent"} <= set(ids)


async def test_response_headers_are_declared(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    paths = document["paths"]
    base = "/api/v2/w/{workspace_uuid}"
    etag_routes = [
        (EVENT, "get", "200"),
        (EVENT, "get", "304"),
        (EVENT, "put", "200"),
        (EVENT, "patch", "200"),
        (base + "/calendar-events", "post", "201"),
        (EVENT + "/cancel", "post", "200"),
        (EVENT + "/attendees/{member_id}", "put", "200"),
    ]
    for path, method, status in etag_routes:
        assert "ETag" in paths[path][method]["responses"][status]["headers"], (path, method)
    for collection in ("/calendars", "/members", "/calendar-events", "/event-rules"):
        headers = paths[base + collection]["post"]["responses"]["201"]["headers"]
        assert {"Location", "Idempotent-Replayed"} <= set(headers), collection
    account = paths["/api/{account}/calendar"]
    assert account["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateEntry"
    }
    assert "Idempotent-Replayed" in account["post"]["responses"]["201"]["headers"]
    pages = {p["name"]: p["schema"] for p in account["get"]["parameters"]}
    assert pages["page"]["minimum"] == 1
    assert pages["per_page"]["minimum"] == 1
    listing = {
        p["name"]: p["schema"] for p in paths[base + "/calendar-events"]["get"]["parameters"]
    }
    assert listing["page"]["minimum"] == 1
    assert listing["pageSize"]["maximum"] == 100
    parameters = {p["name"]: p for p in account["get"]["parameters"]}
    assert parameters["account"]["schema"]["type"] == "integer"
    assert "If-Match" in {p["name"] for p in paths[EVENT]["delete"]["parameters"]}
