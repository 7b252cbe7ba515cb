"""CONTRACT §1.1 strictness: the lax inputs issue 11 found are each a 422 that names the field
in words a person reads, and write nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.api import WorkspaceFixture
from tests.support.problems import assert_problem, fields_of

EVENT = {
    "title": "Intro call",
    "startTime": "2026-04-13T09:00:00",
    "endTime": "2026-04-13T09:30:00",
}
# Library wording that must not reach a client.
INTERNALS = re.compile(r"Value error|Input should|String should|\^|\\\\[sdw]|pydantic", re.I)

# (what, method, path, body or query, field named)
LAX_BODIES: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("calendarId 1.0", "POST", "/calendar-events", {"calendarId": 1.0}, "calendarId"),
    ('calendarId "6"', "POST", "/calendar-events", {"calendarId": "{cal}"}, "calendarId"),
    ("calendarId true", "POST", "/calendar-events", {"calendarId": True}, "calendarId"),
    ("Unix startTime", "POST", "/calendar-events", {"startTime": 1800000000}, "startTime"),
    ("bare date startTime", "POST", "/calendar-events", {"startTime": "2026-04-13"}, "startTime"),
    ("blank title", "POST", "/calendar-events", {"title": "   "}, "title"),
    ("attendee id 2.0", "POST", "/calendar-events", {"attendeeIds": [2.0]}, "attendeeIds.0"),
    ("status number", "POST", "/calendar-events", {"status": 1}, "status"),
    ('allowOverlap "yes"', "POST", "/calendars", {"allowOverlap": "yes"}, "allowOverlap"),
    ("allowOverlap 1", "POST", "/calendars", {"allowOverlap": 1}, "allowOverlap"),
    ("maxAttendees 2.5", "POST", "/calendars", {"maxAttendees": 2.5}, "maxAttendees"),
    ('maxAttendees "8"', "POST", "/calendars", {"maxAttendees": "8"}, "maxAttendees"),
    ("blank calendar name", "POST", "/calendars", {"name": " \t"}, "name"),
    (
        "exception date as number",
        "POST",
        "/calendars",
        {"availability": {"exceptions": [{"date": 20261224, "windows": []}]}},
        "availability.exceptions.0.date",
    ),
    ("blank member name", "POST", "/members", {"name": "  "}, "name"),
    ("email without @", "POST", "/members", {"email": "alice.example.com"}, "email"),
    ("title null on update", "PUT", "/calendar-events/{event}", {"title": None}, "title"),
    (
        "PATCH calendarId 1.0",
        "PATCH",
        "/calendar-events/{event}",
        {"calendarId": 1.0},
        "calendarId",
    ),
    ("rule enabled 'true'", "PATCH", "/event-rules/{rule}", {"enabled": "true"}, "enabled"),
]
LAX_URLS: list[tuple[str, str, str]] = [
    ("event id 1.0 in the path", "/calendar-events/{event}.0", "eventId"),
    ("event id +1 in the path", "/calendar-events/+{event}", "eventId"),
    ("startDate 0.5", "/calendar-events?startDate=0.5", "startDate"),
    ("startDate a bare date", "/calendar-events?startDate=2026-04-13", "startDate"),
    ("calendarId 1.0 in the query", "/calendar-events?calendarId={cal}.0", "calendarId"),
    ("page 1.0", "/calendars?page=1.0", "page"),
]


async def _things(ws: WorkspaceFixture) -> dict[str, Any]:
    calendar = await ws.calendar(allowOverlap=True)
    event = await ws.event(calendar["id"])
    rule = await ws.post(
        "/event-rules",
        json={
            "name": "r",
            "triggers": ["event.created"],
            "actions": [{"type": "set_status", "status": "tentative"}],
        },
    )
    assert rule.status_code == 201, rule.text
    return {"cal": calendar["id"], "event": event["id"], "rule": rule.json()["id"]}


def _fill(value: Any, things: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**things)
    if isinstance(value, dict):
        return {key: _fill(item, things) for key, item in value.items()}
    return value


def _valid_body(path: str, things: dict[str, Any]) -> dict[str, Any]:
    if path == "/calendar-events":
        return {**EVENT, "calendarId": things["cal"]}
    if path == "/calendars":
        return {"name": "Room B", "timezone": "Europe/Amsterdam"}
    if path == "/members":
        return {"name": "Bob", "email": "bob@example.com"}
    return {}


@pytest.mark.parametrize(("what", "method", "path", "change", "field"), LAX_BODIES)
async def test_a_lax_body_value_is_a_422_naming_the_field(
    ws: WorkspaceFixture, what: str, method: str, path: str, change: dict[str, Any], field: str
) -> None:
    things = await _things(ws)
    before = (await ws.get("/calendar-events")).json()["total"]
    url = path.format(**things)
    body = {**_valid_body(path, things), **_fill(change, things)}
    if what == 'calendarId "6"':
        body["calendarId"] = str(things["cal"])
    problem = assert_problem(await ws.request(method, url, json=body), 422, "validation_error")
    assert fields_of(problem) == [field], what
    message = problem["errors"][0]["message"]
    assert not INTERNALS.search(message), message
    assert (await ws.get("/calendar-events")).json()["total"] == before
    event = (await ws.get(f"/calendar-events/{things['event']}")).json()
    assert event["title"] == "Intro call"


@pytest.mark.parametrize(("what", "path", "field"), LAX_URLS)
async def test_a_lax_path_or_query_value_is_a_422_naming_it(
    ws: WorkspaceFixture, what: str, path: str, field: str
) -> None:
    things = await _things(ws)
    problem = assert_problem(await ws.get(path.format(**things)), 422, "validation_error")
    assert fields_of(problem) == [field], what
    assert not INTERNALS.search(problem["errors"][0]["message"])


async def test_the_strict_forms_are_accepted(ws: WorkspaceFixture) -> None:
    """The written forms the contract names still work: offsets, Z, local times."""
    things = await _things(ws)
    for start, end in (
        ("2026-04-14T09:00:00+02:00", "2026-04-14T09:30:00+02:00"),
        ("2026-04-15T07:00:00Z", "2026-04-15T07:30:00.5Z"),
        ("2026-04-16T09:00", "2026-04-16T09:30"),
    ):
        body = {**EVENT, "calendarId": things["cal"], "startTime": start, "endTime": end}
        response = await ws.post("/calendar-events", json=body)
        assert response.status_code == 201, response.text
    listed = await ws.get("/calendar-events?startDate=2026-04-14T00:00:00%2B02:00&page=1")
    assert listed.status_code == 200
    assert listed.json()["total"] == 3


async def test_update_schemas_offer_null_only_where_null_is_accepted(ws: WorkspaceFixture) -> None:
    document = (await ws.client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    refusing = {
        "EventUpdate": ["calendarId", "title", "startTime", "endTime", "status", "attendeeIds"],
        "CalendarUpdate": ["name", "timezone", "allowOverlap"],
        "MemberUpdate": ["name", "email"],
        "RuleUpdate": ["name", "enabled", "triggers", "actions"],
    }
    for name, fields in refusing.items():
        for field in fields:
            schema = schemas[name]["properties"][field]
            assert "anyOf" not in schema and schema.get("type") != "null", (name, field)
            assert "default" not in schema, (name, field)
    assert {"type": "null"} in schemas["EventUpdate"]["properties"]["description"]["anyOf"]
