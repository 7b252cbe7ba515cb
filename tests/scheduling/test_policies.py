"""Booking policies (CONTRACT §3.1) and the check order of §3.3 with them:
1 body → 2 attendee limit → 2a notice/advance → 3 availability → 4 overlap, buffers included.

"Now" is fixed at Monday 2026-04-13 08:00 in Amsterdam. The ``rw`` token (calendars:read and
calendars:write, what a booking client holds) gets every rule; ``all`` also has calendars:admin,
which may book inside the notice, advance and cancellation windows but never outside
availability or into a conflict.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.event.test_booking_rules import WEEKDAYS_9_TO_17, Refusals, booking
from tests.support.api import WorkspaceFixture, add_booking_token
from tests.support.clock import freeze
from tests.support.problems import assert_problem

if TYPE_CHECKING:  # a runtime import would make pytest try to collect it as a test class
    from tests.support.databases import TestDatabase

NOW = datetime(2026, 4, 13, 6, 0, tzinfo=UTC)  # 08:00 in Amsterdam
POLICIES = (
    "minNoticeMinutes",
    "maxAdvanceDays",
    "bufferBeforeMinutes",
    "bufferAfterMinutes",
    "cancellationNoticeMinutes",
)


@pytest.fixture(autouse=True)
async def _fixed_now_and_rw_token(
    monkeypatch: pytest.MonkeyPatch, ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    freeze(monkeypatch, NOW)
    await add_booking_token(ws, test_db)


async def _book(ws: WorkspaceFixture, body: dict[str, Any], token: str) -> dict[str, Any]:
    response = await ws.post("/calendar-events", json=body, token=token)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_policies_default_to_no_restriction_and_round_trip(ws: WorkspaceFixture) -> None:
    plain = await ws.calendar()
    assert {name: plain[name] for name in POLICIES} == {
        "minNoticeMinutes": 0,
        "maxAdvanceDays": None,
        "bufferBeforeMinutes": 0,
        "bufferAfterMinutes": 0,
        "cancellationNoticeMinutes": 0,
    }
    values = {
        "minNoticeMinutes": 60,
        "maxAdvanceDays": 30,
        "bufferBeforeMinutes": 5,
        "bufferAfterMinutes": 10,
        "cancellationNoticeMinutes": 1440,
    }
    made = await ws.calendar(**values)
    fetched = (await ws.get(f"/calendars/{made['id']}")).json()
    assert {name: fetched[name] for name in POLICIES} == values

    patched = await ws.patch(
        f"/calendars/{made['id']}", json={"maxAdvanceDays": None, "bufferAfterMinutes": 0}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["maxAdvanceDays"] is None
    assert patched.json()["bufferAfterMinutes"] == 0
    assert patched.json()["minNoticeMinutes"] == 60


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("minNoticeMinutes", -1),
        ("minNoticeMinutes", 525_601),
        ("minNoticeMinutes", 1.5),
        ("minNoticeMinutes", "60"),
        ("maxAdvanceDays", 0),
        ("maxAdvanceDays", 3651),
        ("bufferBeforeMinutes", 1441),
        ("bufferAfterMinutes", -5),
        ("bufferAfterMinutes", True),
        ("cancellationNoticeMinutes", 525_601),
    ],
)
async def test_policy_bounds_are_422(ws: WorkspaceFixture, field: str, value: Any) -> None:
    response = await ws.post(
        "/calendars", json={"name": "Bad", "timezone": "Europe/Amsterdam", field: value}
    )
    problem = assert_problem(response, 422, "validation_error")
    assert [error["field"] for error in problem["errors"]] == [field]
    calendar = await ws.calendar()
    patched = await ws.patch(f"/calendars/{calendar['id']}", json={field: value})
    assert_problem(patched, 422, "validation_error")


@pytest.mark.parametrize(
    "field",
    ["minNoticeMinutes", "bufferBeforeMinutes", "bufferAfterMinutes", "cancellationNoticeMinutes"],
)
async def test_null_is_refused_where_the_policy_is_not_nullable(
    ws: WorkspaceFixture, field: str
) -> None:
    calendar = await ws.calendar()
    assert_problem(
        await ws.patch(f"/calendars/{calendar['id']}", json={field: None}), 422, "validation_error"
    )


async def test_min_notice(ws: WorkspaceFixture, test_db: TestDatabase) -> None:
    refuse = Refusals(ws, test_db)
    cid = (await ws.calendar(minNoticeMinutes=120))["id"]
    ws.default_token = "rw"
    # Now is 08:00: the earliest start is 10:00.
    problem = await refuse.create(
        booking(cid, "2026-04-13T09:59:00", "2026-04-13T10:30:00"), 409, "notice_too_short"
    )
    assert "2026-04-13T10:00:00+02:00" in problem["detail"]
    await refuse.create(
        booking(cid, "2026-04-12T10:00:00", "2026-04-12T10:30:00"), 409, "notice_too_short"
    )
    await _book(ws, booking(cid, "2026-04-13T10:00:00", "2026-04-13T10:30:00"), "rw")
    # calendars:admin books inside the notice window.
    await _book(ws, booking(cid, "2026-04-13T08:30:00", "2026-04-13T09:00:00"), "all")


async def test_max_advance(ws: WorkspaceFixture, test_db: TestDatabase) -> None:
    refuse = Refusals(ws, test_db)
    cid = (await ws.calendar(maxAdvanceDays=7))["id"]
    ws.default_token = "rw"
    # Starts up to now + 7 days (2026-04-20 08:00) are allowed.
    await _book(ws, booking(cid, "2026-04-20T08:00:00", "2026-04-20T09:00:00"), "rw")
    problem = await refuse.create(
        booking(cid, "2026-04-20T08:01:00", "2026-04-20T09:00:00"), 409, "too_far_in_advance"
    )
    assert "7 days" in problem["detail"]
    await _book(ws, booking(cid, "2026-05-20T08:00:00", "2026-05-20T09:00:00"), "all")


async def test_buffers_keep_events_apart_and_name_the_conflict(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    refuse = Refusals(ws, test_db)
    cid = (await ws.calendar(bufferBeforeMinutes=10, bufferAfterMinutes=15))["id"]
    taken = await ws.event(cid, startTime="2026-04-14T10:00:00", endTime="2026-04-14T11:00:00")
    for start, end in [
        ("2026-04-14T11:00:00", "2026-04-14T11:30:00"),  # inside its 15 minutes after
        ("2026-04-14T11:14:00", "2026-04-14T11:30:00"),
        ("2026-04-14T09:30:00", "2026-04-14T10:00:00"),  # its 10 before, and ours 15 after
        ("2026-04-14T09:00:00", "2026-04-14T09:46:00"),
    ]:
        for token in ("rw", "all"):  # admins do not book into a conflict either
            ws.default_token = token
            problem = await refuse.create(booking(cid, start, end), 409, "slot_conflict")
            assert str(taken["id"]) in problem["detail"]
    ws.default_token = "rw"
    after = await _book(ws, booking(cid, "2026-04-14T11:15:00", "2026-04-14T11:45:00"), "rw")
    await _book(ws, booking(cid, "2026-04-14T09:15:00", "2026-04-14T09:45:00"), "rw")
    # Moving an event is checked the same way (it does not conflict with itself).
    await refuse.update(
        after["id"],
        {"startTime": "2026-04-14T11:05:00", "endTime": "2026-04-14T11:35:00"},
        409,
        "slot_conflict",
    )
    moved = await ws.put(
        f"/calendar-events/{after['id']}",
        json={"startTime": "2026-04-14T11:20:00", "endTime": "2026-04-14T11:50:00"},
    )
    assert moved.status_code == 200, moved.text
    # A cancelled event frees its buffers too.
    cancelled = await ws.post(f"/calendar-events/{taken['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    await _book(ws, booking(cid, "2026-04-14T10:00:00", "2026-04-14T10:30:00"), "rw")


async def test_outside_availability_names_the_days_windows(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    refuse = Refusals(ws, test_db)
    availability = {
        "weekly": [
            {"day": "tuesday", "start": "09:00", "end": "12:00"},
            {"day": "tuesday", "start": "13:00", "end": "24:00"},
        ],
        "exceptions": [{"date": "2026-04-21", "windows": []}],
    }
    cid = (await ws.calendar(availability=availability))["id"]
    problem = await refuse.create(
        booking(cid, "2026-04-14T11:30:00", "2026-04-14T12:30:00"), 409, "outside_availability"
    )
    assert "09:00-12:00, 13:00-24:00" in problem["detail"]
    assert "2026-04-14" in problem["detail"]
    problem = await refuse.create(
        booking(cid, "2026-04-21T10:00:00", "2026-04-21T11:00:00"), 409, "outside_availability"
    )
    assert "closed all day" in problem["detail"]


async def test_the_contracts_order_with_policies(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    refuse = Refusals(ws, test_db)
    alice, bob = [(await ws.member(name))["id"] for name in ("Alice", "Bob")]
    cid = (
        await ws.calendar(
            maxAttendees=1,
            minNoticeMinutes=24 * 60,
            maxAdvanceDays=2,
            bufferAfterMinutes=30,
            availability=WEEKDAYS_9_TO_17,
        )
    )["id"]
    # An admin books Monday 09:00-10:00 (inside the notice window).
    await _book(ws, booking(cid, "2026-04-13T09:00:00", "2026-04-13T10:00:00"), "all")
    ws.default_token = "rw"
    # Monday 10:15 is too soon, right after the event (buffer), and 07:00 is outside hours.
    soon = booking(cid, "2026-04-13T07:00:00", "2026-04-13T10:15:00")
    await refuse.create({**soon, "attendeeIds": [alice, 999999]}, 422, "member_not_found")
    await refuse.create({**soon, "attendeeIds": [alice, bob]}, 409, "attendee_limit_exceeded")
    await refuse.create({**soon, "attendeeIds": [alice]}, 409, "notice_too_short")
    late = booking(cid, "2026-04-20T07:00:00", "2026-04-20T08:00:00")
    await refuse.create({**late, "attendeeIds": [alice, bob]}, 409, "attendee_limit_exceeded")
    await refuse.create(late, 409, "too_far_in_advance")
    # For an admin, notice and advance are lifted; availability, then buffers, still hold.
    ws.default_token = "all"
    await refuse.create(soon, 409, "outside_availability")
    await refuse.create(late, 409, "outside_availability")
    problem = await refuse.create(
        booking(cid, "2026-04-13T10:15:00", "2026-04-13T10:45:00"), 409, "slot_conflict"
    )
    assert "event" in problem["detail"]
    # Write token, far enough ahead and inside hours: booked.
    await _book(ws, booking(cid, "2026-04-14T09:00:00", "2026-04-14T10:00:00"), "rw")


async def test_cancel_and_move_inside_the_cancellation_notice(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    refuse = Refusals(ws, test_db)
    cid = (await ws.calendar(cancellationNoticeMinutes=240))["id"]
    # Now is 08:00: events before 12:00 can no longer be cancelled or moved by a write token.
    soon = await ws.event(cid, startTime="2026-04-13T11:00:00", endTime="2026-04-13T11:30:00")
    later = await ws.event(cid, startTime="2026-04-13T12:00:00", endTime="2026-04-13T12:30:00")
    past = await ws.event(cid, startTime="2026-04-13T07:00:00", endTime="2026-04-13T07:30:00")
    ws.default_token = "rw"
    for event in (soon, past):
        path = f"/calendar-events/{event['id']}"
        problem = assert_problem(await ws.post(f"{path}/cancel"), 409, "change_too_late")
        assert "240 minutes" in problem["detail"]
        assert (await ws.get(path)).json()["status"] == "confirmed"
        await refuse.update(
            event["id"],
            {"startTime": "2026-04-14T11:00:00", "endTime": "2026-04-14T11:30:00"},
            409,
            "change_too_late",
        )
        # What does not move the event is still allowed.
        renamed = await ws.put(path, json={"title": "Renamed", "startTime": event["startTime"]})
        assert renamed.status_code == 200, renamed.text
    cancelled = await ws.post(f"/calendar-events/{later['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    # An admin token may cancel and move inside the notice.
    ws.default_token = "all"
    moved = await ws.put(
        f"/calendar-events/{soon['id']}",
        json={"startTime": "2026-04-13T11:30:00", "endTime": "2026-04-13T12:00:00"},
    )
    assert moved.status_code == 200, moved.text
    cancelled = await ws.post(f"/calendar-events/{soon['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"


async def test_changing_attendees_near_the_start_does_not_recheck_notice(
    ws: WorkspaceFixture,
) -> None:
    cid = (await ws.calendar(minNoticeMinutes=120))["id"]
    event = await ws.event(cid, startTime="2026-04-13T09:00:00", endTime="2026-04-13T09:30:00")
    alice = (await ws.member("Alice"))["id"]
    ws.default_token = "rw"
    changed = await ws.put(f"/calendar-events/{event['id']}", json={"attendeeIds": [alice]})
    assert changed.status_code == 200, changed.text
    moved = await ws.put(
        f"/calendar-events/{event['id']}",
        json={"startTime": "2026-04-13T09:15:00", "endTime": "2026-04-13T09:45:00"},
    )
    assert_problem(moved, 409, "notice_too_short")
