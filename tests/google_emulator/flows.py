"""Helpers the emulator tests share: the OAuth dance, event bodies, error reasons."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jsonschema_rs

import calbridge_google_emulator

BASE_URL = "http://emulator.test"
REDIRECT_URI = "http://app.test/callback"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
EVENTS = "/calendar/v3/calendars/primary/events"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def authorize(
    client: httpx.AsyncClient,
    verifier: str | None = "v" * 50,
    scope: str = f"openid email {CALENDAR_SCOPE}",
    **extra: str,
) -> dict[str, str]:
    """Run the authorization endpoint in auto-approve mode; the redirect's query."""
    params = {
        "client_id": "calbridge-dev",
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": scope,
        "state": "xyz",
        "access_type": "offline",
        "auto_approve": "true",
        **extra,
    }
    if verifier is not None:
        params |= {"code_challenge": s256(verifier), "code_challenge_method": "S256"}
    response = await client.get("/o/oauth2/v2/auth", params=params)
    assert response.status_code == 302, response.text
    assert response.headers["location"].startswith(REDIRECT_URI + "?")
    return query_of(response.headers["location"])


async def exchange(
    client: httpx.AsyncClient, code: str, verifier: str | None = "v" * 50, **extra: str
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": "calbridge-dev",
        "client_secret": "calbridge-dev-secret",
        **extra,
    }
    if verifier is not None:
        form["code_verifier"] = verifier
    return await client.post("/token", data=form)


async def connect(client: httpx.AsyncClient, **extra: str) -> dict[str, Any]:
    """The whole authorization-code flow; the token endpoint's JSON."""
    redirect = await authorize(client, **extra)
    response = await exchange(client, redirect["code"])
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_fault(client: httpx.AsyncClient, **body: object) -> dict[str, object]:
    """A fault through the control API; the fault as it answers."""
    response = await client.post("/_emulator/faults", json=body)
    assert response.status_code == 201, response.text
    fault: dict[str, object] = response.json()
    return fault


def timed_event(start: str, end: str, **fields: Any) -> dict[str, Any]:
    return {"summary": "Meeting", "start": {"dateTime": start}, "end": {"dateTime": end}, **fields}


def error_reason(response: httpx.Response) -> str:
    reason: str = response.json()["error"]["errors"][0]["reason"]
    return reason


@cache
def discovery_document() -> dict[str, Any]:
    """Google's Calendar v3 discovery document, read from the file the emulator ships."""
    path = Path(calbridge_google_emulator.__file__).parent / "discovery" / "calendar.v3.json"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """One discovery schema as JSON Schema: `$ref: Name` points into `definitions`, int64
    strings must be digits, and an object allows no property the document does not list."""
    if "$ref" in schema:
        return {"$ref": f"#/definitions/{schema['$ref']}"}
    converted: dict[str, Any] = {}
    if "type" in schema and schema["type"] != "any":
        converted["type"] = schema["type"]
    if schema.get("format") in ("int64", "uint64") and schema.get("type") == "string":
        converted["pattern"] = "^-?[0-9]+$"
    if "enum" in schema:
        converted["enum"] = schema["enum"]
    if "items" in schema:
        converted["items"] = _json_schema(schema["items"])
    if "properties" in schema:
        converted["properties"] = {k: _json_schema(v) for k, v in schema["properties"].items()}
    if "additionalProperties" in schema:
        converted["additionalProperties"] = _json_schema(schema["additionalProperties"])
    elif schema.get("type") == "object":
        converted["additionalProperties"] = False
    return converted


def discovery_methods() -> dict[str, dict[str, Any]]:
    """Every method of the discovery document by id (`calendar.events.list`)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                found[method["id"]] = method
            walk(resource.get("resources", {}))

    walk(discovery_document()["resources"])
    return found


def discovery_method(method_id: str) -> dict[str, Any]:
    return discovery_methods()[method_id]


def response_errors(method_id: str, body: Any) -> list[str]:
    """Where `body` breaks the response schema the discovery document gives `method_id`."""
    document = discovery_document()
    schema = {
        **_json_schema(discovery_method(method_id)["response"]),
        "definitions": {name: _json_schema(s) for name, s in document["schemas"].items()},
    }
    validator = jsonschema_rs.Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(body)
    ]
