"""Limits that keep one request from monopolising the database."""

from __future__ import annotations

from sqlalchemy import func, select

from calbridge.event.models import Event
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase


async def test_an_event_longer_than_a_year_is_refused_and_nothing_is_written(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar(
        availability={"weekly": [{"day": "monday", "start": "00:00", "end": "24:00"}]}
    )
    body = {
        "calendarId": calendar["id"],
        "title": "Forever",
        "startTime": "1900-01-01T00:00:00",
        "endTime": "2200-01-01T00:00:00",
    }
    response = await ws.post("/calendar-events", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "event_too_long"
    assert response.json()["errors"][0]["field"] == "endTime"
    async with test_db.database.session(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 0


async def test_an_event_of_exactly_a_year_is_accepted(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    event = await ws.event(
        calendar["id"], startTime="2026-01-01T00:00:00", endTime="2027-01-02T00:00:00"
    )
    assert event["endTime"].startswith("2027-01-02")
