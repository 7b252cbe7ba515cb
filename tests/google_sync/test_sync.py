"""The sync of linked calendars, against the emulator: what a user sees in Google Calendar and
in the event's googleEventId / googleSyncStatus after the worker has run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from calbridge.outbox.worker import Worker
from tests.google_sync.conftest import GoogleView, settle, sync_jobs
from tests.support import databases
from tests.support.api import WorkspaceFixture


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def google_attendees(copy: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(a["email"], a.get("displayName"), a["responseStatus"]) for a in copy["attendees"]]


async def test_a_booking_appears_once_in_google_with_our_ids(
    test_db: databases.TestDatabase,
    ws: WorkspaceFixture,
    linked: dict[str, Any],
    worker: Worker,
    in_google: GoogleView,
) -> None:
    alice = await ws.member("Alice", "alice@example.com")
    created = await ws.post(
        "/calendar-events",
        json={
            "calendarId": linked["id"],
            "title": "Intro call",
            "location": "Room 1",
            "startTime": "2026-04-13T09:00:00",
            "endTime": "2026-04-13T09:30:00",
            "attendeeIds": [alice["id"]],
        },
    )
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["googleSyncStatus"] == "pending"
    assert in_google.all() == []  # nothing is pushed inside the request

    await settle(worker)

    [copy] = in_google.all()
    assert copy["extendedProperties"]["private"] == {
        "calbridgeEventId": str(event["id"]),
        "calbridgeWorkspace": ws.uuid,
    }
    assert copy["summary"] == "Intro call"
    assert copy["location"] == "Room 1"
    assert copy["status"] == "confirmed"
    assert instant(copy["start"]["dateTime"]) == instant(event["startTime"])
    assert instant(copy["end"]["dateTime"]) == instant(event["endTime"])
    assert google_attendees(copy) == [("alice@example.com", "Alice", "needsAction")]
    shown = await ws.get(f"/calendar-events/{event['id']}")
    assert shown.json()["googleEventId"] == copy["id"]
    assert shown.json()["googleSyncStatus"] == "synced"
    # Recording the sync is not a change of the event: same ETag, nothing new to sync.
    assert shown.headers["ETag"] == created.headers["ETag"]
    assert shown.json()["updatedAt"] == event["updatedAt"]
    await settle(worker)
    assert [job.status for job in await sync_jobs(test_db)] == ["done"]


async def test_an_update_patches_title_times_and_attendee_responses(
    ws: WorkspaceFixture, linked: dict[str, Any], worker: Worker, in_google: GoogleView
) -> None:
    alice = await ws.member("Alice", "alice@example.com")
    bob = await ws.member("Bob", "bob@example.com")
    event = await ws.event(linked["id"], attendeeIds=[alice["id"]])
    await settle(worker)
    first_id = in_google.copy_of(event["id"])

    updated = await ws.put(
        f"/calendar-events/{event['id']}",
        json={
            "title": "Moved call",
            "startTime": "2026-04-13T14:00:00",
            "endTime": "2026-04-13T15:00:00",
            "attendeeIds": [alice["id"], bob["id"]],
        },
    )
    assert updated.status_code == 200, updated.text
    rsvp = await ws.put(
        f"/calendar-events/{event['id']}/attendees/{alice['id']}",
        json={"responseStatus": "accepted"},
    )
    assert rsvp.status_code == 200, rsvp.text
    await settle(worker)

    [copy] = in_google.all()
    assert first_id is not None and copy["id"] == first_id["id"]
    assert copy["summary"] == "Moved call"
    assert instant(copy["start"]["dateTime"]) == instant("2026-04-13T14:00:00+02:00")
    assert instant(copy["end"]["dateTime"]) == instant("2026-04-13T15:00:00+02:00")
    assert google_attendees(copy) == [
        ("alice@example.com", "Alice", "accepted"),
        ("bob@example.com", "Bob", "needsAction"),
    ]
    shown = (await ws.get(f"/calendar-events/{event['id']}")).json()
    assert shown["googleSyncStatus"] == "synced"


async def test_cancel_and_delete_cancel_the_copy_in_google(
    ws: WorkspaceFixture, linked: dict[str, Any], worker: Worker, in_google: GoogleView
) -> None:
    kept = await ws.event(linked["id"], title="Kept")
    cancelled = await ws.event(
        linked["id"], startTime="2026-04-13T10:00:00", endTime="2026-04-13T10:30:00"
    )
    deleted = await ws.event(
        linked["id"], startTime="2026-04-13T11:00:00", endTime="2026-04-13T11:30:00"
    )
    await settle(worker)
    assert len(in_google.all()) == 3

    response = await ws.post(f"/calendar-events/{cancelled['id']}/cancel", json={"reason": "ill"})
    assert response.status_code == 200, response.text
    response = await ws.delete(f"/calendar-events/{deleted['id']}", token="admin")
    assert response.status_code == 200, response.text
    await settle(worker)

    assert (in_google.copy_of(kept["id"]) or {}).get("status") == "confirmed"
    assert (in_google.copy_of(cancelled["id"]) or {}).get("status") == "cancelled"
    assert (in_google.copy_of(deleted["id"]) or {}).get("status") == "cancelled"
    shown = (await ws.get(f"/calendar-events/{cancelled['id']}")).json()
    assert shown["googleSyncStatus"] == "synced"


async def test_a_new_event_never_takes_over_a_deleted_events_copy(
    ws: WorkspaceFixture, linked: dict[str, Any], worker: Worker, in_google: GoogleView
) -> None:
    old = await ws.event(linked["id"], title="Old")
    await settle(worker)
    old_copy = in_google.copy_of(old["id"])
    assert old_copy is not None
    response = await ws.delete(f"/calendar-events/{old['id']}", token="admin")
    assert response.status_code == 200, response.text
    await settle(worker)

    new = await ws.event(linked["id"], title="New")  # same slot: it is free again
    await settle(worker)

    shown = (await ws.get(f"/calendar-events/{new['id']}")).json()
    assert shown["googleSyncStatus"] == "synced"
    assert shown["googleEventId"] != old_copy["id"]
    copies = {copy["id"]: (copy["summary"], copy["status"]) for copy in in_google.all()}
    assert copies == {
        old_copy["id"]: ("Old", "cancelled"),  # the deleted booking stays cancelled in Google
        shown["googleEventId"]: ("New", "confirmed"),
    }


async def test_three_quick_updates_leave_the_latest_in_google(
    test_db: databases.TestDatabase,
    ws: WorkspaceFixture,
    linked: dict[str, Any],
    worker: Worker,
    in_google: GoogleView,
) -> None:
    event = await ws.event(linked["id"], title="v0")
    for n in (1, 2, 3):
        response = await ws.put(
            f"/calendar-events/{event['id']}",
            json={"title": f"v{n}", "endTime": f"2026-04-13T09:{30 + n * 5}:00"},
        )
        assert response.status_code == 200, response.text
    await settle(worker)

    [copy] = in_google.all()
    assert copy["summary"] == "v3"
    assert instant(copy["end"]["dateTime"]) == instant("2026-04-13T09:45:00+02:00")
    jobs = await sync_jobs(test_db, event["id"])
    assert [job.payload["change"] for job in jobs] == ["created", "updated", "updated", "updated"]
    assert {job.status for job in jobs} == {"done"}


async def test_a_calendar_without_a_link_sends_nothing(
    test_db: databases.TestDatabase,
    ws: WorkspaceFixture,
    account: int,
    worker: Worker,
    in_google: GoogleView,
) -> None:
    calendar = await ws.calendar(name="Unlinked")
    event = await ws.event(calendar["id"])
    await settle(worker)
    assert in_google.all() == []
    shown = (await ws.get(f"/calendar-events/{event['id']}")).json()
    assert (shown["googleEventId"], shown["googleSyncStatus"]) == (None, "not_linked")


async def test_a_deleted_event_leaves_google_even_when_its_calendar_is_deleted_first(
    ws: WorkspaceFixture, linked: dict[str, Any], worker: Worker, in_google: GoogleView
) -> None:
    event = await ws.event(linked["id"])
    await settle(worker)
    assert (in_google.copy_of(event["id"]) or {}).get("status") == "confirmed"

    response = await ws.delete(f"/calendar-events/{event['id']}", token="admin")
    assert response.status_code == 200, response.text
    response = await ws.delete(f"/calendars/{linked['id']}", token="admin")
    assert response.status_code == 200, response.text  # before the worker ran
    await settle(worker)

    assert (in_google.copy_of(event["id"]) or {}).get("status") == "cancelled"


async def test_a_cancelled_event_leaves_google_even_when_its_calendar_is_unlinked_first(
    ws: WorkspaceFixture, linked: dict[str, Any], worker: Worker, in_google: GoogleView
) -> None:
    event = await ws.event(linked["id"])
    await settle(worker)

    response = await ws.post(f"/calendar-events/{event['id']}/cancel", json={})
    assert response.status_code == 200, response.text
    unlink = {"googleAccountId": None, "googleCalendarId": None}
    response = await ws.patch(f"/calendars/{linked['id']}", token="admin", json=unlink)
    assert response.status_code == 200, response.text  # before the worker ran
    await settle(worker)

    assert (in_google.copy_of(event["id"]) or {}).get("status") == "cancelled"


async def test_an_event_moved_to_an_unlinked_calendar_is_not_linked_once_its_copy_is_gone(
    ws: WorkspaceFixture, linked: dict[str, Any], worker: Worker, in_google: GoogleView
) -> None:
    unlinked = await ws.calendar(name="Unlinked")
    event = await ws.event(linked["id"])
    await settle(worker)
    path = f"/calendar-events/{event['id']}"
    assert (await ws.get(path)).json()["googleSyncStatus"] == "synced"

    response = await ws.put(path, json={"calendarId": unlinked["id"]})
    assert response.status_code == 200, response.text
    await settle(worker)

    assert (in_google.copy_of(event["id"]) or {}).get("status") == "cancelled"
    shown = (await ws.get(path)).json()
    assert (shown["googleSyncStatus"], shown["googleEventId"]) == ("not_linked", None)


async def test_a_removal_for_a_deleted_account_fails_visibly_instead_of_waiting_forever(
    ws: WorkspaceFixture,
    linked: dict[str, Any],
    account: int,
    worker: Worker,
    test_db: databases.TestDatabase,
) -> None:
    from calbridge.account.models import Account

    event = await ws.event(linked["id"])
    await settle(worker)
    cancelled = await ws.post(f"/calendar-events/{event['id']}/cancel")
    assert cancelled.status_code == 200
    async with test_db.database.transaction() as session:  # before the cancel is synced
        found = await session.get(Account, account)
        assert found is not None
        await session.delete(found)
    await settle(worker)

    jobs = await sync_jobs(test_db, event["id"])
    assert [job.status for job in jobs] == ["done", "failed"]
    assert "was deleted" in (jobs[-1].last_error or "")
