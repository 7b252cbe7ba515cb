"""The booking and calendar rules hold through the panel as through the API: a refused change
shows its reason next to the form and leaves the database as it was."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import func, select

from calbridge.calendar.models import Calendar
from calbridge.event.models import Event
from calbridge.outbox.models import OutboxJob
from calbridge.workspace.models import Workspace
from tests.admin.conftest import Panel, saved_id
from tests.support import databases
from tests.support.api import WorkspaceFixture


async def _counts(test_db: databases.TestDatabase) -> dict[str, int]:
    async with test_db.database.session(write=False) as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Workspace, Calendar, Event, OutboxJob)
        }


async def _book(panel: Panel, ws: WorkspaceFixture, **fields: Any) -> str:
    response = await panel.add(ws.uuid, "events", fields)
    assert response.status_code == 422, response.text
    return html.unescape(response.text)


async def test_an_overlapping_booking_is_refused(
    panel: Panel, ws: WorkspaceFixture, test_db: databases.TestDatabase
) -> None:
    calendar = await ws.calendar()
    taken = await ws.event(calendar["id"])  # 09:00-09:30 local
    before = await _counts(test_db)
    page = await _book(
        panel,
        ws,
        calendar_id=calendar["id"],
        title="Clash",
        start_time="2026-04-13T09:15",
        end_time="2026-04-13T09:45",
    )
    # The detail names the conflicting event (CONTRACT §3.3 with policies).
    assert f"The slot is already booked: it overlaps event {taken['id']}." in page
    assert 'value="Clash"' in page  # the form keeps what was typed
    assert await _counts(test_db) == before


async def test_a_booking_over_the_attendee_limit_is_refused(
    panel: Panel, ws: WorkspaceFixture, test_db: databases.TestDatabase
) -> None:
    calendar = await ws.calendar(maxAttendees=1)
    alice, bob = await ws.member("Alice"), await ws.member("Bob")
    before = await _counts(test_db)
    page = await _book(
        panel,
        ws,
        calendar_id=calendar["id"],
        title="Crowd",
        start_time="2026-04-13T10:00",
        end_time="2026-04-13T11:00",
        attendee_ids=[alice["id"], bob["id"]],
    )
    assert "This calendar allows at most 1 attendees." in page
    assert await _counts(test_db) == before


async def test_the_same_form_books_when_the_rules_allow(
    panel: Panel, ws: WorkspaceFixture, test_db: databases.TestDatabase
) -> None:
    calendar = await ws.calendar(maxAttendees=1)
    alice = await ws.member("Alice")
    response = await panel.add(
        ws.uuid,
        "events",
        {
            "calendar_id": calendar["id"],
            "title": "Fits",
            "start_time": "2026-04-13T10:00",
            "end_time": "2026-04-13T11:00",
            "attendee_ids": [alice["id"]],
        },
    )
    assert response.status_code == 303
    event_id = saved_id(response)
    api = (await ws.get(f"/calendar-events/{event_id}")).json()
    assert api["startTime"] == "2026-04-13T10:00:00+02:00"
    assert [a["memberId"] for a in api["attendees"]] == [alice["id"]]


async def test_an_unknown_time_zone_is_refused_on_create_and_edit(
    panel: Panel, ws: WorkspaceFixture, test_db: databases.TestDatabase
) -> None:
    calendar = await ws.calendar(name="Room A")
    before = await _counts(test_db)
    created = await panel.add(
        ws.uuid, "calendars", {"name": "Room B", "timezone": "Mars/Olympus_Mons"}
    )
    assert created.status_code == 422
    assert 'data-field="timezone"' in created.text
    assert "unknown time zone" in html.unescape(created.text)

    edited = await panel.post(
        f"/admin/w/{ws.uuid}/calendars/{calendar['id']}",
        {
            "name": "Renamed",
            "timezone": "Europe/Atlantis",
            "availability": "hours",
            "open-monday": "on",
            "monday-start": "09:00",
            "monday-end": "17:00",
        },
    )
    assert edited.status_code == 422
    assert 'data-field="timezone"' in edited.text

    workspace = await panel.post("/admin/workspaces", {"name": "Z", "timezone": "Nowhere/City"})
    assert workspace.status_code == 422
    assert "Unknown time zone" in html.unescape(workspace.text)

    assert await _counts(test_db) == before
    api = (await ws.get(f"/calendars/{calendar['id']}")).json()
    assert (api["name"], api["timezone"], api["availability"]) == (
        "Room A",
        "Europe/Amsterdam",
        None,
    )


async def test_a_calendar_is_saved_with_its_weekly_windows_and_exceptions(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    response = await panel.add(
        ws.uuid,
        "calendars",
        {
            "name": "Studio",
            "timezone": "America/New_York",
            "max_attendees": "4",
            "availability": "hours",
            "open-monday": "on",
            "monday-start": ["09:00", ""],
            "monday-end": ["17:00", ""],
            "open-tuesday": "on",
            "tuesday-start": "10:00",
            "tuesday-end": "12:00",
            "wednesday-start": "08:00",  # Wednesday is off: its hours are not saved
            "wednesday-end": "09:00",
            "exception-0-date": "2026-12-24",
            "exception-4-date": "2026-12-27",
            "exception-4-start": ["10:00", "15:00"],
            "exception-4-end": ["14:00", "16:00"],
            "exception-5-date": "",
        },
    )
    assert response.status_code == 303, response.text
    calendar_id = saved_id(response)
    api = (await ws.get(f"/calendars/{calendar_id}")).json()
    assert api["timezone"] == "America/New_York"
    assert api["maxAttendees"] == 4
    assert api["allowOverlap"] is False
    assert api["availability"] == {
        "weekly": [
            {"day": "monday", "start": "09:00", "end": "17:00"},
            {"day": "tuesday", "start": "10:00", "end": "12:00"},
        ],
        "exceptions": [
            {"date": "2026-12-24", "windows": []},
            {
                "date": "2026-12-27",
                "windows": [{"start": "10:00", "end": "14:00"}, {"start": "15:00", "end": "16:00"}],
            },
        ],
    }


async def test_a_bad_window_is_shown_next_to_the_editor_and_nothing_is_saved(
    panel: Panel, ws: WorkspaceFixture, test_db: databases.TestDatabase
) -> None:
    before = await _counts(test_db)
    response = await panel.add(
        ws.uuid,
        "calendars",
        {
            "name": "Backwards",
            "timezone": "UTC",
            "availability": "hours",
            "open-monday": "on",
            "monday-start": "17:00",
            "monday-end": "09:00",
        },
    )
    assert response.status_code == 422
    assert 'id="weekly-monday-0-error"' in response.text
    assert "End must be after start." in response.text
    assert await _counts(test_db) == before
