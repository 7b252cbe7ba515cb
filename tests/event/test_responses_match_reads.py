"""What a write answers is what a read then shows — including the bumped updatedAt and the
outbox snapshot carried by the change."""

from __future__ import annotations

from sqlalchemy import select

from calbridge.outbox.models import OutboxJob
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase


async def test_update_cancel_and_rsvp_answer_the_state_a_read_shows(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    alice = await ws.member("Alice")
    event = await ws.event(calendar["id"], attendeeIds=[alice["id"]])
    path = f"/calendar-events/{event['id']}"

    updated = await ws.put(path, json={"title": "Renamed"})
    assert updated.json() == (await ws.get(path)).json()
    assert updated.json()["updatedAt"] > event["updatedAt"]

    await ws.put(f"{path}/attendees/{alice['id']}", json={"responseStatus": "accepted"})
    cancelled = await ws.post(f"{path}/cancel", json={"reason": "Ill"})
    read = await ws.get(path)
    assert cancelled.json() == read.json()
    assert cancelled.headers["etag"] == read.headers["etag"]

    async with test_db.database.session(write=False) as session:
        jobs = list(await session.scalars(select(OutboxJob).order_by(OutboxJob.id)))
    changes = [(job.payload["change"], job.payload["after"]) for job in jobs]
    assert [change for change, _ in changes] == [
        "created",
        "updated",
        "attendee.responded",
        "cancelled",
    ]
    # Each job carries the event as it was answered at that step; the last is what a read shows.
    assert changes[1][1] == updated.json()
    assert changes[-1][1] == read.json()
