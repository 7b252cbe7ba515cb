"""Linking a calendar to Google from the calendar form: the connected accounts and their Google
calendars (from ``calendarList``) are offered; what is saved is what the API shows; the calendar
service's refusals (an account of another workspace, conflict checking without a calendar) are
shown on their fields and nothing is saved. Against the Google emulator, as test_google does."""

from __future__ import annotations

import html

import httpx

from calbridge_google_emulator import GoogleEmulator
from tests.admin.conftest import Panel
from tests.admin.test_google import (  # noqa: F401  (the fixtures: the app talks to the emulator)
    connected_account,
    emulator,
    google,
    services,
    settings,
    used_account,
)
from tests.support import databases
from tests.support.api import WorkspaceFixture

USER = "testuser@example.com"
TEAM = "team@group.calendar.google.com"


def _form(**fields: str) -> dict[str, str]:
    return {"name": "Room A", "timezone": "Europe/Amsterdam", "google_sync_mode": "push", **fields}


async def test_a_calendar_is_linked_to_a_picked_google_calendar(
    test_db: databases.TestDatabase,
    ws: WorkspaceFixture,
    panel: Panel,
    google: httpx.AsyncClient,  # noqa: F811
    emulator: GoogleEmulator,  # noqa: F811
) -> None:
    emulator.add_calendar(TEAM, "Team <room>")
    account_id = (await connected_account(test_db, ws, panel, google)).rsplit("/", 1)[1]
    page = (await panel.get(f"/admin/w/{ws.uuid}/calendars/new")).text
    assert f'<option value="{account_id}" >Front desk ({USER})</option>' in page
    assert f'<option value="{USER}" >{USER} (primary)</option>' in page
    assert f'<option value="{TEAM}" >Team &lt;room&gt;</option>' in page  # Google's text, escaped

    created = await panel.post(
        f"/admin/w/{ws.uuid}/calendars",
        _form(
            google_account_id=account_id,
            google_calendar_id=TEAM,
            google_conflict_check="on",
            google_sync_mode="two_way",
        ),
    )
    assert created.status_code == 303, created.text
    calendar_id = created.headers["location"].rsplit("/", 1)[1]
    shown = (await ws.get(f"/calendars/{calendar_id}")).json()
    assert shown["googleAccountId"] == int(account_id)
    assert shown["googleCalendarId"] == TEAM
    assert shown["googleConflictCheck"] is True and shown["googleSyncMode"] == "two_way"
    page = html.unescape((await panel.get(created.headers["location"])).text)
    assert "Calendar “Room A” created." in page
    assert f'<option value="{TEAM}" selected>' in page

    # "Not linked" unlinks (and conflict checking has to go with it).
    unlinked = await panel.post(f"/admin/w/{ws.uuid}/calendars/{calendar_id}", _form())
    assert unlinked.status_code == 303
    shown = (await ws.get(f"/calendars/{calendar_id}")).json()
    assert shown["googleAccountId"] is None and shown["googleCalendarId"] is None


async def test_refused_links_are_shown_on_their_fields_and_save_nothing(
    test_db: databases.TestDatabase,
    ws: WorkspaceFixture,
    other_ws: WorkspaceFixture,
    panel: Panel,
) -> None:
    foreign = await used_account(test_db, other_ws)
    await panel.get(f"/admin/w/{ws.uuid}/calendars/new")
    attempts = {
        "google_account_id": _form(google_account_id=str(foreign), google_calendar_id="primary"),
        "google_conflict_check": _form(google_conflict_check="on"),
        "google_sync_mode": _form(google_sync_mode="pull"),
    }
    for field, form in attempts.items():
        refused = await panel.post(f"/admin/w/{ws.uuid}/calendars", form)
        assert refused.status_code == 422, field
        assert f'data-field="{field}"' in refused.text, field
        assert "googleConflictCheck" not in refused.text  # said in the form's words
    assert (await ws.get("/calendars")).json()["total"] == 0
