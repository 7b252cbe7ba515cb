"""Connecting an account's Google Calendar from the panel, over HTTP against an in-process
Google emulator: the callback refuses a missing, forged, foreign or reused ``state`` (400, and
nothing is stored), and Disconnect revokes the grant at Google. Neither holds a transaction
(on SQLite: the write lock) while Google answers."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from calbridge.account.service import create_account
from calbridge.crypto import TokenCipher
from calbridge.google.models import GoogleConnection, GoogleOAuthState
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator
from tests.admin.conftest import Panel
from tests.google.stalls import book, reached, stall
from tests.support import databases
from tests.support import google as google_support
from tests.support.api import WorkspaceFixture
from tests.support.google import GOOGLE

# The app of these tests reaches Google through the emulator.
emulator = google_support.emulator
settings = google_support.settings
services = google_support.services
google = google_support.google


@pytest.fixture
async def other_browser(app: FastAPI, panel: Panel) -> AsyncIterator[Panel]:
    """A second signed-in admin browser (its own cookies, so its own binding)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        other = Panel(client)
        await other.sign_in()
        yield other


async def used_account(
    test_db: databases.TestDatabase, ws: WorkspaceFixture, used: bool = True
) -> int:
    async with test_db.database.transaction() as session:
        account = await create_account(session, ws.workspace, name="Front desk")
        account.google_calendar_used = used
        return account.id


def account_path(ws: WorkspaceFixture, account_id: int) -> str:
    return f"/admin/w/{ws.workspace.uuid}/accounts/{account_id}"


async def approve(panel: Panel, google: httpx.AsyncClient, path: str) -> dict[str, str]:
    """Press Connect on the account page and Allow at Google: the callback's query."""
    await panel.get(path)
    started = await panel.post(f"{path}/google/connect")
    assert started.status_code == 303, started.text
    at_google = started.headers["location"]
    query = parse_qs(urlsplit(at_google).query)
    assert at_google.startswith(f"{GOOGLE}/o/oauth2/v2/auth?")
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    back = await google.get(at_google + "&auto_approve=true")
    assert back.status_code == 302, back.text
    return {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}


async def callback(panel: Panel, **params: str) -> httpx.Response:
    return await panel.client.get("/google/oauth/callback", params=params)


async def stored(test_db: databases.TestDatabase) -> list[GoogleConnection]:
    async with test_db.database.session(write=False) as session:
        return list(await session.scalars(select(GoogleConnection)))


async def test_connect_then_disconnect_revokes_at_google(
    test_db: databases.TestDatabase,
    ws: WorkspaceFixture,
    panel: Panel,
    google: httpx.AsyncClient,
    settings: Settings,
) -> None:
    path = account_path(ws, await used_account(test_db, ws))
    page = await panel.get(path)
    assert "Not connected" in page.text and "Connect Google Account" in page.text

    query = await approve(panel, google, path)
    finished = await callback(panel, state=query["state"], code=query["code"])
    assert finished.status_code == 303, finished.text
    assert finished.headers["location"] == f"{path}?google=connected"
    page = await panel.get(finished.headers["location"])
    assert "Connected as testuser@example.com" in page.text
    assert "Disconnect" in page.text and "Connect Google Account" not in page.text
    listed = await panel.get(f"/admin/w/{ws.uuid}/accounts")
    assert "Connected as testuser@example.com" in listed.text

    [connection] = await stored(test_db)
    access_token = TokenCipher.from_settings(settings).decrypt(connection.access_token_encrypted)
    bearer = {"Authorization": f"Bearer {access_token}"}
    assert (await google.get("/oauth2/v3/userinfo", headers=bearer)).status_code == 200

    gone = await panel.post(f"{path}/google/disconnect")
    assert gone.headers["location"] == f"{path}?google=disconnected"
    page = await panel.get(gone.headers["location"])
    assert 'id="google-connection">Not connected<' in page.text
    assert await stored(test_db) == []
    # Google no longer honours the grant's tokens.
    assert (await google.get("/oauth2/v3/userinfo", headers=bearer)).status_code == 401


async def test_callback_refuses_missing_forged_foreign_and_reused_state(
    test_db: databases.TestDatabase,
    ws: WorkspaceFixture,
    panel: Panel,
    other_browser: Panel,
    google: httpx.AsyncClient,
) -> None:
    path = account_path(ws, await used_account(test_db, ws))
    mine = await approve(panel, google, path)
    theirs = await approve(other_browser, google, path)

    refused = [
        await callback(panel, code=mine["code"]),  # missing state
        await callback(panel, state="forged-" + mine["state"], code=mine["code"]),
        await callback(panel, state=theirs["state"], code=theirs["code"]),  # another browser's
    ]
    assert [r.status_code for r in refused] == [400, 400, 400]
    assert {r.json()["code"] for r in refused} == {"oauth_state_invalid"}
    assert await stored(test_db) == []

    assert (await callback(panel, **mine)).status_code == 303
    assert len(await stored(test_db)) == 1
    await panel.get(path)
    assert (await panel.post(f"{path}/google/disconnect")).status_code == 303

    reused = await callback(panel, **mine)
    assert reused.status_code == 400
    assert reused.json()["code"] == "oauth_state_invalid"
    assert await stored(test_db) == []


async def test_connect_needs_google_calendar_turned_on(
    test_db: databases.TestDatabase, ws: WorkspaceFixture, panel: Panel
) -> None:
    path = account_path(ws, await used_account(test_db, ws, used=False))
    page = await panel.get(path)
    assert "Connect Google Account" not in page.text

    refused = await panel.post(f"{path}/google/connect")

    assert refused.status_code == 409
    assert "Turn on Google Calendar" in refused.text
    async with test_db.database.session(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(GoogleOAuthState)) == 0


async def connected_account(
    test_db: databases.TestDatabase, ws: WorkspaceFixture, panel: Panel, google: httpx.AsyncClient
) -> str:
    path = account_path(ws, await used_account(test_db, ws))
    query = await approve(panel, google, path)
    assert (await callback(panel, **query)).status_code == 303
    await panel.get(path)  # the page with the Disconnect form (and its CSRF token)
    return path


async def test_a_slow_revoke_does_not_hold_up_other_writes(
    test_db: databases.TestDatabase,
    ws: WorkspaceFixture,
    panel: Panel,
    google: httpx.AsyncClient,
) -> None:
    path = await connected_account(test_db, ws, panel, google)
    calendar = await ws.calendar()
    fault = await stall(google, "/revoke")

    disconnecting = asyncio.create_task(panel.post(f"{path}/google/disconnect"))
    try:
        await reached(google, fault)
        booked = await book(ws, calendar["id"])
        assert booked.status_code == 201, booked.text
        assert not disconnecting.done()
        # The connection is already gone for everyone while Google is being told.
        assert await stored(test_db) == []
    finally:
        gone = await disconnecting
    assert gone.headers["location"] == f"{path}?google=disconnected"


async def test_disconnect_when_google_cannot_revoke_still_forgets_and_says_so(
    test_db: databases.TestDatabase,
    ws: WorkspaceFixture,
    panel: Panel,
    google: httpx.AsyncClient,
    emulator: GoogleEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = await connected_account(test_db, ws, panel, google)
    emulator.add_fault("unavailable_503", count=3, path_prefix="/revoke")  # every attempt

    gone = await panel.post(f"{path}/google/disconnect")

    assert gone.headers["location"] == f"{path}?google=disconnected-unrevoked"
    page = await panel.get(gone.headers["location"])
    assert "Google could not be reached to revoke the access" in page.text
    assert 'id="google-connection">Not connected<' in page.text
    assert await stored(test_db) == []
    assert [grant["revoked"] for grant in emulator.snapshot()["grants"]] == [False]
    assert any("Google grant not revoked" in r.getMessage() for r in caplog.records)


async def test_a_failed_callback_shows_a_page_in_the_browser(
    test_db: databases.TestDatabase,
    ws: WorkspaceFixture,
    panel: Panel,
    google: httpx.AsyncClient,
) -> None:
    path = account_path(ws, await used_account(test_db, ws))
    query = await approve(panel, google, path)

    page = await panel.client.get(
        "/google/oauth/callback",
        params={"state": query["state"], "error": "access_denied"},
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )

    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "Google did not grant access (access_denied)." in page.text
    assert f'href="{path}"' in page.text
    assert await stored(test_db) == []


async def test_deleting_an_account_revokes_its_google_access_and_is_refused_while_linked(
    test_db: databases.TestDatabase,
    ws: WorkspaceFixture,
    panel: Panel,
    google: httpx.AsyncClient,
    settings: Settings,
    emulator: GoogleEmulator,
) -> None:
    path = await connected_account(test_db, ws, panel, google)
    account_id = int(path.rsplit("/", 1)[1])
    [connection] = await stored(test_db)
    access_token = TokenCipher.from_settings(settings).decrypt(connection.access_token_encrypted)
    bearer = {"Authorization": f"Bearer {access_token}"}
    calendar = await ws.calendar(googleAccountId=account_id, googleCalendarId="primary")

    refused = await panel.post(f"{path}/delete")
    assert refused.status_code == 409, refused.text
    assert "Calendars are linked to Google through this account" in html.unescape(refused.text)
    assert len(await stored(test_db)) == 1  # nothing changed, still connected
    assert (await google.get("/oauth2/v3/userinfo", headers=bearer)).status_code == 200

    unlinked = await ws.patch(
        f"/calendars/{calendar['id']}", json={"googleAccountId": None, "googleCalendarId": None}
    )
    assert unlinked.status_code == 200, unlinked.text
    await panel.get(path)
    deleted = await panel.post(f"{path}/delete")
    assert deleted.status_code == 303, deleted.text
    assert deleted.headers["location"] == f"/admin/w/{ws.uuid}/accounts"
    listed = await panel.get(deleted.headers["location"])
    assert "Account “Front desk” deleted." in html.unescape(listed.text)
    assert (await panel.get(path)).status_code == 404
    assert await stored(test_db) == []
    assert [grant["revoked"] for grant in emulator.snapshot()["grants"]] == [True]
    assert (await google.get("/oauth2/v3/userinfo", headers=bearer)).status_code == 401
