"""A change's jobs carry the event once and a bounded summary of what changed, not two whole
snapshots per job: an RSVP on a full event stores little more than the event itself."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from calbridge.event.schemas import MAX_ATTENDEES
from calbridge.outbox.worker import Worker
from tests.rules.conftest import Receiver, make_rule, runs
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase


async def _payload_bytes(test_db: TestDatabase, after_job: int) -> int:
    async with test_db.database.session(write=False) as session:
        rows = await session.execute(
            text("SELECT payload FROM outbox_jobs WHERE id > :id"), {"id": after_job}
        )
        return sum(len(json.dumps(row[0])) for row in rows)


async def _last_job(test_db: TestDatabase) -> int:
    async with test_db.database.session(write=False) as session:
        return int(await session.scalar(text("SELECT COALESCE(MAX(id), 0) FROM outbox_jobs")))


async def test_an_rsvp_on_a_full_event_stores_a_bounded_change(
    ws: WorkspaceFixture, worker: Worker, test_db: TestDatabase, receiver: Receiver
) -> None:
    calendar = await ws.calendar()
    members = [await ws.member(f"Member{i}") for i in range(MAX_ATTENDEES)]
    event = await ws.event(calendar["id"], attendeeIds=[m["id"] for m in members])
    rule = await make_rule(
        ws,
        triggers=["attendee.responded"],
        actions=[{"type": "webhook", "url": receiver.url}],
    )
    await worker.drain()
    last = await _last_job(test_db)

    member = members[7]["id"]
    answer = {"responseStatus": "accepted", "comment": "see you"}
    response = await ws.put(f"/calendar-events/{event['id']}/attendees/{member}", json=answer)
    assert response.status_code == 200, response.text
    await worker.drain()

    event_bytes = len(json.dumps((await ws.get(f"/calendar-events/{event['id']}")).json()))
    # The event once in event.changed and once in rules.run, a few ids in google.sync (was six
    # whole snapshots: before and after in each of the three jobs).
    assert await _payload_bytes(test_db, last) < 2.5 * event_bytes
    # Rules still see the event as it is after the change.
    [delivered] = receiver.requests
    body: dict[str, Any] = json.loads(delivered.body)
    assert body["data"]["ruleId"] == rule["id"]
    [seen] = [a for a in body["data"]["event"]["attendees"] if a["memberId"] == member]
    assert (seen["responseStatus"], seen["comment"]) == ("accepted", "see you")


async def test_an_update_sends_rules_the_event_before_and_after(
    ws: WorkspaceFixture, worker: Worker, receiver: Receiver
) -> None:
    calendar = await ws.calendar()
    ann, bob, cy = [await ws.member(name) for name in ("Ann", "Bob", "Cy")]
    event = await ws.event(calendar["id"], title="Intro", attendeeIds=[ann["id"], bob["id"]])
    await ws.put(
        f"/calendar-events/{event['id']}/attendees/{bob['id']}",
        json={"responseStatus": "declined"},
    )
    await make_rule(
        ws, triggers=["event.updated"], actions=[{"type": "webhook", "url": receiver.url}]
    )
    old = (await ws.get(f"/calendar-events/{event['id']}")).json()
    update = {"title": "Intro call", "attendeeIds": [cy["id"], ann["id"]]}
    response = await ws.put(f"/calendar-events/{event['id']}", json=update)
    assert response.status_code == 200, response.text
    await worker.drain()
    [delivered] = receiver.requests
    data = json.loads(delivered.body)["data"]
    assert data["before"] == old
    assert data["event"] == response.json()


async def test_an_event_takes_at_most_the_attendee_cap(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar()
    members = [await ws.member(f"Member{i}") for i in range(MAX_ATTENDEES + 1)]
    body = {
        "calendarId": calendar["id"],
        "title": "All hands",
        "startTime": "2026-04-13T09:00:00",
        "endTime": "2026-04-13T09:30:00",
        "attendeeIds": [m["id"] for m in members],
    }
    response = await ws.post("/calendar-events", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert "attendeeIds" in json.dumps(problem)


async def test_a_rule_adding_an_attendee_past_the_cap_fails_its_action(
    ws: WorkspaceFixture, worker: Worker
) -> None:
    calendar = await ws.calendar()
    members = [await ws.member(f"Member{i}") for i in range(MAX_ATTENDEES + 1)]
    rule = await make_rule(ws, actions=[{"type": "add_attendee", "memberId": members[-1]["id"]}])
    event = await ws.event(calendar["id"], attendeeIds=[m["id"] for m in members[:-1]])
    await worker.drain()
    [run] = await runs(ws, rule["id"])
    [outcome] = run["actions"]
    assert outcome["status"] == "failed"
    assert outcome["error"].startswith("validation_error:")
    shown = (await ws.get(f"/calendar-events/{event['id']}")).json()
    assert len(shown["attendees"]) == MAX_ATTENDEES
