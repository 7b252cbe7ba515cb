"""Issue 15, acceptance 1: every create, edit and delete form of the panel in a real Chromium —
workspace, member, account, calendar (linked to the Google emulator's calendar from its form),
event (book, edit, reschedule, cancel, delete; each change synced to the emulator by the
worker), API token, admin user and password — with bad input in several forms shown on its field
and changing nothing. The server, emulator and worker are those of the browser-integration
tests (their fixtures, for a server of this module's own)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.admin.browser import LiveServer, Visit
from tests.admin.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.admin.test_browser_integrations import (  # noqa: F401  (fixtures)
    USER,
    approve_at_google,
    emulator,
    live_server,
    run_worker,
)

pytestmark = pytest.mark.browser
NEW_PASSWORD = "a new and longer secret"


def google_events(emulator_url: str, title: str) -> list[dict[str, Any]]:
    """The emulator's copies of the event called ``title`` in the user's primary calendar."""
    state = httpx.get(f"{emulator_url}/_emulator/state").json()
    return [
        event
        for event in state["events"]
        if event["calendarId"] == USER and event.get("summary") == title
    ]


def notice(page: Page, text: str) -> None:
    expect(page.locator(".flash.ok")).to_have_text(text)


def field_error(page: Page, field: str) -> None:
    expect(page.locator(f".field-error[data-field={field}]")).to_be_visible()


def test_every_form_of_every_object(
    visit: Visit,
    live_server: LiveServer,  # noqa: F811  (this module's server)
    emulator: str,  # noqa: F811
) -> None:
    page = visit.page

    # Workspace: a bad time zone is refused on its field; then created and renamed.
    page.fill("#name", "Walk Co")
    page.fill("#timezone", "Mars/Olympus")
    page.click("text=Create workspace")
    field_error(page, "timezone")
    expect(page.locator("table a", has_text="Walk Co")).to_have_count(0)
    page.fill("#timezone", "Europe/Amsterdam")
    page.click("text=Create workspace")
    notice(page, "Workspace “Walk Co” created.")
    base = page.url.removeprefix(live_server.url)
    page.fill("#name", "Walk & Co")
    page.click("main form button.primary")
    notice(page, "Workspace “Walk & Co” saved.")
    visit.shot("workspace-saved")

    # Members: added, a taken email refused, one edited.
    page.click(".tabs >> text=Members")
    for name, email in (("Alice", "alice@example.com"), ("Bob", "bob@example.com")):
        page.fill("#name", name)
        page.fill("#email", email)
        page.click("text=Add member")
        notice(page, f"Member “{name}” added.")
    page.fill("#name", "Alice again")
    page.fill("#email", "alice@example.com")
    page.click("text=Add member")
    field_error(page, "email")
    page.click("a:text-is('Bob')")
    page.fill("#name", "Robert")
    page.click("text=Save member")
    notice(page, "Member “Robert” saved.")
    expect(page.locator("table")).to_contain_text("Robert")
    expect(page.locator("table")).not_to_contain_text("Alice again")
    visit.shot("members")

    # Account: created, shown by its name, Google turned on and connected at the emulator.
    page.click(".tabs >> text=Accounts")
    page.fill("#name", "Front desk")
    page.click("text=Create account")
    notice(page, "Account “Front desk” created.")
    expect(page.locator("h1")).to_contain_text("Front desk")
    page.check("#google_calendar_used")
    with page.expect_navigation():
        page.click("main button.primary")
    notice(page, "Account “Front desk” saved.")
    page.click("#google-connect")
    approve_at_google(visit, "google-consent")
    expect(page.locator("#google-connection")).to_have_text(f"Connected as {USER}")

    # Calendar: conflict checking without a link is refused on its field and saves nothing;
    # then linked to the account's primary Google calendar, picked from its calendarList.
    page.click(".tabs >> text=Calendars")
    page.click("text=New calendar")
    page.fill("#name", "Studio")
    page.fill("#timezone", "Europe/Amsterdam")
    page.check("#google_conflict_check")
    page.click("text=Create calendar")
    field_error(page, "google_conflict_check")
    page.uncheck("#google_conflict_check")
    page.select_option("#google_account_id", label=f"Front desk ({USER})")
    page.select_option("#google_calendar_id", value=USER)
    expect(page.locator("#google_calendar_id option:checked")).to_have_text(f"{USER} (primary)")
    visit.shot("calendar-google-link")
    page.click("text=Create calendar")
    notice(page, "Calendar “Studio” created.")
    expect(page.locator("#google_calendar_id")).to_have_value(USER)
    calendar_url = page.url

    # Event: booked from the form, then synced to the emulator by the worker.
    page.click(".tabs >> text=Events")
    page.click("text=Book an event")
    page.select_option("#calendar_id", label="Studio (Europe/Amsterdam)")
    page.fill("#title", "Walkthrough")
    page.fill("#start_time", "2026-04-13T09:00")
    page.fill("#end_time", "2026-04-13T10:00")
    page.check("label:has-text('Alice') input")
    page.click("main form button:text-is('Book')")
    notice(page, "Event “Walkthrough” booked.")
    run_worker(live_server, rounds=2)
    page.reload()
    expect(page.locator("#event-sync")).to_have_text("Synced")
    [copy] = google_events(emulator, "Walkthrough")
    assert copy["start"]["dateTime"].startswith("2026-04-13T09:00:00+02:00")
    visit.shot("event-synced")

    # Edit: an end before the start is refused and changes nothing; then renamed and moved.
    page.click("#edit-event")
    page.fill("#title", "Never saved")
    page.fill("#end_time", "2026-04-13T08:00")
    page.click("text=Save event")
    expect(page.locator(".field-error, .flash.error").first).to_be_visible()
    visit.shot("event-edit-refused")
    page.fill("#title", "Walk review")
    page.fill("#start_time", "2026-04-14T15:00")
    page.fill("#end_time", "2026-04-14T16:00")
    page.click("text=Save event")
    notice(page, "Event “Walk review” saved.")
    run_worker(live_server, rounds=2)
    assert google_events(emulator, "Never saved") == []
    [copy] = google_events(emulator, "Walk review")
    assert copy["start"]["dateTime"].startswith("2026-04-14T15:00:00+02:00")

    # Cancel, then delete: each reaches Google.
    page.fill("#reason", "moved online")
    page.click("text=Cancel event")
    notice(page, "Event “Walk review” cancelled.")
    expect(page.locator("#event-status")).to_have_text("Cancelled")
    run_worker(live_server, rounds=2)
    [copy] = google_events(emulator, "Walk review")
    assert copy["status"] == "cancelled"
    page.click("text=Delete event “Walk review”")
    notice(page, "Event “Walk review” deleted.")
    run_worker(live_server, rounds=2)
    assert all(e["status"] == "cancelled" for e in google_events(emulator, "Walk review"))

    # Calendar delete (asked on a page of its own), then a member.
    page.goto(calendar_url)
    page.click("#delete-calendar")
    visit.shot("calendar-delete-question")
    page.click("text=Delete calendar “Studio”")
    notice(page, "Calendar “Studio” deleted.")
    page.click(".tabs >> text=Members")
    page.locator("tr", has_text="Robert").locator("button").click()
    notice(page, "Member “Robert” removed.")

    # The account: deleted now no calendar links through it, its Google grant revoked.
    page.click(".tabs >> text=Accounts")
    page.click("text=Front desk")
    page.click("#account-delete")
    notice(page, "Account “Front desk” deleted.")
    grants = httpx.get(f"{emulator}/_emulator/state").json()["grants"]
    assert [grant["revoked"] for grant in grants] == [True]

    # Token: created (shown once) and revoked.
    page.click(".tabs >> text=API tokens")
    page.fill("#name", "walk site")
    page.check("input[value='calendars:read']")
    page.click("text=Create token")
    assert page.locator("#new-token").input_value().startswith("cbk_")
    page.locator("tr", has_text="walk site").locator("text=Revoke").click()
    expect(page.locator("tr", has_text="walk site")).to_contain_text("revoked")

    # A workspace that still has members and accounts is not deleted; an empty one is.
    page.goto(live_server.url + base)
    page.click("text=Delete workspace “Walk & Co”")
    expect(page.locator(".flash.error")).to_contain_text("still has members")
    page.click("a.brand")
    page.fill("#name", "Scratch")
    page.fill("#timezone", "UTC")
    page.click("text=Create workspace")
    page.click("text=Delete workspace “Scratch”")
    notice(page, "Workspace “Scratch” deleted.")
    expect(page.locator("table")).to_contain_text("Walk & Co")
    expect(page.locator("table")).not_to_contain_text("Scratch")

    # Event rule: made with the builder (a webhook action), then deleted.
    page.goto(live_server.url + base + "/rules")
    page.click("text=New rule")
    page.fill("#name", "Tell the desk")
    page.fill("input[name=action-0-url]", "http://127.0.0.1:9/hook")
    page.click("text=Create rule")
    expect(page.locator("#rule-secret")).to_be_visible()
    page.click(".tabs >> text=Event rules")
    page.click("text=Tell the desk")
    page.click("main button:text-is('Delete')")
    notice(page, "Event rule “Tell the desk” deleted.")
    expect(page.locator("main table")).to_have_count(0)  # no rules left

    # Admin users: a short password refused, one created and deleted; my password changed.
    page.click("text=Admin users")
    page.fill("#email", "ops@example.com")
    page.fill("#password", "short")
    page.evaluate("document.getElementById('password').removeAttribute('minlength')")
    page.click("text=Create admin user")
    field_error(page, "password")
    page.fill("#email", "ops@example.com")
    page.fill("#password", "long enough")
    page.click("text=Create admin user")
    notice(page, "Admin user ops@example.com created.")
    page.click("text=Delete ops@example.com")
    notice(page, "Admin user ops@example.com deleted.")
    expect(page.locator("#users")).not_to_contain_text("ops@example.com")
    page.click("#change-password")
    page.fill("#current_password", ADMIN_PASSWORD)
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm_password", NEW_PASSWORD)
    page.click("text=Change password")
    notice(page, "Password changed; your other sessions were signed out.")
    page.click("text=Sign out")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".flash.error")).to_have_text("Wrong email or password.")
    page.fill("#password", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/workspaces")
    visit.shot("signed-in-with-new-password")
