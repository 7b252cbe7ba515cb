"""Connecting an account: state, binding and PKCE are checked; tokens refresh; revoked grants
break the connection; Disconnect revokes at Google."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from calbridge.account.models import Account
from calbridge.crypto import TokenCipher
from calbridge.google import service
from calbridge.google.browser import COOKIE_NAME, sign_binding
from calbridge.google.models import GoogleOAuthState
from calbridge_google_emulator import GoogleEmulator
from tests.support.api import WorkspaceFixture

if TYPE_CHECKING:  # a runtime import would make pytest collect it as a test class
    from tests.support.databases import TestDatabase

from .conftest import Connecting, Flow, connection_of
from .stalls import book, reached, stall


def cookie(app: FastAPI, flow: Flow, binding: str | None = None) -> str:
    return f"{COOKIE_NAME}={sign_binding(app.state.settings, binding or flow.binding)}"


async def test_callback_stores_the_connection_and_returns_to_the_panel(
    connecting: Connecting,
) -> None:
    response = await connecting.callback()

    account_id = connecting.account_id
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/accounts/{account_id}?google=connected"
    connection = await connection_of(connecting.test_db, account_id)
    assert connection is not None
    assert connection.google_email == "testuser@example.com"
    assert "https://www.googleapis.com/auth/calendar" in connection.scopes
    assert connection.refresh_token_encrypted is not None
    async with connecting.test_db.database.session(write=False) as session:
        account = await session.get_one(Account, account_id)
        status = await service.connection_status(session, account)
    assert status.label == "Connected as testuser@example.com"


async def test_missing_state_is_refused_and_nothing_is_stored(connecting: Connecting) -> None:
    connecting.flow.state = ""

    response = await connecting.callback()

    assert response.status_code == 400
    assert response.json()["code"] == "oauth_state_invalid"
    assert await connecting.connections() == 0


async def test_unknown_state_is_refused(connecting: Connecting) -> None:
    connecting.flow.state = "made-up-state"

    response = await connecting.callback()

    assert response.status_code == 400
    assert await connecting.connections() == 0


async def test_state_started_by_another_session_is_refused(connecting: Connecting) -> None:
    flow = connecting.flow
    other_browser = await connecting.callback(binding="binding-2")
    no_cookie = await connecting.client.get(
        "/google/oauth/callback", params={"state": flow.state, "code": flow.code}
    )

    assert other_browser.status_code == 400
    assert no_cookie.status_code == 400
    assert await connecting.connections() == 0
    # The rightful session can still finish.
    assert (await connecting.callback()).status_code == 303


async def test_reused_state_is_refused_and_changes_nothing(connecting: Connecting) -> None:
    assert (await connecting.callback()).status_code == 303
    before = await connection_of(connecting.test_db, connecting.account_id)

    again = await connecting.callback()

    assert again.status_code == 400
    assert again.json()["code"] == "oauth_state_invalid"
    after = await connection_of(connecting.test_db, connecting.account_id)
    assert before is not None and after is not None
    assert after.access_token_encrypted == before.access_token_encrypted
    assert await connecting.connections() == 1


async def test_expired_state_is_refused(connecting: Connecting) -> None:
    await connecting.expire()

    response = await connecting.callback()

    assert response.status_code == 400
    assert await connecting.connections() == 0


async def test_the_pkce_verifier_is_checked_by_google(connecting: Connecting) -> None:
    wrong = TokenCipher.from_settings(connecting.app.state.settings).encrypt("w" * 64)
    async with connecting.test_db.database.transaction() as session:
        await session.execute(update(GoogleOAuthState).values(code_verifier_encrypted=wrong))

    response = await connecting.callback()

    assert response.status_code == 400
    assert response.json()["code"] == "google_oauth_failed"
    assert "invalid_grant" in response.json()["detail"] or "verifier" in response.json()["detail"]
    assert await connecting.connections() == 0


async def test_denied_consent_stores_nothing(connecting: Connecting) -> None:
    response = await connecting.callback(error="access_denied")

    assert response.status_code == 400
    assert "access_denied" in response.json()["detail"]
    assert await connecting.connections() == 0


async def test_disconnect_revokes_at_google_and_forgets_the_connection(
    test_db: TestDatabase,
    app: FastAPI,
    connected: int,
    emulator: GoogleEmulator,
) -> None:
    revoked = await service.disconnect(
        test_db.database, connected, gateway=app.state.services.google
    )

    assert revoked is True
    async with test_db.database.session(write=False) as session:
        account = await session.get_one(Account, connected)
        status = await service.connection_status(session, account)
    assert status.label == "Not connected"
    assert await connection_of(test_db, connected) is None
    assert [grant["revoked"] for grant in emulator.snapshot()["grants"]] == [True]


async def test_a_slow_token_exchange_does_not_hold_up_other_writes(
    connecting: Connecting, ws: WorkspaceFixture, google: httpx.AsyncClient
) -> None:
    calendar = await ws.calendar()
    fault = await stall(google, "/token")

    finishing = asyncio.create_task(connecting.callback())
    try:
        await reached(google, fault)
        booked = await book(ws, calendar["id"])
        # The booking got the database while the callback was still waiting on Google.
        assert booked.status_code == 201, booked.text
        assert not finishing.done()
    finally:
        finished = await finishing
    assert finished.status_code == 303, finished.text
    assert await connection_of(connecting.test_db, connecting.account_id) is not None


async def test_a_state_whose_exchange_failed_stays_used(
    connecting: Connecting, emulator: GoogleEmulator
) -> None:
    emulator.add_fault("unavailable_503", count=3, path_prefix="/token")  # every attempt

    failed = await connecting.callback()
    # Google is back and would still take the code, but the state was used up.
    again = await connecting.callback()

    assert failed.status_code == 503
    assert failed.json()["code"] == "google_unavailable"
    assert again.status_code == 400
    assert again.json()["code"] == "oauth_state_invalid"
    assert await connecting.connections() == 0


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def test_a_browser_sees_a_page_linking_back_to_the_account(connecting: Connecting) -> None:
    flow, client = connecting.flow, connecting.client
    await connecting.expire()

    expired = await client.get(
        "/google/oauth/callback",
        params={"state": flow.state, "code": "c"},
        headers={"Accept": BROWSER, "Cookie": cookie(connecting.app, flow)},
    )
    denied = await client.get(
        "/google/oauth/callback",
        params={"state": flow.state, "error": "<b>access_denied</b>"},
        headers={"Accept": BROWSER},
    )
    unknown = await client.get(
        "/google/oauth/callback", params={"state": "made-up"}, headers={"Accept": BROWSER}
    )

    for page in (expired, denied, unknown):
        assert page.status_code == 400
        assert page.headers["content-type"].startswith("text/html")
    assert "This connect attempt has expired; start again." in expired.text
    assert f'href="/admin/accounts/{connecting.account_id}"' in expired.text
    assert "Back to the account" in expired.text
    assert "Google did not grant access (error)." in denied.text
    assert "<b>" not in denied.text
    assert "This connect attempt is unknown or was already used" in unknown.text
    assert 'href="/admin/workspaces"' in unknown.text
    assert await connecting.connections() == 0


async def test_an_api_client_gets_problem_json(connecting: Connecting) -> None:
    flow = connecting.flow
    refused = await connecting.client.get(
        "/google/oauth/callback",
        params={"state": flow.state, "code": flow.code},
        headers={
            "Accept": "application/json",
            "Cookie": cookie(connecting.app, flow, "other-binding"),
        },
    )

    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "oauth_state_invalid"
    assert refused.json()["detail"] == "This connect attempt was started in another session."
