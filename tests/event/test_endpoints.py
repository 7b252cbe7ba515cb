"""Calendar events over HTTP (CONTRACT §3.3): create, get, update, delete, cancel, attendees, RSVP.

Amsterdam is +02:00 in summer (CEST) and +01:00 in winter (CET); 2026-03-29 02:00-03:00 does not
exist there and 2026-10-25 02:00-03:00 happens twice. Expected offsets are written out by hand.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from calbridge.account.models import Account
from calbridge.event.models import Event
from calbridge.outbox.models import OutboxJob
from tests.support.api import WorkspaceFixture
from tests.support.problems import assert_problem

if TYPE_CHECKING:  # a runtime import would make pytest try to collect it as a test class
    from tests.support.databases import TestDatabase

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def in_amsterdam_offset(text: str) -> bool:
    """Whether a timestamp carries the offset Amsterdam has at that instant."""
    value = instant(text)
    return value.utcoffset() == value.astimezone(AMSTERDAM).utcoffset()


async def event_count(test_db: TestDatabase) -> int:
    async with test_db.database.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(Event)) or 0


async def changes(test_db: TestDatabase, event_id: int) -> list[str]:
    """The ``change`` of every event.changed job of the event, oldest first."""
    async with test_db.database.session(write=False) as session:
        jobs = await session.scalars(
            select(OutboxJob)
            .where(OutboxJob.kind == "event.changed", OutboxJob.ordering_key == f"event:{event_id}")
            .order_by(OutboxJob.id)
        )
        return [job.payload["change"] for job in jobs]


async def test_create_is_201_with_location_etag_and_local_times(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    response = await ws.post(
        "/calendar-events",
        token="write",
        json={
            "calendarId": calendar["id"],
            "title": "Intro call",
            "startTime": "2026-04-11T09:00:00",
            "endTime": "2026-04-11T09:30:00",
            "description": "About the offer",
            "location": "Room A",
            "attendeeIds": [alice["id"]],
            "status": "tentative",
            "metadata": {"source": "web", "n": [1, 2]},
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == ws.url(f"/calendar-events/{body['id']}")
    assert response.headers["etag"]
    assert body["startTime"] == "2026-04-11T09:00:00+02:00"
    assert body["endTime"] == "2026-04-11T09:30:00+02:00"
    assert body["timezone"] == "Europe/Amsterdam"
    assert body["calendarId"] == calendar["id"]
    assert body["status"] == "tentative"
    assert body["description"] == "About the offer"
    assert body["location"] == "Room A"
    assert body["metadata"] == {"source": "web", "n": [1, 2]}
    assert body["googleEventId"] is None
    assert body["googleSyncStatus"] == "not_linked"
    assert body["cancelledAt"] is None
    assert body["cancellationReason"] is None
    assert body["attendees"] == [
        {
            "memberId": alice["id"],
            "name": "Alice",
            "email": "alice@example.com",
            "responseStatus": "needsAction",
            "comment": None,
            "respondedAt": None,
        }
    ]
    assert in_amsterdam_offset(body["createdAt"])
    assert in_amsterdam_offset(body["updatedAt"])

    fetched = await ws.get(f"/calendar-events/{body['id']}", token="read")
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert fetched.headers["etag"] == response.headers["etag"]
    assert await changes(test_db, body["id"]) == ["created"]


async def test_output_offsets_follow_the_calendars_zone_and_season(ws: WorkspaceFixture) -> None:
    amsterdam = await ws.calendar()
    winter = await ws.event(
        amsterdam["id"], startTime="2026-01-12T09:00:00", endTime="2026-01-12T10:00:00"
    )
    assert winter["startTime"] == "2026-01-12T09:00:00+01:00"
    # An input with an offset is an instant, shown in the calendar's zone.
    utc_input = await ws.event(
        amsterdam["id"], startTime="2026-07-06T07:00:00Z", endTime="2026-07-06T08:00:00+00:00"
    )
    assert utc_input["startTime"] == "2026-07-06T09:00:00+02:00"
    assert utc_input["endTime"] == "2026-07-06T10:00:00+02:00"

    # Naive times are local to the calendar, not to the workspace (Amsterdam).
    new_york = await ws.calendar(name="NY", timezone="America/New_York")
    event = await ws.event(new_york["id"])
    assert event["timezone"] == "America/New_York"
    assert event["startTime"] == "2026-04-13T09:00:00-04:00"
    assert instant(event["startTime"]) == instant("2026-04-13T13:00:00Z")


async def test_nonexistent_local_time_is_422_and_ambiguous_is_first_occurrence(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    response = await ws.post(
        "/calendar-events",
        json={
            "calendarId": calendar["id"],
            "title": "In the gap",
            "startTime": "2026-03-29T02:30:00",
            "endTime": "2026-03-29T04:00:00",
        },
    )
    problem = assert_problem(response, 422, "nonexistent_local_time")
    assert [error["field"] for error in problem["errors"]] == ["startTime"]
    assert await event_count(test_db) == 0

    event = await ws.event(
        calendar["id"], startTime="2026-10-25T02:30:00", endTime="2026-10-25T04:00:00"
    )
    assert event["startTime"] == "2026-10-25T02:30:00+02:00"
    assert instant(event["startTime"]) == instant("2026-10-25T00:30:00Z")
    assert event["endTime"] == "2026-10-25T04:00:00+01:00"


async def test_create_validates_the_body(ws: WorkspaceFixture, test_db: TestDatabase) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    base = {
        "calendarId": calendar["id"],
        "title": "T",
        "startTime": "2026-04-13T09:00:00",
        "endTime": "2026-04-13T09:30:00",
    }
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": ""}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"attendeeIds": [alice["id"], alice["id"]]}, "attendeeIds"),
        ({"status": "cancelled"}, "status"),
        ({"metadata": {"blob": "x" * 9000}}, "metadata"),
        ({"metadata": ["not", "an", "object"]}, "metadata"),
        ({"startTime": "tomorrow"}, "startTime"),
        ({"endTime": "2026-04-13T09:00:00"}, "endTime"),
    ]
    for change, field in cases:
        response = await ws.post("/calendar-events", json={**base, **change})
        problem = assert_problem(response, 422, "validation_error")
        assert field in {error["field"] for error in problem["errors"]}, (change, problem)
    for missing in ("calendarId", "title", "startTime", "endTime"):
        body = {key: value for key, value in base.items() if key != missing}
        problem = assert_problem(
            await ws.post("/calendar-events", json=body), 422, "validation_error"
        )
        assert [error["field"] for error in problem["errors"]] == [missing]
    assert await event_count(test_db) == 0
    assert (await ws.post("/calendar-events", json={**base, "title": "x" * 255})).status_code == 201


async def test_unknown_event_is_404(ws: WorkspaceFixture) -> None:
    assert_problem(await ws.get("/calendar-events/999999"), 404, "not_found")
    assert_problem(await ws.get("/calendar-events/999999/attendees"), 404, "not_found")
    assert_problem(await ws.put("/calendar-events/999999", json={"title": "X"}), 404, "not_found")
    assert_problem(await ws.post("/calendar-events/999999/cancel"), 404, "not_found")
    assert_problem(await ws.delete("/calendar-events/999999"), 404, "not_found")
    rsvp = await ws.put("/calendar-events/999999/attendees/1", json={"responseStatus": "accepted"})
    assert_problem(rsvp, 404, "not_found")


async def test_put_changes_given_fields_and_keeps_the_rest(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    event = await ws.event(
        calendar["id"],
        description="Agenda",
        location="Room A",
        attendeeIds=[alice["id"]],
        metadata={"k": "v"},
    )
    path = f"/calendar-events/{event['id']}"
    response = await ws.put(path, token="write", json={"title": "Renamed", "location": None})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["title"] == "Renamed"
    assert updated["location"] is None
    for kept in ("description", "startTime", "endTime", "attendees", "metadata", "status"):
        assert updated[kept] == event[kept], kept
    assert instant(updated["updatedAt"]) > instant(event["updatedAt"])
    assert updated["createdAt"] == event["createdAt"]
    assert (await ws.get(path)).json() == updated

    # Only the end moves; a naive end is local to the calendar.
    response = await ws.put(path, json={"endTime": "2026-04-13T10:00:00"})
    assert response.status_code == 200, response.text
    assert response.json()["startTime"] == "2026-04-13T09:00:00+02:00"
    assert response.json()["endTime"] == "2026-04-13T10:00:00+02:00"

    # Fields that must have a value cannot be set to null.
    problem = assert_problem(await ws.put(path, json={"title": None}), 422, "validation_error")
    assert [error["field"] for error in problem["errors"]] == ["title"]
    assert await changes(test_db, event["id"]) == ["created", "updated", "updated"]


async def test_etag_changes_with_every_change_and_if_match_guards_put(
    ws: WorkspaceFixture,
) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    event = await ws.event(calendar["id"], attendeeIds=[alice["id"]])
    path = f"/calendar-events/{event['id']}"
    first = (await ws.get(path)).headers["etag"]

    updated = await ws.put(path, json={"title": "Second"}, headers={"If-Match": first})
    assert updated.status_code == 200, updated.text
    second = updated.headers["etag"]
    assert second != first
    assert (await ws.get(path)).headers["etag"] == second

    stale = await ws.put(path, json={"title": "Third"}, headers={"If-Match": first})
    assert_problem(stale, 412, "precondition_failed")
    assert (await ws.get(path)).json()["title"] == "Second"

    rsvp = await ws.put(
        f"{path}/attendees/{alice['id']}", json={"responseStatus": "accepted", "comment": None}
    )
    assert rsvp.status_code == 200
    third = (await ws.get(path)).headers["etag"]
    assert third not in {first, second}
    assert_problem(
        await ws.put(path, json={"title": "X"}, headers={"If-Match": second}),
        412,
        "precondition_failed",
    )

    cancelled = await ws.post(f"{path}/cancel")
    assert cancelled.headers["etag"] not in {first, second, third}


async def test_update_revalidates_without_conflicting_with_itself(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    other = await ws.event(
        calendar["id"], startTime="2026-04-13T10:00:00", endTime="2026-04-13T11:00:00"
    )
    path = f"/calendar-events/{event['id']}"
    # Overlaps its own old slot only.
    moved = await ws.put(path, json={"startTime": "2026-04-13T09:15:00"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["startTime"] == "2026-04-13T09:15:00+02:00"

    onto_other = await ws.put(
        path, json={"startTime": "2026-04-13T10:30:00", "endTime": "2026-04-13T11:30:00"}
    )
    assert_problem(onto_other, 409, "slot_conflict")
    backwards = await ws.put(path, json={"endTime": "2026-04-13T09:00:00"})
    assert_problem(backwards, 422, "validation_error")
    assert (await ws.get(path)).json() == moved.json()
    assert await changes(test_db, event["id"]) == ["created", "updated"]
    assert await changes(test_db, other["id"]) == ["created"]


async def test_put_on_cancelled_event_is_409_event_cancelled(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    path = f"/calendar-events/{event['id']}"
    cancelled = (await ws.post(f"{path}/cancel")).json()
    assert_problem(await ws.put(path, json={"title": "Back"}), 409, "event_cancelled")
    assert_problem(await ws.put(path, json={"status": "confirmed"}), 409, "event_cancelled")
    assert (await ws.get(path)).json() == cancelled


async def test_delete_is_200_then_404(ws: WorkspaceFixture, test_db: TestDatabase) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    event = await ws.event(calendar["id"], attendeeIds=[alice["id"]])
    await ws.delete_for_good(f"/calendar-events/{event['id']}", event["id"])
    assert await event_count(test_db) == 0
    assert await changes(test_db, event["id"]) == ["created", "deleted"]
    # Its attendee is free to go now.
    assert (await ws.delete(f"/members/{alice['id']}")).status_code == 200


async def test_cancel_sets_status_reason_and_time_once(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    path = f"/calendar-events/{event['id']}"
    response = await ws.post(f"{path}/cancel", token="write", json={"reason": "Ill"})
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancellationReason"] == "Ill"
    assert cancelled["cancelledAt"] is not None
    assert instant(cancelled["cancelledAt"]) >= instant(event["createdAt"])
    assert cancelled["startTime"] == event["startTime"]

    again = await ws.post(f"{path}/cancel", json={"reason": "Something else"})
    assert again.status_code == 200
    assert again.json() == cancelled
    assert again.headers["etag"] == response.headers["etag"]
    assert await changes(test_db, event["id"]) == ["created", "cancelled"]


async def test_cancel_without_body_and_freed_slot(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    response = await ws.post(f"/calendar-events/{event['id']}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["cancellationReason"] is None
    assert response.json()["status"] == "cancelled"
    # The same slot can be booked again.
    again = await ws.event(calendar["id"])
    assert again["startTime"] == event["startTime"]
    assert_problem(await ws.post("/calendar-events/999999/cancel"), 404, "not_found")


async def test_attendees_and_rsvp(ws: WorkspaceFixture, test_db: TestDatabase) -> None:
    calendar = await ws.calendar()
    alice, bob, carol = [await ws.member(name) for name in ("Alice", "Bob", "Carol")]
    event = await ws.event(calendar["id"], attendeeIds=[bob["id"], alice["id"]])
    path = f"/calendar-events/{event['id']}"

    listed = await ws.get(f"{path}/attendees", token="read")
    assert listed.status_code == 200
    assert [a["memberId"] for a in listed.json()] == [bob["id"], alice["id"]]
    assert listed.json() == event["attendees"]

    response = await ws.put(
        f"{path}/attendees/{alice['id']}",
        token="write",
        json={"responseStatus": "accepted", "comment": "See you"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["memberId"] == alice["id"]
    assert answer["name"] == "Alice"
    assert answer["email"] == "alice@example.com"
    assert answer["responseStatus"] == "accepted"
    assert answer["comment"] == "See you"
    assert in_amsterdam_offset(answer["respondedAt"])
    assert (await ws.get(path)).json()["attendees"][1] == answer

    not_attending = await ws.put(
        f"{path}/attendees/{carol['id']}", json={"responseStatus": "accepted"}
    )
    assert_problem(not_attending, 404, "not_found")
    bad = await ws.put(f"{path}/attendees/{bob['id']}", json={"responseStatus": "maybe"})
    assert [e["field"] for e in assert_problem(bad, 422, "validation_error")["errors"]] == [
        "responseStatus"
    ]

    # Updating the attendees keeps the responses of those who stay.
    response = await ws.put(path, json={"attendeeIds": [alice["id"], carol["id"]]})
    assert response.status_code == 200, response.text
    attendees = response.json()["attendees"]
    assert [a["memberId"] for a in attendees] == [alice["id"], carol["id"]]
    assert attendees[0] == answer
    assert attendees[1]["responseStatus"] == "needsAction"
    assert await changes(test_db, event["id"]) == ["created", "attendee.responded", "updated"]

    await ws.post(f"{path}/cancel")
    on_cancelled = await ws.put(
        f"{path}/attendees/{alice['id']}", json={"responseStatus": "declined"}
    )
    assert_problem(on_cancelled, 409, "event_cancelled")
    assert (await ws.get(f"{path}/attendees")).json()[0] == answer


async def test_simultaneous_changes_with_one_etag_let_one_through(ws: WorkspaceFixture) -> None:
    """If-Match holds under concurrency: of two PUTs sent with the same ETag, one gets 412.
    Two simultaneous RSVPs both count."""
    calendar = await ws.calendar()
    alice, bob = await ws.member("Alice"), await ws.member("Bob")
    for attempt in range(3):
        event = await ws.event(
            calendar["id"],
            startTime=f"2026-04-1{attempt}T09:00:00",
            endTime=f"2026-04-1{attempt}T10:00:00",
            attendeeIds=[alice["id"], bob["id"]],
        )
        path = f"/calendar-events/{event['id']}"
        tag = (await ws.get(path)).headers["etag"]
        first, second = await asyncio.gather(
            ws.put(path, json={"title": "A"}, headers={"If-Match": tag}),
            ws.put(path, json={"title": "B"}, headers={"If-Match": tag}),
        )
        assert sorted([first.status_code, second.status_code]) == [200, 412]
        winner = first if first.status_code == 200 else second
        assert (await ws.get(path)).json()["title"] == winner.json()["title"]

        before = (await ws.get(path)).headers["etag"]
        answers = await asyncio.gather(
            *[
                ws.put(f"{path}/attendees/{m['id']}", json={"responseStatus": "accepted"})
                for m in (alice, bob)
            ]
        )
        assert [answer.status_code for answer in answers] == [200, 200]
        after = await ws.get(path)
        assert [a["responseStatus"] for a in after.json()["attendees"]] == ["accepted"] * 2
        stale = await ws.put(path, json={"title": "C"}, headers={"If-Match": before})
        assert_problem(stale, 412, "precondition_failed")


async def test_put_that_changes_nothing_keeps_etag_and_enqueues_nothing(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    event = await ws.event(calendar["id"], attendeeIds=[alice["id"]])
    path = f"/calendar-events/{event['id']}"
    tag = (await ws.get(path)).headers["etag"]
    for body in (
        {},
        {"title": event["title"]},
        {"startTime": "2026-04-13T07:00:00Z", "attendeeIds": [alice["id"]]},
    ):
        response = await ws.put(path, json=body, headers={"If-Match": tag})
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == tag, body
        assert response.json() == event
    assert await changes(test_db, event["id"]) == ["created"]
    changed = await ws.put(path, json={"title": "New"}, headers={"If-Match": tag})
    assert changed.headers["etag"] != tag
    assert await changes(test_db, event["id"]) == ["created", "updated"]


async def test_events_of_a_linked_calendar_wait_for_sync(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    async with test_db.database.transaction() as session:
        account = Account(workspace_id=ws.workspace.id, name="Sales")
        session.add(account)
        await session.flush()
        account_id = account.id
    calendar = await ws.calendar(googleAccountId=account_id, googleCalendarId="primary")
    event = await ws.event(calendar["id"])
    assert event["googleSyncStatus"] == "pending"
    assert event["googleEventId"] is None
    unlinked = await ws.event((await ws.calendar(name="Local"))["id"])
    assert unlinked["googleSyncStatus"] == "not_linked"
