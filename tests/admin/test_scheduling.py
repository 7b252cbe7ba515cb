"""Booking policies and free slots in the panel: the calendar form edits the policies, the
booking form offers the chosen day's free slots, and the panel may book and cancel inside the
notice and cancellation windows (as an admin token may). "Now" is fixed at Monday 2026-04-13
08:00 in Amsterdam."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import unquote_plus

import pytest

from tests.admin.conftest import Panel, saved_id
from tests.support.api import WorkspaceFixture
from tests.support.clock import freeze

NOW = datetime(2026, 4, 13, 6, 0, tzinfo=UTC)
SLOT_LINK = re.compile(r'href="[^"]*&amp;start=([^&"]+)&amp;end=([^&"]+)">([^<]+)</a>')


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, NOW)


async def test_the_calendar_form_edits_the_booking_policies(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    response = await panel.add(
        ws.uuid,
        "calendars",
        {
            "name": "Studio",
            "timezone": "Europe/Amsterdam",
            "min_notice_minutes": "60",
            "max_advance_days": "",
            "buffer_before_minutes": "5",
            "buffer_after_minutes": "10",
            "cancellation_notice_minutes": "1440",
        },
    )
    assert response.status_code == 303, response.text
    calendar_id = saved_id(response)
    api = (await ws.get(f"/calendars/{calendar_id}")).json()
    assert (
        api["minNoticeMinutes"],
        api["maxAdvanceDays"],
        api["bufferBeforeMinutes"],
        api["bufferAfterMinutes"],
        api["cancellationNoticeMinutes"],
    ) == (60, None, 5, 10, 1440)
    page = (await panel.get(f"/admin/w/{ws.uuid}/calendars/{calendar_id}")).text
    assert 'name="cancellation_notice_minutes" inputmode="numeric" value="1440"' in page

    for field, value, message in [
        ("max_advance_days", "0", "greater than or equal to 1"),
        ("buffer_after_minutes", "ten", "Give a whole number"),
        ("buffer_before_minutes", "2000", "less than or equal to 1440"),
    ]:
        response = await panel.post(
            f"/admin/w/{ws.uuid}/calendars/{calendar_id}",
            {"name": "Studio", "timezone": "Europe/Amsterdam", field: value},
        )
        assert response.status_code == 422, (field, response.text)
        assert f'data-field="{field}"' in response.text
        assert message in html.unescape(response.text)
    api_after = (await ws.get(f"/calendars/{calendar_id}")).json()
    assert api_after == api


async def test_the_booking_form_offers_the_days_free_slots(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    availability = {"weekly": [{"day": "tuesday", "start": "09:00", "end": "11:00"}]}
    calendar = await ws.calendar(availability=availability, bufferAfterMinutes=15)
    await ws.event(calendar["id"], startTime="2026-04-14T09:30:00", endTime="2026-04-14T09:45:00")
    page = await panel.get(
        f"/admin/w/{ws.uuid}/events/new",
        params={"calendar": calendar["id"], "day": "2026-04-14", "duration": "30"},
    )
    assert page.status_code == 200, page.text
    links = [
        (unquote_plus(s), unquote_plus(e), label) for s, e, label in SLOT_LINK.findall(page.text)
    ]
    # 09:00 and 09:30 are too close to 09:30-09:45 (15 minutes of buffer); 10:00 is free.
    assert [label for _, _, label in links] == [
        "10:00+02:00 to 10:30+02:00",
        "10:30+02:00 to 11:00+02:00",
    ]
    start, end, _ = links[0]
    assert (start, end) == ("2026-04-14 10:00+02:00", "2026-04-14 10:30+02:00")

    closed = await panel.get(
        f"/admin/w/{ws.uuid}/events/new", params={"calendar": calendar["id"], "day": "2026-04-15"}
    )
    assert SLOT_LINK.findall(closed.text) == []
    assert "No free slot of 30 minutes on 2026-04-15" in closed.text

    # Following a link fills in the booking form, which books it.
    chosen = await panel.get(
        f"/admin/w/{ws.uuid}/events/new",
        params={"calendar": calendar["id"], "day": "2026-04-14", "start": start, "end": end},
    )
    assert f'name="start_time" value="{start}"' in chosen.text
    assert f'name="end_time" value="{end}"' in chosen.text
    booked = await panel.post(
        f"/admin/w/{ws.uuid}/events",
        {"calendar_id": calendar["id"], "title": "Chosen", "start_time": start, "end_time": end},
    )
    assert booked.status_code == 303, booked.text
    listed = (await ws.get("/calendar-events", params={"calendarId": calendar["id"]})).json()
    assert [event["startTime"] for event in listed["items"]] == [
        "2026-04-14T09:30:00+02:00",
        "2026-04-14T10:00:00+02:00",
    ]


async def test_the_panel_books_and_cancels_inside_the_policy_windows(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar(minNoticeMinutes=240, cancellationNoticeMinutes=240)
    booked = await panel.add(
        ws.uuid,
        "events",
        {
            "calendar_id": calendar["id"],
            "title": "Soon",
            "start_time": "2026-04-13T09:00",
            "end_time": "2026-04-13T09:30",
        },
    )
    assert booked.status_code == 303, booked.text
    event_path = booked.headers["location"]
    await panel.get(event_path)
    cancelled = await panel.post(f"{event_path}/cancel", {"reason": "Changed plans"})
    assert cancelled.status_code == 303, cancelled.text
    event_id = event_path.rsplit("/", 1)[-1]
    assert (await ws.get(f"/calendar-events/{event_id}")).json()["status"] == "cancelled"
    # Never into a conflict or outside availability, though.
    await ws.event(calendar["id"], startTime="2026-04-13T10:00:00", endTime="2026-04-13T11:00:00")
    clash = await panel.add(
        ws.uuid,
        "events",
        {
            "calendar_id": calendar["id"],
            "title": "Clash",
            "start_time": "2026-04-13T10:30",
            "end_time": "2026-04-13T11:30",
        },
    )
    assert clash.status_code == 422
    assert "already booked" in html.unescape(clash.text)
