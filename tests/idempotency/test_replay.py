"""Idempotency-Key on POST (CONTRACT §3.3): replay, reuse with another body, per-token keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.idempotency.conftest import key, row_counts
from tests.support.api import WorkspaceFixture

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase

REPLAYED = "Idempotent-Replayed"
BOOKING = {
    "title": "Intro call",
    "startTime": "2026-04-13T09:00:00",
    "endTime": "2026-04-13T09:30:00",
}


async def test_same_key_same_body_replays_the_first_response(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    body = {"calendarId": calendar["id"], **BOOKING}

    first = await ws.post("/calendar-events", json=body, headers=key("book-1"))
    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    counts = await row_counts(test_db)

    second = await ws.post("/calendar-events", json=body, headers=key("book-1"))

    assert second.status_code == 201
    assert second.headers[REPLAYED] == "true"
    assert second.json() == first.json()
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert await row_counts(test_db) == counts
    assert counts["events"] == 1 and counts["outbox_jobs"] == 1


async def test_same_key_different_body_is_refused(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    body = {"calendarId": calendar["id"], **BOOKING}
    first = await ws.post("/calendar-events", json=body, headers=key("book-2"))
    assert first.status_code == 201
    counts = await row_counts(test_db)

    changed = await ws.post(
        "/calendar-events", json={**body, "title": "Other call"}, headers=key("book-2")
    )

    assert changed.status_code == 422
    assert changed.headers["Content-Type"] == "application/problem+json"
    assert changed.json()["code"] == "idempotency_key_reused"
    assert REPLAYED not in changed.headers
    assert await row_counts(test_db) == counts
    # The key still answers for the body it was first used with.
    again = await ws.post("/calendar-events", json=body, headers=key("book-2"))
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first.json()


async def test_same_key_on_another_path_is_refused(ws: WorkspaceFixture) -> None:
    first = await ws.post(
        "/members", json={"name": "Ann", "email": "ann@example.com"}, headers=key("k")
    )
    assert first.status_code == 201
    calendar = await ws.post(
        "/calendars", json={"name": "Ann", "email": "ann@example.com"}, headers=key("k")
    )
    assert calendar.status_code == 422
    assert calendar.json()["code"] == "idempotency_key_reused"


async def test_keys_belong_to_the_token_that_sent_them(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    body = {"calendarId": calendar["id"], **BOOKING}

    mine = await ws.post("/calendar-events", json=body, headers=key("shared"), token="all")
    theirs = await ws.post("/calendar-events", json=body, headers=key("shared"), token="write")

    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert (await row_counts(test_db))["events"] == 2


async def test_keys_of_another_workspace_do_not_meet(
    ws: WorkspaceFixture, other_ws: WorkspaceFixture
) -> None:
    body = {"name": "Ann", "email": "ann@example.com"}
    mine = await ws.post("/members", json=body, headers=key("same"))
    theirs = await other_ws.post("/members", json=body, headers=key("same"))
    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert (await other_ws.get(f"/members/{theirs.json()['id']}")).status_code == 200


async def test_a_refused_request_replays_its_refusal(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    blocker = await ws.event(calendar["id"])
    body = {"calendarId": calendar["id"], **BOOKING}

    first = await ws.post("/calendar-events", json=body, headers=key("late"))
    assert first.status_code == 409
    assert first.json()["code"] == "slot_conflict"
    # Free the slot: a request that ran again would now succeed; a replay still says 409.
    cancelled = await ws.post(f"/calendar-events/{blocker['id']}/cancel")
    assert cancelled.status_code == 200
    counts = await row_counts(test_db)

    second = await ws.post("/calendar-events", json=body, headers=key("late"))

    assert second.status_code == 409
    assert second.headers[REPLAYED] == "true"
    assert second.json() == first.json()
    assert second.headers["Content-Type"] == "application/problem+json"
    assert await row_counts(test_db) == counts


async def test_a_validation_error_replays_too(ws: WorkspaceFixture) -> None:
    body = {"calendarId": 999_999, **BOOKING}
    first = await ws.post("/calendar-events", json=body, headers=key("no-calendar"))
    assert first.status_code == 422
    assert first.json()["code"] == "calendar_not_found"
    second = await ws.post("/calendar-events", json=body, headers=key("no-calendar"))
    assert second.status_code == 422
    assert second.headers[REPLAYED] == "true"
    assert second.json() == first.json()


async def test_unauthenticated_requests_are_not_remembered(ws: WorkspaceFixture) -> None:
    body = {"name": "Ann", "email": "ann@example.com"}
    refused = await ws.client.post(ws.url("/members"), json=body, headers=key("anon"))
    assert refused.status_code == 401
    # The key was not taken by the anonymous attempt: the real request runs.
    created = await ws.post("/members", json=body, headers=key("anon"))
    assert created.status_code == 201
    assert REPLAYED not in created.headers


async def _cancel_setup(ws: WorkspaceFixture) -> tuple[str, dict[str, Any] | None]:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    return f"/calendar-events/{event['id']}/cancel", {"reason": "ill"}


async def _event_setup(ws: WorkspaceFixture) -> tuple[str, dict[str, Any] | None]:
    calendar = await ws.calendar()
    member = await ws.member("Bob")
    return "/calendar-events", {
        "calendarId": calendar["id"],
        "attendeeIds": [member["id"]],
        **BOOKING,
    }


async def _calendar_setup(_: WorkspaceFixture) -> tuple[str, dict[str, Any] | None]:
    return "/calendars", {"name": "Room B", "timezone": "Europe/Amsterdam", "maxAttendees": 4}


async def _member_setup(_: WorkspaceFixture) -> tuple[str, dict[str, Any] | None]:
    return "/members", {"name": "Carol", "email": "carol@example.com"}


async def _cancel_without_body_setup(ws: WorkspaceFixture) -> tuple[str, dict[str, Any] | None]:
    path, _ = await _cancel_setup(ws)
    return path, None


@pytest.mark.parametrize(
    "setup",
    [_calendar_setup, _member_setup, _event_setup, _cancel_setup, _cancel_without_body_setup],
    ids=["calendars", "members", "calendar-events", "cancel", "cancel-no-body"],
)
async def test_every_post_route_replays(
    ws: WorkspaceFixture, test_db: TestDatabase, setup: Any
) -> None:
    path, body = await setup(ws)
    kwargs: dict[str, Any] = {} if body is None else {"json": body}

    first = await ws.post(path, headers=key("route"), **kwargs)
    assert first.status_code in (200, 201), first.text
    counts = await row_counts(test_db)
    second = await ws.post(path, headers=key("route"), **kwargs)

    assert second.status_code == first.status_code
    assert second.headers[REPLAYED] == "true"
    assert second.json() == first.json()
    assert await row_counts(test_db) == counts
