"""Event actions (set_status, add_attendee, cancel_event) go through the event service, do not
start rules again, and a refused action fails visibly and changes nothing. Also the dry run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from calbridge.outbox.models import OutboxJob
from calbridge.outbox.worker import Worker
from tests.rules.conftest import Receiver, make_rule, runs
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase as Db


async def _event(ws: WorkspaceFixture, event_id: int) -> dict[str, Any]:
    response = await ws.get(f"/calendar-events/{event_id}")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


async def test_set_status_does_not_trigger_rules_again(
    ws: WorkspaceFixture, worker: Worker, receiver: Receiver, test_db: Db
) -> None:
    calendar = await ws.calendar()
    # Both rules would fire on the change the first one makes, if rule changes started rules.
    rule = await make_rule(
        ws,
        triggers=["event.created", "event.updated"],
        actions=[{"type": "set_status", "status": "tentative"}],
    )
    watcher = await make_rule(
        ws, triggers=["event.updated"], actions=[{"type": "webhook", "url": receiver.url}]
    )
    event = await ws.event(calendar["id"])
    await worker.drain()
    assert (await _event(ws, event["id"]))["status"] == "tentative"
    [run] = await runs(ws, rule["id"])
    assert run["status"] == "succeeded"
    assert run["change"] == "event.created"
    assert await runs(ws, watcher["id"]) == []
    assert receiver.requests == []
    async with test_db.database.session(write=False) as session:
        jobs = (
            await session.scalars(select(OutboxJob).where(OutboxJob.kind == "event.changed"))
        ).all()
    origins = sorted(str(job.payload.get("origin")) for job in jobs)
    assert origins == ["None", "rule"]  # the rule's change was recorded, and marked


async def test_add_attendee(ws: WorkspaceFixture, worker: Worker) -> None:
    calendar = await ws.calendar(maxAttendees=2)
    alice, bob = await ws.member("Alice"), await ws.member("Bob")
    rule = await make_rule(ws, actions=[{"type": "add_attendee", "memberId": bob["id"]}])
    event = await ws.event(calendar["id"], attendeeIds=[alice["id"]])
    await worker.drain()
    attendees = (await _event(ws, event["id"]))["attendees"]
    assert [a["memberId"] for a in attendees] == [alice["id"], bob["id"]]
    [run] = await runs(ws, rule["id"])
    assert run["actions"][0]["status"] == "succeeded"


async def test_add_attendee_over_the_limit_fails_visibly_and_changes_nothing(
    ws: WorkspaceFixture, worker: Worker
) -> None:
    calendar = await ws.calendar(maxAttendees=1)
    alice, bob = await ws.member("Alice"), await ws.member("Bob")
    rule = await make_rule(
        ws,
        actions=[
            {"type": "add_attendee", "memberId": bob["id"]},
            {"type": "set_status", "status": "tentative"},
        ],
    )
    event = await ws.event(calendar["id"], attendeeIds=[alice["id"]])
    before = await _event(ws, event["id"])
    await worker.drain()
    [run] = await runs(ws, rule["id"])
    assert run["status"] == "failed"
    failed, later = run["actions"]
    assert failed["status"] == "failed"
    assert failed["error"].startswith("attendee_limit_exceeded")
    assert later["status"] == "succeeded"  # the next action still ran
    after = await _event(ws, event["id"])
    assert [a["memberId"] for a in after["attendees"]] == [alice["id"]]
    assert after["status"] == "tentative"
    assert after["updatedAt"] != before["updatedAt"]


async def test_cancel_event(ws: WorkspaceFixture, worker: Worker) -> None:
    calendar = await ws.calendar()
    rule = await make_rule(
        ws,
        conditions=[{"field": "title", "op": "contains", "value": "spam"}],
        actions=[{"type": "cancel_event", "reason": "spam filter"}],
    )
    spam = await ws.event(calendar["id"], title="Buy spam now")
    fine = await ws.event(
        calendar["id"], startTime="2026-04-13T11:00:00", endTime="2026-04-13T11:30:00"
    )
    await worker.drain()
    cancelled = await _event(ws, spam["id"])
    assert (cancelled["status"], cancelled["cancellationReason"]) == ("cancelled", "spam filter")
    assert (await _event(ws, fine["id"]))["status"] == "confirmed"
    assert [run["eventId"] for run in await runs(ws, rule["id"])] == [spam["id"]]


async def test_disabled_rules_do_nothing(ws: WorkspaceFixture, worker: Worker) -> None:
    calendar = await ws.calendar()
    rule = await make_rule(
        ws, enabled=False, actions=[{"type": "set_status", "status": "tentative"}]
    )
    event = await ws.event(calendar["id"])
    await worker.drain()
    assert (await _event(ws, event["id"]))["status"] == "confirmed"
    assert await runs(ws, rule["id"]) == []


async def test_rules_see_deletions_and_responses(
    ws: WorkspaceFixture, worker: Worker, receiver: Receiver
) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    rule = await make_rule(
        ws,
        triggers=["attendee.responded", "event.deleted"],
        actions=[{"type": "webhook", "url": receiver.url}],
    )
    event = await ws.event(calendar["id"], attendeeIds=[alice["id"]])
    rsvp = await ws.put(
        f"/calendar-events/{event['id']}/attendees/{alice['id']}",
        json={"responseStatus": "accepted"},
    )
    assert rsvp.status_code == 200
    assert (await ws.delete(f"/calendar-events/{event['id']}", token="admin")).status_code == 200
    await worker.drain()
    assert [run["change"] for run in reversed(await runs(ws, rule["id"]))] == [
        "attendee.responded",
        "event.deleted",
    ]
    assert len(receiver.requests) == 2


async def test_the_dry_run_reports_and_sends_without_recording(
    ws: WorkspaceFixture, worker: Worker, receiver: Receiver
) -> None:
    calendar = await ws.calendar()
    rule = await make_rule(
        ws,
        triggers=["event.updated"],
        conditions=[{"field": "durationMinutes", "op": "gte", "value": 30}],
        actions=[
            {"type": "webhook", "url": receiver.url},
            {"type": "cancel_event"},
        ],
    )
    event = await ws.event(calendar["id"])
    response = await ws.post(
        f"/event-rules/{rule['id']}/test", json={"eventId": event["id"]}, token="admin"
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["matched"] is True
    assert report["conditions"][0]["passed"] is True
    webhook, cancel = report["actions"]
    assert (webhook["status"], webhook["responseStatus"]) == ("succeeded", 200)
    assert cancel["would"] == "cancel the event"
    assert len(receiver.requests) == 1
    assert (await _event(ws, event["id"]))["status"] == "confirmed"
    await worker.drain()
    assert await runs(ws, rule["id"]) == []
    missing = await ws.post(f"/event-rules/{rule['id']}/test", json={"eventId": 999}, token="admin")
    assert missing.status_code == 404
