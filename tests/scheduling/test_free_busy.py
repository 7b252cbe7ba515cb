"""POST /free-busy (CONTRACT §3.4): merged busy intervals per calendar, bounded inputs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import WorkspaceFixture
from tests.support.problems import assert_problem

DAY = {"start": "2026-04-13T00:00:00", "end": "2026-04-14T00:00:00"}


async def free_busy(ws: WorkspaceFixture, body: dict[str, Any]) -> dict[str, Any]:
    response = await ws.post("/free-busy", json=body, token="read")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_merges_touching_and_overlapping_events_and_skips_cancelled(
    ws: WorkspaceFixture,
) -> None:
    room = (await ws.calendar(allowOverlap=True))["id"]
    quiet = (await ws.calendar(name="Quiet", timezone="America/New_York"))["id"]
    for start, end in [
        ("09:00", "10:00"),
        ("10:00", "10:30"),  # touches the one before
        ("10:15", "11:00"),  # overlaps it
        ("13:00", "14:00"),
        ("23:30", "23:59"),
    ]:
        await ws.event(room, startTime=f"2026-04-13T{start}:00", endTime=f"2026-04-13T{end}:00")
    cancelled = await ws.event(room, startTime="2026-04-13T15:00:00", endTime="2026-04-13T16:00:00")
    await ws.post(f"/calendar-events/{cancelled['id']}/cancel")
    # Clipped to the range: the day before and the next day.
    await ws.event(room, startTime="2026-04-12T23:00:00", endTime="2026-04-13T01:00:00")
    await ws.event(room, startTime="2026-04-14T08:00:00", endTime="2026-04-14T09:00:00")

    answer = await free_busy(ws, {"calendarIds": [room, quiet], **DAY})
    assert answer["start"] == "2026-04-13T00:00:00+02:00"
    assert answer["end"] == "2026-04-14T00:00:00+02:00"
    assert answer["calendars"] == {
        str(room): {
            "busy": [
                {"start": "2026-04-13T00:00:00+02:00", "end": "2026-04-13T01:00:00+02:00"},
                {"start": "2026-04-13T09:00:00+02:00", "end": "2026-04-13T11:00:00+02:00"},
                {"start": "2026-04-13T13:00:00+02:00", "end": "2026-04-13T14:00:00+02:00"},
                {"start": "2026-04-13T23:30:00+02:00", "end": "2026-04-13T23:59:00+02:00"},
            ]
        },
        str(quiet): {"busy": []},
    }


async def test_offsets_and_each_calendars_zone(ws: WorkspaceFixture) -> None:
    york = (await ws.calendar(timezone="America/New_York"))["id"]
    await ws.event(york, startTime="2026-04-13T09:00:00", endTime="2026-04-13T10:00:00")
    answer = await free_busy(
        ws, {"calendarIds": [york], "start": "2026-04-13T12:00:00Z", "end": "2026-04-13T14:00Z"}
    )
    assert answer["start"] == "2026-04-13T14:00:00+02:00"  # the workspace's zone
    assert answer["calendars"][str(york)]["busy"] == [
        {"start": "2026-04-13T09:00:00-04:00", "end": "2026-04-13T10:00:00-04:00"}
    ]
    # Naive times are the workspace's (Amsterdam): 15:00-16:00 there is 09:00-10:00 in New York.
    answer = await free_busy(
        ws, {"calendarIds": [york], "start": "2026-04-13T15:00:00", "end": "2026-04-13T15:30:00"}
    )
    assert answer["calendars"][str(york)]["busy"] == [
        {"start": "2026-04-13T09:00:00-04:00", "end": "2026-04-13T09:30:00-04:00"}
    ]


async def test_foreign_or_missing_calendar_is_404(
    ws: WorkspaceFixture, other_ws: WorkspaceFixture
) -> None:
    ours = (await ws.calendar())["id"]
    theirs = (await other_ws.calendar())["id"]
    foreign = assert_problem(
        await ws.post("/free-busy", json={"calendarIds": [ours, theirs], **DAY}), 404, "not_found"
    )
    missing = assert_problem(
        await ws.post("/free-busy", json={"calendarIds": [ours, 999999], **DAY}), 404, "not_found"
    )
    assert foreign == missing


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"calendarIds": list(range(1, 52))}, "validation_error", "calendarIds"),
        ({"calendarIds": []}, "validation_error", "calendarIds"),
        ({"calendarIds": [1, 1]}, "validation_error", "calendarIds"),
        ({"calendarIds": ["1"]}, "validation_error", "calendarIds"),
        ({"end": "2026-06-15T00:00:00"}, "range_too_long", "end"),
        ({"end": "2026-04-12T00:00:00"}, "validation_error", "end"),
        ({"start": "2026-04-13"}, "validation_error", "start"),
        ({"start": 1776000000}, "validation_error", "start"),
        ({"start": "2026-03-29T02:30:00"}, "nonexistent_local_time", "start"),
    ],
)
async def test_bounds_are_422(
    ws: WorkspaceFixture, change: dict[str, Any], code: str, field: str
) -> None:
    cid = (await ws.calendar())["id"]
    body = {"calendarIds": [cid], **DAY, **change}
    problem = assert_problem(await ws.post("/free-busy", json=body), 422, code)
    assert any(error["field"].startswith(field) for error in problem["errors"]), problem


async def test_fifty_calendars_and_62_days_are_accepted(ws: WorkspaceFixture) -> None:
    ids = [(await ws.calendar(name=f"Room {n}"))["id"] for n in range(50)]
    await ws.event(ids[-1])
    answer = await free_busy(
        ws, {"calendarIds": ids, "start": "2026-04-01T00:00:00", "end": "2026-06-02T00:00:00"}
    )
    assert len(answer["calendars"]) == 50
    assert answer["calendars"][str(ids[-1])]["busy"] == [
        {"start": "2026-04-13T09:00:00+02:00", "end": "2026-04-13T09:30:00+02:00"}
    ]
