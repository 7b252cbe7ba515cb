"""Deleting calendars and workspaces and editing members in the panel: the same refusals as the
API (a calendar with events, an email already taken), and a workspace goes only once empty."""

from __future__ import annotations

import html

from sqlalchemy import func, select

from calbridge.auth.models import ApiToken
from calbridge.workspace.models import Workspace
from tests.admin.conftest import Panel
from tests.support import databases
from tests.support.api import WorkspaceFixture


async def _count(test_db: databases.TestDatabase, model: type) -> int:
    async with test_db.database.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_calendar_with_events_is_not_deleted_and_an_empty_one_is(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar(name="Room <A>")
    event = await ws.event(calendar["id"])
    path = f"/admin/w/{ws.uuid}/calendars/{calendar['id']}"
    question = await panel.get(f"{path}/delete")
    assert "Delete the calendar “Room &lt;A&gt;”?" in question.text

    refused = await panel.post(f"{path}/delete")
    assert refused.status_code == 409
    assert "This calendar still has events; delete them first." in refused.text
    assert (await ws.get(f"/calendars/{calendar['id']}")).status_code == 200

    await ws.delete(f"/calendar-events/{event['id']}")
    deleted = await panel.post(f"{path}/delete")
    assert deleted.headers["location"] == f"/admin/w/{ws.uuid}/calendars"
    listed = await panel.get(deleted.headers["location"])
    assert "Calendar “Room &lt;A&gt;” deleted." in listed.text
    assert (await ws.get(f"/calendars/{calendar['id']}")).status_code == 404


async def test_a_workspace_goes_only_once_empty_and_takes_its_tokens(
    panel: Panel, ws: WorkspaceFixture, test_db: databases.TestDatabase
) -> None:
    member = await ws.member("Alice")
    path = f"/admin/w/{ws.uuid}"
    await panel.get(path)
    refused = await panel.post(f"{path}/delete")
    assert refused.status_code == 409
    assert "This workspace still has members; delete them first." in refused.text
    assert await _count(test_db, Workspace) == 1

    await ws.delete(f"/members/{member['id']}")
    assert await _count(test_db, ApiToken) > 0
    deleted = await panel.post(f"{path}/delete")
    assert deleted.headers["location"] == "/admin/workspaces"
    listed = await panel.get("/admin/workspaces")
    assert "Workspace “Acme” deleted." in listed.text
    assert await _count(test_db, Workspace) == 0
    assert await _count(test_db, ApiToken) == 0
    assert (await panel.get(path)).status_code == 404


async def test_a_member_is_edited_and_a_taken_email_refused(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    alice = await ws.member("Alice")
    await ws.member("Bob")
    path = f"/admin/w/{ws.uuid}/members/{alice['id']}"
    page = await panel.get(path)
    assert 'value="alice@example.com"' in page.text

    taken = await panel.post(path, {"name": "Alice", "email": "bob@example.com"})
    assert taken.status_code == 422
    assert 'data-field="email"' in taken.text and "already exists" in taken.text
    bad = await panel.post(path, {"name": "Alice", "email": "not-an-email"})
    assert bad.status_code == 422 and 'data-field="email"' in bad.text
    assert (await ws.get(f"/members/{alice['id']}")).json()["email"] == "alice@example.com"

    saved = await panel.post(path, {"name": "Alice Smith", "email": "ALICE.S@example.com"})
    assert saved.status_code == 303
    listed = await panel.get(saved.headers["location"])
    assert "Member “Alice Smith” saved." in html.unescape(listed.text)
    now = (await ws.get(f"/members/{alice['id']}")).json()
    assert (now["name"], now["email"]) == ("Alice Smith", "alice.s@example.com")


async def test_an_account_is_shown_by_its_name(panel: Panel, ws: WorkspaceFixture) -> None:
    await panel.get(f"/admin/w/{ws.uuid}/accounts")
    created = await panel.post(f"/admin/w/{ws.uuid}/accounts", {"name": "Front desk"})
    page = await panel.get(created.headers["location"])
    assert "<h1>Front desk" in page.text
    assert "Account “Front desk” created." in page.text


async def test_a_missing_page_keeps_the_navigation(panel: Panel, ws: WorkspaceFixture) -> None:
    for path in (
        f"/admin/w/{ws.uuid}/calendars/999999",
        "/admin/nowhere",
        f"/admin/w/{ws.uuid}/events/not-a-number",
        # Past PostgreSQL's integer: the panel's 404, not a database error.
        f"/admin/w/{ws.uuid}/calendars/99999999999",
        f"/admin/w/{ws.uuid}/events/99999999999/edit",
        f"/admin/w/{ws.uuid}/members/99999999999",
        f"/admin/w/{ws.uuid}/rules/99999999999",
        f"/admin/w/{ws.uuid}/accounts/99999999999",
    ):
        page = await panel.get(path)
        assert page.status_code == 404
        assert 'class="mainnav"' in page.text and "Sign out" in page.text
    api = await ws.get("/calendars/999999")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    api = await ws.get("/calendars/not-a-number")
    assert api.status_code == 422 and api.headers["content-type"] == "application/problem+json"


async def test_a_message_cannot_be_put_in_the_url(panel: Panel, ws: WorkspaceFixture) -> None:
    page = await panel.get(f"/admin/w/{ws.uuid}?saved=1&notice=Hacked")
    assert "Hacked" not in page.text and "Saved." not in page.text
    panel.client.cookies.set("calbridge_notice", "forged", path="/admin")
    page = await panel.get(f"/admin/w/{ws.uuid}")
    assert "forged" not in page.text and 'class="flash ok"' not in page.text
