"""googleConflictCheck: busy time in the linked Google calendar is booked too (booking rule 4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from calbridge.google.gateway import GoogleGateway
from calbridge.outbox.worker import Worker
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator
from tests.google.conftest import seed
from tests.google_sync.conftest import USER, GoogleView, settle
from tests.support.api import WorkspaceFixture
from tests.support.google import gateway_for

BUSY = {
    "summary": "Dentist",
    "start": {"dateTime": "2026-04-13T10:00:00+02:00"},
    "end": {"dateTime": "2026-04-13T11:00:00+02:00"},
}


@pytest.fixture
async def checked(ws: WorkspaceFixture, account: int) -> dict[str, Any]:
    return await ws.calendar(
        name="Checked",
        googleAccountId=account,
        googleCalendarId="primary",
        googleConflictCheck=True,
    )


@pytest.fixture
async def dentist(google: httpx.AsyncClient, emulator: GoogleEmulator) -> dict[str, Any]:
    """The test user's own appointment in Google, 10:00-11:00 Amsterdam time."""
    headers = {"Authorization": f"Bearer {emulator.issue_access_token()}"}
    return await seed(google, headers, **BUSY)


def booking(calendar_id: int, start: str, end: str) -> dict[str, Any]:
    return {
        "calendarId": calendar_id,
        "title": "Call",
        "startTime": f"2026-04-13T{start}:00",
        "endTime": f"2026-04-13T{end}:00",
    }


async def test_a_booking_over_busy_google_time_is_a_slot_conflict(
    ws: WorkspaceFixture, checked: dict[str, Any], dentist: dict[str, Any]
) -> None:
    response = await ws.post("/calendar-events", json=booking(checked["id"], "10:30", "11:30"))
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "slot_conflict"
    # Right after the busy time is free (as with our own events, end meets start).
    response = await ws.post("/calendar-events", json=booking(checked["id"], "11:00", "11:30"))
    assert response.status_code == 201, response.text
    listed = await ws.get("/calendar-events")
    assert [e["startTime"][11:16] for e in listed.json()["items"]] == ["11:00"]


async def test_without_the_check_busy_google_time_does_not_matter(
    ws: WorkspaceFixture, account: int, dentist: dict[str, Any]
) -> None:
    calendar = await ws.calendar(googleAccountId=account, googleCalendarId="primary")
    response = await ws.post("/calendar-events", json=booking(calendar["id"], "10:30", "11:30"))
    assert response.status_code == 201, response.text


async def test_the_events_own_google_copy_does_not_conflict_on_update(
    ws: WorkspaceFixture,
    checked: dict[str, Any],
    dentist: dict[str, Any],
    worker: Worker,
    in_google: GoogleView,
) -> None:
    event = await ws.event(checked["id"], startTime="2026-04-13T08:00:00")
    await settle(worker)
    assert in_google.copy_of(event["id"]) is not None  # its copy is busy 08:00-09:30 in Google

    path = f"/calendar-events/{event['id']}"
    response = await ws.put(path, json={"endTime": "2026-04-13T09:45:00"})
    assert response.status_code == 200, response.text
    response = await ws.put(path, json={"endTime": "2026-04-13T10:15:00"})  # into the dentist
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "slot_conflict"
    shown = (await ws.get(path)).json()
    assert shown["endTime"].startswith("2026-04-13T09:45:00")


async def test_google_unreachable_is_503_and_nothing_is_booked(
    ws: WorkspaceFixture, checked: dict[str, Any], settings: Settings, app: FastAPI
) -> None:
    down = settings.model_copy(
        update={"google_calendar_base_url": "http://127.0.0.1:9/calendar/v3"}
    )
    gateway = GoogleGateway(down)
    app.state.services = replace(app.state.services, google=gateway)  # nothing listens on port 9
    try:
        response = await ws.post("/calendar-events", json=booking(checked["id"], "12:00", "12:30"))
    finally:
        await gateway.aclose()
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "google_unavailable"
    assert (await ws.get("/calendar-events")).json()["items"] == []


async def test_google_failing_with_server_errors_is_503(
    ws: WorkspaceFixture, checked: dict[str, Any], emulator: GoogleEmulator
) -> None:
    emulator.add_fault("unavailable_503", count=5, path_prefix="/calendar/v3/calendars/")
    response = await ws.post("/calendar-events", json=booking(checked["id"], "12:00", "12:30"))
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "google_unavailable"


async def test_a_cancelled_booking_frees_its_slot_before_google_hears_of_it(
    ws: WorkspaceFixture, checked: dict[str, Any], worker: Worker, in_google: GoogleView
) -> None:
    first = await ws.post("/calendar-events", json=booking(checked["id"], "12:00", "12:30"))
    assert first.status_code == 201, first.text
    await settle(worker)
    assert (in_google.copy_of(first.json()["id"]) or {}).get("status") == "confirmed"

    response = await ws.post(f"/calendar-events/{first.json()['id']}/cancel", json={})
    assert response.status_code == 200, response.text
    # The worker has not run: the copy still shows the slot busy in Google.
    assert (in_google.copy_of(first.json()["id"]) or {}).get("status") == "confirmed"
    again = await ws.post("/calendar-events", json=booking(checked["id"], "12:00", "12:30"))
    assert again.status_code == 201, again.text


async def test_google_events_count_as_freebusy_would_count_them(
    ws: WorkspaceFixture,
    other_ws: WorkspaceFixture,
    checked: dict[str, Any],
    google: httpx.AsyncClient,
    emulator: GoogleEmulator,
) -> None:
    headers = {"Authorization": f"Bearer {emulator.issue_access_token()}"}

    def at(hour: int) -> dict[str, Any]:
        return {
            "start": {"dateTime": f"2026-04-13T{hour}:00:00+02:00"},
            "end": {"dateTime": f"2026-04-13T{hour + 1}:00:00+02:00"},
        }

    # Another workspace's calbridge copy is somebody else's busy time.
    theirs = {"private": {"calbridgeEventId": "1", "calbridgeWorkspace": other_ws.uuid}}
    await seed(google, headers, extendedProperties=theirs, **at(13))
    await seed(google, headers, transparency="transparent", **at(14))  # shown as free
    declined = [{"email": USER, "responseStatus": "declined"}]
    await seed(google, headers, attendees=declined, **at(15))
    await seed(google, headers, status="tentative", **at(16))

    codes = {}
    for hour in (13, 14, 15, 16):
        response = await ws.post(
            "/calendar-events", json=booking(checked["id"], f"{hour}:15", f"{hour}:45")
        )
        codes[hour] = response.status_code
    assert codes == {13: 409, 14: 201, 15: 201, 16: 409}


@pytest.fixture
def configure(settings: Settings, emulator: GoogleEmulator, app: FastAPI) -> Callable[..., None]:
    """Point the app's booking check at the emulator with some settings changed."""

    def configure(**changes: Any) -> None:
        gateway = gateway_for(settings.model_copy(update=changes), emulator)
        app.state.services = replace(app.state.services, google=gateway)

    return configure


async def test_a_slow_google_is_503_at_the_checks_deadline(
    ws: WorkspaceFixture,
    checked: dict[str, Any],
    emulator: GoogleEmulator,
    configure: Callable[..., None],
) -> None:
    # Google answers within each call's timeout (5 s), but not within the check's deadline: the
    # booking holds the calendar's lock (on SQLite every writer's) while it waits.
    configure(google_conflict_check_timeout_seconds=0.2)
    emulator.add_fault("latency", count=1, seconds=3, path_prefix="/calendar/v3/calendars/")
    response = await ws.post("/calendar-events", json=booking(checked["id"], "12:00", "12:30"))
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "google_unavailable"
    assert (await ws.get("/calendar-events")).json()["items"] == []


async def test_the_check_does_not_retry_inside_the_request(
    ws: WorkspaceFixture,
    checked: dict[str, Any],
    emulator: GoogleEmulator,
    configure: Callable[..., None],
) -> None:
    configure(google_request_retries=2)  # what other requests (the account calendar API) use
    emulator.add_fault("unavailable_503", count=1, path_prefix="/calendar/v3/calendars/")
    response = await ws.post("/calendar-events", json=booking(checked["id"], "12:00", "12:30"))
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "google_unavailable"


async def test_slots_and_free_busy_count_google_busy_time(
    ws: WorkspaceFixture, checked: dict[str, Any], dentist: dict[str, Any]
) -> None:
    """Until the two-way mirror lands, slots and free/busy read the linked calendar's busy time
    as the booking check does (our own copies excluded)."""
    await ws.event(checked["id"], startTime="2026-04-13T11:00:00", endTime="2026-04-13T11:30:00")
    response = await ws.get(
        f"/calendars/{checked['id']}/slots",
        params={"start": "2026-04-13T09:00:00", "end": "2026-04-13T12:00:00", "duration": 60},
    )
    assert response.status_code == 200, response.text
    assert [slot["start"][11:16] for slot in response.json()["slots"]] == ["09:00"]
    response = await ws.post(
        "/free-busy",
        json={
            "calendarIds": [checked["id"]],
            "start": "2026-04-13T00:00:00",
            "end": "2026-04-14T00:00:00",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["calendars"][str(checked["id"])]["busy"] == [
        {"start": "2026-04-13T10:00:00+02:00", "end": "2026-04-13T11:30:00+02:00"}
    ]
