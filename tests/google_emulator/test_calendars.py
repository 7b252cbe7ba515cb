"""calendarList, calendars.get, freeBusy, and concurrent writes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from calbridge_google_emulator import GoogleEmulator

from .flows import EVENTS, error_reason, timed_event

FREEBUSY = "/calendar/v3/freeBusy"


async def add(
    client: httpx.AsyncClient, auth: dict[str, str], start: str, end: str, **fields: Any
) -> None:
    response = await client.post(EVENTS, json=timed_event(start, end, **fields), headers=auth)
    assert response.status_code == 200, response.text


def window(**extra: Any) -> dict[str, Any]:
    return {
        "timeMin": "2026-04-11T00:00:00Z",
        "timeMax": "2026-04-12T00:00:00Z",
        "items": [{"id": "primary"}],
        **extra,
    }


async def test_calendar_list_has_the_primary_calendar(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    emulator.add_calendar("team@group.calendar.google.com", "Team", "Europe/Berlin")
    body = (await client.get("/calendar/v3/users/me/calendarList", headers=auth)).json()
    assert body["kind"] == "calendar#calendarList"
    entries = {e["id"]: e for e in body["items"]}
    primary = entries["testuser@example.com"]
    assert primary["primary"] is True
    assert primary["accessRole"] == "owner"
    assert primary["kind"] == "calendar#calendarListEntry"
    assert entries["team@group.calendar.google.com"]["timeZone"] == "Europe/Berlin"
    assert "primary" not in entries["team@group.calendar.google.com"]


async def test_calendars_get_resolves_primary(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/calendar/v3/calendars/primary", headers=auth)
    assert response.json()["id"] == "testuser@example.com"
    assert response.json()["timeZone"] == "UTC"


async def test_freebusy_reports_merged_clipped_busy_time(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add(client, auth, "2026-04-10T23:00:00Z", "2026-04-11T01:00:00Z")
    await add(client, auth, "2026-04-11T09:00:00Z", "2026-04-11T10:00:00Z")
    await add(client, auth, "2026-04-11T09:30:00Z", "2026-04-11T11:00:00Z")
    await add(
        client, auth, "2026-04-11T13:00:00Z", "2026-04-11T14:00:00Z", transparency="transparent"
    )
    await add(
        client,
        auth,
        "2026-04-11T15:00:00Z",
        "2026-04-11T16:00:00Z",
        attendees=[{"email": "testuser@example.com", "responseStatus": "declined"}],
    )
    response = await client.post(FREEBUSY, json=window(), headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "calendar#freeBusy"
    assert body["calendars"]["primary"]["busy"] == [
        {"start": "2026-04-11T00:00:00Z", "end": "2026-04-11T01:00:00Z"},
        {"start": "2026-04-11T09:00:00Z", "end": "2026-04-11T11:00:00Z"},
    ]


async def test_freebusy_ignores_cancelled_events(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await client.post(
        EVENTS, json=timed_event("2026-04-11T09:00:00Z", "2026-04-11T10:00:00Z"), headers=auth
    )
    await client.delete(f"{EVENTS}/{created.json()['id']}", headers=auth)
    body = (await client.post(FREEBUSY, json=window(), headers=auth)).json()
    assert body["calendars"]["primary"]["busy"] == []


async def test_freebusy_marks_unknown_calendars_not_found(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = window(items=[{"id": "primary"}, {"id": "stranger@example.com"}])
    calendars = (await client.post(FREEBUSY, json=body, headers=auth)).json()["calendars"]
    assert calendars["stranger@example.com"]["errors"] == [
        {"domain": "global", "reason": "notFound"}
    ]
    assert calendars["primary"] == {"busy": []}


async def test_freebusy_writes_times_in_the_requested_zone(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add(client, auth, "2026-04-11T09:00:00Z", "2026-04-11T10:00:00Z")
    body = (await client.post(FREEBUSY, json=window(timeZone="Europe/Berlin"), headers=auth)).json()
    assert body["calendars"]["primary"]["busy"] == [
        {"start": "2026-04-11T11:00:00+02:00", "end": "2026-04-11T12:00:00+02:00"}
    ]


async def test_freebusy_checks_its_window_and_token(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    empty = window(timeMax="2026-04-11T00:00:00Z")
    response = await client.post(FREEBUSY, json=empty, headers=auth)
    assert response.status_code == 400
    assert error_reason(response) == "timeRangeEmpty"
    missing = await client.post(FREEBUSY, json={"items": []}, headers=auth)
    assert missing.status_code == 400
    assert (await client.post(FREEBUSY, json=window())).status_code == 401


async def test_concurrent_writes_are_all_kept_with_unique_ids_and_etags(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = timed_event("2026-04-11T09:00:00Z", "2026-04-11T10:00:00Z")
    responses = await asyncio.gather(
        *(client.post(EVENTS, json=body, headers=auth) for _ in range(50)),
        *(client.post(EVENTS, json=body | {"id": "samesame1"}, headers=auth) for _ in range(10)),
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 51 + [409] * 9
    events = emulator.events()
    assert len(events) == 51
    assert len({e["id"] for e in events}) == 51
    assert len({e["etag"] for e in events}) == 51


async def test_unknown_paths_answer_in_googles_envelope(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/calendar/v3/nothing/here", headers=auth)
    assert response.status_code == 404
    assert error_reason(response) == "notFound"
