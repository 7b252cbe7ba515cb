"""GET /calendars/{id}/slots (CONTRACT §3.4): the grid, its inputs and their bounds.

"Now" is fixed at Monday 2026-04-13 08:00 in Amsterdam.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.event.test_booking_rules import WEEKDAYS_9_TO_17
from tests.support.api import WorkspaceFixture, add_booking_token
from tests.support.clock import freeze
from tests.support.problems import assert_problem

if TYPE_CHECKING:  # a runtime import would make pytest try to collect it as a test class
    from tests.support.databases import TestDatabase

NOW = datetime(2026, 4, 13, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
async def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, NOW)


async def slots(ws: WorkspaceFixture, calendar_id: int, **query: Any) -> list[tuple[str, str]]:
    response = await ws.get(f"/calendars/{calendar_id}/slots", params=query)
    assert response.status_code == 200, response.text
    return [(slot["start"], slot["end"]) for slot in response.json()["slots"]]


def starts(found: list[tuple[str, str]]) -> list[str]:
    return [start[11:16] for start, _ in found]


async def test_answer_shape_and_the_grid_inside_windows(ws: WorkspaceFixture) -> None:
    availability = {
        "weekly": [{"day": "tuesday", "start": "09:00", "end": "10:40"}],
        "exceptions": [],
    }
    cid = (await ws.calendar(availability=availability))["id"]
    response = await ws.get(
        f"/calendars/{cid}/slots",
        params={"start": "2026-04-14T00:00:00", "end": "2026-04-15T00:00:00"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "calendarId": cid,
        "timezone": "Europe/Amsterdam",
        "duration": 30,
        "slots": [
            {"start": "2026-04-14T09:00:00+02:00", "end": "2026-04-14T09:30:00+02:00"},
            {"start": "2026-04-14T09:30:00+02:00", "end": "2026-04-14T10:00:00+02:00"},
            {"start": "2026-04-14T10:00:00+02:00", "end": "2026-04-14T10:30:00+02:00"},
        ],
    }
    # step: every 20 minutes while the candidate ends inside the window (10:40).
    found = await slots(
        ws, cid, start="2026-04-14T00:00:00", end="2026-04-15T00:00:00", duration=40, step=20
    )
    assert starts(found) == ["09:00", "09:20", "09:40", "10:00"]


async def test_existing_events_buffers_notice_and_horizon(ws: WorkspaceFixture) -> None:
    cid = (
        await ws.calendar(
            availability=WEEKDAYS_9_TO_17,
            bufferAfterMinutes=30,
            minNoticeMinutes=120,
            maxAdvanceDays=1,
        )
    )["id"]
    await ws.event(cid, startTime="2026-04-13T12:00:00", endTime="2026-04-13T13:00:00")
    cancelled = await ws.event(cid, startTime="2026-04-13T15:00:00", endTime="2026-04-13T16:00:00")
    await ws.post(f"/calendar-events/{cancelled['id']}/cancel")
    found = await slots(ws, cid, start="2026-04-13T00:00:00", end="2026-04-15T00:00:00", step=30)
    # Monday: notice until 10:00; 11:30-12:00 and 13:00-13:30 are too close to 12:00-13:00
    # (buffer); the cancelled event frees 15:00-16:00. Tuesday up to 08:00 (horizon): closed.
    assert starts(found) == [
        "10:00", "10:30", "11:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30",
    ]  # fmt: skip
    assert all(start.startswith("2026-04-13") for start, _ in found)


async def test_without_availability_the_grid_starts_at_local_midnight(
    ws: WorkspaceFixture,
) -> None:
    cid = (await ws.calendar(timezone="America/New_York"))["id"]
    found = await slots(
        ws, cid, start="2026-04-20T00:00:00", end="2026-04-21T00:00:00", duration=240
    )
    assert starts(found) == ["00:00", "04:00", "08:00", "12:00", "16:00", "20:00"]
    assert found[0][0] == "2026-04-20T00:00:00-04:00"


async def test_a_dst_change_day_keeps_the_grid_on_real_instants(ws: WorkspaceFixture) -> None:
    # 2026-03-29 in Amsterdam skips 02:00-03:00: from midnight, 60-minute steps of elapsed time.
    cid = (await ws.calendar())["id"]
    found = await slots(
        ws, cid, start="2026-03-29T00:00:00", end="2026-03-29T06:00:00", duration=60
    )
    assert found[:3] == [
        ("2026-03-29T00:00:00+01:00", "2026-03-29T01:00:00+01:00"),
        ("2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00"),
        ("2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"),
    ]
    # 2026-10-25 repeats 02:00-03:00: both hours are slots.
    found = await slots(
        ws, cid, start="2026-10-25T01:00:00", end="2026-10-25T04:00:00", duration=60
    )
    assert [start for start, _ in found] == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T03:00:00+01:00",
    ]


async def test_naive_offset_and_timezone_inputs(ws: WorkspaceFixture) -> None:
    cid = (await ws.calendar(availability=WEEKDAYS_9_TO_17))["id"]
    local = await slots(ws, cid, start="2026-04-14T09:00:00", end="2026-04-14T10:00:00")
    offset = await slots(ws, cid, start="2026-04-14T07:00:00Z", end="2026-04-14T08:00:00+00:00")
    assert (
        local
        == offset
        == [
            ("2026-04-14T09:00:00+02:00", "2026-04-14T09:30:00+02:00"),
            ("2026-04-14T09:30:00+02:00", "2026-04-14T10:00:00+02:00"),
        ]
    )
    # With timezone, naive inputs are read and answers given in that zone.
    response = await ws.get(
        f"/calendars/{cid}/slots",
        params={
            "start": "2026-04-14T03:00:00",
            "end": "2026-04-14T04:00:00",
            "timezone": "America/New_York",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == "America/New_York"
    assert response.json()["slots"] == [
        {"start": "2026-04-14T03:00:00-04:00", "end": "2026-04-14T03:30:00-04:00"},
        {"start": "2026-04-14T03:30:00-04:00", "end": "2026-04-14T04:00:00-04:00"},
    ]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"start": "2026-04-01T00:00:00", "end": "2026-06-02T00:00:01"}, "range_too_long", "end"),
        ({"start": "2026-04-01T00:00:00Z", "end": "2026-06-03T00:00:00Z"}, "range_too_long", "end"),
        ({"duration": 4}, "validation_error", "duration"),
        ({"duration": 1441}, "validation_error", "duration"),
        ({"duration": "30.0"}, "validation_error", "duration"),
        ({"step": 4}, "validation_error", "step"),
        ({"step": 1441}, "validation_error", "step"),
        ({"end": "2026-04-13T00:00:00"}, "validation_error", "end"),
        ({"start": "2026-04-13"}, "validation_error", "start"),
        ({"start": "1776000000"}, "validation_error", "start"),
        ({"start": "2026-03-29T02:30:00"}, "nonexistent_local_time", "start"),
        ({"timezone": "Mars/Olympus"}, "validation_error", "timezone"),
    ],
)
async def test_bounds_are_422(
    ws: WorkspaceFixture, query: dict[str, Any], code: str, field: str
) -> None:
    cid = (await ws.calendar())["id"]
    params = {"start": "2026-04-13T00:00:00", "end": "2026-04-14T00:00:00", **query}
    problem = assert_problem(await ws.get(f"/calendars/{cid}/slots", params=params), 422, code)
    assert field in [error["field"] for error in problem["errors"]], problem


async def test_the_longest_range_and_the_widest_bounds_are_accepted(ws: WorkspaceFixture) -> None:
    cid = (await ws.calendar(timezone="UTC"))["id"]
    found = await slots(
        ws, cid, start="2026-04-01T00:00:00Z", end="2026-06-02T00:00:00Z", duration=1440, step=1440
    )
    assert len(found) == 62
    found = await slots(
        ws, cid, start="2026-04-13T00:00:00", end="2026-04-13T00:10:00", duration=5, step=5
    )
    assert len(found) == 2


async def test_foreign_or_missing_calendar_is_404(
    ws: WorkspaceFixture, other_ws: WorkspaceFixture
) -> None:
    theirs = (await other_ws.calendar())["id"]
    params = {"start": "2026-04-13T00:00:00", "end": "2026-04-14T00:00:00"}
    foreign = assert_problem(
        await ws.get(f"/calendars/{theirs}/slots", params=params), 404, "not_found"
    )
    missing = assert_problem(
        await ws.get("/calendars/999999/slots", params=params), 404, "not_found"
    )
    assert foreign == missing


async def test_read_scope_is_enough_and_slots_book_for_a_write_token(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    await add_booking_token(ws, test_db)
    cid = (await ws.calendar(availability=WEEKDAYS_9_TO_17, minNoticeMinutes=60))["id"]
    response = await ws.get(
        f"/calendars/{cid}/slots",
        params={"start": "2026-04-13T08:00:00", "end": "2026-04-13T10:00:00"},
        token="read",
    )
    assert response.status_code == 200, response.text
    first = response.json()["slots"][0]
    assert first["start"] == "2026-04-13T09:00:00+02:00"
    booked = await ws.post(
        "/calendar-events",
        json={
            "calendarId": cid,
            "title": "Slot",
            "startTime": first["start"],
            "endTime": first["end"],
        },
        token="rw",
    )
    assert booked.status_code == 201, booked.text
