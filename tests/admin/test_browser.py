"""The panel in a real Chromium, against a live server: the flows an operator walks through."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar.models import Calendar
from calbridge.outbox.models import OutboxJob
from tests.admin.browser import LiveServer, SeededApi, Visit, add_date_exception

pytestmark = pytest.mark.browser


def test_sign_in_and_set_up_a_workspace(visit: Visit, live_server: LiveServer) -> None:
    page = visit.page
    visit.shot("workspaces")
    page.fill("#name", "Harbour Studios")
    page.fill("#timezone", "Europe/Lisbon")
    page.click("text=Create workspace")
    expect(page.locator(".crumbs")).to_contain_text("Harbour Studios")
    expect(page.locator("#timezone")).to_have_value("Europe/Lisbon")
    visit.shot("workspace-settings")

    page.click(".tabs >> text=Members")
    page.fill("#name", "Grace Hopper")
    page.fill("#email", "grace@example.com")
    page.click("text=Add member")
    expect(page.locator("table")).to_contain_text("grace@example.com")
    visit.shot("members")

    page.click(".tabs >> text=Calendars")
    page.click("text=New calendar")
    page.fill("#name", "Recording room")
    page.fill("#timezone", "Europe/Lisbon")
    page.fill("#max_attendees", "3")
    page.check("input[name=availability][value=hours]")
    page.check("#open-wednesday")  # switching a day on gives it one empty row
    page.fill("input[name=wednesday-start]", "09:00")
    page.fill("input[name=wednesday-end]", "17:30")
    add_date_exception(page, "2026-12-24", "10:00", "13:00")
    visit.shot("calendar-form")
    page.click("text=Create calendar")
    expect(page.locator(".flash.ok")).to_have_text("Calendar “Recording room” created.")

    page.reload()  # what the form shows now comes from the database
    expect(page.locator("#name")).to_have_value("Recording room")
    expect(page.locator("#open-wednesday")).to_be_checked()
    expect(page.locator("input[name=wednesday-end]")).to_have_value("17:30")
    expect(page.locator("input[name=exception-0-start]")).to_have_value("10:00")
    visit.shot("calendar-saved")

    async def stored(session: AsyncSession) -> Calendar | None:
        found: Calendar | None = await session.scalar(
            select(Calendar).where(Calendar.name == "Recording room")
        )
        return found

    calendar = live_server.run(stored)
    assert calendar is not None
    assert (calendar.timezone, calendar.max_attendees) == ("Europe/Lisbon", 3)
    assert calendar.availability == {
        "weekly": [{"day": "wednesday", "start": "09:00", "end": "17:30"}],
        "exceptions": [{"date": "2026-12-24", "windows": [{"start": "10:00", "end": "13:00"}]}],
    }
    page.click(".tabs >> text=Calendars")
    expect(page.locator("table")).to_contain_text("1 weekly, 1 exceptions")
    visit.shot("calendars")


def test_a_token_is_shown_once_and_works_against_the_api(
    visit: Visit, live_server: LiveServer
) -> None:
    uuid, _ = live_server.seed_workspace("Token Co")
    page = visit.page
    visit.go(f"/admin/w/{uuid}/tokens")
    page.fill("#name", "booking site")
    page.check("input[value='calendars:read']")
    page.check("input[value='calendars:admin']")
    page.click("text=Create token")
    secret = page.locator("#new-token").input_value()
    assert secret.startswith("cbk_")
    page.click("button[data-copy]")
    expect(page.locator("button[data-copy]")).to_have_text("Copied")
    visit.shot("token-created")

    headers = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
    api = f"{live_server.url}/api/v2/w/{uuid}/calendars"
    created = httpx.post(api, headers=headers, json={"name": "Via token", "timezone": "UTC"})
    assert created.status_code == 201, created.text
    listed = httpx.get(api, headers=headers)
    assert listed.status_code == 200
    assert [c["name"] for c in listed.json()["items"]] == ["Via token"]

    visit.go(f"/admin/w/{uuid}/tokens")  # the list, seen again: the secret is gone for good
    expect(page.locator("#new-token")).to_have_count(0)
    assert secret not in page.content()
    row = page.locator("tr", has_text="booking site")
    expect(row).not_to_contain_text("never")  # last used is recorded
    visit.shot("token-list")

    row.locator("text=Revoke").click()
    expect(page.locator("tr", has_text="booking site")).to_contain_text("revoked")
    assert httpx.get(api, headers=headers).status_code == 401
    visit.shot("token-revoked")


def test_an_accounts_google_flags_persist(visit: Visit, live_server: LiveServer) -> None:
    uuid, _ = live_server.seed_workspace("Accounts Co")
    page = visit.page

    def save_and_reload() -> None:
        with page.expect_navigation():
            page.click("main button.primary")
        expect(page.locator(".flash.ok")).to_have_text("Account “Front desk” saved.")
        page.reload()

    visit.go(f"/admin/w/{uuid}/accounts")
    page.fill("#name", "Front desk")
    page.click("text=Create account")
    expect(page.locator("#google-connection")).to_have_text("Not connected")
    # The defaults: not used; read and write on.
    expect(page.locator("#google_calendar_used")).not_to_be_checked()
    expect(page.locator("#google_read_enabled")).to_be_checked()
    expect(page.locator("#google_write_enabled")).to_be_checked()
    visit.shot("account-new")

    page.check("#google_calendar_used")
    page.uncheck("#google_write_enabled")
    save_and_reload()
    expect(page.locator("#google_calendar_used")).to_be_checked()
    expect(page.locator("#google_read_enabled")).to_be_checked()
    expect(page.locator("#google_write_enabled")).not_to_be_checked()
    visit.shot("account-write-off")

    page.uncheck("#google_read_enabled")
    page.check("#google_write_enabled")
    save_and_reload()
    expect(page.locator("#google_read_enabled")).not_to_be_checked()
    expect(page.locator("#google_write_enabled")).to_be_checked()
    page.click(".tabs >> text=Accounts")
    expect(page.locator("tr", has_text="Front desk")).to_contain_text("used")
    visit.shot("accounts")


def test_browse_events_and_cancel_one(visit: Visit, live_server: LiveServer) -> None:
    api = SeededApi(live_server, "Events Co")
    uuid = api.uuid
    calendar = api.post("/calendars", {"name": "Room A", "timezone": "Europe/Amsterdam"})
    ids = [
        api.event(
            calendar["id"], f"Meeting {day}", f"2026-04-{day}T09:00:00", f"2026-04-{day}T10:00:00"
        )["id"]
        for day in range(13, 17)
    ]

    page = visit.page
    visit.go(f"/admin/w/{uuid}/events")
    expect(page.locator("tbody tr")).to_have_count(4)
    visit.shot("events")
    page.fill("input[name=start]", "2026-04-14")
    page.fill("input[name=end]", "2026-04-15")
    page.select_option("select[name=status]", "confirmed")
    page.click("text=Filter")
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.locator("tbody")).to_contain_text("2026-04-14 09:00")
    visit.shot("events-filtered")

    page.click("text=Meeting 14")
    expect(page.locator("#event-status")).to_have_text("Confirmed")
    page.fill("#reason", "Room flooded")
    page.click("text=Cancel event")
    expect(page.locator("#event-status")).to_have_text("Cancelled")
    expect(page.locator("dl.facts")).to_contain_text("Room flooded")
    visit.shot("event-cancelled")

    event = api.get(f"/calendar-events/{ids[1]}")
    assert event["status"] == "cancelled"
    assert event["cancellationReason"] == "Room flooded"
    assert api.get(f"/calendar-events/{ids[0]}")["status"] == ("confirmed")


def test_a_failed_outbox_job_is_shown_and_retried(visit: Visit, live_server: LiveServer) -> None:
    async def seed(session: AsyncSession) -> int:
        job = OutboxJob(
            kind="google.sync",
            payload={"event_id": 41},
            status="failed",
            attempts=8,
            max_attempts=8,
            last_error="Google answered 503 backendError after 8 attempts",
        )
        session.add(job)
        await session.flush()
        return job.id

    job_id = live_server.run(seed)
    page = visit.page
    visit.go("/admin/jobs")
    page.click("text=Failed only")
    row = page.locator(f"#job-{job_id}")
    expect(row).to_contain_text("google.sync")
    expect(row).to_contain_text("failed")
    expect(row).to_contain_text("8 / 8")
    expect(row).to_contain_text("Google answered 503 backendError")
    visit.shot("jobs-failed")

    row.locator("text=Retry").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Job {job_id} will run again")
    visit.shot("jobs-retried")

    async def stored(session: AsyncSession) -> tuple[str, int]:
        job = await session.get(OutboxJob, job_id)
        assert job is not None
        return job.status, job.attempts

    assert live_server.run(stored) == ("pending", 0)
