"""One list page is at most ``MAX_PAGE_BYTES`` of JSON: a page of big events is refused with a
pageSize that fits, instead of tens of megabytes."""

from __future__ import annotations

from sqlalchemy import text

from calbridge.event.endpoints import MAX_PAGE_BYTES
from calbridge.event.schemas import MAX_ATTENDEES
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase


async def test_a_page_of_big_events_is_refused_with_a_page_size_that_fits(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    members = [await ws.member(f"Member{i}") for i in range(MAX_ATTENDEES)]
    for _ in range(6):
        await ws.event(calendar["id"], attendeeIds=[m["id"] for m in members])
    async with test_db.database.transaction() as session:  # the longest comments an RSVP allows
        await session.execute(text("UPDATE attendees SET comment = :c"), {"c": "c" * 2000})

    response = await ws.get("/calendar-events?pageSize=20", token="read")
    assert response.status_code == 422, response.text[:300]
    problem = response.json()
    assert problem["code"] == "page_too_large"
    assert "pageSize=4" in problem["detail"]

    pages = [await ws.get(f"/calendar-events?pageSize=4&page={n}", token="read") for n in (1, 2)]
    assert [page.status_code for page in pages] == [200, 200]
    assert all(len(page.content) <= MAX_PAGE_BYTES for page in pages)
    assert sum(len(page.json()["items"]) for page in pages) == 6
