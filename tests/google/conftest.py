"""Fixtures: calbridge wired to a fresh in-process Google emulator, and connected accounts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from calbridge.account.models import Account
from calbridge.account.service import create_account
from calbridge.db import utcnow
from calbridge.google.browser import COOKIE_NAME, sign_binding
from calbridge.google.models import GoogleConnection, GoogleOAuthState
from calbridge.google.oauth import start_connect
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator
from tests.support import google as google_support
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase
from tests.support.logs import no_secret_logged, remember_secret

EVENTS = "/calendar/v3/calendars/primary/events"

emulator = google_support.emulator
settings = google_support.settings
services = google_support.services
google = google_support.google


@pytest.fixture
def user_token(emulator: GoogleEmulator) -> dict[str, str]:
    """Headers of a never-expiring token of the emulator's test user (to seed events)."""
    return {"Authorization": f"Bearer {emulator.issue_access_token()}"}


@dataclass
class Flow:
    """A connect flow started for an account: Google's redirect back carries code and state."""

    account_id: int
    binding: str
    state: str
    code: str


async def new_account(test_db: TestDatabase, ws: WorkspaceFixture, *, used: bool = True) -> int:
    async with test_db.database.transaction() as session:
        account = await create_account(session, ws.workspace, name="Ada")
        account.google_calendar_used = used
    return account.id


async def start_flow(
    test_db: TestDatabase,
    app: FastAPI,
    google: httpx.AsyncClient,
    account_id: int,
    binding: str = "binding-1",
) -> Flow:
    """Start connecting and approve at the emulator's consent endpoint."""
    async with test_db.database.transaction() as session:
        account = await session.get_one(Account, account_id)
        url = await start_connect(
            session,
            account,
            binding=binding,
            return_to=f"/admin/accounts/{account_id}",
            gateway=app.state.services.google,
        )
    response = await google.get(url + "&auto_approve=true")
    assert response.status_code == 302, response.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}
    remember_secret(query["state"], query["code"])
    return Flow(account_id, binding, query["state"], query["code"])


async def callback(
    client: httpx.AsyncClient,
    settings: Settings,
    flow: Flow,
    binding: str | None = None,
    **query: str,
) -> httpx.Response:
    params = {"state": flow.state, "code": flow.code, **query}
    cookie = sign_binding(settings, flow.binding if binding is None else binding)
    return await client.get(
        "/google/oauth/callback", params=params, headers={"Cookie": f"{COOKIE_NAME}={cookie}"}
    )


async def connect(
    test_db: TestDatabase,
    app: FastAPI,
    google: httpx.AsyncClient,
    client: httpx.AsyncClient,
    account_id: int,
) -> None:
    flow = await start_flow(test_db, app, google, account_id)
    response = await callback(client, app.state.settings, flow)
    assert response.status_code == 303, response.text


async def connection_of(test_db: TestDatabase, account_id: int) -> GoogleConnection | None:
    async with test_db.database.session(write=False) as session:
        return await session.scalar(
            select(GoogleConnection).where(GoogleConnection.account_id == account_id)
        )


@dataclass
class Connecting:
    """An account of ``ws`` whose connect flow was started and approved at Google; the
    callback is what each test makes of it."""

    test_db: TestDatabase
    app: FastAPI
    client: httpx.AsyncClient
    account_id: int
    flow: Flow

    async def callback(self, binding: str | None = None, **query: str) -> httpx.Response:
        return await callback(self.client, self.app.state.settings, self.flow, binding, **query)

    async def expire(self) -> None:
        async with self.test_db.database.transaction() as session:
            await session.execute(update(GoogleOAuthState).values(expires_at=utcnow()))

    async def connections(self) -> int:
        async with self.test_db.database.session(write=False) as session:
            count = await session.scalar(select(func.count()).select_from(GoogleConnection))
        return int(count or 0)


@pytest.fixture
async def connecting(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    app: FastAPI,
    google: httpx.AsyncClient,
    client: httpx.AsyncClient,
) -> Connecting:
    account_id = await new_account(test_db, ws)
    flow = await start_flow(test_db, app, google, account_id)
    return Connecting(test_db, app, client, account_id, flow)


@pytest.fixture
async def connected(connecting: Connecting) -> int:
    """The id of an account of ``ws`` with Google Calendar used and connected."""
    response = await connecting.callback()
    assert response.status_code == 303, response.text
    return connecting.account_id


async def seed(google: httpx.AsyncClient, headers: dict[str, str], **event: Any) -> dict[str, Any]:
    """Insert an event straight into the test user's primary calendar at the emulator."""
    response = await google.post(EVENTS, json={"summary": "Seeded", **event}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(autouse=True)
def _no_secret_logged(request: pytest.FixtureRequest) -> Iterator[None]:
    """CONTRACT §6: no token, code, state, password or secret in any log line of these tests."""
    with no_secret_logged(request.node.funcargs):
        yield
