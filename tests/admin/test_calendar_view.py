"""The week and day view of a calendar (issue 15): events placed by their calendar's wall clock
with offsets, free slots from the scheduling service that link to a filled-in booking form, and
the events list in instant order. "Now" is Monday 2026-10-19 08:00 in Amsterdam, the week before
the fall-back night of 2026-10-25 (02:00-03:00 happens twice: first +02:00, then +01:00)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.admin.calendar_page import read_calendar_page
from tests.admin.conftest import Panel
from tests.support.api import WorkspaceFixture
from tests.support.clock import freeze

NOW = datetime(2026, 10, 19, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, NOW)


def view(ws: WorkspaceFixture, calendar_id: int) -> str:
    return f"/admin/w/{ws.uuid}/calendars/{calendar_id}/view"


async def test_the_fall_back_week_shows_both_0230_bookings_with_their_offsets(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar()
    for offset in ("+02:00", "+01:00"):
        await ws.event(
            calendar["id"],
            title=f"Night shift {offset}",
            startTime=f"2026-10-25T02:30:00{offset}",
            endTime=f"2026-10-25T03:00:00{offset}",
        )
    response = await panel.get(view(ws, calendar["id"]), params={"day": "2026-10-25"})
    assert response.status_code == 200, response.text
    page = read_calendar_page(response.text)
    assert 'id="view-zone">Times in <strong>Europe/Amsterdam</strong>' in response.text
    assert sorted(page.heads) == [f"2026-10-{day}" for day in range(19, 26)]
    assert page.heads["2026-10-24"] == "Sat 2026-10-24 +02:00"
    assert page.heads["2026-10-25"] == "Sun 2026-10-25 +02:00 → +01:00"
    events = page.of("event", "2026-10-25")
    assert [b.text for b in events] == [
        "02:30+02:00 to 02:00+01:00 Night shift +02:00",  # 03:00+02:00 is 02:00+01:00
        "02:30+01:00 to 03:00+01:00 Night shift +01:00",
    ]
    # Both start at 02:30 on the wall clock, so they stand side by side.
    assert [(b.top, b.lane, b.lanes) for b in events] == [(150, 0, 2), (150, 1, 2)]
    # A calendar open all day offers the free half hours of the hour that happens twice.
    fold = [b.text for b in page.of("slot", "2026-10-25") if b.text.startswith("02:")]
    assert fold == ["02:00+02:00 free", "02:00+01:00 free"]
    assert "start=2026-10-25+02%3A00%2B01%3A00" in page.of("slot", "2026-10-25")[5].href


async def test_each_calendar_is_shown_in_its_own_zone_and_the_list_in_instant_order(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    tokyo = await ws.calendar(name="Tokyo room", timezone="Asia/Tokyo")
    amsterdam = await ws.calendar(name="Amsterdam room")
    await ws.event(
        amsterdam["id"], title="Late", startTime="2026-10-22T16:00", endTime="2026-10-22T17:00"
    )
    await ws.event(
        tokyo["id"], title="Evening", startTime="2026-10-22T18:00", endTime="2026-10-22T19:00"
    )
    await ws.event(
        amsterdam["id"], title="Early", startTime="2026-10-22T09:00", endTime="2026-10-22T10:00"
    )

    shown = {}
    for calendar in (tokyo, amsterdam):
        response = await panel.get(view(ws, calendar["id"]), params={"day": "2026-10-22"})
        assert f"Times in <strong>{calendar['timezone']}</strong>" in response.text
        page = read_calendar_page(response.text)
        shown[calendar["name"]] = [(b.top, b.text) for b in page.of("event", "2026-10-22")]
    assert shown == {
        "Tokyo room": [(18 * 60, "18:00+09:00 to 19:00+09:00 Evening")],
        "Amsterdam room": [
            (9 * 60, "09:00+02:00 to 10:00+02:00 Early"),
            (16 * 60, "16:00+02:00 to 17:00+02:00 Late"),
        ],
    }

    # Tokyo's 18:00 (09:00 UTC) comes before Amsterdam's 16:00 (14:00 UTC).
    listed = html.unescape((await panel.get(f"/admin/w/{ws.uuid}/events")).text)
    rows = re.findall(r"<tr><td[^>]*>(\S+ \S+) <span[^>]*>([^<]+)</span>", listed)
    assert rows == [
        ("2026-10-22 09:00+02:00", "Europe/Amsterdam"),
        ("2026-10-22 18:00+09:00", "Asia/Tokyo"),
        ("2026-10-22 16:00+02:00", "Europe/Amsterdam"),
    ]


async def test_a_free_slot_fills_in_the_booking_form_and_is_gone_once_booked(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar(
        availability={"weekly": [{"day": "thursday", "start": "09:00", "end": "11:00"}]}
    )
    await ws.event(calendar["id"], startTime="2026-10-22T09:30", endTime="2026-10-22T10:00")
    page = read_calendar_page((await panel.get(view(ws, calendar["id"]))).text)
    slots = page.of("slot")
    assert [(b.day, b.text) for b in slots] == [
        ("2026-10-22", "09:00+02:00 free"),
        ("2026-10-22", "10:00+02:00 free"),
        ("2026-10-22", "10:30+02:00 free"),
    ]
    (busy,) = page.of("event")
    assert (busy.day, busy.top) == ("2026-10-22", 9 * 60 + 30)

    form = await panel.get(slots[1].href)
    assert 'name="start_time" value="2026-10-22 10:00+02:00"' in form.text
    assert 'name="end_time" value="2026-10-22 10:30+02:00"' in form.text
    query = parse_qs(urlsplit(slots[1].href).query)
    booked = await panel.post(
        f"/admin/w/{ws.uuid}/events",
        {
            "calendar_id": query["calendar"][0],
            "title": "From the grid",
            "start_time": query["start"][0],
            "end_time": query["end"][0],
        },
    )
    assert booked.status_code == 303, booked.text

    after = read_calendar_page((await panel.get(view(ws, calendar["id"]))).text)
    assert [b.text for b in after.of("slot")] == [
        "09:00+02:00 free",
        "10:30+02:00 free",
    ]
    assert [b.text for b in after.of("event")] == [
        "09:30+02:00 to 10:00+02:00 Intro call",
        "10:00+02:00 to 10:30+02:00 From the grid",
    ]


async def test_the_day_view_and_its_navigation(panel: Panel, ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar()
    await ws.event(calendar["id"], startTime="2026-10-21T23:30", endTime="2026-10-22T00:30")
    base = view(ws, calendar["id"])
    response = await panel.get(base, params={"span": "day", "day": "2026-10-22"})
    page = read_calendar_page(response.text)
    assert list(page.heads) == ["2026-10-22"]
    # The part after midnight of an event that began the day before.
    assert [(b.top, b.text) for b in page.of("event")] == [
        (0, "00:00+02:00 to 00:30+02:00 Intro call")
    ]
    links = html.unescape(response.text)
    assert f'href="{base}?span=day&day=2026-10-21" rel="prev"' in links
    assert f'href="{base}?span=day&day=2026-10-23" rel="next"' in links
    assert f'href="{base}?span=week&day=2026-10-22" aria-current' not in links
    assert f'href="{base}?span=day&day=2026-10-22" aria-current="page"' in links
    # Today (in the calendar's zone) and the week of the shown day.
    assert f'href="{base}?span=day&day=2026-10-19">Today' in links
    week = await panel.get(base, params={"day": "2026-10-22"})
    assert min(read_calendar_page(week.text).heads) == "2026-10-19"
    links = html.unescape(week.text)
    assert f'href="{base}?span=week&day=2026-10-15" rel="prev"' in links
    assert f'href="{base}?span=day&day=2026-10-22">Day' in links


async def test_a_bad_day_or_a_foreign_calendar_is_refused(
    panel: Panel, ws: WorkspaceFixture, other_ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar()
    for day in ("2026-13-01", "0001-01-01", "9999-12-31", "tomorrow"):
        response = await panel.get(view(ws, calendar["id"]), params={"day": day})
        assert response.status_code == 422, day
        assert "The day must be a date such as 2026-10-25" in response.text
    foreign = await other_ws.calendar()
    assert (await panel.get(view(ws, foreign["id"]))).status_code == 404
    for wrong in (2**31, 0, "x1"):
        assert (await panel.get(f"/admin/w/{ws.uuid}/calendars/{wrong}/view")).status_code == 404
