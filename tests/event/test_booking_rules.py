"""The booking rules of CONTRACT §3.3, in the contract's order, on create and on update.

1. body valid → 422 (endTime after startTime, calendar_not_found, member_not_found)
2. attendee count ≤ maxAttendees → 409 attendee_limit_exceeded
3. inside the calendar's availability → 409 outside_availability
4. no overlap with a live event of the calendar (unless allowOverlap) → 409 slot_conflict

2026-04-13 is a Monday; 2026-04-17 a Friday. Every refusal must leave the database as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from calbridge.event.models import Attendee, Event
from calbridge.outbox.models import OutboxJob
from tests.support.api import WorkspaceFixture
from tests.support.problems import assert_problem

if TYPE_CHECKING:  # a runtime import would make pytest try to collect it as a test class
    from tests.support.databases import TestDatabase

WEEKDAYS_9_TO_17 = {
    "weekly": [
        {"day": day, "start": "09:00", "end": "17:00"}
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
    ],
    "exceptions": [],
}


async def snapshot(test_db: TestDatabase) -> tuple[int, int, int]:
    """(events, attendees, outbox jobs): what a refused booking must leave untouched."""
    async with test_db.database.session(write=False) as session:
        counts = []
        for model in (Event, Attendee, OutboxJob):
            counts.append(await session.scalar(select(func.count()).select_from(model)) or 0)
        return counts[0], counts[1], counts[2]


def booking(calendar_id: int, start: str, end: str) -> dict[str, Any]:
    return {"calendarId": calendar_id, "title": "Booking", "startTime": start, "endTime": end}


class Refusals:
    """Posts bookings that must be refused, and checks each one wrote nothing."""

    def __init__(self, ws: WorkspaceFixture, test_db: TestDatabase) -> None:
        self.ws = ws
        self.test_db = test_db

    async def create(self, body: dict[str, Any], status: int, code: str) -> dict[str, Any]:
        before = await snapshot(self.test_db)
        problem = assert_problem(await self.ws.post("/calendar-events", json=body), status, code)
        assert await snapshot(self.test_db) == before, body
        return problem

    async def update(
        self, event_id: int, body: dict[str, Any], status: int, code: str
    ) -> dict[str, Any]:
        path = f"/calendar-events/{event_id}"
        before, stored = await snapshot(self.test_db), (await self.ws.get(path)).json()
        problem = assert_problem(await self.ws.put(path, json=body), status, code)
        assert await snapshot(self.test_db) == before, body
        assert (await self.ws.get(path)).json() == stored
        return problem


async def test_rule_1_invalid_bodies_are_422(
    ws: WorkspaceFixture, other_ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    refuse = Refusals(ws, test_db)
    calendar = await ws.calendar()
    theirs = await other_ws.calendar()
    mallory = await other_ws.member("Mallory")
    alice = await ws.member("Alice")
    cid = calendar["id"]

    for end in ("2026-04-13T09:00:00", "2026-04-13T08:59:00", "2026-04-13T07:00:00Z"):
        problem = await refuse.create(
            booking(cid, "2026-04-13T09:00:00", end), 422, "validation_error"
        )
        assert [error["field"] for error in problem["errors"]] == ["endTime"]

    for calendar_id in (theirs["id"], 999999):
        problem = await refuse.create(
            booking(calendar_id, "2026-04-13T09:00:00", "2026-04-13T09:30:00"),
            422,
            "calendar_not_found",
        )
        assert [error["field"] for error in problem["errors"]] == ["calendarId"]

    for member_id in (mallory["id"], 999999):
        body = booking(cid, "2026-04-13T09:00:00", "2026-04-13T09:30:00")
        body["attendeeIds"] = [alice["id"], member_id]
        problem = await refuse.create(body, 422, "member_not_found")
        assert {error["field"] for error in problem["errors"]} == {"attendeeIds"}

    event = await ws.event(cid)
    await refuse.update(event["id"], {"calendarId": theirs["id"]}, 422, "calendar_not_found")
    await refuse.update(event["id"], {"attendeeIds": [mallory["id"]]}, 422, "member_not_found")
    await refuse.update(event["id"], {"endTime": "2026-04-13T08:00:00"}, 422, "validation_error")


async def test_rule_2_attendee_limit(ws: WorkspaceFixture, test_db: TestDatabase) -> None:
    refuse = Refusals(ws, test_db)
    calendar = await ws.calendar(maxAttendees=2)
    alice, bob, carol = [(await ws.member(name))["id"] for name in ("Alice", "Bob", "Carol")]
    body = booking(calendar["id"], "2026-04-13T09:00:00", "2026-04-13T09:30:00")
    await refuse.create(
        {**body, "attendeeIds": [alice, bob, carol]}, 409, "attendee_limit_exceeded"
    )
    event = await ws.event(calendar["id"], attendeeIds=[alice, bob])
    await refuse.update(
        event["id"], {"attendeeIds": [alice, bob, carol]}, 409, "attendee_limit_exceeded"
    )

    closed = await ws.calendar(name="Nobody", maxAttendees=0)
    await ws.event(closed["id"])
    await refuse.create(
        {
            **booking(closed["id"], "2026-04-13T10:00:00", "2026-04-13T11:00:00"),
            "attendeeIds": [alice],
        },
        409,
        "attendee_limit_exceeded",
    )


async def test_rule_3_weekly_windows_and_exceptions(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    refuse = Refusals(ws, test_db)
    availability = {
        **WEEKDAYS_9_TO_17,
        "exceptions": [
            {"date": "2026-04-20", "windows": []},
            {"date": "2026-04-27", "windows": [{"start": "10:00", "end": "14:00"}]},
            {"date": "2026-04-19", "windows": [{"start": "12:00", "end": "13:00"}]},
        ],
    }
    cid = (await ws.calendar(availability=availability))["id"]
    outside = [
        ("2026-04-13T08:30:00", "2026-04-13T09:30:00"),  # starts before the window
        ("2026-04-13T16:30:00", "2026-04-13T17:30:00"),  # ends after it
        ("2026-04-18T10:00:00", "2026-04-18T11:00:00"),  # a Saturday
        ("2026-04-20T10:00:00", "2026-04-20T11:00:00"),  # a Monday closed all day
        ("2026-04-27T09:00:00", "2026-04-27T10:30:00"),  # a Monday open 10-14 only
        ("2026-04-27T13:30:00", "2026-04-27T14:30:00"),
        ("2026-04-13T15:00:00Z", "2026-04-13T15:30:00Z"),  # 17:00-17:30 in Amsterdam
    ]
    for start, end in outside:
        await refuse.create(booking(cid, start, end), 409, "outside_availability")
    inside = [
        ("2026-04-13T09:00:00", "2026-04-13T09:30:00"),
        ("2026-04-13T16:30:00", "2026-04-13T17:00:00"),
        ("2026-04-27T10:00:00", "2026-04-27T14:00:00"),
        ("2026-04-19T12:00:00", "2026-04-19T13:00:00"),  # a Sunday opened by its exception
        ("2026-04-14T07:00:00Z", "2026-04-14T15:00:00Z"),  # 09:00-17:00 in Amsterdam
    ]
    events = [await ws.event(cid, startTime=start, endTime=end) for start, end in inside]

    await refuse.update(
        events[0]["id"], {"startTime": "2026-04-13T08:00:00"}, 409, "outside_availability"
    )
    # Only changes of time, calendar or attendees are checked again: a rename still works
    # after the calendar's hours changed under an existing event.
    patched = await ws.patch(f"/calendars/{cid}", json={"availability": {"weekly": []}})
    assert patched.status_code == 200, patched.text
    renamed = await ws.put(f"/calendar-events/{events[0]['id']}", json={"title": "Renamed"})
    assert renamed.status_code == 200, renamed.text


async def test_rule_3_windows_in_the_calendars_zone(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    refuse = Refusals(ws, test_db)
    cid = (await ws.calendar(timezone="America/New_York", availability=WEEKDAYS_9_TO_17))["id"]
    await ws.event(cid, startTime="2026-04-13T09:00:00", endTime="2026-04-13T17:00:00")
    # 09:00 in Amsterdam is 03:00 in New York.
    await refuse.create(
        booking(cid, "2026-04-14T09:00:00+02:00", "2026-04-14T10:00:00+02:00"),
        409,
        "outside_availability",
    )


async def test_rule_3_24_00_ends_and_crossing_midnight(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    refuse = Refusals(ws, test_db)
    availability = {
        "weekly": [
            {"day": "friday", "start": "18:00", "end": "24:00"},
            {"day": "saturday", "start": "00:00", "end": "02:00"},
            {"day": "sunday", "start": "20:00", "end": "24:00"},
        ]
    }
    cid = (await ws.calendar(availability=availability, allowOverlap=True))["id"]
    # Up to the end of Friday.
    await ws.event(cid, startTime="2026-04-17T23:00:00", endTime="2026-04-18T00:00:00")
    # Across midnight, Friday into Saturday: both sides are open and touch.
    crossing = await ws.event(cid, startTime="2026-04-17T23:00:00", endTime="2026-04-18T01:30:00")
    assert crossing["endTime"] == "2026-04-18T01:30:00+02:00"
    # Sunday 24:00 touches nothing on Monday.
    await ws.event(cid, startTime="2026-04-19T23:00:00", endTime="2026-04-20T00:00:00")
    for start, end in [
        ("2026-04-17T23:00:00", "2026-04-18T02:30:00"),  # runs past Saturday's window
        ("2026-04-19T23:00:00", "2026-04-20T00:30:00"),  # Sunday into closed Monday
        ("2026-04-16T23:30:00", "2026-04-17T00:30:00"),  # Thursday is closed
    ]:
        await refuse.create(booking(cid, start, end), 409, "outside_availability")


async def test_rule_4_slot_conflicts(ws: WorkspaceFixture, test_db: TestDatabase) -> None:
    refuse = Refusals(ws, test_db)
    cid = (await ws.calendar())["id"]
    await ws.event(cid, startTime="2026-04-13T09:00:00", endTime="2026-04-13T09:30:00")
    # Touching events share no instant.
    await ws.event(cid, startTime="2026-04-13T09:30:00", endTime="2026-04-13T10:00:00")
    await ws.event(cid, startTime="2026-04-13T08:00:00", endTime="2026-04-13T09:00:00")
    for start, end in [
        ("2026-04-13T09:15:00", "2026-04-13T09:45:00"),
        ("2026-04-13T08:59:00", "2026-04-13T09:01:00"),
        ("2026-04-13T07:00:00", "2026-04-13T11:00:00"),  # contains them
        ("2026-04-13T09:10:00", "2026-04-13T09:20:00"),  # inside one
        ("2026-04-13T07:45:00Z", "2026-04-13T08:15:00Z"),  # same instants, written in UTC
    ]:
        await refuse.create(booking(cid, start, end), 409, "slot_conflict")

    # Another calendar's events do not count.
    other = (await ws.calendar(name="Room B"))["id"]
    await ws.event(other, startTime="2026-04-13T09:15:00", endTime="2026-04-13T09:45:00")

    # A calendar that allows overlap takes any number of events in one slot.
    shared = (await ws.calendar(name="Hall", allowOverlap=True))["id"]
    for _ in range(3):
        await ws.event(shared)


async def test_rules_apply_in_the_contracts_order(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    refuse = Refusals(ws, test_db)
    cid = (await ws.calendar())["id"]
    alice, bob = [(await ws.member(name))["id"] for name in ("Alice", "Bob")]
    # Booked on a Tuesday evening while the calendar was always open; then the calendar
    # changes: Monday mornings only, one attendee at most.
    taken = await ws.event(cid, startTime="2026-04-14T18:00:00", endTime="2026-04-14T19:00:00")
    patched = await ws.patch(
        f"/calendars/{cid}",
        json={
            "maxAttendees": 1,
            "availability": {"weekly": [{"day": "monday", "start": "09:00", "end": "12:00"}]},
        },
    )
    assert patched.status_code == 200, patched.text
    slot = booking(cid, "2026-04-14T18:00:00", "2026-04-14T19:00:00")  # taken, and closed

    # Everything wrong: the body comes first.
    await refuse.create(
        {**slot, "endTime": "2026-04-14T17:00:00", "attendeeIds": [alice, bob, 999999]},
        422,
        "validation_error",
    )
    await refuse.create(
        {**slot, "calendarId": 999999, "attendeeIds": [alice, bob, 999999]},
        422,
        "calendar_not_found",
    )
    await refuse.create({**slot, "attendeeIds": [alice, bob, 999999]}, 422, "member_not_found")
    # Then the attendee limit, then availability, then overlap.
    await refuse.create({**slot, "attendeeIds": [alice, bob]}, 409, "attendee_limit_exceeded")
    await refuse.create({**slot, "attendeeIds": [alice]}, 409, "outside_availability")
    await ws.patch(f"/calendars/{cid}", json={"availability": None})
    await refuse.create({**slot, "attendeeIds": [alice]}, 409, "slot_conflict")

    # The same order on update.
    monday = await ws.event(cid)
    await refuse.update(
        monday["id"],
        {
            "startTime": "2026-04-14T18:30:00",
            "endTime": "2026-04-14T19:30:00",
            "attendeeIds": [alice, bob],
        },
        409,
        "attendee_limit_exceeded",
    )
    await refuse.update(
        monday["id"],
        {"startTime": "2026-04-14T18:30:00", "endTime": "2026-04-14T19:30:00"},
        409,
        "slot_conflict",
    )
    assert taken["id"] != monday["id"]


async def test_end_before_start_comes_before_unknown_calendar(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    """Within rule 1 the contract names endTime first: an inverted range is reported as such
    even when the calendar is unknown too."""
    refuse = Refusals(ws, test_db)
    problem = await refuse.create(
        booking(999999, "2026-04-13T10:00:00", "2026-04-13T09:00:00"), 422, "validation_error"
    )
    assert [error["field"] for error in problem["errors"]] == ["endTime"]
