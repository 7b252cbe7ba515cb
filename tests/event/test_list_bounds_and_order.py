"""Listing edge cases: range filters stay right for long events (the list bounds start_at from
below by the longest event, so one that began long before the window but overlaps it is found),
and titles sort the same on every database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase


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


@pytest.fixture
async def locale_sorted_titles(test_db: TestDatabase) -> AsyncIterator[None]:
    """On PostgreSQL, give events.title a locale collation (ICU, where "alpha" sorts beside
    "Alpha"), as on a server whose default locale is en_US; restored afterwards."""
    if test_db.kind != "postgresql":
        yield
        return
    async with test_db.database.transaction() as session:
        await session.execute(
            text('ALTER TABLE events ALTER COLUMN title TYPE varchar(255) COLLATE "und-x-icu"')
        )
    await test_db.database.engine.dispose()  # pooled connections cached plans of the old column
    yield
    async with test_db.database.transaction() as session:
        await session.execute(
            text('ALTER TABLE events ALTER COLUMN title TYPE varchar(255) COLLATE "default"')
        )
    await test_db.database.engine.dispose()


@pytest.mark.usefixtures("locale_sorted_titles")
async def test_titles_sort_in_code_point_order_whatever_the_collation(
    ws: WorkspaceFixture,
) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    for title in ["beta", "Alpha", "alpha", "Beta", "_under", "Zulu"]:
        await ws.event(calendar["id"], title=title)
    listed = await ws.get("/calendar-events", params={"sortBy": "title"})
    titles = [item["title"] for item in listed.json()["items"]]
    assert titles == ["Alpha", "Beta", "Zulu", "_under", "alpha", "beta"]  # code points
