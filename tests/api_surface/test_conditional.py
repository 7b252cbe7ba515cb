"""CONTRACT §1.1 conditional requests and JSON Merge Patch: a stale, weak or garbled If-Match
on any event write is a 412 that changes nothing; If-None-Match gives 304; PATCH merges."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import WorkspaceFixture
from tests.support.problems import assert_problem

BAD_TAGS = ["stale", 'W/"{etag}"', "garbage", '"', "{etag}x"]


async def _booked(ws: WorkspaceFixture) -> tuple[dict[str, Any], dict[str, Any], str]:
    calendar = await ws.calendar(allowOverlap=True)
    alice = await ws.member("Alice")
    event = await ws.event(calendar["id"], attendeeIds=[alice["id"]])
    first = (await ws.get(f"/calendar-events/{event['id']}")).headers["etag"]
    changed = await ws.patch(f"/calendar-events/{event['id']}", json={"title": "Renamed"})
    assert changed.status_code == 200
    assert changed.headers["etag"] != first
    return event, alice, first  # ``first`` is now stale


def _writes(event_id: int, member_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("PUT", f"/calendar-events/{event_id}", {"title": "Lost by PUT"}),
        ("PATCH", f"/calendar-events/{event_id}", {"title": "Lost by PATCH"}),
        ("POST", f"/calendar-events/{event_id}/cancel", {"reason": "lost"}),
        (
            "PUT",
            f"/calendar-events/{event_id}/attendees/{member_id}",
            {"responseStatus": "accepted"},
        ),
        ("DELETE", f"/calendar-events/{event_id}", None),
    ]


@pytest.mark.parametrize("kind", ["stale", "weak", "garbage", "lone quote", "suffixed"])
async def test_every_event_write_refuses_an_if_match_that_is_not_current(
    ws: WorkspaceFixture, kind: str
) -> None:
    event, alice, stale = await _booked(ws)
    url = f"/calendar-events/{event['id']}"
    current = await ws.get(url)
    etag = current.headers["etag"]
    tag = {
        "stale": stale,
        "weak": f"W/{etag}",
        "garbage": "garbage",
        "lone quote": '"',
        "suffixed": etag[:-1] + 'x"',
    }[kind]
    for method, path, body in _writes(event["id"], alice["id"]):
        response = await ws.request(method, path, json=body, headers={"If-Match": tag})
        assert_problem(response, 412, "precondition_failed")
    after = await ws.get(url)
    assert after.json() == current.json()
    assert after.headers["etag"] == etag


async def test_every_event_write_goes_through_with_the_current_etag(ws: WorkspaceFixture) -> None:
    event, alice, _ = await _booked(ws)
    url = f"/calendar-events/{event['id']}"
    for method, path, body in _writes(event["id"], alice["id"]):
        etag = (await ws.get(url)).headers["etag"]
        if "cancel" in path:  # RSVP needs a live event: answer first, then cancel
            continue
        response = await ws.request(method, path, json=body, headers={"If-Match": etag})
        assert response.status_code == 200, response.text
        if method != "DELETE":
            assert response.headers["etag"] != etag
        if "attendees" in path:
            etag = (await ws.get(url)).headers["etag"]
            cancel = await ws.post(f"{url}/cancel", json={}, headers={"If-Match": etag})
            assert cancel.status_code == 200, cancel.text
            assert cancel.json()["status"] == "cancelled"
    assert (await ws.get(url)).status_code == 404


async def test_if_none_match_gives_304_with_an_empty_body(ws: WorkspaceFixture) -> None:
    event, _, stale = await _booked(ws)
    url = f"/calendar-events/{event['id']}"
    etag = (await ws.get(url)).headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = await ws.get(url, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag
    fresh = await ws.get(url, headers={"If-None-Match": stale})
    assert fresh.status_code == 200
    assert fresh.json()["title"] == "Renamed"


async def test_patch_and_put_are_the_same_partial_update(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    event = await ws.event(calendar["id"], description="keep", metadata={"a": 1, "b": {"c": 2}})
    url = f"/calendar-events/{event['id']}"
    patched = await ws.patch(url, json={"title": "P", "metadata": {"b": {"d": 3}, "a": None}})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["title"] == "P"
    assert body["description"] == "keep"
    assert body["metadata"] == {"b": {"c": 2, "d": 3}}
    put = await ws.put(url, json={"description": None, "metadata": {"e": [1]}})
    assert put.status_code == 200, put.text
    assert put.json()["description"] is None
    assert put.json()["title"] == "P"
    assert put.json()["metadata"] == {"b": {"c": 2, "d": 3}, "e": [1]}


async def test_a_calendar_patch_merges_availability(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(
        availability={
            "weekly": [{"day": "monday", "start": "09:00", "end": "17:00"}],
            "exceptions": [{"date": "2026-12-24", "windows": []}],
        }
    )
    url = f"/calendars/{calendar['id']}"
    weekly = [{"day": "tuesday", "start": "10:00", "end": "12:00"}]
    response = await ws.patch(url, json={"availability": {"weekly": weekly}})
    assert response.status_code == 200, response.text
    availability = (await ws.get(url)).json()["availability"]
    assert availability["weekly"] == weekly  # arrays replace
    assert availability["exceptions"] == [{"date": "2026-12-24", "windows": []}]  # kept
    cleared = await ws.patch(url, json={"availability": None, "description": "x"})
    assert cleared.status_code == 200
    assert cleared.json()["availability"] is None
    assert cleared.json()["name"] == "Room A"


async def test_a_calendar_patch_with_an_unknown_account_is_422(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar()
    url = f"/calendars/{calendar['id']}"
    for body in (
        {"googleAccountId": 999_999},
        {"googleAccountId": 999_999, "googleCalendarId": "primary"},
    ):
        assert_problem(await ws.patch(url, json=body), 422, "account_not_found")
    assert (await ws.get(url)).json()["googleAccountId"] is None
