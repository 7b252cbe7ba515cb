"""Listing edge cases: range filters stay right for long events (the list bounds start_at from
below by the longest event, so one that began long before the window but overlaps it is found),
and titles sort the same on every database."""

from __future__ import annotations

from tests.support.api import WorkspaceFixture


async def test_a_long_event_that_began_before_the_window_is_listed(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    conference = await ws.event(
        calendar["id"],
        title="Conference",
        startTime="2026-05-01T09:00:00",
        endTime="2026-05-10T17:00:00",
    )
    await ws.event(
        calendar["id"],
        title="Short, earlier",
        startTime="2026-05-01T09:00:00",
        endTime="2026-05-01T10:00:00",
    )
    window = {"startDate": "2026-05-08T00:00:00", "endDate": "2026-05-09T00:00:00"}

    for params in ({**window, "calendarId": calendar["id"]}, window):
        listed = await ws.get("/calendar-events", params=params)
        assert listed.status_code == 200
        assert [item["id"] for item in listed.json()["items"]] == [conference["id"]]
        assert listed.json()["total"] == 1


async def test_a_moved_event_keeps_the_bound_right(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    event = await ws.event(calendar["id"])
    moved = await ws.put(
        f"/calendar-events/{event['id']}",
        json={"startTime": "2026-06-01T09:00:00", "endTime": "2026-06-20T09:00:00"},
    )
    assert moved.status_code == 200
    listed = await ws.get(
        "/calendar-events",
        params={"startDate": "2026-06-15T00:00:00", "endDate": "2026-06-16T00:00:00"},
    )
    assert [item["id"] for item in listed.json()["items"]] == [event["id"]]


async def test_titles_sort_in_code_point_order_on_every_database(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    for title in ["beta", "Alpha", "alpha", "Beta", "_under", "Zulu"]:
        await ws.event(calendar["id"], title=title)
    listed = await ws.get("/calendar-events", params={"sortBy": "title"})
    titles = [item["title"] for item in listed.json()["items"]]
    assert titles == sorted(titles)  # Python compares strings by code point
    assert titles == ["Alpha", "Beta", "Zulu", "_under", "alpha", "beta"]
