"""GET /calendar-events/{id}/history (CONTRACT §3.5): every change of the event, oldest first,
with its source and actor, written in the change's own transaction and deleted with the event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from calbridge.event.models import EventChange
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase


async def history(ws: WorkspaceFixture, event_id: int, **params: Any) -> dict[str, Any]:
    response = await ws.get(f"/calendar-events/{event_id}/history", params=params, token="read")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def rows(test_db: TestDatabase) -> int:
    async with test_db.database.session(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(EventChange)) or 0)


async def test_each_api_change_is_recorded_with_the_token_as_actor(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    event = await ws.event(calendar["id"], title="Intro", attendeeIds=[alice["id"]])
    path = f"/calendar-events/{event['id']}"
    assert (await ws.patch(path, json={"title": "Intro call"})).status_code == 200
    rsvp = await ws.put(f"{path}/attendees/{alice['id']}", json={"responseStatus": "accepted"})
    assert rsvp.status_code == 200, rsvp.text
    assert (await ws.post(f"{path}/cancel", json={"reason": "ill"})).status_code == 200

    page = await history(ws, event["id"])
    assert [(c["action"], c["source"], c["actor"]) for c in page["items"]] == [
        ("created", "api", "api"),
        ("updated", "api", "api"),
        ("rsvp", "api", "api"),
        ("cancelled", "api", "api"),
    ]
    created, updated, rsvp_change, cancelled = page["items"]
    assert created["changes"]["title"] == {"from": None, "to": "Intro"}
    assert updated["changes"] == {"title": {"from": "Intro", "to": "Intro call"}}
    assert rsvp_change["changes"] == {
        f"attendee:{alice['id']}": {
            "from": {"responseStatus": "needsAction", "comment": None},
            "to": {"responseStatus": "accepted", "comment": None},
        }
    }
    assert cancelled["changes"]["status"] == {"from": "confirmed", "to": "cancelled"}
    assert cancelled["changes"]["cancellationReason"] == {"from": None, "to": "ill"}
    assert created["at"].endswith(("+01:00", "+02:00"))  # the calendar's zone (Amsterdam)


async def test_history_is_paginated_like_events(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    for n in range(4):
        response = await ws.patch(f"/calendar-events/{event['id']}", json={"title": f"v{n}"})
        assert response.status_code == 200
    page = await history(ws, event["id"], page=2, pageSize=2)
    assert (page["total"], page["page"], page["pageSize"], page["pages"]) == (5, 2, 2, 3)
    assert [c["changes"]["title"]["to"] for c in page["items"]] == ["v1", "v2"]


async def test_a_refused_or_unchanged_change_writes_no_history(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    first = await ws.event(calendar["id"], startTime="2026-04-13T09:00:00")
    second = await ws.event(
        calendar["id"], startTime="2026-04-13T10:00:00", endTime="2026-04-13T10:30:00"
    )
    before = await rows(test_db)
    path = f"/calendar-events/{second['id']}"
    clash = await ws.patch(path, json={"startTime": "2026-04-13T09:15:00"})
    assert clash.status_code == 409, clash.text  # rolled back: the slot is taken
    stale = await ws.patch(path, json={"title": "x"}, headers={"If-Match": '"stale"'})
    assert stale.status_code == 412, stale.text
    same = await ws.patch(path, json={"title": second["title"]})
    assert same.status_code == 200  # nothing changed: no new version, no history
    assert await rows(test_db) == before
    assert [c["action"] for c in (await history(ws, first["id"]))["items"]] == ["created"]


async def test_history_is_deleted_with_the_event(
    ws: WorkspaceFixture, other_ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    other = await other_ws.get(f"/calendar-events/{event['id']}/history")
    assert other.status_code == 404  # another workspace's event
    assert await rows(test_db) == 1
    deleted = await ws.delete(f"/calendar-events/{event['id']}", token="admin")
    assert deleted.status_code == 200, deleted.text
    assert await rows(test_db) == 0
    gone = await ws.get(f"/calendar-events/{event['id']}/history")
    assert gone.status_code == 404
