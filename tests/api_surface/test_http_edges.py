"""CONTRACT §1.1: invalid JSON is a 400 with its position, a body that is not JSON a 415, a 405
and an OPTIONS name every method the path serves, CORS is off unless origins are named."""

from __future__ import annotations

import httpx
import pytest

from calbridge.app import create_app
from calbridge.settings import Settings
from tests.support.api import WorkspaceFixture, make_workspace
from tests.support.databases import TestDatabase
from tests.support.problems import assert_problem


async def test_invalid_json_is_400_malformed_json_with_the_position(ws: WorkspaceFixture) -> None:
    response = await ws.post(
        "/members",
        content=b'{"name": "Al",\n "email": }',
        headers={"Content-Type": "application/json"},
    )
    problem = assert_problem(response, 400, "malformed_json")
    assert "line 2, column 11" in problem["detail"]
    response = await ws.post(
        "/members", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed_json")
    assert (await ws.get("/members")).json()["total"] == 0


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
async def test_a_body_that_is_not_json_is_415(
    ws: WorkspaceFixture, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await ws.post(
        "/members", content=b'{"name": "Al", "email": "al@example.com"}', headers=headers
    )
    assert_problem(response, 415, "unsupported_media_type")
    assert (await ws.get("/members")).json()["total"] == 0
    # JSON with a charset, or a +json type, is JSON.
    response = await ws.post(
        "/members",
        content=b'{"name": "Al", "email": "al@example.com"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


async def test_405_and_options_list_every_method_of_the_path(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    event = await ws.event(calendar["id"])
    cases = {
        f"/calendar-events/{event['id']}": ("POST", "GET, PUT, PATCH, DELETE, OPTIONS"),
        "/calendar-events": ("DELETE", "GET, POST, OPTIONS"),
        f"/calendars/{calendar['id']}": ("PUT", "GET, PATCH, DELETE, OPTIONS"),
        f"/calendar-events/{event['id']}/cancel": ("GET", "POST, OPTIONS"),
    }
    for path, (wrong, allow) in cases.items():
        refused = await ws.request(wrong, path)
        problem = assert_problem(refused, 405, "method_not_allowed")
        assert refused.headers["allow"] == allow, path
        assert wrong in problem["detail"]
        options = await ws.request("OPTIONS", path)
        assert options.status_code == 204, path
        assert options.headers["allow"] == allow, path
        assert options.content == b""
    head = await ws.request("HEAD", f"/calendar-events/{event['id']}")
    assert head.status_code == 405  # not served, so not listed
    missing = await ws.request("OPTIONS", "/no-such-thing")
    assert missing.status_code == 404


async def _preflight(
    client: httpx.AsyncClient, ws: WorkspaceFixture, origin: str
) -> httpx.Response:
    return await client.options(
        ws.url("/calendars"),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


async def test_cors_is_off_unless_origins_are_named(
    ws: WorkspaceFixture, test_db: TestDatabase, settings: Settings
) -> None:
    response = await _preflight(ws.client, ws, "https://app.example.com")
    assert "access-control-allow-origin" not in response.headers
    listed = await ws.get("/calendars", headers={"Origin": "https://app.example.com"})
    assert "access-control-allow-origin" not in listed.headers

    allowing = settings.model_copy(update={"cors_origins": ["https://app.example.com"]})
    app = create_app(allowing, database=test_db.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        other = await make_workspace(test_db.database, client, name="Cors")
        granted = await _preflight(client, other, "https://app.example.com")
        assert granted.status_code == 200
        assert granted.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "authorization" in granted.headers["access-control-allow-headers"].lower()
        refused = await _preflight(client, other, "https://evil.example.com")
        assert "access-control-allow-origin" not in refused.headers
        listed = await other.get("/calendars", headers={"Origin": "https://app.example.com"})
        assert listed.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "etag" in listed.headers["access-control-expose-headers"].lower()
