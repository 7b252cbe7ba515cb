"""Offsets with seconds (Amsterdam Mean Time until 1937: +01:19:32) are written whole, so the
instant an answer names is the instant that was booked."""

from __future__ import annotations

from datetime import datetime

from tests.support.api import WorkspaceFixture


async def test_an_offset_with_seconds_keeps_them(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(timezone="Europe/Amsterdam")
    event = await ws.event(
        calendar["id"], startTime="1920-06-01T10:00:00Z", endTime="1920-06-01T11:00:00Z"
    )
    assert event["startTime"] == "1920-06-01T11:19:32+01:19:32"
    assert event["endTime"] == "1920-06-01T12:19:32+01:19:32"
    read = (await ws.get(f"/calendar-events/{event['id']}")).json()
    listed = (await ws.get("/calendar-events?startDate=1920-01-01T00:00:00Z")).json()["items"]
    for shown in (event, read, listed[0]):
        assert datetime.fromisoformat(shown["startTime"]) == datetime.fromisoformat(
            "1920-06-01T10:00:00+00:00"
        )


async def test_offsets_in_whole_minutes_are_written_as_before(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(timezone="Europe/Amsterdam")
    event = await ws.event(calendar["id"])
    assert event["startTime"] == "2026-04-13T09:00:00+02:00"


async def test_free_busy_keeps_the_seconds_too(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(timezone="Europe/Amsterdam")
    await ws.event(calendar["id"], startTime="1920-06-01T10:00:00Z", endTime="1920-06-01T11:00:00Z")
    body = {
        "calendarIds": [calendar["id"]],
        "start": "1920-06-01T00:00Z",
        "end": "1920-06-02T00:00Z",
    }
    response = await ws.post("/free-busy", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["calendars"][str(calendar["id"])]["busy"] == [
        {"start": "1920-06-01T11:19:32+01:19:32", "end": "1920-06-01T12:19:32+01:19:32"}
    ]
