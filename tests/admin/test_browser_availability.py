"""The availability editor in a real Chromium: rows added, removed and copied to the weekdays
by the page's script, an exception picked in the date field, an overlap refused on its row;
and the same editing without JavaScript, through the server."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar.models import Calendar
from tests.admin.browser import LiveServer, Visit, add_date_exception

pytestmark = pytest.mark.browser
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def _stored(live_server: LiveServer, name: str) -> dict[str, Any] | None:
    async def read(session: AsyncSession) -> dict[str, Any] | None:
        calendar = await session.scalar(select(Calendar).where(Calendar.name == name))
        assert calendar is not None
        return calendar.availability

    return live_server.run(read)


def test_add_remove_copy_an_exception_and_an_overlap_refused_on_its_row(
    visit: Visit, live_server: LiveServer
) -> None:
    uuid, _ = live_server.seed_workspace("Hours Co")
    page = visit.page
    visit.go(f"/admin/w/{uuid}/calendars/new")
    page.fill("#name", "Consulting")
    expect(page.locator("#availability-editor")).to_be_hidden()  # "at any time" by default
    page.check("input[name=availability][value=hours]")
    expect(page.locator("#availability-editor")).to_be_visible()
    expect(page.locator("#rows-monday [data-row]")).to_have_count(0)  # no fixed rows

    monday = page.locator("#day-monday")
    page.check("#open-monday")
    monday.locator("input[name=monday-start]").fill("09:00")
    monday.locator("input[name=monday-end]").fill("12:00")
    monday.locator("button", has_text="Add hours").click()
    expect(monday.locator("[data-row]")).to_have_count(2)
    monday.locator("input[name=monday-start]").nth(1).fill("13:00")
    monday.locator("input[name=monday-end]").nth(1).fill("17:00")
    monday.locator("button", has_text="Add hours").click()
    monday.locator("[data-row]").nth(2).locator("button", has_text="Remove").click()
    expect(monday.locator("[data-row]")).to_have_count(2)
    visit.shot("monday")

    monday.locator("button", has_text="Copy to all weekdays").click()
    for day in WEEKDAYS:
        expect(page.locator(f"#open-{day}")).to_be_checked()
        expect(page.locator(f"input[name={day}-end]").nth(1)).to_have_value("17:00")
    expect(page.locator("#open-saturday")).not_to_be_checked()
    expect(page.locator("#day-saturday button", has_text="Add hours")).to_be_hidden()
    visit.shot("copied")

    add_date_exception(page, "2026-12-24", "10:00", "14:00")
    # Friday afternoon overlaps Friday's morning window.
    page.locator("input[name=friday-start]").nth(1).fill("11:00")
    visit.shot("overlap-typed")
    page.click("text=Create calendar")

    start = page.locator("input[name=friday-start]").nth(1)
    expect(start).to_have_attribute("aria-invalid", "true")
    expect(start).to_have_attribute("aria-describedby", "weekly-friday-1-error")
    expect(page.locator("#weekly-friday-1-error")).to_have_text(
        "Overlaps the window 09:00-12:00 of the same day."
    )
    expect(page.locator("[aria-invalid=true]")).to_have_count(2)  # that row's From and To only
    expect(page.locator("input[name=exception-0-date]")).to_have_value("2026-12-24")
    expect(page.locator("#exception-0 [data-iso-date]")).to_have_text("2026-12-24")
    visit.shot("overlap-refused")
    page.set_viewport_size({"width": 390, "height": 844})
    visit.shot("overlap-refused-phone")
    page.set_viewport_size({"width": 1280, "height": 860})

    start.fill("13:00")
    page.click("text=Create calendar")
    expect(page.locator(".flash.ok")).to_have_text("Calendar “Consulting” created.")
    visit.shot("saved")
    assert _stored(live_server, "Consulting") == {
        "weekly": [
            window
            for day in WEEKDAYS
            for window in (
                {"day": day, "start": "09:00", "end": "12:00"},
                {"day": day, "start": "13:00", "end": "17:00"},
            )
        ],
        "exceptions": [{"date": "2026-12-24", "windows": [{"start": "10:00", "end": "14:00"}]}],
    }


def test_the_editor_works_without_javascript(
    browser: Browser, visit: Visit, live_server: LiveServer
) -> None:
    uuid, _ = live_server.seed_workspace("No Script Co")
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 860}
    )
    context.add_cookies(visit.page.context.cookies())
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/w/{uuid}/calendars/new")
        page.fill("#name", "Plain")
        page.check("input[name=availability][value=hours]")
        page.locator("#day-tuesday button", has_text="Add hours").click()  # a round trip
        expect(page.locator("#open-tuesday")).to_be_checked()
        page.fill("input[name=tuesday-start]", "08:00")
        page.fill("input[name=tuesday-end]", "10:00")
        page.locator("#day-tuesday button", has_text="Copy to all weekdays").click()
        expect(page.locator("input[name=thursday-start]")).to_have_value("08:00")
        page.locator("#day-monday button", has_text="Remove").click()
        expect(page.locator("input[name=monday-start]")).to_have_count(0)
        page.uncheck("#open-monday")
        page.locator("#name").press("Enter")  # Enter saves (it does not add a row)
        expect(page.locator(".flash.ok")).to_have_text("Calendar “Plain” created.")
    finally:
        context.close()
    assert _stored(live_server, "Plain") == {
        "weekly": [
            {"day": day, "start": "08:00", "end": "10:00"} for day in WEEKDAYS if day != "monday"
        ],
        "exceptions": [],
    }
