"""Calendars over HTTP (CONTRACT §3.1): list (paged), create, get, patch, delete, errors."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from calbridge.account.models import Account
from calbridge.calendar.models import Calendar
from tests.support.api import WorkspaceFixture
from tests.support.problems import assert_problem

if TYPE_CHECKING:  # a runtime import would make pytest try to collect it as a test class
    from tests.support.databases import TestDatabase


def fields_of(problem: dict[str, Any]) -> set[str]:
    return {error["field"] for error in problem["errors"]}


async def calendar_count(test_db: TestDatabase) -> int:
    async with test_db.database.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(Calendar)) or 0


async def add_account(test_db: TestDatabase, workspace_id: int) -> int:
    async with test_db.database.transaction() as session:
        account = Account(workspace_id=workspace_id, name="Sales")
        session.add(account)
        await session.flush()
        return account.id


FULL = {
    "name": "Room B",
    "timezone": "America/New_York",
    "description": "Second floor",
    "maxAttendees": 8,
    "allowOverlap": True,
    "availability": {
        "weekly": [{"day": "monday", "start": "09:00", "end": "17:00"}],
        "exceptions": [
            {"date": "2026-12-24", "windows": []},
            {"date": "2026-12-27", "windows": [{"start": "10:00", "end": "24:00"}]},
        ],
    },
}


async def test_create_returns_201_location_and_every_field(ws: WorkspaceFixture) -> None:
    response = await ws.post("/calendars", token="admin", json=FULL)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == ws.url(f"/calendars/{body['id']}")
    assert {key: body[key] for key in FULL} == FULL
    assert body["googleAccountId"] is None
    assert body["googleCalendarId"] is None
    assert body["googleConflictCheck"] is False

    fetched = await ws.get(f"/calendars/{body['id']}", token="read")
    assert fetched.status_code == 200
    assert fetched.json() == body

    # The defaults: always available, no attendee limit, no overlap.
    minimal = await ws.calendar()
    assert minimal["availability"] is None
    assert minimal["maxAttendees"] is None
    assert minimal["allowOverlap"] is False
    assert minimal["description"] is None


async def test_list_is_paginated_by_id(ws: WorkspaceFixture, other_ws: WorkspaceFixture) -> None:
    ids = [(await ws.calendar(name=f"Room {n}"))["id"] for n in range(5)]
    await other_ws.calendar(name="Not ours")

    first = await ws.get("/calendars?pageSize=2", token="read")
    assert first.status_code == 200
    assert first.json() == {
        "items": first.json()["items"],
        "total": 5,
        "page": 1,
        "pageSize": 2,
        "pages": 3,
    }
    assert [item["id"] for item in first.json()["items"]] == ids[:2]

    last = (await ws.get("/calendars?pageSize=2&page=3", token="read")).json()
    assert [item["id"] for item in last["items"]] == ids[4:]
    beyond = (await ws.get("/calendars?pageSize=2&page=4", token="read")).json()
    assert beyond["items"] == []
    assert beyond["total"] == 5

    default = (await ws.get("/calendars", token="read")).json()
    assert default["pageSize"] == 20
    assert [item["id"] for item in default["items"]] == ids


async def test_bad_paging_is_422(ws: WorkspaceFixture) -> None:
    for query in ("page=0", "pageSize=0", "pageSize=101", "page=x"):
        response = await ws.get(f"/calendars?{query}", token="read")
        problem = assert_problem(response, 422, "validation_error")
        assert fields_of(problem) <= {"page", "pageSize"}, query


async def test_patch_changes_only_given_fields(ws: WorkspaceFixture) -> None:
    created = await ws.calendar(**FULL)
    response = await ws.patch(
        f"/calendars/{created['id']}",
        token="admin",
        json={"name": "Room C", "maxAttendees": None, "availability": None},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Room C"
    assert body["maxAttendees"] is None
    assert body["availability"] is None
    for kept in ("timezone", "description", "allowOverlap"):
        assert body[kept] == created[kept]
    assert (await ws.get(f"/calendars/{created['id']}")).json() == body

    assert_problem(await ws.get("/calendars/999999", token="read"), 404, "not_found")
    response = await ws.patch("/calendars/999999", token="admin", json={"name": "X"})
    assert_problem(response, 404, "not_found")


async def test_invalid_timezone_is_422_and_writes_nothing(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    created = await ws.calendar()
    for bad in ("Mars/Olympus_Mons", "europe/amsterdam", "localtime", "", "../etc/passwd"):
        response = await ws.post("/calendars", json={"name": "X", "timezone": bad})
        assert fields_of(assert_problem(response, 422, "validation_error")) == {"timezone"}, bad
        response = await ws.patch(f"/calendars/{created['id']}", json={"timezone": bad})
        assert fields_of(assert_problem(response, 422, "validation_error")) == {"timezone"}, bad
    assert await calendar_count(test_db) == 1
    assert (await ws.get(f"/calendars/{created['id']}")).json()["timezone"] == "Europe/Amsterdam"


async def test_invalid_availability_is_422(ws: WorkspaceFixture) -> None:
    bad_bodies = [
        {"weekly": [{"day": "monday", "start": "17:00", "end": "09:00"}]},
        {"weekly": [{"day": "funday", "start": "09:00", "end": "17:00"}]},
        {"weekly": [{"day": "monday", "start": "24:00", "end": "24:00"}]},
        {"weekly": [{"day": "monday", "start": "9:00", "end": "17:00"}]},
        {"exceptions": [{"date": "2026-12-24", "windows": []}] * 2},
    ]
    for availability in bad_bodies:
        response = await ws.post(
            "/calendars", json={"name": "X", "timezone": "UTC", "availability": availability}
        )
        problem = assert_problem(response, 422, "validation_error")
        assert all(field.startswith("availability") for field in fields_of(problem)), problem


async def test_overlapping_windows_are_422_overlapping_windows_on_create_and_patch(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    morning = {"day": "monday", "start": "09:00", "end": "12:00"}
    overlapping = {"weekly": [morning, {"day": "monday", "start": "11:00", "end": "14:00"}]}
    created = await ws.post(
        "/calendars", json={"name": "X", "timezone": "UTC", "availability": overlapping}
    )
    problem = assert_problem(created, 422, "overlapping_windows")
    assert problem["errors"] == [
        {
            "field": "availability.weekly.1",
            "message": "overlaps the window 09:00-12:00 of the same day",
        }
    ]
    assert await calendar_count(test_db) == 0

    calendar = await ws.calendar(availability={"weekly": [morning]})
    day = {"date": "2026-12-24", "windows": [{"start": "08:00", "end": "10:00"}] * 2}
    patched = await ws.patch(
        f"/calendars/{calendar['id']}", json={"availability": {"exceptions": [day]}}
    )
    assert fields_of(assert_problem(patched, 422, "overlapping_windows")) == {
        "availability.exceptions.0.windows.1"
    }
    touching = {"weekly": [morning, {"day": "monday", "start": "12:00", "end": "17:00"}]}
    accepted = await ws.patch(f"/calendars/{calendar['id']}", json={"availability": touching})
    assert accepted.status_code == 200, accepted.text
    assert (await ws.get(f"/calendars/{calendar['id']}")).json()["availability"]["weekly"] == (
        touching["weekly"]
    )


async def test_google_account_of_another_workspace_is_422_account_not_found(
    ws: WorkspaceFixture, other_ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    theirs = await add_account(test_db, other_ws.workspace.id)
    ours = await add_account(test_db, ws.workspace.id)
    link = {"googleCalendarId": "primary"}
    response = await ws.post(
        "/calendars",
        json={"name": "X", "timezone": "UTC", "googleAccountId": theirs, **link},
    )
    problem = assert_problem(response, 422, "account_not_found")
    assert fields_of(problem) == {"googleAccountId"}
    missing = await ws.post(
        "/calendars", json={"name": "X", "timezone": "UTC", "googleAccountId": 999999, **link}
    )
    assert missing.json() == problem
    assert await calendar_count(test_db) == 0

    created = await ws.calendar(googleAccountId=ours, **link)
    assert created["googleAccountId"] == ours
    assert created["googleCalendarId"] == "primary"
    response = await ws.patch(f"/calendars/{created['id']}", json={"googleAccountId": theirs})
    assert_problem(response, 422, "account_not_found")
    assert (await ws.get(f"/calendars/{created['id']}")).json()["googleAccountId"] == ours


async def test_delete_then_404(ws: WorkspaceFixture, test_db: TestDatabase) -> None:
    created = await ws.calendar()
    await ws.delete_for_good(f"/calendars/{created['id']}", created["id"])
    assert await calendar_count(test_db) == 0


async def test_delete_with_events_is_409_calendar_not_empty(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    created = await ws.calendar()
    event = await ws.event(created["id"])
    assert (await ws.post(f"/calendar-events/{event['id']}/cancel")).status_code == 200
    response = await ws.delete(f"/calendars/{created['id']}", token="admin")
    assert_problem(response, 409, "calendar_not_empty")
    assert (await ws.get(f"/calendars/{created['id']}")).status_code == 200

    assert (await ws.delete(f"/calendar-events/{event['id']}")).status_code == 200
    assert (await ws.delete(f"/calendars/{created['id']}")).status_code == 200
    assert await calendar_count(test_db) == 0


async def test_forbidding_overlap_while_events_overlap_is_409(ws: WorkspaceFixture) -> None:
    created = await ws.calendar(allowOverlap=True)
    await ws.event(created["id"])
    await ws.event(created["id"], startTime="2026-04-13T09:15:00", endTime="2026-04-13T10:00:00")
    response = await ws.patch(f"/calendars/{created['id']}", json={"allowOverlap": False})
    assert_problem(response, 409, "slot_conflict")
    assert (await ws.get(f"/calendars/{created['id']}")).json()["allowOverlap"] is True


async def test_deleting_a_calendar_while_it_is_booked_never_fails_with_500(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    await ws.get("/calendars")  # the token's last use is recorded before the race
    for attempt in range(4):
        calendar = await ws.calendar(name=f"Race {attempt}")
        body = {
            "calendarId": calendar["id"],
            "title": "Race",
            "startTime": "2026-04-13T09:00:00",
            "endTime": "2026-04-13T09:30:00",
        }
        deleted, booked = await asyncio.gather(
            ws.delete(f"/calendars/{calendar['id']}"), ws.post("/calendar-events", json=body)
        )
        if deleted.status_code == 200:
            assert_problem(booked, 422, "calendar_not_found")
        else:
            assert booked.status_code == 201, booked.text
            assert_problem(deleted, 409, "calendar_not_empty")
