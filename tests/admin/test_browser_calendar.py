"""The week and day view in a real Chromium (issue 15, acceptance 2): the fall-back week shows
the two 02:30 bookings side by side with their offsets, a Tokyo and an Amsterdam calendar each in
its own zone, and a free slot clicked, booked and gone. "Now" is Monday 2026-10-19 08:00 in
Amsterdam (the server runs in this process, so the fixed clock holds for it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Locator, expect

from tests.admin.browser import LiveServer, SeededApi, Visit
from tests.support.clock import freeze

pytestmark = pytest.mark.browser
NOW = datetime(2026, 10, 19, 6, 0, tzinfo=UTC)
HOUR_PX = 60  # admin.css: the grid is a pixel a minute


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    freeze(monkeypatch, NOW)
    yield


def minutes_from_midnight(block: Locator) -> float:
    """Where the block is drawn, read back from the page in minutes of the day (once admin.js
    has placed the grid's blocks: the deferred script may run after the text is there)."""
    grid = block.locator("xpath=ancestor::*[contains(@class, 'calgrid')]")
    expect(grid).to_have_class(re.compile(r"\bplaced\b"))
    body = block.locator("xpath=ancestor::div[contains(@class, 'daybody')]").bounding_box()
    box = block.bounding_box()
    assert body and box
    return (box["y"] - body["y"]) / HOUR_PX * 60


def test_the_fall_back_week_shows_the_0230_booking_twice(
    visit: Visit, live_server: LiveServer
) -> None:
    api = SeededApi(live_server, "Night Co")
    calendar = api.post("/calendars", {"name": "Night desk", "timezone": "Europe/Amsterdam"})
    for offset in ("+02:00", "+01:00"):
        start, end = f"2026-10-25T02:30:00{offset}", f"2026-10-25T03:00:00{offset}"
        api.event(calendar["id"], f"Shift {offset}", start, end)

    page = visit.page
    visit.go(f"/admin/w/{api.uuid}/calendars/{calendar['id']}/view?day=2026-10-25")
    expect(page.locator("#view-zone")).to_have_text(
        "Times in Europe/Amsterdam, 24-hour, with the UTC offset"
    )
    expect(page.locator("#view-range")).to_have_text("Week of 2026-10-19 to 2026-10-25")
    expect(page.locator("#head-2026-10-25")).to_contain_text("+02:00 → +01:00")
    events = page.locator("#day-2026-10-25 .block.event")
    expect(events).to_have_text(
        ["02:30+02:00 to 02:00+01:00 Shift +02:00", "02:30+01:00 to 03:00+01:00 Shift +01:00"]
    )
    first, second = events.nth(0), events.nth(1)
    assert minutes_from_midnight(first) == minutes_from_midnight(second) == 150
    first_box, second_box = first.bounding_box(), second.bounding_box()
    assert first_box and second_box
    assert first_box["x"] + first_box["width"] <= second_box["x"]  # side by side
    visit.shot("fall-back-week")

    first.click()
    expect(page.locator("dl.facts")).to_contain_text("2026-10-25 02:30+02:00")
    page.click("#event-week")
    expect(page.locator("#view-range")).to_have_text("Week of 2026-10-19 to 2026-10-25")
    page.get_by_role("link", name="Day", exact=True).click()
    expect(page.locator(".calnav [aria-current=page]")).to_have_text("Day")
    expect(page.locator("#view-range")).to_have_text("Sunday 2026-10-25")
    visit.shot("fall-back-day")


def test_a_tokyo_and_an_amsterdam_calendar_each_in_its_own_zone(
    visit: Visit, live_server: LiveServer
) -> None:
    api = SeededApi(live_server, "Two Cities")
    tokyo = api.post("/calendars", {"name": "Tokyo room", "timezone": "Asia/Tokyo"})
    amsterdam = api.post("/calendars", {"name": "Amsterdam room", "timezone": "Europe/Amsterdam"})
    api.event(tokyo["id"], "Tokyo evening", "2026-10-22T18:00:00", "2026-10-22T19:00:00")
    api.event(amsterdam["id"], "Amsterdam late", "2026-10-22T16:00:00", "2026-10-22T17:00:00")

    page = visit.page
    for calendar, zone, text, minutes in (
        (tokyo, "Asia/Tokyo", "18:00+09:00 to 19:00+09:00 Tokyo evening", 18 * 60),
        (amsterdam, "Europe/Amsterdam", "16:00+02:00 to 17:00+02:00 Amsterdam late", 16 * 60),
    ):
        visit.go(f"/admin/w/{api.uuid}/calendars/{calendar['id']}/view?day=2026-10-22")
        expect(page.locator("#view-zone")).to_contain_text(zone)
        block = page.locator("#day-2026-10-22 .block.event")
        expect(block).to_have_text(text)
        assert minutes_from_midnight(block) == minutes
        visit.shot(f"week-{zone.split('/')[1].lower()}")

    # The list: by instant (Tokyo 18:00 is 09:00 UTC, Amsterdam 16:00 is 14:00 UTC).
    visit.go(f"/admin/w/{api.uuid}/events")
    expect(page.locator("tbody tr td:first-child")).to_have_text(
        ["2026-10-22 18:00+09:00 Asia/Tokyo", "2026-10-22 16:00+02:00 Europe/Amsterdam"]
    )
    expect(page.locator("input[type=date], input[type=datetime-local]")).to_have_count(0)
    visit.shot("events-by-instant")


def test_booking_a_free_slot_by_clicking_it(visit: Visit, live_server: LiveServer) -> None:
    api = SeededApi(live_server, "Slot Co")
    availability = {"weekly": [{"day": "thursday", "start": "09:00", "end": "11:00"}]}
    calendar = api.post(
        "/calendars",
        {"name": "Studio", "timezone": "Europe/Amsterdam", "availability": availability},
    )
    page = visit.page
    visit.go(f"/admin/w/{api.uuid}/calendars/{calendar['id']}/view")
    slots = page.locator("#day-2026-10-22 .block.slot")
    expect(slots).to_have_count(4)
    expect(page.locator(".block.slot")).to_have_count(4)  # Thursday only
    visit.shot("slots")

    page.get_by_role("link", name="Book 2026-10-22 10:00+02:00 to 2026-10-22 10:30+02:00").click()
    expect(page.locator("#start_time")).to_have_value("2026-10-22 10:00+02:00")
    expect(page.locator("#end_time")).to_have_value("2026-10-22 10:30+02:00")
    expect(page.locator("#calendar_id")).to_have_value(str(calendar["id"]))
    expect(page.locator("input[type=date], input[type=datetime-local]")).to_have_count(0)
    page.fill("#title", "Booked from the grid")
    visit.shot("booking-form")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator("#event-status")).to_have_text("Confirmed")
    expect(page.locator("dl.facts")).to_contain_text("2026-10-22 10:00+02:00")

    page.click("#event-week")
    expect(slots).to_have_text(
        [
            "09:00+02:00 free",
            "09:30+02:00 free",
            "10:30+02:00 free",
        ]
    )
    booked = page.locator("#day-2026-10-22 .block.event")
    expect(booked).to_have_text("10:00+02:00 to 10:30+02:00 Booked from the grid")
    assert minutes_from_midnight(booked) == 10 * 60
    visit.shot("slot-gone")
